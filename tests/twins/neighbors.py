"""Plain NumPy twin of the neighbor-list kernels (tests only).

Same inputs, same layout as :class:`qcsim.neighbors.NeighborList` (see its
module docstring), built the obvious way: every image of every site that lies
within ``rcs`` of the cell, then a KD-tree query around every primary entry.
Primaries are entries ``0 .. n-1`` here, in site order; the Cython list orders
entries by bin, so comparisons go through physical pairs
(:func:`pair_set`), never through entry indices.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def basis(cell_cc, pbc_c):
    """Cell vectors with non-periodic ones replaced by an orthonormal complement."""
    basis_cc = np.array(cell_cc, dtype=np.float64)
    periodic = [c for c in range(3) if pbc_c[c]]
    if len(periodic) == 0:
        return np.eye(3)
    if len(periodic) == 1:
        a = basis_cc[periodic[0]] / np.linalg.norm(basis_cc[periodic[0]])
        trial = np.eye(3)[np.argmin(np.abs(a))]
        b = np.cross(a, trial)
        b /= np.linalg.norm(b)
        others = [np.cross(a, b), b]
    elif len(periodic) == 2:
        n = np.cross(basis_cc[periodic[0]], basis_cc[periodic[1]])
        others = [n / np.linalg.norm(n)]
    else:
        others = []
    for c in range(3):
        if not pbc_c[c]:
            basis_cc[c] = others.pop()
    return basis_cc


def images(x_ic, cell_cc, pbc_c, rcs):
    """Owner and shift of every primary entry and every ghost within rcs of the cell.

    Returns
    -------
    owner_e : (n_ext,) int32; the first n entries are the primaries in site order.
    shift_ec : (n_ext, 3) Cartesian shifts.
    """
    x_ic = np.asarray(x_ic, dtype=np.float64).reshape(-1, 3)
    n = len(x_ic)
    basis_cc = basis(cell_cc, pbc_c)
    s_ic = x_ic @ np.linalg.inv(basis_cc)
    wrap_ic = np.zeros_like(s_ic)
    for c in range(3):
        if pbc_c[c]:
            wrap_ic[:, c] = -np.floor(s_ic[:, c])
    s_ic = s_ic + wrap_ic
    volume = abs(np.linalg.det(basis_cc))
    margin_c = np.zeros(3)
    nimg_c = np.zeros(3, dtype=int)
    for c in range(3):
        if pbc_c[c]:
            area = np.linalg.norm(np.cross(basis_cc[(c + 1) % 3], basis_cc[(c + 2) % 3]))
            margin_c[c] = rcs / (volume / area)
            nimg_c[c] = int(np.ceil(margin_c[c])) + 1
    owners = [np.arange(n)]
    shifts = [wrap_ic @ basis_cc]
    for img in np.ndindex(*(2 * nimg_c + 1)):
        img = np.array(img) - nimg_c
        if not img.any():
            continue
        s = s_ic + img
        ok = np.ones(n, dtype=bool)
        for c in range(3):
            if pbc_c[c]:
                ok &= (s[:, c] >= -margin_c[c]) & (s[:, c] < 1.0 + margin_c[c])
        idx = np.nonzero(ok)[0]
        owners.append(idx)
        shifts.append((wrap_ic[idx] + img) @ basis_cc)
    return np.concatenate(owners).astype(np.int32), np.ascontiguousarray(np.concatenate(shifts))


def half_list(x_ic, owner_e, shift_ec, rcs):
    """CSR half list by KD-tree queries around the primaries (entries 0..n-1)."""
    n = len(x_ic)
    x_ec = gather_positions(x_ic, owner_e, shift_ec)
    tree = cKDTree(x_ec) if len(x_ec) else None
    rows = [[] for _ in range(len(x_ec))]
    for i in range(n):
        for j in tree.query_ball_point(x_ec[i], rcs):
            oi, oj = owner_e[i], owner_e[j]
            if oj > oi or (oj == oi and lex_positive(shift_ec[j] - shift_ec[i])):
                rows[i].append(j)
    offsets_e = np.zeros(len(x_ec) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=offsets_e[1:])
    j_n = np.array([j for r in rows for j in sorted(r)], dtype=np.int32)
    return offsets_e, j_n


def build(x_ic, cell_cc, pbc_c, rcs):
    """The whole list: owner_e, shift_ec, offsets_e, j_n."""
    owner_e, shift_ec = images(x_ic, cell_cc, pbc_c, rcs)
    offsets_e, j_n = half_list(np.asarray(x_ic, float).reshape(-1, 3), owner_e, shift_ec, rcs)
    return owner_e, shift_ec, offsets_e, j_n


def lex_positive(d_c, tol=1e-9):
    """Is the vector lexicographically positive (components beyond tol)?"""
    for d in d_c:
        if d > tol:
            return True
        if d < -tol:
            return False
    return False


def lex_positive_n(d_nc, tol=1e-9):
    """:func:`lex_positive` of every row of an (n, 3) array."""
    positive_n = np.zeros(len(d_nc), dtype=bool)
    undecided_n = np.ones(len(d_nc), dtype=bool)
    for c in range(3):
        positive_n |= undecided_n & (d_nc[:, c] > tol)
        undecided_n &= np.abs(d_nc[:, c]) <= tol
    return positive_n


def gather_positions(x_ic, owner_e, shift_ec):
    """(n_ext, 3) positions of the entries."""
    return np.asarray(x_ic, dtype=np.float64)[owner_e] + shift_ec


def fold(a_e, owner_e, n_sites):
    """Sum a per-entry array onto the sites."""
    out = np.zeros((n_sites,) + np.shape(a_e)[1:])
    np.add.at(out, owner_e, a_e)
    return out


def pair_set(x_ic, owner_e, shift_ec, offsets_e, j_n, r_max, decimals=6):
    """Physical pairs of a list within r_max, direction normalised to i <= j.

    Returns
    -------
    pairs : list of (i, j, dx, dy, dz) with the separation x_j - x_i rounded;
        a same-site pair is stored with its lexicographically positive vector.
        A list may not contain a physical pair twice, so callers compare
        ``sorted(pairs)`` (duplicates show) as well as sets.
    """
    x_ec = gather_positions(x_ic, owner_e, shift_ec)
    e_n = np.repeat(np.arange(len(owner_e)), np.diff(offsets_e))
    d_nc = x_ec[j_n] - x_ec[e_n]
    keep = np.linalg.norm(d_nc, axis=1) < r_max
    i_n, k_n, d_nc = owner_e[e_n[keep]], owner_e[j_n[keep]], d_nc[keep]
    flip = (i_n > k_n) | ((i_n == k_n) & ~lex_positive_n(d_nc))
    i_n, k_n = np.where(flip, k_n, i_n), np.where(flip, i_n, k_n)
    d_nc = np.where(flip[:, None], -d_nc, d_nc)
    d_nc = np.round(d_nc, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return [(int(a), int(b), *map(float, d)) for a, b, d in zip(i_n, k_n, d_nc)]
