"""Safe checkpoints: ``tg.save(state_dict, path)`` and ``tg.load(path)``.

The file is a plain ``.npz`` archive (a zip of ``.npy`` arrays), written and
read with ``allow_pickle=False``: loading never runs code from the file. A
save goes to a temporary file in the same folder, is flushed to disk and then
renamed over the target, so an interrupted save leaves the old file intact.
"""
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from .. import dtypes
from ..tensor import Tensor, parse_to

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"  # a zip with no members (an empty state_dict)


def _as_array(key, value):
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()  # CUDA tensors are saved from host copies
    if isinstance(value, (np.ndarray, np.generic, bool, int, float)):
        arr = np.asarray(value)
        if arr.dtype in dtypes._BY_NP:
            return arr
    raise TypeError(f"save(): value of {key!r} is a {type(value).__name__}; tg.save stores "
                    "tensors, numpy arrays and numbers of a tg dtype (a state_dict)")


def save(obj, f):
    """Write a state_dict (a dict of name -> Tensor or array) to the path ``f`` as .npz,
    atomically: readers see either the old file or the complete new one."""
    if not hasattr(obj, "items"):
        raise TypeError(f"save(): expected a dict of name -> tensor such as "
                        f"model.state_dict(), got {type(obj).__name__}")
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"save(): f must be a file path (str or os.PathLike), got "
                        f"{type(f).__name__}")
    arrays = []
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save(): keys must be strings, got {key!r}")
        arrays.append((key, _as_array(key, value)))
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tg-save-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            # zipfile directly rather than np.savez(**arrays): a key named "file"
            # or "allow_pickle" would collide with np.savez's own arguments
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                for key, arr in arrays:
                    with zf.open(key + ".npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, arr, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private (0600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse(path, why):
    return ValueError(f"load(): {path!r} is not a tg checkpoint: {why}. tg.load reads only "
                      ".npz files written by tg.save (or np.savez), and never unpickles")


def load(f, map_location=None):
    """Read a file written by ``tg.save``: an OrderedDict of name -> Tensor.

    A pickle file, a truncated or corrupt archive, a non-npz file or one holding
    object (pickled) arrays is refused with ValueError; nothing in it is executed."""
    if map_location is not None:
        parse_to(map_location)  # a device that cannot be used fails before the file is read
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"load(): f must be a file path (str or os.PathLike), got "
                        f"{type(f).__name__}")
    path = os.fspath(f)
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head[:1] == b"\x80":
            raise _refuse(path, "it is a pickle file (torch.save / pickle.dump)")
        if head not in (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC):
            raise _refuse(path, "it is not a zip/.npz archive")
        fh.seek(0)
        out = OrderedDict()
        try:
            with np.load(fh, allow_pickle=False) as archive:
                for key in archive.files:
                    arr = archive[key]
                    if not isinstance(arr, np.ndarray):  # a zip member that is not .npy
                        raise _refuse(path, f"entry {key!r} is not a .npy array")
                    if arr.dtype not in dtypes._BY_NP:
                        raise _refuse(path, f"entry {key!r} has dtype {arr.dtype}, which is "
                                            "not a tg dtype")
                    if not arr.flags.c_contiguous:  # (ascontiguousarray makes 0-d 1-d)
                        arr = np.ascontiguousarray(arr)
                    t = Tensor._make(arr, False)
                    out[key] = t if map_location is None else t.to(map_location)
        except ValueError as e:
            if "load():" in str(e):
                raise
            # numpy: "Object arrays cannot be loaded when allow_pickle=False", bad headers
            raise _refuse(path, f"an entry cannot be read without unpickling or is "
                                f"malformed ({e})") from None
        except (zipfile.BadZipFile, EOFError, OSError) as e:
            raise _refuse(path, f"the archive is truncated or corrupt ({e})") from None
    return out
