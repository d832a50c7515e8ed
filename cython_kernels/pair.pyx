# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Pair-potential kernel over a CSR half list of extended entries (see qcsim.neighbors).

Parameters per ordered type pair (a, b): ``params[(a * nt + b) * 8 + k]``,

* ``kind == 0`` (lj/cut, LAMMPS's form): k = 0..3 ``lj1 = 48 eps s^12``,
  ``lj2 = 24 eps s^6``, ``lj3 = 4 eps s^12``, ``lj4 = 4 eps s^6``;
* ``kind == 1`` (morse): k = 0..3 ``D0``, ``alpha``, ``r0``, ``2 D0 alpha``;

and for both k = 6 the squared cutoff, k = 7 the energy offset (shift).
"""
from libc.math cimport exp, sqrt
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc

from pair_virial cimport add_pair_virial

cdef enum:
    LJ = 0
    MORSE = 1
    NPARAM = 8


def pair_forces(const double[:, ::1] x_ec, const int32_t[::1] type_e,
                const int64_t[::1] offsets_e, const int32_t[::1] j_n,
                const double[::1] w_e, bint weighted, const double[::1] params, int ntypes,
                int kind, double cutsq_max, double[:, ::1] f_ec, double[::1] epair_e,
                bint want_epair, double[::1] virial_6, double[:, ::1] virial_e6=None):
    """Forces of the weighted pair energy, per-entry energies, virial.

    Pair (i, j) carries the weight ``(w_i + w_j) / 2`` (``w_e``, read only when
    ``weighted``).  Accumulates forces into ``f_ec`` (n_ext, 3), half of every
    unweighted pair energy onto both entries of ``epair_e`` (when
    ``want_epair``), the virial ``sum r_ij (x) f_ij`` into ``virial_6`` (xx, yy,
    zz, xy, xz, yz).  When ``virial_e6`` (n_ext, 6) is given, half of every
    pair's virial ``r_ij (x) f_ij`` is also added to each of its two entries,
    in the same component order (LAMMPS's per-atom virial).  Returns the
    weighted energy.
    """
    cdef Py_ssize_t n_ext = x_ec.shape[0]
    cdef Py_ssize_t e, longest = 0
    cdef double energy = 0.0
    cdef double v[6]
    cdef int k
    if kind != LJ and kind != MORSE:
        raise ValueError(f"unknown pair kind {kind}")
    if (type_e.shape[0] < n_ext or f_ec.shape[0] < n_ext or offsets_e.shape[0] != n_ext + 1
            or (weighted and w_e.shape[0] < n_ext) or (want_epair and epair_e.shape[0] < n_ext)):
        raise ValueError("per-entry arrays must have n_ext entries, offsets n_ext + 1")
    if ntypes < 1 or params.shape[0] < ntypes * ntypes * NPARAM or virial_6.shape[0] != 6:
        raise ValueError("params must hold ntypes^2 rows of 8, virial_6 six values")
    if virial_e6 is not None and (virial_e6.shape[0] < n_ext or virial_e6.shape[1] != 6):
        raise ValueError("virial_e6 needs six values per entry")
    cdef double* sv = &virial_e6[0, 0] if virial_e6 is not None else NULL
    if n_ext == 0 or j_n.shape[0] == 0:
        return 0.0
    if offsets_e[n_ext] > j_n.shape[0]:
        raise ValueError("offsets_e runs past the end of j_n")
    for e in range(n_ext):
        if offsets_e[e + 1] - offsets_e[e] > longest:
            longest = offsets_e[e + 1] - offsets_e[e]
    cdef int32_t* j_k = <int32_t*>malloc((longest + 1) * sizeof(int32_t))
    cdef double* rsq_k = <double*>malloc((longest + 1) * sizeof(double))
    if j_k == NULL or rsq_k == NULL:
        free(j_k)
        free(rsq_k)
        raise MemoryError()
    with nogil:
        # constant flags: the compiler specialises the inlined loop for each case
        if kind == LJ and weighted:
            energy = _pair(&x_ec[0, 0], &type_e[0], &offsets_e[0], &j_n[0], n_ext, &w_e[0],
                           True, &params[0], ntypes, LJ, cutsq_max, &f_ec[0, 0],
                           &epair_e[0], want_epair, sv, v, j_k, rsq_k)
        elif kind == LJ:
            energy = _pair(&x_ec[0, 0], &type_e[0], &offsets_e[0], &j_n[0], n_ext, &w_e[0],
                           False, &params[0], ntypes, LJ, cutsq_max, &f_ec[0, 0],
                           &epair_e[0], want_epair, sv, v, j_k, rsq_k)
        elif weighted:
            energy = _pair(&x_ec[0, 0], &type_e[0], &offsets_e[0], &j_n[0], n_ext, &w_e[0],
                           True, &params[0], ntypes, MORSE, cutsq_max, &f_ec[0, 0],
                           &epair_e[0], want_epair, sv, v, j_k, rsq_k)
        else:
            energy = _pair(&x_ec[0, 0], &type_e[0], &offsets_e[0], &j_n[0], n_ext, &w_e[0],
                           False, &params[0], ntypes, MORSE, cutsq_max, &f_ec[0, 0],
                           &epair_e[0], want_epair, sv, v, j_k, rsq_k)
    free(j_k)
    free(rsq_k)
    for k in range(6):
        virial_6[k] += v[k]
    return energy


cdef inline double _pair(const double* x, const int32_t* type_e, const int64_t* offsets,
                         const int32_t* j_n, Py_ssize_t n_ext, const double* w_e,
                         bint weighted, const double* params, int ntypes, int kind,
                         double cutsq_max, double* f, double* epair_e, bint want_epair,
                         double* sv, double* v, int32_t* j_k, double* rsq_k) noexcept nogil:
    # sv: per-entry virials (n_ext, 6), or NULL
    cdef Py_ssize_t e, n, k, nk, j
    cdef const double* row_i
    cdef const double* c
    cdef double xi, yi, zi, dx, dy, dz, rsq, r, r2inv, r6inv, dexp, phi, fpair, w_i, wij
    cdef double fxi, fyi, fzi, fx, fy, fz, ephi_i
    cdef bint want_virial = sv != NULL
    cdef double vxx = 0.0, vyy = 0.0, vzz = 0.0, vxy = 0.0, vxz = 0.0, vyz = 0.0
    cdef double energy = 0.0
    for e in range(n_ext):
        if offsets[e] == offsets[e + 1]:
            continue
        xi = x[3 * e]
        yi = x[3 * e + 1]
        zi = x[3 * e + 2]
        # branch-free compaction of the pairs inside the largest cutoff
        nk = 0
        for n in range(offsets[e], offsets[e + 1]):
            j = j_n[n]
            dx = xi - x[3 * j]
            dy = yi - x[3 * j + 1]
            dz = zi - x[3 * j + 2]
            rsq = dx * dx + dy * dy + dz * dz
            j_k[nk] = <int32_t>j
            rsq_k[nk] = rsq
            nk += rsq < cutsq_max
        row_i = params + type_e[e] * ntypes * NPARAM
        w_i = w_e[e] if weighted else 1.0
        fxi = 0.0
        fyi = 0.0
        fzi = 0.0
        ephi_i = 0.0
        for k in range(nk):
            j = j_k[k]
            rsq = rsq_k[k]
            c = row_i + type_e[j] * NPARAM
            if rsq >= c[6]:
                continue
            if kind == LJ:
                r2inv = 1.0 / rsq
                r6inv = r2inv * r2inv * r2inv
                fpair = r6inv * (c[0] * r6inv - c[1]) * r2inv
                phi = r6inv * (c[2] * r6inv - c[3]) - c[7]
            else:
                r = sqrt(rsq)
                dexp = exp(-c[1] * (r - c[2]))
                fpair = c[3] * (dexp * dexp - dexp) / r
                phi = c[0] * (dexp * dexp - 2.0 * dexp) - c[7]
            ephi_i += phi
            if weighted:
                wij = 0.5 * (w_i + w_e[j])
                fpair *= wij
                energy += wij * phi
            dx = xi - x[3 * j]
            dy = yi - x[3 * j + 1]
            dz = zi - x[3 * j + 2]
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
