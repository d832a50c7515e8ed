"""The pre-crack as an object: a planar cut between two lattice planes.

A :class:`Slit` runs from the outer boundary to its tip at ``tip_x`` along
axis ``along`` (x), between the lattice planes ``row - 1`` and ``row`` of
the site coordinate ``normal`` (the rows j of a slab lattice, planes normal to
y).  Everything that needs to know which side of the crack a site or an
element lies on asks the cut, not the site indices.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Slit"]


@dataclass(frozen=True)
class Slit:
    """A crack from the outer boundary to ``tip_x`` between planes ``row - 1`` and
    ``row`` of the site coordinate ``normal``; ``row`` is the first plane above it.

    ``along`` is the position axis the crack runs along (its faces are the
    sites with ``x[along] <= tip_x``)."""

    tip_x: float
    row: int
    normal: int = 1
    along: int = 0

    def above(self, site_nk) -> np.ndarray:
        """(n,) True for sites on the upper side (plane index >= ``row``)."""
        return np.asarray(site_nk)[..., self.normal] >= self.row

    def on_face_planes(self, site_nk) -> np.ndarray:
        """(n,) True for sites on the two planes that bound the cut."""
        j = np.asarray(site_nk)[..., self.normal]
        return (j == self.row) | (j == self.row - 1)

    def behind(self, X_nc, tol: float = 1e-9) -> np.ndarray:
        """(n,) True for positions behind the tip (``x <= tip_x``, within ``tol``)."""
        return np.asarray(X_nc)[..., self.along] <= self.tip_x + tol

    def straddles(self, site_tak) -> np.ndarray:
        """(t,) True for elements (their nodes' sites, (t, a, k)) with nodes on both sides."""
        j = np.asarray(site_tak)[..., self.normal]
        return (j.min(axis=1) < self.row) & (j.max(axis=1) >= self.row)

    def face_labels(self, site_nk, X_nc) -> np.ndarray:
        """(n,) 1 for sites of the upper face behind the tip, 2 for the lower face, 0
        elsewhere (faces whose atoms do not interact across the cut)."""
        behind = self.behind(X_nc)
        return np.where(behind, np.where(self.above(site_nk), 1, 2), 0).astype(np.int32)

    def moved_to(self, tip_x: float) -> "Slit":
        """The same cut with its tip at ``tip_x``."""
        return Slit(float(tip_x), self.row, self.normal, self.along)
