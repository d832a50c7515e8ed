"""Mesh generators: one interface, a backend per kind of mesh.

A generator turns a site lattice, the shape that must be fully resolved (every
site inside it a node), the domain (a ball) and an optional cut into a
:class:`~qcsim.mesh.mesh.Mesh` whose nodes are lattice sites::

    mesh = generator.generate(lattice, resolved, domain, cut=None)

* :class:`GradedSlabMesher` -- 2-D, graded away from the resolved disks
  (nested sub-lattices, Shewchuk's Triangle; :func:`qcsim.mesh.graded.graded_mesh`);
* :class:`ResolvedSlabMesher` -- 2-D, every site of the domain a node (a
  fully atomistic model);
* :class:`DelaunayMesher` -- any dimension, every site of the domain a node
  (Delaunay simplices, degenerate ones dropped): the first 3-D backend.

The builder (:mod:`qcsim.build`) asks a generator; a new kind of mesh (3-D
graded, another library) is one more class with the same ``generate``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qcsim.errors import GeometryError
from qcsim.geometry import Ball, Union
from qcsim.mesh.mesh import Mesh

__all__ = ["MeshGenerator", "GradedSlabMesher", "ResolvedSlabMesher", "DelaunayMesher"]


class MeshGenerator(Protocol):
    dim: int

    def generate(self, lattice, resolved, domain: Ball, cut=None) -> Mesh:
        """A mesh of the sites of ``domain`` with every site in ``resolved`` a node."""


def _disks(resolved) -> list:
    """(cx, cy, r) rows of a 2-D union of balls."""
    shapes = resolved.shapes if isinstance(resolved, Union) else (resolved,)
    if not all(isinstance(s, Ball) and s.dim == 2 for s in shapes):
        raise GeometryError("the graded slab mesher resolves unions of disks")
    return [(*s.center, s.radius) for s in shapes]


@dataclass(frozen=True)
class GradedSlabMesher:
    """Graded slab mesh: element layers grow by ``growth`` away from the resolved disks."""

    growth: float = 1.25
    dim = 2

    def generate(self, lattice, resolved, domain: Ball, cut=None) -> Mesh:
        from qcsim.mesh.graded import graded_mesh

        return graded_mesh(lattice, _disks(resolved), domain.center, domain.radius,
                           self.growth, cut)


@dataclass(frozen=True)
class ResolvedSlabMesher:
    """Every site of the domain disk a node (``resolved`` is not needed)."""

    dim = 2

    def generate(self, lattice, resolved, domain: Ball, cut=None) -> Mesh:
        from qcsim.mesh.graded import cut_slit_bridges, triangulate_sites

        ij = lattice.sites_in_disk(domain.center, domain.radius)
        T = triangulate_sites(ij @ lattice.b_kc, ij, cut)
        if cut is not None:
            ij, T = cut_slit_bridges(ij, ij @ lattice.b_kc, T, cut)
        return Mesh(lattice.positions(ij), T, dim=2, thickness=lattice.Lz, site_nk=ij)


@dataclass(frozen=True)
class DelaunayMesher:
    """Every site of the domain ball a node, in the lattice's dimension (2 or 3):
    the Delaunay simplices of the sites, positively oriented, with the
    degenerate ones (volume below ``sliver`` times the volume per site) dropped.
    No cut."""

    sliver: float = 1e-6

    def generate(self, lattice, resolved, domain: Ball, cut=None) -> Mesh:
        from scipy.spatial import Delaunay

        if cut is not None:
            raise GeometryError("the Delaunay mesher does not cut: use a slab mesher")
        sites = lattice.sites_in_ball(domain.center, domain.radius)
        X = lattice.positions(sites)
        d = lattice.dim
        T = Delaunay(X[:, :d], qhull_options="QJ Qbb").simplices.astype(np.int64)
        E = X[T[:, 1:], :d] - X[T[:, :1], :d]
        vol = np.linalg.det(E)
        flip = vol < 0
        T[flip] = T[flip][:, [1, 0] + list(range(2, d + 1))]
        per_site = lattice.volume if d == 3 else lattice.area
        T = T[np.abs(vol) > self.sliver * per_site]
        thickness = 1.0 if d == 3 else lattice.Lz
        return Mesh(X, T, dim=d, thickness=thickness, site_nk=sites)
