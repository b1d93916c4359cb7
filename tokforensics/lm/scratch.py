"""Small causal transformers trained from scratch on token sequences (the arithmetic study's models).

A plain pre-norm GPT: learned token and position embeddings, causal self-attention through
`scaled_dot_product_attention`, GELU MLP, untied output layer. Training is AdamW with linear warmup and a
cosine decay, and a loss mask so only the chosen positions (the answer) are learned. Everything is seeded:
the weights from `seed`, the batch order from a numpy generator of the same seed, so a run on the same
machine and device gives the same numbers.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UsageError


@dataclass(frozen=True)
class Shape:
    vocab_size: int
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    max_len: int = 64
    mlp: int = 4  # MLP width as a multiple of d_model

    def check(self) -> None:
        if self.d_model < 8 or self.layers < 1 or self.heads < 1:
            raise UsageError(f"model shape {self}: need d_model >= 8, layers >= 1, heads >= 1")
        if self.d_model % self.heads:
            raise UsageError(f"model width {self.d_model} is not a multiple of {self.heads} heads")


def select_device(device: str | None) -> str:
    """'auto' or None: CUDA when torch sees a GPU, else CPU. 'cuda' without a GPU is a UsageError."""
    from .hf import pick_device

    return pick_device(None if device in (None, "", "auto") else device)


def set_threads(threads: int | None) -> int:
    """torch CPU threads: `threads`, else $TOKFORENSICS_THREADS, else torch's default. Returns the count."""
    n = threads or int(os.environ.get("TOKFORENSICS_THREADS", "0") or 0)
    if n:
        torch.set_num_threads(int(n))
    return torch.get_num_threads()


