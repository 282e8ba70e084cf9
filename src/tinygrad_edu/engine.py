"""The backward engine: walk the recorded graph in reverse topological order (an
explicit stack, so a 100,000-op chain is fine), call each node's backward once its
gradient is complete, and accumulate into the leaves' ``.grad`` (or hand the
gradients back, for ``autograd.grad``).

The engine knows a node only as a ``Node``: its parents, its output's shape and a
``backward``. ``autograd.Function``, which records nodes, subclasses it.
"""
import itertools
import weakref

from . import anomaly_mode as _anomaly_mode
from .anomaly_mode import _anomaly
from .backend import writeable as _writeable
from .grad_mode import set_grad_enabled

FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
             "tensors after they have already been freed). Saved intermediate values of the "
             "graph are freed when you call .backward() or autograd.grad(). Specify "
             "retain_graph=True if you need to backward through the graph a second time.")


class Node:
    """A recorded op. ``parents`` has one entry per input: the node that made it, the
    leaf tensor itself, or None (no gradient wanted there); ``shape`` is the output's.
    The engine calls ``type(node).backward(node, grad)`` and ``node.release()``."""
    parents = ()
    shape = ()
    fresh_grads = False   # backward returns new arrays that nothing else holds
    _retained = None      # weakref to the output tensor if it called retain_grad()
    _hooks = None         # {key: hook} registered on the output tensor (register_hook)
    _freed = False

    def name(self):
        return type(self).__name__ + "Backward"

    def release(self):
        """Drop what backward needed (a second backward then raises)."""


