"""The inverse error function, erfinv, to float64 accuracy without scipy: M. Giles'
approximation ("Approximating the erfinv function", GPU Computing Gems, 2011; ~1e-7
relative; an asymptotic start where 1 - |x| < 1e-7) refined by two Halley steps on erf
or, near +-1, erfc (elementwise.py's and math_ops.py's, from Cody), which triple the
correct digits each.
"""
import math

import numpy as np

from ..autograd import Function
from .elementwise import erf_array
from .math_ops import erfc_array

# Giles' single-precision polynomials in w = -log(1 - x^2): the centre (w < 5) in
# w - 2.5, the tails in sqrt(w) - 3; highest power first
_CENTRE = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
           -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
         -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coefs, w):
    p = coefs[0]
    for c in coefs[1:]:
        p = p * w + c
    return p


def erfinv_array(xp, y):
    """erfinv of a float array, computed in float64 and returned in y's dtype: +-inf at
    +-1, NaN beyond (and for NaN), -0.0 kept."""
    y64 = y.astype(xp.float64)
    size = xp.abs(y64)
    a = xp.where(size < 1.0, size, 0.5)   # the edges and NaN are put back at the end
    with np.errstate(all="ignore"):
        rest = 1.0 - a    # exact for a >= 0.5, where erf(x) - a would cancel: use erfc there
        w = -xp.log(rest * (1.0 + a))
        x = xp.where(w < 5.0, _horner(_CENTRE, w - 2.5), _horner(_TAIL, xp.sqrt(w) - 3.0)) * a
        # Giles' tail is for float32 (w < 16.6); further out erfc(x) ~ exp(-x^2) / (x sqrt(pi))
        # solved for x^2 by two fixed-point steps is a closer start
        far = -xp.log(xp.where(w > 16.0, rest, 1e-8))
        x0 = xp.sqrt(far)
        for _ in range(2):
            x0 = xp.sqrt(far - xp.log(x0 * math.sqrt(math.pi)) + 0.5 / (x0 * x0))
        x = xp.where(w > 16.0, x0, x)
        for _ in range(2):
            # Halley on f(x) = erf(x) - a, with f' = 2/sqrt(pi) exp(-x^2), f'' = -2x f'
            f = xp.where(a <= 0.5, erf_array(xp, x) - a, rest - erfc_array(xp, x))
            step = f / (2.0 / math.sqrt(math.pi) * xp.exp(-x * x))
            x = x - step / (1.0 + x * step)
    out = xp.where(size < 1.0, x, xp.where(size == 1.0, math.inf, math.nan))
    return xp.copysign(out, y64).astype(y.dtype, copy=False)


class Erfinv(Function):
    """The inverse of erf on (-1, 1); its gradient sqrt(pi)/2 exp(erfinv(x)^2) (inf at
    +-1, NaN beyond, as PyTorch's)."""
    @staticmethod
    def forward(ctx, x):
        y = erfinv_array(ctx.backend.xp, x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y * y).exp() * (math.sqrt(math.pi) / 2.0)
