# cython: language_level=3
"""Sparse triangular solves of the elastic preconditioner on supernodal panels.

SuperLU's factors ``Pr K Pc = L U`` of the (structurally symmetric) stiffness,
regrouped by :func:`qcsim.solvers.precon.supernodal_factors`: a supernode is a
run of columns j0..j1 of L whose structure below the diagonal block is one
set S of rows (the block itself is dense), and, U having the transposed
structure of L, rows j0..j1 of U share the columns S to the right of their
block.  Per supernode the factors are stored as

* the dense triangles of L (unit diagonal, not stored) and U (diagonal
  separately), column by column;
* the panels ``L[S, j0..j1]`` and ``U[j0..j1, S]``, one row of S after the
  other (w = j1 - j0 + 1 contiguous values each),

with the row indices S stored once per supernode instead of once per entry.

Every entry of x receives exactly the updates, in exactly the order, of the
column-oriented substitutions of ``lu_solve_csc`` (qcsim._kernels.cauchy_born),
including the skipped columns whose x is zero: the result is the same to the
bit.  Forward (L): x[i] is updated by the columns j < i in increasing order;
the panel loop takes each row of S once, keeps its x in a register and runs
over the block's columns in increasing order.  Backward (U): x[j] is updated
by the columns c > j in decreasing order, the columns of S (all beyond the
block) first, then those of the block.
"""
from libc.stdint cimport int32_t, int64_t


def supernodal_solve(const int64_t[::1] sn_start, const int64_t[::1] s_ptr,
                     const int32_t[::1] s_idx,
                     const int64_t[::1] t_ptr, const double[::1] Lt, const double[::1] Ut,
                     const double[::1] Ud,
                     const int64_t[::1] p_ptr, const double[::1] Lp, const double[::1] Up,
                     double[::1] x):
    """x <- U^-1 L^-1 x, in place (layout in the module doc).

    sn_start (n_sn + 1): first column of each supernode; s_ptr (n_sn + 1) and
    s_idx: its rows S; t_ptr (n_sn + 1): offsets of its triangles in Lt / Ut
    (w (w - 1) / 2 values each, column-major: for column j of the block, the
    rows j + 1 .. j1 of L, the rows j0 .. j - 1 of U); Ud (n): the diagonal of
    U; p_ptr (n_sn + 1): offsets of its panels in Lp / Up (|S| w values each:
    for the r-th row of S, its w values in the block's columns / rows).
    """
    cdef Py_ssize_t n_sn = sn_start.shape[0] - 1
    cdef Py_ssize_t s, j0, w, m, j, i, r, k, t0, p0, s0, row
    cdef double xj, acc, a0, a1, a2, a3
    cdef bint all_nonzero
    cdef const double* panel
    with nogil:
        for s in range(n_sn):
            j0 = sn_start[s]
            w = sn_start[s + 1] - j0
            t0 = t_ptr[s]
            k = t0
            all_nonzero = True
            for j in range(w):
                xj = x[j0 + j]
                if xj != 0.0:
                    for i in range(j + 1, w):
                        x[j0 + i] -= Lt[k + i - j - 1] * xj
                else:
                    all_nonzero = False
                k += w - j - 1
            s0 = s_ptr[s]
            m = s_ptr[s + 1] - s0
            p0 = p_ptr[s]
            if all_nonzero:
                # four rows at a time: four independent chains of subtractions
                r = 0
                while r + 4 <= m:
                    panel = &Lp[p0 + r * w]
                    a0 = x[s_idx[s0 + r]]
                    a1 = x[s_idx[s0 + r + 1]]
                    a2 = x[s_idx[s0 + r + 2]]
                    a3 = x[s_idx[s0 + r + 3]]
                    for j in range(w):
                        xj = x[j0 + j]
                        a0 -= panel[j] * xj
                        a1 -= panel[w + j] * xj
                        a2 -= panel[2 * w + j] * xj
                        a3 -= panel[3 * w + j] * xj
                    x[s_idx[s0 + r]] = a0
                    x[s_idx[s0 + r + 1]] = a1
                    x[s_idx[s0 + r + 2]] = a2
                    x[s_idx[s0 + r + 3]] = a3
                    r += 4
                while r < m:
                    row = s_idx[s0 + r]
                    panel = &Lp[p0 + r * w]
                    acc = x[row]
                    for j in range(w):
                        acc -= panel[j] * x[j0 + j]
                    x[row] = acc
                    r += 1
            else:
                for r in range(m):
                    row = s_idx[s0 + r]
                    panel = &Lp[p0 + r * w]
                    acc = x[row]
                    for j in range(w):
                        if x[j0 + j] != 0.0:
                            acc -= panel[j] * x[j0 + j]
                    x[row] = acc
        for s in range(n_sn - 1, -1, -1):
            j0 = sn_start[s]
            w = sn_start[s + 1] - j0
            s0 = s_ptr[s]
            m = s_ptr[s + 1] - s0
            p0 = p_ptr[s]
            r = m - 1
            while r >= 3:
                # four columns at a time (r, r - 1, r - 2, r - 3: decreasing), when
                # none of their x is zero
                a0 = x[s_idx[s0 + r]]
                a1 = x[s_idx[s0 + r - 1]]
                a2 = x[s_idx[s0 + r - 2]]
                a3 = x[s_idx[s0 + r - 3]]
                if a0 != 0.0 and a1 != 0.0 and a2 != 0.0 and a3 != 0.0:
                    panel = &Up[p0 + (r - 3) * w]
                    for j in range(w):
                        x[j0 + j] = ((((x[j0 + j] - panel[3 * w + j] * a0)
                                       - panel[2 * w + j] * a1) - panel[w + j] * a2)
                                     - panel[j] * a3)
                    r -= 4
                else:
                    if a0 != 0.0:
                        panel = &Up[p0 + r * w]
                        for j in range(w):
                            x[j0 + j] -= panel[j] * a0
                    r -= 1
            while r >= 0:
                xj = x[s_idx[s0 + r]]
                if xj != 0.0:
                    panel = &Up[p0 + r * w]
                    for j in range(w):
                        x[j0 + j] -= panel[j] * xj
                r -= 1
            # the triangle, column j1 first; column j holds rows j0 .. j - 1 at
            # t_ptr + j (j - 1) / 2
            t0 = t_ptr[s]
            for j in range(w - 1, -1, -1):
                xj = x[j0 + j] / Ud[j0 + j]
                x[j0 + j] = xj
                if xj != 0.0:
                    k = t0 + j * (j - 1) // 2
                    for i in range(j):
                        x[j0 + i] -= Ut[k + i] * xj


