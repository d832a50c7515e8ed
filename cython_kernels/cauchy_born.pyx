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
from libc.math cimport M_PI, acos, cos, sqrt
from libc.stdlib cimport free, malloc


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


cdef inline double sigma_min(const double[:, :, ::1] F, Py_ssize_t t) noexcept nogil:
    """Smallest singular value of F[t]: sqrt of the smallest eigenvalue of F^T F
    (closed form for a symmetric 3x3 matrix), lowered by a round-off margin."""
    cdef double c[3][3]
    cdef Py_ssize_t i, j, k
    for i in range(3):
        for j in range(3):
            c[i][j] = 0.0
            for k in range(3):
                c[i][j] += F[t, k, i] * F[t, k, j]
    cdef double p1 = c[0][1] * c[0][1] + c[0][2] * c[0][2] + c[1][2] * c[1][2]
    cdef double q = (c[0][0] + c[1][1] + c[2][2]) / 3.0
    cdef double p2, p, r, phi, lam, d00, d11, d22, detb
    if p1 == 0.0:
        lam = min(c[0][0], min(c[1][1], c[2][2]))
    else:
        d00, d11, d22 = c[0][0] - q, c[1][1] - q, c[2][2] - q
        p2 = d00 * d00 + d11 * d11 + d22 * d22 + 2.0 * p1
        p = sqrt(p2 / 6.0)
        detb = (d00 * (d11 * d22 - c[1][2] * c[1][2]) - c[0][1] * (c[0][1] * d22 - c[1][2] * c[0][2])
                + c[0][2] * (c[0][1] * c[1][2] - d11 * c[0][2])) / (p * p * p)
        r = 0.5 * detb
        if r <= -1.0:
            phi = M_PI / 3.0
        elif r >= 1.0:
            phi = 0.0
        else:
            phi = acos(r) / 3.0
        lam = q + 2.0 * p * cos(phi + 2.0 * M_PI / 3.0)
    if lam <= 0.0:
        return 0.0
    return sqrt(lam) * (1.0 - 1e-9)


def eam_cauchy_born(const double[:, :, ::1] F_tcc, const double[:, ::1] R_kc,
                    const double[::1] Rlen_k,
                    const double[:, ::1] rhor, const double[:, ::1] z2r,
                    const double[:, ::1] frho, double rdr, int nr, double rdrho, int nrho,
                    double rhomax, double cutsq, double volume,
                    double[::1] W_t, double[:, :, ::1] P_tcc, double[:, :, :, :, ::1] C_tcccc,
                    bint want_tangent):
    """W (eV/A^3), P (eV/A^3) and optionally C (eV/A^3) for each F (see module doc).

    ``R_kc`` holds one vector of each +-R pair, sorted by length ``Rlen_k``;
    every sum is doubled.  Vectors with sigma_min(F) |R| >= cutoff cannot be
    within the cutoff and end the loop.  Returns the smallest sigma_min(F),
    with which the caller checks that the shell of vectors was large enough.
    """
    cdef Py_ssize_t n_t = F_tcc.shape[0], n_k = R_kc.shape[0]
    cdef Py_ssize_t t, k, i, J, kk, L, i2, n_in
    cdef double* buf = <double*> malloc((n_k + 1) * 8 * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    cdef double* b
    cdef double A[3][3]
    cdef double Pt[3][3]
    cdef double rsq, r, rinv, rho, rho_v, rho_d, rho_dd, z2, z2d, z2dd, phi, phid, phidd
    cdef double Femb, Fp, Fpp, h, hp, inv_vol = 2.0 / volume, e_pair, cut = sqrt(cutsq)
    cdef double a_r, b_r, smin, smin_all = 1e300
    try:
        with nogil:
            for t in range(n_t):
                smin = sigma_min(F_tcc, t)
                if smin < smin_all:
                    smin_all = smin
                rho = 0.0
                for i in range(3):
                    for J in range(3):
                        A[i][J] = 0.0
                        Pt[i][J] = 0.0
                # pass 1: deformed vectors inside the cutoff, spline values, density
                n_in = 0
                for k in range(n_k):
                    if smin * Rlen_k[k] >= cut:
                        break
                    b = buf + 8 * n_in
                    for i in range(3):
                        b[i] = (F_tcc[t, i, 0] * R_kc[k, 0] + F_tcc[t, i, 1] * R_kc[k, 1]
                                + F_tcc[t, i, 2] * R_kc[k, 2])
                    rsq = b[0] * b[0] + b[1] * b[1] + b[2] * b[2]
                    if rsq >= cutsq:
                        continue
                    r = sqrt(rsq)
                    rinv = 1.0 / r
                    spline3(rhor, r, rdr, nr, &rho_v, &rho_d, &rho_dd, False)
                    rho += rho_v
                    for i in range(3):
                        a_r = rho_d * b[i] * rinv
                        for J in range(3):
                            A[i][J] += a_r * R_kc[k, J]
                    b[3] = r
                    b[4] = rho_d
                    b[5] = rho_dd
                    b[6] = <double> k
                    n_in += 1
                rho *= 2.0
                for i in range(3):
                    for J in range(3):
                        A[i][J] *= 2.0
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
                                    C_tcccc[t, i, J, kk, L] = Fpp * A[i][J] * A[kk][L] * 0.5 * inv_vol
                for L in range(n_in):
                    b = buf + 8 * L
                    k = <Py_ssize_t> b[6]
                    r = b[3]
                    rinv = 1.0 / r
                    spline3(z2r, r, rdr, nr, &z2, &z2d, &z2dd, False)
                    phi = z2 * rinv
                    phid = (z2d - phi) * rinv
                    phidd = (z2dd - 2.0 * phid) * rinv
                    e_pair += phi  # 1/2 phi, twice (+-R)
                    h = Fp * b[4] + 0.5 * phid
                    for i in range(3):
                        a_r = h * b[i] * rinv
                        for J in range(3):
                            Pt[i][J] += a_r * R_kc[k, J]
                    if want_tangent:
                        hp = Fp * b[5] + 0.5 * phidd
                        for i in range(3):
                            for kk in range(3):
                                a_r = (hp - h * rinv) * b[i] * b[kk] * rinv * rinv
                                if i == kk:
                                    a_r += h * rinv
                                a_r *= inv_vol
                                for J in range(3):
                                    b_r = a_r * R_kc[k, J]
                                    for i2 in range(3):
                                        C_tcccc[t, i, J, kk, i2] += b_r * R_kc[k, i2]
                W_t[t] = (Femb + e_pair) * 0.5 * inv_vol
                for i in range(3):
                    for J in range(3):
                        P_tcc[t, i, J] = Pt[i][J] * inv_vol
    finally:
        free(buf)
    return smin_all
