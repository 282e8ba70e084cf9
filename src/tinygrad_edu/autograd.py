"""Reverse-mode automatic differentiation (``tg.autograd``).

A ``Function`` subclass is one differentiable primitive: ``forward(ctx, *arrays)``
computes on backend arrays and ``backward(ctx, grad)`` returns one gradient per
input, written with Tensor operations (so gradients are differentiable too).
``MyFn.apply(*tensors)`` is the only way an op runs: it calls forward and, when
grad mode is on and an input requires grad, makes ``ctx`` a node of the graph,
remembering its parents and what forward saved for backward. The backward walk
itself is in engine.py.
"""
from .anomaly_mode import _anomaly, check_forward
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .backend import _BY_TYPE, device_of, of_array
from .engine import FREED_MSG, Node, backward, grad, run_backward  # noqa: F401
from .grad_mode import (_mode, enable_grad, is_grad_enabled, no_grad,  # noqa: F401
                        set_grad_enabled)


class AccumulateGrad:
    """What ``next_functions`` shows for a leaf tensor (PyTorch's name)."""
    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def __repr__(self):
        return "<AccumulateGrad>"


class Function(Node):
    """Base of every differentiable primitive.

    Subclasses define ``forward(ctx, *arrays, **options) -> array`` and
    ``backward(ctx, grad) -> Tensor | tuple`` (one entry per input, None for no
    gradient; a gradient of a broadcast input may keep the broadcast shape) and
    are called as ``MyFn.apply(*tensors, **options)``. Forward keeps what backward
    reads with ``ctx.save_for_backward(...)``, nothing more, as PyTorch does: the
    in-place checks guard exactly those tensors.
    """
    op = ""                # the backend kernel (unary or binary) that is forward, if one is
    needs_input_grad = ()  # per input: does it require grad (PyTorch's ctx field)
    backend = None         # the backend module of the inputs' arrays
    saved = ()             # what backward reads: input tensors, the output, constants
    _versions = ()         # (input index or "output", saved tensor, its version when saved)
    _out_at = -1           # where the output sits in saved
    is_view = False        # the output shares memory (so a version counter) with input 0
    moves_device = False   # Cast only: its output may live on another device
    _kernel_only = False   # forward is Function's own, the op kernel alone (set per subclass)

    @classmethod
    def forward(cls, ctx, *arrays):
        """The ``op`` kernel alone: the forward of an op with nothing to save (add, sub,
        neg); every other op defines its own."""
        if not cls.op:
            raise NotImplementedError(f"{cls.__name__} defines no forward")
        return ctx.backend.binary(cls.op, *arrays) if len(arrays) == 2 else \
            ctx.backend.unary(cls.op, *arrays)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # its forward is Function's, so apply may run the kernel itself, recording or not
        cls._kernel_only = bool(cls.op) and \
            getattr(cls.forward, "__func__", None) is Function.forward.__func__

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options):
        """Run forward on the inputs' arrays and, if recording, link the result into the graph."""
        first = last = inputs[0]
        n = len(inputs)
        if n > 1:
            last = inputs[-1]
        kind = type(first._data)
        backend = _BY_TYPE.get(kind)
        recording = (first._requires_grad or last._requires_grad or n > 2 and any(
            [t._requires_grad for t in inputs])) and _mode.enabled
        anomaly = _anomaly.enabled
        if (cls._kernel_only or cls.op and not recording) and type(last._data) is kind and \
                backend is not None and not anomaly:
            # The one fast case: an op whose forward is one elementwise kernel (``op``, one
            # or two inputs) is that kernel alone when nothing is recorded, and when its
            # forward is Function's (nothing saved) also when recording: no forward call,
            # no per-call checks of the general path. It saves ~0.3 us of a small op's
            # ~1.1 (no grad) or ~1.8 (recording) in apply.
            out = backend.binary(cls.op, first._data, last._data) if n == 2 else \
                backend.unary(cls.op, first._data)
            result = first._make(out if type(out) is kind else backend.xp.asarray(out))
            if not recording:
                return result
            out = raw = result._data
            ctx = cls()
            ctx.needs_input_grad = needs = (first._requires_grad,) if n == 1 else \
                (first._requires_grad, last._requires_grad)
            ctx.backend = backend
        else:
            if n == 1:  # nearly every op has one or two inputs: tuples built directly
                # save ~0.2 us of the list comprehensions below
                arrays, needs, same = (first._data,), (first._requires_grad,), True
            elif n == 2:
                arrays = (first._data, last._data)
                needs = (first._requires_grad, last._requires_grad)
                same = type(arrays[1]) is kind
            else:
                arrays = tuple([t._data for t in inputs])
                needs = tuple([t._requires_grad for t in inputs])
                same = all([type(a) is kind for a in arrays])
            if backend is None:  # an ndarray subclass (np.matrix): the result is made plain
                backend = of_array(arrays[0])
                kind = backend.xp.ndarray
                same = all([type(a) is kind for a in arrays])
            if not same:
                _check_same_device(cls, arrays)
            ctx = cls()
            ctx.needs_input_grad = needs
            ctx.backend = backend
            try:
                out = raw = cls.forward(ctx, *arrays, **options) if options else \
                    cls.forward(ctx, *arrays)
            except ValueError as e:  # numpy's words for "more bytes than can exist"
                if "too big" not in str(e) and "Maximum allowed dimension" not in str(e):
                    raise
                raise MemoryError(f"{cls.__name__}: cannot allocate its result ({e})") from None
            if type(out) is not kind and not cls.moves_device:
                out = backend.xp.asarray(out)  # numpy scalars (0-d results), subclasses
            if anomaly:
                check_forward(ctx, inputs, out)
            result = first._make(out)
            if ctx.is_view:
                result._version = first._version
        # Integer and bool results (casts, comparisons) are piecewise constant: no graph.
        if recording and out.dtype.kind == "f":
            result._requires_grad = True
            result._ctx = ctx
            # parents: the node that made each input, the input itself (a leaf that
            # requires grad), or None (no gradient wanted)
            p0 = first._ctx if first._ctx is not None else (first if needs[0] else None)
            if n == 1:
                ctx.parents = (p0,)
            elif n == 2:
                ctx.parents = (p0, last._ctx if last._ctx is not None else
                               (last if needs[1] else None))
            else:
                ctx.parents = tuple([t._ctx if t._ctx is not None else
                                     (t if t._requires_grad else None) for t in inputs])
            ctx.shape = out.shape
            if ctx.saved:
                ctx._keep(inputs, result, raw)
        return result

    def save_for_backward(self, *arrays):
        """Keep forward's own input arrays, its result, or other arrays (None too) for
        backward, which reads them back as Tensors with ``saved_tensors``."""
        self.saved = arrays

    def _keep(self, inputs, result, raw):
        """Turn the saved arrays into tensors: an input's array is that input (so the
        gradient flows back through it), the result (``raw``, as forward returned it)
        a detached twin of the output, anything else a constant; note the version of
        each input and the output."""
        out = result._data
        saved, versions = [], []
        for x in self.saved:
            if x is not None:
                if x is raw or x is out:
                    self._out_at = len(saved)
                    x = result._make(out)
                    x._version = v = result._version  # a twin: shares the output's counter
                    versions.append(("output", x, v[0]))
                else:
                    i = 0  # a counter, not enumerate: ~0.15 us less for a Mul
                    for t in inputs:
                        if t._data is x:
                            x = t
                            versions.append((i, t, t._version[0]))
                            break
                        i += 1
                    else:
                        x = result._make(self.backend.xp.asarray(x))
            saved.append(x)
        self.saved = tuple(saved)
        self._versions = tuple(versions)

    def _replace_saved(self, old, new, version=None):
        """Read ``new`` where backward read ``old`` (an in-place op is about to change
        old's values, or moved the output's); ``version``: new's, if not old's."""
        self.saved = tuple(new if t is old else t for t in self.saved)
        self._versions = tuple((w, new, v if version is None else version) if t is old
                               else (w, t, v) for w, t, v in self._versions)

    @property
    def saved_tensors(self):
        """What forward saved, as Tensors: its inputs and output attached to the graph
        (so create_graph works), anything else as constants."""
        if self._freed:
            raise RuntimeError(FREED_MSG)
        for which, t, seen in self._versions:
            if t._version[0] != seen:
                self._raise_modified(which, t, seen)
        if self._out_at < 0:
            return self.saved
        saved = list(self.saved)
        twin = saved[self._out_at]
        out = saved[self._out_at] = twin._make(twin._data)
        out._requires_grad, out._ctx, out._version = True, self, twin._version
        return tuple(saved)

    def _raise_modified(self, which, t, seen):
        what = "its output" if which == "output" else \
            f"input {which} ({t.dtype!r} of shape {list(t.shape)})"
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what} of {self.name()} is at version {t._version[0]}; expected "
            f"version {seen} instead. Hint: compute a new tensor (y = y + 1) instead of "
            f"modifying one (y += 1) that backward still needs, and call optimizer.step() "
            f"only after backward().")

    def release(self):
        if self.saved:
            self._freed = True
            self.saved = self._versions = ()

    # ---- the graph, as PyTorch shows it ---------------------------------------------------
    @property
    def next_functions(self):
        return tuple((p if p is None or isinstance(p, Node) else AccumulateGrad(p), 0)
                     for p in self.parents)

    def __repr__(self):
        return f"<{self.name()}>"


def _check_same_device(cls, arrays):
    devs = [device_of(a) for a in arrays]
    if any(d != devs[0] for d in devs):
        raise RuntimeError(f"{cls.__name__}: expected all tensors to be on the same device, but "
                           f"found at least two devices, {devs[0]} and "
                           f"{next(d for d in devs if d != devs[0])}; move one with .to(device)")
