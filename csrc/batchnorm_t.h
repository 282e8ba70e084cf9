/* Batch norm template: x viewed as (n, c, s), each channel normalised over its n * s
   values. Forward: per-channel sums, then out = (x - mean) * scale + shift. Backward:
   per-channel sums of g and g * x-hat, then dx. The work is cut into tiles of
   (a range of n) x (a range of channels); a tile's sums go to its own row of
   partials (one per n-range), added up afterwards in a fixed order, so the result
   does not depend on the thread count's timing. Sums accumulate in ACC (double).

   Mean and variance in one pass: sums of d = x - K and d^2 with K the channel's first
   value (zero if that is not finite). Then mean = K + S1/M and var = S2/M - (S1/M)^2,
   where S2/M = var + (mean - K)^2: the subtraction loses a factor 1 + (mean - K)^2 / var
   of double's precision, which is ~2 on average since K is one of the samples, instead
   of the 1 + mean^2 / var of unshifted sums of squares. For float32 input each d is
   exact in double and d^2 rounds once, so the variance is good to ~1e-13 relative,
   far below float32's 6e-8; for float64 it matches the two-pass specification to
   ~1e-15 times that factor and the summation's growth. */

#ifndef TG_BN_TILES
#define TG_BN_TILES
typedef struct { int64_t n, c, s, tn, tc; } tg_bn_tiles;

/* (tn, tc): about four tiles a thread; split n only when channels are too few */
static tg_bn_tiles tg_bn_tiling(int64_t n, int64_t c, int64_t s)
{
    const int64_t want = 4 * (int64_t)tg_threads();
    tg_bn_tiles t = {n, c, s, 1, c < want ? c : want};
    if (t.tc < 1)
        t.tc = 1;
    t.tn = (want + t.tc - 1) / t.tc;
    if (t.tn > n)
        t.tn = n;
    if (t.tn < 1)
        t.tn = 1;
    return t;
}

/* the n range and channel range of tile k, and its row of partials */
static void tg_bn_tile(const tg_bn_tiles *t, int64_t k, int64_t *n0, int64_t *n1,
                       int64_t *c0, int64_t *c1)
{
    const int64_t gn = k / t->tc, gc = k % t->tc;
    *n0 = t->n * gn / t->tn;
    *n1 = t->n * (gn + 1) / t->tn;
    *c0 = t->c * gc / t->tc;
    *c1 = t->c * (gc + 1) / t->tc;
}
#endif

#include "batchnorm_avx2.h"

/* sums of d = x - K and d^2 over one plane of S values (eight partial sums a sum) */
static inline void TG_FN(bn_plane_stats)(const T *x, int64_t S, ACC K, ACC *s1, ACC *s2)
{
    int64_t e = 0;
#ifdef TG_BN_AVX2
    if (sizeof(T) == 4 && S >= 16) {
        e = S & ~(int64_t)15;
        tg_bn_stats_ps((const float *)(const void *)x, e, K, s1, s2);
    }
#endif
    ACC a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0}, t1 = 0, t2 = 0;
    for (; e + 8 <= S; e += 8)
        for (int l = 0; l < 8; ++l) {
            const ACC d = (ACC)x[e + l] - K;
            a1[l] += d;
            a2[l] += d * d;
        }
    for (; e < S; ++e) {
        const ACC d = (ACC)x[e] - K;
        t1 += d;
        t2 += d * d;
    }
    *s1 += t1 + ((a1[0] + a1[1]) + (a1[2] + a1[3])) + ((a1[4] + a1[5]) + (a1[6] + a1[7]));
    *s2 += t2 + ((a2[0] + a2[1]) + (a2[2] + a2[3])) + ((a2[4] + a2[5]) + (a2[6] + a2[7]));
}

