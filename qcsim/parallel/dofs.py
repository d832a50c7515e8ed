"""The unknowns of a model shared by several ranks, split for the solvers.

A crack or QC model on several ranks keeps its state on every rank (each rank
evaluates its share of the atoms and elements, and the shares are summed).
Its solver need not: :class:`DofSplit` gives each rank the unknowns of a part
of the free nodes (a recursive coordinate bisection of their positions), and
L-BFGS and FIRE then hold only this rank's part of every vector (the
iterate, the gradient, the history of L-BFGS: 40 vectors with the default
memory), with their dot products, norms and largest force reduced over the
ranks.  :meth:`DofSplit.full` puts the parts together (``Allgatherv``) where
the model needs its whole state, once per evaluation.
"""
from __future__ import annotations

import numpy as np

from qcsim.parallel.partition import bisect

__all__ = ["DofSplit"]


class DofSplit:
    """This rank's unknowns of ``k`` per node, the nodes at ``points_nd`` split over
    ``comm``'s ranks."""

    def __init__(self, comm, points_nd, k: int = 3):
        points = np.asarray(points_nd, dtype=float)
        part = bisect(points, np.ones(len(points)), comm.size)
        owner = np.repeat(part, k)
        self.comm, self.n, self.owner = comm, len(owner), owner  # the rank of every unknown
        self.mine = np.nonzero(owner == comm.rank)[0]
        self.order = np.argsort(owner, kind="stable")  # rank by rank, ascending in each
        self.counts = np.bincount(owner, minlength=comm.size)

    def part(self, full: np.ndarray) -> np.ndarray:
        """This rank's entries of a whole vector."""
        return np.ascontiguousarray(np.asarray(full)[self.mine])

    def full(self, part: np.ndarray) -> np.ndarray:
        """The whole vector from every rank's part (collective)."""
        out = np.empty(self.n)
        out[self.order] = self.comm.allgatherv(np.asarray(part, dtype=np.float64), self.counts)
        return out
