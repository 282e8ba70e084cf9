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

typedef struct {
    tg_bn_tiles t;
    const T *x, *g;           /* forward: x; backward: g and x */
    const ACC *shift;         /* forward: K per channel */
    const T *m, *r;           /* backward: mean and rstd per channel */
    ACC *part;                /* tn rows of (2 c) partial sums */
} TG_FN(bn_sum_ctx);

/* forward sums of d = x - K and d^2 over each plane of the tile */
static void TG_FN(bn_stats)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(bn_sum_ctx) *c = vc;
    const int64_t C = c->t.c, S = c->t.s;
    for (int64_t k = lo; k < hi; ++k) {
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
            for (int64_t j = c0; j < c1; ++j) {
                const T *x = c->x + (i * C + j) * S;
                const ACC K = c->shift[j];
                ACC a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                ACC t1 = 0, t2 = 0;
                int64_t e = 0;
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
                s1[j] += t1 + ((a1[0] + a1[1]) + (a1[2] + a1[3])) +
                         ((a1[4] + a1[5]) + (a1[6] + a1[7]));
                s2[j] += t2 + ((a2[0] + a2[1]) + (a2[2] + a2[3])) +
                         ((a2[4] + a2[5]) + (a2[6] + a2[7]));
            }
        }
    }
}

/* backward sums of g and g * z, z = (x - mean) * rstd rounded to T as the output was */
static void TG_FN(bn_grad_sums)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(bn_sum_ctx) *c = vc;
    const int64_t C = c->t.c, S = c->t.s;
    for (int64_t k = lo; k < hi; ++k) {
        int64_t n0, n1, c0, c1;
        tg_bn_tile(&c->t, k, &n0, &n1, &c0, &c1);
        ACC *sg = c->part + (k / c->t.tc) * 2 * C, *sgz = sg + C;
        for (int64_t i = n0; i < n1; ++i) {
            if (S == 1) {
                const T *x = c->x + i * C, *g = c->g + i * C;
                for (int64_t j = c0; j < c1; ++j) {
                    const T z = (x[j] - c->m[j]) * c->r[j];
                    sg[j] += g[j];
                    sgz[j] += (ACC)g[j] * z;
                }
                continue;
            }
            for (int64_t j = c0; j < c1; ++j) {
                const T *x = c->x + (i * C + j) * S, *g = c->g + (i * C + j) * S;
                const T m = c->m[j], r = c->r[j];
                ACC a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                ACC t1 = 0, t2 = 0;
                int64_t e = 0;
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
                sg[j] += t1 + ((a1[0] + a1[1]) + (a1[2] + a1[3])) +
                         ((a1[4] + a1[5]) + (a1[6] + a1[7]));
                sgz[j] += t2 + ((a2[0] + a2[1]) + (a2[2] + a2[3])) +
                          ((a2[4] + a2[5]) + (a2[6] + a2[7]));
            }
        }
    }
}

/* the elementwise passes: per-channel constants p0..p3 */
typedef struct {
    tg_bn_tiles t;
    const T *x, *g, *p0, *p1, *p2, *p3;
    T *out;
} TG_FN(bn_map_ctx);

/* forward: out = (x - mean) * scale + shift (p0 mean, p1 scale, p2 shift or NULL) */
static void TG_FN(bn_apply)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(bn_map_ctx) *c = vc;
    const int64_t C = c->t.c, S = c->t.s;
    const T *m = c->p0, *a = c->p1, *b = c->p2;
    for (int64_t k = lo; k < hi; ++k) {
        int64_t n0, n1, c0, c1;
        tg_bn_tile(&c->t, k, &n0, &n1, &c0, &c1);
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
}

/* backward: dx = k * ((g - m1) - z * m2), z = (x - mean) * rstd
   (p0 mean, p1 rstd, p2 k = rstd * w, p3 the pairs (m1, m2) per channel) */
static void TG_FN(bn_grad_apply)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(bn_map_ctx) *c = vc;
    const int64_t C = c->t.c, S = c->t.s;
    const T *m = c->p0, *r = c->p1, *kk = c->p2, *m1 = c->p3, *m2 = c->p3 + C;
    for (int64_t k = lo; k < hi; ++k) {
        int64_t n0, n1, c0, c1;
        tg_bn_tile(&c->t, k, &n0, &n1, &c0, &c1);
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
}

