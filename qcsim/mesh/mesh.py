"""The mesh as data: nodes on lattice sites and simplices of dimension d.

A mesh of dimension ``d`` (1, 2 or 3) lives in 3-D: node reference positions
``X_nc`` are full 3-D site positions, and the first ``d`` coordinates are the
mesh coordinates.  In slab mode (d = 2) the crystal is periodic along z with
period ``thickness``; every element then stands for a prism of that height.
Functions here never modify a mesh: refinement returns a new one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from qcsim._kernels.cauchy_born import gather_deformation_gradients
from qcsim.errors import GeometryError

__all__ = ["Mesh", "MeshQuality"]


@dataclass(frozen=True)
class MeshQuality:
    n_elements: int
    min_measure: float  # smallest element length/area/volume
    min_angle_deg: float  # d = 2 only (nan otherwise)
    max_aspect: float  # longest edge / (2 sqrt(3) inradius) for d = 2, 1 for a regular element
    n_inverted: int

    def summary(self) -> str:
        return (f"{self.n_elements} elements, min measure {self.min_measure:.3g}, "
                f"min angle {self.min_angle_deg:.1f} deg, max aspect {self.max_aspect:.2f}, "
                f"{self.n_inverted} inverted")


@dataclass(frozen=True, eq=False)
class Mesh:
    """Simplicial mesh whose nodes are lattice sites.

    Attributes
    ----------
    X_nc : (n_nodes, 3) reference positions (A).
    elements_ta : (n_elements, d + 1) node indices, positively oriented.
    dim : mesh dimension d.
    thickness : measure of the periodic directions not meshed (A^(3-d)),
        e.g. the slab period Lz; element volume = measure_t * thickness.
    site_nk : optional (n_nodes, k) integer lattice coordinates of the nodes.
    """

    X_nc: np.ndarray
    elements_ta: np.ndarray
    dim: int
    thickness: float = 1.0
    site_nk: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if self.elements_ta.ndim != 2 or self.elements_ta.shape[1] != self.dim + 1:
            raise GeometryError(f"elements must have {self.dim + 1} nodes each")

    @property
    def n_nodes(self) -> int:
        return len(self.X_nc)

    @property
    def n_elements(self) -> int:
        return len(self.elements_ta)

    @cached_property
    def jacobians_tdd(self) -> np.ndarray:
        """(n_el, d, d) columns are edge vectors X_a - X_0, a = 1..d."""
        X = self.X_nc[:, : self.dim]
        E = X[self.elements_ta[:, 1:]] - X[self.elements_ta[:, :1]]  # (t, d, d) rows = edges
        return np.swapaxes(E, 1, 2)

    @cached_property
    def measures_t(self) -> np.ndarray:
        """Signed length/area/volume of each element (positive = well oriented)."""
        fact = {1: 1.0, 2: 0.5, 3: 1.0 / 6.0}[self.dim]
        return fact * np.linalg.det(self.jacobians_tdd)

    @cached_property
    def volumes_t(self) -> np.ndarray:
        """Reference volume of each element (A^3): measure times thickness."""
        return np.abs(self.measures_t) * self.thickness

    @cached_property
    def grad_tad(self) -> np.ndarray:
        """(n_el, d + 1, d) gradients of the P1 shape functions in the reference frame."""
        Jinv = np.linalg.inv(self.jacobians_tdd)  # (t, d, d)
        G = np.empty((self.n_elements, self.dim + 1, self.dim))
        G[:, 1:, :] = Jinv  # row a-1 of J^-1 is grad N_a
        G[:, 0, :] = -Jinv.sum(axis=1)
        return G

    def deformation_gradients(self, U_nc: np.ndarray, elements=None) -> np.ndarray:
        """F_tcc = I + sum_a U_a (x) grad N_a; derivatives along unmeshed axes are 0.

        ``elements``: optional indices of the elements wanted (default: all).
        """
        T, G = self.elements_ta, self.grad_tad
        if elements is not None:
            T, G = T[elements], G[elements]
        F = np.empty((len(T), 3, 3))
        gather_deformation_gradients(np.ascontiguousarray(U_nc, dtype=np.float64),
                                     np.ascontiguousarray(T, dtype=np.int64), G, F)
        return F

    def quality(self) -> MeshQuality:
        m = self.measures_t
        inverted = int(np.sum(m <= 0))
        if self.dim == 2:
            X = self.X_nc[:, :2][self.elements_ta]
            e = np.stack([X[:, 1] - X[:, 0], X[:, 2] - X[:, 1], X[:, 0] - X[:, 2]], axis=1)
            L = np.linalg.norm(e, axis=2)
            ang = []
            for k in range(3):
                a, b = -e[:, k - 1], e[:, k]
                ang.append(np.degrees(np.arccos(np.clip(
                    np.einsum("tc,tc->t", a, b) / (L[:, k - 1] * L[:, k]), -1, 1))))
            inradius = 2 * np.abs(m) / L.sum(axis=1)
            aspect = L.max(axis=1) / (2 * np.sqrt(3) * inradius)
            return MeshQuality(self.n_elements, float(np.abs(m).min()), float(np.min(ang)),
                               float(aspect.max()), inverted)
        return MeshQuality(self.n_elements, float(np.abs(m).min()), float("nan"), 1.0, inverted)

    def boundary_facets(self) -> np.ndarray:
        """Facets (k, dim) that belong to one element, as sorted node indices."""
        T = self.elements_ta
        facets = np.concatenate([np.delete(T, k, axis=1) for k in range(self.dim + 1)])
        facets = np.sort(facets, axis=1)
        if float(self.n_nodes) ** self.dim >= 2.0**62:
            uniq, counts = np.unique(facets, axis=0, return_counts=True)
            return uniq[counts == 1]
        # one int64 per facet (its nodes as digits in base n_nodes): a sort of keys,
        # not of rows, in the same (lexicographic) order
        key = np.zeros(len(facets), dtype=np.int64)
        for k in range(self.dim):
            key = key * self.n_nodes + facets[:, k]
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        return facets[first[counts == 1]]

    def boundary_nodes(self) -> np.ndarray:
        """Indices of nodes on the boundary (facets that belong to one element)."""
        return np.unique(self.boundary_facets())
