/* Packing for gemm_avx2.h (included there, after sg_ctx and SG_MR/SG_NR):
   panels of op(A) and op(B) copied into the micro-kernel's order, zero-
   padded at the edges; transposed operands go through 8x8 AVX transposes. */

/* r[q] = column q of the 8x8 block held in rows r[0..7] */
static inline void sg_tr8x8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]),
           t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]),
           t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]),
           t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* ap[panel][p][SG_MR]: rows ic.. ic+mc of op(A), cols pc.. pc+kc, zero-padded */
static void sg_pack_a(const sg_ctx *g, int64_t ic, int64_t mc, int64_t pc, int64_t kc,
                      float *ap)
{
    for (int64_t ir = 0; ir < mc; ir += SG_MR, ap += SG_MR * kc) {
        int64_t mr = mc - ir < SG_MR ? mc - ir : SG_MR;
        const float *a = g->a + (ic + ir) * g->rsa + pc * g->csa;
        int64_t rsa = g->rsa, csa = g->csa;
        if (mr == SG_MR && csa == 1) { /* rows of A: transpose 8-column strips */
            int64_t p = 0;
            for (; p + 8 <= kc; p += 8) {
                __m256 r[8];
                for (int i = 0; i < SG_MR; ++i)
                    r[i] = _mm256_loadu_ps(a + i * rsa + p);
                r[6] = r[7] = _mm256_setzero_ps();
                sg_tr8x8(r);
                for (int q = 0; q < 8; ++q) { /* 6 of the 8 lanes */
                    _mm_storeu_ps(ap + (p + q) * SG_MR, _mm256_castps256_ps128(r[q]));
                    _mm_storel_pi((__m64 *)(ap + (p + q) * SG_MR + 4),
                                  _mm256_extractf128_ps(r[q], 1));
                }
            }
            for (; p < kc; ++p)
                for (int i = 0; i < SG_MR; ++i)
                    ap[p * SG_MR + i] = a[i * rsa + p];
        } else if (mr == SG_MR && rsa == 1) {
            for (int64_t p = 0; p < kc; ++p)
                memcpy(ap + p * SG_MR, a + p * csa, SG_MR * sizeof(float));
        } else {
            for (int64_t p = 0; p < kc; ++p)
                for (int64_t i = 0; i < SG_MR; ++i)
                    ap[p * SG_MR + i] = i < mr ? a[i * rsa + p * csa] : 0.0f;
        }
    }
}

/* bp[panel][p][SG_NR]: rows pc.. pc+kc of op(B), cols jc.. jc+nc, zero-padded */
static void sg_pack_b(const sg_ctx *g, int64_t pc, int64_t kc, int64_t jc, int64_t nc,
                      float *bp)
{
    for (int64_t jr = 0; jr < nc; jr += SG_NR, bp += SG_NR * kc) {
        int64_t nr = nc - jr < SG_NR ? nc - jr : SG_NR;
        const float *b = g->b + pc * g->rsb + (jc + jr) * g->csb;
        int64_t rsb = g->rsb, csb = g->csb;
        if (nr == SG_NR && csb == 1) {
            for (int64_t p = 0; p < kc; ++p) {
                _mm256_store_ps(bp + p * SG_NR, _mm256_loadu_ps(b + p * rsb));
                _mm256_store_ps(bp + p * SG_NR + 8, _mm256_loadu_ps(b + p * rsb + 8));
            }
        } else if (nr == SG_NR && rsb == 1) { /* B^T: 16 contiguous rows of length kc */
            int64_t p = 0;
            for (; p + 8 <= kc; p += 8)
                for (int h = 0; h < 2; ++h) {
                    __m256 r[8];
                    for (int j = 0; j < 8; ++j)
                        r[j] = _mm256_loadu_ps(b + (h * 8 + j) * csb + p);
                    sg_tr8x8(r);
                    for (int q = 0; q < 8; ++q)
                        _mm256_store_ps(bp + (p + q) * SG_NR + h * 8, r[q]);
                }
            for (; p < kc; ++p)
                for (int64_t j = 0; j < SG_NR; ++j)
                    bp[p * SG_NR + j] = b[j * csb + p];
        } else {
            for (int64_t p = 0; p < kc; ++p)
                for (int64_t j = 0; j < SG_NR; ++j)
                    bp[p * SG_NR + j] = j < nr ? b[p * rsb + j * csb] : 0.0f;
        }
    }
}

/* B's columns jc..jc+nc of the k-block into bp: all of them, or with B read in
   place only the partial panel at the end */
static void sg_pack_b_block(const sg_ctx *g, int64_t pc, int64_t kc, int64_t jc, int64_t nc,
                            float *bp)
{
    if (!g->inplace_b)
        sg_pack_b(g, pc, kc, jc, nc, bp);
    else if (nc % SG_NR)
        sg_pack_b(g, pc, kc, jc + nc / SG_NR * SG_NR, nc % SG_NR, bp + nc / SG_NR * SG_NR * kc);
}
