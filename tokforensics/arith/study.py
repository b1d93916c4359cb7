"""The controlled study: small transformers trained from scratch, identical except for how numbers are cut.

For each scheme (single digits, 3-digit chunks left-to-right, right-to-left, ...) and each seed, one model of
the same shape is trained with the same optimiser, steps and problems (seeded, balanced over addend-length
pairs, test disjoint from train), the answer written most significant digit first in every scheme. The
model is then asked every test problem with greedy decoding, and its answers go through the same error
anatomy as `tok arith --model` (anatomy.py).

torch is imported only when a run starts, so the configuration and its errors work without it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import UsageError, did_you_mean
from ..progress import Progress
from .anatomy import ErrorAnatomy, classify, length_mismatch, summarize
from .chunking import ChunkScheme, parse_schemes
from .numbers import parse_digit_range
from .problem_sets import ProblemSet, length_pairs, make_split, mismatch_share


@dataclass(frozen=True)
class StudyConfig:
    schemes: tuple[str, ...] = ("single", "l2r3", "r2l3")
    digits: tuple[int, int] = (3, 4)
    train_problems: int = 100_000
    test_per_pair: int = 250  # test problems per addend-length pair, half with a final carry
    steps: int = 3000
    batch: int = 128
    d_model: int = 64
    layers: int = 2
    heads: int = 4
    embeddings: str = "digits"  # digits: token embeddings composed of (place, digit) features; free: one row each
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.1
    seed: int = 0
    seeds: int = 1  # runs per scheme, seeds seed, seed+1, ...
    checkpoints: int = 10  # learning-curve points per run
    curve_problems: int = 200  # test problems scored at each checkpoint (a fixed, balanced subset)
    device: str = "auto"
    threads: int | None = None


PRESETS: dict[str, StudyConfig] = {
    "default": StudyConfig(),
    # Singh & Strouse's 7-9 digit addends; a 4-layer, 128-wide model and 10x the steps (see docs/arith.md).
    "paper": StudyConfig(digits=(7, 9), train_problems=500_000, test_per_pair=200, steps=20_000, batch=256,
                         d_model=128, layers=4, heads=4, lr=1e-3, warmup=500),
    # seconds, for tests and smoke runs: the models do not learn
    "tiny": StudyConfig(digits=(3, 4), train_problems=512, test_per_pair=8, steps=4, batch=16, d_model=16,
                        layers=1, heads=2, checkpoints=2, curve_problems=16),
}


def preset(name: str) -> StudyConfig:
    if name not in PRESETS:
        raise UsageError(f"unknown preset '{name}'; choose from {', '.join(PRESETS)}.{did_you_mean(name, PRESETS)}")
    return PRESETS[name]


def configure(base: StudyConfig, *, schemes: str | None = None, digits: str | None = None,
              **overrides) -> StudyConfig:
    """A checked config: `base` with the given overrides (None = keep). UsageError with one line if impossible."""
    changes = {k: v for k, v in overrides.items() if v is not None}
    if schemes is not None:
        changes["schemes"] = tuple(s.name for s in parse_schemes(schemes))
    if digits is not None:
        changes["digits"] = parse_digit_range(digits, 1, 18)
    cfg = replace(base, **changes)
    check(cfg)
    return cfg


def check(cfg: StudyConfig) -> None:
    parse_schemes(",".join(cfg.schemes))
    lo, hi = cfg.digits
    if not 1 <= lo <= hi <= 18:
        raise UsageError(f"--digits {lo}-{hi}: addends need 1 to 18 digits, smallest first")
    for name, v, least in [("--train-problems", cfg.train_problems, 1), ("--steps", cfg.steps, 1),
                           ("--batch", cfg.batch, 1), ("--seeds", cfg.seeds, 1), ("--test-per-pair", cfg.test_per_pair, 2),
                           ("--d-model", cfg.d_model, 8), ("--layers", cfg.layers, 1), ("--heads", cfg.heads, 1),
                           ("--checkpoints", cfg.checkpoints, 1), ("--curve-problems", cfg.curve_problems, 1)]:
        if v < least:
            raise UsageError(f"{name} {v}: need at least {least}")
    if cfg.d_model % cfg.heads:
        raise UsageError(f"--d-model {cfg.d_model} is not a multiple of --heads {cfg.heads}")
    if not (cfg.lr > 0 and math.isfinite(cfg.lr)):
        raise UsageError(f"--lr {cfg.lr}: need a positive learning rate")
    if cfg.threads is not None and cfg.threads < 1:
        raise UsageError(f"--threads {cfg.threads}: need at least 1")
    if cfg.embeddings not in ("digits", "free"):
        raise UsageError(f"--embeddings '{cfg.embeddings}': choose digits or free."
                         f"{did_you_mean(cfg.embeddings, ('digits', 'free'))}")
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"--device '{cfg.device}': choose auto, cpu or cuda.{did_you_mean(cfg.device, ('auto', 'cpu', 'cuda'))}")
    if cfg.batch > cfg.train_problems:
        raise UsageError(f"--batch {cfg.batch} is larger than --train-problems {cfg.train_problems}")


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class CurvePoint:
    step: int
    loss: float  # mean training loss (nats per answer token) since the previous point
    accuracy: float  # exact answers on the fixed checkpoint subset of the test set


@dataclass(frozen=True)
class LengthCell:
    a_digits: int
    b_digits: int
    problems: int
    accuracy: float
    mismatch_problems: int  # answers longer than both addends
    mismatch_accuracy: float | None
    match_accuracy: float | None


@dataclass(frozen=True)
class RunResult:
    scheme: str
    seed: int
    accuracy: float
    accuracy_interval: tuple[float, float]  # Wilson 95% over this run's test problems
    mismatch_accuracy: float | None
    match_accuracy: float | None
    digit_accuracy: float  # share of answer digits right at their place value
    by_length: list[LengthCell]
    errors: ErrorAnatomy
    errors_mismatch: ErrorAnatomy
    curve: list[CurvePoint]
    parameters: int
    tokens_per_problem: float  # prompt + answer + EOS, mean over the test set
    seconds_train: float
    seconds_eval: float
    cpu_seconds: float  # process CPU time of the whole run (all threads): the budget on a busy machine
    answers: list[str | None] = field(default_factory=list)  # per test problem, in test order (details only)


@dataclass(frozen=True)
class SchemeResult:
    name: str
    label: str
    example: str  # 12345+6789= as this scheme's tokens, | between tokens
    vocab_size: int
    accuracy: float  # mean over seeds
    accuracy_interval: tuple[float, float]  # see interval_method
    interval_method: str
    seed_accuracies: list[float]
    mismatch_accuracy: float | None  # mean over seeds
    mismatch_interval: tuple[float, float] | None
    match_accuracy: float | None
    by_length: list[LengthCell]  # pooled over seeds
    errors: ErrorAnatomy  # pooled over seeds
    errors_mismatch: ErrorAnatomy
    curve: list[CurvePoint]  # mean over seeds
    runs: list[RunResult]


@dataclass(frozen=True)
class Contrast:
    a: str
    b: str
    subset: str  # all | mismatch
    diff: float  # mean over seeds of accuracy(a) - accuracy(b), same problems and seeds
    interval: tuple[float, float] | None  # t 95% over the per-seed differences (None with one seed)
    per_seed: list[float]


@dataclass(frozen=True)
class StudyResult:
    config: StudyConfig
    device: str
    threads: int  # torch threads per run (runs in parallel: per worker)
    jobs: int
    torch_version: str
    schemes: dict[str, SchemeResult]
    contrasts: list[Contrast]
    train_problems: int
    test_problems: int
    test_mismatch_share: float
    seconds: float
    note: str
    html: str | None = None  # the HTML report written beside it (`tok arith study --html`)


# ---------------------------------------------------------------------------------------------- statistics
def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def t_interval(values: Sequence[float], lo: float | None = 0.0, hi: float | None = 1.0) -> tuple[float, float] | None:
    """Student-t 95% interval of the mean (None under two values), clipped to [lo, hi]."""
    if len(values) < 2:
        return None
    from scipy import stats

    m = float(np.mean(values))
    se = float(np.std(values, ddof=1)) / math.sqrt(len(values))
    half = float(stats.t.ppf(0.975, len(values) - 1)) * se
    a, b = m - half, m + half
    return (a if lo is None else max(lo, a), b if hi is None else min(hi, b))


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.mean(vals)) if vals else None


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def digit_accuracy(truth: str, answer: str | None) -> float:
    """Digits right at the same place value (right-aligned), over the truth's digits."""
    if not answer:
        return 0.0
    return sum(x == y for x, y in zip(reversed(truth), reversed(answer), strict=False)) / len(truth)


