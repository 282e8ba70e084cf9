/* im2col / col2im: the windows of a convolution or pooling (conv_t.h). */
#include "common.h"

/* The geometry of one call, checked once; the templates only index with it. */
typedef struct {
    int64_t planes, h, w, kh, kw, dh, dw, ph, pw, sh, sw, oh, ow;
    int64_t plane_in, plane_cols; /* elements of one (n, c) plane: image, its columns */
} tg_conv_geom;

/* Windows along one axis of n (PyTorch's formula); -1 when there is none or a term
   overflows. Every index the kernels form later is bounded by n + 2p, so checking
   these terms here keeps all of them in range. */
static int64_t tg_conv_windows(int64_t n, int64_t k, int64_t d, int64_t p, int64_t s)
{
    int64_t span, padded, reach;
    if (n < 0 || k < 1 || d < 1 || p < 0 || s < 1)
        return -1;
    if (__builtin_mul_overflow(d, k - 1, &span) || __builtin_add_overflow(span, 1, &reach)
        || __builtin_mul_overflow(p, 2, &padded) || __builtin_add_overflow(n, padded, &padded))
        return -1;
    if (padded < reach)
        return -1; /* no window fits: the Python side never calls with that */
    return (padded - reach) / s + 1;
}

/* 0 and g filled in, or -1 for an argument no caller may pass. */
static int tg_conv_geometry(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                            int64_t dh, int64_t dw, int64_t ph, int64_t pw, int64_t sh,
                            int64_t sw, tg_conv_geom *g)
{
    int64_t taps, windows;
    if (n < 0 || c < 0)
        return -1;
    g->oh = tg_conv_windows(h, kh, dh, ph, sh);
    g->ow = tg_conv_windows(w, kw, dw, pw, sw);
    if (g->oh < 0 || g->ow < 0)
        return -1;
    if (__builtin_mul_overflow(n, c, &g->planes) || __builtin_mul_overflow(h, w, &g->plane_in)
        || __builtin_mul_overflow(kh, kw, &taps) || __builtin_mul_overflow(g->oh, g->ow, &windows)
        || __builtin_mul_overflow(taps, windows, &g->plane_cols))
        return -1;
    /* with no plane nothing is indexed, so the totals need not fit (n = 0, huge kernel) */
    if (g->planes > 0
        && (g->plane_cols > INT64_MAX / g->planes || g->plane_in > INT64_MAX / g->planes))
        return -1;
    g->h = h, g->w = w, g->kh = kh, g->kw = kw, g->dh = dh, g->dw = dw;
    g->ph = ph, g->pw = pw, g->sh = sh, g->sw = sw;
    return 0;
}

/* The windows o in [*lo, *hi) of an axis whose tap at offset off (kernel index x
   dilation) reads inside the image: 0 <= o s - p + off < n. Computed once per tap
   so the copy loops below test no bound per element. */
static inline void tg_conv_span(int64_t n, int64_t p, int64_t off, int64_t s, int64_t windows,
                                int64_t *lo, int64_t *hi)
{
    const int64_t a = p - off, b = n + p - off; /* a <= o s < b */
    /* ceil(a / s) as (a - 1) / s + 1: a + s - 1 could overflow for a huge stride */
    int64_t l = a <= 0 ? 0 : (a - 1) / s + 1, e = b <= 0 ? 0 : (b - 1) / s + 1;
    if (e > windows)
        e = windows;
    *lo = l < e ? l : e;
    *hi = e;
}

/* Planes in chunks claimed dynamically, a few per thread: a thread that loses its
   core delays one chunk. Work is the elements written, weighted 4x as the other
   memory-bound kernels are (two threads from 64k elements). */
static void tg_conv_run(const tg_conv_geom *g, int64_t written, tg_range_fn fn, void *ctx)
{
    const int64_t nt = tg_threads();
    if (nt > 1 && g->planes > 1 && written >= TG_PAR_MIN / 4)
        tg_parallel_for(g->planes, g->planes < 4 * nt ? g->planes : 4 * nt, fn, ctx);
    else
        fn(ctx, 0, g->planes);
}

#define TG_TEMPLATE "conv_t.h"
#include "instantiate.h"
