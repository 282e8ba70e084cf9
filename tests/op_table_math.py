"""op_table rows for issue 18's elementwise math (tinygrad_edu.tensor_math_extra), the
activations of nn.functional_act and the smaller vocabulary (addcmul, rsub, alpha=, in-place
forms on non-leaves...), each against numpy. Activations with corners are shifted
onto a domain that keeps away from them (hardswish(x + 3) on ``nonzero``...).

Domains keep finite differences off the kinks: inverse trigonometry on ``unit``, logs
on ``pos``, two-input ops off their singular points (atan2 and hypot away from the
origin). Rounding and division with a rounding mode have zero gradients: their rows
check that the Jacobian is zero (finite differences see flat steps)."""
import math

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
import strategies as S

U = S.shapes(allow_zero=True).map(lambda s: ((s,), {}))
B = S.pairs_of_broadcastable(allow_zero=True).map(lambda ss: (ss, {}))
T = S.triples_of_broadcastable().map(lambda ss: (ss, {}))
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _erfinv_scalar(y):
    """erfinv by Newton on libm's erf from 0 (erf is concave on x > 0, so the iterates
    rise monotonically to the root): a reference independent of tg's erf."""
    x, a = 0.0, abs(y)
    for _ in range(100):
        step = (a - math.erf(x)) / (2 / math.sqrt(math.pi) * math.exp(-x * x))
        x += step
        if step <= 1e-17 * x:
            break
    return math.copysign(x, y)


_erfinv = np.vectorize(_erfinv_scalar, otypes=[np.float64])


def _like(f):
    """f computed in float64, returned in the first input's dtype (as the op's result)."""
    return lambda *xs, **kw: np.asarray(f(*[x.astype(np.float64) for x in xs], **kw)).astype(
        xs[0].dtype)


def _round_np(x, decimals):
    return np.round(x, decimals)


def _lerp_np(s, e, w):
    return np.where(np.abs(w) < 0.5, s + w * (e - s), e - (e - s) * (1 - w))


@st.composite
def round_args(draw):
    return (draw(S.shapes(allow_zero=True)),), {"decimals": draw(st.sampled_from([0, -1]))}


