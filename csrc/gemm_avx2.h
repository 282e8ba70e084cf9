/* float32 GEMM for AVX2+FMA builds: BLIS-style packing around a 6x16
   register-blocked micro-kernel (12 ymm accumulators, 2 for B, 1 broadcast
   of A). Included by gemm.c only when __AVX2__ and __FMA__ are defined.

   A and B are addressed through strides, so transposed operands are handled
   in packing (8x8 AVX transposes), never by a copy. Edge tiles: zero-padded
   panels, masked loads/stores on C. Skinny N < 16: dot products along k
   when A's rows are contiguous (x @ w.T of an output layer), else A read in
   place; M <= 48: B read in place. The linear layer's bias is added while
   the last k-block is stored; C is written before it is
   ever read (beta = 0). Threads (pool.c) split M or N into one range each
   (skinny rows: several tasks per thread); every thread packs into its own
   aligned buffers (tg_gemm_buf), so two Python threads may run a GEMM at
   once. */
#include <immintrin.h>

#define SG_MR 6
#define SG_NR 16
/* Chosen by measurement on the 2-core EPYC dev box (L1d 32 KiB, L2 1 MiB
   per core, L3 32 MiB; thread CPU time, single thread): a 16-wide B
   micro-panel of SG_KC rows (16 KiB) stays in L1, an SG_MC x SG_KC block of
   A (144 KiB) in L2, SG_KC x SG_NC of B (4 MiB) in L3. KC 256 / MC 144 beat
   384/252, 256/192, 256/96 and 192/144 by 5-20% at 1024-2048; KC 512 / MC
   120 was within noise. */
#ifndef SG_KC
#define SG_KC 256
#endif
#ifndef SG_MC
#define SG_MC 144
#endif
#ifndef SG_SMALL_M
#define SG_SMALL_M 48
#endif
#ifndef SG_NC
#define SG_NC 4080
#endif
/* Multiply-adds from which two threads pay. Measured on the 2-core box (C
   timing loop, both cores free): at 2^19-2^20 (64x64x128, 128x512x10,
   10x128x512, 128x10x512) two threads ran 1.4-1.8x one thread; 96^3 and 128^3
   as well. A worker that is slow to wake costs little: the caller claims the
   tasks it has not taken. Smaller products go to numpy in c_gemm.py. */
#ifndef SG_PAR_MIN
#define SG_PAR_MIN ((int64_t)1 << 19)
#endif

typedef struct {
    const float *a, *b;   /* op(A)(i, p) = a[i*rsa + p*csa]; op(B)(p, j) = b[p*rsb + j*csb] */
    int64_t rsa, csa, rsb, csb;
    float *c;             /* C (m, n), row-major */
    int64_t m, n, k;
    const float *bias;    /* (n) or NULL */
    int split_n;          /* threads take column ranges (else row ranges) */
    int inplace_a, inplace_b; /* read where it lies, not packed */
    const float *bt;      /* skinny dot-product path: op(B)^T (n, k), else NULL */
    int64_t nparts;
    int status;
} sg_ctx;

/* Writes the accumulators to the C tile (mr x nr at c): C = acc, or C += acc
   after the first k-block; on the last one + bias. */
static inline __attribute__((always_inline)) void sg_store(__m256 acc[SG_MR][2], float *c, int64_t rsc, int64_t mr,
                            int64_t nr, int first, int last, const sg_ctx *g, int64_t j0)
{
    const float *bias = last ? g->bias : NULL;
    __m256 bv0 = _mm256_setzero_ps(), bv1 = bv0;
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr), lane);
    __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr - 8), lane);
    if (bias) {
        bv0 = _mm256_maskload_ps(bias + j0, m0);
        bv1 = _mm256_maskload_ps(bias + j0 + 8, m1);
    }
    for (int64_t i = 0; i < mr; ++i) {
        float *ci = c + i * rsc;
        __m256 v0 = acc[i][0], v1 = acc[i][1];
        if (nr == SG_NR) {
            if (!first) {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ci));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ci + 8));
            }
            if (last) {
                v0 = _mm256_add_ps(v0, bv0);
                v1 = _mm256_add_ps(v1, bv1);
            }
            _mm256_storeu_ps(ci, v0);
            _mm256_storeu_ps(ci + 8, v1);
        } else { /* edge tile: masked loads/stores never touch C past column nr */
            if (!first) {
                v0 = _mm256_add_ps(v0, _mm256_maskload_ps(ci, m0));
                v1 = _mm256_add_ps(v1, _mm256_maskload_ps(ci + 8, m1));
            }
            if (last) {
                v0 = _mm256_add_ps(v0, bv0);
                v1 = _mm256_add_ps(v1, bv1);
            }
            _mm256_maskstore_ps(ci, m0, v0);
            _mm256_maskstore_ps(ci + 8, m1, v1);
        }
    }
}

