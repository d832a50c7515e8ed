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

Also here: the gather of the elements' deformation gradients and the scatter
of their stresses to the nodes (the Cauchy-Born sum of the QC model), and the
triangular solves of the elastic preconditioner.
"""
from libc.math cimport M_PI, acos, cos, sqrt
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc

cdef extern from *:
    """
    #include <math.h>
    #include <stddef.h>
    #if defined(__SSE2__) && !defined(QCSIM_NO_SIMD)
    #define QCSIM_CB_SSE2 1
    #include <emmintrin.h>
    #endif

    /* Stage 1 of the energy-and-stress pass (see eam_cauchy_born): |F R_k|^2 from
       C's six entries, inside = 1 or 0, r (1 beyond the cutoff) and 1/r; two
       vectors at a time, each lane with the operations of the scalar loop. */
    static void qcsim_cb_lengths(const double *Q, ptrdiff_t n1, ptrdiff_t n_near,
                                 const double *c6, double cutsq, double *inside,
                                 double *r_k, double *rinv_k) {
        ptrdiff_t k = 0;
    #ifdef QCSIM_CB_SSE2
        const __m128d c0 = _mm_set1_pd(c6[0]), c1 = _mm_set1_pd(c6[1]), c2 = _mm_set1_pd(c6[2]);
        const __m128d c3 = _mm_set1_pd(c6[3]), c4 = _mm_set1_pd(c6[4]), c5 = _mm_set1_pd(c6[5]);
        const __m128d one = _mm_set1_pd(1.0), cut = _mm_set1_pd(cutsq);
        for (; k + 2 <= n_near; k += 2) {
            __m128d rsq = _mm_mul_pd(c0, _mm_loadu_pd(Q + k));
            rsq = _mm_add_pd(rsq, _mm_mul_pd(c1, _mm_loadu_pd(Q + n1 + k)));
            rsq = _mm_add_pd(rsq, _mm_mul_pd(c2, _mm_loadu_pd(Q + 2 * n1 + k)));
            rsq = _mm_add_pd(rsq, _mm_mul_pd(c3, _mm_loadu_pd(Q + 3 * n1 + k)));
            rsq = _mm_add_pd(rsq, _mm_mul_pd(c4, _mm_loadu_pd(Q + 4 * n1 + k)));
            rsq = _mm_add_pd(rsq, _mm_mul_pd(c5, _mm_loadu_pd(Q + 5 * n1 + k)));
            __m128d in = _mm_cmplt_pd(rsq, cut);
            __m128d r = _mm_sqrt_pd(_mm_or_pd(_mm_and_pd(in, rsq), _mm_andnot_pd(in, one)));
            _mm_storeu_pd(inside + k, _mm_and_pd(in, one));
            _mm_storeu_pd(r_k + k, r);
            _mm_storeu_pd(rinv_k + k, _mm_div_pd(one, r));
        }
    #endif
        for (; k < n_near; k++) {
            double rsq = (c6[0] * Q[k] + c6[1] * Q[n1 + k] + c6[2] * Q[2 * n1 + k]
                          + c6[3] * Q[3 * n1 + k] + c6[4] * Q[4 * n1 + k]
                          + c6[5] * Q[5 * n1 + k]);
            inside[k] = rsq < cutsq ? 1.0 : 0.0;
            r_k[k] = sqrt(rsq < cutsq ? rsq : 1.0);
            rinv_k[k] = 1.0 / r_k[k];
        }
    }

    /* Stages 2 and 3 of the energy-and-stress pass: the splines of rho and z2r
       (one knot; pair[16 m + 2 c] and pair[16 m + 2 c + 1] are coefficient c of
       knot m of rho and of z2r) evaluated side by side, the sums rho and e_pair,
       and M_a, M_b (Mab[2 i] = M_a[i], Mab[2 i + 1] = M_b[i]); every lane does the
       operations of the scalar code, in the same order. */
    static void qcsim_cb_sums(const double *pair, double rdr, ptrdiff_t nr, ptrdiff_t n_near,
                              const double *inside, const double *r_k, const double *rinv_k,
                              const double *RR, double *rho_out, double *epair_out,
                              double *Mab) {
        double rho = 0.0, e_pair = 0.0;
        ptrdiff_t k, i;
    #ifdef QCSIM_CB_SSE2
        __m128d M0 = _mm_setzero_pd(), M1 = _mm_setzero_pd(), M2 = _mm_setzero_pd();
        __m128d M3 = _mm_setzero_pd(), M4 = _mm_setzero_pd(), M5 = _mm_setzero_pd();
        for (k = 0; k < n_near; k++) {
            double r = r_k[k], rinv = rinv_k[k], in = inside[k];
            double q = r * rdr + 1.0;
            ptrdiff_t m = (ptrdiff_t) q;
            if (m > nr - 1) m = nr - 1;
            q -= (double) m;
            if (q > 1.0) q = 1.0;
            const double *s = pair + 16 * m;
            __m128d p = _mm_set1_pd(q);
            __m128d v = _mm_add_pd(_mm_mul_pd(_mm_loadu_pd(s + 6), p), _mm_loadu_pd(s + 8));
            v = _mm_add_pd(_mm_mul_pd(v, p), _mm_loadu_pd(s + 10));
            v = _mm_add_pd(_mm_mul_pd(v, p), _mm_loadu_pd(s + 12));
            __m128d d = _mm_add_pd(_mm_mul_pd(_mm_loadu_pd(s), p), _mm_loadu_pd(s + 2));
            d = _mm_add_pd(_mm_mul_pd(d, p), _mm_loadu_pd(s + 4));
            double rho_v = _mm_cvtsd_f64(v), z2 = _mm_cvtsd_f64(_mm_unpackhi_pd(v, v));
            double phi = z2 * rinv;
            double phid = (_mm_cvtsd_f64(_mm_unpackhi_pd(d, d)) - phi) * rinv;
            rho += in * rho_v;
            e_pair += in * phi;
            /* (a_k, b_k) = ((in rho') / r, ((in / 2) phi') / r) */
            __m128d ab = _mm_mul_pd(_mm_mul_pd(_mm_set_pd(in * 0.5, in),
                                               _mm_unpacklo_pd(d, _mm_set_sd(phid))),
                                    _mm_set1_pd(rinv));
            const double *rr = RR + 6 * k;
            M0 = _mm_add_pd(M0, _mm_mul_pd(ab, _mm_set1_pd(rr[0])));
            M1 = _mm_add_pd(M1, _mm_mul_pd(ab, _mm_set1_pd(rr[1])));
            M2 = _mm_add_pd(M2, _mm_mul_pd(ab, _mm_set1_pd(rr[2])));
            M3 = _mm_add_pd(M3, _mm_mul_pd(ab, _mm_set1_pd(rr[3])));
            M4 = _mm_add_pd(M4, _mm_mul_pd(ab, _mm_set1_pd(rr[4])));
            M5 = _mm_add_pd(M5, _mm_mul_pd(ab, _mm_set1_pd(rr[5])));
        }
        _mm_storeu_pd(Mab, M0);
        _mm_storeu_pd(Mab + 2, M1);
        _mm_storeu_pd(Mab + 4, M2);
        _mm_storeu_pd(Mab + 6, M3);
        _mm_storeu_pd(Mab + 8, M4);
        _mm_storeu_pd(Mab + 10, M5);
    #else
        for (i = 0; i < 12; i++) Mab[i] = 0.0;
        for (k = 0; k < n_near; k++) {
            double r = r_k[k], rinv = rinv_k[k], in = inside[k];
            double q = r * rdr + 1.0;
            ptrdiff_t m = (ptrdiff_t) q;
            if (m > nr - 1) m = nr - 1;
            q -= (double) m;
            if (q > 1.0) q = 1.0;
            const double *s = pair + 16 * m;
            double rho_v = ((s[6] * q + s[8]) * q + s[10]) * q + s[12];
            double rho_d = (s[0] * q + s[2]) * q + s[4];
            double z2 = ((s[7] * q + s[9]) * q + s[11]) * q + s[13];
            double z2d = (s[1] * q + s[3]) * q + s[5];
            double phi = z2 * rinv;
            double phid = (z2d - phi) * rinv;
            double a = in * rho_d * rinv, b = in * 0.5 * phid * rinv;
            rho += in * rho_v;
            e_pair += in * phi;
            for (i = 0; i < 6; i++) {
                Mab[2 * i] += a * RR[6 * k + i];
                Mab[2 * i + 1] += b * RR[6 * k + i];
            }
        }
    #endif
        (void) i;
        *rho_out = rho;
        *epair_out = e_pair;
    }
    """
    void qcsim_cb_lengths(const double* Q, Py_ssize_t n1, Py_ssize_t n_near, const double* c6,
                          double cutsq, double* inside, double* r_k, double* rinv_k) noexcept nogil
    void qcsim_cb_sums(const double* pair, double rdr, Py_ssize_t nr, Py_ssize_t n_near,
                       const double* inside, const double* r_k, const double* rinv_k,
                       const double* RR, double* rho_out, double* epair_out,
                       double* Mab) noexcept nogil


def spline_pair_table(const double[:, ::1] rhor, const double[:, ::1] z2r):
    """The splines rho and z2r side by side for :func:`eam_cauchy_born`: (n, 16),
    row m holding coefficient c of knot m of rho at 2 c and of z2r at 2 c + 1."""
    import numpy as np

    tab = np.zeros((rhor.shape[0], 16))
    tab[:, 0:14:2] = rhor
    tab[:, 1:14:2] = z2r
    return tab


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


cdef inline double sigma_min(const double c[3][3]) noexcept nogil:
    """Smallest singular value of F from C = F^T F: sqrt of the smallest eigenvalue
    of C (closed form for a symmetric 3x3 matrix), lowered by a round-off margin."""
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
        if r != r:
            # p^3 underflowed (C is diagonal to within round-off): the eigenvalues of
            # (C - q I) / p lie in [-2, 2], so q - 2 p is a safe lower bound
            lam = q - 2.0 * p
        else:
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


cdef inline void knot(double x, double rdx, int n, Py_ssize_t* m, double* p,
                      bint* beyond) noexcept nogil:
    """Knot index and offset of x in a LAMMPS spline table (as :func:`spline3`, x > 0)."""
    cdef double q = x * rdx + 1.0
    cdef Py_ssize_t mm = <Py_ssize_t> q
    if mm > n - 1:
        mm = n - 1
    q -= mm
    beyond[0] = q > 1.0
    if beyond[0]:
        q = 1.0
    m[0] = mm
    p[0] = q


cdef enum:
    STRIDE = 6  # per vector inside the cutoff: k, r, rho', rho'', phi', phi''


cdef void _tangent(double[:, :, :, :, ::1] C_tcccc, Py_ssize_t t, const double* buf,
                   Py_ssize_t n_in, const double[:, ::1] R_kc, const double f[3][3],
                   const double A[3][3], double Fp, double Fpp, double inv_vol) noexcept nogil:
    """C[t] from the vectors inside the cutoff (``buf``) and the half sum A (see module doc)."""
    cdef Py_ssize_t n, k, i, J, kk, L
    cdef const double* b
    cdef double x[3]
    cdef double r, rinv, h, hp, a_r, b_r
    for i in range(3):
        for J in range(3):
            for kk in range(3):
                for L in range(3):
                    # A doubled (+-R) twice, W halved: 4 / 2 = 2
                    C_tcccc[t, i, J, kk, L] = 2.0 * Fpp * A[i][J] * A[kk][L] * inv_vol
    for n in range(n_in):
        b = buf + STRIDE * n
        k = <Py_ssize_t> b[0]
        for i in range(3):
            x[i] = f[i][0] * R_kc[k, 0] + f[i][1] * R_kc[k, 1] + f[i][2] * R_kc[k, 2]
        r = b[1]
        rinv = 1.0 / r
        h = Fp * b[2] + 0.5 * b[4]
        hp = Fp * b[3] + 0.5 * b[5]
        for i in range(3):
            for kk in range(3):
                a_r = (hp - h * rinv) * x[i] * x[kk] * rinv * rinv
                if i == kk:
                    a_r += h * rinv
                a_r *= inv_vol
                for J in range(3):
                    b_r = a_r * R_kc[k, J]
                    for L in range(3):
                        C_tcccc[t, i, J, kk, L] += b_r * R_kc[k, L]


def eam_cauchy_born(const double[:, :, ::1] F_tcc, const double[:, ::1] R_kc,
                    const double[::1] Rlen_k,
                    const double[:, ::1] rhor, const double[:, ::1] z2r,
                    const double[:, ::1] frho, double rdr, int nr, double rdrho, int nrho,
                    double rhomax, double cutsq, double volume,
                    double[::1] W_t, double[:, :, ::1] P_tcc, double[:, :, :, :, ::1] C_tcccc,
                    bint want_tangent, const double[:, ::1] pair=None):
    """W (eV/A^3), P (eV/A^3) and optionally C (eV/A^3) for each F (see module doc).

    ``R_kc`` holds one vector of each +-R pair, sorted by length ``Rlen_k``;
    every sum is doubled.  Vectors with sigma_min(F) |R| >= cutoff cannot be
    within the cutoff and end the loop.  Returns the smallest sigma_min(F),
    with which the caller checks that the shell of vectors was large enough.

    No deformed vector is formed: |F R|^2 = R.C R with C = F^T F, and since
    F R (x) R = F (R (x) R),

        A = F M_a,  M_a = sum_k rho'(r)/r R_k (x) R_k,
        Omega P = F (F_emb'(rho) M_a + M_b),  M_b = sum_k phi'(r)/(2r) R_k (x) R_k,

    with the symmetric R_k (x) R_k (6 entries) made once per call.  Per
    element the vectors go through in stages over short arrays: the squared
    lengths, then r and 1/r (both loops the compiler vectorises), then the
    splines (rho and phi share one knot), then the sums; vectors beyond the
    cutoff take part with weight 0.  The tangent, on request, takes a second
    pass over the vectors inside the cutoff.

    ``pair`` (:func:`spline_pair_table` of rhor and z2r), when given and no
    tangent is asked for, lets the stages run in C two lanes at a time
    (``qcsim_cb_lengths``, ``qcsim_cb_sums``): the lengths of two vectors, then
    rho and z2r of one vector side by side and M_a, M_b side by side; each lane
    does the operations of the scalar code in the same order, so W and P are the
    same to the bit.
    """
    cdef Py_ssize_t n_t = F_tcc.shape[0], n_k = R_kc.shape[0], n1 = n_k + 1
    cdef Py_ssize_t t, k, i, J, n_in, n_near, m
    # R_k (x) R_k as (00, 11, 22, 01, 02, 12): RR[6 k + i]; the same with the
    # off-diagonal doubled, stored by component, Q[i n1 + k] (R.C R is the dot
    # product of C's 6 entries with it; contiguous in k for the vectorised stage);
    # then the stage arrays
    cdef double* mem = <double*> malloc(n1 * 17 * sizeof(double))
    cdef double* buf = NULL
    if mem == NULL:
        raise MemoryError()
    if want_tangent:
        buf = <double*> malloc(n1 * STRIDE * sizeof(double))
        if buf == NULL:
            free(mem)
            raise MemoryError()
    cdef double* RR = mem
    cdef double* Q = mem + 6 * n1
    cdef double* inside = mem + 12 * n1
    cdef double* r_k = mem + 13 * n1
    cdef double* rinv_k = mem + 14 * n1
    cdef double* a_k = mem + 15 * n1
    cdef double* b_k = mem + 16 * n1
    cdef double* rr
    cdef double* b
    cdef double f[3][3]
    cdef double c[3][3]
    cdef double A[3][3]
    cdef double S[3][3]
    cdef double Ma[6]
    cdef double Mb[6]
    cdef double rsq, r, rinv, p, rho, rho_v, rho_d, z2, z2d, phi, phid
    cdef double Femb, Fp, Fpp, inv_vol = 2.0 / volume, e_pair
    cdef double cut = sqrt(cutsq), smin, smin_all = 1e300
    cdef double c6[6]
    cdef double Mab[12]
    cdef bint fast = pair is not None and not want_tangent
    cdef const double* pair_p = &pair[0, 0] if fast else NULL
    try:
        with nogil:
            for k in range(n_k):
                rr = RR + 6 * k
                rr[0] = R_kc[k, 0] * R_kc[k, 0]
                rr[1] = R_kc[k, 1] * R_kc[k, 1]
                rr[2] = R_kc[k, 2] * R_kc[k, 2]
                rr[3] = R_kc[k, 0] * R_kc[k, 1]
                rr[4] = R_kc[k, 0] * R_kc[k, 2]
                rr[5] = R_kc[k, 1] * R_kc[k, 2]
                for i in range(6):
                    Q[i * n1 + k] = rr[i] if i < 3 else 2.0 * rr[i]
            for t in range(n_t):
                for i in range(3):
                    for J in range(3):
                        f[i][J] = F_tcc[t, i, J]
                for i in range(3):
                    for J in range(3):
                        c[i][J] = f[0][i] * f[0][J] + f[1][i] * f[1][J] + f[2][i] * f[2][J]
                smin = sigma_min(c)
                if smin < smin_all:
                    smin_all = smin
                # (a NaN smin would take every vector: the cutoff test still decides)
                n_near = 0
                while n_near < n_k and not (smin * Rlen_k[n_near] >= cut):
                    n_near += 1
                if fast:
                    c6[0], c6[1], c6[2] = c[0][0], c[1][1], c[2][2]
                    c6[3], c6[4], c6[5] = c[0][1], c[0][2], c[1][2]
                    qcsim_cb_lengths(Q, n1, n_near, c6, cutsq, inside, r_k, rinv_k)
                    qcsim_cb_sums(pair_p, rdr, nr, n_near, inside, r_k, rinv_k, RR, &rho,
                                  &e_pair, Mab)
                    for i in range(6):
                        Ma[i] = Mab[2 * i]
                        Mb[i] = Mab[2 * i + 1]
                else:
                    rho, e_pair = _stages(Q, n1, n_near, c, cutsq, inside, r_k, rinv_k, rhor,
                                          z2r, rdr, nr, a_k, b_k, RR, Ma, Mb, want_tangent,
                                          buf, &n_in)
                spline3(frho, 2.0 * rho, rdrho, nrho, &Femb, &Fp, &Fpp, True)
                if 2.0 * rho > rhomax:
                    Femb += Fp * (2.0 * rho - rhomax)
                W_t[t] = (Femb + e_pair) * 0.5 * inv_vol
                # S = Fp M_a + M_b (symmetric), P = F S / Omega
                _symmetric(S, Ma, Fp, Mb)
                for i in range(3):
                    for J in range(3):
                        P_tcc[t, i, J] = (f[i][0] * S[0][J] + f[i][1] * S[1][J]
                                          + f[i][2] * S[2][J]) * inv_vol
                if want_tangent:
                    _symmetric(S, Ma, 1.0, NULL)  # A = F M_a
                    for i in range(3):
                        for J in range(3):
                            A[i][J] = f[i][0] * S[0][J] + f[i][1] * S[1][J] + f[i][2] * S[2][J]
                    _tangent(C_tcccc, t, buf, n_in, R_kc, f, A, Fp, Fpp, inv_vol)
    finally:
        free(mem)
        free(buf)
    return smin_all


cdef (double, double) _stages(const double* Q, Py_ssize_t n1, Py_ssize_t n_near,
                              const double c[3][3], double cutsq, double* inside,
                              double* r_k, double* rinv_k, const double[:, ::1] rhor,
                              const double[:, ::1] z2r, double rdr, int nr, double* a_k,
                              double* b_k, const double* RR, double* Ma, double* Mb,
                              bint want_tangent, double* buf, Py_ssize_t* n_in_out) noexcept nogil:
    """Stages 1 to 3 of one element (scalar; with the tangent's buffer): rho, e_pair."""
    cdef Py_ssize_t k, i, m, n_in = 0
    cdef double rsq, r, rinv, p, rho, rho_v, rho_d, z2, z2d, phi, phid, e_pair
    cdef const double* rr
    cdef double* b
    cdef bint beyond
    # stage 1: |F R_k|^2, r and 1/r (1 for the vectors beyond the cutoff)
    for k in range(n_near):
        rsq = (c[0][0] * Q[k] + c[1][1] * Q[n1 + k] + c[2][2] * Q[2 * n1 + k]
               + c[0][1] * Q[3 * n1 + k] + c[0][2] * Q[4 * n1 + k]
               + c[1][2] * Q[5 * n1 + k])
        inside[k] = 1.0 if rsq < cutsq else 0.0
        r_k[k] = sqrt(rsq if rsq < cutsq else 1.0)
    for k in range(n_near):
        rinv_k[k] = 1.0 / r_k[k]
    # stage 2: splines
    rho = 0.0
    e_pair = 0.0
    n_in = 0
    for k in range(n_near):
        r = r_k[k]
        rinv = rinv_k[k]
        knot(r, rdr, nr, &m, &p, &beyond)
        rho_v = ((rhor[m, 3] * p + rhor[m, 4]) * p + rhor[m, 5]) * p + rhor[m, 6]
        rho_d = (rhor[m, 0] * p + rhor[m, 1]) * p + rhor[m, 2]
        z2 = ((z2r[m, 3] * p + z2r[m, 4]) * p + z2r[m, 5]) * p + z2r[m, 6]
        z2d = (z2r[m, 0] * p + z2r[m, 1]) * p + z2r[m, 2]
        phi = z2 * rinv
        phid = (z2d - phi) * rinv
        rho += inside[k] * rho_v
        e_pair += inside[k] * phi  # 1/2 phi, twice (+-R)
        a_k[k] = inside[k] * rho_d * rinv
        b_k[k] = inside[k] * 0.5 * phid * rinv
        if want_tangent and inside[k] != 0.0:
            b = buf + STRIDE * n_in
            b[0] = <double> k
            b[1] = r
            b[2] = rho_d
            b[3] = 0.0 if beyond else (2.0 * rhor[m, 0] * p + rhor[m, 1]) * rdr
            b[4] = phid
            z2d = 0.0 if beyond else (2.0 * z2r[m, 0] * p + z2r[m, 1]) * rdr
            b[5] = (z2d - 2.0 * phid) * rinv  # phi''
            n_in += 1
    # stage 3: M_a, M_b
    for i in range(6):
        Ma[i] = 0.0
        Mb[i] = 0.0
    for k in range(n_near):
        rr = RR + 6 * k
        for i in range(6):
            Ma[i] += a_k[k] * rr[i]
            Mb[i] += b_k[k] * rr[i]
    n_in_out[0] = n_in
    return rho, e_pair


cdef inline void _symmetric(double S[3][3], const double* Ma, double s,
                            const double* Mb) noexcept nogil:
    """S = s M_a + M_b (M_b optional) from 6 entries (00, 11, 22, 01, 02, 12)."""
    cdef int i
    cdef double v[6]
    for i in range(6):
        v[i] = s * Ma[i] + (Mb[i] if Mb != NULL else 0.0)
    S[0][0], S[1][1], S[2][2] = v[0], v[1], v[2]
    S[0][1] = S[1][0] = v[3]
    S[0][2] = S[2][0] = v[4]
    S[1][2] = S[2][1] = v[5]


def gather_deformation_gradients(const double[:, ::1] U_nc, const int64_t[:, ::1] elements_ta,
                                 const double[:, :, ::1] grad_tad, double[:, :, ::1] F_tcc):
    """F_tcc = I + sum_a U_a (x) grad N_a for P1 elements of dimension d = grad_tad.shape[2];
    the columns of unmeshed axes (d <= J < 3) are those of I."""
    cdef Py_ssize_t n_t = elements_ta.shape[0], n_a = elements_ta.shape[1]
    cdef Py_ssize_t d = grad_tad.shape[2], t, a, c, k, node
    cdef double u
    with nogil:
        for t in range(n_t):
            for c in range(3):
                for k in range(3):
                    F_tcc[t, c, k] = 1.0 if c == k else 0.0
            for a in range(n_a):
                node = elements_ta[t, a]
                for c in range(3):
                    u = U_nc[node, c]
                    for k in range(d):
                        F_tcc[t, c, k] += u * grad_tad[t, a, k]


def scatter_stresses(const double[:, :, ::1] P_tcc, const double[::1] w_t,
                     const int64_t[:, ::1] elements_ta, const double[:, :, ::1] grad_tad,
                     double[:, ::1] G_nc):
    """G_nc += sum_t w_t P_t grad N_a at the nodes a of each element t: the gradient
    of sum_t w_t W(F_t) (G_nc is added to, not cleared)."""
    cdef Py_ssize_t n_t = elements_ta.shape[0], n_a = elements_ta.shape[1]
    cdef Py_ssize_t d = grad_tad.shape[2], t, a, c, k, node
    cdef double g
    with nogil:
        for t in range(n_t):
            for a in range(n_a):
                node = elements_ta[t, a]
                for c in range(3):
                    g = 0.0
                    for k in range(d):
                        g += P_tcc[t, c, k] * grad_tad[t, a, k]
                    G_nc[node, c] += w_t[t] * g


# -- sparse triangular solves ------------------------------------------------------
# The solves of the elastic preconditioner (qcsim.solvers.precon), whose matrix is
# the Cauchy-Born stiffness; they would sit better in a sparse-kernel module of
# their own.

def lu_solve_csc(const int32_t[::1] Lp, const int32_t[::1] Li, const double[::1] Lx,
                 const int32_t[::1] Up, const int32_t[::1] Ui, const double[::1] Ux,
                 double[::1] x):
    """x <- U^-1 L^-1 x, in place.

    L (unit lower triangular, its diagonal stored first in each column) and U
    (upper triangular, its diagonal last in each column) are CSC with sorted
    row indices (SuperLU's factors).  Column-oriented substitutions: each
    entry of a factor is read once.
    """
    cdef Py_ssize_t n = x.shape[0], j, k, last
    cdef double xj
    with nogil:
        for j in range(n):
            xj = x[j]
            if xj != 0.0:
                for k in range(Lp[j] + 1, Lp[j + 1]):
                    x[Li[k]] -= Lx[k] * xj
        for j in range(n - 1, -1, -1):
            last = Up[j + 1] - 1
            xj = x[j] / Ux[last]
            x[j] = xj
            if xj != 0.0:
                for k in range(Up[j], last):
                    x[Ui[k]] -= Ux[k] * xj