class _Block(nn.Module):
    def __init__(self, d: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, mlp * d), nn.GELU(), nn.Linear(mlp * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + self.out(a)
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    """features: per token, the indices of its active features; when given, a token's input and output
    embeddings are sums of learned feature vectors (digit-composed) instead of free rows."""

    def __init__(self, shape: Shape, features: list[list[int]] | None = None) -> None:
        super().__init__()
        shape.check()
        self.shape = shape
        if features is not None:
            if len(features) != shape.vocab_size:
                raise ValueError("features need one list per token")
            n = 1 + max(f for fs in features for f in fs)
            comp = torch.zeros(shape.vocab_size, n)
            for i, fs in enumerate(features):
                comp[i, fs] = 1.0
            self.register_buffer("comp", comp)
            self.feat_in = nn.Parameter(torch.empty(n, shape.d_model))
            self.feat_out = nn.Parameter(torch.empty(n, shape.d_model))
        else:
            self.comp = None
        self.tok = nn.Embedding(shape.vocab_size, shape.d_model)
        self.pos = nn.Embedding(shape.max_len, shape.d_model)
        self.blocks = nn.ModuleList(_Block(shape.d_model, shape.heads, shape.mlp) for _ in range(shape.layers))
        self.ln = nn.LayerNorm(shape.d_model)
        self.head = nn.Linear(shape.d_model, shape.vocab_size, bias=False)
        for m in self.modules():
            if isinstance(m, nn.Linear | nn.Embedding):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
        if self.comp is not None:
            nn.init.normal_(self.feat_in, std=0.02)
            nn.init.normal_(self.feat_out, std=0.02)
            # the free rows are unused; keep them out of the parameter count and the optimiser
            self.tok.weight.requires_grad_(False)
            self.head.weight.requires_grad_(False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        t = ids.shape[1]
        if t > self.shape.max_len:
            raise ValueError(f"sequence of {t} tokens is longer than the model's {self.shape.max_len} positions")
        pos = self.pos(torch.arange(t, device=ids.device))
        if self.comp is None:
            h = self.tok(ids) + pos
        else:
            h = F.embedding(ids, self.comp @ self.feat_in) + pos
        for blk in self.blocks:
            h = blk(h)
        h = self.ln(h)
        return self.head(h) if self.comp is None else h @ (self.comp @ self.feat_out).T

    @property
    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def build(shape: Shape, seed: int, device: str, features: list[list[int]] | None = None) -> TinyGPT:
    # fork_rng keeps the caller's global torch generator untouched
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TinyGPT(shape, features)
    return model.to(device)


@dataclass(frozen=True)
class Schedule:
    steps: int
    batch: int
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.1
    min_lr_share: float = 0.1  # the cosine ends at this share of lr

    def lr_at(self, step: int) -> float:
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        span = max(1, self.steps - self.warmup)
        cos = 0.5 * (1 + math.cos(math.pi * min(1.0, (step - self.warmup) / span)))
        return self.lr * (self.min_lr_share + (1 - self.min_lr_share) * cos)


def pad(seqs: list[list[int]], pad_id: int) -> np.ndarray:
    width = max(len(s) for s in seqs)
    out = np.full((len(seqs), width), pad_id, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def train(model: TinyGPT, seqs: np.ndarray, loss_mask: np.ndarray, schedule: Schedule, seed: int,
          on_checkpoint: Callable[[int, float], None] | None = None, every: int = 0) -> float:
    """Train on right-padded `seqs` (N, T): position t+1 is learned where loss_mask[:, t+1] is true.

    Batches are drawn as successive slices of seeded permutations of the N sequences. `on_checkpoint(step,
    mean loss since the last checkpoint)` runs every `every` steps and after the last. Returns seconds spent.
    """
    device = next(model.parameters()).device
    x_all = torch.from_numpy(seqs).to(device)
    m_all = torch.from_numpy(loss_mask.astype(np.float32)).to(device)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    embedding = ("pos", "tok", "feat_")
    decay = [p for n, p in params if p.dim() >= 2 and not n.startswith(embedding)]
    rest = [p for n, p in params if not (p.dim() >= 2 and not n.startswith(embedding))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": schedule.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=schedule.lr, betas=(0.9, 0.98))
    rng = np.random.default_rng([seed, 11])
    order = rng.permutation(len(seqs))
    pos = 0
    losses: list[float] = []
    t0 = time.perf_counter()
    model.train()
    for step in range(schedule.steps):
        if pos + schedule.batch > len(order):
            order, pos = rng.permutation(len(seqs)), 0
        idx = torch.from_numpy(order[pos:pos + schedule.batch]).to(device)
        pos += schedule.batch
        x, m = x_all[idx], m_all[idx]
        # trailing pad columns that no sequence of this batch reaches cost time and teach nothing
        width = int(m.sum(0).nonzero().max()) + 1
        x, m = x[:, :width], m[:, 1:width]
        for g in opt.param_groups:
            g["lr"] = schedule.lr_at(step)
        logits = model(x[:, :-1])
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="none")
        loss = (nll * m.reshape(-1)).sum() / m.sum().clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        done = step + 1
        if on_checkpoint is not None and ((every and done % every == 0) or done == schedule.steps):
            model.eval()
            on_checkpoint(done, float(np.mean(losses)) if losses else float("nan"))
            model.train()
            losses = []
    model.eval()
    return time.perf_counter() - t0


@torch.no_grad()
def greedy(model: TinyGPT, prompts: list[list[int]], max_new: int, stop_id: int, batch: int = 1024) -> list[list[int]]:
    """Greedy continuations (stop id included when reached). Prompts of the same length are batched
    together, so no padding enters the context."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out: list[list[int]] = [[] for _ in prompts]
    by_len: dict[int, list[int]] = {}
    for i, p in enumerate(prompts):
        by_len.setdefault(len(p), []).append(i)
    for _, members in sorted(by_len.items()):
        for s in range(0, len(members), batch):
            rows = members[s:s + batch]
            x = torch.tensor([prompts[i] for i in rows], dtype=torch.long, device=device)
            done = torch.zeros(len(rows), dtype=torch.bool, device=device)
            new = []
            for _ in range(max_new):
                nxt = model(x)[:, -1].argmax(-1)
                new.append(nxt)
                done |= nxt == stop_id
                x = torch.cat([x, nxt[:, None]], 1)
                if bool(done.all()):
                    break
            gen = torch.stack(new, 1).tolist()
            for r, g in zip(rows, gen, strict=True):
                cut = g.index(stop_id) + 1 if stop_id in g else len(g)
                out[r] = g[:cut]
    model.train(was_training)
    return out
