"""The periodic cell of a model and which of its axes are periodic, in one object."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Domain"]


@dataclass(frozen=True)
class Domain:
    """The cell (rows are the cell vectors, A) and the periodicity of each axis.

    A zero row is an axis without a period (a free or held boundary); the slab
    models of today are periodic along z only, with the lattice period Lz.
    """

    cell_cc: np.ndarray
    pbc_c: tuple[bool, bool, bool]

    @classmethod
    def slab(cls, Lz: float) -> "Domain":
        """Periodic along z with period ``Lz``, bounded in x and y."""
        return cls(np.diag([0.0, 0.0, float(Lz)]), (False, False, True))

    @classmethod
    def bulk(cls) -> "Domain":
        """No period: a finite 3-D body with a free or held boundary."""
        return cls(np.zeros((3, 3)), (False, False, False))

    @property
    def periodic_axes(self) -> tuple[int, ...]:
        return tuple(k for k in range(3) if self.pbc_c[k])
