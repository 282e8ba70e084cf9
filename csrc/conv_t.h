/* im2col / col2im template, expanded per dtype by instantiate.h (conv.c holds the
   geometry helpers). One (n, c) plane is one unit of work: its kh*kw rows of
   columns are contiguous in cols, so a plane's task touches nothing of another's. */

typedef struct { const T *in; T *out; tg_conv_geom g; } TG_FN(conv_ctx);

static inline void TG_FN(conv_zero)(T *o, int64_t n)
{
    if (n > 0)
        memset(o, 0, (size_t)n * sizeof(T));
}

static void TG_FN(im2col_planes)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(conv_ctx) *c = vc;
    const tg_conv_geom g = c->g;
    const int64_t L = g.oh * g.ow;
    for (int64_t p = lo; p < hi; ++p) {
        const T *x = c->in + p * g.plane_in;
        T *o = c->out + p * g.plane_cols;
        for (int64_t i = 0; i < g.kh; ++i) {
            int64_t y0, y1;
            tg_conv_span(g.h, g.ph, i * g.dh, g.sh, g.oh, &y0, &y1);
            for (int64_t j = 0; j < g.kw; ++j, o += L) {
                int64_t x0, x1;
                tg_conv_span(g.w, g.pw, j * g.dw, g.sw, g.ow, &x0, &x1);
                if (y0 == y1 || x0 == x1) { /* this tap reads only padding */
                    TG_FN(conv_zero)(o, L);
                    continue;
                }
                const int64_t run = x1 - x0;
                TG_FN(conv_zero)(o, y0 * g.ow);
                if (run == g.w && g.ow == g.w && g.sh == 1) { /* whole rows, back to back */
                    memcpy(o + y0 * g.ow, x + (y0 - g.ph + i * g.dh) * g.w,
                           (size_t)((y1 - y0) * g.w) * sizeof(T));
                    TG_FN(conv_zero)(o + y1 * g.ow, (g.oh - y1) * g.ow);
                    continue;
                }
                for (int64_t oy = y0; oy < y1; ++oy) {
                    T *restrict orow = o + oy * g.ow;
                    const T *restrict xr = x + (oy * g.sh - g.ph + i * g.dh) * g.w
                                           + (x0 * g.sw - g.pw + j * g.dw);
                    TG_FN(conv_zero)(orow, x0);
                    if (g.sw == 1) { /* a contiguous run: the compiler makes it a block copy */
                        for (int64_t t = 0; t < run; ++t)
                            orow[x0 + t] = xr[t];
                    } else {
                        const int64_t sw = g.sw;
                        for (int64_t t = 0; t < run; ++t)
                            orow[x0 + t] = xr[t * sw];
                    }
                    TG_FN(conv_zero)(orow + x1, g.ow - x1);
                }
                TG_FN(conv_zero)(o + y1 * g.ow, (g.oh - y1) * g.ow);
            }
        }
    }
}

/* Taps are added in the specification's order, (0, 0) first, each onto a zeroed
   plane: every element gets the same sum in the same order as numpy_backend. */
static void TG_FN(col2im_planes)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(conv_ctx) *c = vc;
    const tg_conv_geom g = c->g;
    const int64_t L = g.oh * g.ow;
    for (int64_t p = lo; p < hi; ++p) {
        const T *col = c->in + p * g.plane_cols;
        T *img = c->out + p * g.plane_in;
        TG_FN(conv_zero)(img, g.plane_in);
        for (int64_t i = 0; i < g.kh; ++i) {
            int64_t y0, y1;
            tg_conv_span(g.h, g.ph, i * g.dh, g.sh, g.oh, &y0, &y1);
            for (int64_t j = 0; j < g.kw; ++j, col += L) {
                int64_t x0, x1;
                tg_conv_span(g.w, g.pw, j * g.dw, g.sw, g.ow, &x0, &x1);
                const int64_t run = x1 - x0;
                if (run == 0)
                    continue;
                if (run == g.w && g.ow == g.w && g.sh == 1) { /* whole rows, back to back */
                    T *restrict orow = img + (y0 - g.ph + i * g.dh) * g.w;
                    const T *restrict cr = col + y0 * g.ow;
                    for (int64_t t = 0; t < (y1 - y0) * g.w; ++t)
                        orow[t] += cr[t];
                    continue;
                }
                for (int64_t oy = y0; oy < y1; ++oy) {
                    T *restrict orow = img + (oy * g.sh - g.ph + i * g.dh) * g.w
                                       + (x0 * g.sw - g.pw + j * g.dw);
                    const T *restrict cr = col + oy * g.ow + x0;
                    if (g.sw == 1) {
                        for (int64_t t = 0; t < run; ++t)
                            orow[t] += cr[t];
                    } else {
                        const int64_t sw = g.sw;
                        for (int64_t t = 0; t < run; ++t)
                            orow[t * sw] += cr[t];
                    }
                }
            }
        }
    }
}

