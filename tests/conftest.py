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
