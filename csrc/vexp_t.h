/* exp in plain C that the compiler vectorises (libm's expf/exp is a scalar
   call, ~4x slower than numpy's SIMD exp). Included by the templates that
   need it; needs T, TI (same-width signed int) and SFX from instantiate.h.

   exp(x) = 2^k * p(r), r = x - k ln2 in [-ln2/2, ln2/2], p the Taylor
   polynomial to T's precision (degree 7 / 13: truncation < 0.1 ulp). 2^k is
   applied as two factors so results in the subnormal range round once, as
   libm's do. Branch-free: out-of-range inputs are clamped, NaN restored. */
#ifndef TG_VEXP_COEFS
#define TG_VEXP_COEFS
static const double tg_inv_fact[15] = { /* 1/k! for k = 0..14 (f64 tanh reads [14]) */
    1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
    1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
    1.0 / 6227020800.0, 1.0 / 87178291200.0};
#endif

/* r = x - k ln2 in [-ln2/2, ln2/2] and k = round(x / ln2), for |x| < 2^(mant-1)
   (also used by vmath_t.h's tanh). Cody-Waite: ln2 in two parts, so r is exact
   to T's precision. */
static inline T TG_FN(vexp_reduce)(T x, TI *k_out)
{
    const int f32 = sizeof(T) == 4;
    /* adding 1.5 * 2^mant rounds to an integer, whose bits then hold k */
    const T shift = f32 ? 12582912.0 : 6755399441055744.0;
    const T ln2hi = f32 ? 0.693359375 : 6.93147180369123816490e-01;
    const T ln2lo = f32 ? -2.12194440e-4 : 1.90821492927058770002e-10;
    T kshift = x * (T)1.44269504088896340736 + shift, kf = kshift - shift;
    TI kbits, sbits;
    memcpy(&kbits, &kshift, sizeof kbits);
    memcpy(&sbits, &shift, sizeof sbits);
    *k_out = kbits - sbits;
    return (x - kf * ln2hi) - kf * ln2lo;
}

static inline T TG_FN(vexp)(T x)
{
    const int f32 = sizeof(T) == 4, mant = f32 ? 23 : 52, bias = f32 ? 127 : 1023;
    const int degree = f32 ? 7 : 13;
    /* beyond these exp is inf / 0 anyway; the clamp keeps k in range */
    const T lo = f32 ? -104 : -746, hi = f32 ? 89 : 710;
    /* one unconditional compare per select: nested ?: would make the compares
       conditional, which -ftrapping-math forbids if-converting. Below lo the
       result is 0: those lanes compute exp(0) and are zeroed at the end, because
       an underflowing product takes a microcode assist (~100 cycles a lane),
       which made a causal softmax (half its scores -inf) 3x slower. */
    T xc = x < lo ? 0 : x;
    xc = xc > hi ? hi : xc;
    xc = x == x ? xc : 0;
    TI k;
    T r = TG_FN(vexp_reduce)(xc, &k);
    T p = (T)tg_inv_fact[degree];
#pragma GCC unroll 16
    for (int i = degree - 1; i >= 0; --i)
        p = p * r + (T)tg_inv_fact[i];
    /* k1 = floor(k / 2) with shifts that stay non-negative (AVX2 has no
       arithmetic right shift of 64-bit lanes) */
    TI k1 = ((k + 4096) >> 1) - 2048, k2 = k - k1;
    TI b1 = (k1 + bias) << mant, b2 = (k2 + bias) << mant;
    T s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    T y = p * s1 * s2;
    y = x < lo ? 0 : y;
    return x == x ? y : x;
}
