"""Neighbor-list kernels: periodic images, cell binning, CSR half list, gather/fold.

Every function here takes typed contiguous memoryviews and scalars, writes
into arrays its caller allocated, and runs without the GIL.  The Python layer
(:mod:`qcsim.neighbors`) chooses the bin grid and the stencil, allocates, and
documents the data layout.

Bin grid
--------
A site with fractional coordinates ``s_c`` (wrapped into [0, 1) along periodic
axes) has images ``s_c + n_c`` for integers ``n_c`` with
``-margin_c <= s_c + n_c < 1 + margin_c`` on periodic axes (``n_c = 0`` on the
others).  An entry lies in bin ``g_c = floor((s_c + n_c - origin_c) * scale_c)
+ pad_c`` (clamped into the grid), and bins are numbered
``g_0 + dims_0 * (g_1 + dims_1 * g_2)``, axis 0 fastest, so a run of bins along
axis 0 is a contiguous run of entries.  Primaries lie at least ``pad_c`` bins
from the grid's faces, so a stencil of reach ``pad_c`` never leaves the grid.

A build: :func:`wrap_fractional` (sites in a given, ideally spatial, order),
:func:`count_entries` and :func:`place_entries` (counting sort), then
:func:`half_list_box` (rectangular bins) or :func:`half_list_strips` (any
cell).  The distance sweep of the last two is C in ``neighbors_simd.pxd``.
"""
from libc.math cimport sqrt
from libc.stdint cimport int32_t, int64_t, uint64_t

from neighbors_simd cimport qcsim_init_lanes, qcsim_simd_select, qcsim_sweep

ctypedef int32_t i32
ctypedef int64_t i64

cdef double TOL_LEX = 1e-9  # same tolerance as the NumPy twin

cdef enum:
    CHUNK = 512  # candidates per sweep call (bounds the undecided buffer)

qcsim_init_lanes()
_simd_level = qcsim_simd_select(2)
_SIMD_NAMES = ("portable", "sse2", "avx2")


def simd(level=None):
    """The distance sweep in use ("portable", "sse2" or "avx2").

    With ``level`` (one of those names), use the best implementation up to it
    that this build and CPU offer (tests run every one).
    """
    global _simd_level
    if level is not None:
        _simd_level = qcsim_simd_select(_SIMD_NAMES.index(level))
    return _SIMD_NAMES[_simd_level]


cdef inline i64 _floor(double v) noexcept nogil:
    # libm floor is a call without SSE4.1; inputs are far inside the i64 range
    cdef i64 i = <i64>v
    return i - (v < i)


cdef inline i32 _bin_axis(double s, double origin, double scale, i32 pad, i32 dim) noexcept nogil:
    cdef double g = (s - origin) * scale
    cdef i64 k
    if g < -1e9:
        g = -1e9
    elif g > 1e9:
        g = 1e9
    k = _floor(g) + pad
    if k < 0:
        return 0
    if k > dim - 1:
        return dim - 1
    return <i32>k


cdef inline void _image_range(double s, bint periodic, double margin,
                              i32* lo, i32* hi) noexcept nogil:
    if periodic:
        lo[0] = <i32>(-_floor(margin + s))      # ceil(-margin - s)
        hi[0] = <i32>(-_floor(s - 1.0 - margin)) - 1  # ceil(1 + margin - s) - 1
    else:
        lo[0] = 0
        hi[0] = 0


