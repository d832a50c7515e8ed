"""Slab mode: a crystal periodic along z with its shortest period there.

Every lattice site of the slab lies on a line parallel to z through one point
of a 2-D lattice in the x-y plane (the projection of the crystal along z), so
the sites of one period are indexed by two integers ``(i, j)``::

    X = i u1 + j u2  (z wrapped into [0, Lz))

where ``u1, u2`` are 3-D lattice vectors whose projections ``b1, b2`` span
the 2-D lattice.  When a lattice vector projects onto the x axis, ``b1`` is
the shortest such one, so rows of constant ``j`` are atomic planes normal to y
(where a crack plane lies between two rows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcsim.errors import GeometryError
from qcsim.lattice.crystal import Crystal

__all__ = ["SlabLattice"]


@dataclass(frozen=True)
class SlabLattice:
    """The 2-D site lattice of a crystal that is periodic along z.

    Attributes
    ----------
    crystal : the oriented crystal.
    Lz : period along z (A).
    u_kc : (2, 3) lattice vectors whose x-y projections span the 2-D lattice.
    area : area per site in the x-y plane (A^2) = atomic volume / Lz.
    """

    crystal: Crystal
    Lz: float
    u_kc: np.ndarray
    area: float
    dim = 2  # the site coordinates (i, j); z is periodic

    @classmethod
    def of(cls, crystal: Crystal) -> "SlabLattice":
        Lz = crystal.period_along(2)
        area = crystal.atomic_volume / Lz
        R = crystal.lattice_vectors(4.0 * max(Lz, crystal.a))
        p = R[:, :2]
        plen = np.linalg.norm(p, axis=1)
        ok = plen > 1e-8
        R, p, plen = R[ok], p[ok], plen[ok]
        tol = 1e-8 * crystal.a
        along_x = np.abs(p[:, 1]) < tol
        pool = np.nonzero(along_x & (p[:, 0] > 0))[0]
        if len(pool) == 0:
            pool = np.nonzero(plen > 0)[0]
        k1 = pool[np.argmin(plen[pool])]
        cross = p[k1, 0] * p[:, 1] - p[k1, 1] * p[:, 0]
        cand = np.nonzero(np.abs(cross - area) < 1e-6 * area)[0]
        if len(cand) == 0:
            raise GeometryError("could not find a 2-D basis of the projected lattice")
        # the shortest second vector, preferring the most orthogonal one
        k2 = cand[np.lexsort((np.abs(p[cand] @ p[k1]), np.round(plen[cand], 9)))[0]]
        u = np.array([R[k1], R[k2]])
        u[:, 2] = np.mod(u[:, 2], Lz)
        return cls(crystal, float(Lz), u, float(area))

    @property
    def b_kc(self) -> np.ndarray:
        """(2, 2) basis of the projected lattice (rows, A)."""
        return self.u_kc[:, :2]

    @property
    def row_spacing(self) -> float:
        """Distance between rows of constant j (atomic planes normal to y when b1 || x)."""
        return abs(self.area / np.linalg.norm(self.b_kc[0]))

    def positions(self, ij_n: np.ndarray) -> np.ndarray:
        """Reference positions (n, 3) of the sites with integer coordinates ``ij_n``."""
        X = np.asarray(ij_n, dtype=float) @ self.u_kc
        X[:, 2] = np.mod(X[:, 2], self.Lz)
        X[np.abs(X[:, 2] - self.Lz) < 1e-9, 2] = 0.0
        return X

    def coordinates(self, xy_n: np.ndarray) -> np.ndarray:
        """Real-valued lattice coordinates (i, j) of in-plane points (n, 2)."""
        return np.asarray(xy_n, dtype=float) @ np.linalg.inv(self.b_kc)

    def sites_in_box(self, lo, hi) -> np.ndarray:
        """Integer coordinates (n, 2) of the sites whose projection lies in [lo, hi)."""
        corners = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [lo[0], hi[1]], [hi[0], hi[1]]])
        c = self.coordinates(corners)
        i0, j0 = np.floor(c.min(axis=0)).astype(int) - 1
        i1, j1 = np.ceil(c.max(axis=0)).astype(int) + 1
        ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1), indexing="ij")
        ij = np.column_stack([ii.ravel(), jj.ravel()])
        xy = ij @ self.b_kc
        keep = (xy[:, 0] >= lo[0]) & (xy[:, 0] < hi[0]) & (xy[:, 1] >= lo[1]) & (xy[:, 1] < hi[1])
        return ij[keep]

    def sites_in_ball(self, center, radius: float) -> np.ndarray:
        """The sites within ``radius`` of ``center`` (x, y): :meth:`sites_in_disk`."""
        return self.sites_in_disk(center, radius)

    def sites_in_disk(self, center, radius: float) -> np.ndarray:
        """Integer coordinates (n, 2) of the sites within ``radius`` of ``center`` (x, y)."""
        center = np.asarray(center, dtype=float)
        ij = self.sites_in_box(center - radius, center + radius + 1e-9)
        d = ij @ self.b_kc - center
        return ij[np.einsum("nc,nc->n", d, d) <= radius * radius]
