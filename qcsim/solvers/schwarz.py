"""A two-level additive Schwarz preconditioner for a model shared by several ranks.

On P ranks the elastic stiffness K of the free degrees of freedom is split into
the P parts of the solver's unknowns (:class:`qcsim.parallel.dofs.DofSplit`, a
recursive coordinate bisection of the nodes); each rank
factorises the block of its part grown by one layer of neighbours in K (the
*overlap*) and a coarse problem common to all, the Galerkin projection
``K_0 = R_0 K R_0^T`` of K onto the piecewise-linear functions of a coarse
triangulation of the nodes.  One application is

    z = sum_p R_p^T D_p K_p^-1 D_p R_p g  +  R_0^T K_0^-1 R_0 g,

where D_p weights each unknown by 1 / sqrt(the number of parts that hold it),
so that the overlap is not counted twice (R = 300 A, fully atomistic, the
emission step on 2 ranks: 257 iterations against 263 unweighted and 248 with
the whole factor on one process; two layers of overlap gave more, 263 and
286). Each rank computes its own term of the sum (a solve of about n / P unknowns
instead of n), the terms summed over the ranks (the same bits on every rank),
and the coarse term, small, computed by every rank.  The operator is symmetric
positive definite, as L-BFGS needs of its initial inverse Hessian; the coarse
level carries the long-wavelength displacements that the local solves cannot
see, so that the iteration count stays bounded as P grows.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qcsim.solvers.precon import ElasticPreconditioner

__all__ = ["SchwarzPreconditioner", "coarse_interpolation"]


class SchwarzPreconditioner:
    """``z = M^-1 g`` on the ranks of ``split.comm``: :meth:`apply_part` on this rank's
    part of g (what the solver holds), or a call with the whole g (the same on every
    rank).

    Parameters
    ----------
    K : (n, n) sparse stiffness of the free degrees of freedom.
    points_nd : (n / k, d) position of the node of every k consecutive unknowns.
    split : the solver's :class:`~qcsim.parallel.dofs.DofSplit` of the unknowns;
        each rank's part is its part of the Schwarz decomposition.
    coarse_per_part : about this many coarse nodes per part (at least 64 in all).
    overlap : layers of neighbours in K by which each part is grown.
    """

    def __init__(self, K, points_nd, split, coarse_per_part: int = 32, shift: float = 1e-8,
                 overlap: int = 1):
        K = sp.csr_matrix(K)
        points = np.asarray(points_nd, dtype=float)
        n, n_nodes = K.shape[0], len(points)
        k = n // n_nodes
        comm = self.comm = split.comm
        mine = split.owner == comm.rank
        grown, coupled = mine, abs(K)
        for _ in range(overlap):  # the unknowns coupled to the part's in K, layer by layer
            grown = grown | (coupled @ grown.astype(float) > 0)
        self.local = np.nonzero(grown)[0]
        self.mine = split.mine
        # each unknown's share: 1 / sqrt(how many parts hold it), on both sides of the
        # local solve (symmetric), so that the overlap is not counted twice
        held = comm.replicated_sum(grown.astype(float))
        self.scale = 1.0 / np.sqrt(held[self.local])
        self.local_solve = ElasticPreconditioner(K[self.local][:, self.local], shift=shift)
        R0 = coarse_interpolation(points, max(64, coarse_per_part * comm.size), k)
        K0 = (R0 @ K @ R0.T).tocsc()
        self.R0 = R0.tocsr()
        self.coarse_solve = ElasticPreconditioner(K0, method="lu", shift=shift)
        self.n = n
        self._parts(split.owner)

    def _parts(self, owner) -> None:
        """The exchanges of :meth:`apply_part`: which of this rank's unknowns every other
        rank's local solve needs (one ``alltoall`` of requests)."""
        comm, rank = self.comm, self.comm.rank
        where = np.searchsorted(self.mine, self.local)  # the local unknowns that are mine
        own = owner[self.local] == rank
        self._own_at = np.nonzero(own)[0]  # rows of the local solve held here
        self._own_rows = where[own]  # ... and their place in this rank's part
        others = np.nonzero(~own)[0]
        by_rank = np.argsort(owner[self.local[others]], kind="stable")
        self._ghost_at = others[by_rank]  # rows received, rank by rank
        asked = [self.local[self._ghost_at][owner[self.local[self._ghost_at]] == q]
                 for q in range(comm.size)]
        self._recv_counts = np.array([len(a) for a in asked], dtype=np.int64)
        wanted = comm.alltoall(asked)  # the unknowns of mine that rank q needs
        self._send_rows = np.searchsorted(self.mine, np.concatenate(wanted)).astype(np.int64)
        self._send_counts = np.array([len(w) for w in wanted], dtype=np.int64)
        self._R0_mine = self.R0[:, self.mine].tocsr()
        self._R0T_mine = self._R0_mine.T.tocsr()

    def apply_part(self, g_part: np.ndarray) -> np.ndarray:
        """This rank's part of ``M^-1 g`` from this rank's part of g (its unknowns
        ``mine``, ascending): the local solve gets the overlap's entries from their
        owners and sends its results there back, and the coarse problem is summed over
        the ranks, so that no vector over all unknowns is formed (collective)."""
        comm = self.comm
        g_part = np.asarray(g_part, dtype=np.float64)
        g_local = np.empty(len(self.local))
        g_local[self._own_at] = g_part[self._own_rows]
        g_local[self._ghost_at] = comm.alltoallv(g_part[self._send_rows], self._send_counts,
                                                 self._recv_counts)
        z_local = self.scale * self.local_solve(self.scale * g_local)
        z = np.zeros(len(self.mine))
        z[self._own_rows] = z_local[self._own_at]
        back = comm.alltoallv(z_local[self._ghost_at], self._recv_counts, self._send_counts)
        np.add.at(z, self._send_rows, back)
        coarse = comm.replicated_sum(self._R0_mine @ g_part)
        return z + self._R0T_mine @ self.coarse_solve(coarse)

    def __call__(self, g: np.ndarray) -> np.ndarray:
        g = np.asarray(g, dtype=np.float64)
        z = np.zeros(self.n)
        z[self.local] = self.scale * self.local_solve(self.scale * g[self.local])
        z = self.comm.replicated_sum(z)
        return z + self.R0.T @ self.coarse_solve(self.R0 @ g)


