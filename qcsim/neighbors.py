"""Half neighbor lists over sites plus their periodic images.

Data layout (shared by every atomistic kernel)
----------------------------------------------
A list is built over *extended entries*: every site once (its primary entry)
plus the periodic images ("ghosts") that lie within ``cutoff + skin`` of the
cell.  Entry ``e`` is an image of site ``owner_e[e]`` displaced by
``shift_ec[e]``::

    x_ec[e] = x_ic[owner_e[e]] + shift_ec[e]

The primary entry of site ``i`` is ``primary_i[i]``; its shift is the lattice
vector that wraps the site into the cell along periodic axes (zero along the
others).  Entries are stored in cell-bin order, primaries and ghosts mixed, so
that neighbours are close in memory; nothing may assume that primaries are the
first entries or that they follow the site order.

The list is a CSR half list: the neighbours of entry ``e`` are
``j_n[offsets_e[e]:offsets_e[e + 1]]`` (indices of extended entries); only
primary entries have neighbours (ghost rows are empty).  Each physical pair
(site o, site k, separation vector) within ``cutoff + skin`` is stored exactly
once, in the row of the primary entry of o, with the rule: keep (primary of o,
entry of k) iff ``k > o``, or ``k == o`` and the relative image shift
``shift_ec[entry] - shift_ec[primary]`` is lexicographically positive.  So a
kernel that loops::

    for e in range(n_ext):
        for n in range(offsets_e[e], offsets_e[e + 1]):
            j = j_n[n]

and accumulates into extended arrays, then folds them onto owners
(:meth:`NeighborList.fold`), counts every pair once (Newton's third law).
Under MPI the ghosts of other ranks are just more extended entries; kernels do
not change.

The list is rebuilt when the cell, the periodicity or the number of sites
changes, or when some site has moved more than half the skin since the last
build.

Algorithm: the entries are binned by counting sort on a grid aligned with
the periodic cell (every image of a bin is a bin), then every primary scans
the bins its sphere of radius ``cutoff + skin`` can reach.  A run of bins
along axis 0 is a contiguous run of entries, so a scan is a few contiguous
sweeps; candidates go through a vectorised single-precision distance filter
(AVX2 or SSE2, chosen at import; see ``cython_kernels/neighbors_simd.pxd``),
and only those within round-off of the radius (or images of the probe's own
site) are decided in double precision, so the list is the exact
double-precision one.  Rectangular cells get bins of the full radius across
and 1/16 of it along axis 0, with each sweep cut to the chord of the sphere;
other cells get bins of a third of the radius and a fixed, pruned stencil.
The kernels are in ``cython_kernels/neighbors.pyx``; the plain NumPy twin
used by the tests is ``tests/twins/neighbors.py``.
"""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np

from qcsim._kernels import neighbors as _k
from qcsim.errors import GeometryError

__all__ = ["NeighborList", "moved_beyond"]

# bins per cutoff + skin (tuned with scripts/bench_neighbors.py)
BINS_PER_RADIUS = 3  # any cell, every axis
BINS_ALONG_ROWS = 16  # rectangular cells, axis 0 (each sweep is cut to the sphere's chord)
BINS_ACROSS_ROWS = 1  # rectangular cells, axes 1 and 2