def math_rows(Row):
    return [
        Row("log2", lambda x: tg.log2(x), np.log2, U, "pos", smooth=True),
        Row("log10", lambda x: x.log10(), np.log10, U, "pos", smooth=True),
        Row("log1p", lambda x: tg.log1p(x), np.log1p, U, "unit", smooth=True),
        Row("exp2", lambda x: x.exp2(), np.exp2, U, smooth=True),
        Row("expm1", lambda x: tg.expm1(x), np.expm1, U, smooth=True),
        Row("rsqrt", lambda x: tg.rsqrt(x), lambda x: 1 / np.sqrt(x), U, "pos", smooth=True),
        Row("reciprocal", lambda x: x.reciprocal(), np.reciprocal, U, "nonzero", smooth=True),
        Row("square", lambda x: tg.square(x), np.square, U, smooth=True),
        Row("float_power", lambda a, b: tg.float_power(a, b),
            lambda a, b: np.power(a.astype(np.float64), b.astype(np.float64)), B, ("pos", "any"),
            smooth=True, out_dtype="float64"),
        Row("tan", lambda x: tg.tan(x), np.tan, U, "unit", smooth=True),
        Row("asin", lambda x: tg.asin(x), np.arcsin, U, "unit", smooth=True),
        Row("arcsin", lambda x: x.arcsin(), np.arcsin, U, "unit"),
        Row("acos", lambda x: x.acos(), np.arccos, U, "unit", smooth=True),
        Row("atan", lambda x: tg.atan(x), np.arctan, U, smooth=True),
        Row("atan2", lambda a, b: tg.atan2(a, b), np.arctan2, B, ("nonzero", "any"),
            smooth=True),
        Row("sinh", lambda x: tg.sinh(x), np.sinh, U, smooth=True),
        Row("cosh", lambda x: x.cosh(), np.cosh, U, smooth=True),
        Row("asinh", lambda x: tg.asinh(x), np.arcsinh, U, smooth=True),
        Row("acosh", lambda x: tg.acosh(x + 1.0), lambda x: np.arccosh(x + 1.0), U, "pos",
            smooth=True),
        Row("atanh", lambda x: x.atanh(), np.arctanh, U, "unit", smooth=True),
        Row("sinc", lambda x: tg.sinc(x), np.sinc, U, "nonzero", smooth=True),
        Row("erfc", lambda x: tg.erfc(x), _like(_erfc), U, smooth=True),
        Row("erfinv", lambda x: tg.erfinv(x), _like(_erfinv), U, "unit", smooth=True),
        Row("floor", lambda x: tg.floor(x * 2.0), lambda x: np.floor(x * 2.0), U, "nonzero"),
        Row("ceil", lambda x: x.ceil(), np.ceil, U, "nonzero"),
        Row("trunc", lambda x: tg.trunc(x), np.trunc, U, "nonzero"),
        Row("fix", lambda x: x.fix(), np.trunc, U, "nonzero"),
        Row("round", lambda x, decimals: tg.round(x, decimals=decimals), _round_np,
            round_args(), "nonzero"),
        Row("frac", lambda x: tg.frac(x * 1.5), lambda x: x * 1.5 - np.trunc(x * 1.5), U,
            "nonzero"),
        Row("div_floor", lambda a, b: tg.div(a, b, rounding_mode="floor"), np.floor_divide, B,
            ("any", "pos")),
        Row("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"),
            lambda a, b: np.trunc(a / b), B, ("any", "pos")),
        Row("remainder", lambda a, b: tg.remainder(a, b), np.remainder, B, ("any", "pos")),
        Row("remainder_scalar", lambda x: x.remainder(0.7), lambda x: np.remainder(x, 0.7), U),
        Row("fmod", lambda a, b: tg.fmod(a, b), np.fmod, B, ("any", "pos")),
        Row("copysign", lambda a, b: tg.copysign(a, b), np.copysign, B, ("nonzero", "nonzero")),
        Row("logaddexp", lambda a, b: tg.logaddexp(a, b), np.logaddexp, B, smooth=True),
        Row("hypot", lambda a, b: tg.hypot(a, b), np.hypot, B, ("nonzero", "any"), smooth=True),
        Row("xlogy", lambda a, b: tg.xlogy(a, b), lambda a, b: a * np.log(b), B, ("any", "pos"),
            smooth=True),
        Row("lerp", lambda s, e, w: tg.lerp(s, e, w), _lerp_np, T, smooth=True),
        Row("lerp_scalar", lambda s, e: s.lerp(e, 0.75), lambda s, e: _lerp_np(s, e, 0.75), B),
        Row("nan_to_num", lambda x: tg.nan_to_num(tg.log(x)), lambda x: np.log(x), U, "pos"),
    ]


_SA, _SS = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _elu_np(x, alpha=1.0, s=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / s))


def _softplus_np(x, beta):
    return np.where(x * beta > 20, x, np.log1p(np.exp(np.minimum(x * beta, 20))) / beta)