def coarse_interpolation(points_nd, n_coarse: int, k: int) -> sp.csr_matrix:
    """(k m, k n) restriction onto the piecewise-linear functions of a Delaunay
    triangulation of about ``n_coarse`` coarse nodes (a regular grid over the
    points' box, kept where it has points nearby, and the box's corners): row
    ``k c + a`` holds the weights of coarse node c's shape function at every
    node, for component a."""
    from scipy.spatial import Delaunay, cKDTree

    p = np.asarray(points_nd, dtype=float)
    d = p.shape[1]
    lo, hi = p.min(axis=0), p.max(axis=0)
    span = np.maximum(hi - lo, 1e-12)
    h = (np.prod(span) / max(n_coarse, 1)) ** (1.0 / d)
    axes = [np.linspace(lo[a], hi[a], max(int(np.ceil(span[a] / h)), 1) + 1) for a in range(d)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
    near = cKDTree(p).query(grid, distance_upper_bound=h)[0] < h  # where the body is
    corners = np.array(np.meshgrid(*[(lo[a], hi[a]) for a in range(d)],
                                   indexing="ij")).reshape(d, -1).T
    coarse = np.unique(np.concatenate([grid[near], corners]), axis=0)
    tri = Delaunay(coarse)
    s = tri.find_simplex(p)
    inside = s >= 0
    s = np.where(inside, s, 0)
    T = tri.transform[s]
    b = np.einsum("nij,nj->ni", T[:, :d], p - T[:, d])
    bary = np.column_stack([b, 1.0 - b.sum(axis=1)])
    verts = tri.simplices[s]
    if not inside.all():  # points outside the hull (none with the corners): nearest node
        nearest = cKDTree(coarse).query(p[~inside])[1]
        bary[~inside] = 0.0
        bary[~inside, 0] = 1.0
        verts[~inside, 0] = nearest
    rows = np.repeat(np.arange(len(p)), d + 1)
    W = sp.csr_matrix((bary.ravel(), (verts.ravel(), rows)), shape=(len(coarse), len(p)))
    return sp.kron(W, sp.identity(k), format="csr")
