"""Half neighbor lists over sites plus their periodic images.

Data layout (shared by every atomistic kernel)
----------------------------------------------
A list is built over *extended entries*: every site once (its primary entry)
plus the periodic images ("ghosts") that lie within ``cutoff + skin`` of the
cell.  Entry ``e`` is an image of site ``owner_e[e]`` displaced by
``shift_ec[e]``::

    x_ec[e] = x_ic[owner_e[e]] + shift_ec[e]

Entries are stored in cell-bin order so that neighbours are close in memory.
The list is a CSR half list: the neighbours of entry ``e`` are
``j_n[offsets_e[e]:offsets_e[e + 1]]`` (indices of extended entries); only
primary entries have neighbours.  Each physical pair (site i, site j,
separation vector) within ``cutoff + skin`` is stored exactly once, so a
kernel that loops over the list and accumulates into extended arrays, then
folds them onto owners (:meth:`NeighborList.fold`), counts every pair once
(Newton's third law).  Under MPI the ghosts of other ranks are just more
extended entries; kernels do not change.

The list is rebuilt when the cell, the periodicity or the number of sites
changes, or when some site has moved more than half the skin since the last
build.
"""
from __future__ import annotations

import numpy as np

from qcsim.errors import GeometryError

__all__ = ["NeighborList"]


class NeighborList:
    """Verlet half list with skin over sites and their periodic images.

    Parameters
    ----------
    cutoff : interaction cutoff (A).
    skin : extra distance (A); the list holds pairs within ``cutoff + skin``.
    """

    def __init__(self, cutoff: float, skin: float = 1.0):
        if cutoff <= 0 or skin < 0:
            raise ValueError("cutoff must be positive and skin non-negative")
        self.cutoff = float(cutoff)
        self.skin = float(skin)
        self.n_builds = 0
        self._key = None
        self._x_built = None

    # -- public API --------------------------------------------------------
    def update(self, x_ic, cell_cc, pbc_c) -> bool:
        """Rebuild if needed; return True when a rebuild happened."""
        x_ic = np.ascontiguousarray(x_ic, dtype=np.float64)
        cell_cc = np.asarray(cell_cc, dtype=np.float64).reshape(3, 3)
        pbc_c = np.asarray(pbc_c, dtype=bool).reshape(3)
        key = (len(x_ic), cell_cc.tobytes(), pbc_c.tobytes())
        if key != self._key or self._moved_too_far(x_ic):
            self.build(x_ic, cell_cc, pbc_c)
            return True
        return False

    def build(self, x_ic, cell_cc, pbc_c) -> None:
        """Build the list unconditionally."""
        x_ic = np.ascontiguousarray(x_ic, dtype=np.float64)
        cell_cc = np.asarray(cell_cc, dtype=np.float64).reshape(3, 3)
        pbc_c = np.asarray(pbc_c, dtype=bool).reshape(3)
        owner_e, shift_ec = _images(x_ic, cell_cc, pbc_c, self.cutoff + self.skin)
        offsets_e, j_n = _half_list(x_ic[owner_e] + shift_ec, owner_e, shift_ec,
                                    len(x_ic), self.cutoff + self.skin)
        self.owner_e, self.shift_ec = owner_e, shift_ec
        self.offsets_e, self.j_n = offsets_e, j_n
        self.n_sites, self.n_ext = len(x_ic), len(owner_e)
        self._key = (len(x_ic), cell_cc.tobytes(), pbc_c.tobytes())
        self._x_built = x_ic.copy()
        self.n_builds += 1

    def extended_positions(self, x_ic, out=None):
        """Positions of all extended entries, shape (n_ext, 3)."""
        x_ec = np.take(np.asarray(x_ic, dtype=np.float64), self.owner_e, axis=0, out=out)
        x_ec += self.shift_ec
        return x_ec

    def gather(self, a_i):
        """Per-site array -> per-entry array (``a_i[owner_e]``)."""
        return np.take(a_i, self.owner_e, axis=0)

    def fold(self, a_e, out=None):
        """Sum a per-entry array (n_ext,) or (n_ext, k) onto the sites."""
        a_e = np.asarray(a_e)
        shape = (self.n_sites,) + a_e.shape[1:]
        if out is None:
            out = np.zeros(shape, dtype=a_e.dtype)
        else:
            out[...] = 0
        np.add.at(out, self.owner_e, a_e)
        return out

    def pairs(self, x_ic, cutoff: float | None = None):
        """Pairs within ``cutoff`` (default: the interaction cutoff).

        Returns
        -------
        i_n, j_n : site indices of each pair (each pair once).
        dr_nc : separation vectors x_j - x_i (A).
        """
        rc = self.cutoff if cutoff is None else cutoff
        x_ec = self.extended_positions(x_ic)
        counts = np.diff(self.offsets_e)
        e_n = np.repeat(np.arange(self.n_ext), counts)
        dr_nc = x_ec[self.j_n] - x_ec[e_n]
        keep = np.einsum("nc,nc->n", dr_nc, dr_nc) < rc * rc
        return self.owner_e[e_n[keep]], self.owner_e[self.j_n[keep]], dr_nc[keep]

    @property
    def n_pairs(self) -> int:
        return int(self.offsets_e[-1])

    # -- internals ---------------------------------------------------------
    def _moved_too_far(self, x_ic) -> bool:
        d2 = np.einsum("ic,ic->i", x_ic - self._x_built, x_ic - self._x_built)
        return bool(d2.size) and float(d2.max()) > (0.5 * self.skin) ** 2


