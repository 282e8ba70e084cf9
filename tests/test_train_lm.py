"""The language-model jobs (tg-train --model makemore / gpt, train_lm.py): defaults,
tiny runs on small files (printed losses, baseline, samples, checkpoint), the bigram
baseline and the makemore examples."""
import json
import os
import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import train, train_lm
from tinygrad_edu.data.text import FORTUNES_DIR, CharVocab

TINY_GPT = ["--model", "gpt", "--n-embd", "16", "--n-layer", "1", "--n-head", "2",
            "--block-size", "8", "--batch-size", "8", "--eval-iters", "2", "--quiet"]
TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 40
# 400 distinct words of two to four syllables: a structure makemore learns in 100 steps
_SYLLABLES = ["ba", "ko", "mi", "tu", "re", "sa", "lo", "ne"]
WORDS = "\n".join(sorted({"".join(np.random.default_rng(i).choice(_SYLLABLES, 2 + i % 3))
                           for i in range(600)})[:400])


def _losses(text):
    return [(int(s), float(t), float(v)) for s, t, v in
            re.findall(r"step (\d+): train loss (\d+\.\d+), val loss (\d+\.\d+)", text)]


def test_defaults_are_the_lectures():
    g = train.parse_args(["--model", "gpt"])
    assert (g.n_embd, g.n_head, g.n_layer, g.block_size, g.batch_size, g.dropout) == \
        (64, 4, 4, 32, 16, 0.2)
    assert (g.optimizer, g.lr, g.weight_decay, g.out) == ("adamw", 1e-3, 0.01, "runs/gpt")
    m = train.parse_args(["--model", "makemore"])
    assert (m.block_size, m.n_embd, m.hidden, m.optimizer, m.lr, m.batch_size) == \
        (3, 10, "200,200", "sgd", 0.1, 32)
    assert m.out == "runs/makemore" and train.parse_args([]).out == "runs/mlp"
    assert train.parse_args([]).weight_decay == 0.0
    with pytest.raises(SystemExit):
        train.parse_args(["--model", "gpt", "--temperature", "0"])


def test_tiny_gpt_run_prints_losses_baseline_samples_and_saves(tmp_path, capsys):
    (tmp_path / "t.txt").write_text(TEXT)
    out = tmp_path / "run"
    code = train.main([*TINY_GPT, "--text", str(tmp_path / "t.txt"), "--max-iters", "60",
                       "--eval-interval", "30", "--sample", "50", "--top-k", "5",
                       "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert [s for s, _, _ in _losses(text)] == [0, 30, 60]
    (_, tr0, va0), (_, tr, va) = _losses(text)[0], _losses(text)[-1]
    assert va < va0 and tr < tr0, text
    baseline = float(re.search(r"bigram baseline \(counts \+ 1\): val loss (\d\.\d+)",
                               text).group(1))
    assert f"(bigram baseline {baseline:.4f})" in text
    sample = text.split("samples (temperature 1.0, top-k 5):\n")[1]
    assert len(sample) == 50 + 1 and set(sample) <= set(TEXT)  # 50 characters + newline
    model, vocab = train_lm.load_checkpoint(out)
    assert vocab.itos == sorted(set(TEXT)) and model.block_size == 8
    x = tg.tensor([vocab.encode("the cat")])
    saved = tg.load(str(out / "model.npz"))
    model.eval()
    np.testing.assert_array_equal(model.token_embedding_table.weight.detach().numpy(),
                                  np.asarray(saved["token_embedding_table.weight"]))
    assert model(x)[0].shape == (1, 7, len(vocab))


def test_tiny_makemore_run_samples_words(tmp_path, capsys):
    (tmp_path / "w.txt").write_text(WORDS)
    out = tmp_path / "mm"
    code = train.main(["--model", "makemore", "--text", str(tmp_path / "w.txt"),
                       "--hidden", "32,32", "--max-iters", "100", "--eval-interval", "50",
                       "--sample", "6", "--temperature", "0.8", "--quiet", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    losses = _losses(text)
    assert [s for s, _, _ in losses] == [0, 50, 100] and losses[-1][2] < losses[0][2]
    words = text.split("samples (temperature 0.8, top-k None):\n")[1].splitlines()
    assert len(words) == 6 and all(re.fullmatch(r"[a-z]*", w) for w in words), words
    meta = json.loads((out / "vocab.json").read_text())
    assert meta["model"] == "makemore" and meta["itos"] == ["."] + sorted(set("".join(_SYLLABLES)))
    model, vocab = train_lm.load_checkpoint(out)
    assert vocab.itos == meta["itos"] and model.block_size == 3
    assert meta["config"]["n_hidden"] == 32 and meta["config"]["n_layers"] == 2


def test_makemore_examples_are_the_lectures():
    vocab = CharVocab("emma", specials=".")          # '.' 0, a 1, e 2, m 3
    X, Y = train_lm.build_dataset(["emma"], vocab, block_size=3)
    assert X.tolist() == [[0, 0, 0], [0, 0, 2], [0, 2, 3], [2, 3, 3], [3, 3, 1]]
    assert Y.tolist() == [2, 3, 3, 1, 0]


def test_bigram_baseline_by_hand():
    # train pairs a->b twice, b->a once over 2 symbols: P(b|a) = 3/4, P(a|b) = 2/3
    loss = train_lm.bigram_loss((np.array([0, 0, 1]), np.array([1, 1, 0])),
                                (np.array([0, 1]), np.array([1, 1])), 2)
    assert loss == pytest.approx(-(np.log(3 / 4) + np.log(1 / 3)) / 2)


def test_unequal_makemore_widths_and_missing_text_are_clear(tmp_path, capsys):
    with pytest.raises(SystemExit, match="share one width"):
        train_lm.model_config(train.parse_args(["--model", "makemore", "--hidden", "8,4"]), 27)
    code = train.main(["--model", "gpt", "--text", str(tmp_path / "none.txt"), "--quiet",
                       "--out", str(tmp_path / "o")])
    assert code == 2 and "none.txt" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.isdir(FORTUNES_DIR), reason="Debian's fortunes not installed")
def test_fortunes_vocabulary_is_printable_ascii():
    text = train_lm.fortunes_text()
    chars = set(text)
    assert chars <= {chr(c) for c in range(32, 127)} | {"\n", "\t"}
    assert len(chars) > 90 and len(text) > 1_000_000
    assert train_lm.fortunes_text()[:1000] == text[:1000]  # the split is the same every run
