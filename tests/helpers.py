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