class NeighborList:
    """Verlet half list with skin over sites and their periodic images.

    Parameters
    ----------
    cutoff : interaction cutoff (A).
    skin : extra distance (A); the list holds pairs within ``cutoff + skin``.

    Attributes (after the first build)
    ----------------------------------
    n_sites, n_ext : number of sites and of extended entries.
    owner_e : (n_ext,) int32, site of each entry.
    shift_ec : (n_ext, 3) float64 C-contiguous, Cartesian shift of each entry (A).
    primary_i : (n_sites,) int32, entry index of each site's primary entry.
    offsets_e : (n_ext + 1,) int64, CSR row offsets into ``j_n``.
    j_n : (n_pairs,) int32, neighbour entry of each listed pair.
    n_builds : how many times the list was built.

    :meth:`exclude_between` leaves chosen pairs out of every later build (the
    two faces of a pre-crack that must not interact).

    A build replaces these arrays, except that ``j_n`` is a view of storage
    the list reuses: copy it if you need it after the next build.
    """

    def __init__(self, cutoff: float, skin: float = 1.0):
        if not cutoff > 0 or not skin >= 0:
            raise ValueError("cutoff must be positive and skin non-negative")
        self.cutoff = float(cutoff)
        self.skin = float(skin)
        self.n_builds = 0
        self._key = None
        self._x_built = None
        self._stencil = (None, None)  # (key, strips) of the last fixed stencil
        self._j_buffer = None  # j_n is a view of it
        self._order_i = np.zeros(0, np.int32)  # sites in the last build's bin order
        self._exclude = None  # (group_i, a, b): no pairs between groups a and b
        self._within = None  # (group_i, a): no pairs of two sites of group a
        self._one_side = None  # (ghost_i, key_i): pairs across a cut counted on one side

    def exclude_between(self, group_i, a: int = 1, b: int = 2) -> None:
        """Leave out of the list every pair of a site in group ``a`` with one in group
        ``b`` (``group_i``: (n_sites,) integer labels; None removes the exclusion).
        Takes effect at the next :meth:`update`, which is forced to rebuild."""
        if group_i is None:
            self._exclude = None
        else:
            if a == b:
                raise ValueError("the two excluded groups must differ")
            self._exclude = (np.ascontiguousarray(group_i, dtype=np.int32), int(a), int(b))
        self._key = None

    def exclude_within(self, group_i, a: int = 1) -> None:
        """Leave out of every later build each pair of two sites of group ``a``
        (``group_i``: (n_sites,) integer labels; None removes it): the halo atoms of a
        rank's share, whose energies it does not count (:mod:`qcsim.parallel.atoms`).
        Takes effect at the next :meth:`update`, which is forced to rebuild."""
        self._within = None if group_i is None else \
            (np.ascontiguousarray(group_i, dtype=np.int32), int(a), int(a))
        self._key = None

    def keep_one_side(self, ghost_i, key_i) -> None:
        """Keep of every later build the pairs this rank of a distributed system counts
        (:mod:`qcsim.parallel.domain`; None removes the rule): none of two sites with
        ``ghost_i`` 1, and of a site with ``ghost_i`` 0 and one with 1, only those whose
        first site has the smaller ``key_i`` (uint64; the other rank counts the rest).
        Takes effect at the next :meth:`update`, which is forced to rebuild."""
        self._one_side = None if ghost_i is None else (
            np.ascontiguousarray(ghost_i, dtype=np.int32),
            np.ascontiguousarray(key_i, dtype=np.uint64))
        self._key = None

    def reset(self) -> None:
        """Forget every earlier build: the next :meth:`update` builds the list exactly as
        a new NeighborList would (the same pairs in the same order), whatever this
        one was built at before.  Results then depend only on the current positions,
        not on the history of builds (a restarted run repeats an uninterrupted one
        bit for bit)."""
        self._key = None
        self._x_built = None
        self._order_i = np.zeros(0, np.int32)

    # -- public API --------------------------------------------------------
    def update(self, x_ic, cell_cc, pbc_c) -> bool:
        """Rebuild if needed; return True when a rebuild happened.

        Parameters
        ----------
        x_ic : (n, 3) positions (A).
        cell_cc : (3, 3) cell, rows are the cell vectors (A).
        pbc_c : (3,) periodicity of each cell vector.
        """
        x_ic, cell_cc, pbc_c = _checked(x_ic, cell_cc, pbc_c)
        key = (len(x_ic), cell_cc.tobytes(), pbc_c.tobytes())
        if key != self._key or _k.moved_beyond(x_ic, self._x_built, 0.5 * self.skin):
            self.build(x_ic, cell_cc, pbc_c)
            return True
        return False

    def build(self, x_ic, cell_cc, pbc_c) -> None:
        """Build the list unconditionally (arguments as in :meth:`update`)."""
        x_ic, cell_cc, pbc_c = _checked(x_ic, cell_cc, pbc_c)
        n = len(x_ic)
        rcs = self.cutoff + self.skin
        if n == 0:
            self.owner_e = np.zeros(0, np.int32)
            self.shift_ec = np.zeros((0, 3))
            self.primary_i = np.zeros(0, np.int32)
            self.offsets_e = np.zeros(1, np.int64)
            self.j_n = np.zeros(0, np.int32)
        else:
            self._build(x_ic, cell_cc, pbc_c, rcs)
        self.n_sites, self.n_ext = n, len(self.owner_e)
        self._key = (n, cell_cc.tobytes(), pbc_c.tobytes())
        self._x_built = x_ic.copy()
        self.n_builds += 1

    def extended_positions(self, x_ic, out=None) -> np.ndarray:
        """Positions of all extended entries.

        Parameters
        ----------
        x_ic : (n_sites, 3) positions (A).
        out : optional (n_ext, 3) float64 C-contiguous array to fill.

        Returns
        -------
        x_ec : (n_ext, 3) ``x_ic[owner_e] + shift_ec``.
        """
        x_ic = np.ascontiguousarray(x_ic, dtype=np.float64)
        if x_ic.shape != (self.n_sites, 3):
            raise ValueError(f"x_ic has shape {x_ic.shape}, expected ({self.n_sites}, 3)")
        if out is None:
            out = np.empty((self.n_ext, 3))
        _k.gather_positions(x_ic, self.owner_e, self.shift_ec, out)
        return out

    def gather(self, a_i) -> np.ndarray:
        """Per-site array (n_sites, ...) -> per-entry array (n_ext, ...), ``a_i[owner_e]``."""
        return np.take(a_i, self.owner_e, axis=0)

    def fold(self, a_e, out=None) -> np.ndarray:
        """Sum a per-entry array (n_ext,) or (n_ext, k) onto the sites.

        Returns
        -------
        a_i : (n_sites,) or (n_sites, k), ``a_i[i] = sum of a_e[e] with owner_e[e] == i``;
            written into ``out`` when given (float64 C-contiguous for the fast path).
        """
        a_e = np.asarray(a_e)
        shape = (self.n_sites,) + a_e.shape[1:]
        if len(a_e) != self.n_ext:
            raise ValueError(f"a_e has length {len(a_e)}, expected {self.n_ext}")
        fast = a_e.dtype == np.float64 and a_e.ndim in (1, 2)
        if out is None:
            out = np.empty(shape, dtype=np.float64 if fast else a_e.dtype)
        fast = fast and out.dtype == np.float64 and out.flags.c_contiguous
        if fast and a_e.ndim == 1:
            _k.fold_1(np.ascontiguousarray(a_e), self.owner_e, out)
        elif fast:
            _k.fold_k(np.ascontiguousarray(a_e), self.owner_e, out)
        else:
            out[...] = 0
            np.add.at(out, self.owner_e, a_e)
        return out

    def pairs(self, x_ic, cutoff: float | None = None):
        """Pairs within ``cutoff`` (default: the interaction cutoff).

        Returns
        -------
        i_n, j_n : (n_pairs,) site indices of each pair (each pair once).
        dr_nc : (n_pairs, 3) separation vectors x_j - x_i (A).
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
        """Number of listed pairs (within ``cutoff + skin``)."""
        return int(self.offsets_e[-1])

    # -- internals ---------------------------------------------------------
    def _build(self, x_ic, cell_cc, pbc_c, rcs):
        basis_cc = _basis(cell_cc, pbc_c)
        bins = self._bin_entries(x_ic, basis_cc, pbc_c, rcs)
        grid = bins.grid
        if grid.rectangular:
            stencil = (bins.inv_cc, grid.origin_c, grid.scale_c, grid.pad_c, grid.dims_c,
                       grid.edge_c)
            kernel = _k.half_list_box
        else:
            key = (basis_cc.tobytes(), grid.width_c.tobytes(), grid.dims_c.tobytes(), rcs)
            if self._stencil[0] != key:
                self._stencil = (key, grid.strips(rcs))
            stencil = self._stencil[1]
            kernel = _k.half_list_strips
        n, n_ext = len(x_ic), len(bins.owner_e)
        offsets_e = np.zeros(n_ext + 1, np.int64)
        if self.n_builds and self.n_sites == n:  # a rebuild: about as many pairs as last time
            j_buf = self._pair_buffer(int(1.05 * self.n_pairs) + 64)
        else:
            j_buf = self._pair_buffer(int(n * grid.half_neighbours_estimate(n, rcs)) + 64)
        tol_d2 = _single_precision_tolerance(bins.extent, rcs)
        b = 0
        while True:
            b = kernel(bins.xf_ce, bins.owner_e, bins.x_tc, bins.record_e, bins.shift_ec,
                       bins.start_b, bins.nprim_b, *stencil, rcs, tol_d2, b, offsets_e, j_buf)
            if b == grid.n_bins:
                break
            done = int(offsets_e[bins.start_b[b]])  # pairs of the entries before bin b
            share = max(bins.start_b[b] / max(n_ext, 1), 0.1)
            j_buf = self._pair_buffer(max(int(1.05 * done / share), len(j_buf) + 1024),
                                      keep=done)
        n_pairs = int(offsets_e[-1])
        for rule in (self._exclude, self._within):
            if rule is not None:
                group_i, a, b = rule
                if len(group_i) != n:
                    raise ValueError(f"exclusion groups for {len(group_i)} sites, list of {n}")
                n_pairs = _k.drop_pairs_between(offsets_e, j_buf, group_i[bins.owner_e], a, b)
        if self._one_side is not None:
            ghost_i, key_i = self._one_side
            if len(ghost_i) != n or len(key_i) != n:
                raise ValueError(f"one-side labels for {len(ghost_i)} sites, list of {n}")
            n_pairs = _k.keep_one_side(offsets_e, j_buf, bins.owner_e, ghost_i, key_i)
        self.owner_e, self.shift_ec, self.primary_i = bins.owner_e, bins.shift_ec, bins.primary_i
        self.offsets_e, self.j_n = offsets_e, j_buf[:n_pairs]

    def _bin_entries(self, x_ic, basis_cc, pbc_c, rcs) -> SimpleNamespace:
        """Images and counting sort: every entry in its bin (see the kernels)."""
        n = len(x_ic)
        inv_cc = np.linalg.inv(basis_cc)
        pbc32_c = pbc_c.astype(np.int32)
        # the sites in the previous build's bin order: spatial, so the scatter stays local
        order_i = self._order_i if len(self._order_i) == n else np.arange(n, dtype=np.int32)
        x_tc, s_tc, wrap_tc = np.empty((n, 3)), np.empty((n, 3)), np.empty((n, 3))
        lo_c, hi_c = np.empty(3), np.empty(3)
        _k.wrap_fractional(x_ic, inv_cc, pbc32_c, order_i, x_tc, s_tc, wrap_tc, lo_c, hi_c)
        grid = _Grid(basis_cc, pbc_c, lo_c, hi_c, n, rcs)
        args = (pbc32_c, grid.margin_c, grid.origin_c, grid.scale_c, grid.pad_c, grid.dims_c)
        count_b = np.zeros(grid.n_bins, np.int64)
        n_ext = _k.count_entries(s_tc, *args, count_b)
        if n_ext >= 2**31:
            raise GeometryError(f"{n_ext} extended entries: too many for int32 indices")
        start_b = np.zeros(grid.n_bins + 1, np.int64)
        np.cumsum(count_b, out=start_b[1:])
        nprim_b = count_b  # reused: its counts are in start_b now
        nprim_b[:] = 0
        out = SimpleNamespace(grid=grid, inv_cc=inv_cc, x_tc=x_tc, start_b=start_b,
                              nprim_b=nprim_b, owner_e=np.empty(n_ext, np.int32),
                              primary_i=np.empty(n, np.int32), shift_ec=np.empty((n_ext, 3)),
                              xf_ce=np.empty((3, n_ext), np.float32),
                              record_e=np.empty(n_ext, np.int64))
        self._order_i = np.empty(n, np.int32)
        out.extent = _k.place_entries(
            order_i, x_tc, s_tc, wrap_tc, basis_cc, *args, 0.5 * (lo_c + hi_c) @ basis_cc,
            start_b[:-1].copy(), out.record_e, out.owner_e, out.shift_ec, out.xf_ce,
            out.primary_i, nprim_b, self._order_i)
        return out

    def _pair_buffer(self, size, keep=0):
        """Storage for ``j_n``, kept between builds (fresh pages cost page faults).

        Reallocated when too small or more than a quarter too large; the first
        ``keep`` values survive.
        """
        old = self._j_buffer
        if old is None or len(old) < size or len(old) > 1.25 * size + 4096:
            self._j_buffer = np.empty(size, np.int32)
            if keep:
                self._j_buffer[:keep] = old[:keep]
        return self._j_buffer


def _single_precision_tolerance(extent, rcs):
    """Bound on |d2_single - d2_double| for a pair near the radius rcs.

    Entry positions are rounded to float32 relative to a centre, with
    components up to ``extent``; each component of a separation is then off by
    at most ``a``, and its square by ``2 |d| a + a^2`` per component.
    """
    ulp = lambda v: float(np.spacing(np.float32(v)))  # noqa: E731
    a = 2 * ulp(extent) + ulp(2 * rcs)
    return 2 * (2 * np.sqrt(3) * rcs * a + 3 * a * a + 8 * ulp(rcs * rcs))


def _checked(x_ic, cell_cc, pbc_c):
    x_ic = np.ascontiguousarray(x_ic, dtype=np.float64)
    if x_ic.ndim != 2 or x_ic.shape[1] != 3:
        raise ValueError(f"positions must have shape (n, 3), got {x_ic.shape}")
    if not np.isfinite(x_ic).all():
        raise GeometryError("positions are not all finite")
    cell_cc = np.asarray(cell_cc, dtype=np.float64).reshape(3, 3)
    pbc_c = np.asarray(pbc_c, dtype=bool).reshape(3)
    return x_ic, cell_cc, pbc_c


def _basis(cell_cc, pbc_c):
    """Cell vectors with non-periodic ones replaced by an orthonormal complement.

    Returns
    -------
    basis_cc : (3, 3) rows are basis vectors; a site's fractional coordinates are
        ``s = x @ inv(basis_cc)``, and the non-periodic ones are distances (A)
        along unit vectors orthogonal to the periodic cell vectors.
    """
    basis = np.array(cell_cc, dtype=np.float64)
    periodic = [c for c in range(3) if pbc_c[c]]
    if periodic and np.linalg.matrix_rank(basis[periodic]) < len(periodic):
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


class _Grid:
    """Bin grid over the extended region, aligned with the periodic cell.

    Along a periodic axis the cell's [0, 1) is cut into ``nb`` bins and
    ``pad = reach`` bins of images are added on each side; along a free axis
    the sites' range is cut into bins of the target size, padded with empty
    bins so that a stencil never leaves the grid.  When the basis vectors are
    orthogonal (``rectangular``), bins are fine along axis 0 (the stencil is
    cut per entry to the chord of its sphere, see ``half_list_box``) and about
    the radius across; otherwise they are about a third of the radius and the
    stencil is fixed (``strips``).
    """

    def __init__(self, basis_cc, pbc_c, lo_c, hi_c, n, rcs):
        volume = abs(np.linalg.det(basis_cc))
        self.height_c = np.array([volume / np.linalg.norm(np.cross(basis_cc[(c + 1) % 3],
                                                                   basis_cc[(c + 2) % 3]))
                                  for c in range(3)])
        self.basis_cc, self.pbc_c = basis_cc, pbc_c
        gram_cc = basis_cc @ basis_cc.T
        norm_c = np.sqrt(np.diag(gram_cc))
        off_cc = gram_cc - np.diag(np.diag(gram_cc))
        self.rectangular = bool(np.all(np.abs(off_cc) <= 1e-12 * np.outer(norm_c, norm_c)))
        if np.any(pbc_c & (rcs / self.height_c > 30)):
            raise GeometryError("a periodic cell height is below 1/30 of cutoff + skin")
        periodic_images = np.prod(np.where(pbc_c, 1 + 2 * rcs / self.height_c, 1.0))
        max_bins = 4 * n * periodic_images + 4096
        if self.rectangular:
            target_c = rcs / np.array([BINS_ALONG_ROWS, BINS_ACROSS_ROWS, BINS_ACROSS_ROWS])
        else:
            target_c = np.full(3, rcs / BINS_PER_RADIUS)
        while True:
            self._layout(lo_c, hi_c, rcs, target_c)
            if self.n_bins <= max_bins:
                break
            target_c = target_c * 1.5

    def _layout(self, lo_c, hi_c, rcs, target_c):
        pbc_c, h_c = self.pbc_c, self.height_c
        nb_c = np.where(pbc_c, np.maximum(1, np.floor(h_c / target_c)),
                        np.floor((hi_c - lo_c) / target_c) + 1).astype(np.int64)
        self.width_c = np.where(pbc_c, 1.0 / nb_c, target_c)  # fractional bin width
        self.edge_c = self.width_c * h_c  # bin height (edge length when rectangular)
        self.reach_c = np.ceil(rcs / self.edge_c * (1 + 1e-9)).astype(np.int32)
        self.pad_c = self.reach_c.copy()
        self.dims_c = (nb_c + 2 * self.pad_c).astype(np.int32)
        self.margin_c = np.where(pbc_c, rcs / h_c * (1 + 1e-9), 0.0)
        self.origin_c = np.where(pbc_c, 0.0, lo_c)
        self.scale_c = 1.0 / self.width_c
        self.n_bins = int(np.prod(self.dims_c.astype(np.int64)))

    def half_neighbours_estimate(self, n, rcs):
        """Expected half-list neighbours per site at uniform density (sizes ``j_n``)."""
        extent_c = np.where(self.pbc_c, self.height_c,
                            (self.dims_c - 2 * self.pad_c) * self.width_c)
        density = n / max(np.prod(extent_c), 1e-300)
        return 0.5 * density * 4.0 / 3.0 * np.pi * rcs**3 + 2

    def strips(self, rcs):
        """Stencil as runs of bins along axis 0.

        Returns
        -------
        strip_s : (n_strips,) int64, flat bin offset of each run's first bin.
        width_s : (n_strips,) int64, number of bins in each run.
        """
        r0, r1, r2 = (int(r) for r in self.reach_c)
        k_kc = np.array(list(itertools.product(range(-r0, r0 + 1), range(-r1, r1 + 1),
                                               range(-r2, r2 + 1))), dtype=np.float64)
        m_cc = self.width_c[:, None] * self.basis_cc
        near_k = _min_distance(k_kc, m_cc) < rcs * (1 + 1e-9)
        d0, d1 = (int(d) for d in self.dims_c[:2])
        strip_s, width_s = [], []
        for k1, k2 in itertools.product(range(-r1, r1 + 1), range(-r2, r2 + 1)):
            row = near_k & (k_kc[:, 1] == k1) & (k_kc[:, 2] == k2)
            if row.any():
                k0 = k_kc[row, 0].astype(np.int64)
                strip_s.append(k0.min() + d0 * (k1 + d1 * k2))
                width_s.append(k0.max() - k0.min() + 1)
        return np.array(strip_s, np.int64), np.array(width_s, np.int64)


def _min_distance(k_kc, m_cc):
    """Smallest distance between points of two bins whose grid offset is k.

    The difference vectors are ``(k + t) @ m_cc`` for ``t`` in (-1, 1)^3; the
    minimum of this convex quadratic over the box lies in the relative interior
    of one of the box's 27 faces, so trying all of them is exact.

    ``k_kc`` (n_k, 3) holds integer offsets (as float), ``m_cc`` (3, 3) the bin
    edge vectors as rows; returns the (n_k,) distances.
    """
    best_k = np.full(len(k_kc), np.inf)
    for face in itertools.product((-1.0, 0.0, 1.0), repeat=3):
        free = [c for c in range(3) if face[c] == 0.0]
        t_kc = np.broadcast_to(np.array(face), k_kc.shape).copy()
        if free:
            # minimise |(k + t) m| over the free t: least squares in the free rows
            a_fc = m_cc[free]
            r_kc = (k_kc + t_kc) @ m_cc
            g_ff = a_fc @ a_fc.T
            t_kf = -np.linalg.solve(g_ff, a_fc @ r_kc.T).T
            t_kc[:, free] = t_kf
            inside = np.all(np.abs(t_kf) <= 1.0, axis=1)
        else:
            inside = np.ones(len(k_kc), dtype=bool)
        d_k = np.linalg.norm((k_kc + t_kc) @ m_cc, axis=1)
        best_k = np.where(inside, np.minimum(best_k, d_k), best_k)
    return best_k


def moved_beyond(x_ic, x0_ic, distance: float) -> bool:
    """True when some position of ``x_ic`` (n, 3) is farther than ``distance`` (A) from
    its old one in ``x0_ic`` (the Verlet criterion of a list with skin 2 * distance)."""
    return bool(_k.moved_beyond(np.ascontiguousarray(x_ic, dtype=np.float64),
                                np.ascontiguousarray(x0_ic, dtype=np.float64), float(distance)))
