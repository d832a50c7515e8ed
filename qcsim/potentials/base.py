"""The contract every potential fulfils, and the registry of LAMMPS style names.

A potential evaluates the weighted energy ``E = sum_i w_i E_i`` of a set of
sites and its exact gradient, given a :class:`~qcsim.neighbors.NeighborList`
that is up to date for the positions.  Weights are how the QC model expresses
the handshake zone and pad atoms; plain atomistics uses ``w = 1``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

__all__ = ["Evaluation", "LatticeShell", "Potential", "register", "make_potential", "STYLES"]


@dataclass
class Evaluation:
    """What one evaluation returns.

    Attributes
    ----------
    energy : weighted total energy ``sum_i w_i E_i`` (eV).
    forces_ic : (n, 3) minus the gradient of ``energy`` (eV/A).
    virial_cc : (3, 3) ``sum over pairs of r_ij (x) f_ij`` of the weighted
        energy (eV); the stress of a periodic cell is ``-virial / volume``.
    energies_i : (n,) unweighted per-site energies ``E_i`` (eV), or None.
    virial_i6 : (n, 6) per-site virials (xx, yy, zz, xy, xz, yz) (eV), or None:
        half of every pair's ``r_ij (x) f_ij`` on each of its sites (LAMMPS's
        ``compute stress/atom`` split); they sum to ``virial_cc``.
    """

    energy: float
    forces_ic: np.ndarray
    virial_cc: np.ndarray
    energies_i: np.ndarray | None = None
    virial_i6: np.ndarray | None = None


@dataclass(frozen=True)
class LatticeShell:
    """The reference lattice a Cauchy-Born evaluation sums over.

    Attributes
    ----------
    R_kc : (k, 3) every lattice vector that can come within the cutoff (A), in
        +-R pairs.
    R_half : (k/2, 3) one vector of each pair, sorted by length; Rlen_half their
        lengths (A).
    volume : reference volume per site (A^3).
    species : type index of the lattice's element.
    """

    R_kc: np.ndarray
    R_half: np.ndarray
    Rlen_half: np.ndarray
    volume: float
    species: int = 0


class Potential(Protocol):
    """What a potential offers (one class per LAMMPS style, one file each)."""

    style: str
    cutoff: float
    species: list[str] | None  # element name of each type index; None = untyped

    def compute(self, nlist, x_ic: np.ndarray, types_i: np.ndarray,
                weights_i: np.ndarray | None = None,
                energies: bool = True, virials: bool = False, halo=None) -> Evaluation:
        """Weighted energy, forces, virial (and per-site energies and virials).

        ``nlist`` must be up to date for ``x_ic`` (see NeighborList.update).
        ``types_i`` indexes ``species``; ``weights_i`` defaults to ones.  ``halo``:
        this rank's share of a distributed system (:class:`qcsim.parallel.domain.AtomDomain`).
        """
        ...

    def cauchy_born(self, F_tcc: np.ndarray, shell: LatticeShell, W_t: np.ndarray,
                    P_tcc: np.ndarray, C_tcccc: np.ndarray, tangent: bool) -> float:
        """The Cauchy-Born energy density of ``shell`` deformed by each F_t.

        Fills W_t (eV/A^3 of reference volume), the first Piola-Kirchhoff stress
        P_tcc = dW/dF and, when ``tangent``, C_tcccc = dP/dF (zeros on entry);
        returns the smallest singular value of the F's (for the shell's range
        check).  Each potential supplies its own (qcsim.continuum.cauchy_born
        calls it).
        """
        ...


STYLES: dict[str, Callable[..., Potential]] = {}


def register(name: str):
    """Class decorator: make a potential available under a LAMMPS style name."""

    def deco(cls):
        STYLES[name] = cls
        return cls

    return deco


def make_potential(style: str, **params) -> Potential:
    """Build a potential from its LAMMPS style name and parameters."""
    from qcsim import potentials  # noqa: F401  (imports register the styles)

    if style not in STYLES:
        raise ValueError(f"unknown potential style {style!r}; known: {', '.join(sorted(STYLES))}")
    return STYLES[style](**params)
