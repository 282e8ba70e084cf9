/* GEMM template (float64, and float32 in builds without AVX2/FMA): BLIS-style
   loops around a register-blocked micro-kernel.
   Both operands are packed into contiguous panels first, which also turns
   the transposed cases into the plain one. The micro-kernel uses GCC vector
   extensions: AVX2/FMA code under -mavx2 -mfma, SSE2 otherwise. */

/* 2 x MR accumulators must fit the 16 vector registers: 32-byte vectors
   only when AVX provides 32-byte registers */
#ifdef __AVX__
#define TG_VBYTES 32
#else
#define TG_VBYTES 16
#endif
typedef T TG_FN(vec) __attribute__((vector_size(TG_VBYTES)));
#define VEC TG_FN(vec)
enum { TG_FN(VL) = TG_VBYTES / sizeof(T) };
#define VL TG_FN(VL)
#define MR 6
#define NR (2 * VL)
/* KC x NR of B (16 KiB f32) and MR x KC of A stay in L1; MC x KC of A in
   L2; KC x NC of B in L3. */
#define KC 256
#define MC 96
#define NC (4096 / (int64_t)sizeof(T))

typedef struct {
    const T *a, *bp;
    int64_t m, k, rsa, csa; /* element (i, p) of op(a) is a[i*rsa + p*csa] */
    int64_t pc, kc, jc, nc, nsplit, npanels;
    T *c;
    int64_t ldc;
    int status;
} TG_FN(gemm_ctx);

static void TG_FN(micro)(int64_t kc, const T *ap, const T *bp, T *c, int64_t ldc,
                         int64_t mr, int64_t nr, int first)
{
    VEC acc[MR][2];
    memset(acc, 0, sizeof acc);
    for (int64_t p = 0; p < kc; ++p) {
        VEC b0, b1;
        memcpy(&b0, bp, sizeof b0);
        memcpy(&b1, bp + VL, sizeof b1);
#pragma GCC unroll 6
        for (int i = 0; i < MR; ++i) {
            acc[i][0] += ap[i] * b0;
            acc[i][1] += ap[i] * b1;
        }
        ap += MR;
        bp += NR;
    }
    T tile[MR][NR];
    memcpy(tile, acc, sizeof tile);
    for (int64_t i = 0; i < mr; ++i)
        for (int64_t j = 0; j < nr; ++j)
            c[i * ldc + j] = first ? tile[i][j] : c[i * ldc + j] + tile[i][j];
}

/* ap[panel][p][MR]: rows i0..i0+mc of op(a), cols pc..pc+kc, zero-padded */
static void TG_FN(pack_a)(const TG_FN(gemm_ctx) *g, int64_t i0, int64_t mc, T *ap)
{
    for (int64_t ir = 0; ir < mc; ir += MR)
        for (int64_t p = 0; p < g->kc; ++p)
            for (int64_t i = 0; i < MR; ++i, ++ap)
                *ap = ir + i < mc
                          ? g->a[(i0 + ir + i) * g->rsa + (g->pc + p) * g->csa]
                          : 0;
}

static void TG_FN(pack_b)(const T *b, int64_t rsb, int64_t csb, int64_t pc,
                          int64_t kc, int64_t jc, int64_t nc, T *bp)
{
    for (int64_t jr = 0; jr < nc; jr += NR)
        for (int64_t p = 0; p < kc; ++p)
            for (int64_t j = 0; j < NR; ++j, ++bp)
                *bp = jr + j < nc ? b[(pc + p) * rsb + (jc + jr + j) * csb] : 0;
}

