"""Curriculum F.1-F.2: makemore on the words of /usr/share/dict/words (Debian's
wamerican), '.' marking a word's start and end.

F.1: a bigram model as counts of character pairs in a 27x27 tensor, row-normalised
and sampled with multinomial; then the same model as one weight matrix trained by
gradient descent on one-hot inputs, which reaches the counts' loss.
F.2: the MLP of Bengio et al. written by hand (an embedding table C indexed by the
contexts, a tanh layer with batch norm by hand), minibatches, learning-rate decay;
then the same net from nn modules (tg.lm_models.MakemoreMLP), and sampled words.
`tg-train --model makemore` is the long run of the second net.

Run: python examples/f_makemore.py [--quick] [--seed N]
"""
import sys

import numpy as np
from _common import parser

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.data.text import CharVocab, read_words
from tinygrad_edu.lm_models import MakemoreMLP
from tinygrad_edu.train_lm import build_dataset, sample


def bigram_counts(words, vocab):
    """F.1: N[i, j] = how often character j follows i, and the smoothed P."""
    xs, ys = [], []
    for w in words:
        ids = vocab.encode("." + w + ".")
        xs += ids[:-1]
        ys += ids[1:]
    xs, ys = tg.tensor(xs), tg.tensor(ys)
    V = len(vocab)
    # a count table is a product of one-hots: (V, n) @ (n, V) adds one per pair
    N = (F.one_hot(xs, V).float().T @ F.one_hot(ys, V).float()).long()
    P = (N + 1).float()                       # add-one smoothing: no pair has probability 0
    P = P / P.sum(1, keepdim=True)
    print(f"counts tensor of shape {list(N.shape)}, {int(N.sum().item()):,} pairs; "
          f"row sums {P.sum(1).min().item():.4f}..{P.sum(1).max().item():.4f}")
    nll = -P[xs, ys].log().mean().item()
    print(f"count model: mean negative log likelihood {nll:.4f}")
    names = []
    for _ in range(5):
        ix, out = 0, []
        while True:
            ix = int(P[ix].multinomial(1).item())
            if ix == 0:
                break
            out.append(vocab.itos[ix])
        names.append("".join(out))
    print("sampled from the counts:", ", ".join(names))
    return xs, ys, nll


def bigram_by_gradient_descent(xs, ys, V, steps):
    """F.1, the neural way: logits = one_hot(x) @ W; the same model, learned."""
    W = tg.randn(V, V, requires_grad=True)
    xenc = F.one_hot(xs, V).float()
    for _ in range(steps):
        loss = F.cross_entropy(xenc @ W, ys) + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data -= 50 * W.grad
    print(f"one weight matrix after {steps} steps of gradient descent: loss {loss.item():.4f}")
    return loss.item()


def mlp_by_hand(Xtr, Ytr, Xva, Yva, V, steps):
    """F.2: C[X] -> flatten -> Linear -> batch norm by hand -> tanh -> Linear."""
    n_embd, n_hidden, block = 10, 200, Xtr.shape[1]
    C = tg.randn(V, n_embd)
    W1 = tg.randn(n_embd * block, n_hidden) * (5 / 3) / (n_embd * block) ** 0.5
    W2, b2 = tg.randn(n_hidden, V) * 0.01, tg.zeros(V)
    bngain, bnbias = tg.ones(1, n_hidden), tg.zeros(1, n_hidden)
    bnmean_running, bnstd_running = tg.zeros(1, n_hidden), tg.ones(1, n_hidden)
    params = [C, W1, W2, b2, bngain, bnbias]
    for p in params:
        p.requires_grad_()

    def forward(X, training):
        hpre = C[X].view(X.shape[0], -1) @ W1            # (B, block * n_embd) @ W1
        if training:
            mean, std = hpre.mean(0, keepdim=True), hpre.std(0, keepdim=True)
            with tg.no_grad():                           # running estimates for evaluation
                bnmean_running.mul_(0.999).add_(0.001 * mean)
                bnstd_running.mul_(0.999).add_(0.001 * std)
        else:
            mean, std = bnmean_running, bnstd_running
        return ((hpre - mean) / std * bngain + bnbias).tanh() @ W2 + b2

    for i in range(steps):
        ix = tg.randint(0, Xtr.shape[0], (32,))
        loss = F.cross_entropy(forward(Xtr[ix], True), Ytr[ix])
        for p in params:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps // 2 else 0.01            # learning-rate decay
        for p in params:
            p.data -= lr * p.grad
    with tg.no_grad():
        val = F.cross_entropy(forward(Xva, False), Yva).item()
    print(f"MLP by hand after {steps} steps: val loss {val:.4f}")
    return val


def mlp_with_modules(Xtr, Ytr, Xva, Yva, V, steps):
    """F.2 with nn.Embedding, nn.Linear, nn.BatchNorm1d, nn.Tanh and tg.optim.SGD."""
    model = MakemoreMLP(V, block_size=Xtr.shape[1])
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    for i in range(steps):
        ix = tg.randint(0, Xtr.shape[0], (32,))
        loss = F.cross_entropy(model(Xtr[ix]), Ytr[ix])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.param_groups[0]["lr"] = 0.1 if i < steps // 2 else 0.01
        opt.step()
    model.eval()                                        # batch norm's running statistics
    with tg.no_grad():
        val = F.cross_entropy(model(Xva), Yva).item()
    print(f"MakemoreMLP (nn modules) after {steps} steps: val loss {val:.4f}")
    print(model)
    return model, val


def main():
    args = parser(__doc__).parse_args()
    tg.manual_seed(args.seed)
    try:
        words = read_words()
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    words = [words[i] for i in np.random.default_rng(args.seed).permutation(len(words))]
    if args.quick:
        words = words[:4000]
    vocab = CharVocab("".join(words), specials=".")
    print(f"{len(words):,} words, vocabulary {''.join(vocab.itos)!r}")

    xs, ys, count_nll = bigram_counts(words, vocab)
    gd_nll = bigram_by_gradient_descent(xs, ys, len(vocab), 30 if args.quick else 200)
    print(f"gradient descent is {gd_nll - count_nll:+.4f} from the counts' loss")

    n = int(0.9 * len(words))
    Xtr, Ytr = build_dataset(words[:n], vocab, block_size=3)
    Xva, Yva = build_dataset(words[n:], vocab, block_size=3)
    print(f"contexts X {list(Xtr.shape)} -> targets Y {list(Ytr.shape)}; first: "
          f"{vocab.decode(Xtr[0])!r} -> {vocab.itos[int(Ytr[0].item())]!r}")
    steps = 600 if args.quick else 20000
    mlp_by_hand(Xtr, Ytr, Xva, Yva, len(vocab), steps)
    model, _ = mlp_with_modules(Xtr, Ytr, Xva, Yva, len(vocab), steps)
    print("sampled words:", ", ".join(sample(model, vocab, 10)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
