/* Rows added at integer indices: out[idx[i], :] += src[i, :] for i in order, the
   adjoint of picking rows (an embedding's backward, x[idx]'s gradient). Each
   element sums its rows in the order numpy's add.at does, so the result equals
   the specification bit for bit; threads take column ranges, never rows, so no
   two of them write one element. */
typedef struct {
    T *out;
    const T *src;
    const int64_t *idx;
    int64_t n, rows, cols;
} TG_FN(ia_ctx);

static void TG_FN(ia_cols)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(ia_ctx) *c = vc;
    for (int64_t i = 0; i < c->n; ++i) {
        const int64_t r = c->idx[i] < 0 ? c->idx[i] + c->rows : c->idx[i];
        T *restrict o = c->out + r * c->cols;
        const T *restrict s = c->src + i * c->cols;
        for (int64_t j = lo; j < hi; ++j)
            o[j] += s[j];
    }
}

/* ranges of 16-element blocks of columns */
static void TG_FN(ia_lines)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(ia_ctx) *c = vc;
    TG_FN(ia_cols)(vc, lo * 16, hi * 16 < c->cols ? hi * 16 : c->cols);
}

/* out (rows, cols) += src (n, cols) at the rows idx (n); -rows <= idx < rows, negative
   ones counting from the end (checked here: -1 if any is out of range, nothing written). */
int TG_FN(tg_index_add)(T *out, const int64_t *idx, const T *src, int64_t n, int64_t rows,
                        int64_t cols)
{
    if (n < 0 || rows < 0 || cols < 0)
        return -1;
    for (int64_t i = 0; i < n; ++i)
        if (idx[i] < -rows || idx[i] >= rows)
            return -1;
    if (n == 0 || cols == 0)
        return 0;
    TG_FN(ia_ctx) ctx = {out, src, idx, n, rows, cols};
    /* column ranges of whole cache lines, one per thread */
    const int64_t nt = tg_threads(), lines = (cols + 15) / 16;
    if (nt > 1 && lines > 1 && n * cols >= TG_PAR_MIN)
        tg_parallel_for(lines, nt < lines ? nt : lines, TG_FN(ia_lines), &ctx);
    else
        TG_FN(ia_cols)(&ctx, 0, cols);
    return 0;
}