# ---------------------------------------------------------------------------------------------- scoring
def score(test: ProblemSet, answers: Sequence[str | None], digit_range: tuple[int, int]) -> dict:
    """Accuracy, per-length cells and error anatomy of answers to the test problems."""
    pairs = test.pairs()
    errs = [classify(a, b, ans) for (a, b), ans in zip(pairs, answers, strict=True)]
    ok = [e.kind == "correct" for e in errs]
    mis = [length_mismatch(a, b) for a, b in pairs]
    cells = []
    for la, lb in length_pairs(digit_range):
        idx = [i for i, (a, b) in enumerate(pairs) if len(str(a)) == la and len(str(b)) == lb]
        mi = [i for i in idx if mis[i]]
        cells.append(LengthCell(la, lb, len(idx), _share([ok[i] for i in idx]) or 0.0, len(mi),
                                _share([ok[i] for i in mi]), _share([ok[i] for i in idx if not mis[i]])))
    return {
        "correct": sum(ok), "n": len(ok), "accuracy": sum(ok) / len(ok),
        "mismatch_accuracy": _share([o for o, m in zip(ok, mis, strict=True) if m]),
        "match_accuracy": _share([o for o, m in zip(ok, mis, strict=True) if not m]),
        "digit_accuracy": float(np.mean([digit_accuracy(str(a + b), ans) for (a, b), ans in zip(pairs, answers, strict=True)])),
        "by_length": cells,
        "errors": summarize((a, b, e) for (a, b), e in zip(pairs, errs, strict=True)),
        "errors_mismatch": summarize((a, b, e) for (a, b), e, m in zip(pairs, errs, mis, strict=True) if m),
    }


