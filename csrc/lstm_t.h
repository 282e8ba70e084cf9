/* One LSTM step's pointwise part (numpy_backend.lstm_cell, backend/_recurrent.py), in
   one pass over each row: from the gates (rows, 4n) in PyTorch's order i, f, g, o and
   c (rows, n), h' = o tanh(c'), c' = f c + i g, and what the backward reads: K1 (each
   gate activation's derivative times what it multiplies), K2 = o (1 - tanh(c')^2) and
   f. Fourteen numpy passes over (32, 1024) gates took ~0.13 ms a step of the LSTM. */
#include "vexp_t.h"
#include "vmath_t.h"

static inline T TG_FN(lstm_sig)(T v)
{
    T e = TG_FN(vexp)(-TG_M(fabs)(v)); /* exp of a non-positive number: no overflow */
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}

typedef struct {
    const T *gates, *c;
    T *h, *c2, *k1, *k2, *f;
    int64_t n;
} TG_FN(lstm_ctx);

/* n elements of one row; every operand its own restrict pointer, so the loop vectorises */
static void TG_FN(lstm_row)(int64_t n, const T *restrict gi, const T *restrict gf,
                            const T *restrict gg, const T *restrict go, const T *restrict c,
                            T *restrict h, T *restrict c2, T *restrict ki, T *restrict kf,
                            T *restrict kg, T *restrict ko, T *restrict k2, T *restrict f)
{
    for (int64_t j = 0; j < n; ++j) {
        const T i = TG_FN(lstm_sig)(gi[j]), fg = TG_FN(lstm_sig)(gf[j]);
        const T g = TG_FN(vtanh)(gg[j]), o = TG_FN(lstm_sig)(go[j]), cj = c[j];
        const T cn = fg * cj + i * g, tc = TG_FN(vtanh)(cn), hn = o * tc;
        c2[j] = cn, h[j] = hn, f[j] = fg;
        ki[j] = (1 - i) * i * g;
        kf[j] = (1 - fg) * fg * cj;
        kg[j] = i - i * g * g;
        ko[j] = (1 - o) * o * tc;
        k2[j] = o - hn * tc;
    }
}

static void TG_FN(lstm_rows)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(lstm_ctx) *x = vc;
    const int64_t n = x->n;
    for (int64_t r = lo; r < hi; ++r) {
        const T *gt = x->gates + r * 4 * n;
        T *k1 = x->k1 + r * 4 * n;
        TG_FN(lstm_row)(n, gt, gt + n, gt + 2 * n, gt + 3 * n, x->c + r * n, x->h + r * n,
                        x->c2 + r * n, k1, k1 + n, k1 + 2 * n, k1 + 3 * n, x->k2 + r * n,
                        x->f + r * n);
    }
}

/* All arrays contiguous and apart (c2 is not c: restrict). -1 for a bad size. */
int TG_FN(tg_lstm_cell)(const T *gates, const T *c, int64_t rows, int64_t n, T *h, T *c2,
                        T *k1, T *k2, T *f)
{
    if (rows < 0 || n < 0)
        return -1;
    TG_FN(lstm_ctx) ctx = {gates, c, h, c2, k1, k2, f, n};
    tg_par_range(rows, 32 * rows * n, TG_FN(lstm_rows), &ctx);
    return 0;
}
