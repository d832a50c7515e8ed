"""Recursive coordinate bisection: split weighted points into P compact parts of equal cost.

The points of one model (its atoms and the centroids of its elements, each
weighted by what it costs to evaluate) are split by the median of cost along
the longest extent of the box that holds them, recursively, into ``parts``
groups whose costs differ by at most one point's weight per cut.  Parts of an
odd split get their share of the cost in proportion to their rank counts
(3 ranks: 1/3 against 2/3), so any number of ranks works.
"""
from __future__ import annotations

import numpy as np

__all__ = ["bisect", "part_costs", "wrapped_positions", "near_other_boxes"]


def bisect(points_pd, weights_p, parts: int) -> np.ndarray:
    """Part index (p,) in [0, parts) of each point (p, d) with weights (p,) > 0."""
    points = np.asarray(points_pd, dtype=float)
    weights = np.asarray(weights_p, dtype=float)
    if parts < 1:
        raise ValueError(f"need at least one part, got {parts}")
    out = np.zeros(len(points), dtype=np.int64)
    _split(points, weights, np.arange(len(points)), 0, parts, out)
    return out


def _split(points, weights, idx, first, parts, out) -> None:
    if parts == 1 or len(idx) == 0:
        out[idx] = first
        return
    left = parts // 2
    x = points[idx]
    axis = int(np.argmax(np.ptp(x, axis=0))) if len(idx) > 1 else 0
    order = idx[np.argsort(x[:, axis], kind="stable")]
    cost = np.cumsum(weights[order])
    cut = int(np.searchsorted(cost, cost[-1] * left / parts, side="left")) + 1
    cut = min(max(cut, 0), len(order))
    _split(points, weights, order[:cut], first, left, out)
    _split(points, weights, order[cut:], first + left, parts - left, out)


def part_costs(part_p, weights_p, parts: int) -> np.ndarray:
    """The cost of each part (parts,)."""
    return np.bincount(part_p, weights=weights_p, minlength=parts)


def wrapped_positions(x_ic, cell_cc, pbc_c) -> np.ndarray:
    """Positions (n, 3) folded into the cell along its periodic vectors (as given when
    no vector is periodic or the cell is singular, as a slab's zero vectors make it)."""
    x, cell, pbc = (np.asarray(x_ic, dtype=float), np.asarray(cell_cc, dtype=float),
                    np.asarray(pbc_c, dtype=bool))
    if not pbc.any() or abs(np.linalg.det(cell)) < 1e-12:
        return x
    frac = np.linalg.solve(cell.T, x.T).T
    frac[:, pbc] -= np.floor(frac[:, pbc])
    return frac @ cell


def near_other_boxes(comm, x_pd, reach: float, shifts_kd=None) -> list[np.ndarray]:
    """For every rank q of ``comm``, the indices of this rank's points ``x_pd`` (p, d)
    within ``reach`` of the bounding box of rank q's points, or of one of its periodic
    images (``shifts_kd``, the image shifts, the zero shift first); none for this rank
    itself.  Collective: every rank's box is gathered."""
    x = np.asarray(x_pd, dtype=float)
    box = (x.min(axis=0), x.max(axis=0)) if len(x) else None
    boxes = comm.allgather(box)
    shifts = np.zeros((1, x.shape[1])) if shifts_kd is None else np.asarray(shifts_kd, float)
    out = []
    for q, other in enumerate(boxes):
        near = np.zeros(len(x), dtype=bool)
        if q != comm.rank and other is not None and box is not None:
            for s in shifts:
                gap = np.maximum(other[0] - (box[1] + s), 0.0) + \
                    np.maximum((box[0] + s) - other[1], 0.0)
                if gap @ gap >= reach ** 2:
                    continue
                d = np.maximum(other[0] - (x + s), 0.0) + np.maximum((x + s) - other[1], 0.0)
                near |= np.einsum("ic,ic->i", d, d) < reach ** 2
        out.append(np.nonzero(near)[0])
    return out
