"""The unknowns of a model shared by several ranks, split for the solvers.

A crack or QC model on several ranks is built whole on every rank, and each
rank evaluates its share of the atoms and elements.  :class:`DofSplit` gives
each rank the unknowns of its own nodes (the model's owner of every node), and
L-BFGS and FIRE then hold only this rank's part of every vector (the iterate,
the gradient, the history of L-BFGS: 40 vectors with the default memory), with
their dot products, norms and largest force reduced over the ranks.

During a solve a rank reads the displacements of nodes of other ranks (the
halo of its atoms, the nodes of its elements) and adds to their gradient:
:class:`NodeExchange` brings the first from their owners (forward) and sends
the second back (reverse), one ``Alltoallv`` each, as LAMMPS exchanges its
ghost atoms.  :meth:`DofSplit.full` puts the parts together (``Allgatherv``)
where a whole vector is needed: at the end of a solve, and for a preconditioner
that is applied whole.  :class:`RowSums` adds rows that came back from other
ranks to the rows they belong to (an owner may receive one row several times).
"""
from __future__ import annotations

import numpy as np

__all__ = ["DofSplit", "NodeExchange", "RowSums"]


class RowSums:
    """Adds rows to ``out[rows_r]`` where ``rows_r`` may repeat a row (sorted once)."""

    def __init__(self, rows_r):
        rows = np.asarray(rows_r, dtype=np.int64)
        self._order = np.argsort(rows, kind="stable")
        self._rows, self._first = np.unique(rows[self._order], return_index=True)

    def add(self, out, values_r) -> None:
        """``out[rows_r[i]] += values_r[i]`` for every i."""
        if len(values_r):
            out[self._rows] += np.add.reduceat(values_r[self._order], self._first, axis=0)


class DofSplit:
    """This rank's unknowns of ``k`` per node, of nodes owned by ``owner_p`` (the rank of
    each node)."""

    def __init__(self, comm, owner_p, k: int = 3):
        owner = np.repeat(np.asarray(owner_p, dtype=np.int64), k)
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


class NodeExchange:
    """The rows of per-node arrays that this rank reads but does not own.

    ``owner_n`` is the rank of every node (the same on every rank) and ``read``
    the nodes this rank reads (its own among them, or not); made collectively.
    :meth:`forward` sets the rows of the other ranks' nodes to their owners'
    values; :meth:`reverse` adds them to their owners' rows.
    """

    def __init__(self, comm, owner_n, read):
        owner_n = np.asarray(owner_n, dtype=np.int64)
        read = np.unique(np.asarray(read, dtype=np.int64))
        ghosts = read[owner_n[read] != comm.rank]
        ghosts = ghosts[np.argsort(owner_n[ghosts], kind="stable")]  # by owner
        self.comm, self.ghosts = comm, ghosts
        self._recv_counts = np.bincount(owner_n[ghosts], minlength=comm.size)
        wanted = comm.alltoall(list(np.split(ghosts, np.cumsum(self._recv_counts)[:-1])))
        self._send = np.concatenate(wanted).astype(np.int64)  # own nodes, rank by rank
        self._send_counts = np.array([len(w) for w in wanted], dtype=np.int64)
        self._back = RowSums(self._send)  # a node may be read by several ranks

    def forward(self, values_n: np.ndarray) -> None:
        """Set the other ranks' rows of ``values_n`` (n_nodes, ...) to their owners' values."""
        values_n[self.ghosts] = self.comm.alltoallv(
            np.ascontiguousarray(values_n[self._send]), self._send_counts, self._recv_counts)

    def reverse(self, values_n: np.ndarray) -> None:
        """Add the other ranks' rows of ``values_n`` to their owners' rows (the rows of
        the other ranks' nodes here are left as they were)."""
        self._back.add(values_n, self.comm.alltoallv(
            np.ascontiguousarray(values_n[self.ghosts]), self._recv_counts, self._send_counts))
