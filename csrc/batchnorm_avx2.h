/* Batch norm's float32 plane sums with AVX2 + FMA (included by batchnorm_t.h, once):
   each 8 floats widened to two vectors of doubles, two steps a loop so every sum has
   four independent vectors. GCC's own vectorisation of the widening loops measured
   ~2x slower. Defines TG_BN_AVX2 where the build has AVX2 and FMA. */
#ifndef TG_BN_PLANES
#define TG_BN_PLANES
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define TG_BN_AVX2
static inline __m256d tg_bn_lo(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
static inline __m256d tg_bn_hi(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
static inline double tg_bn_hsum(__m256d a, __m256d b, __m256d c, __m256d d)
{
    double l[4];
    _mm256_storeu_pd(l, _mm256_add_pd(_mm256_add_pd(a, b), _mm256_add_pd(c, d)));
    return (l[0] + l[1]) + (l[2] + l[3]);
}

/* the sums of d = x - K and d^2 over x[0..S), S a multiple of 16 */
static void tg_bn_stats_ps(const float *x, int64_t S, double K, double *s1, double *s2)
{
    const __m256d k = _mm256_set1_pd(K);
    __m256d a[4], q[4];
    for (int l = 0; l < 4; ++l)
        a[l] = q[l] = _mm256_setzero_pd();
    for (int64_t e = 0; e < S; e += 16) {
        const __m256 u = _mm256_loadu_ps(x + e), v = _mm256_loadu_ps(x + e + 8);
        const __m256d d[4] = {_mm256_sub_pd(tg_bn_lo(u), k), _mm256_sub_pd(tg_bn_hi(u), k),
                              _mm256_sub_pd(tg_bn_lo(v), k), _mm256_sub_pd(tg_bn_hi(v), k)};
        for (int l = 0; l < 4; ++l) {
            a[l] = _mm256_add_pd(a[l], d[l]);
            q[l] = _mm256_fmadd_pd(d[l], d[l], q[l]);
        }
    }
    *s1 += tg_bn_hsum(a[0], a[1], a[2], a[3]);
    *s2 += tg_bn_hsum(q[0], q[1], q[2], q[3]);
}

/* the sums of g and g * z, z = (x - m) * r in float, over [0..S), S a multiple of 16 */
static void tg_bn_gsums_ps(const float *g, const float *x, int64_t S, float m, float r,
                           double *sg, double *sgz)
{
    const __m256 mv = _mm256_set1_ps(m), rv = _mm256_set1_ps(r);
    __m256d a[4], q[4];
    for (int l = 0; l < 4; ++l)
        a[l] = q[l] = _mm256_setzero_pd();
    for (int64_t e = 0; e < S; e += 16) {
        const __m256 g0 = _mm256_loadu_ps(g + e), g1 = _mm256_loadu_ps(g + e + 8);
        const __m256 z0 = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + e), mv), rv);
        const __m256 z1 = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + e + 8), mv), rv);
        const __m256d gd[4] = {tg_bn_lo(g0), tg_bn_hi(g0), tg_bn_lo(g1), tg_bn_hi(g1)};
        const __m256d zd[4] = {tg_bn_lo(z0), tg_bn_hi(z0), tg_bn_lo(z1), tg_bn_hi(z1)};
        for (int l = 0; l < 4; ++l) {
            a[l] = _mm256_add_pd(a[l], gd[l]);
            q[l] = _mm256_fmadd_pd(gd[l], zd[l], q[l]);
        }
    }
    *sg += tg_bn_hsum(a[0], a[1], a[2], a[3]);
    *sgz += tg_bn_hsum(q[0], q[1], q[2], q[3]);
}
#endif
#endif

