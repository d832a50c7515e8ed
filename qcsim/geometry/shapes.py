"""Shapes: predicates on points in d dimensions, with the distance from outside.

``shape.distance(x_nd)`` is the Euclidean distance of each point from the
shape (0 inside); ``shape.contains(x_nd)`` is ``distance == 0``.  A shape of
dimension d reads the first d coordinates of the points it is given, so a
2-D disk applies to the mesh-plane coordinates of 3-D positions.  The
regions of a QC model (core, handshake, pad) are bands of the distance from
the atomistic shape (:func:`qcsim.coupling.regions.regions_around`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcsim.errors import GeometryError

__all__ = ["Shape", "Ball", "Box", "HalfSpace", "Union", "balls"]


class Shape:
    """A set of points in ``dim`` dimensions."""

    dim: int

    def distance(self, x_nd) -> np.ndarray:
        """(n,) distance of each point from the shape (0 inside)."""
        raise NotImplementedError

    def contains(self, x_nd) -> np.ndarray:
        return self.distance(x_nd) <= 0.0

    def __or__(self, other: "Shape") -> "Union":
        return Union((self, other))

    def _points(self, x_nd) -> np.ndarray:
        x = np.asarray(x_nd, dtype=float)
        x = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
        if x.shape[1] < self.dim:
            raise GeometryError(f"a {self.dim}-D shape needs points with {self.dim} "
                                f"coordinates, got {x.shape[1]}")
        return x[:, : self.dim]


@dataclass(frozen=True)
class Ball(Shape):
    """The ball of ``radius`` about ``center`` (a disk in 2-D, an interval in 1-D)."""

    center: tuple
    radius: float

    def __post_init__(self):
        object.__setattr__(self, "center", tuple(float(c) for c in self.center))
        if not self.radius >= 0:
            raise GeometryError(f"a ball needs a non-negative radius, got {self.radius}")

    @property
    def dim(self) -> int:
        return len(self.center)

    def distance(self, x_nd):
        return np.maximum(self.signed(x_nd), 0.0)

    def signed(self, x_nd):
        """Distance from the centre less the radius (negative inside)."""
        x = self._points(x_nd)
        if self.dim == 2:  # hypot: the same distance, to the last bit, as the disks always had
            return np.hypot(x[:, 0] - self.center[0], x[:, 1] - self.center[1]) - self.radius
        return np.linalg.norm(x - np.asarray(self.center), axis=1) - self.radius


@dataclass(frozen=True)
class Box(Shape):
    """The axis-aligned box ``lo <= x <= hi``."""

    lo: tuple
    hi: tuple

    def __post_init__(self):
        object.__setattr__(self, "lo", tuple(float(c) for c in self.lo))
        object.__setattr__(self, "hi", tuple(float(c) for c in self.hi))
        if len(self.lo) != len(self.hi) or any(h < l for l, h in zip(self.lo, self.hi)):
            raise GeometryError(f"a box needs lo <= hi in every axis, got {self.lo}, {self.hi}")

    @property
    def dim(self) -> int:
        return len(self.lo)

    def distance(self, x_nd):
        x = self._points(x_nd)
        out = np.maximum(np.maximum(np.asarray(self.lo) - x, x - np.asarray(self.hi)), 0.0)
        return np.linalg.norm(out, axis=1)


@dataclass(frozen=True)
class HalfSpace(Shape):
    """The points with ``normal . x <= offset`` (``normal`` need not be unit)."""

    normal: tuple
    offset: float = 0.0

    def __post_init__(self):
        n = np.asarray(self.normal, dtype=float)
        if not np.linalg.norm(n) > 0:
            raise GeometryError("a half-space needs a non-zero normal")
        object.__setattr__(self, "normal", tuple(float(c) for c in n))

    @property
    def dim(self) -> int:
        return len(self.normal)

    def distance(self, x_nd):
        n = np.asarray(self.normal)
        L = np.linalg.norm(n)
        return np.maximum((self._points(x_nd) @ n - self.offset) / L, 0.0)


@dataclass(frozen=True)
class Union(Shape):
    """The union of ``shapes`` (all of one dimension): the smallest distance."""

    shapes: tuple

    def __post_init__(self):
        flat = []
        for s in self.shapes:
            flat.extend(s.shapes if isinstance(s, Union) else (s,))
        if not flat:
            raise GeometryError("a union needs at least one shape")
        if len({s.dim for s in flat}) != 1:
            raise GeometryError("the shapes of a union must have one dimension")
        object.__setattr__(self, "shapes", tuple(flat))

    @property
    def dim(self) -> int:
        return self.shapes[0].dim

    def distance(self, x_nd):
        x = self._points(x_nd)
        if all(isinstance(s, Ball) for s in self.shapes):
            # the smallest signed distance, clipped once (the same to the last bit
            # as clipping each: max is monotonic)
            d = np.full(len(x), np.inf)
            for s in self.shapes:
                d = np.minimum(d, s.signed(x))
            return np.maximum(d, 0.0)
        return np.min([s.distance(x) for s in self.shapes], axis=0)


def balls(rows, dim: int = 2) -> Union:
    """The union of balls given as rows ``(c_1, ..., c_dim, r)`` (the 2-D disks
    ``(cx, cy, r)`` of a crack study's checkpoint)."""
    rows = np.asarray(rows, dtype=float).reshape(-1, dim + 1)
    return Union(tuple(Ball(tuple(r[:dim]), float(r[dim])) for r in rows))
