"""Bulk mode: the 3-D site lattice of a Bravais crystal, indexed by three integers.

``X = n1 a1 + n2 a2 + n3 a3`` with the crystal's primitive vectors (lab
frame).  It answers the questions a site lattice answers for a mesh
generator and a builder, in three dimensions: the sites in a box or a ball,
their positions, the lattice coordinates of a point.  :class:`SlabLattice`
is the same interface in two dimensions (the crystal periodic along z).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from qcsim.lattice.crystal import Crystal

__all__ = ["BulkLattice"]


@dataclass(frozen=True)
class BulkLattice:
    """The sites of ``crystal`` in three dimensions (``dim = 3``).

    Attributes: ``b_kc`` (3, 3) the primitive vectors (rows, A); ``volume`` the
    volume per site (A^3).
    """

    crystal: Crystal
    dim = 3

    @classmethod
    def of(cls, crystal: Crystal) -> "BulkLattice":
        return cls(crystal)

    @property
    def b_kc(self) -> np.ndarray:
        return self.crystal.primitive_vectors

    @property
    def volume(self) -> float:
        return self.crystal.atomic_volume

    def positions(self, n_nk) -> np.ndarray:
        """Reference positions (n, 3) of the sites with integer coordinates ``n_nk``."""
        return np.asarray(n_nk, dtype=float).reshape(-1, 3) @ self.b_kc

    def coordinates(self, X_nc) -> np.ndarray:
        """Real-valued lattice coordinates (n, 3) of points (n, 3)."""
        return np.asarray(X_nc, dtype=float).reshape(-1, 3) @ np.linalg.inv(self.b_kc)

    def sites_in_box(self, lo, hi) -> np.ndarray:
        """Integer coordinates (n, 3) of the sites in the box [lo, hi)."""
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        corners = np.array(list(itertools.product(*zip(lo, hi))))
        c = self.coordinates(corners)
        n0 = np.floor(c.min(axis=0)).astype(int) - 1
        n1 = np.ceil(c.max(axis=0)).astype(int) + 1
        grid = np.meshgrid(*(np.arange(a, b + 1) for a, b in zip(n0, n1)), indexing="ij")
        n = np.column_stack([g.ravel() for g in grid]).astype(np.int64)
        X = n @ self.b_kc
        return n[np.all((X >= lo) & (X < hi), axis=1)]

    def sites_in_ball(self, center, radius: float) -> np.ndarray:
        """Integer coordinates (n, 3) of the sites within ``radius`` of ``center``."""
        center = np.asarray(center, dtype=float)
        n = self.sites_in_box(center - radius, center + radius + 1e-9)
        d = n @ self.b_kc - center
        return n[np.einsum("nc,nc->n", d, d) <= radius * radius]
