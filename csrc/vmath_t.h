/* log and tanh in plain C that the compiler vectorises (libm's logf/tanhf
   are scalar calls and lose to numpy's SIMD loops). Included after vexp_t.h
   by the templates that need them; needs T, TI and SFX from instantiate.h.
   Branch-free: special inputs are fixed by selects at the end. */

/* log(x) = e ln2 + log1p(f), 1 + f = x / 2^e in [sqrt(1/2), sqrt(2)).
   log1p(f) = f - (hf - s (hf + R)), s = f / (2 + f), hf = f^2 / 2 and
   R = sum 2 z^k / (2k + 1), z = s^2 <= 0.0295 (fdlibm's split, Taylor
   coefficients: 6 / 12 terms truncate below 0.01 ulp). Error < 1 ulp. */
static inline T TG_FN(vlog)(T x)
{
    const int f32 = sizeof(T) == 4, mant = f32 ? 23 : 52, bias = f32 ? 127 : 1023;
    const int terms = f32 ? 6 : 12;
    const T tiny = f32 ? 1.17549435e-38f : 2.2250738585072014e-308; /* smallest normal */
    const T up = f32 ? 8388608.0f : 4503599627370496.0;              /* 2^mant */
    const T ln2hi = f32 ? 0.693359375 : 6.93147180369123816490e-01;
    const T ln2lo = f32 ? -2.12194440e-4 : 1.90821492927058770002e-10;
    const T sqrt2 = (T)1.41421356237309504880;
    /* subnormals: scale into the normal range first */
    const int sub = x < tiny;
    T xs = sub ? x * up : x;
    TI bits, one_bits, mbits;
    memcpy(&bits, &xs, sizeof bits);
    const T one = 1;
    memcpy(&one_bits, &one, sizeof one_bits);
    const TI mmask = ((TI)1 << mant) - 1, emask = (TI)(2 * bias + 1) << mant;
    /* masked first, so the shift is of a non-negative value: a logical shift,
       which AVX2 has for 64-bit lanes (an arithmetic one it has not) */
    TI e = ((bits & emask) >> mant) - bias;
    mbits = (bits & mmask) | one_bits;
    T m;
    memcpy(&m, &mbits, sizeof m);
    const int big = m > sqrt2;
    m = big ? m * (T)0.5 : m;
    /* int to T by the shift trick of vexp (AVX2 cannot convert int64 lanes) */
    const T shift = f32 ? 12582912.0 : 6755399441055744.0;
    TI sbits, ebits;
    memcpy(&sbits, &shift, sizeof sbits);
    ebits = sbits + e;
    T ef;
    memcpy(&ef, &ebits, sizeof ef);
    ef = (ef - shift) + (big ? (T)1 : (T)0) - (sub ? (T)mant : (T)0);
    T f = m - 1, s = f / (2 + f), z = s * s, hf = (T)0.5 * f * f;
    T r = (T)(2.0 / (2 * terms + 1));
#pragma GCC unroll 16
    for (int k = terms - 1; k >= 1; --k)
        r = r * z + (T)(2.0 / (2 * k + 1));
    r = r * z;
    T y = ef * ln2hi - ((hf - (s * (hf + r) + ef * ln2lo)) - f);
    const T inf = (T)INFINITY;
    y = x == 0 ? -inf : y;
    y = x == inf ? inf : y;
    y = x < 0 ? (T)NAN : y;
    return x == x ? y : x;
}

/* tanh(x) = sign(x) em1 / (em1 + 2), em1 = expm1(2|x|), which is accurate
   near 0: em1 = 2^k (q + 1) - 1 = 2^k q + (2^k - 1), q = expm1(r) by its
   Taylor polynomial, r = y - k ln2 in [-ln2/2, ln2/2]. 2|x| is clamped where
   tanh is 1 to the last bit, so em1 never overflows. A few ulp. */
static inline T TG_FN(vtanh)(T x)
{
    const int f32 = sizeof(T) == 4, mant = f32 ? 23 : 52, bias = f32 ? 127 : 1023;
    const int degree = f32 ? 8 : 14;
    T a = TG_M(fabs)(x), y = 2 * a;
    y = y > (T)(f32 ? 40 : 80) ? (T)(f32 ? 40 : 80) : y; /* also catches inf */
    y = x == x ? y : 0;
    TI k;
    T r = TG_FN(vexp_reduce)(y, &k);
    /* q = r + r^2/2! + ... + r^degree/degree! */
    T q = (T)tg_inv_fact[degree];
#pragma GCC unroll 16
    for (int i = degree - 1; i >= 2; --i)
        q = q * r + (T)tg_inv_fact[i];
    q = (q * r) * r + r;
    TI b = (k + bias) << mant;
    T p2;
    memcpy(&p2, &b, sizeof p2);
    T em1 = p2 * q + (p2 - 1);
    T t = em1 / (em1 + 2);
    t = TG_M(copysign)(t, x);
    return x == x ? t : x;
}
