"""Cu_mishin1.eam.alloy bulk and surface properties against the published values.

References (the design notes' VALIDATION.md; Mishin et al., PRB 63, 224106 (2001)):
a0 = 3.6149 A (+-1e-4), E_coh = 3.5402 eV (+-1e-4), C11/C12/C44 =
169.88/122.59/76.21 GPa (+-0.3 %), relaxed gamma(100)/(110)/(111) =
1345.3/1475.5/1239.5 mJ/m^2 (+-0.5 %).  Also the Lennard-Jones fcc values.
"""
import numpy as np
import pytest

from qcsim import Calculator
from qcsim.analysis import cubic_constants, elastic_constants, surface_energy
from qcsim.analysis.bulk import EV_PER_A3_IN_GPA


@pytest.fixture(scope="module")
def cu():
    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    return calc, cubic_constants(calc, "Cu", "fcc", guess=3.6)


def test_lattice_and_cohesive_energy(cu):
    _, c = cu
    assert abs(c.a0 - 3.6149) < 1e-4
    assert abs(c.E_coh - 3.5402) < 1e-4


@pytest.mark.parametrize("name,ref", [("C11", 169.88), ("C12", 122.59), ("C44", 76.21)])
def test_elastic_constants(cu, name, ref):
    _, c = cu
    assert abs(getattr(c, name) - ref) / ref < 3e-3


def test_elastic_tensor_has_cubic_symmetry(cu):
    calc, c = cu
    from ase.build import bulk
    C = elastic_constants(bulk("Cu", "fcc", a=c.a0, cubic=True), calc)
    assert np.allclose(C, C.T, atol=1e-3)
    assert np.abs(C[:3, 3:]).max() < 1e-3 and np.abs(C[3:, 3:] - np.diag(np.diag(C[3:, 3:]))).max() < 1e-3


@pytest.mark.parametrize("miller,ref", [((1, 0, 0), 1345.3), ((1, 1, 0), 1475.5),
                                        ((1, 1, 1), 1239.5)])
def test_surface_energies(cu, miller, ref):
    calc, c = cu
    gamma = surface_energy(calc, "Cu", "fcc", c.a0, miller, layers=12)
    assert abs(gamma - ref) / ref < 5e-3


def test_lennard_jones_fcc():
    """epsilon = sigma = 1, cutoff 2.5: a0 = 1.5496, C11 = 97.71, C12 = C44 = 55.63, E_coh."""
    calc = Calculator(style="lj/cut", epsilon=1.0, sigma=1.0, cutoff=2.5)
    c = cubic_constants(calc, "Ar", "fcc", guess=1.55)
    to_reduced = 1 / EV_PER_A3_IN_GPA  # epsilon/sigma^3 when both are 1 eV and 1 A
    assert abs(c.a0 - 1.5496) < 1e-4
    assert abs(c.E_coh - 8.0996) < 1e-4
    assert abs(c.C11 * to_reduced - 97.71) < 0.05
    assert abs(c.C12 * to_reduced - 55.63) < 0.05
    assert abs(c.C44 * to_reduced - 55.63) < 0.05
    shifted = Calculator(style="lj/cut", epsilon=1.0, sigma=1.0, cutoff=2.5, shift=True)
    c_shift = cubic_constants(shifted, "Ar", "fcc", guess=1.55)
    assert abs(c_shift.E_coh - 7.4633) < 1e-4


@pytest.mark.parametrize("style, params, element, lattice", [
    ("eam/fs", {"file": "Fe_mm.eam.fs", "elements": ["Fe"]}, "Fe", "bcc"),
    ("morse", {"D0": 0.3429, "alpha": 1.3588, "r0": 2.866, "cutoff": 10.0}, "Cu", "fcc"),
    ("lj/cut", {"epsilon": 0.0104, "sigma": 3.40, "cutoff": 15.0}, "Ar", "fcc"),
])
def test_equilibrium_lattice_constant_needs_no_guess(style, params, element, lattice):
    """The scan finds the zero-pressure lattice constant of short- and long-cutoff
    potentials alike (a long-cutoff pair potential has its first shell at a quarter
    of the cutoff)."""
    from qcsim import Calculator
    from qcsim.analysis.bulk import equilibrium_lattice_constant, lattice_constant, pressure

    calc = Calculator(style=style, **params)
    a0 = equilibrium_lattice_constant(calc, element, lattice, calc.potential.cutoff)
    assert abs(pressure(calc, element, lattice, a0)) < 1e-8
    assert a0 == pytest.approx(lattice_constant(calc, element, lattice, guess=a0, bracket=0.02),
                               abs=1e-9)
