"""Curriculum F.3: "Let's build GPT" on Debian's fortunes (/usr/share/games/fortunes).

A bigram language model as nn.Embedding(vocab, vocab); the mathematical trick of
self-attention three ways (a loop of means, a lower-triangular matrix product, a
masked softmax) and one head of it; then the lecture's GPT (tg.lm_models.GPT: heads in
a ModuleList joined with cat, blocks with LayerNorm, residuals and a 4x feed-forward,
dropout) trained with AdamW, its validation loss next to a count-based bigram
baseline, and sampled text. `tg-train --model gpt` is the full-length run.

Run: python examples/g_gpt.py [--quick] [--seed N]
"""
import sys

from _common import parser

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.data.text import CharDataset
from tinygrad_edu.lm_models import GPT
from tinygrad_edu.train_lm import bigram_loss, estimate_loss, fortunes_text


class BigramLanguageModel(nn.Module):
    """Each character reads the logits of the next one straight from a table."""

    def __init__(self, vocab_size):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)          # (B, T, vocab)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx)
            probs = F.softmax(logits[:, -1, :], dim=-1)
            idx = tg.cat([idx, probs.multinomial(num_samples=1)], dim=1)
        return idx


def train(model, data, steps, lr, batch_size, block_size):
    opt = tg.optim.AdamW(model.parameters(), lr=lr)
    for _ in range(steps):
        xb, yb = data.get_batch("train", batch_size, block_size)
        _, loss = model(xb, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return estimate_loss(model, [data.get_batch("val", batch_size, block_size)
                                 for _ in range(20)])


def attention_trick():
    """Each position's output: a weighted mean of itself and the positions before it."""
    B, T, C = 4, 8, 2
    x = tg.randn(B, T, C)
    xbow = tg.zeros(B, T, C)                              # version 1: a loop of means
    for b in range(B):
        for t in range(T):
            xbow[b, t] = x[b, :t + 1].mean(0)
    tril = tg.tril(tg.ones(T, T))
    wei = tril / tril.sum(1, keepdim=True)                # version 2: one matrix product
    xbow2 = wei @ x                                       # (T, T) @ (B, T, C) -> (B, T, C)
    wei = tg.zeros(T, T).masked_fill(tril == 0, float("-inf"))
    wei = F.softmax(wei, dim=-1)                          # version 3: masked softmax
    xbow3 = wei @ x
    print("the three versions agree:", all((xbow - v).abs().max().item() < 1e-6
                                           for v in (xbow2, xbow3)))
    print("weights of a uniform causal average:\n", wei[:4, :4])

    head_size = 16                                        # one head: data-dependent weights
    x = tg.randn(B, T, 32)
    key, query = nn.Linear(32, head_size, bias=False), nn.Linear(32, head_size, bias=False)
    wei = query(x) @ key(x).transpose(-2, -1) * head_size ** -0.5
    wei = F.softmax(wei.masked_fill(tril == 0, float("-inf")), dim=-1)
    print(f"one head's weights {list(wei.shape)}, rows sum to 1:",
          (wei.sum(-1) - 1).abs().max().item() < 1e-5)


def main():
    args = parser(__doc__).parse_args()
    tg.manual_seed(args.seed)
    try:
        text = fortunes_text()
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.quick:
        text = text[:200_000]
    data = CharDataset(text, block_size=8)
    print(f"{len(text):,} characters, vocabulary of {data.vocab_size}; "
          f"train {len(data.train_data):,} / val {len(data.val_data):,}")
    xb, yb = data.get_batch("train", batch_size=4)
    print(f"a batch: x {list(xb.shape)}, y {list(yb.shape)}; when the input is "
          f"{data.decode(xb[0, :3])!r} the target is {data.decode(yb[0, 2:3])!r}")

    baseline = bigram_loss((data.train_data[:-1].numpy(), data.train_data[1:].numpy()),
                           (data.val_data[:-1].numpy(), data.val_data[1:].numpy()),
                           data.vocab_size)
    print(f"count-based bigram baseline: val loss {baseline:.4f}")
    bigram = BigramLanguageModel(data.vocab_size)
    val = train(bigram, data, 200 if args.quick else 3000, 1e-2, 32, 8)
    print(f"bigram model (nn.Embedding(vocab, vocab)): val loss {val:.4f}")
    print(repr(data.decode(bigram.generate(tg.zeros(1, 1, dtype=tg.int64), 60)[0])))

    attention_trick()

    if args.quick:   # a small GPT for a few seconds; the lecture's config otherwise
        model, steps = GPT(data.vocab_size, n_embd=32, n_head=2, n_layer=2, block_size=16), 150
    else:
        model, steps = GPT(data.vocab_size), 3000
    val = train(model, data, steps, 1e-3, 16, model.block_size)
    print(f"GPT ({sum(p.numel() for p in model.parameters()):,} parameters) after {steps} "
          f"steps: val loss {val:.4f} (bigram baseline {baseline:.4f})")
    model.eval()
    start = tg.tensor([[data.stoi["\n"]]])
    print(data.decode(model.generate(start, max_new_tokens=300)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