def wrap_fractional(const double[:, ::1] x_ic, const double[:, ::1] inv_cc,
                    const i32[::1] pbc_c, const i32[::1] order_i, double[:, ::1] x_tc,
                    double[:, ::1] s_tc, double[:, ::1] wrap_tc,
                    double[::1] lo_c, double[::1] hi_c):
    """Fractional coordinates, wrapped into [0, 1) along periodic axes.

    Row ``t`` of the outputs belongs to site ``order_i[t]``: the later passes
    read them in that order, which the caller makes spatial when it can, so
    that only this pass reads the sites out of order.

    Parameters
    ----------
    x_ic : (n, 3) positions, n >= 1.
    inv_cc : (3, 3) inverse of the basis (rows = basis vectors), ``s = x @ inv``.
    pbc_c : (3,) 1 where the axis is periodic.
    order_i : (n,) a permutation of the sites.
    x_tc : (n, 3) out, ``x_ic[order_i]``.
    s_tc : (n, 3) out, wrapped fractional coordinates.
    wrap_tc : (n, 3) out, the integer (stored as float) lattice shift applied.
    lo_c, hi_c : (3,) out, smallest and largest of ``s_tc`` along each axis.
    """
    cdef Py_ssize_t t, i, n = x_ic.shape[0]
    cdef int c
    cdef double s, k
    with nogil:
        for c in range(3):
            lo_c[c] = 1e300
            hi_c[c] = -1e300
        for t in range(n):
            i = order_i[t]
            x_tc[t, 0] = x_ic[i, 0]
            x_tc[t, 1] = x_ic[i, 1]
            x_tc[t, 2] = x_ic[i, 2]
            for c in range(3):
                s = (x_tc[t, 0] * inv_cc[0, c] + x_tc[t, 1] * inv_cc[1, c]
                     + x_tc[t, 2] * inv_cc[2, c])
                k = 0.0
                if pbc_c[c]:
                    k = -<double>_floor(s)
                    s = s + k
                    if s >= 1.0:  # s was a tiny negative number
                        s = s - 1.0
                        k = k - 1.0
                s_tc[t, c] = s
                wrap_tc[t, c] = k
                if s < lo_c[c]:
                    lo_c[c] = s
                if s > hi_c[c]:
                    hi_c[c] = s


def count_entries(const double[:, ::1] s_ic, const i32[::1] pbc_c,
                  const double[::1] margin_c, const double[::1] origin_c,
                  const double[::1] scale_c, const i32[::1] pad_c, const i32[::1] dims_c,
                  i64[::1] count_b):
    """Add the number of entries (primary and images) of each bin to ``count_b``.

    ``s_ic`` may hold the sites in any order (the ``s_tc`` of
    :func:`wrap_fractional`).

    Returns
    -------
    n_ext : total number of entries.
    """
    cdef Py_ssize_t i, n = s_ic.shape[0]
    cdef i32 lo[3]
    cdef i32 hi[3]
    cdef i32 n0, n1, n2, g0, g1, g2
    cdef i64 total = 0
    cdef int c
    with nogil:
        for i in range(n):
            for c in range(3):
                _image_range(s_ic[i, c], pbc_c[c], margin_c[c], &lo[c], &hi[c])
            for n2 in range(lo[2], hi[2] + 1):
                g2 = _bin_axis(s_ic[i, 2] + n2, origin_c[2], scale_c[2], pad_c[2], dims_c[2])
                for n1 in range(lo[1], hi[1] + 1):
                    g1 = _bin_axis(s_ic[i, 1] + n1, origin_c[1], scale_c[1], pad_c[1],
                                   dims_c[1])
                    for n0 in range(lo[0], hi[0] + 1):
                        g0 = _bin_axis(s_ic[i, 0] + n0, origin_c[0], scale_c[0], pad_c[0],
                                       dims_c[0])
                        count_b[g0 + dims_c[0] * (g1 + dims_c[1] * <i64>g2)] += 1
                        total += 1
    return total


