"""One model evaluated on several ranks (mpiexec -n 2 and -n 3): each rank evaluates
its own atoms and elements (recursive coordinate bisection by cost) with a halo of
cutoff + skin, the shares are summed, and a crack study run this way repeats the
one-process run to round-off: the same iterations, adaptivity and events."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install -e '.[mpi]')")

from mpi_helpers import environment, mpiexec, run_script  # noqa: E402

SCRIPT = Path(__file__).parent / "mpi" / "distributed_model.py"


def test_partition_balances_cost():
    from qcsim.parallel.partition import bisect, part_costs

    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(5000, 2)), rng.uniform(0.1, 1.0, size=5000)
    for parts in (1, 2, 3, 5):
        part = bisect(x, w, parts)
        assert set(part) == set(range(parts))
        cost = part_costs(part, w, parts)
        assert cost.max() - cost.min() <= 2 * w.max()  # one point per cut at most


@pytest.mark.parametrize("ranks", [2, 3])
def test_a_crack_study_on_several_ranks_repeats_the_serial_run(ranks, tmp_path):
    out = run_script(SCRIPT, ranks, tmp_path)
    assert min(out["n_owned_atoms"]) > 0.8 * max(out["n_owned_atoms"])  # balanced
    assert out["energy_rel"] < 1e-13
    assert out["gradient_max"] < 1e-12 * max(out["gradient_scale"], 1.0)
    for step in out["steps"]:
        a, b = step["E"]
        assert abs(a - b) < 1e-11 * abs(a)
        assert step["it"][0] == step["it"][1] and step["conv"] == [True, True]
        assert step["n_adapt"][0] == step["n_adapt"][1]
        assert step["emitted"][0] == step["emitted"][1]
        assert step["atoms"][0] == step["atoms"][1]
    assert any(s["n_adapt"][0] for s in out["steps"]) and out["steps"][-1]["emitted"][0]
    # the two-level Schwarz preconditioner: symmetric positive definite, the same steps
    # and events to 1e-8, a few more iterations on this small model
    a, b, c = out["schwarz_spd"]
    assert abs(a - b) < 1e-12 * abs(a) and c > 0
    assert max(out["schwarz_part"]) < 1e-13  # on the parts: the same operator
    for step in out["schwarz"]:
        assert step["conv"] and step["emitted"][0] == step["emitted"][1]
        assert abs(step["E"][0] - step["E"][1]) < 1e-8 * abs(step["E"][0])
        assert step["it"][1] <= 2 * step["it"][0] + 5
    # an element of one rank out of the Cauchy-Born range: an invalid state on every rank
    assert out["invalid_state"] == [[float("inf"), True]] * ranks
    assert out["invalid_state_parts"] == [[float("inf"), True]] * ranks
    # the model the adaptivity rebuilt is split anew by cost: balanced to a few atoms
    assert out["steps"][-1]["atoms"][0] > out["steps"][0]["atoms"][0]
    assert max(out["costs_after"]) - min(out["costs_after"]) < 0.02 * max(out["costs_after"])
    # every coupling scheme, with a pre-crack, periodic z and three atomistic disks
    assert sorted(out["schemes"]) == ["bgfc", "bqce", "qce", "qce-gfc", "qcf"]
    for name, case in out["schemes"].items():
        assert case["energy_rel"] < 1e-13 and case["gradient_rel"] < 1e-13, name
        assert max(case["parts_rel"]) < 1e-13, name
        assert case["faces"] > 0 and min(case["owned"]) > 0, name
    assert out["U_max"] < 1e-10
    assert out["replicas_identical"]


def test_mpiexec_runs_one_crack_deck_on_every_rank(tmp_path, small_crack_deck):
    """``mpiexec -n 2 qcsim run deck.yaml``: one simulation on both ranks, outputs written
    once, the /steps table of the one-process run (through the first emission)."""
    import h5py

    deck = tmp_path / "small.yaml"
    deck.write_text(small_crack_deck("{start: 0.60, end: 0.90, step: 0.1, unit: K_G}"))
    env = environment(OMP_NUM_THREADS="1")
    serial = subprocess.run([sys.executable, "-m", "qcsim", "run", "-q", str(deck), "-o",
                             "serial"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=600, env=env)
    assert serial.returncode == 0, serial.stderr
    proc = subprocess.run(mpiexec(2) + [sys.executable, "-m", "qcsim", "run", str(deck), "-o",
                                        "two"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("wrote run.log, results.h5") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serial", "small.yaml", "two"]
    assert "2 ranks of its group together" in (tmp_path / "two" / "run.log").read_text()
    with h5py.File(tmp_path / "serial" / "results.h5") as a, \
            h5py.File(tmp_path / "two" / "results.h5") as b:
        for k in ("iterations", "n_adapt", "emitted", "n_atomistic", "converged"):
            np.testing.assert_array_equal(a["steps"][k][:], b["steps"][k][:], err_msg=k)
        np.testing.assert_allclose(b["steps/energy"][:], a["steps/energy"][:], rtol=1e-12)
        assert b["steps/emitted"][:].any()
        np.testing.assert_allclose(b["checkpoint/U_nc"][:], a["checkpoint/U_nc"][:],
                                   atol=1e-9)
