"""Controlled experiments (Hayase et al. 2024, section 4): train a BPE tokenizer on a known mixture of one
split of the category data, infer the mixture from a disjoint split, and score the error."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError, did_you_mean
from .executor import SerialExecutor
from .infer import category_trajectories, solve_shares, vocabulary_span
from .settings import DEFAULT_ESTIMATOR, MixtureSettings

DOMAINS = {"languages": ("non_english",), "code": ("code",), "mixed": ("non_english", "code", "english")}
# The accepted ranges of the knobs (the CLI shows them). Below MIN_TRAIN_BYTES the trainer finds too few repeated
# pairs to learn merges; the upper bounds sit far above the paper's runs (10 GB of text, 30,000 merges, n <= 112).
MIN_N, MAX_N = 2, 1000
MAX_TRIALS = 10_000
MAX_MERGES = 100_000
MIN_TRAIN_BYTES, MAX_TRAIN_BYTES = 10_000, 10**10


@dataclass(frozen=True)
class Trial:
    categories: list[str]
    truth: list[float]
    inferred: list[float]
    log10_mse: float
    log10_mse_random: float
    log10_mse_uniform: float
    merges: int
    stop_reason: str
    seconds: float


@dataclass(frozen=True)
class ExperimentResult:
    domain: str
    n: int
    trials: list[Trial]
    mean: float
    sd: float
    mean_random: float
    mean_uniform: float
    merges: int
    train_bytes: int
    pack: str
    seed: int
    estimator: str
    notes: list[str] = field(default_factory=list)


def _split(text: str) -> tuple[str, str]:
    """Two disjoint halves of a category: alternate lines (documents stay whole within a line)."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[0::2]), "".join(lines[1::2])


def _train_bpe(text_parts: list[str], merges: int, path: str) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tk = Tokenizer(models.BPE())
    # the paper's controlled tokenizers: Digits + ByteLevel pretokenization
    tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=False),
                                                pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=256 + merges, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False, min_frequency=2)
    tk.train_from_iterator(text_parts, trainer)
    tk.save(path)


@dataclass(frozen=True)
class _TrialData:
    categories: list[str]
    truth: np.ndarray
    trajs: list
    sample_bytes: np.ndarray
    merge_ids: np.ndarray
    V: int
    guess: np.ndarray
    prep_seconds: float


def check_knobs(trials: int, merges: int, train_bytes: int) -> None:
    """UsageError naming the option, before any data is read, for a knob outside its range."""
    for flag, value, lo, hi in (("--trials", trials, 1, MAX_TRIALS), ("--merges", merges, 1, MAX_MERGES),
                                ("--train-bytes", train_bytes, MIN_TRAIN_BYTES, MAX_TRAIN_BYTES)):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise UsageError(f"{flag} {value}: must be between {lo:,} and {hi:,}")


def _domain_categories(domain: str, n: int, pack: str, categories=None) -> list:
    from ..corpus.categories import load_categories

    if domain not in DOMAINS:
        raise UsageError(f"unknown --domain '{domain}'; choose one of {', '.join(DOMAINS)}.{did_you_mean(domain, DOMAINS)}")
    pool = categories if categories is not None else load_categories(pack).categories
    cats = [c for c in pool if c.group in DOMAINS[domain]]
    if n < MIN_N or n > len(cats):
        raise UsageError(f"--n {n}: must be between {MIN_N} and {len(cats)} for domain '{domain}'")
    return cats


def _prefix_lines(text: str, limit: int | None) -> list[str]:
    """The first whole lines of `text` up to `limit` UTF-8 bytes (all of it for None)."""
    lines = text.splitlines(keepends=True)
    if limit is None:
        return lines
    out, used = [], 0
    for line in lines:
        size = len(line.encode("utf-8"))
        if used + size > limit and out:
            break
        out.append(line)
        used += size
    return out


def _trials(cats: list, n: int, trials: int, seed: int, merges: int, train_bytes: int, sample_bytes: int | None):
    """Seeded trials: pick n categories and a mixture, train BPE on it from one half of each category, replay its
    merges over (a prefix of) the other half. One trial's data serves every estimator."""
    from ..tokenizer.view import load_tokenizer

    rng = np.random.default_rng(seed)
    for _ in range(trials):
        t0 = time.perf_counter()
        pick = sorted(rng.choice(len(cats), size=n, replace=False).tolist())
        chosen = [cats[i] for i in pick]
        w = rng.dirichlet(np.ones(n))
        halves = [_split(c.text) for c in chosen]
        avail = np.array([len(a.encode("utf-8")) for a, _ in halves], dtype=float)
        total = float(min(train_bytes, np.min(avail / w)))
        parts, used = [], []
        for (a, _), wi in zip(halves, w, strict=True):
            part = a.encode("utf-8")[: int(total * wi)].decode("utf-8", "ignore")
            parts.append(part)
            used.append(len(part.encode("utf-8")))
        truth = np.array(used, dtype=float) / sum(used)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tokenizer.json")
            _train_bpe([p for p in parts if p], merges, path)
            tok = load_tokenizer(path)
            mi = tok.merge_ids()
            if len(mi) == 0:
                raise UsageError(f"--train-bytes {train_bytes:,}: the {sum(used):,} bytes of training text taught the "
                                 "tokenizer no merges; give more text (--train-bytes, or categories that hold more)")
            tests = [_prefix_lines(b, sample_bytes) for _, b in halves]
            trajs, _ = category_trajectories(tok, tests, mi, SerialExecutor())
        b = np.array([sum(len(x.encode("utf-8")) for x in t) for t in tests], dtype=float)
        yield _TrialData([c.name for c in chosen], truth, trajs, b, mi, vocabulary_span(tok, mi),
                         rng.dirichlet(np.ones(n)), time.perf_counter() - t0)


