/* Matrix multiply (2-D and batched, with transpose flags) and the linear
   layer x @ w.T + bias. float32 runs the packed AVX2 kernel of
   gemm_avx2.h when the build has AVX2 and FMA; float64 (and float32 in a
   portable build) the vector-extension template of gemm_t.h. */
#include "common.h"
#include <pthread.h>

#define TG_TEMPLATE "gemm_t.h"
#include "instantiate.h"

/* Per-thread, 64-byte aligned pack buffers, kept between calls and freed
   when the thread exits (a Python thread that ran one GEMM must not leak
   its megabytes). Per thread, so concurrent callers never share one. */
static pthread_key_t g_buf_key;
static pthread_once_t g_buf_once = PTHREAD_ONCE_INIT;
typedef struct { void *p[2]; size_t cap[2]; } tg_bufs;

static void tg_bufs_free(void *v)
{
    tg_bufs *b = v;
    free(b->p[0]);
    free(b->p[1]);
    free(b);
}

static void tg_bufs_key(void) { (void)pthread_key_create(&g_buf_key, tg_bufs_free); }

__attribute__((unused)) static void *tg_gemm_buf(int slot, size_t bytes)
{
    pthread_once(&g_buf_once, tg_bufs_key);
    tg_bufs *b = pthread_getspecific(g_buf_key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || pthread_setspecific(g_buf_key, b)) {
            free(b);
            return NULL;
        }
    }
    if (b->cap[slot] < bytes) {
        free(b->p[slot]);
        b->p[slot] = NULL;
        b->cap[slot] = 0;
        if (posix_memalign(&b->p[slot], 64, bytes + 64) == 0)
            b->cap[slot] = bytes;
    }
    return b->p[slot];
}

#if defined(__AVX2__) && defined(__FMA__)
#include "gemm_avx2.h"
static int sg_gemm_v(const void *a, const void *b, const void *bias, int64_t m, int64_t n,
                     int64_t k, int ta, int tb, void *c, int parallel)
{
    return sg_gemm(a, b, bias, m, n, k, ta, tb, c, parallel);
}
#define TG_GEMM_F32 sg_gemm_v
#else
#define TG_GEMM_F32 gemm_generic_f32
#endif

typedef int (*tg_gemm1_fn)(const void *a, const void *b, const void *bias, int64_t m,
                           int64_t n, int64_t k, int ta, int tb, void *c, int parallel);

typedef struct {
    tg_gemm1_fn one;
    const char *a, *b;
    const void *bias;
    int64_t m, n, k, esize;
    int ta, tb;
    char *c;
    int status;
} tg_batch_ctx;

static void tg_batch_range(void *vc, int64_t lo, int64_t hi)
{
    tg_batch_ctx *bc = vc;
    int64_t sa = bc->m * bc->k * bc->esize, sb = bc->k * bc->n * bc->esize,
            sc = bc->m * bc->n * bc->esize;
    for (int64_t i = lo; i < hi; ++i)
        if (bc->one(bc->a + i * sa, bc->b + i * sb, bc->bias, bc->m, bc->n, bc->k, bc->ta,
                    bc->tb, bc->c + i * sc, 0))
            bc->status = -2;
}

static int tg_gemm_batch(tg_gemm1_fn one, int64_t esize, const void *a, const void *b,
                         const void *bias, int64_t batch, int64_t m, int64_t n, int64_t k,
                         int ta, int tb, void *c)
{
    if (batch < 0 || m < 0 || n < 0 || k < 0)
        return -1;
    if (batch == 0 || m == 0 || n == 0)
        return 0;
    tg_batch_ctx bc = {one, a, b, bias, m, n, k, esize, ta, tb, c, 0};
    /* many matrices: one per thread beats splitting each one */
    if (batch >= tg_threads() && batch > 1) {
        tg_par_tasks(batch, batch * m * n * k / TG_GEMM_PAR_SCALE, tg_batch_range, &bc);
        return bc.status;
    }
    for (int64_t i = 0; i < batch && bc.status == 0; ++i)
        bc.status = one(bc.a + i * m * k * esize, bc.b + i * k * n * esize, bias, m, n, k,
                        ta, tb, bc.c + i * m * n * esize, 1);
    return bc.status;
}

int tg_matmul_f32(const float *a, const float *b, int64_t batch, int64_t m, int64_t n,
                  int64_t k, int ta, int tb, float *c)
{
    return tg_gemm_batch(TG_GEMM_F32, sizeof(float), a, b, NULL, batch, m, n, k, ta, tb,
                         c);
}

int tg_matmul_f64(const double *a, const double *b, int64_t batch, int64_t m, int64_t n,
                  int64_t k, int ta, int tb, double *c)
{
    return tg_gemm_batch(gemm_generic_f64, sizeof(double), a, b, NULL, batch, m, n, k, ta,
                         tb, c);
}

int tg_linear_f32(const float *x, const float *w, const float *bias, int64_t m, int64_t n,
                  int64_t k, float *out)
{
    return tg_gemm_batch(TG_GEMM_F32, sizeof(float), x, w, bias, 1, m, n, k, 0, 1, out);
}

int tg_linear_f64(const double *x, const double *w, const double *bias, int64_t m,
                  int64_t n, int64_t k, double *out)
{
    return tg_gemm_batch(gemm_generic_f64, sizeof(double), x, w, bias, 1, m, n, k, 0, 1, out);
}

int tg_gemm_simd(void)
{
#if defined(__AVX2__) && defined(__FMA__)
    return 1;
#else
    return 0;
#endif
}
