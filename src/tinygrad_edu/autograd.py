"""Reverse-mode automatic differentiation.

A ``Function`` subclass is one differentiable primitive: ``forward`` works on
backend arrays, ``backward`` on Tensors (so gradients are themselves
differentiable). An instance of it is at once the ``ctx`` handed to both and
the node of the graph: it records its ``parents`` (the nodes, or the leaf
tensors, that produced its inputs). ``backward()`` (engine.py) walks the nodes in reverse
topological order with an explicit stack, so a 100,000-op chain is fine.
"""
from typing import Any

from . import anomaly_mode as _anomaly_mode
from .anomaly_mode import _anomaly
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .backend import get as _get_backend  # noqa: F401 - inplace.py reaches it here
from .backend import _BY_TYPE
from .backend import device_of as _device_of, of_array as _backend_of
from .grad_mode import (_mode, enable_grad, is_grad_enabled, no_grad,  # noqa: F401
                        set_grad_enabled)


# ---- graph nodes ------------------------------------------------------------------
class AccumulateGrad:
    """What ``next_functions`` shows for a leaf tensor (PyTorch's name)."""
    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def __repr__(self):
        return "<AccumulateGrad>"


_OUTPUT = object()  # marks "the forward result" among saved items
_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
              "tensors after they have already been freed). Saved intermediate values of the "
              "graph are freed when you call .backward() or autograd.grad(). Specify "
              "retain_graph=True if you need to backward through the graph a second time.")


