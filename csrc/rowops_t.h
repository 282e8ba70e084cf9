/* Row helpers shared by reduce_t.h and nn_t.h (static: one copy per file). */

static inline ACC TG_FN(row_sum)(const T *x, int64_t n)
{
    /* eight independent partial sums: vectorisable without -ffast-math and
       more accurate than one running sum */
    ACC acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += x[i + j];
    for (; i < n; ++i)
        s += x[i];
    return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* max of x[0..n), n >= 1, for the softmax rows: a NaN may be skipped here,
   as it turns the row's sum of exps and so the whole row NaN anyway (numpy's
   result). GCC does not vectorise a max reduction without -ffinite-math-only,
   hence the AVX intrinsics (vmaxps/vmaxpd; a plain loop without AVX). */
#if defined(__AVX__) && !defined(TG_ROWMAX_AVX)
#define TG_ROWMAX_AVX
#include <immintrin.h>
static inline float tg_row_max_ps(const float *x, int64_t n)
{
    __m256 a = _mm256_set1_ps(x[0]), b = a;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a = _mm256_max_ps(_mm256_loadu_ps(x + i), a);
        b = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), b);
    }
    float l[8], m;
    _mm256_storeu_ps(l, _mm256_max_ps(a, b));
    m = l[0];
    for (int j = 1; j < 8; ++j)
        m = l[j] > m ? l[j] : m;
    for (; i < n; ++i)
        m = x[i] > m ? x[i] : m;
    return m;
}
static inline double tg_row_max_pd(const double *x, int64_t n)
{
    __m256d a = _mm256_set1_pd(x[0]), b = a;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a = _mm256_max_pd(_mm256_loadu_pd(x + i), a);
        b = _mm256_max_pd(_mm256_loadu_pd(x + i + 4), b);
    }
    double l[4], m;
    _mm256_storeu_pd(l, _mm256_max_pd(a, b));
    m = l[0];
    for (int j = 1; j < 4; ++j)
        m = l[j] > m ? l[j] : m;
    for (; i < n; ++i)
        m = x[i] > m ? x[i] : m;
    return m;
}

/* Index of the first max (op TG_MAX) or min of x[0..n), or -1 when the row has a
   NaN or is short (the caller's scalar loop decides those). Two vector passes:
   the extreme value (min as the max of -x: exact, and blind to the sign of
   zero), then the first element equal to it. Taking that element's value and
   index gives exactly what the scalar loop below gives. */
#define TG_ROW_EXT(SFX, TYPE, VEC, W)                                               \
static inline int64_t tg_row_ext_##SFX(int op, const TYPE *x, int64_t n)            \
{                                                                                   \
    if (n < 4 * W)                                                                  \
        return -1;                                                                  \
    const VEC flip = _mm256_set1_##SFX(op == TG_MAX ? (TYPE)0 : (TYPE)-0.0);       \
    VEC acc[4], bad = _mm256_setzero_##SFX();                                       \
    for (int k = 0; k < 4; ++k)                                                     \
        acc[k] = _mm256_xor_##SFX(_mm256_loadu_##SFX(x + k * W), flip);            \
    /* four chains hide vmax latency; one unordered compare checks two vectors */  \
    int64_t i = 0;                                                                  \
    for (; i + 4 * W <= n; i += 4 * W) {                                            \
        VEC v[4];                                                                   \
        for (int k = 0; k < 4; ++k) {                                               \
            v[k] = _mm256_xor_##SFX(_mm256_loadu_##SFX(x + i + k * W), flip);      \
            acc[k] = _mm256_max_##SFX(acc[k], v[k]);                                \
        }                                                                           \
        bad = _mm256_or_##SFX(bad, _mm256_or_##SFX(                                 \
            _mm256_cmp_##SFX(v[0], v[1], _CMP_UNORD_Q),                             \
            _mm256_cmp_##SFX(v[2], v[3], _CMP_UNORD_Q)));                           \
    }                                                                               \
    if (_mm256_movemask_##SFX(bad))                                                 \
        return -1;                                                                  \
    TYPE l[W], m;                                                                   \
    _mm256_storeu_##SFX(l, _mm256_max_##SFX(_mm256_max_##SFX(acc[0], acc[1]),      \
                                            _mm256_max_##SFX(acc[2], acc[3])));     \
    m = l[0];                                                                       \
    for (int j = 1; j < W; ++j)                                                     \
        m = l[j] > m ? l[j] : m;                                                    \
    for (; i < n; ++i) {                                                            \
        TYPE v = op == TG_MAX ? x[i] : -x[i];                                       \
        if (v != v)                                                                 \
            return -1;                                                              \
        m = v > m ? v : m;                                                          \
    }                                                                               \
    if (op != TG_MAX)                                                               \
        m = -m;                                                                     \
    const VEC want = _mm256_set1_##SFX(m);                                          \
    int64_t j = 0;                                                                  \
    for (; j + W <= n; j += W) {                                                    \
        int hit = _mm256_movemask_##SFX(                                            \
            _mm256_cmp_##SFX(_mm256_loadu_##SFX(x + j), want, _CMP_EQ_OQ));         \
        if (hit)                                                                    \
            return j + __builtin_ctz((unsigned)hit);                                \
    }                                                                               \
    for (; j < n; ++j)                                                              \
        if (x[j] == m)                                                              \
            return j;                                                               \
    return -1;                                                                      \
}
TG_ROW_EXT(ps, float, __m256, 8)
TG_ROW_EXT(pd, double, __m256d, 4)
#undef TG_ROW_EXT
#endif

/* Index of the first max (op TG_MAX) or min of x[0..n), n >= 1; the first
   NaN wins outright, as in numpy. */
static inline int64_t TG_FN(row_arg)(int op, const T *x, int64_t n, T *best_out)
{
#ifdef TG_ROWMAX_AVX
    const int64_t at = sizeof(T) == 4 ? tg_row_ext_ps(op, (const float *)(const void *)x, n)
                                      : tg_row_ext_pd(op, (const double *)(const void *)x, n);
    if (at >= 0) {
        *best_out = x[at];
        return at;
    }
#endif
    T best = x[0];
    int64_t bi = 0;
    if (best == best) {
        for (int64_t i = 1; i < n; ++i) {
            T v = x[i];
            if (op == TG_MAX ? v > best : v < best) {
                best = v;
                bi = i;
            } else if (v != v) {
                best = v;
                bi = i;
                break;
            }
        }
    }
    *best_out = best;
    return bi;
}

static inline T TG_FN(row_max)(const T *x, int64_t n)
{
#ifdef TG_ROWMAX_AVX
    if (sizeof(T) == 4)
        return (T)tg_row_max_ps((const float *)(const void *)x, n);
    return (T)tg_row_max_pd((const double *)(const void *)x, n);
#else
    T m = x[0];
    for (int64_t i = 1; i < n; ++i)
        m = x[i] > m ? x[i] : m;
    return m;
#endif
}
