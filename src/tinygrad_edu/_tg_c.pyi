# The cffi extension built from csrc/ by _build.py (setup.py build_ext): its two objects.
from typing import Any

ffi: Any
lib: Any