def _basis(cell_cc, pbc_c):
    """Cell vectors with non-periodic ones replaced by an orthonormal complement."""
    basis = np.array(cell_cc, dtype=np.float64)
    periodic = [c for c in range(3) if pbc_c[c]]
    if periodic and abs(np.linalg.matrix_rank(basis[periodic])) < len(periodic):
        raise GeometryError("periodic cell vectors are degenerate")
    if len(periodic) == 0:
        return np.eye(3)
    if len(periodic) == 1:
        a = basis[periodic[0]] / np.linalg.norm(basis[periodic[0]])
        trial = np.eye(3)[np.argmin(np.abs(a))]
        b = np.cross(a, trial)
        b /= np.linalg.norm(b)
        others = [np.cross(a, b), b]
    elif len(periodic) == 2:
        n = np.cross(basis[periodic[0]], basis[periodic[1]])
        others = [n / np.linalg.norm(n)]
    else:
        others = []
    for c in range(3):
        if not pbc_c[c]:
            basis[c] = others.pop()
    return basis


def _images(x_ic, cell_cc, pbc_c, rcs):
    """Owner and shift of every primary entry and every ghost within rcs of the cell."""
    n = len(x_ic)
    basis = _basis(cell_cc, pbc_c)
    inv = np.linalg.inv(basis)
    s_ic = x_ic @ inv
    # wrap primaries into the cell along periodic axes
    wrap_ic = np.zeros_like(s_ic)
    for c in range(3):
        if pbc_c[c]:
            wrap_ic[:, c] = -np.floor(s_ic[:, c])
    s_ic = s_ic + wrap_ic
    volume = abs(np.linalg.det(basis))
    margin_c = np.zeros(3)
    nimg_c = np.zeros(3, dtype=int)
    for c in range(3):
        if pbc_c[c]:
            area = np.linalg.norm(np.cross(basis[(c + 1) % 3], basis[(c + 2) % 3]))
            margin_c[c] = rcs / (volume / area)
            nimg_c[c] = int(np.ceil(margin_c[c]))
    owners = [np.arange(n)]
    shifts = [wrap_ic @ basis]
    for n0 in range(-nimg_c[0], nimg_c[0] + 1):
        for n1 in range(-nimg_c[1], nimg_c[1] + 1):
            for n2 in range(-nimg_c[2], nimg_c[2] + 1):
                if n0 == n1 == n2 == 0:
                    continue
                img = np.array([n0, n1, n2], dtype=float)
                s = s_ic + img
                ok = np.ones(n, dtype=bool)
                for c in range(3):
                    if pbc_c[c]:
                        ok &= (s[:, c] >= -margin_c[c]) & (s[:, c] < 1.0 + margin_c[c])
                idx = np.nonzero(ok)[0]
                owners.append(idx)
                shifts.append((wrap_ic[idx] + img) @ basis)
    owner_e = np.concatenate(owners).astype(np.int32)
    shift_ec = np.concatenate(shifts)
    return owner_e, np.ascontiguousarray(shift_ec)


def _half_list(x_ec, owner_e, shift_ec, n_sites, rcs):
    """CSR half list by brute force over entries (the reference algorithm)."""
    from scipy.spatial import cKDTree

    n_ext = len(x_ec)
    tree = cKDTree(x_ec)
    rows = [[] for _ in range(n_ext)]
    for i in range(n_sites):  # primaries are entries 0..n_sites-1 here
        for j in tree.query_ball_point(x_ec[i], rcs):
            if j == i:
                continue
            oi, oj = owner_e[i], owner_e[j]
            if oj > oi:
                rows[i].append(j)
            elif oj == oi:
                d = shift_ec[j] - shift_ec[i]
                if _lex_positive(d):
                    rows[i].append(j)
    counts = np.array([len(r) for r in rows], dtype=np.int64)
    offsets = np.zeros(n_ext + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    j_n = np.array([j for r in rows for j in sorted(r)], dtype=np.int32)
    return offsets, j_n


def _lex_positive(d, tol=1e-9):
    for c in range(3):
        if d[c] > tol:
            return True
        if d[c] < -tol:
            return False
    return False
