"""Small constructors shared by the test modules."""
import numpy as np

import tinygrad_edu as tg


def f64(data, requires_grad=False):
    """A float64 tensor from any array-like."""
    return tg.tensor(np.asarray(data, dtype=np.float64), dtype=tg.float64,
                     requires_grad=requires_grad)


def npy(t):
    """The values of a tinygrad_edu or torch tensor (on any device) as a numpy array."""
    return np.asarray(t.detach().cpu().numpy())


def same_as_torch(ours, ref, rtol=1e-6, atol=0.0):
    """A tg tensor equals a torch tensor: dtype name, shape and values (NaN where NaN)."""
    assert str(ours.dtype).split(".")[1] == str(ref.dtype).split(".")[1]
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(npy(ours), ref.detach().numpy(), rtol=rtol, atol=atol,
                               equal_nan=True)


def outcome(fn):
    """fn()'s result, or the type of the exception it raised (to compare with torch's)."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e)
