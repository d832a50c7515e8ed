"""Fixtures shared by the test suite: the Cu potential most tests use, built once."""
from __future__ import annotations

import pytest

CU_A = 3.6149
"""Cu_mishin1's lattice constant to the digits the tests use (A)."""
ORIENT_111 = ((1, 1, -2), (1, 1, 1), (1, -1, 0))
"""The (111)[-110] crack orientation: x propagation, y plane normal, z front."""


@pytest.fixture(scope="session")
def cu_potential():
    """Cu_mishin1 (eam/alloy) as a qcsim potential, read once per session."""
    from qcsim.potentials import make_potential
    from qcsim.potentials.files import resolve_potential_file

    return make_potential("eam/alloy", file=str(resolve_potential_file("Cu_mishin1.eam.alloy")),
                          elements=["Cu"])


@pytest.fixture
def cu_calculator():
    """A fresh qcsim ASE calculator for Cu_mishin1 (calculators keep a neighbour list)."""
    from qcsim import Calculator

    return Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])


@pytest.fixture(scope="session")
def cu_crystal():
    """fcc Cu in the (111)[-110] crack orientation."""
    from qcsim.lattice import Crystal

    return Crystal("fcc", CU_A, ORIENT_111, "Cu")


SMALL_CRACK = """\
task: crack
potential: {{style: eam/alloy, file: Cu_mishin1.eam.alloy, elements: [Cu]}}
crystal: {{lattice: fcc, a: 3.615, orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]], element: Cu}}
qc: {{scheme: bgfc, r_core: 15.0, r_outer: 60.0}}
crack:
  gamma: 1.2395
  K: {K}
"""


@pytest.fixture
def small_crack_deck():
    """``deck(K, extra)``: the text of a small Cu (111) crack deck (bgfc, core 15 A in a
    disk of 60 A, gamma given) with the load steps ``K`` and ``extra`` sections."""
    def deck(K: str = "{start: 0.40, end: 0.44, step: 0.02, unit: K_G}", extra: str = ""):
        return SMALL_CRACK.format(K=K) + extra
    return deck