class Function:
    """Base of every differentiable primitive.

    Subclasses define ``forward(ctx, *arrays, **kwargs) -> array`` and
    ``backward(ctx, grad) -> Tensor | tuple`` (one entry per input, ``None``
    for no gradient) and are called as ``MyFn.apply(*tensors, **kwargs)``.
    Class flags ``keep_inputs`` / ``keep_output`` make ``ctx.inputs`` and
    ``ctx.output`` available to backward as graph-connected Tensors.
    """
    keep_inputs = False
    keep_output = False

    # Defaults live on the class so that making a node costs one empty object.
    parents = ()             # per input: its node, the leaf tensor itself, or None
    needs_input_grad = ()
    saved = ()
    shape = ()               # of the output, to check the gradients flowing in
    backend = None
    _inputs = None
    _out = None
    _freed = False
    _retained = None         # weakref to the output tensor if it called retain_grad()
    _tensor_cls: Any = None  # Tensor (set by tensor.py), or the subclass that made the node
    _versions = ()           # (counter, value) of each input when it was saved
    moves_device = False     # True only for Cast: its output may live on another device
    _out_version = None      # the same for the kept output
    is_view = False          # output shares memory (and so a version counter) with input 0
    fresh_grads = False      # backward returns new, distinct arrays that nothing else holds

    @staticmethod
    def forward(ctx, *arrays, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError

    # -- saving for backward ------------------------------------------------------
    def save_for_backward(self, *items):
        """Keep tensors or arrays for backward; read them back as ``saved_tensors``."""
        self.saved = items

    @property
    def saved_tensors(self):
        """What forward saved: its own inputs and output come back attached to the
        graph (so create_graph works), anything else as constants."""
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        self._check_versions()
        return tuple(self.output if x is _OUTPUT else
                     x if x is None or isinstance(x, self._tensor_cls) else self.const(x)
                     for x in self.saved)

    def _resolve_saved(self, inputs, out):
        arrays = {id(t._data): t for t in inputs}
        resolved = []
        for x in self.saved:
            if x is out:
                self._out = out
                resolved.append(_OUTPUT)
            else:
                resolved.append(arrays.get(id(x), x))
        self.saved = tuple(resolved)

    def _check_versions(self):
        """Refuse to differentiate with values changed in place since the forward."""
        for counter, seen in self._versions:
            if counter[0] != seen:
                break
        else:
            if self._out_version is None or self._out_version[0][0] == self._out_version[1]:
                return  # nothing changed: the common case, kept cheap
        checks = list(enumerate(self._versions))
        if self._out_version is not None:
            checks.append(("output", self._out_version))
        for which, (counter, seen) in checks:
            if counter[0] != seen:
                what = f"input {which}" if which != "output" else "its output"
                t = self._inputs[which] if which != "output" and self._inputs else None
                if t is not None:
                    what += f" ({t.dtype!r} of shape {list(t.shape)})"
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: {what} of {self.name()} is at version "
                    f"{counter[0]}; expected version {seen} instead. Hint: compute a new tensor "
                    f"(y = y + 1) instead of modifying one (y += 1) that backward still needs, and "
                    f"call optimizer.step() only after backward().")

    @property
    def inputs(self):
        if self._inputs is None:
            raise RuntimeError(_FREED_MSG if self._freed else
                               f"{type(self).__name__} does not keep its inputs")
        self._check_versions()
        return self._inputs

    @property
    def output(self):
        """The forward result as a Tensor attached to this node (no reference cycle:
        the node keeps only the array and wraps it anew when asked)."""
        if self._out is None:
            raise RuntimeError(_FREED_MSG if self._freed else
                               f"{type(self).__name__} does not keep its output")
        self._check_versions()
        t = self._tensor_cls._make(self._out, True)
        t._ctx = self
        return t

    def const(self, array):
        """Wrap a backend array as a Tensor with no history."""
        return self._tensor_cls._make(self.backend.xp.asarray(array), False)

    def _release(self):
        if self._inputs is not None or self._out is not None or self.saved:
            self._freed = True
            self._inputs = None
            self._out = None
            self.saved = ()

    # -- graph -----------------------------------------------------------------------
    @property
    def next_functions(self):
        return tuple((p if p is None or isinstance(p, Function) else AccumulateGrad(p), 0)
                     for p in self.parents)

    def name(self):
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run forward on the inputs' arrays and, if recording, link the result into the graph."""
        # Written for per-op overhead: one and two inputs (nearly every op) build their
        # tuples directly, since a list comprehension costs ~0.2 us each here.
        first = inputs[0]
        a0 = first._data
        kind = type(a0)
        n = len(inputs)
        if n == 2:
            second = inputs[1]
            arrays = (a0, second._data)
            if type(arrays[1]) is not kind:
                _check_same_device(cls, arrays)
        elif n == 1:
            arrays = (a0,)
        else:
            arrays = tuple([t._data for t in inputs])
            for a in arrays:
                if type(a) is not kind:
                    _check_same_device(cls, arrays)
        backend = _BY_TYPE.get(kind) or _backend_of(a0)
        ctx = cls()
        ctx.backend = backend
        # what each input asks for, also outside grad mode (as PyTorch's ctx reports it)
        if n == 2:
            needs = (first._requires_grad, second._requires_grad)
        elif n == 1:
            needs = (first._requires_grad,)
        else:
            needs = tuple([t._requires_grad for t in inputs])
        ctx.needs_input_grad = needs
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except ValueError as e:  # numpy's words for "more bytes than can exist"
            if "too big" not in str(e) and "Maximum allowed dimension" not in str(e):
                raise
            raise MemoryError(f"{cls.__name__}: cannot allocate its result ({e})") from None
        if type(out) is not backend.xp.ndarray and not cls.moves_device:
            out = backend.xp.asarray(out)  # numpy scalars, and subclasses such as np.matrix
        if _anomaly.enabled:
            _anomaly_mode.check_forward(ctx, inputs, out)
        tensor_cls = first._cls  # Tensor, also for subclasses such as nn.Parameter
        # Integer and bool results (casts, comparisons) are piecewise constant: no graph.
        recording = True in needs and _mode.enabled and out.dtype.kind == "f"
        result = tensor_cls._make(out, recording)
        if ctx.is_view:
            result._version = first._version
        if not recording:
            return result
        ctx._link(inputs, out, result)
        return result

    @classmethod
    def _apply_same(cls, a, b, out, backend):
        """Record ``out``, computed by the caller exactly as ``forward`` would from the
        tensors a and b on `backend` (one dtype and array type; anomaly mode off; grad
        mode on and an input requiring grad), as ``apply`` does: the fast lane of
        elementwise arithmetic."""
        ctx = cls()
        ctx.backend = backend
        ctx.needs_input_grad = (a._requires_grad, b._requires_grad)
        result = a._cls._make(out, True)
        ctx._link((a, b), out, result)
        return result

    def _link(self, inputs, out, result):
        """Make self the recorded node of `result`, the forward output `out` of `inputs`."""
        result._ctx = self
        if type(result) is not Function._tensor_cls:
            self._tensor_cls = type(result)
        needs = self.needs_input_grad
        if len(inputs) == 2:  # most ops: no loop, no list
            a, b = inputs
            self.parents = (a._ctx if a._ctx is not None else (a if needs[0] else None),
                            b._ctx if b._ctx is not None else (b if needs[1] else None))
        else:
            self.parents = tuple([_parent(t) for t in inputs])
        self.shape = out.shape
        cls = type(self)
        if cls.keep_inputs or cls.keep_output or self.saved:
            self._keep(inputs, out, result)

    def _keep(self, inputs, out, result):
        """Hold what backward reads (inputs, output, saved arrays) with their versions."""
        if self.saved:
            self._resolve_saved(inputs, out)
        if type(self).keep_inputs:
            self._inputs = inputs
        if type(self).keep_output:
            self._out = out
        if self._inputs is not None or self.saved:
            self._versions = tuple([(t._version, t._version[0]) for t in inputs])
        if self._out is not None:
            self._out_version = (result._version, result._version[0])


def _parent(t):
    """What a node records for input tensor t: its node, the leaf itself, or None."""
    return t._ctx if t._ctx is not None else (t if t._requires_grad else None)


def _check_same_device(cls, arrays):
    devs = [_device_of(a) for a in arrays]
    if any(d != devs[0] for d in devs):
        raise RuntimeError(f"{cls.__name__}: expected all tensors to be on the same device, but "
                           f"found at least two devices, {devs[0]} and "
                           f"{next(d for d in devs if d != devs[0])}; move one with .to(device)")


def _shape_of(parent):
    """The shape a gradient for parent (a node or a leaf tensor) must have."""
    return parent.shape if isinstance(parent, Function) else parent._data.shape


# The backward engine (run_backward, backward, grad) lives in engine.py; this module
# keeps its names, so tg.autograd.backward / tg.autograd.grad are where PyTorch has them.
from .engine import backward, grad, run_backward  # noqa: E402,F401
