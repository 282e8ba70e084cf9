/* Fused nn kernels template: row softmax / log_softmax. */
#include "rowops_t.h"
#include "vexp_t.h"

typedef struct { int log_; const T *x; int64_t n; T *out; } TG_FN(sm_ctx);

/* the end of a row once out[0..n) holds exp(x - m): normalise it, or write the log form */
static inline void TG_FN(softmax_finish)(int log_, const T *x, T m, int64_t n, T *o)
{
    /* round the sum to T before dividing / taking the log, as numpy does */
    T s = (T)TG_FN(row_sum)(o, n);
    if (log_) {
        T ls = TG_M(log)(s);
        for (int64_t j = 0; j < n; ++j)
            o[j] = (x[j] - m) - ls;
    } else {
        for (int64_t j = 0; j < n; ++j)
            o[j] = o[j] / s;
    }
}

/* Short rows (10 classes) would run exp mostly in scalar loop tails, so these do
   it in three passes over the block instead: x - row max, one flat vector exp,
   then each row's sum. Same operations per element: the results are identical. */
#define TG_SM_SHORT 32

static void TG_FN(softmax_rows)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(sm_ctx) *c = vc;
    const int64_t n = c->n;
    if (n < TG_SM_SHORT) {
        const T *x = c->x + lo * n;
        T *o = c->out + lo * n;
        const int64_t len = (hi - lo) * n;
        for (int64_t r = 0; r < hi - lo; ++r) {
            const T m = TG_FN(row_max)(x + r * n, n); /* NaN max -> NaN row, as numpy */
            for (int64_t j = 0; j < n; ++j)
                o[r * n + j] = x[r * n + j] - m;
        }
        for (int64_t i = 0; i < len; ++i)
            o[i] = TG_FN(vexp)(o[i]);
        for (int64_t r = 0; r < hi - lo; ++r)
            TG_FN(softmax_finish)(c->log_, x + r * n, TG_FN(row_max)(x + r * n, n), n, o + r * n);
        return;
    }
    for (int64_t r = lo; r < hi; ++r) {
        const T *x = c->x + r * n;
        T *o = c->out + r * n;
        const T m = TG_FN(row_max)(x, n);
        for (int64_t j = 0; j < n; ++j)
            o[j] = TG_FN(vexp)(x[j] - m);
        TG_FN(softmax_finish)(c->log_, x, m, n, o);
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
