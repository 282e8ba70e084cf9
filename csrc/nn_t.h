/* Fused nn kernels template: row softmax / log_softmax. */
#include "rowops_t.h"
#include "vexp_t.h"

typedef struct { int log_; const T *x; int64_t n; T *out; } TG_FN(sm_ctx);

static void TG_FN(softmax_rows)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(sm_ctx) *c = vc;
    const int64_t n = c->n;
    for (int64_t r = lo; r < hi; ++r) {
        const T *x = c->x + r * n;
        T *o = c->out + r * n;
        const T m = TG_FN(row_max)(x, n); /* NaN max -> NaN row, as numpy */
        for (int64_t j = 0; j < n; ++j)
            o[j] = TG_FN(vexp)(x[j] - m);
        /* round the sum to T before dividing / taking the log, as numpy does */
        T s = (T)TG_FN(row_sum)(o, n);
        if (c->log_) {
            T ls = TG_M(log)(s);
            for (int64_t j = 0; j < n; ++j)
                o[j] = (x[j] - m) - ls;
        } else {
            for (int64_t j = 0; j < n; ++j)
                o[j] = o[j] / s;
        }
    }
}

int TG_FN(tg_softmax)(int log_, const T *x, int64_t rows, int64_t n, T *out)
{
    if (rows < 0 || n < 0)
        return -1;
    if (n == 0)
        return 0;
    TG_FN(sm_ctx) c = {log_ != 0, x, n, out};
    /* exp costs ~10 plain flops, so rows parallelise at a tenth of the size */
    tg_par_range(rows, rows * n * 10, TG_FN(softmax_rows), &c);
    return 0;
}