def pool_cells(runs: Sequence[RunResult]) -> list[LengthCell]:
    out = []
    for cells in zip(*(r.by_length for r in runs), strict=True):
        n = sum(c.problems for c in cells)
        nm = sum(c.mismatch_problems for c in cells)

        def avg(get, weight, cells=cells) -> float | None:
            pairs = [(get(c), weight(c)) for c in cells if get(c) is not None and weight(c) > 0]
            w = sum(x for _, x in pairs)
            return sum(v * x for v, x in pairs) / w if w else None

        out.append(LengthCell(cells[0].a_digits, cells[0].b_digits, n, avg(lambda c: c.accuracy, lambda c: c.problems) or 0.0,
                              nm, avg(lambda c: c.mismatch_accuracy, lambda c: c.mismatch_problems),
                              avg(lambda c: c.match_accuracy, lambda c: c.problems - c.mismatch_problems)))
    return out


def pool_errors(items: Sequence[ErrorAnatomy]) -> ErrorAnatomy:
    """Sum anatomies of disjoint problem sets (the top position is recomputed from the summed counts)."""
    def add(key: str) -> int:
        return sum(getattr(e, key) for e in items)

    def merge(key: str) -> dict[int, int]:
        out: dict[int, int] = {}
        for e in items:
            for k, v in getattr(e, key).items():
                out[k] = out.get(k, 0) + v
        return dict(sorted(out.items()))

    every = merge("wrong_digit_from_left")
    same = add("same_length")
    top = max(every.items(), key=lambda kv: (kv[1], -kv[0])) if every else None
    return ErrorAnatomy(
        problems=add("problems"), wrong=add("wrong"), no_answer=add("no_answer"), dropped_digits=add("dropped_digits"),
        dropped_one_digit=add("dropped_one_digit"), extra_digits=add("extra_digits"), same_length=same,
        single_digit=add("single_digit"), off_by_one=add("off_by_one"), carry_errors=add("carry_errors"),
        first_wrong_from_left=merge("first_wrong_from_left"), wrong_digit_from_left=every,
        top_position=top[0] if top else None, top_position_share=(top[1] / same) if top and same else None)


