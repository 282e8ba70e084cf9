/* Reduction template over x viewed as (outer, n, inner). */
#include "rowops_t.h"

/* inner == 1: rows [lo, hi) each reduce to one value */
static void TG_FN(reduce_rows)(void *vc, int64_t lo, int64_t hi)
{
    const tg_red_ctx *c = vc;
    const T *x = c->x;
    T *out = c->out;
    for (int64_t r = lo; r < hi; ++r) {
        if (c->op == TG_SUM) {
            out[r] = (T)TG_FN(row_sum)(x + r * c->n, c->n);
        } else {
            int64_t i = TG_FN(row_arg)(c->op, x + r * c->n, c->n, out + r);
            if (c->arg)
                c->arg[r] = i;
        }
    }
}

/* inner > 1: columns [lo, hi) of every outer slab; the j loop is innermost so
   it runs over contiguous memory and vectorises */
static void TG_FN(reduce_cols)(void *vc, int64_t lo, int64_t hi)
{
    const tg_red_ctx *c = vc;
    const int64_t n = c->n, inner = c->inner;
    for (int64_t o = 0; o < c->outer; ++o) {
        const T *x = (const T *)c->x + o * n * inner;
        T *out = (T *)c->out + o * inner;
        int64_t *arg = c->arg ? c->arg + o * inner : NULL;
        for (int64_t j = lo; j < hi; ++j)
            out[j] = x[j];
        if (arg)
            for (int64_t j = lo; j < hi; ++j)
                arg[j] = 0;
        for (int64_t k = 1; k < n; ++k) {
            const T *xk = x + k * inner;
            if (c->op == TG_SUM) {
                for (int64_t j = lo; j < hi; ++j)
                    out[j] += xk[j];
                continue;
            }
            for (int64_t j = lo; j < hi; ++j) {
                T v = xk[j], b = out[j];
                if ((c->op == TG_MAX ? v > b : v < b) || (v != v && b == b)) {
                    out[j] = v;
                    if (arg)
                        arg[j] = k;
                }
            }
        }
    }
}

/* outer == inner == 1 and n large: each chunk reduces to a partial */
static void TG_FN(reduce_chunks)(void *vc, int64_t lo, int64_t hi)
{
    const tg_red_ctx *c = vc;
    const T *x = c->x;
    for (int64_t ch = lo; ch < hi; ++ch) {
        int64_t a = c->n * ch / c->chunks, b = c->n * (ch + 1) / c->chunks;
        if (c->op == TG_SUM) {
            ((ACC *)c->part)[ch] = TG_FN(row_sum)(x + a, b - a);
        } else {
            T best;
            c->part_arg[ch] = a + TG_FN(row_arg)(c->op, x + a, b - a, &best);
            ((ACC *)c->part)[ch] = best;
        }
    }
}

static void TG_FN(reduce_long)(tg_red_ctx *c)
{
    ACC part[64];
    int64_t part_arg[64], nt = tg_threads();
    c->chunks = nt < 64 ? nt : 64;
    c->part = part;
    c->part_arg = part_arg;
    tg_par_range(c->chunks, c->n, TG_FN(reduce_chunks), c);
    T *out = c->out;
    if (c->op == TG_SUM) {
        ACC s = 0;
        for (int64_t ch = 0; ch < c->chunks; ++ch)
            s += part[ch];
        *out = (T)s;
        return;
    }
    /* partials in index order, so the first strict winner is the first index */
    int64_t w = 0;
    for (int64_t ch = 1; ch < c->chunks && part[w] == part[w]; ++ch) {
        ACC v = part[ch];
        if ((c->op == TG_MAX ? v > part[w] : v < part[w]) || v != v)
            w = ch;
    }
    *out = (T)part[w];
    if (c->arg)
        *c->arg = part_arg[w];
}

int TG_FN(tg_reduce)(int op, const T *x, int64_t outer, int64_t n, int64_t inner,
                     int64_t *arg, T *out)
{
    if (op < TG_SUM || op > TG_MIN || outer < 0 || n < 0 || inner < 0)
        return -1;
    if (outer == 0 || inner == 0)
        return 0;
    if (n == 0) {
        if (op != TG_SUM)
            return -1; /* max of nothing has no value */
        memset(out, 0, (size_t)(outer * inner) * sizeof(T));
        return 0;
    }
    tg_red_ctx c = {op, x, outer, n, inner, arg, out, NULL, NULL, 0};
    int64_t work = outer * n * inner;
    if (inner > 1)
        tg_par_range(inner, work, TG_FN(reduce_cols), &c);
    else if (outer == 1 && work >= TG_PAR_MIN && tg_threads() > 1)
        TG_FN(reduce_long)(&c);
    else
        tg_par_range(outer, work, TG_FN(reduce_rows), &c);
    return 0;
}
