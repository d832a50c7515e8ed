"""The main crack deck gives the recorded table: refactors of the code above the
kernels must not change a result (energies to 1e-10 relative, the same iterations,
events and model sizes).  A change that is meant to alter the numbers updates
tests/baselines/cu_crack_111_steps.json and says why in its commit."""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from qcsim.cli import main

ROOT = Path(__file__).parent.parent


def test_the_main_crack_deck_repeats_its_recorded_table(tmp_path):
    base = json.loads((Path(__file__).parent / "baselines" / "cu_crack_111_steps.json").read_text())
    assert main(["run", str(ROOT / "input_decks" / "cu_crack_111.yaml"), "-o", str(tmp_path),
                 "-q"]) == 0
    with h5py.File(tmp_path / "results.h5") as f:
        steps = {name: f["steps"][name][:] for name in base if not name.startswith("_")}
    np.testing.assert_allclose(steps["energy"], base["energy"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(steps["K"], base["K"], rtol=1e-12, atol=0)
    for name in ("iterations", "n_dof", "n_atomistic", "emitted", "advanced", "n_adapt"):
        assert steps[name].tolist() == base[name], name
    for name in ("crack_tip_x", "dislocation_distance"):
        expected = np.array([np.nan if v is None else v for v in base[name]])
        np.testing.assert_allclose(steps[name], expected, rtol=0, atol=1e-8, err_msg=name)