/* the tile's rows are far apart: fetch them while the k-loop runs */
static inline void sg_prefetch_c(float *c, int64_t rsc, int64_t mr)
{
    for (int64_t r = 0; r < mr; ++r) {
        _mm_prefetch((const char *)(c + r * rsc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * rsc + SG_NR - 1), _MM_HINT_T0);
    }
}

/* The k-loop of a 6x16 tile: 12 accumulators, 2 vectors of B, one broadcast
   of A per row (SG_A(i): row i's element at this k). */
#define SG_ROW(SG_A, i)                                                        \
    av = _mm256_broadcast_ss(SG_A(i));                                         \
    c##i##0 = _mm256_fmadd_ps(av, b0, c##i##0);                                \
    c##i##1 = _mm256_fmadd_ps(av, b1, c##i##1);
#define SG_TILE(SG_A, STEP)                                                    \
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00,         \
           c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00,   \
           c50 = c00, c51 = c00;                                               \
    sg_prefetch_c(c, ldc, mr);                                                 \
    _Pragma("GCC unroll 4")                                                    \
    for (int64_t p = 0; p < kc; ++p) {                                         \
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), av;       \
        SG_ROW(SG_A, 0) SG_ROW(SG_A, 1) SG_ROW(SG_A, 2)                        \
        SG_ROW(SG_A, 3) SG_ROW(SG_A, 4) SG_ROW(SG_A, 5)                        \
        STEP;                                                                  \
    }                                                                          \
    __m256 acc[SG_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},                \
                            {c30, c31}, {c40, c41}, {c50, c51}};               \
    sg_store(acc, c, ldc, mr, nr, first, last, g, j0)

/* C tile (mr x nr at c) = [C +] Ap Bp over kc, then + bias when last; both operands packed (ap[p][6], bp[p][16]). */
static __attribute__((noinline)) void
sg_micro(int64_t kc, const float *restrict ap, const float *restrict b, float *c,
         int64_t ldc, int64_t mr, int64_t nr, int first, int last, const sg_ctx *g, int64_t j0)
{
#define SG_AP(i) (ap + i)
    SG_TILE(SG_AP, (ap += SG_MR, b += SG_NR));
#undef SG_AP
}

/* The same with A and B where they lie: row i of A at a + i*rsa, stepping csa
   along k (rows past mr re-read row 0); row p of B is 16 floats at b + p*rsb
   (rsb = 16 for a packed panel). */
static inline __attribute__((always_inline)) void
sg_micro_strided(int64_t kc, const float *a, int64_t rsa, int64_t csa, const float *b,
                 int64_t rsb, float *c, int64_t ldc, int64_t mr, int64_t nr, int first,
                 int last, const sg_ctx *g, int64_t j0)
{
    const float *a0 = a, *a1 = mr > 1 ? a + rsa : a, *a2 = mr > 2 ? a + 2 * rsa : a,
                *a3 = mr > 3 ? a + 3 * rsa : a, *a4 = mr > 4 ? a + 4 * rsa : a,
                *a5 = mr > 5 ? a + 5 * rsa : a;
    int64_t off = 0;
#define SG_AS(i) (a##i + off)
    SG_TILE(SG_AS, (off += csa, b += rsb));
#undef SG_AS
}
#undef SG_TILE
#undef SG_ROW

#include "gemm_avx2_pack.h"

/* C[ic:ic+mc, jc:jc+nc] (+)= A B over the k-block pc..pc+kc, one micro-tile
   at a time. ap: the block's A packed in 6-row panels (unused when A is read
   in place); bp: its B packed in 16-column panels (with B in place, only the
   partial panel at the end, where a packed block would hold it). */
static void sg_macro(const sg_ctx *g, const float *ap, const float *bp, int64_t ic, int64_t mc,
                     int64_t jc, int64_t nc, int64_t pc, int64_t kc)
{
    int first = pc == 0, last = pc + kc == g->k;
    for (int64_t jr = 0; jr < nc; jr += SG_NR) {
        int64_t nr = nc - jr < SG_NR ? nc - jr : SG_NR;
        /* B in place for whole panels; the edge panel was packed */
        int inb = g->inplace_b && nr == SG_NR;
        const float *bt = inb ? g->b + pc * g->rsb + jc + jr : bp + jr * kc;
        for (int64_t ir = 0; ir < mc; ir += SG_MR) {
            int64_t mr = mc - ir < SG_MR ? mc - ir : SG_MR;
            float *ct = g->c + (ic + ir) * g->n + jc + jr;
            if (g->inplace_a)
                sg_micro_strided(kc, g->a + (ic + ir) * g->rsa + pc * g->csa, g->rsa, g->csa,
                                 bt, inb ? g->rsb : SG_NR, ct, g->n, mr, nr, first, last, g,
                                 jc + jr);
            else if (inb || kc <= 32) /* inlined: a short k-loop is mostly call and store */
                sg_micro_strided(kc, ap + ir * kc, 1, SG_MR, bt, inb ? g->rsb : SG_NR, ct,
                                 g->n, mr, nr, first, last, g, jc + jr);
            else
                sg_micro(kc, ap + ir * kc, bt, ct, g->n, mr, nr, first, last, g, jc + jr);
        }
    }
}

