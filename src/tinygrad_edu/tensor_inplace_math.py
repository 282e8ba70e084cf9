"""The in-place ``x_`` forms of the elementwise ops (``exp_``, ``clamp_``, ``neg_``,
``bitwise_and_``, ``addcmul_``, ...) and ``**=``, a mixin of ``Tensor``.

Each is written once, by ``inplace(name)``: the out-of-place method ``name`` runs
(its checks, dtype promotion and Function) and ``InplaceOps._commit`` writes the
result into self. That one path gives every form PyTorch's behaviour: the result
is cast into self's dtype under PyTorch's rule (``ints.sqrt_()`` raises), the
version counter is bumped, the op is recorded when self is part of the graph (so
backward through ``y.exp_()`` differentiates exp at the old values) and a leaf
that requires grad is refused. Forms with arguments of their own (``add_`` with
``alpha``, ``div_`` with ``rounding_mode``, ``float_power_``, ``bernoulli_``) are
written beside their ops.
"""


def inplace(name, doc=None):
    """The in-place form ``name_`` of method ``name``: its result written into self."""
    def method(self, *args, **kwargs):
        return self._commit(getattr(self, name)(*args, **kwargs), name + "_")
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = doc or f"``{name}`` in place (the result cast into self's dtype)."
    return method


class InplaceMathOps:
    __slots__ = ()

    # ---- the basic elementwise ops (tensor_math) -------------------------------------------
    exp_, log_, sqrt_, sin_, cos_, tanh_ = (inplace(n) for n in
                                            ("exp", "log", "sqrt", "sin", "cos", "tanh"))
    abs_, neg_, sign_, sgn_, relu_, sigmoid_ = (inplace(n) for n in
                                                ("abs", "neg", "sign", "sgn", "relu", "sigmoid"))
    erf_, heaviside_, pow_ = inplace("erf"), inplace("heaviside"), inplace("pow")
    clamp_, clamp_min_, clamp_max_ = (inplace(n) for n in ("clamp", "clamp_min", "clamp_max"))
    absolute_, negative_, clip_ = abs_, neg_, clamp_
    eq_, ne_, lt_, le_, gt_, ge_ = (inplace(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))
    addcmul_, addcdiv_ = inplace("addcmul"), inplace("addcdiv")

    def __ipow__(self, other):
        """self **= other: ``pow_``."""
        return self.pow_(other)

    # ---- logs, powers, trigonometry, rounding, remainders (tensor_math_extra) ---------------
    log2_, log10_, log1p_, exp2_, expm1_ = (inplace(n) for n in
                                            ("log2", "log10", "log1p", "exp2", "expm1"))
    rsqrt_, reciprocal_, square_ = (inplace(n) for n in ("rsqrt", "reciprocal", "square"))
    tan_, asin_, acos_, atan_, atan2_ = (inplace(n) for n in
                                         ("tan", "asin", "acos", "atan", "atan2"))
    sinh_, cosh_, asinh_, acosh_, atanh_ = (inplace(n) for n in
                                            ("sinh", "cosh", "asinh", "acosh", "atanh"))
    arcsin_, arccos_, arctan_, arctan2_ = asin_, acos_, atan_, atan2_
    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_
    sinc_, erfc_, erfinv_ = inplace("sinc"), inplace("erfc"), inplace("erfinv")
    floor_, ceil_, trunc_, frac_ = (inplace(n) for n in ("floor", "ceil", "trunc", "frac"))
    fix_, round_ = trunc_, inplace("round")
    remainder_, fmod_ = inplace("remainder"), inplace("fmod")
    hypot_, copysign_, xlogy_ = (inplace(n) for n in ("hypot", "copysign", "xlogy"))
    lerp_, nan_to_num_ = inplace("lerp"), inplace("nan_to_num")
    logical_and_, logical_or_ = inplace("logical_and"), inplace("logical_or")
    logical_xor_, logical_not_ = inplace("logical_xor"), inplace("logical_not")

    # ---- bitwise and integer ops (tensor_bitwise) -------------------------------------------
    bitwise_and_, bitwise_or_, bitwise_xor_, bitwise_not_ = (
        inplace(n) for n in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"))
    bitwise_left_shift_ = inplace("bitwise_left_shift")
    bitwise_right_shift_ = inplace("bitwise_right_shift")
    floor_divide_ = inplace("floor_divide")

    # ---- same-shape results of other families ------------------------------------------------
    cumsum_, cumprod_ = inplace("cumsum"), inplace("cumprod")
    addmm_, baddbmm_ = inplace("addmm"), inplace("baddbmm")