def place_entries(const i32[::1] order_i, const double[:, ::1] x_tc,
                  const double[:, ::1] s_tc, const double[:, ::1] wrap_tc,
                  const double[:, ::1] basis_cc, const i32[::1] pbc_c,
                  const double[::1] margin_c, const double[::1] origin_c,
                  const double[::1] scale_c, const i32[::1] pad_c, const i32[::1] dims_c,
                  const double[::1] centre_c, i64[::1] cursor_b, i64[::1] record_e,
                  i32[::1] owner_e, double[:, ::1] shift_ec, float[:, ::1] xf_ce,
                  i32[::1] primary_i, i64[::1] nprim_b, i32[::1] order_out_i):
    """Counting-sort placement of every entry into its bin.

    First every entry's row ``t`` and image (a packed ``record_e``) is
    scattered to its place, primaries before images so that within every bin
    the primaries come first; then the entries are filled in order, so the
    wide arrays are written sequentially.

    Parameters
    ----------
    order_i, x_tc, s_tc, wrap_tc : (n,), (n, 3) x 3, the sites' order and
        their rows from :func:`wrap_fractional`.
    basis_cc : (3, 3) basis, rows are the cell vectors.
    centre_c : (3,) origin of the single-precision coordinates.
    cursor_b : (n_bins,) in/out: first entry of each bin on entry, one past the
        last on exit.
    record_e : (n_ext,) out, row ``t`` (bits 24 and up) and image offsets (8
        bits each, biased by 128, axis 0 lowest) of each entry.
    owner_e : (n_ext,) out, site of each entry.
    shift_ec : (n_ext, 3) out, Cartesian shift of each entry.
    xf_ce : (3, n_ext) out, ``x_ic[owner_e] + shift_ec - centre_c`` in single
        precision, one row per axis (the list build's fast distance filter).
    primary_i : (n,) out, entry index of each site's primary.
    nprim_b : (n_bins,) in/out, zeros on entry; number of primaries of each bin.
    order_out_i : (n,) out, the sites in the order of their primary entries:
        the best ``order_i`` for the next build.

    Returns
    -------
    extent : largest ``|x - centre|`` component over all entries.

    Image offsets must lie in [-127, 127] along every axis.
    """
    cdef Py_ssize_t t, n = s_tc.shape[0], n_ext = owner_e.shape[0]
    cdef i32 lo[3]
    cdef i32 hi[3]
    cdef double m[3]
    cdef double v, extent = 0.0
    cdef i32 n0, n1, n2, g0, g1, g2, c
    cdef i64 b, e, rec, k = 0
    cdef i64 primary_code = (128 << 16) | (128 << 8) | 128
    with nogil:
        for t in range(n):
            b = (_bin_axis(s_tc[t, 0], origin_c[0], scale_c[0], pad_c[0], dims_c[0])
                 + dims_c[0] * (_bin_axis(s_tc[t, 1], origin_c[1], scale_c[1], pad_c[1], dims_c[1])
                 + dims_c[1] * <i64>_bin_axis(s_tc[t, 2], origin_c[2], scale_c[2], pad_c[2],
                                              dims_c[2])))
            e = cursor_b[b]
            cursor_b[b] = e + 1
            nprim_b[b] += 1
            primary_i[order_i[t]] = <i32>e
            record_e[e] = (<i64>t << 24) | primary_code
        for t in range(n):
            for c in range(3):
                _image_range(s_tc[t, c], pbc_c[c], margin_c[c], &lo[c], &hi[c])
            for n2 in range(lo[2], hi[2] + 1):
                g2 = _bin_axis(s_tc[t, 2] + n2, origin_c[2], scale_c[2], pad_c[2], dims_c[2])
                for n1 in range(lo[1], hi[1] + 1):
                    g1 = _bin_axis(s_tc[t, 1] + n1, origin_c[1], scale_c[1], pad_c[1],
                                   dims_c[1])
                    for n0 in range(lo[0], hi[0] + 1):
                        if n0 == 0 and n1 == 0 and n2 == 0:
                            continue
                        g0 = _bin_axis(s_tc[t, 0] + n0, origin_c[0], scale_c[0], pad_c[0],
                                       dims_c[0])
                        b = g0 + dims_c[0] * (g1 + dims_c[1] * <i64>g2)
                        e = cursor_b[b]
                        cursor_b[b] = e + 1
                        record_e[e] = ((<i64>t << 24) | ((n2 + 128) << 16) | ((n1 + 128) << 8)
                                       | (n0 + 128))
        for e in range(n_ext):
            rec = record_e[e]
            t = rec >> 24
            owner_e[e] = order_i[t]
            if rec & 0xFFFFFF == primary_code:
                order_out_i[k] = order_i[t]
                k += 1
            m[0] = wrap_tc[t, 0] + <double>((rec & 255) - 128)
            m[1] = wrap_tc[t, 1] + <double>(((rec >> 8) & 255) - 128)
            m[2] = wrap_tc[t, 2] + <double>(((rec >> 16) & 255) - 128)
            for c in range(3):
                v = m[0] * basis_cc[0, c] + m[1] * basis_cc[1, c] + m[2] * basis_cc[2, c]
                shift_ec[e, c] = v
                v = x_tc[t, c] + v - centre_c[c]
                xf_ce[c, e] = <float>v
                if v > extent:
                    extent = v
                elif -v > extent:
                    extent = -v
    return extent


cdef inline bint _lex_positive(const double* a, const double* b) noexcept nogil:
    """Is a - b lexicographically positive (components beyond TOL_LEX)?"""
    cdef int c
    cdef double d
    for c in range(3):
        d = a[c] - b[c]
        if d > TOL_LEX:
            return True
        if d < -TOL_LEX:
            return False
    return False