/* equal k-blocks of at most SG_KC: 784 = 2 x 392 rather than 384 + 384 + 16 */
static inline int64_t sg_kblock(int64_t k)
{
    int64_t nkb = (k + SG_KC - 1) / SG_KC;
    return (k + nkb - 1) / nkb;
}

/* C[i0:i1, j0:j1] on the calling thread, with its own pack buffers. */
static int sg_block(const sg_ctx *g, int64_t i0, int64_t i1, int64_t j0, int64_t j1)
{
    int64_t kcb = sg_kblock(g->k);
    int64_t ncb = j1 - j0 < SG_NC ? j1 - j0 : SG_NC;
    float *bp = tg_gemm_buf(1, (size_t)((ncb + SG_NR - 1) / SG_NR * SG_NR * kcb) * sizeof(float));
    float *ap = tg_gemm_buf(0, (size_t)((SG_MC + SG_MR - 1) / SG_MR * SG_MR * kcb) * sizeof(float));
    if (!ap || !bp)
        return -2;
    for (int64_t jc = j0; jc < j1; jc += SG_NC) {
        int64_t nc = j1 - jc < SG_NC ? j1 - jc : SG_NC;
        for (int64_t pc = 0; pc < g->k; pc += kcb) {
            int64_t kc = g->k - pc < kcb ? g->k - pc : kcb;
            sg_pack_b_block(g, pc, kc, jc, nc, bp);
            for (int64_t ic = i0; ic < i1; ic += SG_MC) {
                int64_t mc = i1 - ic < SG_MC ? i1 - ic : SG_MC;
                if (!g->inplace_a)
                    sg_pack_a(g, ic, mc, pc, kc, ap);
                sg_macro(g, ap, bp, ic, mc, jc, nc, pc, kc);
            }
        }
    }
    return 0;
}

static inline float sg_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/* Rows i0..i1 of a skinny C (N < 16) as dot products along k, all 8 lanes
   busy (the 16-wide tile would fill 10 of 16 for N = 10): A's rows and the
   columns of B (g->bt: row j = column j of op(B)) are both contiguous in k.
   Blocks of 2 rows x 5 columns: 10 accumulators, 7 loads per 10 FMAs. */
static void sg_dot_rows(const sg_ctx *g, int64_t i0, int64_t i1)
{
    int64_t k = g->k, n = g->n, k8 = k / 8 * 8;
    __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k - k8)),
                                      _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (int64_t i = i0; i < i1; i += 2) {
        int rows = i1 - i < 2 ? 1 : 2;
        const float *ar[2] = {g->a + i * g->rsa, g->a + (i + rows - 1) * g->rsa};
        for (int64_t j = 0; j < n; j += 5) {
            int cols = n - j < 5 ? (int)(n - j) : 5;
            const float *bc[5];
            for (int q = 0; q < 5; ++q) /* columns past the edge re-read column j */
                bc[q] = g->bt + (j + (q < cols ? q : 0)) * k;
            __m256 acc[2][5];
#pragma GCC unroll 10
            for (int q = 0; q < 10; ++q)
                acc[q / 5][q % 5] = _mm256_setzero_ps();
            for (int64_t p = 0; p < k8; p += 8) {
                __m256 a0 = _mm256_loadu_ps(ar[0] + p), a1 = _mm256_loadu_ps(ar[1] + p);
#pragma GCC unroll 5
                for (int q = 0; q < 5; ++q) {
                    __m256 bv = _mm256_loadu_ps(bc[q] + p);
                    acc[0][q] = _mm256_fmadd_ps(a0, bv, acc[0][q]);
                    acc[1][q] = _mm256_fmadd_ps(a1, bv, acc[1][q]);
                }
            }
            if (k8 < k) { /* the k % 8 tail, masked: nothing past the rows is read */
                __m256 a0 = _mm256_maskload_ps(ar[0] + k8, tail),
                       a1 = _mm256_maskload_ps(ar[1] + k8, tail);
#pragma GCC unroll 5
                for (int q = 0; q < 5; ++q) {
                    __m256 bv = _mm256_maskload_ps(bc[q] + k8, tail);
                    acc[0][q] = _mm256_fmadd_ps(a0, bv, acc[0][q]);
                    acc[1][q] = _mm256_fmadd_ps(a1, bv, acc[1][q]);
                }
            }
            for (int r = 0; r < rows; ++r)
                for (int q = 0; q < cols; ++q) {
                    float v = sg_hsum(acc[r][q]);
                    if (g->bias)
                        v += g->bias[j + q];
                    g->c[(i + r) * n + j + q] = v;
                }
        }
    }
}

