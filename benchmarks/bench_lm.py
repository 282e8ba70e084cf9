"""How fast do language models train? A training step of the small GPT from "Let's
build GPT" (vocabulary 65, n_embd 64, 4 heads, 4 layers, block 32, batch 16, AdamW,
dropout 0.2) and of d2l's LSTM language model (28 one-hot characters, 256 hidden,
35 steps, batch 32, SGD with gradient clipping) against PyTorch on the CPU,
alternating in one run; plus the layers they are made of (layer norm, masked
softmax, dropout) forward and backward.

    python benchmarks/bench_lm.py [--quick] [--json PATH]

The GPT is tinygrad_edu.lm_models run twice: as written, and with its three
imports pointed at torch (the same source, "change the import"). Ratios are time
ratios (ours / theirs): the targets are the GPT step <= 0.7x PyTorch and the LSTM
step <= 1.0x.
"""
import os
import types

import _harness as H
import numpy as np

import tinygrad_edu as tg

torch = H.optional("torch")
_LM = os.path.join(os.path.dirname(tg.__file__), "lm_models.py")
_TO_TORCH = [("import tinygrad_edu as tg", "import torch as tg"),
             ("from tinygrad_edu import nn", "from torch import nn"),
             ("import tinygrad_edu.nn.functional as F", "import torch.nn.functional as F")]


def lm_models(lib):
    """tinygrad_edu.lm_models compiled for lib (tg, or torch by swapping the imports)."""
    with open(_LM) as f:
        src = f.read()
    if lib is not tg:
        for ours, theirs in _TO_TORCH:
            assert ours in src, ours
            src = src.replace(ours, theirs)
    mod = types.ModuleType(f"lm_models_{lib.__name__}")
    exec(compile(src, _LM, "exec"), mod.__dict__)  # noqa: S102 - our own source file
    return mod


def _gpt_step(lib, rng):
    lib.manual_seed(0)
    model = lm_models(lib).GPT(65)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    data = rng.integers(0, 65, 20000)

    def step():
        ix = rng.integers(0, len(data) - 33, 16)
        x = lib.tensor(np.stack([data[i:i + 32] for i in ix]))
        y = lib.tensor(np.stack([data[i + 1:i + 33] for i in ix]))
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def _lstm_step(lib, rng):
    lib.manual_seed(0)
    vocab, hidden, steps, batch = 28, 256, 35, 32
    rnn, head = lib.nn.LSTM(vocab, hidden), lib.nn.Linear(hidden, vocab)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = lib.optim.SGD(params, lr=1.0)
    tokens = rng.integers(0, vocab, (steps + 1, batch))
    x = lib.nn.functional.one_hot(lib.tensor(tokens[:-1]), vocab).float()
    y = lib.tensor(tokens[1:].reshape(-1))

    def step():
        out, _ = rnn(x)
        loss = lib.nn.functional.cross_entropy(head(out.reshape(-1, hidden)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    return step


def _layer_cases(rng):
    """(label, {name: fn}) forward+backward of the GPT's pieces at its shapes."""
    x = rng.standard_normal((16, 32, 64)).astype(np.float32)
    s = rng.standard_normal((16, 32, 32)).astype(np.float32)
    cases = []
    for label, make in [
            ("layer_norm [16, 32, 64] fwd+bwd",
             lambda L, t: L.nn.functional.layer_norm(t, (64,), L.ones(64), L.zeros(64))),
            ("causal masked softmax [16, 32, 32] fwd+bwd",
             lambda L, t: t.masked_fill(L.tril(L.ones(32, 32)) == 0, float("-inf"))
             .softmax(-1)),
            ("dropout p=0.2 [16, 32, 64] fwd+bwd",
             lambda L, t: L.nn.functional.dropout(t, 0.2))]:
        fns = {}
        for name, L in (("ours", tg), ("torch", torch)):
            if L is None:
                continue
            data = x if "masked" not in label else s
            t = L.tensor(data, requires_grad=True)

            def fn(L=L, t=t, make=make):
                make(L, t).sum().backward()
            fns[name] = fn
        cases.append((label, fns))
    return cases


def run(bench):
    rng = np.random.default_rng(0)
    peers = ["torch"] if torch else []
    layers = H.TimeTable(bench, "transformer pieces (float32)", peers, kind="time")
    for label, cands in _layer_cases(rng):
        layers.add(label, bench.compare(cands))
    bench.show(layers.table)
    steps = H.TimeTable(bench, "training steps", peers, kind="time")
    for label, make, goal in [("GPT step (65 / 64 / 4 heads / 4 layers / block 32 / b16)",
                               _gpt_step, 0.7),
                              ("LSTM LM step (28 / 256 hidden / 35 steps / b32)",
                               _lstm_step, 1.0)]:
        cands = {"ours": make(tg, rng)}
        if torch is not None:
            cands["torch"] = make(torch, rng)
        ratio = steps.add(label, bench.compare(cands, repeats=3 if bench.quick else 7))
        bench.target(f"{label.split(' (')[0]} vs torch", ratio.get("torch", float("nan")),
                     "<=", goal, detail="" if torch else "torch not installed")
    bench.show(steps.table)


def main():
    bench = H.Bench(__doc__)
    bench.start(torch)
    run(bench)
    bench.finish()


if __name__ == "__main__":
    main()