cdef struct Probe:
    # one primary entry and what its scan needs
    const float* xf
    const float* yf
    const float* zf
    const i32* owner
    const double* x_tc
    const i64* record
    const double* shift
    i64 e, n_ext
    i32 o
    float xi, yi, zi
    double x[3]
    float rin2, rout2
    double rcs2


cdef inline void _probe(Probe* p, i64 e) noexcept nogil:
    """Point the probe at primary entry e."""
    cdef int c
    cdef i32 o = p.owner[e]
    p.e = e
    p.o = o
    for c in range(3):
        p.x[c] = p.x_tc[3 * (p.record[e] >> 24) + c] + p.shift[3 * e + c]
    p.xi = p.xf[e]
    p.yi = p.yf[e]
    p.zi = p.zf[e]


cdef inline bint _exact(const Probe* p, i64 k) noexcept nogil:
    """The exact test of candidate k: owner rule, then double-precision distance."""
    cdef const double* xk = p.x_tc + 3 * (p.record[k] >> 24)
    cdef const double* sk = p.shift + 3 * k
    cdef double dx = xk[0] + sk[0] - p.x[0]
    cdef double dy = xk[1] + sk[1] - p.x[1]
    cdef double dz = xk[2] + sk[2] - p.x[2]
    if p.owner[k] < p.o:
        return False
    if dx * dx + dy * dy + dz * dz >= p.rcs2:
        return False
    if p.owner[k] == p.o:
        return _lex_positive(sk, p.shift + 3 * p.e)
    return True


cdef inline i64 _scan(const Probe* p, i64 lo, i64 hi, i32* jp, i64 pos) noexcept nogil:
    """Append to jp[pos:] the entries lo..hi-1 that the probe keeps; new pos.

    The single-precision sweep (``neighbors_simd.pxd``) keeps the sure ones and
    hands back the undecided ones (near the radius, or the probe's own site),
    which get the exact test (:func:`_exact`): the list equals the exact
    double-precision one.  Up to 8 slots past the returned pos may be
    overwritten.
    """
    cdef i32 und[CHUNK]
    cdef int n_und, u
    cdef i64 t = lo, stop
    while t < hi:
        stop = t + CHUNK if hi - t > CHUNK else hi
        pos += qcsim_sweep(p.xf, p.yf, p.zf, p.owner, t, stop, p.n_ext, p.xi, p.yi, p.zi,
                           p.o, p.rin2, p.rout2, jp + pos, und, &n_und)
        for u in range(n_und):
            jp[pos] = und[u]
            pos += _exact(p, und[u])
        t = stop
    return pos


cdef inline void _init_probe(Probe* p, const float[:, ::1] xf_ce, const i32[::1] owner_e,
                             const double[:, ::1] x_tc, const i64[::1] record_e,
                             const double[:, ::1] shift_ec,
                             double rcs, double tol_d2) noexcept nogil:
    p.xf = &xf_ce[0, 0]
    p.yf = &xf_ce[1, 0]
    p.zf = &xf_ce[2, 0]
    p.owner = &owner_e[0]
    p.x_tc = &x_tc[0, 0]
    p.record = &record_e[0]
    p.shift = &shift_ec[0, 0]
    p.n_ext = owner_e.shape[0]
    p.rcs2 = rcs * rcs
    p.rin2 = <float>(rcs * rcs - tol_d2)
    p.rout2 = <float>(rcs * rcs + tol_d2)


