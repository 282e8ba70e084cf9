"""Golden tests of /work/shared/curriculum.md section F (language models), each program
written as the lectures write it and run twice: on tg and, unchanged, on PyTorch (the
library comes in as ``torch``, ``nn`` and ``F``, as an import would bring it). Sizes
are cut down so the suite stays quick; each checks shapes and that training learns."""
import math
import os
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as tgF
from tinygrad_edu import nn as tgnn

# the lecture's GPT source compiled for either library (benchmarks/ is not a package)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
from bench_lm import lm_models  # noqa: E402

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia",
         "harper", "evelyn", "abigail", "emily", "ella", "elizabeth", "camila", "luna"]


def _libs():
    libs = [(tg, tgnn, tgF)]
    try:
        import torch
        libs.append((torch, torch.nn, torch.nn.functional))
    except ImportError:
        pass
    return libs


LIBS = pytest.mark.parametrize("lib", _libs(), ids=lambda lib: lib[0].__name__)


def _vocab(words):
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    return stoi, {i: s for s, i in stoi.items()}


# ---- F.1 makemore, bigram ---------------------------------------------------------------
@LIBS
def test_f1_bigram_counts_sampling_and_gradient_descent(lib):
    torch, nn, F = lib
    stoi, itos = _vocab(WORDS)
    V = len(stoi)
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            N[stoi[ch1], stoi[ch2]] += 1
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    torch.manual_seed(2147483647)
    out, ix = [], 0
    while True:
        ix = torch.multinomial(P[ix], num_samples=1, replacement=True).item()
        if ix == 0 or len(out) > 30:
            break
        out.append(itos[ix])
    assert all(c in stoi for c in out)
    xs, ys = [], []
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    xs, ys = torch.tensor(xs), torch.tensor(ys)
    W = torch.randn((V, V), requires_grad=True)
    losses = []
    for _ in range(60):
        xenc = F.one_hot(xs, num_classes=V).float()
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(len(ys)), ys].log().mean() + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data += -10 * W.grad
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5


# ---- F.2 makemore, MLP with hand-written batch norm -----------------------------------
@LIBS
def test_f2_mlp_over_embeddings_with_batch_norm_by_hand(lib):
    torch, nn, F = lib
    stoi, _ = _vocab(WORDS)
    block = 3
    X, Y = [], []
    for w in WORDS:
        context = [0] * block
        for ch in w + ".":
            X.append(context)
            Y.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    X, Y = torch.tensor(X), torch.tensor(Y)
    torch.manual_seed(0)
    C = torch.randn((len(stoi), 10), requires_grad=True)
    W1 = torch.randn((30, 64)) * (5 / 3) / 30 ** 0.5
    W2 = torch.randn((64, len(stoi))) * 0.01
    b2 = torch.zeros(len(stoi))
    bngain, bnbias = torch.ones((1, 64)), torch.zeros((1, 64))
    bnmean_running, bnstd_running = torch.zeros((1, 64)), torch.ones((1, 64))
    params = [C, W1, W2, b2, bngain, bnbias]
    for p in params:
        p.requires_grad = True
    losses = []
    for i in range(150):
        ix = torch.randint(0, X.shape[0], (32,))
        emb = C[X[ix]]
        assert tuple(emb.shape) == (32, 3, 10)
        hpre = emb.view(emb.shape[0], -1) @ W1
        bnmeani, bnstdi = hpre.mean(0, keepdim=True), hpre.std(0, keepdim=True)
        h = torch.tanh(bngain * (hpre - bnmeani) / bnstdi + bnbias)
        with torch.no_grad():
            bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
            bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
        loss = F.cross_entropy(h @ W2 + b2, Y[ix])
        for p in params:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 100 else 0.01
        for p in params:
            p.data += -lr * p.grad
        losses.append(loss.item())
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) - 0.5
    assert not bnmean_running.requires_grad
    # the same net from layers
    model = nn.Sequential(nn.Embedding(len(stoi), 10), nn.Flatten(), nn.Linear(30, 64, bias=False),
                          nn.BatchNorm1d(64), nn.Tanh(), nn.Linear(64, len(stoi)))
    assert tuple(model(X[:5]).shape) == (5, len(stoi))


