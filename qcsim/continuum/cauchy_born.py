"""Cauchy-Born: the continuum energy density of a homogeneously deformed lattice.

``CauchyBorn(potential, R_kc, volume)`` evaluates, for a batch of deformation
gradients F (one per element), the energy density W(F) per reference volume,
the first Piola-Kirchhoff stress P = dW/dF and on request the tangent
C = dP/dF, from the same potential (and, for EAM, the same LAMMPS tables) as
the atomistic kernels.  For a simple (Bravais) lattice the resulting elastic
constants equal the atomistic ones.
"""
from __future__ import annotations

import numpy as np

from qcsim.errors import GeometryError
from qcsim.potentials.base import LatticeShell

__all__ = ["CauchyBorn", "OutOfRangeError"]


class OutOfRangeError(GeometryError):
    """A deformation gradient outside the range the neighbour shell was built for."""


class CauchyBorn:
    """Cauchy-Born energy of one Bravais lattice under a potential.

    Parameters
    ----------
    potential : a qcsim potential; it supplies the energy density of a deformed
        lattice itself (``potential.cauchy_born``, see
        :class:`qcsim.potentials.base.Potential`).
    R_kc : (k, 3) lattice vectors of the reference lattice (A); every vector
        that can come within the cutoff under the deformations of interest.
    volume : reference volume per site (A^3).
    species : type index of the lattice's element.
    """

    def __init__(self, potential, R_kc: np.ndarray, volume: float, species: int = 0):
        self.potential = potential
        self.R_kc = np.ascontiguousarray(R_kc, dtype=np.float64)
        self.volume = float(volume)
        self._R_half, self._Rlen_half = _half_shell(self.R_kc)
        self.species = int(species)
        self.shell = LatticeShell(self.R_kc, self._R_half, self._Rlen_half, self.volume,
                                  self.species)
        self._min_excluded = np.inf  # |R| of the shortest vector left out (set by of_crystal)

    @classmethod
    def of_crystal(cls, potential, crystal, margin: float = 1.3, species: int = 0) -> "CauchyBorn":
        """All lattice vectors within ``margin`` times the cutoff."""
        R = crystal.lattice_vectors(margin * potential.cutoff)
        cb = cls(potential, R, crystal.atomic_volume, species)
        cb._min_excluded = margin * potential.cutoff
        return cb

    def evaluate(self, F_tcc: np.ndarray, tangent: bool = False):
        """W_t (eV/A^3), P_tcc (eV/A^3) and C_tcccc (eV/A^3, or None).

        ``C_tcccc[t, i, J, k, L] = dP_iJ / dF_kL``.
        """
        F = np.ascontiguousarray(F_tcc, dtype=np.float64).reshape(-1, 3, 3)
        n = len(F)
        W = np.zeros(n)
        P = np.zeros((n, 3, 3))
        C = np.zeros((n, 3, 3, 3, 3)) if tangent else np.zeros((1, 3, 3, 3, 3))
        smin = self.potential.cauchy_born(F, self.shell, W, P, C, tangent)
        self._check_range(smin)
        return W, P, (C if tangent else None)

    def _check_range(self, smin):
        """The shortest image of a vector left out is >= sigma_min(F) |R|: it must
        stay outside the cutoff, or the shell was too small for this F."""
        if not np.isfinite(self._min_excluded):
            return
        if smin * self._min_excluded < self.potential.cutoff:
            raise OutOfRangeError(f"deformation too large for the Cauchy-Born neighbour shell "
                                f"(smallest stretch {smin:.3f}); build it with a larger margin")


def _half_shell(R_kc):
    """One vector of each +-R pair, sorted by length; the kernel doubles every sum."""
    R = np.asarray(R_kc, dtype=np.float64)
    key = np.where(np.abs(R[:, 0]) > 1e-12, R[:, 0],
                   np.where(np.abs(R[:, 1]) > 1e-12, R[:, 1], R[:, 2]))
    half = R[key > 0]
    if 2 * len(half) != len(R):
        raise ValueError("the lattice vectors must come in +-R pairs")
    length = np.linalg.norm(half, axis=1)
    order = np.argsort(length, kind="stable")
    return np.ascontiguousarray(half[order]), np.ascontiguousarray(length[order])
