"""What the `tok bytes` commands compute: exact byte-level figures beside the token-level ways of prompting.

Token-level baselines
  naive         encode the prompt and ask for the next token (what most code does).
  token healing back off the prompt's last token and constrain the first new token to start with its bytes
                (Guidance / Microsoft's 'token healing').
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..tokenizer import display
from ..utf8 import char_length
from .engine import EOS, ByteLevelLM, Mixture, _lse

LN2 = math.log(2)


def show_byte(b: int) -> str:
    """A byte as a character where it is one; otherwise its escape (and what it starts)."""
    if b == EOS:
        return "<end of text>"
    if b == 0x20:
        return "␣"
    if b < 0x80:
        ch = chr(b)
        return ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
    if (n := char_length(b)) > 1:
        return f"\\x{b:02x} (starts a {n}-byte character)"
    return f"\\x{b:02x}"


@dataclass
class ByteProb:
    byte: int  # 0..255, or 256 for end of text
    shown: str
    prob: float


def top_bytes(probs: np.ndarray, k: int) -> list[ByteProb]:
    order = np.argsort(-probs, kind="stable")[:k]
    return [ByteProb(int(b), show_byte(int(b)), float(probs[b])) for b in order if probs[b] > 0]


def _text_bytes(prompt: str | bytes, what: str = "prompt") -> bytes:
    data = prompt.encode("utf-8") if isinstance(prompt, str) else bytes(prompt)
    if not data:
        raise InputError(f"the {what} is empty: give some text (the byte-level engine conditions on it)")
    return data


def _mid_bytes(eng: ByteLevelLM, t: int) -> bytes:
    return eng.canon.tb[t]


def naive_next(eng: ByteLevelLM, data: bytes) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Next-byte distribution implied by naive prompting: (257 probs, prompt ids, next-token log-probs)."""
    ids = eng.tok.encode(data.decode("utf-8"))
    row = eng.lm.next_logprobs([[eng.bos_id, *ids]])[0]
    probs = np.zeros(257)
    first = eng.canon.first_mat if not ids else eng.canon.mat
    lens = eng.canon.first_lens if not ids else eng.canon.lens
    ok = np.flatnonzero(lens > 0)
    ok = ok[ok < len(row)]
    np.add.at(probs, first[ok, 0].astype(np.int64), np.exp(row[ok]))
    if eng.eos_id is not None:
        probs[EOS] = math.exp(row[eng.eos_id])
    return probs / probs.sum(), ids, row


@dataclass
class NextResult:
    model: str
    prompt: str
    prompt_tokens: list[str]
    byte_level: list[ByteProb]
    naive: list[ByteProb]
    naive_tokens: list[tuple[str, float]]  # the top next tokens under naive prompting
    leak: float  # probability the model gives to non-canonical continuations of the prompt
    covers: int
    logprob: float  # log P(prompt) as a byte prefix
    model_calls: int
    seconds: float


def next_bytes(eng: ByteLevelLM, prompt: str | bytes, k: int = 10) -> NextResult:
    t0 = time.perf_counter()
    data = _text_bytes(prompt)
    eng.check_text(data)
    calls0 = eng.stats.model_calls
    nb = eng.state(data).next_bytes()
    naive, ids, row = naive_next(eng, data)
    top_tok = np.argsort(-row)[:k]
    toks = [(eng.tok.symbol(int(t)) if int(t) < eng.tok.vocab_size else f"<id {int(t)}>", float(math.exp(row[t])))
            for t in top_tok]
    return NextResult(
        model=eng.name, prompt=display.piece(data), prompt_tokens=[eng.tok.symbol(i) for i in ids],
        byte_level=top_bytes(nb.probs, k), naive=top_bytes(naive, k), naive_tokens=toks, leak=nb.leak,
        covers=nb.covers, logprob=nb.mass, model_calls=eng.stats.model_calls - calls0 + 1,
        seconds=time.perf_counter() - t0,
    )


@dataclass
class ScoreResult:
    model: str
    source: str
    n_bytes: int
    n_tokens: int
    end_of_text: bool  # whether P(text, end) was scored rather than P(text as a prefix)
    byte_logprob: float  # natural log
    token_logprob: float  # log P(canonical tokens) (+ end of text)
    byte_bits_per_byte: float
    token_bits_per_byte: float
    gain_bits: float  # byte-level minus token-level, in bits (>= 0 as a prefix score)
    covers: int
    model_calls: int
    rows: int
    seconds: float


