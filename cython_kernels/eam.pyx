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

Every kernel writes into arrays its caller allocated and zeroed.
"""
from libc.math cimport sqrt
from libc.stdint cimport int32_t, int64_t

cdef enum:
    DENS_STRIDE = 8
    FORCE_STRIDE = 16


def density(const double[:, ::1] x_ec, const int32_t[::1] type_e,
            const int64_t[::1] offsets_e, const int32_t[::1] j_n,
            const double[::1] dens_tab, int ntypes, int nr, double rdr, double cutsq,
            double[::1] rho_e):
    """Accumulate the host density of every entry into ``rho_e`` (n_ext,)."""
    cdef Py_ssize_t n_ext = x_ec.shape[0]
    cdef Py_ssize_t e, n, j
    cdef int64_t n0, n1
    cdef Py_ssize_t pair_stride = (nr + 1) * DENS_STRIDE
    cdef const double* tab = &dens_tab[0]
    cdef const double* row_i
    cdef const double* c
    cdef double xi, yi, zi, dx, dy, dz, rsq, p, rho_i
    cdef int m, ti
    with nogil:
        for e in range(n_ext):
            n0 = offsets_e[e]
            n1 = offsets_e[e + 1]
            if n0 == n1:
                continue
            xi = x_ec[e, 0]
            yi = x_ec[e, 1]
            zi = x_ec[e, 2]
            ti = type_e[e]
            row_i = tab + ti * ntypes * pair_stride
            rho_i = 0.0
            for n in range(n0, n1):
                j = j_n[n]
                dx = xi - x_ec[j, 0]
                dy = yi - x_ec[j, 1]
                dz = zi - x_ec[j, 2]
                rsq = dx * dx + dy * dy + dz * dz
                if rsq >= cutsq:
                    continue
                p = sqrt(rsq) * rdr + 1.0
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
    """Embedding energy ``F_i`` and its derivative ``Fp_i`` at every site."""
    cdef Py_ssize_t n_sites = rho_i.shape[0]
    cdef Py_ssize_t i
    cdef const double* tab = &frho_tab[0]
    cdef const double* c
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
            c = tab + (type_i[i] * (nrho + 1) + m) * 7
            fp = (c[0] * p + c[1]) * p + c[2]
            phi = ((c[3] * p + c[4]) * p + c[5]) * p + c[6]
            if rho > rhomax:
                phi += fp * (rho - rhomax)
            F_i[i] = phi
            Fp_i[i] = fp


def forces(const double[:, ::1] x_ec, const int32_t[::1] type_e,
           const int64_t[::1] offsets_e, const int32_t[::1] j_n,
           const double[::1] wfp_e, const double[::1] w_e, bint weighted,
           const double[::1] force_tab, int ntypes, int nr, double rdr, double cutsq,
           double[:, ::1] f_ec, double[::1] epair_e, bint want_epair, double[::1] virial_6):
    """Forces of the weighted energy, per-entry pair energies, virial.

    ``wfp_e`` is ``w * F'`` of each entry's site.  The pair term of pair (i, j)
    carries ``(w_i + w_j) / 2`` (``w_e``, used only when ``weighted``).
    Accumulates forces into ``f_ec`` (n_ext, 3), half of every unweighted pair
    energy onto both entries of ``epair_e`` (when ``want_epair``), and the
    virial ``sum r_ij (x) f_ij`` into ``virial_6`` (xx, yy, zz, xy, xz, yz).
    Returns the weighted pair energy.
    """
    cdef Py_ssize_t n_ext = x_ec.shape[0]
    cdef Py_ssize_t e, n, j
    cdef int64_t n0, n1
    cdef Py_ssize_t pair_stride = (nr + 1) * FORCE_STRIDE
    cdef const double* tab = &force_tab[0]
    cdef const double* row_i
    cdef const double* c
    cdef double xi, yi, zi, dx, dy, dz, rsq, r, p, recip
    cdef double rhoip, rhojp, z2, z2p, phi, phip, psip, fpair, wij, wfp_i, w_i
    cdef double fxi, fyi, fzi, fx, fy, fz, epair_i
    cdef double vxx = 0.0, vyy = 0.0, vzz = 0.0, vxy = 0.0, vxz = 0.0, vyz = 0.0
    cdef double energy = 0.0
    cdef int m, ti
    with nogil:
        for e in range(n_ext):
            n0 = offsets_e[e]
            n1 = offsets_e[e + 1]
            if n0 == n1:
                continue
            xi = x_ec[e, 0]
            yi = x_ec[e, 1]
            zi = x_ec[e, 2]
            ti = type_e[e]
            wfp_i = wfp_e[e]
            w_i = w_e[e] if weighted else 1.0
            row_i = tab + ti * ntypes * pair_stride
            fxi = 0.0
            fyi = 0.0
            fzi = 0.0
            epair_i = 0.0
            for n in range(n0, n1):
                j = j_n[n]
                dx = xi - x_ec[j, 0]
                dy = yi - x_ec[j, 1]
                dz = zi - x_ec[j, 2]
                rsq = dx * dx + dy * dy + dz * dz
                if rsq >= cutsq:
                    continue
                r = sqrt(rsq)
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
                if weighted:
                    wij = 0.5 * (w_i + w_e[j])
                    psip = wfp_i * rhojp + wfp_e[j] * rhoip + wij * phip
                    energy += wij * phi
                else:
                    psip = wfp_i * rhojp + wfp_e[j] * rhoip + phip
                    energy += phi
                fpair = -psip * recip
                fx = dx * fpair
                fy = dy * fpair
                fz = dz * fpair
                fxi += fx
                fyi += fy
                fzi += fz
                f_ec[j, 0] -= fx
                f_ec[j, 1] -= fy
                f_ec[j, 2] -= fz
                vxx += dx * fx
                vyy += dy * fy
                vzz += dz * fz
                vxy += dx * fy
                vxz += dx * fz
                vyz += dy * fz
                if want_epair:
                    epair_i += 0.5 * phi
                    epair_e[j] += 0.5 * phi
            f_ec[e, 0] += fxi
            f_ec[e, 1] += fyi
            f_ec[e, 2] += fzi
            if want_epair:
                epair_e[e] += epair_i
    virial_6[0] += vxx
    virial_6[1] += vyy
    virial_6[2] += vzz
    virial_6[3] += vxy
    virial_6[4] += vxz
    virial_6[5] += vyz
    return energy