# ---- F.3 GPT from scratch ------------------------------------------------------------------
@LIBS
def test_f3_self_attention_head_and_a_tiny_gpt_learn_and_sample(lib):
    torch, nn, F = lib
    torch.manual_seed(1337)
    B, T, C = 4, 8, 32
    x = torch.randn(B, T, C)
    tril = torch.tril(torch.ones(T, T))
    wei = torch.zeros((T, T)).masked_fill(tril == 0, float("-inf"))
    wei = F.softmax(wei, dim=-1)
    assert abs(wei[3, :4].sum().item() - 1) < 1e-6 and wei[3, 4:].sum().item() == 0
    head = 16
    key, query, value = (nn.Linear(C, head, bias=False) for _ in range(3))
    k, q = key(x), query(x)
    wei = q @ k.transpose(-2, -1) * head ** -0.5
    wei = F.softmax(wei.masked_fill(tril[:T, :T] == 0, float("-inf")), dim=-1)
    assert tuple((wei @ value(x)).shape) == (B, T, head)
    # the lecture's model (tinygrad_edu.lm_models), written once, run on this library
    gpt = lm_models(torch).GPT(12, n_embd=16, n_head=2, n_layer=1,
                                                block_size=8, dropout=0.0)
    data = torch.tensor([i % 12 for i in range(400)])
    opt = torch.optim.AdamW(gpt.parameters(), lr=1e-2)
    first = None
    for _ in range(40):
        ix = torch.randint(len(data) - 9, (8,))
        xb = torch.stack([data[i:i + 8] for i in ix])
        yb = torch.stack([data[i + 1:i + 9] for i in ix])
        _, loss = gpt(xb, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < first / 2 and first > math.log(12) - 0.5
    out = gpt.generate(torch.zeros((1, 1), dtype=torch.long), max_new_tokens=10)
    assert tuple(out.shape) == (1, 11)


# ---- F.4 recurrent networks ----------------------------------------------------------------
@LIBS
def test_f4_rnn_from_scratch_with_clipping_then_the_layers(lib):
    torch, nn, F = lib
    torch.manual_seed(0)
    vocab, hidden, steps, batch = 6, 16, 5, 3
    W_xh = (torch.randn(vocab, hidden) * 0.1).requires_grad_()
    W_hh = (torch.randn(hidden, hidden) * 0.1).requires_grad_()
    b_h = torch.zeros(hidden, requires_grad=True)
    W_hq = (torch.randn(hidden, vocab) * 0.1).requires_grad_()
    b_q = torch.zeros(vocab, requires_grad=True)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    seq = torch.tensor([[(t + b) % vocab for b in range(batch)] for t in range(steps + 1)])
    losses = []
    for _ in range(60):
        H = torch.zeros(batch, hidden)
        outs = []
        for X in F.one_hot(seq[:-1], vocab).float():
            H = torch.tanh(X @ W_xh + H @ W_hh + b_h)
            outs.append(H @ W_hq + b_q)
        loss = F.cross_entropy(torch.cat(outs, dim=0), seq[1:].reshape(-1))
        for p in params:
            p.grad = None
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        assert norm.item() >= 0
        with torch.no_grad():
            for p in params:
                p -= 1.0 * p.grad
        losses.append(loss.item())
    assert math.exp(losses[-1]) < math.exp(losses[0]) / 2   # perplexity
    for layer in (nn.RNN(vocab, hidden), nn.GRU(vocab, hidden),
                  nn.LSTM(vocab, hidden, batch_first=True)):
        x = F.one_hot(seq[:-1], vocab).float()
        out, state = layer(x)
        assert tuple(out.shape) == (steps, batch, hidden)
