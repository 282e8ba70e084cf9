"""tg.data.text: CharVocab (round trips, specials), CharDataset (splits, get_batch
blocks with targets shifted by one, determinism under tg.manual_seed, DataLoader), and
the text on these machines (Debian's fortunes and wamerican, skipped when absent)."""
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import (CharDataset, CharVocab, DataLoader, read_fortunes, read_text,
                               read_words)
from tinygrad_edu.data.text import FORTUNES_DIR, WORDS_PATH

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
needs_fortunes = pytest.mark.skipif(not os.path.isdir(FORTUNES_DIR),
                                    reason="Debian's fortunes is not installed")
needs_words = pytest.mark.skipif(not os.path.isfile(WORDS_PATH),
                                 reason="Debian's wamerican is not installed")


# ---- the vocabulary -------------------------------------------------------------------------
@given(text=st.text(min_size=1, max_size=60))
def test_vocab_round_trip(text):
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    assert vocab.decode(ids) == text
    assert vocab.itos == sorted(set(text)) and len(vocab) == len(set(text))
    assert all(vocab.stoi[c] == i for i, c in enumerate(vocab.itos))
    assert ids == [vocab.stoi[c] for c in text]   # the lecture's lambda
    assert vocab.decode(tg.tensor(ids)) == text and vocab.decode(np.array(ids)) == text


def test_specials_come_first():
    vocab = CharVocab("emma olivia ava".replace(" ", ""), specials=".")
    assert vocab.itos[:3] == [".", "a", "e"] and vocab.stoi["."] == 0
    assert vocab.encode(".emma.") == [0, 2, 5, 5, 1, 0]   # . a e i l m o v
    assert "." in vocab and "z" not in vocab and vocab.vocab_size == len(vocab.itos)


def test_vocab_errors():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"character 'z' \(U\+007A\) at position 1 is not in"):
        vocab.encode("az")
    with pytest.raises(IndexError, match=r"id 3 is out of range for a vocabulary of 3"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match="specials must be single characters"):
        CharVocab("abc", specials=["<S>"])
    with pytest.raises(ValueError, match=r"1-D sequence of ids, got shape \[2, 2\]"):
        vocab.decode(tg.zeros(2, 2, dtype=tg.int64))
    assert CharVocab("").encode("") == [] and vocab.decode([]) == ""


# ---- blocks ---------------------------------------------------------------------------------
def test_splits_are_the_lecture_split():
    ds = CharDataset(TEXT, block_size=4)
    n = int(0.9 * len(TEXT))
    assert ds.data.dtype == tg.int64 and ds.data.shape == (len(TEXT),)
    assert ds.decode(ds.train_data) == TEXT[:n] and ds.decode(ds.val_data) == TEXT[n:]
    assert ds.vocab_size == len(set(TEXT)) and ds.itos == sorted(set(TEXT))


@given(batch=st.integers(1, 6), block=st.integers(1, 6), split=st.sampled_from(["train", "val"]))
def test_get_batch_shapes_and_shifted_targets(batch, block, split):
    ds = CharDataset(TEXT * 3, block_size=block)
    x, y = ds.get_batch(split, batch)
    assert x.shape == (batch, block) == y.shape and x.dtype == tg.int64 == y.dtype
    x, y = x.numpy(), y.numpy()
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    part = ds.decode(ds.train_data if split == "train" else ds.val_data)
    for row_x, row_y in zip(x, y):   # each row is a real block of that split
        assert ds.decode(row_x) + ds.decode(row_y)[-1] in part


def test_get_batch_is_deterministic_under_manual_seed():
    ds = CharDataset(TEXT, block_size=5)
    tg.manual_seed(1337)
    a = ds.get_batch("train", 4)
    tg.manual_seed(1337)
    b = ds.get_batch("train", 4)
    c = ds.get_batch("train", 4)
    assert all((u.numpy() == v.numpy()).all() for u, v in zip(a, b))
    assert not (b[0].numpy() == c[0].numpy()).all()
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(ds.get_batch("val", 2, 3, generator=g1)[0].numpy(),
                                  ds.get_batch("val", 2, 3, generator=g2)[0].numpy())


