# cython: language_level=3
"""Cauchy-Born energy density, first Piola-Kirchhoff stress and tangent for EAM.

For a Bravais lattice with lattice vectors R_k (within the cutoff) and volume
Omega per site, a homogeneous deformation F gives every site the energy

    Omega W(F) = F_emb(rho) + 1/2 sum_k phi(|F R_k|),   rho = sum_k rho(|F R_k|)

and, with r_k = F R_k, r = |r_k|, h(r) = F_emb'(rho) rho'(r) + phi'(r)/2,

    Omega P_iJ = sum_k h(r) r_i R_J / r
    Omega C_iJkL = F_emb''(rho) A_iJ A_kL
                   + sum_k [(h' - h/r) r_i r_k / r^2 + h delta_ik / r] R_J R_L,
    A_iJ = sum_k rho'(r) r_i R_J / r,  h' = F_emb'(rho) rho''(r) + phi''(r)/2.

The tabulated functions are the LAMMPS splines of the atomistic kernel
(7 coefficients per knot: value cubic in 3..6, derivative in 0..2), so the
continuum and the atoms see the same potential to round-off.
"""
from libc.math cimport sqrt


cdef inline void spline3(const double[:, ::1] s, double x, double rdx, int n,
                         double* v, double* d, double* dd, bint clamp_low) noexcept nogil:
    """Value, first and second derivative of a LAMMPS spline at x."""
    cdef double p = x * rdx + 1.0
    cdef int m = <int> p
    if clamp_low and m < 1:
        m = 1
    if m > n - 1:
        m = n - 1
    p -= m
    cdef bint beyond = p > 1.0
    if beyond:
        p = 1.0
    v[0] = ((s[m, 3] * p + s[m, 4]) * p + s[m, 5]) * p + s[m, 6]
    d[0] = (s[m, 0] * p + s[m, 1]) * p + s[m, 2]
    dd[0] = 0.0 if beyond else (2.0 * s[m, 0] * p + s[m, 1]) * rdx


def eam_cauchy_born(const double[:, :, ::1] F_tcc, const double[:, ::1] R_kc,
                    const double[:, ::1] rhor, const double[:, ::1] z2r,
                    const double[:, ::1] frho, double rdr, int nr, double rdrho, int nrho,
                    double rhomax, double cutsq, double volume,
                    double[::1] W_t, double[:, :, ::1] P_tcc, double[:, :, :, :, ::1] C_tcccc,
                    bint want_tangent):
    """W (eV/A^3), P (eV/A^3) and optionally C (eV/A^3) for each F (see module doc)."""
    cdef Py_ssize_t n_t = F_tcc.shape[0], n_k = R_kc.shape[0]
    cdef Py_ssize_t t, k, i, J, kk, L
    cdef double r_c[3]
    cdef double A[3][3]
    cdef double Pt[3][3]
    cdef double rsq, r, rho, rho_v, rho_d, rho_dd, z2, z2d, z2dd, phi, phid, phidd
    cdef double Femb, Fp, Fpp, h, hp, inv_vol = 1.0 / volume, e_pair, rhomax_excess
    cdef double a_r, b_r
    with nogil:
        for t in range(n_t):
            # pass 1: density and A
            rho = 0.0
            for i in range(3):
                for J in range(3):
                    A[i][J] = 0.0
                    Pt[i][J] = 0.0
            for k in range(n_k):
                for i in range(3):
                    r_c[i] = (F_tcc[t, i, 0] * R_kc[k, 0] + F_tcc[t, i, 1] * R_kc[k, 1]
                              + F_tcc[t, i, 2] * R_kc[k, 2])
                rsq = r_c[0] * r_c[0] + r_c[1] * r_c[1] + r_c[2] * r_c[2]
                if rsq >= cutsq:
                    continue
                r = sqrt(rsq)
                spline3(rhor, r, rdr, nr, &rho_v, &rho_d, &rho_dd, False)
                rho += rho_v
                for i in range(3):
                    for J in range(3):
                        A[i][J] += rho_d * r_c[i] * R_kc[k, J] / r
            spline3(frho, rho, rdrho, nrho, &Femb, &Fp, &Fpp, True)
            if rho > rhomax:
                Femb += Fp * (rho - rhomax)
            # pass 2: pair energy, stress, tangent
            e_pair = 0.0
            if want_tangent:
                for i in range(3):
                    for J in range(3):
                        for kk in range(3):
                            for L in range(3):
                                C_tcccc[t, i, J, kk, L] = Fpp * A[i][J] * A[kk][L] * inv_vol
            for k in range(n_k):
                for i in range(3):
                    r_c[i] = (F_tcc[t, i, 0] * R_kc[k, 0] + F_tcc[t, i, 1] * R_kc[k, 1]
                              + F_tcc[t, i, 2] * R_kc[k, 2])
                rsq = r_c[0] * r_c[0] + r_c[1] * r_c[1] + r_c[2] * r_c[2]
                if rsq >= cutsq:
                    continue
                r = sqrt(rsq)
                spline3(rhor, r, rdr, nr, &rho_v, &rho_d, &rho_dd, False)
                spline3(z2r, r, rdr, nr, &z2, &z2d, &z2dd, False)
                phi = z2 / r
                phid = (z2d - phi) / r
                phidd = (z2dd - 2.0 * phid) / r
                e_pair += 0.5 * phi
                h = Fp * rho_d + 0.5 * phid
                for i in range(3):
                    for J in range(3):
                        Pt[i][J] += h * r_c[i] * R_kc[k, J] / r
                if want_tangent:
                    hp = Fp * rho_dd + 0.5 * phidd
                    for i in range(3):
                        for kk in range(3):
                            a_r = (hp - h / r) * r_c[i] * r_c[kk] / rsq
                            if i == kk:
                                a_r += h / r
                            a_r *= inv_vol
                            for J in range(3):
                                b_r = a_r * R_kc[k, J]
                                for L in range(3):
                                    C_tcccc[t, i, J, kk, L] += b_r * R_kc[k, L]
            W_t[t] = (Femb + e_pair) * inv_vol
            for i in range(3):
                for J in range(3):
                    P_tcc[t, i, J] = Pt[i][J] * inv_vol