# ---------------------------------------------------------------------------------------------- one run
def encode_sets(sch: ChunkScheme, train: ProblemSet) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded training sequences and the mask of positions learned (every answer token and EOS)."""
    from ..lm.scratch import pad

    seqs, masks = [], []
    for a, b in train.pairs():
        p, ans = sch.prompt(a, b), sch.answer(a + b)
        seqs.append(p + ans)
        masks.append([False] * len(p) + [True] * len(ans))
    x = pad(seqs, sch.pad_id)
    m = np.zeros_like(x, dtype=bool)
    for i, row in enumerate(masks):
        m[i, : len(row)] = row
    return x, m


def curve_subset(test: ProblemSet, n: int, pairs: int) -> list[int]:
    """Indices of a fixed subset of the test set with every length pair and both halves represented."""
    per_pair = len(test) // pairs
    take = max(1, min(per_pair, math.ceil(n / pairs)))
    return [p * per_pair + k for p in range(pairs) for k in range(take)]


def run_one(cfg: StudyConfig, sch: ChunkScheme, seed: int, train: ProblemSet, test: ProblemSet, device: str,
            progress: Callable[[int], None] | None = None, keep_answers: bool = False) -> RunResult:
    from ..lm import scratch

    cpu0 = time.process_time()
    x, m = encode_sets(sch, train)
    prompts = [sch.prompt(a, b) for a, b in test.pairs()]
    longest_answer = len(sch.answer(10 ** cfg.digits[1] * 2 - 2))
    max_len = max(x.shape[1], max(len(p) for p in prompts) + longest_answer + 1)
    shape = scratch.Shape(sch.vocab_size, cfg.d_model, cfg.layers, cfg.heads, max_len)
    model = scratch.build(shape, seed, device, sch.features() if cfg.embeddings == "digits" else None)
    sched = scratch.Schedule(cfg.steps, cfg.batch, cfg.lr, min(cfg.warmup, max(1, cfg.steps // 5)), cfg.weight_decay)
    sub = curve_subset(test, cfg.curve_problems, len(length_pairs(cfg.digits)))
    sub_set = ProblemSet(tuple(test.a[i] for i in sub), tuple(test.b[i] for i in sub))
    curve: list[CurvePoint] = []
    eval_s = [0.0]

    def answers_of(ps_prompts: list[list[int]]) -> list[str | None]:
        gen = scratch.greedy(model, ps_prompts, longest_answer + 1, sch.eos_id)
        return [sch.read_answer(g) for g in gen]

    def checkpoint(step: int, loss: float) -> None:
        t = time.perf_counter()
        ans = answers_of([prompts[i] for i in sub])
        acc = sum(a == str(p + q) for a, (p, q) in zip(ans, sub_set.pairs(), strict=True)) / len(sub)
        curve.append(CurvePoint(step, loss, acc))
        eval_s[0] += time.perf_counter() - t
        if progress:
            progress(step)

    every = max(1, cfg.steps // cfg.checkpoints)
    train_s = scratch.train(model, x, m, sched, seed, checkpoint, every) - eval_s[0]
    t = time.perf_counter()
    answers = answers_of(prompts)
    s = score(test, answers, cfg.digits)
    eval_s[0] += time.perf_counter() - t
    return RunResult(
        scheme=sch.name, seed=seed, accuracy=s["accuracy"], accuracy_interval=wilson(s["correct"], s["n"]),
        mismatch_accuracy=s["mismatch_accuracy"], match_accuracy=s["match_accuracy"],
        digit_accuracy=s["digit_accuracy"], by_length=s["by_length"], errors=s["errors"],
        errors_mismatch=s["errors_mismatch"], curve=curve, parameters=model.parameters_count,
        tokens_per_problem=float(np.mean([len(p) + len(sch.answer(a + b)) for p, (a, b) in zip(prompts, test.pairs(), strict=True)])),
        seconds_train=train_s, seconds_eval=eval_s[0], cpu_seconds=time.process_time() - cpu0, answers=answers if keep_answers else [],
    )


# ---------------------------------------------------------------------------------------------- the study
def summarize_scheme(sch: ChunkScheme, runs: list[RunResult]) -> SchemeResult:
    accs = [r.accuracy for r in runs]
    tint = t_interval(accs)
    if tint is not None:
        interval, method = tint, f"Student t 95% over {len(runs)} seeds"
    else:
        interval, method = runs[0].accuracy_interval, "Wilson 95% over test problems (one seed)"
    mis = [r.mismatch_accuracy for r in runs if r.mismatch_accuracy is not None]
    steps = [p.step for p in runs[0].curve]
    curve = [CurvePoint(st, float(np.mean([r.curve[i].loss for r in runs])),
                        float(np.mean([r.curve[i].accuracy for r in runs]))) for i, st in enumerate(steps)]
    return SchemeResult(
        name=sch.name, label=sch.label, example="|".join(sch.decode([i]) for i in sch.prompt(12345, 6789)),
        vocab_size=sch.vocab_size, accuracy=float(np.mean(accs)), accuracy_interval=interval, interval_method=method,
        seed_accuracies=accs, mismatch_accuracy=_mean(mis), mismatch_interval=t_interval(mis),
        match_accuracy=_mean([r.match_accuracy for r in runs]), by_length=pool_cells(runs),
        errors=pool_errors([r.errors for r in runs]), errors_mismatch=pool_errors([r.errors_mismatch for r in runs]),
        curve=curve, runs=runs)


def contrasts(results: dict[str, SchemeResult]) -> list[Contrast]:
    """Paired differences (same seeds, same problems): r2l vs l2r of the same chunk first, then vs single."""
    names = list(results)
    pairs: list[tuple[str, str]] = []
    for n in names:
        if n.startswith(("r2l", "comma_r2l")):
            twin = n.replace("r2l", "l2r")
            if twin in results:
                pairs.append((n, twin))
    for n in names:
        if n != "single" and "single" in results:
            pairs.append((n, "single"))
    out = []
    for a, b in pairs:
        for subset, get in (("all", lambda r: r.accuracy), ("mismatch", lambda r: r.mismatch_accuracy)):
            diffs = [get(x) - get(y) for x, y in zip(results[a].runs, results[b].runs, strict=True)
                     if get(x) is not None and get(y) is not None]
            if diffs:
                out.append(Contrast(a, b, subset, float(np.mean(diffs)), t_interval(diffs, -1.0, 1.0), diffs))
    return out


def _job(cfg: StudyConfig, name: str, seed: int, device: str, keep_answers: bool) -> RunResult:
    """One (scheme, seed) run in a worker process (one torch thread unless cfg.threads says otherwise)."""
    from ..lm import scratch

    scratch.set_threads(cfg.threads or 1)
    train, test = make_split(cfg.digits, cfg.test_per_pair, cfg.train_problems, seed)
    return run_one(cfg, parse_schemes(name)[0], seed, train, test, device, None, keep_answers)


def run_study(cfg: StudyConfig, progress: Progress | None = None, keep_answers: bool = False,
              jobs: int = 1) -> StudyResult:
    """Train and test every (scheme, seed). Deterministic for a config on one machine and device, whatever
    `jobs` (runs in parallel worker processes; each run is seeded on its own)."""
    check(cfg)
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: need at least 1")
    from ..lm import scratch  # raises the install hint when torch is missing

    device = scratch.select_device(cfg.device)
    threads = scratch.set_threads(cfg.threads)
    schemes = parse_schemes(",".join(cfg.schemes))
    t0 = time.perf_counter()
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    runs: dict[str, list[RunResult]] = {s.name: [] for s in schemes}
    total = len(schemes) * len(seeds) * cfg.steps
    test0 = make_split(cfg.digits, cfg.test_per_pair, cfg.train_problems, seeds[0])[1]
    if jobs > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        tasks = [(sch.name, seed) for seed in seeds for sch in schemes]
        with ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(_job, cfg, name, seed, device, keep_answers) for name, seed in tasks]
            for k, fut in enumerate(futures):
                res = fut.result()
                runs[res.scheme].append(res)
                if progress:
                    progress(f"{res.scheme}, seed {res.seed} done", (k + 1) * cfg.steps, total)
        threads = cfg.threads or 1
    else:
        done = 0
        for seed in seeds:
            train, test = make_split(cfg.digits, cfg.test_per_pair, cfg.train_problems, seed)
            for sch in schemes:
                def step_cb(step: int, base: int = done, name: str = sch.name, sd: int = seed) -> None:
                    if progress:
                        progress(f"{name}, seed {sd}, step {step}", base + step, total)

                runs[sch.name].append(run_one(cfg, sch, seed, train, test, device, step_cb, keep_answers))
                done += cfg.steps
    results = {s.name: summarize_scheme(s, runs[s.name]) for s in schemes}
    return StudyResult(
        config=cfg, device=device, threads=threads, jobs=jobs, torch_version=scratch.torch.__version__, schemes=results,
        contrasts=contrasts(results), train_problems=cfg.train_problems, test_problems=len(test0),
        test_mismatch_share=mismatch_share(test0), seconds=time.perf_counter() - t0,
        note=("Same model shape, optimiser, steps, seeds and problems for every scheme; only the number "
              "tokenization differs. Answers are written most significant digit first and decoded greedily. "
              "Test problems are disjoint from training; half of each addend-length pair's problems have an "
              "answer longer than both addends."),
    )
