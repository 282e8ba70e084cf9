"""The language models of the curriculum's chapter F, written as the lectures write
them (so the same code runs on PyTorch by changing the import): makemore's MLP over
character embeddings with batch norm, and the character-level GPT of "Let's build
GPT" (heads in a ModuleList joined with cat, a causal mask from tril, blocks with
LayerNorm, residuals and a 4x feed-forward). Used by ``tg-train --model makemore``
and ``--model gpt``."""
from __future__ import annotations

import tinygrad_edu as tg
from tinygrad_edu import nn
import tinygrad_edu.nn.functional as F


class MakemoreMLP(nn.Module):
    """Bengio et al.'s MLP as in makemore part 3: the embeddings of ``block_size``
    characters, flattened, through Linear -> BatchNorm1d -> Tanh layers to logits."""

    def __init__(self, vocab_size: int, block_size: int = 3, n_embd: int = 10,
                 n_hidden: int = 200, n_layers: int = 2) -> None:
        super().__init__()
        self.block_size = block_size
        self.C = nn.Embedding(vocab_size, n_embd)
        layers: list[nn.Module] = []
        width = n_embd * block_size
        for _ in range(n_layers):
            layers += [nn.Linear(width, n_hidden, bias=False), nn.BatchNorm1d(n_hidden),
                       nn.Tanh()]
            width = n_hidden
        layers.append(nn.Linear(width, vocab_size))
        self.net = nn.Sequential(*layers)
        with tg.no_grad():
            self.net[-1].weight *= 0.1   # a less confident start, as in the lecture

    def forward(self, idx: tg.Tensor) -> tg.Tensor:
        emb = self.C(idx)                                   # (B, block, n_embd)
        return self.net(emb.view(emb.shape[0], -1))


class Head(nn.Module):
    """One head of causal self-attention."""

    def __init__(self, n_embd: int, head_size: int, block_size: int, dropout: float) -> None:
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", tg.ones(block_size, block_size).tril())
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)                   # (B, T, head_size)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = self.dropout(F.softmax(wei, dim=-1))
        return wei @ self.value(x)


class MultiHeadAttention(nn.Module):
    """Heads side by side, joined with cat and projected back to n_embd."""

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float) -> None:
        super().__init__()
        size = n_embd // n_head
        self.heads = nn.ModuleList([Head(n_embd, size, block_size, dropout)
                                    for _ in range(n_head)])
        self.proj = nn.Linear(n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        out = tg.cat([h(x) for h in self.heads], dim=-1)
        return self.dropout(self.proj(out))


class Block(nn.Module):
    """Communication (attention) then computation (a 4x MLP), each pre-normed with a
    residual connection."""

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float) -> None:
        super().__init__()
        self.sa = MultiHeadAttention(n_embd, n_head, block_size, dropout)
        self.ffwd = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(),
                                  nn.Linear(4 * n_embd, n_embd), nn.Dropout(dropout))
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))


class GPT(nn.Module):
    """A character-level transformer language model (the lecture's small one by
    default: n_embd 64, 4 heads, 4 layers, block 32)."""

    def __init__(self, vocab_size: int, n_embd: int = 64, n_head: int = 4, n_layer: int = 4,
                 block_size: int = 32, dropout: float = 0.2) -> None:
        super().__init__()
        self.block_size = block_size
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head, block_size, dropout)
                                      for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx: tg.Tensor, targets: tg.Tensor | None = None
                ) -> tuple[tg.Tensor, tg.Tensor | None]:
        B, T = idx.shape
        tok = self.token_embedding_table(idx)                          # (B, T, C)
        pos = self.position_embedding_table(tg.arange(T, device=idx.device))
        logits = self.lm_head(self.ln_f(self.blocks(tok + pos)))       # (B, T, vocab)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss

    @tg.no_grad()
    def generate(self, idx: tg.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None) -> tg.Tensor:
        """Extend idx (B, T) by sampling one token at a time from the last position."""
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                kth = logits.topk(min(top_k, logits.shape[-1])).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = F.softmax(logits, dim=-1).multinomial(num_samples=1)
            idx = tg.cat([idx, nxt], dim=1)
        return idx
