/* Layer norm template: rows of (rows, n) to zero mean and unit (biased) variance,
   then * w + b, keeping x-hat and 1/std for the backward; and the input gradient
   given the gradient of x-hat. Statistics accumulate in ACC (double), as
   numpy_backend's specification computes them in float64. */
#include "rowops_t.h"

typedef struct {
    const T *x, *w, *b;
    T *out, *xhat, *rstd;
    int64_t n;
    double eps;
} TG_FN(ln_ctx);

/* sum of (x - m)^2 or of x * y: eight partial sums, as row_sum */
static inline ACC TG_FN(row_sqdev)(const T *x, ACC m, int64_t n)
{
    ACC acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += ((ACC)x[i + j] - m) * ((ACC)x[i + j] - m);
    for (; i < n; ++i)
        s += ((ACC)x[i] - m) * ((ACC)x[i] - m);
    return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static inline ACC TG_FN(row_dot)(const T *x, const T *y, int64_t n)
{
    ACC acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += (ACC)x[i + j] * y[i + j];
    for (; i < n; ++i)
        s += (ACC)x[i] * y[i];
    return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static void TG_FN(ln_rows)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(ln_ctx) *c = vc;
    const int64_t n = c->n;
    const T *w = c->w, *b = c->b;
    for (int64_t r = lo; r < hi; ++r) {
        const T *x = c->x + r * n;
        T *o = c->out + r * n, *h = c->xhat + r * n;
        const ACC mean = TG_FN(row_sum)(x, n) / (ACC)n;
        const T rs = (T)(1.0 / sqrt(TG_FN(row_sqdev)(x, mean, n) / (ACC)n + c->eps));
        const T m = (T)mean;
        for (int64_t j = 0; j < n; ++j)
            h[j] = (x[j] - m) * rs;
        /* separate loops per affine case, so each vectorises */
        if (w && b)
            for (int64_t j = 0; j < n; ++j) o[j] = h[j] * w[j] + b[j];
        else if (w)
            for (int64_t j = 0; j < n; ++j) o[j] = h[j] * w[j];
        else if (b)
            for (int64_t j = 0; j < n; ++j) o[j] = h[j] + b[j];
        else
            memcpy(o, h, (size_t)n * sizeof(T));
        c->rstd[r] = rs;
    }
}

int TG_FN(tg_layer_norm)(const T *x, const T *w, const T *b, int64_t rows, int64_t n,
                         double eps, T *out, T *xhat, T *rstd)
{
    if (rows < 0 || n <= 0)
        return -1;
    TG_FN(ln_ctx) c = {x, w, b, out, xhat, rstd, n, eps};
    tg_par_range(rows, rows * n * 4, TG_FN(ln_rows), &c);
    return 0;
}

typedef struct { const T *g, *xhat, *rstd; T *dx; int64_t n; } TG_FN(lng_ctx);

static void TG_FN(lng_rows)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(lng_ctx) *c = vc;
    const int64_t n = c->n;
    for (int64_t r = lo; r < hi; ++r) {
        const T *g = c->g + r * n, *h = c->xhat + r * n;
        T *dx = c->dx + r * n;
        const T m1 = (T)(TG_FN(row_sum)(g, n) / (ACC)n);
        const T m2 = (T)(TG_FN(row_dot)(g, h, n) / (ACC)n);
        const T rs = c->rstd[r];
        for (int64_t j = 0; j < n; ++j)
            dx[j] = rs * ((g[j] - m1) - h[j] * m2);
    }
}

int TG_FN(tg_layer_norm_grad)(const T *g, const T *xhat, const T *rstd, int64_t rows,
                              int64_t n, T *dx)
{
    if (rows < 0 || n <= 0)
        return -1;
    TG_FN(lng_ctx) c = {g, xhat, rstd, dx, n};
    tg_par_range(rows, rows * n * 4, TG_FN(lng_rows), &c);
    return 0;
}
