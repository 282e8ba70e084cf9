/* Fused nn kernels template: activation backward with the bias gradient, and
   softmax-cross-entropy forward + backward in one pass. vexp_t.h and
   rowops_t.h must be expanded for both dtypes before this template (fused.c
   does it): the float32 cross-entropy calls their float64 versions. */

typedef struct {
    int op; T slope; const T *g, *x; int64_t rows, cols; T *out, *colsum;
} TG_FN(ab_ctx);

/* rows [lo, hi) of out = act'(x) * g, no column sums */
static void TG_FN(act_bwd_rows)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(ab_ctx) *c = vc;
    const T *g = c->g, *x = c->x;
    T *o = c->out;
    const T s = c->slope, zero = 0;
    lo *= c->cols;
    hi *= c->cols;
    switch (c->op) {
    case TG_ACT_NONE: for (int64_t i = lo; i < hi; ++i) o[i] = g[i]; break;
    case TG_ACT_RELU: for (int64_t i = lo; i < hi; ++i) o[i] = x[i] > zero ? g[i] : zero; break;
    case TG_ACT_LEAKY: for (int64_t i = lo; i < hi; ++i) o[i] = x[i] > zero ? g[i] : g[i] * s; break;
    }
}

/* rows x w columns from column j0: v = act'(x) * g into out (if any), summed down
   each column into acc; the activation and the out test sit outside the row loop
   so each inner loop is one plain vector loop */
static inline void TG_FN(act_bwd_block)(const TG_FN(ab_ctx) *c, int64_t j0, T *restrict acc,
                                        int64_t w)
{
    const int64_t cols = c->cols, rows = c->rows;
    const T s = c->slope, zero = 0;
    const T *restrict g = c->g + j0;
    const T *restrict x = c->x ? c->x + j0 : NULL;
    T *restrict o = c->out ? c->out + j0 : NULL;
    for (int64_t r = 0, at = 0; r < rows; ++r, at += cols) {
        switch (c->op * 2 + (o != NULL)) {
        case TG_ACT_NONE * 2:
            for (int64_t j = 0; j < w; ++j) acc[j] += g[at + j];
            break;
        case TG_ACT_NONE * 2 + 1:
            for (int64_t j = 0; j < w; ++j) { acc[j] += g[at + j]; o[at + j] = g[at + j]; }
            break;
        case TG_ACT_RELU * 2:
            for (int64_t j = 0; j < w; ++j) acc[j] += x[at + j] > zero ? g[at + j] : zero;
            break;
        case TG_ACT_RELU * 2 + 1:
            for (int64_t j = 0; j < w; ++j) {
                T v = x[at + j] > zero ? g[at + j] : zero; o[at + j] = v; acc[j] += v;
            }
            break;
        case TG_ACT_LEAKY * 2:
            for (int64_t j = 0; j < w; ++j) acc[j] += x[at + j] > zero ? g[at + j] : g[at + j] * s;
            break;
        default:
            for (int64_t j = 0; j < w; ++j) {
                T v = x[at + j] > zero ? g[at + j] : g[at + j] * s; o[at + j] = v; acc[j] += v;
            }
            break;
        }
    }
}

/* columns [lo, hi) of every row: out (if any) and the column sums, added row
   after row in T as numpy's sum(axis=0) does. Blocks of TG_CS_BLOCK columns keep
   their sums in a local array for all rows (registers, at the constant width)
   instead of loading and storing the sums once per row. */
#define TG_CS_BLOCK 32

static void TG_FN(act_bwd_cols)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(ab_ctx) *c = vc;
    for (int64_t j0 = lo; j0 < hi; j0 += TG_CS_BLOCK) {
        const int64_t w = hi - j0 < TG_CS_BLOCK ? hi - j0 : TG_CS_BLOCK;
        T acc[TG_CS_BLOCK] = {0};
        if (w == TG_CS_BLOCK)
            TG_FN(act_bwd_block)(c, j0, acc, TG_CS_BLOCK);
        else
            TG_FN(act_bwd_block)(c, j0, acc, w);
        for (int64_t j = 0; j < w; ++j)
            c->colsum[j0 + j] = acc[j];
    }
}

int TG_FN(tg_act_backward)(int op, double slope, const T *g, const T *x, int64_t rows,
                           int64_t cols, T *out, T *colsum)
{
    if (op < TG_ACT_NONE || op > TG_ACT_LEAKY || rows < 0 || cols < 0
        || (op != TG_ACT_NONE && !x) || (!out && !colsum))
        return -1;
    TG_FN(ab_ctx) c = {op, (T)slope, g, x, rows, cols, out, colsum};
    /* weighted 4x like the binary elementwise ops: two threads from 64k elements
       (a 128x512 layer), which run between GEMMs while the pool is awake */
    if (colsum)
        /* split the columns: each thread owns whole column sums */
        tg_par_range(cols, 4 * rows * cols, TG_FN(act_bwd_cols), &c);
    else
        tg_par_range(rows, 4 * rows * cols, TG_FN(act_bwd_rows), &c);
    return 0;
}

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
