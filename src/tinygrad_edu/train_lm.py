"""The language-model main jobs: ``tg-train --model makemore`` and ``--model gpt``.

    tg-train --model makemore                   # names/words from /usr/share/dict/words
    tg-train --model gpt                        # a small GPT on Debian's fortunes
    tg-train --model gpt --text input.txt --sample 1000 --temperature 0.8 --top-k 20

makemore is the lecture's MLP (makemore part 3): the last ``block_size`` (3)
characters of a word, embedded, through Linear -> BatchNorm1d -> Tanh layers to the
next character, with '.' as the start and end token; minibatch SGD, the learning rate
divided by 10 halfway. gpt is "Let's build GPT"'s small transformer (n_embd 64, 4
heads, 4 layers, block 32, batch 16, dropout 0.2, AdamW 1e-3).

Both print the train and validation loss every ``--eval-interval`` steps (eval mode,
no graph), next to a count-based character-bigram model (add-one smoothing) on the
same split: the figure to beat. At the end they save ``model.npz`` (the state_dict)
and ``vocab.json`` (the characters and the model's sizes: ``load_checkpoint`` rebuilds
the model) in ``--out`` and print samples.

The fortunes' vocabulary: printable ASCII, newline and tab (97 characters). The
collection also holds a few hundred bells, backspace overstrikes and mis-encoded bytes
(under 500 of its 2.5 million characters); they are dropped rather than given tokens
no one would want sampled. A ``--text`` file is used as it is. The fortunes are
shuffled by record (with a fixed seed) before the 90/10 split, so the validation text
is a sample of every file rather than the last files of the alphabet.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.data.text import CharDataset, CharVocab, read_fortunes, read_text, read_words
from tinygrad_edu.lm_models import GPT, MakemoreMLP
from tinygrad_edu.train import _progress, _where, make_optimizer, save_state_dict

EVAL_ROWS = 50_000    # makemore: the examples of each split that one evaluation reads
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e\n\t]")


# ---- data ------------------------------------------------------------------------------
def fortunes_text(seed: int = 0) -> str:
    """Debian's fortunes as one text: records shuffled with ``seed``, joined by blank
    lines, reduced to printable ASCII, newline and tab."""
    records = read_fortunes()
    order = np.random.default_rng(seed).permutation(len(records))
    return _NOT_PRINTABLE.sub("", "\n\n".join(records[i] for i in order))


def build_dataset(words: Iterable[str], vocab: CharVocab,
                  block_size: int) -> tuple[tg.Tensor, tg.Tensor]:
    """makemore's examples: each character of ``word + '.'`` (a target) after the
    ``block_size`` characters before it, '.' (id 0) padding the start."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ix in vocab.encode(w + "."):
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return tg.tensor(X, dtype=tg.int64), tg.tensor(Y, dtype=tg.int64)


def bigram_loss(train_pairs: tuple[np.ndarray, np.ndarray],
                val_pairs: tuple[np.ndarray, np.ndarray], vocab_size: int) -> float:
    """Validation cross-entropy (nats) of a count-based bigram model: counts of
    (previous, next) character pairs in the training split, plus one everywhere."""
    prev, nxt = train_pairs
    pairs = np.bincount(prev * vocab_size + nxt, minlength=vocab_size ** 2)
    counts = pairs.reshape(vocab_size, vocab_size) + 1.0
    logp = np.log(counts / counts.sum(1, keepdims=True))
    return float(-logp[val_pairs[0], val_pairs[1]].mean())


# ---- models ----------------------------------------------------------------------------
def _hidden(args: argparse.Namespace) -> tuple[int, int]:
    widths = [int(h) for h in str(args.hidden).split(",") if h]
    if len(set(widths)) != 1:
        raise SystemExit(f"--hidden {args.hidden}: makemore's hidden layers share one width "
                         "(e.g. 200,200)")
    return widths[0], len(widths)


def model_config(args: argparse.Namespace, vocab_size: int) -> dict[str, Any]:
    """The constructor arguments of the model --model names (saved in vocab.json)."""
    if args.model == "makemore":
        n_hidden, n_layers = _hidden(args)
        return dict(vocab_size=vocab_size, block_size=args.block_size, n_embd=args.n_embd,
                    n_hidden=n_hidden, n_layers=n_layers)
    return dict(vocab_size=vocab_size, n_embd=args.n_embd, n_head=args.n_head,
                n_layer=args.n_layer, block_size=args.block_size, dropout=args.dropout)