def score(eng: ByteLevelLM, data: bytes, source: str = "<text>", end_of_text: bool = False) -> ScoreResult:
    t0 = time.perf_counter()
    data = _text_bytes(data, "text")
    eng.check_text(data, allow_partial=False)
    calls0, rows0 = eng.stats.model_calls, eng.stats.rows
    st = eng.state(data)
    if end_of_text:
        if eng.eos_id is None:
            raise InputError(f"model {eng.name} has no end-of-text token to score with")
        blp = st.end_logprob()
        covers = 1
    else:
        cl = st.cover_logps()
        blp = _lse(cl)
        covers = int(cl.size)
    ids = eng.tok.encode(data.decode("utf-8"))
    cont = ids + ([eng.eos_id] if end_of_text else [])
    tlp = eng.lm.score([[eng.bos_id]], [cont])[0]
    n = len(data)
    return ScoreResult(
        model=eng.name, source=source, n_bytes=n, n_tokens=len(ids), end_of_text=end_of_text, byte_logprob=blp,
        token_logprob=tlp, byte_bits_per_byte=-blp / LN2 / n, token_bits_per_byte=-tlp / LN2 / n,
        gain_bits=(blp - tlp) / LN2, covers=covers, model_calls=eng.stats.model_calls - calls0 + 1,
        rows=eng.stats.rows - rows0, seconds=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------------- token-level completions
def _decode_new(eng: ByteLevelLM, ids: list[int]) -> tuple[bytes, bool]:
    out = bytearray()
    for t in ids:
        if t == eng.eos_id:
            return bytes(out), True
        if t < len(eng.canon.tb):
            out += eng.canon.tb[t]
    return bytes(out), False


def naive_complete(eng: ByteLevelLM, data: bytes, max_bytes: int) -> tuple[bytes, bool]:
    ids = eng.tok.encode(data.decode("utf-8"))
    stop = {eng.eos_id} if eng.eos_id is not None else None
    new = eng.lm.greedy([[eng.bos_id, *ids]], max_bytes, stop)[0]
    out, ended = _decode_new(eng, new)
    return out[:max_bytes], ended


def healed_first(eng: ByteLevelLM, data: bytes) -> tuple[list[int], bytes, np.ndarray]:
    """Token healing's context (without the last prompt token), the bytes it removed, and the allowed mask."""
    ids = eng.tok.encode(data.decode("utf-8"))
    if not ids:
        raise InputError("the prompt encodes to no tokens; give a non-empty prompt")
    ctx = [eng.bos_id, *ids[:-1]]
    first = len(ids) == 1
    removed = (eng.canon.first_tb if first else eng.canon.tb)[ids[-1]]
    mat = eng.canon.first_mat if first else eng.canon.mat
    lens = eng.canon.first_lens if first else eng.canon.lens
    ok = lens >= len(removed)
    for k, b in enumerate(removed):
        ok &= mat[:, k] == b
    return ctx, removed, ok


def healed_complete(eng: ByteLevelLM, data: bytes, max_bytes: int) -> tuple[bytes, bool]:
    ctx, removed, ok = healed_first(eng, data)
    row = eng.lm.next_logprobs([ctx])[0][: len(ok)]
    masked = np.where(ok, row[: len(ok)], -np.inf)
    v = int(np.argmax(masked))
    stop = {eng.eos_id} if eng.eos_id is not None else None
    rest = eng.lm.greedy([[*ctx, v]], max_bytes, stop)[0] if max_bytes > 0 else []
    out, ended = _decode_new(eng, [v, *rest])
    return out[len(removed):][:max_bytes], ended


@dataclass
class CompleteResult:
    model: str
    prompt: str
    mode: str  # greedy | sampled
    seed: int | None
    max_bytes: int
    byte_level: str
    byte_level_ended: bool
    token_healing: str
    naive: str
    byte_level_raw: bytes
    seconds: float


def complete(eng: ByteLevelLM, prompt: str | bytes, max_bytes: int = 48, seed: int | None = None,
             stop: bytes | None = None) -> CompleteResult:
    t0 = time.perf_counter()
    data = _text_bytes(prompt)
    eng.check_text(data)
    if max_bytes < 1:
        raise InputError("--max-bytes must be at least 1")
    out, ended = eng.generate(data, max_bytes, seed=seed, stop=stop)
    healed, _ = healed_complete(eng, data, max_bytes)
    naive, _ = naive_complete(eng, data, max_bytes)
    if stop:
        healed = healed.split(stop)[0] + (stop if stop in healed else b"")
        naive = naive.split(stop)[0] + (stop if stop in naive else b"")
    return CompleteResult(
        model=eng.name, prompt=display.piece(data), mode="greedy" if seed is None else "sampled", seed=seed, max_bytes=max_bytes,
        byte_level=display.piece(out), byte_level_ended=ended, token_healing=display.piece(healed), naive=display.piece(naive),
        byte_level_raw=out, seconds=time.perf_counter() - t0,
    )


@dataclass
class EnsembleResult:
    models: list[str]
    weights: list[float]
    prompt: str
    per_model: list[list[ByteProb]]
    mixture: list[ByteProb]
    completion: str
    per_model_completion: list[str]
    seconds: float


def ensemble(engines: list[ByteLevelLM], prompt: str | bytes, weights: list[float] | None = None, k: int = 8,
             max_bytes: int = 32, seed: int | None = None) -> EnsembleResult:
    t0 = time.perf_counter()
    data = _text_bytes(prompt)
    for e in engines:
        e.check_text(data)
    mix = Mixture(engines, list(weights or []))
    states = mix.states(data)
    per = [st.fork().next_bytes().probs for st in states]
    mixed = sum(w * p for w, p in zip(mix.weights, per, strict=True))
    out, _ = mix.generate(data, max_bytes, seed=seed)
    singles = [display.piece(e.generate(data, max_bytes, seed=seed)[0]) for e in engines]
    return EnsembleResult(
        models=[e.name for e in engines], weights=mix.weights, prompt=display.piece(data),
        per_model=[top_bytes(p, k) for p in per], mixture=top_bytes(mixed, k), completion=display.piece(out),
        per_model_completion=singles, seconds=time.perf_counter() - t0,
    )
