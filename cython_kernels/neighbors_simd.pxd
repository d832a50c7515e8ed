# C part of qcsim._kernels.neighbors (cimported by neighbors.pyx): the vectorised distance sweep.
#
# qcsim_sweep(...) runs candidates lo..hi-1 (entries in single precision,
# one array per axis) past one probe entry and sorts them three ways:
#   surely kept   (d2 < rin2 and owner > oi)        -> written to out, in order;
#   undecided     (d2 < rout2 and either owner == oi,
#                  or owner > oi and d2 >= rin2)     -> written to und;
#   surely dropped (everything else).
# It returns the number written to out and sets *n_und.  out may be written
# up to 8 slots past the returned count; und needs room for hi - lo values.
# Entries near the end of the arrays (where a vector load would read past
# n_ext) are all returned as undecided.  Three implementations share that
# contract: AVX2 (8 lanes, chosen at run time when the CPU has it), SSE2
# (4 lanes, every x86-64) and portable C; qcsim_simd_select picks one.

from libc.stdint cimport int32_t, int64_t

cdef extern from *:
    """
    #include <stdint.h>

    /* qcsim_lanes[m] lists the set bits of the 8-bit mask m, in order. */
    static int32_t qcsim_lanes[256][8];
    static int qcsim_bits[256];

    static void qcsim_init_lanes(void) {
        int m, lane, k;
        for (m = 0; m < 256; m++) {
            for (k = 0; k < 8; k++) qcsim_lanes[m][k] = 0;
            for (lane = 0, k = 0; lane < 8; lane++)
                if ((m >> lane) & 1) qcsim_lanes[m][k++] = lane;
            qcsim_bits[m] = k;
        }
    }

    #define QCSIM_SWEEP_ARGS const float *x, const float *y, const float *z, \\
        const int32_t *owner, int64_t lo, int64_t hi, int64_t n_ext, float xi, float yi, \\
        float zi, int32_t oi, float rin2, float rout2, int32_t *out, int32_t *und, int *n_und

    static int64_t qcsim_sweep_portable(QCSIM_SWEEP_ARGS) {
        int64_t t, n = 0;
        int nu = 0;
        (void)n_ext;
        for (t = lo; t < hi; t++) {  /* branch-free: both slots written, kept if counted */
            float dx = x[t] - xi, dy = y[t] - yi, dz = z[t] - zi;
            float d2 = dx * dx + dy * dy + dz * dz;
            int in = d2 < rin2, near = d2 < rout2, gt = owner[t] > oi, eq = owner[t] == oi;
            out[n] = (int32_t)t;
            n += in & gt;
            und[nu] = (int32_t)t;
            nu += near & (eq | (gt & !in));
        }
        *n_und = nu;
        return n;
    }

    #if (defined(__x86_64__) || defined(_M_X64)) && !defined(QCSIM_NO_SIMD)
    #define QCSIM_HAVE_SSE2 1
    #include <immintrin.h>

    static int64_t qcsim_sweep_sse2(QCSIM_SWEEP_ARGS) {
        const __m128 vx = _mm_set1_ps(xi), vy = _mm_set1_ps(yi), vz = _mm_set1_ps(zi);
        const __m128 vin = _mm_set1_ps(rin2), vout = _mm_set1_ps(rout2);
        const __m128i voi = _mm_set1_epi32(oi);
        int64_t t = lo, n = 0, stop = hi < n_ext - 3 ? hi : n_ext - 3;
        int nu = 0, lane;
        for (; t < stop; t += 4) {
            __m128 dx = _mm_sub_ps(_mm_loadu_ps(x + t), vx);
            __m128 dy = _mm_sub_ps(_mm_loadu_ps(y + t), vy);
            __m128 dz = _mm_sub_ps(_mm_loadu_ps(z + t), vz);
            __m128 d2 = _mm_add_ps(_mm_add_ps(_mm_mul_ps(dx, dx), _mm_mul_ps(dy, dy)),
                                   _mm_mul_ps(dz, dz));
            __m128 in = _mm_cmplt_ps(d2, vin), near = _mm_cmplt_ps(d2, vout);
            __m128i o = _mm_loadu_si128((const __m128i *)(owner + t));
            __m128 gt = _mm_castsi128_ps(_mm_cmpgt_epi32(o, voi));
            __m128 eq = _mm_castsi128_ps(_mm_cmpeq_epi32(o, voi));
            int valid = hi - t >= 4 ? 15 : (1 << (hi - t)) - 1;
            int sure = _mm_movemask_ps(_mm_and_ps(in, gt)) & valid;
            int u = _mm_movemask_ps(_mm_or_ps(_mm_andnot_ps(in, _mm_and_ps(near, gt)),
                                              _mm_and_ps(near, eq))) & valid;
            _mm_storeu_si128((__m128i *)(out + n),
                             _mm_add_epi32(_mm_set1_epi32((int32_t)t),
                                           _mm_loadu_si128((const __m128i *)qcsim_lanes[sure])));
            n += qcsim_bits[sure];
            if (u)
                for (lane = 0; lane < 4; lane++)
                    if ((u >> lane) & 1) und[nu++] = (int32_t)(t + lane);
        }
        for (; t < hi; t++) und[nu++] = (int32_t)t;
        *n_und = nu;
        return n;
    }
    #endif

    #if defined(QCSIM_HAVE_SSE2) && (defined(__GNUC__) || defined(__clang__))
    #define QCSIM_HAVE_AVX2 1

    __attribute__((target("avx2")))
    static int64_t qcsim_sweep_avx2(QCSIM_SWEEP_ARGS) {
        const __m256 vx = _mm256_set1_ps(xi), vy = _mm256_set1_ps(yi), vz = _mm256_set1_ps(zi);
        const __m256 vin = _mm256_set1_ps(rin2), vout = _mm256_set1_ps(rout2);
        const __m256i voi = _mm256_set1_epi32(oi);
        int64_t t = lo, n = 0, stop = hi < n_ext - 7 ? hi : n_ext - 7;
        int nu = 0, lane;
        for (; t < stop; t += 8) {
            __m256 dx = _mm256_sub_ps(_mm256_loadu_ps(x + t), vx);
            __m256 dy = _mm256_sub_ps(_mm256_loadu_ps(y + t), vy);
            __m256 dz = _mm256_sub_ps(_mm256_loadu_ps(z + t), vz);
            __m256 d2 = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(dx, dx),
                                                    _mm256_mul_ps(dy, dy)),
                                      _mm256_mul_ps(dz, dz));
            __m256 in = _mm256_cmp_ps(d2, vin, _CMP_LT_OQ);
            __m256 near = _mm256_cmp_ps(d2, vout, _CMP_LT_OQ);
            __m256i o = _mm256_loadu_si256((const __m256i *)(owner + t));
            __m256 gt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(o, voi));
            __m256 eq = _mm256_castsi256_ps(_mm256_cmpeq_epi32(o, voi));
            int valid = hi - t >= 8 ? 255 : (1 << (hi - t)) - 1;
            int sure = _mm256_movemask_ps(_mm256_and_ps(in, gt)) & valid;
            int u = _mm256_movemask_ps(_mm256_or_ps(_mm256_andnot_ps(in, _mm256_and_ps(near, gt)),
                                                    _mm256_and_ps(near, eq))) & valid;
            _mm256_storeu_si256((__m256i *)(out + n),
                                _mm256_add_epi32(_mm256_set1_epi32((int32_t)t),
                                                 _mm256_loadu_si256((const __m256i *)qcsim_lanes[sure])));
            n += qcsim_bits[sure];
            if (u)
                for (lane = 0; lane < 8; lane++)
                    if ((u >> lane) & 1) und[nu++] = (int32_t)(t + lane);
        }
        for (; t < hi; t++) und[nu++] = (int32_t)t;
        *n_und = nu;
        return n;
    }
    #endif

    typedef int64_t (*qcsim_sweep_t)(QCSIM_SWEEP_ARGS);
    static qcsim_sweep_t qcsim_sweep = qcsim_sweep_portable;

    /* Use the best implementation up to level (0 portable, 1 SSE2, 2 AVX2)
       that this build and CPU offer; returns the level chosen. */
    static int qcsim_simd_select(int level) {
        qcsim_sweep = qcsim_sweep_portable;
    #ifdef QCSIM_HAVE_AVX2
        __builtin_cpu_init();
        if (level >= 2 && __builtin_cpu_supports("avx2")) {
            qcsim_sweep = qcsim_sweep_avx2;
            return 2;
        }
    #endif
    #ifdef QCSIM_HAVE_SSE2
        if (level >= 1) {
            qcsim_sweep = qcsim_sweep_sse2;
            return 1;
        }
    #endif
        return 0;
    }
    """
    void qcsim_init_lanes() noexcept nogil
    int qcsim_simd_select(int level) noexcept nogil
    int64_t qcsim_sweep(const float* x, const float* y, const float* z, const int32_t* owner,
                        int64_t lo, int64_t hi, int64_t n_ext, float xi, float yi, float zi,
                        int32_t oi, float rin2, float rout2, int32_t* out, int32_t* und,
                        int* n_und) noexcept nogil
