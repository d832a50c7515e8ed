"""Preconditioners: the linear-elastic stiffness of the mesh, factorised once.

``ElasticPreconditioner(K)`` applies ``P^-1 g`` for the solvers (L-BFGS takes
it as its initial inverse Hessian).  A sparse LU (SuperLU) is the default; for
very large meshes smoothed-aggregation algebraic multigrid (pyamg) is used as
an approximate inverse.

Couplings at the round-off level are dropped before factorising.  In slab
mode with the front along a two-fold axis of the crystal (a mirror plane
normal to z: the (111)[1-10] crack of an fcc metal), the in-plane and
anti-plane displacements are uncoupled; the Cauchy-Born tangent in the rotated
frame still couples them by ~1e-16 of the largest entry, and those entries
alone cost the factor twice the fill of the two uncoupled problems (a 47k
unknown crack mesh: 9.7 M against 5.4 M entries in L + U, each solve 1.5 times
faster, the residual of the solve against the full K unchanged).

The two triangular solves run in the kernel on SuperLU's factors: SuperLU's own
solve for one right-hand side takes about twice as long (the same mesh: 21
against 12 ms).  The factors are regrouped by supernode (columns of L that
share their rows below the diagonal block, rows of U likewise): each row index
is stored once per supernode and each updated entry of x stays in a register
across the supernode's columns, with the updates of the column-by-column
substitutions in the same order, so the result is the same to the bit (the
47,772-unknown mesh after an emission: 17,906 supernodes, up to 516 columns
wide; 10.9 against 7.8 ms per solve).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from qcsim._kernels.cauchy_born import lu_solve_csc
from qcsim._kernels.sparse import supernodal_layout, supernodal_solve

__all__ = ["ElasticPreconditioner"]


class ElasticPreconditioner:
    """``P^-1 g`` with P the (symmetric positive definite) stiffness ``K``.

    Parameters
    ----------
    K : (n, n) sparse stiffness of the free degrees of freedom (eV/A^2).
    method : "lu", "amg" or "auto" (LU below ``amg_above`` unknowns).
    shift : relative diagonal shift, guarding against a singular K (free
        rigid motions of an unconstrained body).
    drop : couplings with ``|K_ij| <= drop * sqrt(K_ii K_jj)`` are left out
        (round-off of couplings that vanish by symmetry).
    """

    def __init__(self, K, method: str = "auto", shift: float = 1e-8, amg_above: int = 400_000,
                 drop: float = 1e-12):
        K = _drop_roundoff(sp.csc_matrix(K), drop)
        n = K.shape[0]
        diag = K.diagonal()
        scale = float(np.mean(np.abs(diag))) if n else 1.0
        K = K + sp.diags(np.full(n, shift * scale))
        if method == "auto":
            method = "amg" if n > amg_above else "lu"
        self.method, self.n = method, n
        if method == "lu":
            # K is symmetric: a minimum-degree ordering of K + K^T with diagonal
            # pivots keeps half the fill of COLAMD (a 40k-unknown crack mesh: 7.7 M
            # against 14.9 M entries in L + U, each solve twice as fast)
            lu = spla.splu(K, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                           options={"SymmetricMode": True})
            self._apply, self.fill = _factor_solve(lu)  # fill: entries of L + U
        elif method == "amg":
            import pyamg

            ml = pyamg.smoothed_aggregation_solver(K.tocsr(), symmetry="symmetric", max_coarse=500)
            self.fill = None
            self._apply = lambda g: ml.solve(g, tol=1e-3, maxiter=3, cycle="V")
        else:
            raise ValueError(f"unknown preconditioner method {method!r}")

    def __call__(self, g: np.ndarray) -> np.ndarray:
        return self._apply(np.asarray(g, dtype=np.float64))


def _drop_roundoff(K: sp.csc_matrix, drop: float) -> sp.csc_matrix:
    """K without the entries ``|K_ij| <= drop * sqrt(|K_ii K_jj|)`` (the diagonal stays)."""
    if drop <= 0 or K.nnz == 0:
        return K
    d = np.sqrt(np.abs(K.diagonal()))
    C = K.tocoo()
    keep = (np.abs(C.data) > drop * d[C.row] * d[C.col]) | (C.row == C.col)
    return sp.csc_matrix((C.data[keep], (C.row[keep], C.col[keep])), shape=K.shape)


def _factor_solve(lu):
    """(g -> K^-1 g, entries of L + U) from SuperLU's factorisation Pr K Pc = L U,
    the triangular solves in the kernel: on supernodal panels
    (:func:`supernodal_factors`), else column by column (``lu_solve_csc``), else
    SuperLU's own solve (factors' indices not 32-bit, a diagonal entry missing)."""
    L, U = lu.L, lu.U  # copies: the SuperLU object is not kept
    fill = int(L.nnz + U.nnz)
    if L.indices.dtype != np.int32 or U.indices.dtype != np.int32:
        return lu.solve, fill
    L.sort_indices()
    U.sort_indices()
    perm_r, perm_c, n = lu.perm_r, lu.perm_c, lu.shape[0]
    diag = np.arange(n)
    if not (np.array_equal(L.indices[L.indptr[:-1]], diag)
            and np.array_equal(U.indices[U.indptr[1:] - 1], diag)):
        return lu.solve, fill  # the kernel needs every diagonal entry stored
    factors = supernodal_factors(L, U)
    if factors is not None:
        def solve(g):
            x = np.empty(n)
            x[perm_r] = g
            supernodal_solve(*factors, x)
            return x[perm_c]
    else:
        def solve(g):
            x = np.empty(n)
            x[perm_r] = g
            lu_solve_csc(L.indptr, L.indices, L.data, U.indptr, U.indices, U.data, x)
            return x[perm_c]

    return solve, fill


def supernodal_factors(L: sp.csc_matrix, U: sp.csc_matrix):
    """The factors regrouped by supernode for ``supernodal_solve`` (qcsim._kernels.sparse),
    or None if U's structure does not fit the transposed supernodes of L.

    L: unit lower triangular CSC, diagonal first in each column; U: upper
    triangular CSC, diagonal last; both with sorted 32-bit row indices.
    """
    return supernodal_layout(L.indptr.astype(np.int32), L.indices, L.data,
                             U.indptr.astype(np.int32), U.indices, U.data)
