"""Deformation gradients in decks: a 3x3 value type and the checks of slab mode.

Shared by the ``load`` and ``patch_test`` sections.  A deformation gradient is
written row by row, ``F: [[1, 0.01, 0], [0, 1, 0], [0, 0, 1]]`` (``F[i][j] =
dx_i/dX_j``).  In slab mode nothing varies along z, so the third column of F
must be (0, 0, 1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qcsim.deck.types import shown

__all__ = ["Matrix3", "check_deformation", "IDENTITY"]

IDENTITY = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))

_EXPECTED = "a 3x3 matrix (a list of 3 rows, each a list of 3 numbers)"


@dataclass(frozen=True)
class Matrix3:
    """A 3x3 matrix of finite numbers, given as a list of three rows."""

    def describe(self) -> str:
        return _EXPECTED

    def convert(self, value, ctx, path) -> tuple[tuple[float, ...], ...]:
        if not isinstance(value, list) or len(value) != 3:
            got = f"a list of {len(value)} rows" if isinstance(value, list) else shown(value)
            raise ctx.error(f"expected {_EXPECTED}, got {got}", path)
        rows = []
        for i, row in enumerate(value):
            if not isinstance(row, list) or len(row) != 3:
                got = f"a row of {len(row)} values" if isinstance(row, list) else shown(row)
                raise ctx.error(f"expected {_EXPECTED}, got {got} in row {i}", path + (i,))
            out = []
            for j, x in enumerate(row):
                if isinstance(x, bool) or not isinstance(x, (int, float)) or \
                        not math.isfinite(float(x)):
                    raise ctx.error(f"expected a finite number, got {shown(x)}",
                                    path + (i, j))
                out.append(float(x))
            rows.append(tuple(out))
        return tuple(rows)


def check_deformation(F, ctx, path, slab: bool = True) -> None:
    """det F > 0, and in slab mode a third column (0, 0, 1) (d/dz = 0)."""
    F = np.asarray(F, dtype=float)
    det = float(np.linalg.det(F))
    if not det > 0:
        raise ctx.error(f"det F = {det:.6g}: a deformation gradient needs a positive "
                        "determinant (no inversion, no collapse)", path)
    if slab:
        col = F[:, 2]
        if not (col[0] == 0.0 and col[1] == 0.0 and col[2] == 1.0):
            raise ctx.error("in slab mode nothing varies along z (d/dz = 0), so the third "
                            "column of F (F[0][2], F[1][2], F[2][2]) must be (0, 0, 1); got "
                            f"({col[0]:g}, {col[1]:g}, {col[2]:g})", path)
