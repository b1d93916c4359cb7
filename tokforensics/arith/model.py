"""Prompted addition with a language model: the Singh & Strouse (2024) protocol, offline.

Queries are "a+b=" preceded by k few-shot lines "x+y=z" with the same format and the same addend lengths.
Every format writes the same seeded problems; only how the digits are written (separators, extra spaces)
or how they are tokenized (forced L2R / R2L chunks built as token ids) changes. Each prompt is scored
twice: greedy decoding (accuracy, error anatomy) and the log-probability of the correct answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, UsageError
from ..progress import Progress
from ..tokenizer.view import Tokenizer
from .anatomy import ErrorAnatomy, classify, length_mismatch, summarize
from .numbers import NumberFormat, number_format, parse_answer, random_number, split_digits

if TYPE_CHECKING:  # the adapter imports torch; arith must import without it
    from ..lm.adapter import LanguageModel


DEFAULT_SHOTS = (1, 2, 4, 8)
BASE_FORMATS = ("native", "comma_l2r", "comma_r2l", "space_l2r", "space_r2l", "native_sp1")
FORCED_FORMATS = ("forced_l2r", "forced_r2l")
_DIGIT_RUN = re.compile(rb"[0-9]+")


# ---------------------------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class AdditionProblem:
    a: int
    b: int
    shots: tuple[tuple[int, int], ...]  # few-shot examples with the same addend lengths (the first k are used)
    shot_set: int  # problems with the same shot_set share their few-shot examples

    @property
    def answer(self) -> int:
        return self.a + self.b


def make_problems(digit_range: tuple[int, int], n: int, max_shots: int, seed: int = 0,
                  shot_sets: int = 0) -> list[AdditionProblem]:
    """n seeded problems; problem i takes addend-length pair i mod |range|^2 (as in the paper: 7-9 -> 9 pairs).

    Few-shot examples have the query's addend lengths. shot_sets=0 draws fresh examples for every problem (the
    paper); shot_sets=s draws s example sets per length pair, problem i using set (i // pairs) mod s, so that
    problems sharing a set share their prompt prefix (the model then computes it once).
    """
    lo, hi = digit_range
    pairs = [(la, lb) for la in range(lo, hi + 1) for lb in range(lo, hi + 1)]
    rng = np.random.default_rng(seed)
    shared: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
    if shot_sets > 0:
        srng = np.random.default_rng([seed, 1])
        for j, (la, lb) in enumerate(pairs):
            for k in range(shot_sets):
                shared[(j, k)] = tuple((random_number(srng, la), random_number(srng, lb)) for _ in range(max_shots))
    out = []
    for i in range(n):
        j = i % len(pairs)
        la, lb = pairs[j]
        a, b = random_number(rng, la), random_number(rng, lb)
        if shot_sets > 0:
            key = (i // len(pairs)) % shot_sets
            out.append(AdditionProblem(a, b, shared[(j, key)], j * shot_sets + key))
        else:
            shots = tuple((random_number(rng, la), random_number(rng, lb)) for _ in range(max_shots))
            out.append(AdditionProblem(a, b, shots, -1 - i))  # a set of its own
    return out


# ---------------------------------------------------------------------------------------------- formats
@dataclass(frozen=True)
class PromptFormat:
    """How a problem line is written (and, for forced formats, tokenized)."""

    name: str
    number: NumberFormat
    spaces: int = 0  # spaces around + and before = (the "thinking token" control)
    force: str | None = None  # l2r | r2l: digit tokens rebuilt as chunks of `chunk` digits
    chunk: int = 3

    def query(self, a: int, b: int) -> str:
        s = " " * self.spaces
        return f"{self.number.apply(str(a))}{s}+{s}{self.number.apply(str(b))}{s}="

    def answer(self, c: int) -> str:
        return self.number.apply(str(c))

    @property
    def separators(self) -> str:
        return self.number.sep

    @property
    def label(self) -> str:
        if self.force:
            arrow = "left-to-right" if self.force == "l2r" else "right-to-left"
            return f"plain digits, tokens forced into {arrow} chunks of {self.chunk}"
        if self.spaces:
            return f"plain, {self.spaces} extra space{'s' if self.spaces > 1 else ''} around + and = (control)"
        return self.number.label if self.number.sep else "plain (native tokenization)"


def prompt_format(name: str, chunk: int = 3) -> PromptFormat:
    """native | native_sp<N> | forced_l2r | forced_r2l | <separator>_<l2r|r2l>."""
    if name == "native":
        return PromptFormat("native", NumberFormat("plain"))
    m = re.fullmatch(r"native_sp(\d)", name)
    if m:
        return PromptFormat(name, NumberFormat("plain"), spaces=int(m.group(1)))
    if name in FORCED_FORMATS:
        return PromptFormat(name, NumberFormat("plain"), force=name.split("_")[1], chunk=chunk)
    try:
        return PromptFormat(name, number_format(name))
    except UsageError:
        raise UsageError(
            f"unknown format '{name}'; choose from native, native_sp1, native_sp2, forced_l2r, forced_r2l, "
            f"or <separator>_<l2r|r2l> with separator comma, space, dot, hash, dollar, underscore"
        ) from None


def forced_chunk(tok: Tokenizer, max_k: int = 3) -> int:
    """Largest k <= max_k such that every digit string of length <= k (leading zeros too) is one token."""
    index = tok.bytes_to_id
    best = 1
    for k in range(2, max_k + 1):
        if all(f"{i:0{k}d}".encode() in index for i in range(10 ** k)):
            best = k
        else:
            break
    return best


# ---------------------------------------------------------------------------------------------- sequences
@dataclass(frozen=True)
class Encoded:
    prompt: list[int]
    continuation: list[int]  # the correct answer and the newline after it


def _spans(token_bytes: Sequence[bytes], ids: Sequence[int]) -> list[tuple[int, int, int]]:
    out, pos = [], 0
    for i in ids:
        n = len(token_bytes[i])
        out.append((i, pos, pos + n))
        pos += n
    return out


def force_chunks(tok: Tokenizer, ids: list[int], direction: str, k: int) -> list[int]:
    """Rewrite every digit run of `ids` as chunks of k digits from the left or the right, as token ids.

    Every token that holds a digit must hold digits only (true of the "a+b=c" lines for every zoo tokenizer);
    otherwise the digits could not be re-chunked without changing other text, and InputError says so.
    """
    tb = tok.token_bytes
    index = tok.bytes_to_id
    cat = b"".join(tb[i] for i in ids)
    runs = [(m.start(), m.end()) for m in _DIGIT_RUN.finditer(cat)]
    out: list[int] = []
    r = 0
    for tid, s, e in _spans(tb, ids):
        while r < len(runs) and runs[r][1] <= s:
            r += 1
        if r == len(runs) or e <= runs[r][0] or s == e:
            out.append(tid)
            continue
        rs, re_ = runs[r]
        if s < rs or e > re_:
            piece = tb[tid].decode("utf-8", "replace")
            raise InputError(f"cannot force digit chunks for '{tok.name}': token {piece!r} joins digits with other text")
        if s == rs:  # the first token of the run stands for the whole run
            for c in split_digits(cat[rs:re_].decode("ascii"), k, direction):
                if c.encode() not in index:
                    raise InputError(f"cannot force digit chunks for '{tok.name}': {c!r} is not a token")
                out.append(index[c.encode()])
    return out


def build_sequence(tok: Tokenizer, fmt: PromptFormat, problem: AdditionProblem, shots: int) -> Encoded:
    """Token ids of the prompt (shots + query) and of the correct continuation (answer + newline)."""
    lines = [fmt.query(x, y) + fmt.answer(x + y) + "\n" for x, y in problem.shots[:shots]]
    prompt_text = "".join(lines) + fmt.query(problem.a, problem.b)
    tail = fmt.answer(problem.answer) + "\n"
    ids = tok.encode(prompt_text + tail)
    if fmt.force:
        ids = force_chunks(tok, ids, fmt.force, fmt.chunk)
    tb = tok.token_bytes
    spans = _spans(tb, ids)
    total = spans[-1][2] if spans else 0
    tail_b = tail.encode("utf-8")
    cat_tail = b"".join(tb[i] for i in ids)[-len(tail_b):]
    if cat_tail == tail_b:
        boundary = total - len(tail_b)
        for t, (_, s, _e) in enumerate(spans):
            if s == boundary:
                return Encoded(ids[:t], ids[t:])
    # The answer shares a token with the prompt, or a normalizer changed it: encode the two halves apart.
    prompt = tok.encode(prompt_text)
    if fmt.force:
        prompt = force_chunks(tok, prompt, fmt.force, fmt.chunk)
    return Encoded(prompt, ids[len(prompt):] if ids[:len(prompt)] == prompt else tok.encode(tail))


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ProblemRecord:
    format: str
    shots: int
    index: int
    a: int
    b: int
    truth: str
    answer: str | None
    generated: str
    correct: bool
    logprob: float
    len_mismatch: bool
    error: str  # correct | no_answer | dropped_digits | extra_digits | same_length
    wrong_positions: list[int]


@dataclass(frozen=True)
class SettingResult:
    format: str
    label: str
    shots: int
    problems: int
    accuracy: float
    accuracy_len_match: float | None  # answer as long as the longer addend
    accuracy_len_mismatch: float | None  # answer longer than both addends
    len_mismatch: int
    digit_accuracy: float  # share of the sums' digits answered right, aligned by place value (from the right)
    mean_logprob: float  # mean log P(correct answer + newline | prompt), nats
    prompt_tokens: float
    answer_tokens: float
    errors: ErrorAnatomy
    errors_len_mismatch: ErrorAnatomy


@dataclass(frozen=True)
class Comparison:
    """Format `a` minus format `b` on the same problems and shot count (paired)."""

    a: str
    b: str
    shots: int
    problems: int
    accuracy_diff: float
    logprob_diff: float  # mean over problems of log P_a - log P_b (nats)
    logprob_diff_se: float  # its standard error
    a_better: int  # problems where a gave the correct answer the higher log-probability


def comparisons(records: list[ProblemRecord], formats: list[str], shots: list[int]) -> list[Comparison]:
    """The paper's contrasts among the formats that ran: R2L vs L2R for each separator and for forced chunks,
    separators vs native, and the extra-spaces control vs native."""
    pairs = [(f"{sep}_r2l", f"{sep}_l2r") for sep in dict.fromkeys(f.rsplit("_", 1)[0] for f in formats)]
    pairs += [(f, "native") for f in formats if f.endswith("_r2l") or f.startswith("native_sp")]
    pairs = [p for p in dict.fromkeys(pairs) if p[0] in formats and p[1] in formats]
    by = {(r.format, r.shots, r.index): r for r in records}
    out = []
    for a, b in pairs:
        for k in shots:
            idx = sorted(i for (f, s, i) in by if f == a and s == k and (b, k, i) in by)
            if not idx:
                continue
            d = np.array([by[(a, k, i)].logprob - by[(b, k, i)].logprob for i in idx])
            acc = np.mean([by[(a, k, i)].correct for i in idx]) - np.mean([by[(b, k, i)].correct for i in idx])
            se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
            out.append(Comparison(a, b, k, len(idx), float(acc), float(d.mean()), se, int((d > 0).sum())))
    return out


@dataclass(frozen=True)
class ModelProbeResult:
    model: str
    tokenizer: str
    device: str
    scheme: str
    scheme_label: str
    forced_chunk: int
    note: str
    digit_range: tuple[int, int]
    problems: int
    seed: int
    shots: list[int]
    shot_sets: int  # few-shot example sets per addend-length pair (0: fresh examples for every problem)
    bos: bool  # prompts started with the model's BOS id
    formats: list[str]
    skipped_formats: dict[str, str]
    example_prompts: dict[str, list[str]]  # format -> token pieces of a 1-shot prompt and its answer
    settings: list[SettingResult]
    comparisons: list[Comparison]
    records: list[ProblemRecord]
    seconds_greedy: float
    seconds_score: float
    problems_per_second: float


# ---------------------------------------------------------------------------------------------- probe
def digit_accuracy(truth: str, answer: str | None) -> float:
    """Share of the digits of `truth` that `answer` has at the same place value (right-aligned); missing = wrong."""
    a = answer or ""
    return sum(1 for i in range(1, len(truth) + 1) if len(a) >= i and a[-i] == truth[-i]) / len(truth)


def default_formats() -> list[str]:
    """Every default format; forced ones are skipped, with the reason, for single-digit tokenizers."""
    return list(BASE_FORMATS) + list(FORCED_FORMATS)


def start_id(model, bos: bool | None) -> int | None:
    """The id to start prompts with, if any (see `probe_model`). `bos_id`/`eos_id` are optional model attributes."""
    b = getattr(model, "bos_id", None)
    if b is None or bos is False:
        return None
    if bos is None and b == getattr(model, "eos_id", None):
        return None
    return int(b)


def plan_batches(settings: list[tuple[PromptFormat, int]], probs: list[AdditionProblem], meta: list[tuple[int, int]],
                 batch_size: int) -> list[list[int]]:
    """Batches of sequence indices. Prompts with the same format and few-shot examples go together (their
    shared prefix is computed once), and for one example set the shot counts run longest first, so that each
    shorter prompt's examples are already a cached prefix. Prompts that share their examples with no other
    problem (shot_sets=0) follow the same order, so with batch_size 1 each problem's shorter prompts still
    reuse its longest one."""
    order = {f.name: k for k, f in enumerate(dict.fromkeys(f for f, _ in settings))}
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, (si, pi) in enumerate(meta):
        f, k = settings[si]
        groups.setdefault((order[f.name], probs[pi].shot_set, -k), []).append(i)
    shared: list[list[int]] = []
    lone: list[int] = []
    for key in sorted(groups):  # format, example set, shot count descending
        g = groups[key]
        if len(g) == 1 or key[2] == 0:
            lone.extend(g)  # kept in key order: one problem's 8-, 4-, 2-, 1-shot prompts stay adjacent
        else:
            shared.extend(g[i:i + batch_size] for i in range(0, len(g), batch_size))
    return shared + [lone[i:i + batch_size] for i in range(0, len(lone), batch_size)]


def probe_model(model: LanguageModel, *, digit_range: tuple[int, int] = (7, 9), shots: Sequence[int] = DEFAULT_SHOTS,
                problems: int = 90, seed: int = 0, formats: Sequence[str] | None = None, batch_size: int = 16,
                shot_sets: int = 1, bos: bool | None = None, scheme: tuple[str, str] | None = None,
                progress: Progress | None = None) -> ModelProbeResult:
    """Run every (format, shots) setting on the same seeded problems; greedy accuracy, log-probs, errors.

    shot_sets: few-shot example sets per addend-length pair (see `make_problems`); 0 = fresh examples for every
    problem, as in the paper (slower: no prompt prefix is shared). bos: start prompts with the model's BOS id;
    None = only when the model has a BOS distinct from its end-of-text id (Llama, Mistral: yes; SmolLM2, GPT-2,
    Qwen, whose "BOS" is the end-of-text token: no). `scheme` is (scheme, label) from the tokenizer probe, for
    the note; computed when not given.
    """
    tok: Tokenizer = model.tokenizer
    if problems < 1:
        raise UsageError("--problems must be at least 1")
    if batch_size < 1:
        raise UsageError("batch size must be at least 1")
    if shot_sets < 0:
        raise UsageError("--shot-sets must be 0 (fresh examples per problem) or more")
    shots = sorted(set(int(s) for s in shots))
    if not shots or shots[0] < 0:
        raise UsageError("--shots needs whole numbers >= 0")
    from .probe import probe_tokenizer, require_digits

    require_digits(tok)
    if scheme is None:
        p = probe_tokenizer(tok, samples=40, max_digits=12, formats=("plain",), seed=seed)
        scheme = (p.scheme, p.scheme_label)
    k = forced_chunk(tok)
    wanted = list(formats) if formats else default_formats()
    skipped: dict[str, str] = {}
    fmts: list[PromptFormat] = []
    for name in wanted:
        f = prompt_format(name, chunk=k)
        if f.force and k < 2:
            skipped[name] = f"'{tok.name}' has no complete set of multi-digit tokens (digits are single tokens)"
            continue
        fmts.append(f)
    if not fmts:
        raise UsageError("no format left to run: " + "; ".join(f"{n}: {r}" for n, r in skipped.items()))
    if scheme[0] == "single":
        note = (f"{tok.name} writes every digit as its own token, so plain numbers are already aligned with place "
                f"value; only separators change the token count, and forced L2R/R2L chunking does not apply.")
    else:
        note = (f"{tok.name}: {scheme[1]}; forced formats rebuild the same digits as chunks of {k} "
                f"(only the tokenization changes).")

    probs = make_problems(digit_range, problems, max(shots), seed, shot_sets)
    bos_id = start_id(model, bos)
    settings = [(f, s) for f in fmts for s in shots]
    seqs: list[Encoded] = []
    meta: list[tuple[int, int]] = []  # (setting index, problem index)
    for si, (f, s) in enumerate(settings):
        for pi, pr in enumerate(probs):
            q = build_sequence(tok, f, pr, s)
            seqs.append(Encoded([bos_id] + q.prompt, q.continuation) if bos_id is not None else q)
            meta.append((si, pi))

    tb = tok.token_bytes
    stop = {i for i, b in enumerate(tb) if b"\n" in b} | set(tok.special_ids)
    n = len(seqs)
    batches = plan_batches(settings, probs, meta, batch_size)
    generated: list[list[int]] = [[] for _ in range(n)]
    logps = [0.0] * n
    t_greedy = t_score = 0.0
    for bi, idx in enumerate(batches):
        if progress:
            progress(f"{settings[meta[idx[0]][0]][0].name}, {settings[meta[idx[0]][0]][1]}-shot", bi, len(batches))
        prompts = [seqs[i].prompt for i in idx]
        t0 = time.perf_counter()
        # greedy, then scoring of the same prompts: the model keeps their shared prefix cached between the two
        max_new = max(len(seqs[i].continuation) for i in idx) + 2
        outs = model.greedy(prompts, max_new, stop_ids=stop)
        t1 = time.perf_counter()
        scores = model.score(prompts, [seqs[i].continuation for i in idx])
        t2 = time.perf_counter()
        t_greedy += t1 - t0
        t_score += t2 - t1
        for i, o, sc in zip(idx, outs, scores, strict=True):
            generated[i] = list(o)
            logps[i] = float(sc)
    if progress:
        progress("done", len(batches), len(batches))

    records: list[ProblemRecord] = []
    for i, (si, pi) in enumerate(meta):
        f, s = settings[si]
        pr = probs[pi]
        text = b"".join(tb[t] if 0 <= t < len(tb) else b"" for t in generated[i]).decode("utf-8", "replace")
        ans = parse_answer(text, f.separators)
        err = classify(pr.a, pr.b, ans)
        records.append(ProblemRecord(
            format=f.name, shots=s, index=pi, a=pr.a, b=pr.b, truth=str(pr.answer), answer=ans,
            generated=text.split("\n", 1)[0], correct=err.kind == "correct", logprob=logps[i],
            len_mismatch=length_mismatch(pr.a, pr.b), error=err.kind, wrong_positions=list(err.wrong_positions),
        ))

    results = []
    for si, (f, s) in enumerate(settings):
        rows = [(records[i], seqs[i]) for i, (sj, _) in enumerate(meta) if sj == si]
        recs = [r for r, _ in rows]
        match = [r for r in recs if not r.len_mismatch]
        mism = [r for r in recs if r.len_mismatch]
        classified = [(r.a, r.b, classify(r.a, r.b, r.answer)) for r in recs]
        results.append(SettingResult(
            format=f.name, label=f.label, shots=s, problems=len(recs),
            accuracy=float(np.mean([r.correct for r in recs])),
            accuracy_len_match=float(np.mean([r.correct for r in match])) if match else None,
            accuracy_len_mismatch=float(np.mean([r.correct for r in mism])) if mism else None,
            len_mismatch=len(mism),
            digit_accuracy=float(np.mean([digit_accuracy(r.truth, r.answer) for r in recs])),
            mean_logprob=float(np.mean([r.logprob for r in recs])),
            prompt_tokens=float(np.mean([len(q.prompt) for _, q in rows])),
            answer_tokens=float(np.mean([len(q.continuation) for _, q in rows])),
            errors=summarize(classified),
            errors_len_mismatch=summarize(c for c, r in zip(classified, recs, strict=True) if r.len_mismatch),
        ))

    examples = {}
    for f in fmts:
        q = build_sequence(tok, f, probs[0], min(1, max(shots)))
        examples[f.name] = [tb[t].decode("utf-8", "replace") for t in q.prompt] + ["‖"] + \
            [tb[t].decode("utf-8", "replace") for t in q.continuation]
    elapsed = t_greedy + t_score
    return ModelProbeResult(
        model=getattr(model, "name", "model"), tokenizer=tok.name, device=str(getattr(model, "device", "cpu")),
        scheme=scheme[0], scheme_label=scheme[1], forced_chunk=k, note=note, digit_range=tuple(digit_range),
        problems=problems, seed=seed, shots=list(shots), shot_sets=shot_sets, bos=bos_id is not None,
        formats=[f.name for f in fmts], skipped_formats=skipped,
        example_prompts=examples, settings=results,
        comparisons=comparisons(records, [f.name for f in fmts], list(shots)), records=records,
        seconds_greedy=t_greedy, seconds_score=t_score,
        problems_per_second=(n / elapsed) if elapsed > 0 else float("inf"),
    )