def _hsig_np(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _softmin_np(x, dim):
    e = np.exp(-x - (-x).max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@st.composite
def dim_args(draw):
    shape, dim = draw(S.shape_and_dim(min_dims=1, allow_none=False, allow_tuple=False))
    return (shape,), {"dim": dim}


@st.composite
def glu_args(draw):
    shape, dim = draw(S.shape_and_dim(min_dims=1, max_side=3, max_numel=24, allow_none=False,
                                      allow_tuple=False))
    shape = tuple(2 * s if i == dim % len(shape) else s for i, s in enumerate(shape))
    return (shape,), {"dim": dim}


def _glu_np(x, dim):
    a, b = np.split(x, 2, axis=dim)
    return a / (1 + np.exp(-b))


@st.composite
def prelu_args(draw):
    shape = draw(S.shapes(max_dims=4))
    c = shape[1] if len(shape) >= 2 else 1
    return (shape, (draw(st.sampled_from([1, c])),)), {}


def _prelu_np(x, w):
    w = w.reshape(()) if w.size == 1 else w.reshape((1, -1) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, w * x)


def act_rows(Row):
    return [
        Row("elu", lambda x: F.elu(x), _elu_np, U, "nonzero", smooth=True),
        Row("selu", lambda x: F.selu(x), lambda x: _SS * _elu_np(x, _SA), U, "nonzero",
            smooth=True),
        Row("celu", lambda x: F.celu(x, 2.0), lambda x: _elu_np(x, 2.0, 2.0), U, "nonzero",
            smooth=True),
        Row("softplus", lambda x: F.softplus(x, beta=2.0), lambda x: _softplus_np(x, 2.0), U,
            smooth=True),
        Row("softplus_threshold", lambda x: F.softplus(x * 20.0, threshold=10.0),
            lambda x: np.where(x * 20 > 10, x * 20, np.log1p(np.exp(np.minimum(x * 20, 10)))),
            U, "clamp"),
        Row("softsign", lambda x: F.softsign(x), lambda x: x / (1 + np.abs(x)), U, "nonzero",
            smooth=True),
        Row("mish", lambda x: F.mish(x), lambda x: x * np.tanh(_softplus_np(x, 1.0)), U,
            smooth=True),
        Row("hardswish", lambda x: F.hardswish(x + 3.0), lambda x: (x + 3) * _hsig_np(x + 3),
            U, "nonzero"),
        Row("hardsigmoid", lambda x: F.hardsigmoid(x - 3.0), lambda x: _hsig_np(x - 3), U,
            "nonzero"),
        Row("hardtanh", lambda x: F.hardtanh(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), U,
            "clamp"),
        Row("relu6", lambda x: F.relu6(x * 6.0 + 3.0), lambda x: np.clip(x * 6 + 3, 0, 6), U,
            "clamp"),
        Row("logsigmoid", lambda x: F.logsigmoid(x), lambda x: -np.logaddexp(0, -x), U,
            smooth=True),
        Row("softmin", lambda x, dim: F.softmin(x, dim), _softmin_np, dim_args(), smooth=True),
        Row("glu", lambda x, dim: F.glu(x, dim), _glu_np, glu_args(), smooth=True),
        Row("prelu", lambda x, w: F.prelu(x, w), _prelu_np, prelu_args(), ("nonzero", "any")),
        Row("threshold", lambda x: F.threshold(x, 0.5, -2.0),
            lambda x: np.where(x > 0.5, x, -2.0), U, "clamp"),
        Row("tanhshrink", lambda x: F.tanhshrink(x), lambda x: x - np.tanh(x), U, smooth=True),
        Row("hardshrink", lambda x: F.hardshrink(x), lambda x: np.where(np.abs(x) > 0.5, x, 0),
            U, "clamp"),
        Row("softshrink", lambda x: F.softshrink(x),
            lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)), U, "clamp"),
    ]


M2 = S.shapes(min_dims=2, allow_zero=True).map(lambda s: ((s,), {}))


def _on_copy(method, *args, **kw):
    """x -> (x * 1.0).method(*args): an in-place op on a non-leaf, recorded by _commit."""
    def fn(x):
        y = x * 1.0
        out = getattr(y, method)(*[x if a == "x" else a for a in args], **kw)
        assert out is y
        return y
    return fn


