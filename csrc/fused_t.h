/* Fused nn kernel template: softmax-cross-entropy forward + backward in one
   pass. vexp_t.h and rowops_t.h must be expanded for both dtypes before this
   template (fused.c does it): the float32 cross-entropy calls their float64
   versions. */

#ifndef TG_XENT_CHUNK
#define TG_XENT_CHUNK 256
#endif

typedef struct {
    const T *x; int64_t n; const int64_t *t; const double *w; int64_t ignore;
    double total; int mean; double *loss; T *grad;
} TG_FN(xe_ctx);

/* row r once gr holds (T)exp(x - m) and s the double sum of the exps: the loss
   and the gradient, scaled for the reduction */
static void TG_FN(xent_finish)(const TG_FN(xe_ctx) *c, int64_t r, double m, double s)
{
    const int64_t n = c->n;
    const T *x = c->x + r * n;
    T *gr = c->grad + r * n;
    const int64_t t = c->t[r];
    const int keep = t != c->ignore;
    const double w = keep ? (c->w ? c->w[t] : 1.0) : 0.0;
    /* PyTorch: with every row ignored the mean is 0/0, nan on kept rows */
    const double scale = !c->mean ? w : c->total != 0 ? w / c->total : keep ? NAN : 0.0;
    double et = 0;
    if (keep) /* the unrounded e: p_t - 1 may cancel */
        et = vexp_f64((double)x[t] - m);
    const double ls = log(s), inv = 1.0 / s;
    c->loss[r] = keep ? -(((double)x[keep ? t : 0] - m) - ls) * w : 0.0;
    for (int64_t j = 0; j < n; ++j)
        gr[j] = (T)(((double)gr[j] * inv) * scale);
    if (keep)
        gr[t] = (T)((et * inv - 1.0) * scale);
}

/* Rows of 10 classes would run exp mostly in scalar loop tails: blocks of short
   rows take one flat vector exp instead (the same operations per element). */
#define TG_XENT_SHORT 32

static void TG_FN(xent_short_rows)(const TG_FN(xe_ctx) *c, int64_t lo, int64_t hi)
{
    const int64_t n = c->n, per = TG_XENT_CHUNK / n;
    double e[TG_XENT_CHUNK], m[TG_XENT_CHUNK];
    for (int64_t r0 = lo; r0 < hi; r0 += per) {
        const int64_t nr = hi - r0 < per ? hi - r0 : per;
        const T *x = c->x + r0 * n;
        T *gr = c->grad + r0 * n;
        for (int64_t k = 0; k < nr; ++k) {
            m[k] = TG_FN(row_max)(x + k * n, n); /* NaN max -> NaN row, as numpy */
            for (int64_t j = 0; j < n; ++j)
                e[k * n + j] = (double)x[k * n + j] - m[k];
        }
        for (int64_t i = 0; i < nr * n; ++i)
            e[i] = vexp_f64(e[i]);
        for (int64_t i = 0; i < nr * n; ++i)
            gr[i] = (T)e[i];
        for (int64_t k = 0; k < nr; ++k)
            TG_FN(xent_finish)(c, r0 + k, m[k], row_sum_f64(e + k * n, n));
    }
}

static void TG_FN(xent_rows)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(xe_ctx) *c = vc;
    const int64_t n = c->n;
    if (n < TG_XENT_SHORT) {
        TG_FN(xent_short_rows)(c, lo, hi);
        return;
    }
    for (int64_t r = lo; r < hi; ++r) {
        const T *x = c->x + r * n;
        T *gr = c->grad + r * n;
        const double m = TG_FN(row_max)(x, n); /* NaN max -> NaN row, as numpy */
        /* double inside, as the float64 composite: the loss rounds once. In
           chunks, so the exp loop vectorises apart from the double sum. */
        double s = 0, e[TG_XENT_CHUNK];
        for (int64_t j0 = 0; j0 < n; j0 += TG_XENT_CHUNK) {
            const int64_t len = n - j0 < TG_XENT_CHUNK ? n - j0 : TG_XENT_CHUNK;
            for (int64_t j = 0; j < len; ++j)
                e[j] = vexp_f64((double)x[j0 + j] - m);
            for (int64_t j = 0; j < len; ++j)
                gr[j0 + j] = (T)e[j];
            s += row_sum_f64(e, len);
        }
        TG_FN(xent_finish)(c, r, m, s);
    }
}

int TG_FN(tg_softmax_xent)(const T *x, int64_t rows, int64_t n, const int64_t *target,
                           const double *weight, int64_t ignore_index, int mean,
                           double *loss, double *total, T *grad)
{
    if (rows < 0 || n < 1)
        return -1;
    double tot = 0;
    for (int64_t r = 0; r < rows; ++r) {
        int64_t t = target[r];
        if (t == ignore_index)
            continue;
        if (t < 0 || t >= n)
            return -1;
        tot += weight ? weight[t] : 1.0;
    }
    *total = tot;
    TG_FN(xe_ctx) c = {x, n, target, weight, ignore_index, tot, mean != 0, loss, grad};
    tg_par_range(rows, rows * n * 20, TG_FN(xent_rows), &c);
    return 0;
}