int TG_FN(tg_im2col)(const T *x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                     int64_t kw, int64_t dh, int64_t dw, int64_t ph, int64_t pw, int64_t sh,
                     int64_t sw, T *out)
{
    TG_FN(conv_ctx) ctx = {x, out, {0}};
    if (tg_conv_geometry(n, c, h, w, kh, kw, dh, dw, ph, pw, sh, sw, &ctx.g))
        return -1;
    if (ctx.g.planes == 0 || ctx.g.plane_cols == 0)
        return 0;
    tg_conv_run(&ctx.g, ctx.g.planes * ctx.g.plane_cols, TG_FN(im2col_planes), &ctx);
    return 0;
}

int TG_FN(tg_col2im)(const T *cols, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                     int64_t kw, int64_t dh, int64_t dw, int64_t ph, int64_t pw, int64_t sh,
                     int64_t sw, T *out)
{
    TG_FN(conv_ctx) ctx = {cols, out, {0}};
    if (tg_conv_geometry(n, c, h, w, kh, kw, dh, dw, ph, pw, sh, sw, &ctx.g))
        return -1;
    if (ctx.g.planes == 0 || ctx.g.plane_in == 0)
        return 0;
    /* reads the columns, writes the image: count the larger side */
    const int64_t per = ctx.g.plane_cols > ctx.g.plane_in ? ctx.g.plane_cols : ctx.g.plane_in;
    tg_conv_run(&ctx.g, ctx.g.planes * per, TG_FN(col2im_planes), &ctx);
    return 0;
}

/* Max pooling over an input the caller has padded (-inf): for each window the first
   maximum in row-major tap order, NaN counting as a maximum (PyTorch's rule), and
   its flat index in the plane. One (n, c) plane per task. */
typedef struct { const T *in; T *out; int64_t *arg; tg_conv_geom g; } TG_FN(pool_ctx);

/* One output row of windows, exactly: the first maximum of each window in scan
   order, or its first NaN. The slow reference, run only on rows holding a NaN. */
static void TG_FN(maxpool_row_exact)(const tg_conv_geom *g, const T *x, int64_t oy, T *o,
                                     int64_t *a)
{
    for (int64_t ox = 0; ox < g->ow; ++ox) {
        int64_t at = oy * g->sh * g->w + ox * g->sw;
        T best = x[at];
        for (int64_t i = 0; i < g->kh && best == best; ++i) {
            const int64_t row = (oy * g->sh + i * g->dh) * g->w + ox * g->sw;
            for (int64_t j = 0; j < g->kw; ++j) {
                const T v = x[row + j * g->dw];
                if (v > best || v != v) {
                    best = v, at = row + j * g->dw;
                    if (v != v)
                        break;
                }
            }
        }
        o[ox] = best, a[ox] = at;
    }
}

/* Each window's first maximum in scan order (ties keep the first), or its first
   NaN. "A NaN wins once, then nothing beats it" compiles to branches that are a
   coin flip on real data (4 ms instead of 0.6 for 256x6x28x28 with 2x2 windows,
   one thread), so a plane is first scanned for NaN (a loop that vectorizes), and
   only a plane holding one takes the exact row code; the others compare plainly,
   which GCC turns into selects. */