def test_dataset_items_and_dataloader():
    ds = CharDataset(TEXT, block_size=4)
    assert len(ds) == len(ds.train_data) - 4
    x, y = ds[0]
    assert ds.decode(x) == TEXT[:4] and ds.decode(y) == TEXT[1:5]
    x, y = ds[-1]
    assert ds.decode(y)[-1] == ds.decode(ds.train_data)[-1]
    val = CharDataset(TEXT, block_size=4, split="val", vocab=ds.vocab)
    assert len(val) == len(ds.val_data) - 4 and val.vocab is ds.vocab
    tg.manual_seed(0)
    xb, yb = next(iter(DataLoader(ds, batch_size=8, shuffle=True)))
    assert xb.shape == (8, 4) == yb.shape
    np.testing.assert_array_equal(xb.numpy()[:, 1:], yb.numpy()[:, :-1])


def test_dataset_errors():
    with pytest.raises(ValueError, match="block_size must be a positive int, got 0"):
        CharDataset(TEXT, block_size=0)
    with pytest.raises(ValueError, match="split must be 'train' or 'val', got 'test'"):
        CharDataset(TEXT, split="test")
    ds = CharDataset("abcdefghij", block_size=2)
    with pytest.raises(ValueError, match=r"the val split holds 1 characters, too few"):
        ds.get_batch("val", 4)
    with pytest.raises(IndexError, match="out of range for a dataset of 7 blocks"):
        ds[7]
    with pytest.raises(TypeError, match="text must be a str"):
        CharDataset(["abc"])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        CharDataset("xyz", vocab=CharVocab("abc"))


# ---- files ----------------------------------------------------------------------------------
def test_read_text_and_missing_files(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("héllo\nwörld\n", encoding="utf-8")
    assert read_text(path) == "héllo\nwörld\n"
    (tmp_path / "latin1.txt").write_bytes("h\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="is not UTF-8 text"):
        read_text(tmp_path / "latin1.txt")
    with pytest.raises(FileNotFoundError, match="read_text: no file"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match=r"apt-get install wamerican"):
        read_words(tmp_path / "words")
    with pytest.raises(FileNotFoundError, match=r"apt-get install fortunes"):
        read_fortunes(tmp_path / "fortunes")


def test_fortune_files_are_split_on_percent_lines(tmp_path):
    (tmp_path / "b").write_text("second file\n%\n", encoding="utf-8")
    (tmp_path / "a").write_text("one\n  two\n%\n\n%\nthree\n%\n", encoding="utf-8")
    (tmp_path / "a.dat").write_bytes(b"\x00\x00\x00\x02binary index")
    os.symlink("a", tmp_path / "a.u8")
    os.symlink("b", tmp_path / "c")
    assert read_fortunes(tmp_path) == ["one\n  two", "three", "second file"]
    assert read_fortunes(tmp_path, names=["b"]) == ["second file"]
    with pytest.raises(FileNotFoundError, match="no fortune file 'zz'"):
        read_fortunes(tmp_path, names=["zz"])


def test_word_list_keeps_lowercase_words(tmp_path):
    (tmp_path / "words").write_text("A\nAachen\naardvark\nabbey's\nabc\naardvark\nécole\n",
                                    encoding="utf-8")
    assert read_words(tmp_path / "words") == ["aardvark", "abc"]


@needs_fortunes
def test_debian_fortunes_load():
    quotes = read_fortunes()
    assert len(quotes) > 1000 and all(q.strip() and "\n%\n" not in q for q in quotes)
    assert read_fortunes() == quotes   # the same order every time
    ds = CharDataset("\n\n".join(quotes[:200]), block_size=16)
    x, y = ds.get_batch("train", 2)
    assert x.shape == (2, 16)


@needs_words
def test_debian_words_load():
    words = read_words()
    assert len(words) > 10000 and all(w.isascii() and w.isalpha() and w.islower()
                                      for w in words)
    vocab = CharVocab("".join(words), specials=".")
    assert vocab.itos == ["."] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
