"""Bulk and surface properties of a crystal from any ASE calculator at 0 K.

Units: A, eV, GPa; surface energies in mJ/m^2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase.build import bulk as ase_bulk
from ase.build import surface as ase_surface
from scipy.optimize import brentq

from qcsim.errors import ConvergenceError
from qcsim.units import EV_PER_A2_IN_MJ_PER_M2, EV_PER_A3_IN_GPA


__all__ = ["lattice_constant", "equilibrium_lattice_constant", "pressure", "cohesive_energy", "elastic_constants", "cubic_constants",
           "surface_energy", "CubicConstants", "EV_PER_A3_IN_GPA", "EV_PER_A2_IN_MJ_PER_M2"]


def _cubic_cell(element, lattice, a):
    return ase_bulk(element, lattice, a=a, cubic=True)


def _pressure(calc, element, lattice, a):
    atoms = _cubic_cell(element, lattice, a)
    atoms.calc = calc
    return -np.trace(atoms.get_stress(voigt=False)) / 3.0


def lattice_constant(calc, element: str, lattice: str = "fcc", guess: float = 3.6,
                     bracket: float = 0.1, xtol: float = 1e-12) -> float:
    """Cubic lattice constant at zero pressure (A).

    Solves ``p(a) = 0`` by Brent's method on the analytic stress, which is far
    more precise than minimising the energy.
    """
    lo, hi = guess * (1 - bracket), guess * (1 + bracket)
    f = lambda a: _pressure(calc, element, lattice, a)  # noqa: E731
    plo, phi = f(lo), f(hi)
    if plo * phi > 0:
        raise ConvergenceError(f"no zero-pressure lattice constant in [{lo:.4f}, {hi:.4f}] A")
    return float(brentq(f, lo, hi, xtol=xtol, rtol=1e-15))


def pressure(calc, element: str, lattice: str, a: float) -> float:
    """Pressure (GPa) of the perfect cubic crystal with lattice constant ``a``."""
    return float(_pressure(calc, element, lattice, a) * EV_PER_A3_IN_GPA)


# Nearest-neighbour distance per lattice constant.
_NN_PER_A = {"fcc": 0.5 ** 0.5, "bcc": 3 ** 0.5 / 2}


def equilibrium_lattice_constant(calc, element: str, lattice: str, cutoff: float,
                                 points: int = 81) -> float:
    """The potential's own zero-pressure lattice constant (A), found without a guess.

    The energy per atom is sampled with nearest-neighbour distances from 0.15
    to 0.95 ``cutoff`` (metal potentials put their first shell near half the
    cutoff; a pair potential with a long cutoff nearer a quarter of it);
    the lowest sample brackets the minimum, where the pressure is solved to
    zero (:func:`lattice_constant`).

    Raises
    ------
    ConvergenceError
        When the crystal is not bound within that range.
    """
    nn = _NN_PER_A[lattice]
    grid = np.linspace(0.15, 0.95, points) * cutoff / nn
    energy = np.array([-cohesive_energy(calc, element, lattice, a) for a in grid])
    k = int(np.argmin(energy))
    if k in (0, points - 1) or energy[k] >= 0:
        raise ConvergenceError(f"the {lattice} {element} crystal has no energy minimum with "
                               f"a between {grid[0]:.3f} and {grid[-1]:.3f} A")
    lo, hi = grid[k - 1], grid[k + 1]
    return float(brentq(lambda a: _pressure(calc, element, lattice, a), lo, hi, xtol=1e-12,
                        rtol=1e-15))


def cohesive_energy(calc, element: str, lattice: str, a: float) -> float:
    """Cohesive energy per atom (eV, positive for a bound crystal)."""
    atoms = _cubic_cell(element, lattice, a)
    atoms.calc = calc
    return -atoms.get_potential_energy() / len(atoms)


def elastic_constants(atoms, calc, strain: float = 1e-5) -> np.ndarray:
    """The 6x6 elastic tensor (Voigt, GPa) by central differences of the stress.

    Homogeneous strains of +-``strain`` are applied to the cell and the
    atoms (no internal relaxation: exact for simple lattices such as fcc and
    bcc).  Shear columns use engineering strain (gamma = 2 epsilon).
    """
    voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    C = np.zeros((6, 6))
    for col, (a, b) in enumerate(voigt):
        sig = []
        for sgn in (+1, -1):
            eps = np.zeros((3, 3))
            if a == b:
                eps[a, a] = sgn * strain
            else:
                eps[a, b] = eps[b, a] = 0.5 * sgn * strain
            strained = atoms.copy()
            strained.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
            strained.calc = calc
            sig.append(strained.get_stress(voigt=True))
        C[:, col] = (sig[0] - sig[1]) / (2 * strain)
    return C * EV_PER_A3_IN_GPA


@dataclass(frozen=True)
class CubicConstants:
    a0: float  # A
    E_coh: float  # eV/atom
    C11: float  # GPa
    C12: float
    C44: float


def cubic_constants(calc, element: str, lattice: str = "fcc", guess: float = 3.6,
                    strain: float = 1e-5) -> CubicConstants:
    """a0, E_coh and C11, C12, C44 of a cubic crystal."""
    a0 = lattice_constant(calc, element, lattice, guess)
    C = elastic_constants(_cubic_cell(element, lattice, a0), calc, strain)
    c11 = np.mean([C[0, 0], C[1, 1], C[2, 2]])
    c12 = np.mean([C[0, 1], C[0, 2], C[1, 2], C[1, 0], C[2, 0], C[2, 1]])
    c44 = np.mean([C[3, 3], C[4, 4], C[5, 5]])
    return CubicConstants(a0, cohesive_energy(calc, element, lattice, a0), c11, c12, c44)


def surface_energy(calc, element: str, lattice: str, a: float, miller: tuple[int, int, int],
                   layers: int = 12, vacuum: float = 10.0, relax: bool = True,
                   fmax: float = 1e-5) -> float:
    """Energy of the free surface ``miller`` (mJ/m^2).

    A slab periodic in-plane with two free surfaces, relaxed when ``relax``:
    gamma = (E_slab - N E_bulk) / (2 A).
    """
    from qcsim.solvers import relax as relax_atoms

    unit = _cubic_cell(element, lattice, a)
    unit.calc = calc
    e_bulk = unit.get_potential_energy() / len(unit)
    slab = ase_surface(ase_bulk(element, lattice, a=a, cubic=True), miller, layers,
                       vacuum=vacuum, periodic=False)
    slab.pbc = (True, True, False)
    slab.calc = calc
    if relax:
        res = relax_atoms(slab, method="lbfgs", fmax=fmax, max_steps=5000)
        if not res.converged:
            raise ConvergenceError(f"surface {miller} slab did not relax: {res.message}")
    area = np.linalg.norm(np.cross(slab.cell[0], slab.cell[1]))
    gamma = (slab.get_potential_energy() - len(slab) * e_bulk) / (2 * area)
    return float(gamma * EV_PER_A2_IN_MJ_PER_M2)