# ---- tensor hooks (Tensor.register_hook) ------------------------------------------------
# A non-leaf's hooks live on the node that made it (so a hook registered before an
# in-place change sees the gradient of the old values, as in PyTorch); a leaf's in
# this table, id -> (weakref, {key: hook}), the entry dropped when the leaf dies.
_LEAF_HOOKS: dict[int, tuple] = {}
_keys = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook away."""
    __slots__ = ("_hooks", "_key")

    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self._key, None)


def _forget_leaf(key, ref):
    entry = _LEAF_HOOKS.get(key)
    if entry is not None and entry[0] is ref:
        del _LEAF_HOOKS[key]


def add_hook(tensor, hook):
    """Register hook on tensor (its node's, or a leaf's entry) and return its handle."""
    node = tensor._ctx
    if node is not None:
        if node._hooks is None:
            node._hooks = {}
        hooks = node._hooks
    else:
        key = id(tensor)
        entry = _LEAF_HOOKS.get(key)
        if entry is None or entry[0]() is not tensor:
            ref = weakref.ref(tensor, lambda r, key=key: _forget_leaf(key, r))
            entry = _LEAF_HOOKS[key] = (ref, {})
        hooks = entry[1]
    k = next(_keys)
    hooks[k] = hook
    return RemovableHandle(hooks, k)


def _leaf_hooks(leaf):
    entry = _LEAF_HOOKS.get(id(leaf))
    return entry[1] if entry is not None and entry[0]() is leaf else None


def _call_hooks(hooks, g):
    """g passed through each hook in order; a returned tensor replaces it."""
    for hook in list(hooks.values()):
        out = hook(g)
        if out is None:
            continue
        name = getattr(hook, "__name__", type(hook).__name__)
        if not hasattr(out, "_data"):
            raise TypeError(f"hook '{name}' returned a {type(out).__name__}; a hook must "
                            "return a Tensor (the new gradient) or None")
        if out._data.shape != g._data.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value (from "
                               f"{list(g._data.shape)} to {list(out._data.shape)})")
        if out._data.dtype != g._data.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype!r} "
                               f"got {out.dtype!r})")
        g = out
    return g


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
            if isinstance(p, Node) and p not in seen:
                push(p)
    return order


def _needed_for(order, capture, capture_nodes):
    """The nodes whose backward must run for autograd.grad: those with a requested
    leaf or requested node somewhere upstream (order lists parents first)."""
    leaves = {id(t) for t in capture if t._ctx is None}
    needed = set()
    for node in order:
        for p in node.parents:
            if (isinstance(p, Node) and (p in needed or p in capture_nodes)) or \
                    (p is not None and not isinstance(p, Node) and id(p) in leaves):
                needed.add(node)
                break
    return needed


def _bad_grad(node, i, g, shape):
    got = list(g.shape) if hasattr(g, "shape") else type(g).__name__
    if not hasattr(g, "_data"):
        got = f"{got} (a {type(g).__name__}, not a Tensor)"
    return RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - "
                        f"got {got} but expected shape {list(shape)}")


def _fit(node, i, g, shape):
    """g, summed back to ``shape`` where the op broadcast its input to g's shape (as
    PyTorch's engine does: each backward may return the gradient of the broadcast
    input); an error naming the node for any other shape."""
    try:
        have = g._data.shape
    except AttributeError:  # not a Tensor: say what came back, as for a bad shape
        raise _bad_grad(node, i, g, shape) from None
    if have == shape:
        return g
    lead = len(have) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, have[lead:])):
        raise _bad_grad(node, i, g, shape)
    axes = tuple(range(lead)) + tuple(lead + j for j, n in enumerate(shape)
                                      if n == 1 and have[lead + j] != 1)
    return (g.sum(dim=axes, keepdim=True) if axes else g).reshape(shape)


def _accumulate_leaf(leaf, g, create_graph, fresh=False):
    if create_graph:  # clone: the incoming gradient may be a view or the user's tensor
        leaf.grad = g.clone() if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        # A copy: the same gradient array may flow to several leaves (a + b), or be
        # the caller's. A node with fresh_grads made this array for this leaf alone
        # (a weight gradient of a matmul): adopting it saves a pass over memory.
        fresh = fresh and g._data.base is None and _writeable(g._data)
        leaf.grad = g._make(g._data if fresh else g._data.copy())
    else:
        leaf.grad._data = leaf.grad._data + g._data


def run_backward(tensors, grad_tensors, retain_graph=False, create_graph=False, capture=None):
    """Propagate ``grad_tensors`` from ``tensors`` to the leaves.

    With ``capture`` (a list of tensors) nothing is accumulated into ``.grad``;
    the gradients reaching those tensors are returned instead, in order.
    """
    grads = {}        # node -> gradient of its output, summed over consumers
    captured = {}     # id(tensor) -> gradient
    hooked = {}       # id(leaf) -> [leaf, gradient]: a leaf's hooks see its summed gradient
    capture_nodes = {t._ctx: t for t in capture or () if t._ctx is not None}

    def deliver(parent, g, fresh=False):
        if isinstance(parent, Node):
            prev = grads.get(parent)
            grads[parent] = g if prev is None else prev + g
        elif capture is not None:
            key = id(parent)
            captured[key] = captured[key] + g if key in captured else g
        elif _LEAF_HOOKS and _leaf_hooks(parent):
            entry = hooked.setdefault(id(parent), [parent, None])
            entry[1] = g if entry[1] is None else entry[1] + g
        else:
            _accumulate_leaf(parent, g, create_graph, fresh)

    roots = []
    with set_grad_enabled(create_graph):
        for t, g in zip(tensors, grad_tensors):
            if t._ctx is not None:
                roots.append(t._ctx)
            deliver(t if t._ctx is None else t._ctx, g)
        order = _topological_order(roots)
        needed = _needed_for(order, capture, capture_nodes) if capture is not None else None
        # the loop below runs once per node: kept free of helper calls on the common path
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            if node._hooks is not None:
                g = _call_hooks(node._hooks, g)
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
                raise RuntimeError(FREED_MSG)
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
                node.release()
            for i, parent in enumerate(parents):
                ig = in_grads[i]
                if parent is None or ig is None:
                    continue
                to_node = isinstance(parent, Node)
                want = parent.shape if to_node else parent._data.shape
                try:
                    fits = ig._data.shape == want
                except AttributeError:
                    fits = False
                if not fits:  # a broadcast input's gradient summed back, or an error
                    ig = _fit(node, i, ig, want)
                if to_node:
                    prev = grads.get(parent)
                    grads[parent] = ig if prev is None else prev + ig
                else:
                    deliver(parent, ig, node.fresh_grads)
        for leaf, g in hooked.values():
            _accumulate_leaf(leaf, _call_hooks(_leaf_hooks(leaf), g), create_graph)
        if capture is not None:
            result = [captured.get(id(t)) for t in capture]
            if _LEAF_HOOKS:
                result = [g if g is None or t._ctx is not None or not _leaf_hooks(t) else
                          _call_hooks(_leaf_hooks(t), g) for t, g in zip(capture, result)]
            return result
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
