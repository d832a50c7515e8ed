# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""EAM kernels over a CSR half list of extended entries (see qcsim.neighbors).

Splines are evaluated exactly as LAMMPS's pair_eam.cpp does.  The tables are
packed per ordered type pair (a, b) and knot m (1-based, row 0 unused):

* ``dens_tab[((a * nt + b) * (nr + 1) + m) * 8 + k]``: k = 0..3 the value
  coefficients (LAMMPS 3, 4, 5, 6) of the density at a site of type a from a
  neighbour of type b; k = 4..7 the same for the density at b from a.
* ``force_tab[((a * nt + b) * (nr + 1) + m) * 16 + k]``: k = 0..2 derivative
  coefficients (LAMMPS 0, 1, 2) of the density at a from b; 3..5 of the
  density at b from a; 6..8 derivative and 9..12 value coefficients of
  ``z2 = r * phi`` of the pair; 13..15 padding.
* ``frho_tab[(a * (nrho + 1) + m) * 7 + k]``: LAMMPS's 7 coefficients of the
  embedding function of type a.

Every kernel accumulates into arrays its caller allocated and zeroed.  Both
passes drop the listed pairs beyond the cutoff by a branch-free compaction
into per-entry scratch, so no per-pair data outlives a call.  The def functions take typed
memoryviews and check their lengths; the loops run on raw pointers without
the GIL (no aliasing of memoryview structs in the inner loops).  Neighbour
and type indices are trusted: the neighbour list and the Python wrapper
guarantee them.
"""
from libc.math cimport sqrt
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc

from pair_virial cimport add_pair_virial

cdef enum:
    DENS_STRIDE = 8
    FORCE_STRIDE = 16


cdef int _check_entries(Py_ssize_t n_ext, Py_ssize_t n_types, Py_ssize_t n_offsets,
                        Py_ssize_t n_out) except -1:
    if n_types < n_ext or n_out < n_ext or n_offsets != n_ext + 1:
        raise ValueError("per-entry arrays must have n_ext entries, offsets n_ext + 1")
    return 0


cdef int _check_table(Py_ssize_t size, int ntypes, int nr, int stride) except -1:
    if ntypes < 1 or nr < 2 or size < <Py_ssize_t>ntypes * ntypes * (nr + 1) * stride:
        raise ValueError("table is smaller than ntypes^2 (nr + 1) rows")
    return 0


cdef inline Py_ssize_t _within(const double* x, const int32_t* j_n, Py_ssize_t e,
                               int64_t n0, int64_t n1, double cutsq,
                               int32_t* j_k, double* rsq_k) noexcept nogil:
    """Neighbours of entry e closer than the cutoff, into j_k / rsq_k; returns their count.

    ``j_k`` and ``rsq_k`` need room for all ``n1 - n0`` listed neighbours.

    Branch-free compaction: whether a listed pair lies inside the cutoff is
    close to random, and a mispredicted branch costs more than the pair.
    """
    cdef Py_ssize_t n, k = 0
    cdef int32_t j
    cdef double dx, dy, dz, rsq
    cdef double xi = x[3 * e], yi = x[3 * e + 1], zi = x[3 * e + 2]
    for n in range(n0, n1):
        j = j_n[n]
        dx = xi - x[3 * j]
        dy = yi - x[3 * j + 1]
        dz = zi - x[3 * j + 2]
        rsq = dx * dx + dy * dy + dz * dz
        j_k[k] = j
        rsq_k[k] = rsq
        k += rsq < cutsq
    return k


def density(const double[:, ::1] x_ec, const int32_t[::1] type_e,
            const int64_t[::1] offsets_e, const int32_t[::1] j_n,
            const double[::1] dens_tab, int ntypes, int nr, double rdr, double cutsq,
            double[::1] rho_e):
    """Host density of every entry; accumulates into ``rho_e`` (n_ext,).

    Pairs of the list farther than the cutoff are dropped by a branch-free
    compaction into per-entry scratch (no per-pair storage survives the call).
    """
    cdef Py_ssize_t n_ext = x_ec.shape[0]
    _check_entries(n_ext, type_e.shape[0], offsets_e.shape[0], rho_e.shape[0])
    _check_table(dens_tab.shape[0], ntypes, nr, DENS_STRIDE)
    if n_ext == 0 or j_n.shape[0] == 0:
        return
    if offsets_e[n_ext] > j_n.shape[0]:
        raise ValueError("offsets_e runs past the end of j_n")
    cdef int32_t* j_k = NULL
    cdef double* rsq_k = NULL
    _scratch(_longest_row(&offsets_e[0], n_ext), &j_k, &rsq_k)
    try:
        with nogil:
            _density(&x_ec[0, 0], &type_e[0], &offsets_e[0], &j_n[0], n_ext, &dens_tab[0],
                     ntypes, nr, rdr, cutsq, &rho_e[0], j_k, rsq_k)
    finally:
        free(j_k)
        free(rsq_k)


cdef int _scratch(Py_ssize_t longest, int32_t** j_k, double** rsq_k) except -1:
    """Per-entry scratch for the cutoff compaction (the caller frees both)."""
    j_k[0] = <int32_t*> malloc((longest + 1) * sizeof(int32_t))
    rsq_k[0] = <double*> malloc((longest + 1) * sizeof(double))
    if j_k[0] == NULL or rsq_k[0] == NULL:
        free(j_k[0])
        free(rsq_k[0])
        raise MemoryError()
    return 0


cdef Py_ssize_t _longest_row(const int64_t* offsets, Py_ssize_t n_ext) noexcept nogil:
    cdef Py_ssize_t e, longest = 0
    for e in range(n_ext):
        if offsets[e + 1] - offsets[e] > longest:
            longest = offsets[e + 1] - offsets[e]
    return longest


cdef void _density(const double* x, const int32_t* type_e, const int64_t* offsets,
                   const int32_t* j_n, Py_ssize_t n_ext, const double* tab, int ntypes,
                   int nr, double rdr, double cutsq, double* rho_e,
                   int32_t* j_k, double* r_k) noexcept nogil:
    cdef Py_ssize_t e, k, nk, j
    cdef Py_ssize_t pair_stride = (nr + 1) * DENS_STRIDE
    cdef const double* row_i
    cdef const double* c
    cdef double p, r, rho_i
    cdef int m
    for e in range(n_ext):
        if offsets[e] == offsets[e + 1]:
            continue
        nk = _within(x, j_n, e, offsets[e], offsets[e + 1], cutsq, j_k, r_k)
        row_i = tab + type_e[e] * ntypes * pair_stride
        rho_i = 0.0
        for k in range(nk):
            j = j_k[k]
            r = sqrt(r_k[k])
            p = r * rdr + 1.0
            m = <int>p
            if m > nr - 1:
                m = nr - 1
            p -= m
            if p > 1.0:
                p = 1.0
            c = row_i + type_e[j] * pair_stride + m * DENS_STRIDE
            rho_i += ((c[0] * p + c[1]) * p + c[2]) * p + c[3]
            rho_e[j] += ((c[4] * p + c[5]) * p + c[6]) * p + c[7]
        rho_e[e] += rho_i


def embed(const double[::1] rho_i, const int32_t[::1] type_i, const double[::1] frho_tab,
          int nrho, double rdrho, double rhomax, double[::1] F_i, double[::1] Fp_i):
    """Embedding energy ``F_i`` and its derivative ``Fp_i`` at every site.

    Above ``rhomax`` the energy is extended linearly with the end slope (LAMMPS).
    """
    cdef Py_ssize_t i, n_sites = rho_i.shape[0]
    cdef const double* c
    if type_i.shape[0] < n_sites or F_i.shape[0] < n_sites or Fp_i.shape[0] < n_sites:
        raise ValueError("type_i, F_i and Fp_i need one value per site")
    if nrho < 2 or frho_tab.shape[0] < (nrho + 1) * 7:
        raise ValueError("frho_tab is smaller than (nrho + 1) rows")
    cdef double p, rho, fp, phi
    cdef int m
    with nogil:
        for i in range(n_sites):
            rho = rho_i[i]
            p = rho * rdrho + 1.0
            m = <int>p
            if m > nrho - 1:
                m = nrho - 1
            if m < 1:
                m = 1
            p -= m
            if p > 1.0:
                p = 1.0
            c = &frho_tab[(type_i[i] * (nrho + 1) + m) * 7]
            fp = (c[0] * p + c[1]) * p + c[2]
            phi = ((c[3] * p + c[4]) * p + c[5]) * p + c[6]
            if rho > rhomax:
                phi += fp * (rho - rhomax)
            F_i[i] = phi
            Fp_i[i] = fp


def forces(const double[:, ::1] x_ec, const int32_t[::1] type_e,
           const int64_t[::1] offsets_e, const int32_t[::1] j_n, double cutsq,
           const double[::1] wfp_e, const double[::1] w_e, bint weighted,
           const double[::1] force_tab, int ntypes, int nr, double rdr,
           double[:, ::1] f_ec, double[::1] epair_e, bint want_epair, double[::1] virial_6,
           double[:, ::1] virial_e6=None):
    """Forces of the weighted energy, per-entry pair energies, virial.

    Runs over the half list; pairs beyond the cutoff are dropped as in
    :func:`density`.
    ``wfp_e`` is ``w * F'`` of each entry's site.  The pair term of pair (i, j)
    carries ``(w_i + w_j) / 2`` (``w_e``, read only when ``weighted``).
    Accumulates forces into ``f_ec`` (n_ext, 3), half of every unweighted pair
    energy onto both entries of ``epair_e`` (n_ext,) when ``want_epair``, and
    the virial ``sum r_ij (x) f_ij`` into ``virial_6`` (xx, yy, zz, xy, xz, yz).
    When ``virial_e6`` (n_ext, 6) is given, half of every pair's virial
    ``r_ij (x) f_ij`` is also added to each of its two entries, in the same
    component order (LAMMPS's per-atom virial); without it that loop is not
    compiled in.  Returns the weighted pair energy.
    """
    cdef Py_ssize_t n_ext = x_ec.shape[0]
    cdef double energy = 0.0
    cdef double v[6]
    cdef int k, mode
    cdef _ForceArgs a
    _check_entries(n_ext, type_e.shape[0], offsets_e.shape[0], f_ec.shape[0])
    _check_table(force_tab.shape[0], ntypes, nr, FORCE_STRIDE)
    if wfp_e.shape[0] < n_ext or (weighted and w_e.shape[0] < n_ext):
        raise ValueError("wfp_e and w_e need one value per entry")
    if (want_epair and epair_e.shape[0] < n_ext) or virial_6.shape[0] != 6:
        raise ValueError("epair_e needs one value per entry, virial_6 six")
    if virial_e6 is not None and (virial_e6.shape[0] < n_ext or virial_e6.shape[1] != 6):
        raise ValueError("virial_e6 needs six values per entry")
    if n_ext == 0 or offsets_e[n_ext] == 0:
        return 0.0
    if offsets_e[n_ext] > j_n.shape[0]:
        raise ValueError("offsets_e runs past the end of j_n")
    a.x, a.type_e, a.offsets, a.j_n = &x_ec[0, 0], &type_e[0], &offsets_e[0], &j_n[0]
    a.n_ext, a.cutsq, a.wfp_e, a.w_e = n_ext, cutsq, &wfp_e[0], &w_e[0]
    a.tab, a.ntypes, a.nr, a.rdr = &force_tab[0], ntypes, nr, rdr
    a.f, a.epair_e = &f_ec[0, 0], &epair_e[0]
    a.virial_e = &virial_e6[0, 0] if virial_e6 is not None else NULL
    _scratch(_longest_row(&offsets_e[0], n_ext), &a.j_k, &a.rsq_k)
    mode = 4 * weighted + 2 * want_epair + (virial_e6 is not None)
    with nogil:
        # constant flags, so that the compiler may specialise the loop for each case
        if mode == 0:
            energy = _forces(&a, False, False, False, v)
        elif mode == 1:
            energy = _forces(&a, False, False, True, v)
        elif mode == 2:
            energy = _forces(&a, False, True, False, v)
        elif mode == 3:
            energy = _forces(&a, False, True, True, v)
        elif mode == 4:
            energy = _forces(&a, True, False, False, v)
        elif mode == 5:
            energy = _forces(&a, True, False, True, v)
        elif mode == 6:
            energy = _forces(&a, True, True, False, v)
        else:
            energy = _forces(&a, True, True, True, v)
    free(a.j_k)
    free(a.rsq_k)
    for k in range(6):
        virial_6[k] += v[k]
    return energy


cdef struct _ForceArgs:
    const double* x
    const int32_t* type_e
    const int64_t* offsets
    const int32_t* j_n
    Py_ssize_t n_ext
    double cutsq
    int32_t* j_k
    double* rsq_k
    const double* wfp_e
    const double* w_e
    const double* tab
    int ntypes
    int nr
    double rdr
    double* f
    double* epair_e
    double* virial_e


cdef inline double _forces(const _ForceArgs* a, bint weighted, bint want_epair,
                           bint want_virial, double* v) noexcept nogil:
    cdef const double* x = a.x
    cdef const int32_t* type_e = a.type_e
    cdef const int64_t* offsets = a.offsets
    cdef const int32_t* j_n = a.j_n
    cdef int32_t* j_k = a.j_k
    cdef double* rsq_k = a.rsq_k
    cdef const double* wfp_e = a.wfp_e
    cdef const double* w_e = a.w_e
    cdef const double* tab = a.tab
    cdef double* f = a.f
    cdef double* epair_e = a.epair_e
    cdef double* sv = a.virial_e
    cdef double cutsq = a.cutsq, rdr = a.rdr
    cdef int ntypes = a.ntypes, nr = a.nr
    cdef Py_ssize_t e, k, j, nk
    cdef Py_ssize_t pair_stride = (nr + 1) * FORCE_STRIDE
    cdef const double* row_i
    cdef const double* c
    cdef double xi, yi, zi, dx, dy, dz, r, p, recip
    cdef double rhoip, rhojp, z2, z2p, phi, phip, psip, fpair, wij, wfp_i, w_i
    cdef double fxi, fyi, fzi, fx, fy, fz, ephi_i
    cdef double vxx = 0.0, vyy = 0.0, vzz = 0.0, vxy = 0.0, vxz = 0.0, vyz = 0.0
    cdef double energy = 0.0
    cdef int m
    for e in range(a.n_ext):
        if offsets[e] == offsets[e + 1]:
            continue
        xi = x[3 * e]
        yi = x[3 * e + 1]
        zi = x[3 * e + 2]
        wfp_i = wfp_e[e]
        w_i = w_e[e] if weighted else 1.0
        row_i = tab + type_e[e] * ntypes * pair_stride
        fxi = 0.0
        fyi = 0.0
        fzi = 0.0
        ephi_i = 0.0
        nk = _within(x, j_n, e, offsets[e], offsets[e + 1], cutsq, j_k, rsq_k)
        for k in range(nk):
            j = j_k[k]
            dx = xi - x[3 * j]
            dy = yi - x[3 * j + 1]
            dz = zi - x[3 * j + 2]
            r = sqrt(rsq_k[k])
            p = r * rdr + 1.0
            m = <int>p
            if m > nr - 1:
                m = nr - 1
            p -= m
            if p > 1.0:
                p = 1.0
            c = row_i + type_e[j] * pair_stride + m * FORCE_STRIDE
            # rhojp: d/dr of the density at i due to j; rhoip: at j due to i
            rhojp = (c[0] * p + c[1]) * p + c[2]
            rhoip = (c[3] * p + c[4]) * p + c[5]
            z2p = (c[6] * p + c[7]) * p + c[8]
            z2 = ((c[9] * p + c[10]) * p + c[11]) * p + c[12]
            recip = 1.0 / r
            phi = z2 * recip
            phip = z2p * recip - phi * recip
            ephi_i += phi
            if weighted:
                wij = 0.5 * (w_i + w_e[j])
                psip = wfp_i * rhojp + wfp_e[j] * rhoip + wij * phip
                energy += wij * phi
            else:
                psip = wfp_i * rhojp + wfp_e[j] * rhoip + phip
            fpair = -psip * recip
            fx = dx * fpair
            fy = dy * fpair
            fz = dz * fpair
            fxi += fx
            fyi += fy
            fzi += fz
            f[3 * j] -= fx
            f[3 * j + 1] -= fy
            f[3 * j + 2] -= fz
            vxx += dx * fx
            vyy += dy * fy
            vzz += dz * fz
            vxy += dx * fy
            vxz += dx * fz
            vyz += dy * fz
            if want_epair:
                epair_e[j] += 0.5 * phi
            if want_virial:
                add_pair_virial(sv, e, j, dx, dy, dz, fx, fy, fz)
        f[3 * e] += fxi
        f[3 * e + 1] += fyi
        f[3 * e + 2] += fzi
        if not weighted:
            energy += ephi_i
        if want_epair:
            epair_e[e] += 0.5 * ephi_i
    v[0] = vxx
    v[1] = vyy
    v[2] = vzz
    v[3] = vxy
    v[4] = vxz
    v[5] = vyz
    return energy