/* sums of g and g * z, z = (x - m) * r rounded to T as the output was, over one plane */
static inline void TG_FN(bn_plane_gsums)(const T *g, const T *x, int64_t S, T m, T r,
                                         ACC *sg, ACC *sgz)
{
    int64_t e = 0;
#ifdef TG_BN_AVX2
    if (sizeof(T) == 4 && S >= 16) {
        e = S & ~(int64_t)15;
        tg_bn_gsums_ps((const float *)(const void *)g, (const float *)(const void *)x, e,
                       (float)m, (float)r, sg, sgz);
    }
#endif
    ACC a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0}, t1 = 0, t2 = 0;
    for (; e + 8 <= S; e += 8)
        for (int l = 0; l < 8; ++l) {
            const T z = (x[e + l] - m) * r;
            a1[l] += g[e + l];
            a2[l] += (ACC)g[e + l] * z;
        }
    for (; e < S; ++e) {
        const T z = (x[e] - m) * r;
        t1 += g[e];
        t2 += (ACC)g[e] * z;
    }
    *sg += t1 + ((a1[0] + a1[1]) + (a1[2] + a1[3])) + ((a1[4] + a1[5]) + (a1[6] + a1[7]));
    *sgz += t2 + ((a2[0] + a2[1]) + (a2[2] + a2[3])) + ((a2[4] + a2[5]) + (a2[6] + a2[7]));
}

/* one call's arrays: forward reads x, w, b, writes out (and mean, var, rstd);
   backward reads g, x, mean, rstd, w, writes out (dx), dw, db */
typedef struct {
    tg_bn_tiles t;
    const T *x, *g, *w, *b;
    double eps;
    const ACC *shift;         /* forward: K per channel */
    ACC *part;                /* tn rows of 2 c partial sums */
    T *mean, *var, *rstd;
    T *k1, *k2, *k3;          /* per channel: forward's scale; backward's rstd w, m1, m2 */
    T *out, *dw, *db;
} TG_FN(bn_ctx);

/* forward, tile k: sums of d = x - K and d^2 by channel into its row of partials */
static void TG_FN(bn_sums)(const TG_FN(bn_ctx) *c, int64_t k)
{
    const int64_t C = c->t.c, S = c->t.s;
    int64_t n0, n1, c0, c1;
    tg_bn_tile(&c->t, k, &n0, &n1, &c0, &c1);
    ACC *s1 = c->part + (k / c->t.tc) * 2 * C, *s2 = s1 + C;
    for (int64_t i = n0; i < n1; ++i) {
        if (S == 1) {   /* (n, c) input: a row segment, vectorised across channels */
            const T *x = c->x + i * C;
            for (int64_t j = c0; j < c1; ++j) {
                const ACC d = (ACC)x[j] - c->shift[j];
                s1[j] += d;
                s2[j] += d * d;
            }
            continue;
        }
        for (int64_t j = c0; j < c1; ++j)
            TG_FN(bn_plane_stats)(c->x + (i * C + j) * S, S, c->shift[j], s1 + j, s2 + j);
    }
}

/* forward, channel j: the statistics from its sums, and the scale */
static void TG_FN(bn_finish)(const TG_FN(bn_ctx) *c, int64_t j, ACC s1, ACC s2)
{
    const ACC M = (ACC)c->t.n * (ACC)c->t.s;
    const ACC d = s1 / M, v = s2 / M - d * d;
    const ACC vv = v < 0 ? 0 : v;   /* rounding may leave a tiny negative; NaN stays */
    const T rs = (T)(1.0 / sqrt(vv + c->eps));
    c->mean[j] = (T)(c->shift[j] + d);
    c->var[j] = (T)vv;
    c->rstd[j] = rs;
    c->k1[j] = c->w ? rs * c->w[j] : rs;   /* the scale, rounded as the specification's */
}

/* forward, planes n0..n1 of channels c0..c1: out = (x - mean) * scale + b */
static void TG_FN(bn_out)(const TG_FN(bn_ctx) *c, int64_t n0, int64_t n1, int64_t c0,
                          int64_t c1)
{
    const int64_t C = c->t.c, S = c->t.s;
    const T *m = c->mean, *a = c->k1, *b = c->b;
    for (int64_t i = n0; i < n1; ++i) {
        if (S == 1) {
            const T *x = c->x + i * C;
            T *o = c->out + i * C;
            if (b)
                for (int64_t j = c0; j < c1; ++j) o[j] = (x[j] - m[j]) * a[j] + b[j];
            else
                for (int64_t j = c0; j < c1; ++j) o[j] = (x[j] - m[j]) * a[j];
            continue;
        }
        for (int64_t j = c0; j < c1; ++j) {
            const T *x = c->x + (i * C + j) * S;
            T *o = c->out + (i * C + j) * S;
            const T mj = m[j], aj = a[j], bj = b ? b[j] : 0;
            if (b)
                for (int64_t e = 0; e < S; ++e) o[e] = (x[e] - mj) * aj + bj;
            else
                for (int64_t e = 0; e < S; ++e) o[e] = (x[e] - mj) * aj;
        }
    }
}

