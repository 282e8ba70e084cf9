/* Elementwise template, expanded per dtype by instantiate.h. */
#include "vexp_t.h"
#include "vmath_t.h"
#include "verf_t.h"

static T TG_FN(sigmoid1)(T v)
{
    /* exp of a non-positive number only: no overflow for any |v|. */
    T e = TG_FN(vexp)(-TG_M(fabs)(v));
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/* GELU, x Phi(x), with Phi through erf (PyTorch's formula), and its tanh
   approximation 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); their
   derivatives Phi(x) + x phi(x) and 0.5 (1 + t) + 0.5 x (1 - t^2) u'. */
#define TG_SQRT1_2 0.70710678118654752440
#define TG_INV_SQRT_2PI 0.39894228040143267794
#define TG_SQRT_2_PI 0.79788456080286535588
static inline T TG_FN(gelu1)(T v) { return (T)0.5 * v * (1 + TG_FN(verf)(v * (T)TG_SQRT1_2)); }
static inline T TG_FN(gelu_d)(T v)
{
    return (T)0.5 * (1 + TG_FN(verf)(v * (T)TG_SQRT1_2))
           + v * TG_FN(vexp)((T)-0.5 * v * v) * (T)TG_INV_SQRT_2PI;
}
static inline T TG_FN(gelu_tanh1)(T v)
{
    return (T)0.5 * v * (1 + TG_FN(vtanh)((T)TG_SQRT_2_PI * (v + (T)0.044715 * v * v * v)));
}
static inline T TG_FN(gelu_tanh_d)(T v)
{
    const T t = TG_FN(vtanh)((T)TG_SQRT_2_PI * (v + (T)0.044715 * v * v * v));
    return (T)0.5 * (1 + t)
           + (T)0.5 * v * (1 - t * t) * (T)TG_SQRT_2_PI * (1 + (T)(3 * 0.044715) * v * v);
}

static void TG_FN(unary_range)(void *vc, int64_t lo, int64_t hi)
{
    const tg_ew_ctx *c = vc;
    const T *x = c->x;
    T *o = c->out;
    const T s = (T)c->param, zero = 0, one = 1;
    switch (c->op) {
    case TG_NEG: TG_LOOP1(-v);
    case TG_EXP: TG_LOOP1(TG_FN(vexp)(v));
    case TG_LOG: TG_LOOP1(TG_FN(vlog)(v));
    case TG_SQRT: TG_LOOP1(TG_M(sqrt)(v));
    case TG_ABS: TG_LOOP1(TG_M(fabs)(v));
    case TG_TANH: TG_LOOP1(TG_FN(vtanh)(v));
    case TG_SIGMOID: TG_LOOP1(TG_FN(sigmoid1)(v));
    /* NaN propagates, as np.maximum(x, 0) does */
    case TG_RELU: TG_LOOP1((v >= zero || v != v) ? v : zero);
    case TG_LEAKY_RELU: TG_LOOP1(v > zero ? v : v * s);
    case TG_STEP: TG_LOOP1(v > zero ? one : zero);
    case TG_ERF: TG_LOOP1(TG_FN(verf)(v));
    case TG_GELU: TG_LOOP1(TG_FN(gelu1)(v));
    case TG_GELU_TANH: TG_LOOP1(TG_FN(gelu_tanh1)(v));
    }
}

static void TG_FN(binary_range)(void *vc, int64_t lo, int64_t hi)
{
    const tg_ew_ctx *c = vc;
    const T *x = c->x, *y = c->y;
    T *o = c->out;
    const T s = (T)c->param, zero = 0;
    switch (c->op) {
    case TG_ADD: TG_LOOP2(u + v);
    case TG_SUB: TG_LOOP2(u - v);
    case TG_MUL: TG_LOOP2(u * v);
    case TG_DIV: TG_LOOP2(u / v);
    case TG_POW: TG_LOOP2(TG_M(pow)(u, v));
    /* numpy's rule: the first operand wins ties and NaN in either wins */
    case TG_MAXIMUM: TG_LOOP2((u >= v || u != u) ? u : v);
    case TG_MINIMUM: TG_LOOP2((u <= v || u != u) ? u : v);
    case TG_RELU_BACKWARD: TG_LOOP2(v > zero ? u : zero);
    case TG_LEAKY_RELU_BACKWARD: TG_LOOP2(v > zero ? u : u * s);
    case TG_GELU_BACKWARD: TG_LOOP2(u * TG_FN(gelu_d)(v));
    case TG_GELU_TANH_BACKWARD: TG_LOOP2(u * TG_FN(gelu_tanh_d)(v));
    }
}

int TG_FN(tg_unary)(int op, double param, const T *x, int64_t n, T *out)
{
    if (op < TG_NEG || op > TG_GELU_TANH || n < 0)
        return -1;
    tg_ew_ctx c = {op, param, x, NULL, out};
    /* transcendental ops cost ~8 memory-bound loads each; the light ones are weighted
       4x like the binary ops, so both go to two threads from 64k elements */
    int heavy = op == TG_EXP || op == TG_LOG || op == TG_TANH || op == TG_SIGMOID
                || op >= TG_ERF;
    tg_par_range(n, heavy ? 8 * n : 4 * n, TG_FN(unary_range), &c);
    return 0;
}

int TG_FN(tg_binary)(int op, double param, const T *a, const T *b, int64_t n, T *out)
{
    if (op < TG_ADD || op > TG_GELU_TANH_BACKWARD || n < 0)
        return -1;
    tg_ew_ctx c = {op, param, a, b, out};
    /* weighted 4x: two threads from 64k elements, where the pool, awake between
       the kernels of a step, measured 1.3x (64k) to 1.6x (128k) one thread's speed */
    tg_par_range(n, op == TG_POW || op >= TG_GELU_BACKWARD ? 8 * n : 4 * n,
                 TG_FN(binary_range), &c);
    return 0;
}
