"""Reverse-mode automatic differentiation.

A ``Function`` subclass is one differentiable primitive: ``forward`` works on
backend arrays, ``backward`` on Tensors (so gradients are themselves
differentiable). An instance of it is at once the ``ctx`` handed to both and
the node of the graph: it records its ``parents`` (the nodes, or the leaf
tensors, that produced its inputs). ``backward()`` walks the nodes in reverse
topological order with an explicit stack, so a 100,000-op chain is fine.
"""
from . import anomaly_mode as _anomaly_mode
from .anomaly_mode import _anomaly
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .backend import get as _get_backend  # noqa: F401 - inplace.py reaches it here
from .backend import _BY_TYPE
from .backend import device_of as _device_of, of_array as _backend_of, writeable as _writeable
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
    _tensor_cls = None
    _versions = ()           # (counter, value) of each input when it was saved
    moves_device = False     # True only for Cast: its output may live on another device
    _out_version = None      # the same for the kept output
    is_view = False          # output shares memory (and so a version counter) with input 0
    fresh_grads = False      # backward returns new, distinct arrays that nothing else holds

    @staticmethod
    def forward(ctx, *arrays, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
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
        if not _mode.enabled:  # nothing made here can need a gradient
            needs = _NO_GRADS[n] if n < 3 else (False,) * n
        elif n == 2:
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
        if type(out) is not kind and not cls.moves_device:
            out = backend.xp.asarray(out)
        if _anomaly.enabled:
            _anomaly_mode.check_forward(ctx, inputs, out)
        tensor_cls = first._cls  # Tensor, also for subclasses such as nn.Parameter
        # Integer and bool results (casts, comparisons) are piecewise constant: no graph.
        recording = True in needs and out.dtype.kind == "f"
        result = tensor_cls._make(out, recording)
        if ctx.is_view:
            result._version = first._version
        if not recording:
            return result
        ctx._tensor_cls = tensor_cls
        result._ctx = ctx
        p0 = first._ctx if first._ctx is not None else (first if needs[0] else None)
        if n == 1:
            ctx.parents = (p0,)
        elif n == 2:
            ctx.parents = (p0, second._ctx if second._ctx is not None else
                           (second if needs[1] else None))
        else:
            ctx.parents = tuple([_parent(t) for t in inputs])
        ctx.shape = out.shape
        if ctx.saved:
            ctx._resolve_saved(inputs, out)
        if cls.keep_inputs:
            ctx._inputs = inputs
        if cls.keep_output:
            ctx._out = out
        if cls.keep_inputs or ctx.saved:
            ctx._versions = tuple([(t._version, t._version[0]) for t in inputs])
        if ctx._out is not None:
            ctx._out_version = (result._version, result._version[0])
        return result


_NO_GRADS = ((), (False,), (False, False))


def _parent(t):
    """What a node records for input tensor t: its node, the leaf itself, or None."""
    return t._ctx if t._ctx is not None else (t if t._requires_grad else None)


def _check_same_device(cls, arrays):
    devs = [_device_of(a) for a in arrays]
    if any(d != devs[0] for d in devs):
        raise RuntimeError(f"{cls.__name__}: expected all tensors to be on the same device, but "
                           f"found at least two devices, {devs[0]} and "
                           f"{next(d for d in devs if d != devs[0])}; move one with .to(device)")


# ---- the backward engine ----------------------------------------------------------
def _topological_order(roots):
    """Nodes reachable from roots, every node after all of its parents (no recursion)."""
    order, seen = [], set()
    stack = list(roots)
    pop, push, see, emit = stack.pop, stack.append, seen.add, order.append
    while stack:
        node = pop()
        if node is None:  # the marker pushed above a node: its parents are all done
            emit(pop())
            continue
        if node in seen:
            continue
        see(node)
        push(node)
        push(None)
        for p in node.parents:
            if isinstance(p, Function) and p not in seen:
                push(p)
    return order


def _needed_for(order, capture, capture_nodes):
    """The nodes whose backward must run for autograd.grad: those with a requested
    leaf or requested node somewhere upstream (order lists parents first)."""
    leaves = {id(t) for t in capture if t._ctx is None}
    needed = set()
    for node in order:
        for p in node.parents:
            if (isinstance(p, Function) and (p in needed or p in capture_nodes)) or \
                    (p is not None and not isinstance(p, Function) and id(p) in leaves):
                needed.add(node)
                break
    return needed


def _shape_of(parent):
    """The shape a gradient for parent (a node or a leaf tensor) must have."""
    return parent.shape if isinstance(parent, Function) else parent._data.shape


def _bad_grad(node, i, g, shape):
    return RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - "
                        f"got {list(g.shape)} but expected shape {list(shape)}")