def _log10_mse(est: np.ndarray, truth: np.ndarray) -> float:
    return float(np.log10(max(float(np.mean((est - truth) ** 2)), 1e-30)))


def run_experiment(domain: str = "languages", n: int = 5, trials: int = 20, seed: int = 0, merges: int = 3000,
                   train_bytes: int = 2_000_000, pack: str = "default", estimator: str = DEFAULT_ESTIMATOR,
                   lp_rounds: int | None = None, progress=None, sample_bytes: int | None = None,
                   categories=None) -> ExperimentResult:
    """lp_rounds None solves every trial's LP to its certified optimum (the same path as `infer_mixture`)."""
    check_knobs(trials=trials, merges=merges, train_bytes=train_bytes)
    cats = _domain_categories(domain, n, pack, categories)
    settings = MixtureSettings(estimator=estimator, max_rounds=lp_rounds)
    out: list[Trial] = []
    for k, td in enumerate(_trials(cats, n, trials, seed, merges, train_bytes, sample_bytes)):
        t0 = time.perf_counter()
        est, sol, _ = solve_shares(td.trajs, td.sample_bytes, td.merge_ids, td.V, settings.resolved(len(td.merge_ids)))
        out.append(Trial(
            categories=td.categories, truth=td.truth.round(6).tolist(), inferred=est.round(6).tolist(),
            log10_mse=_log10_mse(est, td.truth), log10_mse_random=_log10_mse(td.guess, td.truth),
            log10_mse_uniform=_log10_mse(np.full(n, 1.0 / n), td.truth),
            merges=len(td.merge_ids), stop_reason=sol.diagnostics.stop_reason,
            seconds=round(td.prep_seconds + time.perf_counter() - t0, 2)))
        if progress:
            progress("trials", k + 1, trials)
    vals = np.array([t.log10_mse for t in out])
    notes = [f"categories drawn from pack '{pack}' groups {', '.join(DOMAINS[domain])}; training text is one half "
             f"(alternate lines) of each category, inference uses the other half"
             + (f" (its first {sample_bytes:,} bytes)" if sample_bytes else "")]
    return ExperimentResult(domain=domain, n=n, trials=out, mean=float(vals.mean()),
                            sd=float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
                            mean_random=float(np.mean([t.log10_mse_random for t in out])),
                            mean_uniform=float(np.mean([t.log10_mse_uniform for t in out])),
                            merges=merges, train_bytes=train_bytes, pack=pack, seed=seed, estimator=estimator,
                            notes=notes)


@dataclass(frozen=True)
class StudyTrial:
    """One controlled trial scored under every estimator (same tokenizer, same held-out samples)."""

    categories: list[str]
    truth: list[float]
    log10_mse: dict[str, float]  # estimator -> error
    stop_reason: dict[str, str]
    solve_seconds: dict[str, float]
    log10_mse_random: float
    log10_mse_uniform: float
    prep_seconds: float


def estimator_study(domain: str, n: int, trials: int, sample_bytes: int | None, estimators: tuple[str, ...],
                    seed: int = 0, merges: int = 1000, train_bytes: int = 1_000_000, pack: str = "default",
                    categories=None, progress=None) -> list[StudyTrial]:
    """Every estimator on the same held-out trials, each LP solved to its certified optimum."""
    cats = _domain_categories(domain, n, pack, categories)
    out = []
    for k, td in enumerate(_trials(cats, n, trials, seed, merges, train_bytes, sample_bytes)):
        errs, stops, secs = {}, {}, {}
        for name in estimators:
            t0 = time.perf_counter()
            settings = MixtureSettings(estimator=name).resolved(len(td.merge_ids))
            est, sol, _ = solve_shares(td.trajs, td.sample_bytes, td.merge_ids, td.V, settings)
            errs[name] = _log10_mse(est, td.truth)
            stops[name] = sol.diagnostics.stop_reason
            secs[name] = round(time.perf_counter() - t0, 2)
        out.append(StudyTrial(td.categories, td.truth.round(6).tolist(), errs, stops, secs,
                              _log10_mse(td.guess, td.truth), _log10_mse(np.full(n, 1.0 / n), td.truth),
                              round(td.prep_seconds, 2)))
        if progress:
            progress("trials", k + 1, trials)
    return out