/* task t = (MC block of rows, slice of the NR panels of the packed B) */
static void TG_FN(gemm_tasks)(void *vc, int64_t lo, int64_t hi)
{
    TG_FN(gemm_ctx) *g = vc;
    T *ap = tg_scratch(0, (size_t)MC * (size_t)g->kc * sizeof(T));
    if (!ap) {
        g->status = -2;
        return;
    }
    for (int64_t t = lo; t < hi; ++t) {
        int64_t ic = t / g->nsplit * MC, s = t % g->nsplit;
        int64_t mc = g->m - ic < MC ? g->m - ic : MC;
        int64_t p0 = g->npanels * s / g->nsplit, p1 = g->npanels * (s + 1) / g->nsplit;
        TG_FN(pack_a)(g, ic, mc, ap);
        for (int64_t jp = p0; jp < p1; ++jp) {
            int64_t jr = jp * NR, nr = g->nc - jr < NR ? g->nc - jr : NR;
            for (int64_t ir = 0; ir < mc; ir += MR)
                TG_FN(micro)(g->kc, ap + ir * g->kc, g->bp + jr * g->kc,
                             g->c + (ic + ir) * g->ldc + g->jc + jr, g->ldc,
                             mc - ir < MR ? mc - ir : MR, nr, g->pc == 0);
        }
    }
}

static int TG_FN(gemm_one)(const T *a, const T *b, int64_t m, int64_t n, int64_t k,
                           int ta, int tb, T *c, int parallel)
{
    if (k == 0) {
        memset(c, 0, (size_t)(m * n) * sizeof(T));
        return 0;
    }
    int64_t ncmax = n < NC ? n : NC, kcmax = k < KC ? k : KC;
    /* slot 1 of the calling thread: gemm_tasks on the same thread uses slot 0 */
    T *bp = tg_scratch(1, (size_t)((ncmax + NR - 1) / NR * NR) * (size_t)kcmax * sizeof(T));
    if (!bp)
        return -2;
    TG_FN(gemm_ctx) g = {.a = a, .bp = bp, .m = m, .k = k, .rsa = ta ? 1 : k,
                         .csa = ta ? m : 1, .c = c, .ldc = n};
    /* multiply-adds are cheap next to a fork/join: on 2 cores two threads only
       paid off from about 256^3 (measured); below that stay serial, and then
       also skip the column split that only serves load balancing */
    if (m * ncmax * kcmax / TG_GEMM_PAR_SCALE < TG_PAR_MIN)
        parallel = 0;
    int64_t mblocks = (m + MC - 1) / MC, nt = parallel ? tg_threads() : 1;
    for (g.jc = 0; g.jc < n && g.status == 0; g.jc += NC) {
        g.nc = n - g.jc < NC ? n - g.jc : NC;
        g.npanels = (g.nc + NR - 1) / NR;
        /* ~4 tasks per thread (splitting columns too) so dynamic scheduling
           can even out a thread that is descheduled */
        g.nsplit = nt == 1 || mblocks >= 4 * nt ? 1 : (4 * nt + mblocks - 1) / mblocks;
        if (g.nsplit > g.npanels)
            g.nsplit = g.npanels;
        for (g.pc = 0; g.pc < k && g.status == 0; g.pc += KC) {
            g.kc = k - g.pc < KC ? k - g.pc : KC;
            TG_FN(pack_b)(b, tb ? 1 : n, tb ? k : 1, g.pc, g.kc, g.jc, g.nc, bp);
            int64_t work = parallel ? m * g.nc * g.kc / TG_GEMM_PAR_SCALE : 0;
            tg_par_tasks(mblocks * g.nsplit, work, TG_FN(gemm_tasks), &g);
        }
    }
    return g.status;
}

/* gemm.c's batch driver calls every path through this signature; the bias of
   the linear layer is added row by row after the product (the AVX2 float32
   GEMM adds it while storing instead) */
__attribute__((unused)) static int TG_FN(gemm_generic)(const void *a, const void *b,
                                                       const void *bias, int64_t m, int64_t n,
                                                       int64_t k, int ta, int tb, void *c,
                                                       int parallel)
{
    int st = TG_FN(gemm_one)(a, b, m, n, k, ta, tb, c, parallel);
    T *row = c;
    for (int64_t i = 0; st == 0 && bias && i < m; ++i, row += n)
        for (int64_t j = 0; j < n; ++j)
            row[j] += ((const T *)bias)[j];
    return st;
}

#undef VEC
#undef TG_VBYTES
#undef VL
#undef MR
#undef NR
#undef KC
#undef MC
#undef NC