def supernodal_layout(const int32_t[::1] Lptr, const int32_t[::1] Li, const double[::1] Lx,
                      const int32_t[::1] Uptr, const int32_t[::1] Ui, const double[::1] Ux):
    """The arguments of :func:`supernodal_solve` (all but x) from the CSC factors
    (L: unit diagonal first in each column, U: diagonal last, rows sorted), or
    None when U stores an entry outside the transposed supernodes of L.

    Columns j and j + 1 of L share a supernode when the rows of column j below
    j are exactly those of column j + 1.  Panel entries that U does not store
    are zeros.
    """
    import numpy as np

    cdef Py_ssize_t n = Lptr.shape[0] - 1
    cdef Py_ssize_t j, k, a, b, n_sn, s, w, m, i, jj, r, c, row, kk
    cdef bint same
    starts_a = np.empty(n + 1, dtype=np.int64)
    cdef int64_t[::1] starts = starts_a
    n_sn = 0
    with nogil:
        if n > 0:
            starts[0] = 0
            n_sn = 1
        for j in range(n - 1):
            same = (Lptr[j + 1] - Lptr[j]) == (Lptr[j + 2] - Lptr[j + 1]) + 1
            if same:
                a = Lptr[j] + 1
                b = Lptr[j + 1]
                for k in range(Lptr[j + 1] - a):
                    if Li[a + k] != Li[b + k]:
                        same = False
                        break
            if not same:
                starts[n_sn] = j + 1
                n_sn += 1
        starts[n_sn] = n
    starts_a = starts_a[:n_sn + 1].copy()
    starts = starts_a
    sn_of_a = np.empty(n, dtype=np.int64)
    s_ptr_a = np.empty(n_sn + 1, dtype=np.int64)
    t_ptr_a = np.empty(n_sn + 1, dtype=np.int64)
    p_ptr_a = np.empty(n_sn + 1, dtype=np.int64)
    cdef int64_t[::1] sn_of = sn_of_a
    cdef int64_t[::1] s_ptr = s_ptr_a
    cdef int64_t[::1] t_ptr = t_ptr_a
    cdef int64_t[::1] p_ptr = p_ptr_a
    with nogil:
        s_ptr[0] = t_ptr[0] = p_ptr[0] = 0
        for s in range(n_sn):
            w = starts[s + 1] - starts[s]
            m = Lptr[starts[s + 1]] - Lptr[starts[s + 1] - 1] - 1  # below the last column
            for j in range(starts[s], starts[s + 1]):
                sn_of[j] = s
            s_ptr[s + 1] = s_ptr[s] + m
            t_ptr[s + 1] = t_ptr[s] + w * (w - 1) // 2
            p_ptr[s + 1] = p_ptr[s] + m * w
    s_idx_a = np.empty(s_ptr[n_sn], dtype=np.int32)
    Lt_a = np.zeros(t_ptr[n_sn])
    Ut_a = np.zeros(t_ptr[n_sn])
    Ud_a = np.empty(n)
    Lp_a = np.zeros(p_ptr[n_sn])
    Up_a = np.zeros(p_ptr[n_sn])
    cursor_a = np.zeros(n_sn, dtype=np.int64)
    cdef int32_t[::1] s_idx = s_idx_a
    cdef double[::1] Lt = Lt_a, Ut = Ut_a, Ud = Ud_a, Lpan = Lp_a, Upan = Up_a
    cdef int64_t[::1] cursor = cursor_a
    cdef Py_ssize_t j0, j1, tk
    cdef bint ok = True
    with nogil:
        for s in range(n_sn):
            j0 = starts[s]
            j1 = starts[s + 1] - 1
            w = j1 - j0 + 1
            m = s_ptr[s + 1] - s_ptr[s]
            for r in range(m):
                s_idx[s_ptr[s] + r] = Li[Lptr[j1] + 1 + r]
            tk = t_ptr[s]
            for j in range(j0, j1 + 1):
                jj = j - j0
                a = Lptr[j] + 1  # below the diagonal: rows j + 1 .. j1, then S
                for k in range(j1 - j):
                    Lt[tk + k] = Lx[a + k]
                tk += j1 - j
                a += j1 - j
                for r in range(m):
                    Lpan[p_ptr[s] + r * w + jj] = Lx[a + r]
        # U, column by column: the rows of a supernode's block in a column c beyond
        # the block must find c in its S (sorted), at its cursor
        for c in range(n):
            kk = Uptr[c + 1] - 1
            Ud[c] = Ux[kk]
            for k in range(Uptr[c], kk):
                i = Ui[k]
                s = sn_of[i]
                j0 = starts[s]
                j1 = starts[s + 1] - 1
                w = j1 - j0 + 1
                if c <= j1:
                    jj = c - j0
                    Ut[t_ptr[s] + jj * (jj - 1) // 2 + (i - j0)] = Ux[k]
                else:
                    m = s_ptr[s + 1] - s_ptr[s]
                    while cursor[s] < m and s_idx[s_ptr[s] + cursor[s]] < c:
                        cursor[s] += 1
                    if cursor[s] >= m or s_idx[s_ptr[s] + cursor[s]] != c:
                        ok = False
                        break
                    Upan[p_ptr[s] + cursor[s] * w + (i - j0)] = Ux[k]
            if not ok:
                break
    if not ok:
        return None
    return (starts_a, s_ptr_a, s_idx_a, t_ptr_a, Lt_a, Ut_a, Ud_a, p_ptr_a, Lp_a, Up_a)