def build(kind: str, config: dict[str, Any]) -> nn.Module:
    return MakemoreMLP(**config) if kind == "makemore" else GPT(**config)


def lm_loss(model: nn.Module, x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
    """Mean cross-entropy of the next character: makemore's from its logits; the
    lecture's models (GPT, the bigram) return (logits, loss) when given targets."""
    if isinstance(model, MakemoreMLP):
        return F.cross_entropy(model(x), y)
    return model(x, y)[1]


@tg.no_grad()
def estimate_loss(model: nn.Module, batches: Iterable[tuple[tg.Tensor, tg.Tensor]]) -> float:
    """Mean loss over the batches in eval mode (dropout off, batch norm's running
    statistics), weighted by batch size."""
    model.eval()
    total = count = 0.0
    for x, y in batches:
        total += lm_loss(model, x, y).item() * y.numel()
        count += y.numel()
    model.train()
    return total / count


def _chunks(x: tg.Tensor, y: tg.Tensor, size: int = 10_000) -> list[tuple[tg.Tensor, tg.Tensor]]:
    n = min(len(x), EVAL_ROWS)
    return [(x[i:i + size], y[i:i + size]) for i in range(0, n, size)]


def _sample_word(model: MakemoreMLP, temperature: float, top_k: int | None,
                 device: Any) -> list[int]:
    """One word from makemore: sample the next character until '.' (or 50 of them)."""
    context, out = [0] * model.block_size, list[int]()
    while len(out) < 50:
        logits = model(tg.tensor([context], device=device))[0] / temperature
        if top_k is not None:
            kth = logits.topk(min(top_k, logits.shape[-1])).values[-1]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        ix = int(F.softmax(logits, dim=-1).multinomial(1).item())
        if ix == 0:
            break
        out.append(ix)
        context = context[1:] + [ix]
    return out


@tg.no_grad()
def sample(model: nn.Module, vocab: CharVocab, n: int, temperature: float = 1.0,
           top_k: int | None = None, device: Any = "cpu") -> list[str]:
    """makemore: n words; gpt: one text of n characters after a newline."""
    model.eval()
    if isinstance(model, MakemoreMLP):
        out = [vocab.decode(_sample_word(model, temperature, top_k, device)) for _ in range(n)]
    else:
        start = tg.tensor([[vocab.stoi.get("\n", 0)]], device=device)
        ids = model.generate(start, max_new_tokens=n, temperature=temperature, top_k=top_k)
        out = [vocab.decode(ids[0, 1:].to("cpu"))]
    model.train()
    return out


def load_checkpoint(folder: str | os.PathLike[str]) -> tuple[nn.Module, CharVocab]:
    """The model and vocabulary a run saved in ``folder`` (model.npz + vocab.json)."""
    with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
        meta = json.load(f)
    vocab = CharVocab("".join(meta["itos"][1:]), specials=meta["itos"][0])
    model = build(meta["model"], meta["config"])
    model.load_state_dict(tg.load(os.path.join(folder, "model.npz")))
    return model, vocab


# ---- the job ---------------------------------------------------------------------------
class _Job:
    """What differs between the two models: the data, the batches and the schedule."""

    def __init__(self, args: argparse.Namespace, device: Any) -> None:
        self.args, self.device = args, device
        if args.model == "makemore":
            words = read_words(args.text)
            words = [words[i] for i in np.random.default_rng(args.seed).permutation(len(words))]
            n = int(0.9 * len(words))
            self.vocab = CharVocab("".join(words), specials=".")
            self.train = build_dataset(words[:n], self.vocab, args.block_size)
            self.val = build_dataset(words[n:], self.vocab, args.block_size)
            self.pairs = [(x[:, -1].numpy(), y.numpy()) for x, y in (self.train, self.val)]
            self.describe = (f"{os.path.basename(args.text or 'words')}: {len(words):,} words, "
                             f"{len(self.train[1]):,} train / {len(self.val[1]):,} val examples")
            self.train = tuple(t.to(device) for t in self.train)
            self.val = tuple(t.to(device) for t in self.val)
        else:
            text = fortunes_text() if args.text is None else read_text(args.text)
            self.data = CharDataset(text, block_size=args.block_size)
            self.vocab = self.data.vocab
            self.pairs = [(ids[:-1], ids[1:]) for ids in
                          (self.data.train_data.numpy(), self.data.val_data.numpy())]
            self.describe = (f"{os.path.basename(args.text or 'fortunes')}: {len(text):,} "
                             f"characters, {len(self.data.train_data):,} train / "
                             f"{len(self.data.val_data):,} val")

    def batch(self) -> tuple[tg.Tensor, tg.Tensor]:
        if self.args.model == "gpt":
            return self.data.get_batch("train", self.args.batch_size, device=self.device)
        x, y = self.train
        ix = tg.randint(0, len(y), (self.args.batch_size,), device=self.device)
        return x[ix], y[ix]

    def losses(self, model: nn.Module) -> tuple[float, float]:
        """(train, val) loss: the GPT's over --eval-iters random batches of each split
        (the lecture's estimate_loss), makemore's over up to EVAL_ROWS examples."""
        if self.args.model == "gpt":
            tr, va = (estimate_loss(model, (
                self.data.get_batch(split, self.args.batch_size, device=self.device)
                for _ in range(self.args.eval_iters))) for split in ("train", "val"))
            return tr, va
        return estimate_loss(model, _chunks(*self.train)), estimate_loss(model, _chunks(*self.val))

    def lr(self, step: int) -> float:
        """makemore: the lecture's step decay (lr/10 for the second half); gpt: constant."""
        if self.args.model == "makemore" and step >= self.args.max_iters // 2:
            return self.args.lr / 10
        return self.args.lr


def _write(bar: Any, message: str) -> None:
    """Print a line without breaking a live progress bar."""
    getattr(bar, "write", print)(message)
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Train --model makemore or gpt as tg-train's options say; returns the exit code."""
    tg.manual_seed(args.seed)
    try:
        device = tg.device(args.device)
        job = _Job(args, device)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    config = model_config(args, len(job.vocab))
    model = build(args.model, config).to(device)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, args.momentum,
                               args.weight_decay)
    n_params = sum(p.numel() for p in model.parameters())
    baseline = bigram_loss(job.pairs[0], job.pairs[1], len(job.vocab))
    print(f"{job.describe}; vocab {len(job.vocab)} characters")
    print(f"model {args.model}: {n_params:,} parameters ({config}); {args.optimizer} "
          f"lr={args.lr}, batch {args.batch_size}, {args.max_iters} steps; {_where(device)}")
    print(f"bigram baseline (counts + 1): val loss {baseline:.4f}", flush=True)
    history: list[tuple[int, float, float]] = []

    def report(step: int, bar: Any) -> None:
        tr, va = job.losses(model)
        history.append((step, tr, va))
        _write(bar, f"step {step}: train loss {tr:.4f}, val loss {va:.4f}")

    bar = _progress(range(1, args.max_iters + 1), args.max_iters, args.model, args.quiet)
    report(0, bar)
    t0 = time.perf_counter()
    for step in bar:
        for group in optimizer.param_groups:
            group["lr"] = job.lr(step - 1)
        x, y = job.batch()
        loss = lm_loss(model, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if hasattr(bar, "set_postfix") and step % 20 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
        if step % args.eval_interval == 0 or step == args.max_iters:
            report(step, bar)
    if hasattr(bar, "close"):
        bar.close()
    wall = time.perf_counter() - t0
    os.makedirs(args.out, exist_ok=True)
    weights = save_state_dict(model, os.path.join(args.out, "model.npz"))
    with open(os.path.join(args.out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({"model": args.model, "itos": job.vocab.itos, "config": config}, f)
    _, train_loss, val_loss = history[-1]
    print(f"done: train loss {train_loss:.4f}, val loss {val_loss:.4f} (bigram baseline "
          f"{baseline:.4f}) after {args.max_iters} steps in {wall:.1f} s "
          f"({1000 * wall / args.max_iters:.1f} ms/step, evaluations included)")
    print(f"saved weights to {weights} and the vocabulary to "
          f"{os.path.join(args.out, 'vocab.json')}")
    if args.sample:
        print(f"samples (temperature {args.temperature}, top-k {args.top_k}):")
        for s in sample(model, job.vocab, args.sample, args.temperature, args.top_k, device):
            print(s)
    return 0
