"""A coupling scheme is one file: a toy scheme registered from the test suite is a valid
deck scheme, builds, relaxes and runs the patch test with no edit anywhere else."""
from __future__ import annotations

import numpy as np
import pytest

from qcsim.coupling.schemes import SCHEMES, GhostForceCorrected, get_scheme, register_scheme
from qcsim.tasks import parse_deck
from qcsim.errors import DeckError


class HalfPad(GhostForceCorrected):
    """bgfc with a handshake of one cutoff: a scheme the package does not have."""

    name = "toy-narrow"
    summary = "blended, corrected, narrow handshake"
    blended = True

    def widths(self, cutoff, skin, handshake=None, pad=None):
        return super().widths(cutoff, skin, cutoff if handshake is None else handshake, pad)


@pytest.fixture
def toy():
    scheme = register_scheme(HalfPad)
    yield scheme
    del SCHEMES[scheme.name]


DECK = """\
task: patch-test
potential: {style: eam/alloy, file: Cu_mishin1.eam.alloy, elements: [Cu]}
crystal: {lattice: fcc, a: 3.615, orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]], element: Cu}
qc: {r_core: 8.0, r_outer: 40.0}
patch_test:
  F: [[[1.01, 0.02, 0], [0, 0.99, 0], [0, 0, 1]]]
  schemes: [SCHEMES]
"""


def test_an_unregistered_scheme_is_a_deck_error(tmp_path):
    with pytest.raises(DeckError, match="expected one of bgfc, bqce, qce-gfc, qcf, qce"):
        parse_deck(DECK.replace("SCHEMES", "toy-narrow"), file="d.yaml", base_dir=tmp_path)


def test_a_new_scheme_from_one_file_runs_the_patch_test(tmp_path, toy, capsys):
    from qcsim.cli import main

    assert get_scheme("toy-narrow") is toy
    deck = tmp_path / "d.yaml"
    deck.write_text(DECK.replace("SCHEMES", "bgfc, toy-narrow"))
    assert main(["run", str(deck), "-o", str(tmp_path / "out"), "-q"]) == 0, \
        capsys.readouterr().err
    import h5py

    with h5py.File(tmp_path / "out" / "results.h5") as f:
        g = f["patch_test"]
        assert list(g.attrs["exact_schemes"]) == ["bgfc", "toy-narrow"]
        assert bool(g.attrs["passed"])


def test_the_toy_scheme_builds_its_own_widths(toy):
    from qcsim import Calculator
    from qcsim.build import SlabSetup, build_slab_model
    from qcsim.lattice import Crystal

    pot = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"]).potential
    crystal = Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
    narrow, _ = build_slab_model(pot, crystal, SlabSetup(r_core=8.0, r_outer=40.0,
                                                        scheme="toy-narrow"))
    wide, _ = build_slab_model(pot, crystal, SlabSetup(r_core=8.0, r_outer=40.0, scheme="bgfc"))
    handshake = lambda m: int(np.sum(m.regions.flag_n == 1))  # noqa: E731
    assert 0 < handshake(narrow) < handshake(wide)
