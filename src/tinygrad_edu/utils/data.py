"""``tg.utils.data``: the same objects as ``tg.data`` (PyTorch's ``torch.utils.data``
spelling, so tutorial imports work unchanged)."""
from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