/* the tiles' partial sums added up by channel, in order: p[0..c) and p[c..2c) */
static void TG_FN(bn_total)(const tg_bn_tiles *t, const ACC *part, ACC *tot)
{
    for (int64_t j = 0; j < 2 * t->c; ++j) {
        ACC s = 0;
        for (int64_t q = 0; q < t->tn; ++q)
            s += part[q * 2 * t->c + j];
        tot[j] = s;
    }
}

int TG_FN(tg_batch_norm)(const T *x, const T *w, const T *b, int64_t n, int64_t c, int64_t s,
                         double eps, T *out, T *mean, T *var, T *rstd)
{
    if (n < 1 || c < 1 || s < 1)
        return -1;
    const tg_bn_tiles t = tg_bn_tiling(n, c, s);
    const int64_t tiles = t.tn * t.tc, work = n * c * s * 4;
    ACC *part = calloc((size_t)(t.tn * 2 * c + 3 * c), sizeof(ACC));
    T *consts = malloc((size_t)c * sizeof(T));
    if (!part || !consts) {
        free(part);
        free(consts);
        return -2;
    }
    ACC *shift = part + t.tn * 2 * c, *tot = shift + c;
    for (int64_t j = 0; j < c; ++j) {
        const ACC K = x[j * s];
        shift[j] = isfinite(K) ? K : 0;
    }
    TG_FN(bn_sum_ctx) sc = {t, x, NULL, shift, NULL, NULL, part};
    tg_par_tasks(tiles, work, TG_FN(bn_stats), &sc);
    TG_FN(bn_total)(&t, part, tot);
    const ACC M = (ACC)n * (ACC)s;
    for (int64_t j = 0; j < c; ++j) {
        const ACC d = tot[j] / M, v = tot[c + j] / M - d * d;
        const ACC vv = v < 0 ? 0 : v;   /* rounding may leave a tiny negative; NaN stays */
        const T rs = (T)(1.0 / sqrt(vv + eps));
        mean[j] = (T)(shift[j] + d);
        var[j] = (T)vv;
        rstd[j] = rs;
        consts[j] = w ? rs * w[j] : rs;   /* the scale, rounded as the specification's */
    }
    TG_FN(bn_map_ctx) mc = {t, x, NULL, mean, consts, b, NULL, out};
    tg_par_tasks(tiles, work, TG_FN(bn_apply), &mc);
    free(part);
    free(consts);
    return 0;
}

int TG_FN(tg_batch_norm_grad)(const T *g, const T *x, const T *mean, const T *rstd,
                              const T *w, int64_t n, int64_t c, int64_t s, T *dx, T *dw,
                              T *db)
{
    if (n < 1 || c < 1 || s < 1)
        return -1;
    const tg_bn_tiles t = tg_bn_tiling(n, c, s);
    const int64_t tiles = t.tn * t.tc, work = n * c * s * 4;
    ACC *part = calloc((size_t)(t.tn * 2 * c + 2 * c), sizeof(ACC));
    T *consts = malloc((size_t)(3 * c) * sizeof(T));
    if (!part || !consts) {
        free(part);
        free(consts);
        return -2;
    }
    ACC *tot = part + t.tn * 2 * c;
    TG_FN(bn_sum_ctx) sc = {t, x, g, NULL, mean, rstd, part};
    tg_par_tasks(tiles, work, TG_FN(bn_grad_sums), &sc);
    TG_FN(bn_total)(&t, part, tot);
    const ACC M = (ACC)n * (ACC)s;
    T *kk = consts, *m12 = consts + c;
    for (int64_t j = 0; j < c; ++j) {
        db[j] = (T)tot[j];
        dw[j] = (T)tot[c + j];
        kk[j] = w ? rstd[j] * w[j] : rstd[j];
        m12[j] = (T)(tot[j] / M);
        m12[c + j] = (T)(tot[c + j] / M);
    }
    TG_FN(bn_map_ctx) mc = {t, x, g, mean, rstd, kk, m12, dx};
    tg_par_tasks(tiles, work, TG_FN(bn_grad_apply), &mc);
    free(part);
    free(consts);
    return 0;
}