/* backward, tile k: sums of g and g * z by channel into its row of partials */
static void TG_FN(bn_gsums)(const TG_FN(bn_ctx) *c, int64_t k)
{
    const int64_t C = c->t.c, S = c->t.s;
    int64_t n0, n1, c0, c1;
    tg_bn_tile(&c->t, k, &n0, &n1, &c0, &c1);
    ACC *sg = c->part + (k / c->t.tc) * 2 * C, *sgz = sg + C;
    for (int64_t i = n0; i < n1; ++i) {
        if (S == 1) {
            const T *x = c->x + i * C, *g = c->g + i * C;
            for (int64_t j = c0; j < c1; ++j) {
                const T z = (x[j] - c->mean[j]) * c->rstd[j];
                sg[j] += g[j];
                sgz[j] += (ACC)g[j] * z;
            }
            continue;
        }
        for (int64_t j = c0; j < c1; ++j)
            TG_FN(bn_plane_gsums)(c->g + (i * C + j) * S, c->x + (i * C + j) * S, S,
                                  c->mean[j], c->rstd[j], sg + j, sgz + j);
    }
}

/* backward, channel j: db, dw and the constants of dx from its sums */
static void TG_FN(bn_gfinish)(const TG_FN(bn_ctx) *c, int64_t j, ACC sg, ACC sgz)
{
    const ACC M = (ACC)c->t.n * (ACC)c->t.s;
    c->db[j] = (T)sg;
    c->dw[j] = (T)sgz;
    c->k1[j] = c->w ? c->rstd[j] * c->w[j] : c->rstd[j];
    c->k2[j] = (T)(sg / M);
    c->k3[j] = (T)(sgz / M);
}

/* backward, planes n0..n1 of channels c0..c1: dx = rstd w ((g - m1) - z m2) */
static void TG_FN(bn_dx)(const TG_FN(bn_ctx) *c, int64_t n0, int64_t n1, int64_t c0,
                         int64_t c1)
{
    const int64_t C = c->t.c, S = c->t.s;
    const T *m = c->mean, *r = c->rstd, *kk = c->k1, *m1 = c->k2, *m2 = c->k3;
    for (int64_t i = n0; i < n1; ++i) {
        if (S == 1) {
            const T *x = c->x + i * C, *g = c->g + i * C;
            T *o = c->out + i * C;
            for (int64_t j = c0; j < c1; ++j) {
                const T z = (x[j] - m[j]) * r[j];
                o[j] = kk[j] * ((g[j] - m1[j]) - z * m2[j]);
            }
            continue;
        }
        for (int64_t j = c0; j < c1; ++j) {
            const int64_t at = (i * C + j) * S;
            const T *x = c->x + at, *g = c->g + at;
            T *o = c->out + at;
            const T mj = m[j], rj = r[j], kj = kk[j], a1 = m1[j], a2 = m2[j];
            for (int64_t e = 0; e < S; ++e) {
                const T z = (x[e] - mj) * rj;
                o[e] = kj * ((g[e] - a1) - z * a2);
            }
        }
    }
}

/* the pool's task functions: pass 1 (sums), pass 2 (elementwise) of tiles lo..hi */
static void TG_FN(bn_pass_sums)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(bn_ctx) *c = vc;
    for (int64_t k = lo; k < hi; ++k)
        (c->g ? TG_FN(bn_gsums) : TG_FN(bn_sums))(c, k);
}

static void TG_FN(bn_pass_map)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(bn_ctx) *c = vc;
    for (int64_t k = lo; k < hi; ++k) {
        int64_t n0, n1, c0, c1;
        tg_bn_tile(&c->t, k, &n0, &n1, &c0, &c1);
        (c->g ? TG_FN(bn_dx) : TG_FN(bn_out))(c, n0, n1, c0, c1);
    }
}

/* with the whole batch in one tile (tn = 1), each channel's two passes run back to
   back, so the second reads the channel's planes from cache (at the benchmark's
   128 x 784 floats a channel, 400 KB, within a 2 MB L2) */