/* part t of nparts: a range of whole micro-tiles along the split dimension */
static void sg_parts(void *vc, int64_t lo, int64_t hi)
{
    sg_ctx *g = vc;
    for (int64_t t = lo; t < hi; ++t) {
        int64_t len = g->split_n ? g->n : g->m, unit = g->split_n ? SG_NR : SG_MR;
        int64_t tiles = (len + unit - 1) / unit;
        int64_t s0 = tiles * t / g->nparts * unit, s1 = tiles * (t + 1) / g->nparts * unit;
        if (s1 > len)
            s1 = len;
        if (s0 < s1 && (g->split_n ? sg_block(g, 0, g->m, s0, s1) : sg_block(g, s0, s1, 0, g->n)))
            g->status = -2;
    }
}

/* rows 2*lo .. 2*hi of a skinny C as dot products (tasks of row pairs) */
static void sg_dot_task(void *vc, int64_t lo, int64_t hi)
{
    const sg_ctx *g = vc;
    sg_dot_rows(g, 2 * lo, 2 * hi < g->m ? 2 * hi : g->m);
}

/* One float32 C = op(A) op(B) + bias; C is written, never read first. */
static int sg_gemm(const float *a, const float *b, const float *bias, int64_t m, int64_t n,
                   int64_t k, int ta, int tb, float *c, int parallel)
{
    sg_ctx g = {.a = a, .b = b, .rsa = ta ? 1 : k, .csa = ta ? m : 1, .rsb = tb ? 1 : n,
                .csb = tb ? k : 1, .c = c, .m = m, .n = n, .k = k, .bias = bias};
    /* skinny (N = 10 fills 10 of the 16 lanes): the long operand A is read
       in place instead of packed, and threads split its rows */
    g.inplace_a = n < SG_NR;
    /* few rows: each B panel would serve few micro-tiles, so packing B costs
       more than it saves when B's rows are contiguous (32x784x512: 0.76x of
       numpy packed) */
    g.inplace_b = m <= SG_SMALL_M && tb == 0;
    if (k == 0) { /* empty sum: C = bias */
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j)
                c[i * n + j] = bias ? bias[j] : 0.0f;
        return 0;
    }
    if (g.inplace_a && g.csa == 1) {
        /* skinny with A's rows contiguous: dot products; op(B)^T is B itself
           for x @ w.T (the linear layer), else a small transposed copy */
        if (tb) {
            g.bt = b;
        } else {
            float *t = tg_gemm_buf(1, (size_t)(n * k) * sizeof(float));
            if (!t)
                return -2;
            for (int64_t p = 0; p < k; ++p)
                for (int64_t j = 0; j < n; ++j)
                    t[j * k + p] = b[p * n + j];
            g.bt = t;
        }
    }
    int nt = parallel ? tg_threads() : 1;
    int64_t fma = m * n * k;
    /* rows of dot products: nothing is packed, so tasks cost only their
       claim; 4 per thread, so a worker that wakes late or loses its core
       leaves most of the rows to the caller */
    if (g.bt) {
        int64_t pairs = (m + 1) / 2, tasks = 4 * (int64_t)nt;
        if (nt > 1 && fma >= SG_PAR_MIN)
            tg_parallel_for(pairs, pairs < tasks ? pairs : tasks, sg_dot_task, &g);
        else
            sg_dot_rows(&g, 0, m);
        return 0;
    }
    if (nt <= 1 || fma < SG_PAR_MIN)
        return sg_block(&g, 0, m, 0, n);
    /* split the dimension whose operand is cheaper to pack twice: each thread
       packs all of the other operand (A when columns are split) */
    g.split_n = m <= n && !g.inplace_a;
    g.nparts = nt;
    tg_parallel_for(nt, nt, sg_parts, &g);
    return g.status;
}

#undef SG_MR
#undef SG_NR
#undef SG_KC
#undef SG_MC
#undef SG_NC
#undef SG_SMALL_M
#undef SG_PAR_MIN
