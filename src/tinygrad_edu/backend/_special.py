"""Special functions of the specification backend, on any array module ``xp``
(numpy here, CuPy for its backend): W. J. Cody's erf and erfc (SPECFUN's CALERF)
and GELU (exact and tanh-approximated) with their derivatives. Functions that
need erf (functions/elementwise.Erf, math_ops.Erfc, special.Erfinv) use these."""
import math

# W. J. Cody's rational approximations of erf and erfc (Math. Comp. 23 (1969) 631-638;
# the coefficients of his SPECFUN routine CALERF), good to ~1e-16 relative in float64.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)


def _cody(y, num, den):
    """num(y) / den(y) in Cody's order: num[-1] leads, den is monic."""
    n, d = num[-1] * y, y
    for a, b in zip(num[:len(den) - 1], den[:-1]):
        n, d = (n + a) * y, (d + b) * y
    return (n + num[len(den) - 1]) / (d + den[-1])


def erfc_tail(xp, y):
    """erfc(y) for float64 y >= 0.46875 (values below are clipped up): exp(-y^2) R(y)
    to 4, exp(-y^2) (1/sqrt(pi) - R(1/y^2)/y^2) / y beyond (erfc is 0 in float64 from
    26.6, so y is clipped at 27)."""
    mid_y, far_y = xp.clip(y, 0.46875, 4.0), xp.clip(y, 4.0, 27.0)
    z = 1.0 / (far_y * far_y)
    far = (0.56418958354775628695 - z * _cody(z, _ERFC_P, _ERFC_Q)) / far_y
    near = y <= 4.0
    r, t = xp.where(near, _cody(mid_y, _ERFC_C, _ERFC_D), far), xp.where(near, mid_y, far_y)
    # exp(-t^2) as exp(-s^2) exp(-(t-s)(t+s)) with s = t rounded down to 1/16: s^2 is
    # exact, so the rounding error of t^2 (amplified by exp) is avoided (Cody's trick)
    s = xp.trunc(t * 16.0) / 16.0
    return xp.exp(-s * s) * xp.exp(-(t - s) * (t + s)) * r


def erf_array(xp, x):
    """erf of a float array, computed in float64 and returned in x's dtype: x R(x^2)
    below |x| = 0.46875, sign(x) (1 - erfc_tail(|x|)) above (each range evaluated on
    a clipped copy, so no branch overflows, then selected)."""
    x64 = x.astype(xp.float64)
    y = xp.abs(x64)
    small = x64 * _cody(xp.minimum(y, 0.46875) ** 2, _ERF_A, _ERF_B)
    out = xp.where(y <= 0.46875, small, xp.copysign(1.0 - erfc_tail(xp, y), x64))
    return out.astype(x.dtype, copy=False)


_SQRT1_2, _INV_SQRT_2PI = math.sqrt(0.5), 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_PI, _KAPPA = math.sqrt(2.0 / math.pi), 0.044715


def gelu(xp, x):
    """x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))), PyTorch's formula, in x's dtype."""
    return 0.5 * x * (1.0 + erf_array(xp, x * x.dtype.type(_SQRT1_2)))


def gelu_grad(xp, g, x):
    """g (Phi(x) + x phi(x)): GELU's derivative times g."""
    t = x.dtype.type
    cdf = 0.5 * (1.0 + erf_array(xp, x * t(_SQRT1_2)))
    return g * (cdf + x * xp.exp(t(-0.5) * x * x) * t(_INV_SQRT_2PI))


def gelu_tanh(xp, x):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in x's dtype."""
    t = x.dtype.type
    return 0.5 * x * (1.0 + xp.tanh(t(_SQRT_2_PI) * (x + t(_KAPPA) * x * x * x)))


def gelu_tanh_grad(xp, g, x):
    """g times the tanh approximation's derivative, 0.5 (1 + t) + 0.5 x (1 - t^2) u'."""
    c = x.dtype.type
    th = xp.tanh(c(_SQRT_2_PI) * (x + c(_KAPPA) * x * x * x))
    du = c(_SQRT_2_PI) * (1.0 + c(3 * _KAPPA) * x * x)
    return g * (0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du)