def _accumulate_leaf(leaf, g, create_graph, fresh=False):
    if create_graph:  # clone: the incoming gradient may be a view or the user's tensor
        leaf.grad = g.clone() if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        # A copy: the same gradient array may flow to several leaves (a + b), or be
        # the caller's. A node with fresh_grads made this array for this leaf alone
        # (a weight gradient of a matmul): adopting it saves a pass over memory.
        fresh = fresh and g._data.base is None and _writeable(g._data)
        leaf.grad = leaf._cls._make(g._data if fresh else g._data.copy(), False)
    else:
        leaf.grad._data = leaf.grad._data + g._data


def run_backward(tensors, grad_tensors, retain_graph=False, create_graph=False, capture=None):
    """Propagate ``grad_tensors`` from ``tensors`` to the leaves.

    With ``capture`` (a list of tensors) nothing is accumulated into ``.grad``;
    the gradients reaching those tensors are returned instead, in order.
    """
    grads = {}        # node -> gradient of its output, summed over consumers
    captured = {}     # id(tensor) -> gradient
    capture_nodes = {}
    if capture is not None:
        for t in capture:
            if t._ctx is not None:
                capture_nodes[t._ctx] = t

    def deliver(parent, g, fresh=False):
        if isinstance(parent, Function):
            prev = grads.get(parent)
            grads[parent] = g if prev is None else prev + g
        elif capture is not None:
            key = id(parent)
            captured[key] = captured[key] + g if key in captured else g
        else:
            _accumulate_leaf(parent, g, create_graph, fresh)

    roots = []
    with set_grad_enabled(create_graph):
        for t, g in zip(tensors, grad_tensors):
            if t._ctx is None:
                deliver(t, g)
            else:
                deliver(t._ctx, g)
                roots.append(t._ctx)
        order = _topological_order(roots)
        needed = _needed_for(order, capture, capture_nodes) if capture is not None else None
        # the loop below runs once per node: kept free of helper calls on the common path
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            if capture is not None:
                if node in capture_nodes:
                    key = id(capture_nodes[node])
                    captured[key] = captured[key] + g if key in captured else g
                if node not in needed:
                    continue  # nothing asked for lies upstream: leave this part alone
            elif node._retained is not None:
                owner = node._retained()
                if owner is not None:
                    _accumulate_leaf(owner, g, create_graph)
            if node._freed:
                raise RuntimeError(_FREED_MSG)
            if _anomaly.enabled:
                in_grads = _anomaly_mode.checked_backward(node, g)
            else:
                in_grads = type(node).backward(node, g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            parents = node.parents
            if len(in_grads) != len(parents):
                raise RuntimeError(f"Function {node.name()} returned {len(in_grads)} gradients, "
                                   f"expected {len(parents)}")
            if not retain_graph:
                node._release()
            for i, parent in enumerate(parents):
                ig = in_grads[i]
                if parent is None or ig is None:
                    continue
                if isinstance(parent, Function):
                    if ig._data.shape != parent.shape:
                        raise _bad_grad(node, i, ig, parent.shape)
                    prev = grads.get(parent)
                    grads[parent] = ig if prev is None else prev + ig
                else:
                    if ig._data.shape != parent._data.shape:
                        raise _bad_grad(node, i, ig, parent._data.shape)
                    deliver(parent, ig, node.fresh_grads)
    if capture is not None:
        return [captured.get(id(t)) for t in capture]
    return None


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _default_grads(outputs, grad_outputs):
    result = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   f"got an output of shape {list(out.shape)}: pass `gradient=` "
                                   "(a tensor of that shape) or reduce it first, e.g. .sum()")
            g = out._ones_like()
        elif not isinstance(g, type(out)):
            g = type(out)(g, dtype=out.dtype)
        if g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {list(g.shape)} "
                               f"and output has a shape of {list(out.shape)}")
        result.append(g)
    return result


def _check_requires_grad(outputs):
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (PyTorch's semantics)."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    _check_requires_grad(tensors)
    grads = _default_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad`` (``torch.autograd.grad``)."""
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    _check_requires_grad(outputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                               "require grad")
    grads = _default_grads(outputs, _as_tuple(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, capture=list(inputs))
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not have "
                               "been used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
    return tuple(result)
