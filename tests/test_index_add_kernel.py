"""The index-add row kernel (an embedding's backward: rows of src added at integer
indices) equals numpy_backend's specification, np.add.at, bit for bit: repeated and
negative indices, one row, empty sizes, wide rows on the parallel path, 3-D rows,
non-contiguous inputs; the rows around out are never written, and a bad index is
refused before anything is."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.backend import numpy_backend as R

C = pytest.importorskip("tinygrad_edu.backend.c_backend")
DTYPES = [np.float32, np.float64]


def _guarded(rows, tail, dt):
    """(buffer, out): out is the middle of a buffer whose guard rows hold NaN."""
    buf = np.full((rows + 2,) + tail, np.nan, dt)
    out = buf[1:-1]
    out[...] = 0
    return buf, out


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 70), n=st.integers(0, 300), tail=st.sampled_from([(), (1,), (7,),
                                                                            (64,), (3, 5)]),
       dt=st.sampled_from(DTYPES), strided=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_c_index_add_equals_add_at(rows, n, tail, dt, strided, seed):
    rng = np.random.default_rng(seed)
    idx = rng.integers(-rows, rows, n)
    src = rng.standard_normal((n,) + tail).astype(dt)
    if strided:  # every other row of a bigger array, and an index read backwards
        src = np.repeat(src, 2, axis=0)[::2]
        idx = idx[::-1].copy()[::-1]
    want = R.index_add(np.zeros((rows,) + tail, dt), idx, src)
    buf, out = _guarded(rows, tail, dt)
    got = C.index_add(out, idx, src)
    assert got is out
    np.testing.assert_array_equal(got, want)
    assert np.isnan(buf[0]).all() and np.isnan(buf[-1]).all()


@pytest.mark.parametrize("dt", DTYPES)
def test_c_index_add_wide_rows_take_the_threads(dt):
    rng = np.random.default_rng(1)
    idx, src = rng.integers(0, 100, 4096), rng.standard_normal((4096, 384)).astype(dt)
    np.testing.assert_array_equal(C.index_add(np.zeros((100, 384), dt), idx, src),
                                  R.index_add(np.zeros((100, 384), dt), idx, src))


def test_c_index_add_refuses_an_index_out_of_range_and_writes_nothing():
    out = np.zeros((3, 4), np.float32)
    with pytest.raises(RuntimeError):
        C.index_add(out, np.array([0, 3]), np.ones((2, 4), np.float32))
    with pytest.raises(RuntimeError):
        C.index_add(out, np.array([-4]), np.ones((1, 4), np.float32))
    assert not out.any()


def test_embedding_backward_adds_repeated_rows():
    emb = nn.Embedding(5, 3)
    idx = tg.tensor([[0, 4, 0], [4, 4, -1]])
    emb(idx % 5).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(),
                                  np.array([[2.0] * 3, [0] * 3, [0] * 3, [0] * 3, [4.0] * 3],
                                           np.float32))