static void TG_FN(bn_pass_fused)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(bn_ctx) *c = vc;
    const int64_t C = c->t.c, S = c->t.s, N = c->t.n;
    for (int64_t k = lo; k < hi; ++k) {
        int64_t n0, n1, c0, c1;
        tg_bn_tile(&c->t, k, &n0, &n1, &c0, &c1);
        for (int64_t j = c0; j < c1; ++j) {
            ACC s1 = 0, s2 = 0;
            for (int64_t i = 0; i < N; ++i) {
                const int64_t at = (i * C + j) * S;
                if (c->g)
                    TG_FN(bn_plane_gsums)(c->g + at, c->x + at, S, c->mean[j], c->rstd[j],
                                          &s1, &s2);
                else
                    TG_FN(bn_plane_stats)(c->x + at, S, c->shift[j], &s1, &s2);
            }
            (c->g ? TG_FN(bn_gfinish) : TG_FN(bn_finish))(c, j, s1, s2);
            (c->g ? TG_FN(bn_dx) : TG_FN(bn_out))(c, 0, N, j, j + 1);
        }
    }
}

/* both entry points: the two passes over the tiles with the totals in between, or
   (the batch in one tile, planes of more than one value) each channel's two at once */
static int TG_FN(bn_run)(TG_FN(bn_ctx) *c)
{
    const int64_t C = c->t.c, tiles = c->t.tn * c->t.tc, work = c->t.n * C * c->t.s * 4;
    if (c->t.tn == 1 && c->t.s > 1) {
        tg_par_tasks(tiles, work, TG_FN(bn_pass_fused), c);
        return 0;
    }
    ACC *part = calloc((size_t)(c->t.tn * 2 * C), sizeof(ACC));
    if (!part)
        return -2;
    c->part = part;
    tg_par_tasks(tiles, work, TG_FN(bn_pass_sums), c);
    for (int64_t j = 0; j < C; ++j) {   /* the rows of partials added up, in order */
        ACC s1 = 0, s2 = 0;
        for (int64_t q = 0; q < c->t.tn; ++q) {
            s1 += part[q * 2 * C + j];
            s2 += part[q * 2 * C + C + j];
        }
        (c->g ? TG_FN(bn_gfinish) : TG_FN(bn_finish))(c, j, s1, s2);
    }
    tg_par_tasks(tiles, work, TG_FN(bn_pass_map), c);
    free(part);
    return 0;
}

int TG_FN(tg_batch_norm)(const T *x, const T *w, const T *b, int64_t n, int64_t c, int64_t s,
                         double eps, T *out, T *mean, T *var, T *rstd)
{
    if (n < 1 || c < 1 || s < 1)
        return -1;
    ACC *shift = malloc((size_t)c * sizeof(ACC));
    T *scale = malloc((size_t)c * sizeof(T));
    int status = -2;
    if (shift && scale) {
        for (int64_t j = 0; j < c; ++j) {
            const ACC K = x[j * s];
            shift[j] = isfinite(K) ? K : 0;
        }
        TG_FN(bn_ctx) ctx = {tg_bn_tiling(n, c, s), x, NULL, w, b, eps, shift, NULL,
                             mean, var, rstd, scale, NULL, NULL, out, NULL, NULL};
        status = TG_FN(bn_run)(&ctx);
    }
    free(shift);
    free(scale);
    return status;
}

int TG_FN(tg_batch_norm_grad)(const T *g, const T *x, const T *mean, const T *rstd,
                              const T *w, int64_t n, int64_t c, int64_t s, T *dx, T *dw,
                              T *db)
{
    if (n < 1 || c < 1 || s < 1)
        return -1;
    T *consts = malloc((size_t)(3 * c) * sizeof(T));
    if (!consts)
        return -2;
    /* mean and rstd are only read: the casts let one context serve both directions */
    TG_FN(bn_ctx) ctx = {tg_bn_tiling(n, c, s), x, g, w, NULL, 0.0, NULL, NULL,
                         (T *)mean, NULL, (T *)rstd, consts, consts + c, consts + 2 * c,
                         dx, dw, db};
    const int status = TG_FN(bn_run)(&ctx);
    free(consts);
    return status;
}
