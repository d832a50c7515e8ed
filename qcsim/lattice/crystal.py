"""Cubic crystals in any orientation given by three Miller directions.

The lab frame has x, y, z along the (normalised, mutually orthogonal)
directions ``orient = [[h,k,l] for x, [h,k,l] for y, [h,k,l] for z]``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from qcsim.errors import GeometryError

__all__ = ["Crystal", "PRIMITIVE"]

# primitive vectors in units of the cubic lattice constant (rows)
PRIMITIVE = {
    "fcc": np.array([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]),
    "bcc": np.array([[-0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.5, 0.5, -0.5]]),
    "sc": np.eye(3),
}


@dataclass(frozen=True)
class Crystal:
    """A cubic Bravais crystal rotated into the lab frame.

    Parameters
    ----------
    lattice : "fcc", "bcc" or "sc".
    a : cubic lattice constant (A).
    orient : Miller directions of the lab x, y, z axes (rows); must be
        mutually orthogonal and right-handed.
    element : chemical symbol of the atoms.
    """

    lattice: str
    a: float
    orient: tuple = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    element: str = "Cu"
    rotation: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.lattice not in PRIMITIVE:
            raise GeometryError(f"unknown lattice {self.lattice!r}; known: {', '.join(PRIMITIVE)}")
        if not self.a > 0:
            raise GeometryError(f"lattice constant must be positive, got {self.a}")
        o = np.array(self.orient, dtype=float)
        if o.shape != (3, 3) or np.any(np.linalg.norm(o, axis=1) == 0):
            raise GeometryError("orient needs three non-zero Miller directions [x, y, z]")
        gram = o @ o.T
        if np.abs(gram - np.diag(np.diag(gram))).max() > 1e-9:
            raise GeometryError(f"orientation directions {self.orient} are not mutually orthogonal")
        if np.dot(np.cross(o[0], o[1]), o[2]) <= 0:
            raise GeometryError(f"orientation {self.orient} is left-handed (x cross y must point along z)")
        object.__setattr__(self, "rotation", o / np.linalg.norm(o, axis=1)[:, None])

    @property
    def primitive_vectors(self) -> np.ndarray:
        """(3, 3) primitive vectors in the lab frame (rows, A)."""
        return self.a * PRIMITIVE[self.lattice] @ self.rotation.T

    @property
    def atomic_volume(self) -> float:
        """Volume per lattice site (A^3)."""
        return abs(np.linalg.det(self.primitive_vectors))

    def to_lab(self, v_crystal) -> np.ndarray:
        """Vectors given in cubic crystal coordinates (units of a) -> lab frame (A)."""
        return self.a * np.asarray(v_crystal, dtype=float) @ self.rotation.T

    def lattice_vectors(self, r_max: float) -> np.ndarray:
        """All non-zero lattice vectors shorter than ``r_max`` (lab frame, (k, 3))."""
        A = self.primitive_vectors
        # n = R A^-1, so |n_j| <= |R| * |column j of A^-1|
        n_max = int(np.ceil(r_max * np.linalg.norm(np.linalg.inv(A), axis=0).max())) + 1
        rng = np.arange(-n_max, n_max + 1)
        n = np.array(list(itertools.product(rng, rng, rng)), dtype=float)
        R = n @ A
        r = np.linalg.norm(R, axis=1)
        keep = (r > 1e-9) & (r < r_max)
        return R[keep][np.argsort(r[keep], kind="stable")]

    def period_along(self, axis: int) -> float:
        """Shortest lattice translation along lab axis ``axis`` (A)."""
        e = np.zeros(3)
        e[axis] = 1.0
        d = self.orient[axis]
        # the direction [hkl] has period |[hkl]/g| a, reduced to the primitive lattice
        g = np.gcd.reduce(np.abs(np.array(d, dtype=int)))
        base = np.array(d, dtype=float) / g
        cands = [base * f for f in (0.25, 0.5, 1.0)]
        inv = np.linalg.inv(PRIMITIVE[self.lattice])
        for c in cands:  # smallest fraction of [hkl] that is a lattice vector
            n = c @ inv
            if np.allclose(n, np.round(n), atol=1e-9):
                return float(np.linalg.norm(self.to_lab(c)))
        raise GeometryError(f"no lattice period along {d}")  # pragma: no cover