def vocab_rows(Row):
    """Rows for the smaller vocabulary (tensor_vocab.py) and the in-place forms
    (tensor_inplace_math.py) differentiated through _commit."""
    return [
        Row("addcmul", lambda a, b, c: tg.addcmul(a, b, c, value=-1.5),
            lambda a, b, c: a + -1.5 * b * c, T, smooth=True),
        Row("addcmul_method", lambda a, b, c: a.addcmul(b, c), lambda a, b, c: a + b * c, T),
        Row("addcdiv", lambda a, b, c: tg.addcdiv(a, b, c, value=0.5),
            lambda a, b, c: a + 0.5 * b / c, T, ("any", "any", "pos"), smooth=True),
        Row("addcdiv_method", lambda a, b, c: a.addcdiv(b, c), lambda a, b, c: a + b / c, T,
            ("any", "any", "pos")),
        Row("rsub_fn", lambda a, b: tg.rsub(a, b, alpha=2.5), lambda a, b: b - 2.5 * a, B),
        Row("rsub_scalar_fn", lambda x: tg.rsub(x, 1.5), lambda x: 1.5 - x, U),
        Row("add_alpha", lambda a, b: a.add(b, alpha=-0.5), lambda a, b: a - 0.5 * b, B),
        Row("add_alpha_fn", lambda a, b: tg.add(a, b, alpha=2), lambda a, b: a + 2 * b, B),
        Row("sub_alpha", lambda a, b: tg.sub(a, b, alpha=3), lambda a, b: a - 3 * b, B),
        Row("subtract", lambda a, b: tg.subtract(a, b, alpha=0.5), lambda a, b: a - 0.5 * b,
            B),
        Row("neg_fn", lambda x: tg.neg(x), np.negative, U),
        Row("negative", lambda x: x.negative(), np.negative, U),
        Row("absolute", lambda x: tg.absolute(x), np.abs, U, "nonzero"),
        Row("sgn", lambda x: x.sgn(), np.sign, U, "nonzero"),
        Row("clamp_min", lambda x: tg.clamp_min(x, -0.5), lambda x: np.maximum(x, -0.5), U,
            "clamp"),
        Row("clamp_max_method", lambda x: x.clamp_max(0.5), lambda x: np.minimum(x, 0.5), U,
            "clamp"),
        Row("clamp_min_tensor", lambda a, b: a.clamp_min(b), np.maximum, B, "distinct"),
        Row("reshape_as", lambda x: x.reshape_as(x.reshape(-1)), lambda x: x.reshape(-1), U),
        Row("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), M2),
        Row("mH", lambda x: x.mH * 2.0, lambda x: np.swapaxes(x, -1, -2) * 2.0, M2),
        Row("exp_inplace", _on_copy("exp_"), np.exp, U, smooth=True),
        Row("pow_inplace", _on_copy("pow_", 3), lambda x: x ** 3, U, smooth=True),
        Row("clamp_inplace", _on_copy("clamp_", -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), U,
            "clamp"),
        Row("addcmul_inplace", _on_copy("addcmul_", "x", "x", value=0.5),
            lambda x: x + 0.5 * x * x, U, smooth=True),
        Row("sub_alpha_inplace", _on_copy("sub_", "x", alpha=0.25), lambda x: 0.75 * x, U),
        Row("neg_inplace", _on_copy("neg_"), np.negative, U),
    ]


REQUIRED_MATH = """log2 log10 log1p exp2 expm1 rsqrt reciprocal square float_power tan asin acos
atan atan2 sinh cosh asinh acosh atanh sinc erfc erfinv floor ceil trunc round frac div_floor
div_trunc remainder fmod copysign logaddexp hypot xlogy lerp nan_to_num elu selu celu softplus
softsign mish hardswish hardsigmoid hardtanh relu6 logsigmoid softmin glu prelu threshold tanhshrink
hardshrink softshrink addcmul addcdiv rsub_fn add_alpha sub_alpha subtract neg_fn negative
absolute sgn clamp_min clamp_max_method reshape_as mT mH exp_inplace addcmul_inplace""".split()


def rows(Row):
    """The rows, built with op_table's Row class."""
    return math_rows(Row) + act_rows(Row) + vocab_rows(Row)