static void TG_FN(maxpool_planes)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(pool_ctx) *c = vc;
    const tg_conv_geom g = c->g;
    const int64_t L = g.oh * g.ow;
    const int two = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1;
    for (int64_t p = lo; p < hi; ++p) {
        const T *restrict x = c->in + p * g.plane_in;
        T *restrict o = c->out + p * L;
        int64_t *restrict a = c->arg + p * L;
        int nan = 0;
        for (int64_t i = 0; i < g.plane_in; ++i)
            nan |= x[i] != x[i];
        if (nan) {
            for (int64_t oy = 0; oy < g.oh; ++oy)
                TG_FN(maxpool_row_exact)(&g, x, oy, o + oy * g.ow, a + oy * g.ow);
        } else if (two) { /* the common 2x2 / stride 2, unrolled */
            for (int64_t oy = 0; oy < g.oh; ++oy)
                for (int64_t ox = 0; ox < g.ow; ++ox) {
                    const int64_t at = 2 * oy * g.w + 2 * ox;
                    const T v0 = x[at], v1 = x[at + 1], v2 = x[at + g.w], v3 = x[at + g.w + 1];
                    const int t1 = v1 > v0;
                    const T b1 = t1 ? v1 : v0;
                    const int t2 = v2 > b1;
                    const T b2 = t2 ? v2 : b1;
                    const int t3 = v3 > b2;
                    o[oy * g.ow + ox] = t3 ? v3 : b2;
                    a[oy * g.ow + ox] = at + (t3 ? g.w + 1 : t2 ? g.w : t1);
                }
        } else {
            for (int64_t oy = 0; oy < g.oh; ++oy)
                for (int64_t ox = 0; ox < g.ow; ++ox) {
                    int64_t at = oy * g.sh * g.w + ox * g.sw;
                    T best = x[at];
                    for (int64_t i = 0; i < g.kh; ++i) {
                        const int64_t row = (oy * g.sh + i * g.dh) * g.w + ox * g.sw;
                        for (int64_t j = 0; j < g.kw; ++j) {
                            const T v = x[row + j * g.dw];
                            const int take = v > best;
                            best = take ? v : best;
                            at = take ? row + j * g.dw : at;
                        }
                    }
                    o[oy * g.ow + ox] = best, a[oy * g.ow + ox] = at;
                }
        }
    }
}

/* The gradient: each window's g added at its argmax (windows may share one). */
static void TG_FN(maxpool_back_planes)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(pool_ctx) *c = vc;
    const tg_conv_geom g = c->g;
    const int64_t L = g.oh * g.ow;
    for (int64_t p = lo; p < hi; ++p) {
        const T *gp = c->in + p * L;
        const int64_t *a = c->arg + p * L;
        T *d = c->out + p * g.plane_in;
        TG_FN(conv_zero)(d, g.plane_in);
        for (int64_t l = 0; l < L; ++l)
            d[a[l]] += gp[l];
    }
}

int TG_FN(tg_maxpool)(const T *x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                      int64_t kw, int64_t dh, int64_t dw, int64_t sh, int64_t sw, T *out,
                      int64_t *arg)
{
    TG_FN(pool_ctx) ctx = {x, out, arg, {0}};
    if (tg_conv_geometry(n, c, h, w, kh, kw, dh, dw, 0, 0, sh, sw, &ctx.g))
        return -1;
    if (ctx.g.planes == 0)
        return 0;
    tg_conv_run(&ctx.g, ctx.g.planes * ctx.g.plane_cols, TG_FN(maxpool_planes), &ctx);
    return 0;
}

/* arg is checked here (0 <= arg < h w): it comes from Python, and C writes through it. */
int TG_FN(tg_maxpool_backward)(const T *grad, const int64_t *arg, int64_t n, int64_t c,
                               int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t dh,
                               int64_t dw, int64_t sh, int64_t sw, T *out)
{
    TG_FN(pool_ctx) ctx = {grad, out, (int64_t *)arg, {0}};
    if (tg_conv_geometry(n, c, h, w, kh, kw, dh, dw, 0, 0, sh, sw, &ctx.g))
        return -1;
    const int64_t total = ctx.g.planes * ctx.g.oh * ctx.g.ow;
    for (int64_t i = 0; i < total; ++i)
        if (arg[i] < 0 || arg[i] >= ctx.g.plane_in)
            return -1;
    if (ctx.g.planes == 0)
        return 0;
    tg_conv_run(&ctx.g, ctx.g.planes * ctx.g.plane_in, TG_FN(maxpool_back_planes), &ctx);
    return 0;
}