def half_list_strips(const float[:, ::1] xf_ce, const i32[::1] owner_e,
                     const double[:, ::1] x_tc, const i64[::1] record_e,
                     const double[:, ::1] shift_ec,
                     const i64[::1] start_b, const i64[::1] nprim_b,
                     const i64[::1] strip_s, const i64[::1] width_s,
                     double rcs, double tol_d2, Py_ssize_t b_first,
                     i64[::1] offsets_e, i32[::1] j_n):
    """Fill the CSR half list over a fixed stencil, bin by bin, from ``b_first``.

    Primary entry ``e`` (the first ``nprim_b[b]`` entries of its bin ``b``)
    keeps every entry ``k`` of the stencil with ``|x_k - x_e| < rcs`` and
    ``owner_e[k] > owner_e[e]``, or the same owner and ``shift_ec[k] -
    shift_ec[e]`` lexicographically positive, where ``x_e = x_ic[owner_e[e]] +
    shift_ec[e]`` (that is, ``x_tc[record_e[e] >> 24] + shift_ec[e]``) in double
    precision.  Image entries get empty rows.  Any cell shape.

    Parameters
    ----------
    xf_ce : (3, n_ext) single-precision entry positions from :func:`place_entries`.
    owner_e, shift_ec : (n_ext,), (n_ext, 3) entries in bin order.
    x_tc, record_e : (n, 3), (n_ext,) the sites' rows and the entries' records
        from :func:`place_entries`.
    start_b : (n_bins + 1,) first entry of each bin.
    nprim_b : (n_bins,) number of primaries in each bin.
    strip_s, width_s : (n_strips,) stencil as runs of bins: strip ``s`` of bin
        ``b`` is bins ``b + strip_s[s]`` .. ``b + strip_s[s] + width_s[s] - 1``.
    rcs : list radius, cutoff + skin.
    tol_d2 : bound on the single-precision error of a squared distance near rcs.
    b_first : bin to start from; ``offsets_e[start_b[b_first]]`` must be set.
    offsets_e : (n_ext + 1,) out, row offsets.
    j_n : (capacity,) out, neighbour entries.

    Returns
    -------
    b_stop : number of bins done; less than n_bins when ``j_n`` ran full (the
        caller grows it and calls again from ``b_stop``).
    """
    cdef Py_ssize_t n_bins = start_b.shape[0] - 1, n_strips = strip_s.shape[0]
    cdef i32* jp = &j_n[0] if j_n.shape[0] > 0 else NULL
    cdef i64 cap = j_n.shape[0]
    cdef Probe p
    cdef Py_ssize_t b, s
    cdef i64 e, e_prim, e_end, lo, hi, pos, bs
    if owner_e.shape[0] == 0:
        return n_bins
    with nogil:
        _init_probe(&p, xf_ce, owner_e, x_tc, record_e, shift_ec, rcs, tol_d2)
        pos = offsets_e[start_b[b_first]]
        for b in range(b_first, n_bins):
            e = start_b[b]
            e_prim = e + nprim_b[b]
            e_end = start_b[b + 1]
            while e < e_prim:
                _probe(&p, e)
                for s in range(n_strips):
                    bs = b + strip_s[s]
                    lo = start_b[bs]
                    hi = start_b[bs + width_s[s]]
                    if pos + (hi - lo) + 8 > cap:
                        with gil:
                            return b
                    pos = _scan(&p, lo, hi, jp, pos)
                offsets_e[e + 1] = pos
                e += 1
            while e < e_end:
                offsets_e[e + 1] = pos
                e += 1
    return n_bins


def half_list_box(const float[:, ::1] xf_ce, const i32[::1] owner_e,
                  const double[:, ::1] x_tc, const i64[::1] record_e,
                  const double[:, ::1] shift_ec,
                  const i64[::1] start_b, const i64[::1] nprim_b,
                  const double[:, ::1] inv_cc, const double[::1] origin_c,
                  const double[::1] scale_c, const i32[::1] pad_c, const i32[::1] dims_c,
                  const double[::1] edge_c, double rcs, double tol_d2, Py_ssize_t b_first,
                  i64[::1] offsets_e, i32[::1] j_n):
    """Fill the CSR half list for a grid of rectangular bins, stencil per entry.

    Same result as :func:`half_list_strips`, for grids whose basis vectors are
    orthogonal.  For every primary and every row of bins along axis 0 within
    reach, the distance from the entry to the row across axes 1 and 2 gives
    the half-width of the chord to scan along axis 0, so only the bins that
    the sphere of radius ``rcs`` touches are read (fine bins along axis 0 make
    this tight).

    Parameters
    ----------
    inv_cc, origin_c, scale_c, pad_c, dims_c : the grid: an entry at x lies at
        grid coordinate ``((x @ inv_cc)_c - origin_c) * scale_c + pad_c``.
    edge_c : (3,) Cartesian edge lengths of a bin.
    Other parameters and the return value as in :func:`half_list_strips`.
    """
    cdef Py_ssize_t n_bins = start_b.shape[0] - 1
    cdef i32* jp = &j_n[0] if j_n.shape[0] > 0 else NULL
    cdef i64 cap = j_n.shape[0]
    cdef double rcs2 = rcs * rcs
    cdef i64 d0 = dims_c[0], d1 = dims_c[1]
    cdef i32 r0 = pad_c[0], r1 = pad_c[1], r2 = pad_c[2]
    cdef double inv_w0 = 1.0 / edge_c[0], w1 = edge_c[1], w2 = edge_c[2]
    # squared distances to the rows k1 (k2) bins away along axis 1 (2)
    cdef double gap1[64]
    cdef double gap2[64]
    # the rows to scan for one entry, as bin ranges
    cdef i64 row_lo[4096]
    cdef i64 row_hi[4096]
    cdef Probe p
    cdef double g[3]
    cdef double h, q
    cdef Py_ssize_t b
    cdef i64 b0, b1, b2, e, e_prim, e_end, lo, hi, pos, row, k0lo, k0hi
    cdef int c, k1, k2, n_rows, t
    if r1 > 31 or r2 > 31:
        raise ValueError("stencil reach above 31 bins")
    if owner_e.shape[0] == 0:
        return n_bins
    with nogil:
        _init_probe(&p, xf_ce, owner_e, x_tc, record_e, shift_ec, rcs, tol_d2)
        pos = offsets_e[start_b[b_first]]
        b0 = b_first % d0
        b1 = (b_first // d0) % d1
        b2 = b_first // (d0 * d1)
        for b in range(b_first, n_bins):
            e = start_b[b]
            e_prim = e + nprim_b[b]
            e_end = start_b[b + 1]
            while e < e_prim:
                _probe(&p, e)
                for c in range(3):
                    g[c] = ((p.x[0] * inv_cc[0, c] + p.x[1] * inv_cc[1, c]
                             + p.x[2] * inv_cc[2, c] - origin_c[c]) * scale_c[c] + pad_c[c])
                for k1 in range(-r1, r1 + 1):
                    q = _gap(g[1], b1 + k1) * w1
                    gap1[k1 + r1] = q * q
                for k2 in range(-r2, r2 + 1):
                    q = _gap(g[2], b2 + k2) * w2
                    gap2[k2 + r2] = q * q
                # first the row ranges (independent of each other: they pipeline) ...
                n_rows = 0
                for k2 in range(-r2, r2 + 1):
                    for k1 in range(-r1, r1 + 1):
                        h = rcs2 - gap1[k1 + r1] - gap2[k2 + r2]
                        if h <= 0.0:
                            continue
                        h = sqrt(h) * inv_w0 + 1e-9
                        k0lo = _floor(g[0] - h)
                        k0hi = _floor(g[0] + h)
                        if k0lo < b0 - r0:
                            k0lo = b0 - r0
                        if k0hi > b0 + r0:
                            k0hi = b0 + r0
                        row = d0 * (b1 + k1 + d1 * (b2 + k2))
                        row_lo[n_rows] = row + k0lo
                        row_hi[n_rows] = row + k0hi + 1
                        n_rows += 1
                # ... then the scans
                for t in range(n_rows):
                    lo = start_b[row_lo[t]]
                    hi = start_b[row_hi[t]]
                    if pos + (hi - lo) + 8 > cap:
                        with gil:
                            return b
                    pos = _scan(&p, lo, hi, jp, pos)
                offsets_e[e + 1] = pos
                e += 1
            while e < e_end:
                offsets_e[e + 1] = pos
                e += 1
            b0 += 1
            if b0 == d0:
                b0 = 0
                b1 += 1
                if b1 == d1:
                    b1 = 0
                    b2 += 1
    return n_bins


cdef inline double _gap(double g, i64 k) noexcept nogil:
    """Distance, in bin widths, from grid coordinate g to bin k (0 inside), less a hair."""
    if g < k:
        return k - g - 1e-9 if k - g > 1e-9 else 0.0
    if g > k + 1:
        return g - k - 1 - 1e-9 if g - k - 1 > 1e-9 else 0.0
    return 0.0


def gather_positions(const double[:, ::1] x_ic, const i32[::1] owner_e,
                     const double[:, ::1] shift_ec, double[:, ::1] x_ec):
    """``x_ec[e] = x_ic[owner_e[e]] + shift_ec[e]`` for every entry."""
    cdef Py_ssize_t e, n_ext = owner_e.shape[0]
    cdef i32 o
    with nogil:
        for e in range(n_ext):
            o = owner_e[e]
            x_ec[e, 0] = x_ic[o, 0] + shift_ec[e, 0]
            x_ec[e, 1] = x_ic[o, 1] + shift_ec[e, 1]
            x_ec[e, 2] = x_ic[o, 2] + shift_ec[e, 2]


def fold_1(const double[::1] a_e, const i32[::1] owner_e, double[::1] out_i):
    """``out_i[i] = sum of a_e[e] over entries e of site i`` (out is overwritten)."""
    cdef Py_ssize_t e, n_ext = owner_e.shape[0]
    with nogil:
        out_i[:] = 0.0
        for e in range(n_ext):
            out_i[owner_e[e]] += a_e[e]


def fold_k(const double[:, ::1] a_ek, const i32[::1] owner_e, double[:, ::1] out_ik):
    """Row-wise fold of an (n_ext, k) array onto (n, k) (out is overwritten)."""
    cdef Py_ssize_t e, c, o, n_ext = owner_e.shape[0], m = a_ek.shape[1]
    with nogil:
        out_ik[:, :] = 0.0
        if m == 3:
            for e in range(n_ext):
                o = owner_e[e]
                out_ik[o, 0] += a_ek[e, 0]
                out_ik[o, 1] += a_ek[e, 1]
                out_ik[o, 2] += a_ek[e, 2]
        else:
            for e in range(n_ext):
                o = owner_e[e]
                for c in range(m):
                    out_ik[o, c] += a_ek[e, c]


def moved_beyond(const double[:, ::1] x_ic, const double[:, ::1] x0_ic, double distance):
    """True when some site is farther than ``distance`` from its old position."""
    cdef Py_ssize_t i, n = x_ic.shape[0]
    cdef double dx, dy, dz, lim = distance * distance
    cdef bint moved = False
    with nogil:
        for i in range(n):
            dx = x_ic[i, 0] - x0_ic[i, 0]
            dy = x_ic[i, 1] - x0_ic[i, 1]
            dz = x_ic[i, 2] - x0_ic[i, 2]
            if dx * dx + dy * dy + dz * dz > lim:
                moved = True
                break
    return moved


cdef i64 _compact(i64[::1] offsets_e, i32[::1] j_n, const i32[::1] label_e, i32 a, i32 b,
                  const i32[::1] owner_e, const i32[::1] ghost_i, const uint64_t[::1] key_i,
                  bint one_side) noexcept nogil:
    """Drop pairs from the CSR list in place (``j_n`` compacted, ``offsets_e``
    rewritten); the new number of pairs.  ``one_side``: the rule of
    :func:`keep_one_side`, else that of :func:`drop_pairs_between`."""
    cdef Py_ssize_t e, n_ext = offsets_e.shape[0] - 1
    cdef i64 k, start = offsets_e[0], out = 0
    cdef i32 s, t, gs, gt
    for e in range(n_ext):
        if one_side:
            s = owner_e[e]
            gs = ghost_i[s]
        else:
            gs = label_e[e]
        for k in range(start, offsets_e[e + 1]):
            if one_side:
                t = owner_e[j_n[k]]
                gt = ghost_i[t]
                if gs == gt:
                    if gs != 0:  # two ghosts
                        continue
                elif (key_i[s] > key_i[t]) if gs == 0 else (key_i[t] > key_i[s]):
                    continue
            else:
                gt = label_e[j_n[k]]
                if (gs == a and gt == b) or (gs == b and gt == a):
                    continue
            j_n[out] = j_n[k]
            out += 1
        start = offsets_e[e + 1]
        offsets_e[e + 1] = out
    return out


def drop_pairs_between(i64[::1] offsets_e, i32[::1] j_n, const i32[::1] group_e,
                       i32 a, i32 b):
    """Remove the listed pairs whose entries are in groups ``a`` and ``b`` (either
    order), in place: ``j_n`` is compacted and ``offsets_e`` rewritten.  Returns
    the new number of pairs."""
    cdef i64 out
    with nogil:
        out = _compact(offsets_e, j_n, group_e, a, b, group_e, group_e, None, False)
    return out


def keep_one_side(i64[::1] offsets_e, i32[::1] j_n, const i32[::1] owner_e,
                  const i32[::1] ghost_i, const uint64_t[::1] key_i):
    """The pairs a rank of a distributed system counts, in one pass, in place as
    :func:`drop_pairs_between`: a pair of two sites with ``ghost_i`` 1 is dropped,
    and a pair of a site with ``ghost_i`` 0 and one with 1 is kept only when the
    first site's key is the smaller (the rank that owns the other keeps the
    others).  Returns the new number of pairs."""
    cdef i64 out
    with nogil:
        out = _compact(offsets_e, j_n, owner_e, 0, 0, owner_e, ghost_i, key_i, True)
    return out
