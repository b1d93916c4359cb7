"""The data-mixture inference pipeline: category samples -> pair-count trajectories -> LP -> shares.

`--merges` reaches the kernel in three hops: MixtureSettings.merges -> `merge_ids = tok.merge_ids()[:merges]`
here -> `replay(..., merge_ids, ...)` in replay.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import cache
from ..corpus.categories import GROUPS, is_shipped_pack, pack_fingerprint
from ..errors import InputError
from ..progress import Progress
from ..tokenizer.ref import TokenizerRef, ref_of
from ..tokenizer.view import Tokenizer
from . import lp, streaming
from .counts import DocumentCounts, WordArrays, document_counts
from .executor import Executor, SerialExecutor, as_executor, default_executor
from .replay import Trajectory, replay
from .settings import DEFAULT_MERGES, MixtureSettings

COUNT_VERSION = "1"
REPLAY_VERSION = "2"  # 2: counts are sums of per-document counts
# Counts are normalised per category, so one occurrence in a small sample weighs as much as hundreds in a
# large one; samples under this size add noise that the LP happily fits. Smaller ones are left out (and said so).
MIN_CATEGORY_BYTES = 50_000

Notify = Callable[[str], None]  # a caveat, said as soon as it is known


@dataclass(frozen=True)
class CategoryShare:
    name: str
    group: str  # english | code | non_english
    script: str
    share: float  # byte proportion of the training data (sums to 1)
    alpha: float  # LP solution in normalised pair-count units
    sample_bytes: int
    sample_pairs: int
    documents: int
    source: str
    interval: tuple[float, float] | None = None  # 95% bootstrap percentile interval of share


@dataclass(frozen=True)
class SolveReport:
    """The LP's certificate (see lp.py). Slack is in pair counts per million pairs of each category."""

    stop_reason: str  # "optimal" | "time_limit" | "round_limit"
    approximate: bool  # True when a budget stopped the solve: the shares are not the LP's optimum
    objective: float  # total slack of the returned shares (an upper bound on the optimum)
    lower_bound: float  # no mixture has less total slack than this
    gap: float
    max_violation: float
    tolerance: float
    rounds: int
    inner_passes: int
    edges_considered: int
    steps_constrained: int
    merges_never_in_samples: int
    pairs_with_slack: int
    slack_steps: float
    slack_pairs: float
    solve_seconds: float


@dataclass(frozen=True)
class BootstrapReport:
    replicates: int
    seed: int
    level: float
    method: str
    replicate_stop_reasons: dict[str, int]


@dataclass(frozen=True)
class MixtureResult:
    tokenizer: TokenizerRef
    pack: str
    pack_source: str
    estimator: str
    merges_used: int
    merges_available: int
    skip: int
    categories: list[CategoryShare]
    groups: dict[str, float]
    scripts: dict[str, float]
    diagnostics: SolveReport
    settings: dict
    timing: dict[str, float | bool]
    group_intervals: dict[str, tuple[float, float]] | None = None
    bootstrap: BootstrapReport | None = None
    warnings: list[str] = field(default_factory=list)
    conversion: str = ("share_i = alpha_i * bytes_i / pairs_i, renormalised: alpha is in units of pair counts normalised "
                       "per category (pairs at step 0; with --skip, counts of the constrained merges' own pairs), shares are "
                       "proportions of training bytes")


# --------------------------------------------------------------------------------------------- counting
_DC_FIELDS = ("symbols", "word_start", "counts", "n_bytes", "n_pretokens", "doc_ptr", "doc_word", "doc_count",
              "doc_bytes")
_TR_FIELDS = ("init_keys", "init_counts", "d_step", "d_key", "d_delta", "merged_counts", "total_pairs")


def _counts_key(tok: Tokenizer, documents: list[str]) -> str:
    h = hashlib.sha256()
    for d in documents:
        h.update(hashlib.sha256(d.encode("utf-8")).digest())
    return cache.key_of("doc-counts", COUNT_VERSION, tok.sha256, tok.name, h.hexdigest())


def cached_document_counts(tok: Tokenizer, documents: list[str], key: str | None = None) -> DocumentCounts:
    def dump(dc: DocumentCounts) -> bytes:
        return cache.npz_bytes(symbols=dc.words.symbols, word_start=dc.words.word_start, counts=dc.words.counts,
                               n_bytes=dc.words.n_bytes, n_pretokens=dc.words.n_pretokens, doc_ptr=dc.doc_ptr,
                               doc_word=dc.doc_word, doc_count=dc.doc_count, doc_bytes=dc.doc_bytes)

    def load(data: bytes) -> DocumentCounts:
        z = cache.npz_arrays(_DC_FIELDS)(data)
        wa = WordArrays(z["symbols"], z["word_start"], z["counts"], int(z["n_bytes"]), int(z["n_pretokens"]))
        return DocumentCounts(wa, z["doc_ptr"], z["doc_word"], z["doc_count"], z["doc_bytes"])

    return cache.cached("mixture", key or _counts_key(tok, documents), ".counts.npz",
                        lambda: document_counts(tok, documents), dump=dump, load=load)


def _replay_job(args) -> Trajectory:
    symbols, starts, counts, merge_ids, V = args
    return replay(symbols, starts, counts, merge_ids, V)


def vocabulary_span(tok: Tokenizer, merge_ids: np.ndarray) -> int:
    """V of the pair key a * V + b: every token id that the merges can produce fits below it."""
    return int(max(tok.vocab_size, int(merge_ids.max()) + 1 if len(merge_ids) else 0))


def category_trajectories(tok: Tokenizer, documents: list[list[str]], merge_ids: np.ndarray, executor: Executor,
                          progress: Progress | None = None) -> tuple[list[Trajectory], list[DocumentCounts]]:
    """Per category: its document counts and its pair-count trajectory, from the cache where seen before."""
    keys = [_counts_key(tok, docs) for docs in documents]  # hashing the text is the cost: once per category
    counts: list[DocumentCounts] = []
    for k, docs in enumerate(documents):
        if progress:
            progress("pretokenize", k, len(documents))
        counts.append(cached_document_counts(tok, docs, keys[k]))
    if progress:
        progress("pretokenize", len(documents), len(documents))
    return replay_counts(tok, counts, keys, merge_ids, executor, progress), counts


def replay_counts(tok: Tokenizer, counts: list[DocumentCounts], keys: list[str], merge_ids: np.ndarray,
                  executor: Executor, progress: Progress | None = None) -> list[Trajectory]:
    """The pair-count trajectory of each category's counts (keys[i] names counts[i] in the cache)."""
    V = vocabulary_span(tok, merge_ids)
    merges_hash = hashlib.sha256(np.ascontiguousarray(merge_ids).tobytes()).hexdigest()
    out: list[Trajectory | None] = [None] * len(counts)
    todo: list[int] = []
    paths = []
    for i in range(len(counts)):
        key = cache.key_of("trajectory", REPLAY_VERSION, keys[i], merges_hash)
        paths.append(cache.entry_path("mixture", key, ".npz"))
        z = cache.read_entry(paths[i], cache.npz_arrays(_TR_FIELDS))
        if z is None:
            todo.append(i)
        else:
            out[i] = Trajectory(z["init_keys"], z["init_counts"], z["d_step"], z["d_key"], z["d_delta"],
                                z["merged_counts"], int(z["total_pairs"]))
    jobs = [(counts[i].words.symbols, counts[i].words.word_start, counts[i].words.counts, merge_ids, V) for i in todo]
    for k, (i, tr) in enumerate(zip(todo, executor.map(_replay_job, jobs), strict=True)):
        out[i] = tr
        cache.store(paths[i], cache.npz_bytes(init_keys=tr.init_keys, init_counts=tr.init_counts, d_step=tr.d_step,
                                              d_key=tr.d_key, d_delta=tr.d_delta, merged_counts=tr.merged_counts,
                                              total_pairs=tr.total_pairs))
        if progress:
            progress("replay", k + 1, len(todo))
    return out  # type: ignore[return-value]


def _streamed_counts(tok: Tokenizer, plan: streaming.StreamPlan, merge_ids: np.ndarray, executor: Executor,
                     progress: Progress | None, notes: list[str], min_bytes: int | None):
    """A user directory's categories counted by streaming: (kept categories, trajectories, counts, documents,
    seconds counting)."""
    t0 = time.perf_counter()
    tables = streaming.count_plan(plan, executor, progress, notes)
    cats = list(plan.categories)
    if min_bytes:
        dropped = [c.name for c, t in zip(cats, tables, strict=True) if t.n_bytes < min_bytes]
        if dropped:
            notes.append(streaming.left_out_note(dropped, min_bytes))
            keep = [i for i, t in enumerate(tables) if t.n_bytes >= min_bytes]
            cats, tables = [cats[i] for i in keep], [tables[i] for i in keep]
    if len(cats) < 2:
        raise InputError(f"{plan.name}: need at least two categories to infer a mixture (found {len(cats)})")
    counts = [streaming.table_document_counts(tok, t, plan.blocks) for t in tables]
    t_count = time.perf_counter() - t0
    keys = [streaming.counts_key(tok, c) for c in cats]
    trajs = replay_counts(tok, counts, keys, merge_ids, executor, progress)
    return cats, trajs, counts, [t.n_docs for t in tables], t_count


# ------------------------------------------------------------------------------------------------ solving
def solve_shares(trajs: list[Trajectory], n_bytes: np.ndarray, merge_ids: np.ndarray, V: int,
                 settings: MixtureSettings, progress: lp.RoundCallback | None = None,
                 alpha0: np.ndarray | None = None) -> tuple[np.ndarray, lp.LPSolution, lp.PairData]:
    """combine -> solve -> byte shares; the one path for inference, replicates and controlled experiments."""
    data = lp.combine(trajs, merge_ids[:, 0] * V + merge_ids[:, 1])
    pairs = np.array([tr.total_pairs for tr in trajs], dtype=np.float64)
    if settings.skip:
        data, pairs = lp.normalised_by_merges(data, settings.skip)
    sol = lp.solve(data, skip=settings.skip, min_support=settings.min_support, max_rounds=settings.max_rounds,
                   time_limit=settings.time_limit, progress=progress, alpha0=alpha0, margin=settings.margin)
    raw = sol.alpha * n_bytes / pairs
    share = raw / raw.sum() if raw.sum() > 0 else np.full(len(raw), 1.0 / len(raw))
    return share, sol, data


def _report(sol: lp.LPSolution, data: lp.PairData, settings: MixtureSettings) -> SolveReport:
    d = sol.diagnostics
    return SolveReport(
        stop_reason=d.stop_reason, approximate=not d.optimal, objective=d.objective, lower_bound=d.lower_bound,
        gap=d.gap, max_violation=d.max_violation, tolerance=d.tolerance, rounds=d.rounds, inner_passes=d.inner_passes,
        edges_considered=d.edges_considered, steps_constrained=d.steps_constrained,
        merges_never_in_samples=int((data.merged_counts.sum(axis=1) == 0).sum()),
        pairs_with_slack=d.pairs_with_slack, slack_steps=d.slack_steps, slack_pairs=d.slack_pairs,
        solve_seconds=d.solve_seconds)


def _group_sums(cats: list, shares: np.ndarray) -> dict[str, float]:
    out = dict.fromkeys(GROUPS, 0.0)
    for c, s in zip(cats, shares, strict=True):
        out[c.group] = out.get(c.group, 0.0) + float(s)
    return out


def infer_mixture(tok: Tokenizer, categories: str | Path = "default", settings: MixtureSettings | None = None,
                  executor: Executor | None = None, progress: Progress | None = None,
                  notify: Notify | None = None) -> MixtureResult:
    """Infer the training-data mixture of a BPE tokenizer from its merges (Hayase et al. 2024)."""
    settings = settings or MixtureSettings()
    timing: dict[str, float | bool] = {}
    t0 = time.perf_counter()
    all_merges = tok.merge_ids()  # raises for non-BPE tokenizers
    settings = settings.resolved(len(all_merges))
    merge_ids = all_merges[: settings.merges]
    timing["load"] = time.perf_counter() - t0

    # a shipped pack's result is found from its files' bytes, before the pack is decompressed and sampled (that
    # takes seconds; the files and the settings determine the samples)
    fast_path = _shipped_result_path(tok, categories, settings)
    if fast_path is not None:
        cached = _read_result(fast_path, tok)
        if cached is not None:
            for note in cached.warnings:
                if notify:
                    notify(note)
            return cached

    t0 = time.perf_counter()
    executor = as_executor(executor) if executor is not None else default_executor()
    pack = _prepare(tok, categories, settings, executor, progress)
    streamed = isinstance(pack, streaming.StreamPlan)
    notes = list(pack.warnings)
    if settings.merges < DEFAULT_MERGES and settings.merges == len(all_merges) and len(all_merges) < DEFAULT_MERGES:
        notes.append(f"{tok.name} has {len(all_merges):,} merges: all are used (the paper uses the first "
                     f"{DEFAULT_MERGES:,})")
    listed = tok.n_merges()
    if listed is not None and listed > len(all_merges):
        notes.append(f"{tok.name}'s file lists {listed:,} merges, several per token; the replay uses the "
                     f"{len(all_merges):,} that training made, one per token (tokens no merge reaches are left "
                     f"out; docs/mixture.md)")
    for note in notes:
        if notify:
            notify(note)
    timing["sample"] = time.perf_counter() - t0

    result_path = cache.entry_path("mixture", _result_key(tok, pack, settings), ".result.json")
    cached = _read_result(result_path, tok, pack)
    if cached is not None:
        if fast_path is not None:
            try:
                cache.write_bytes_atomic(fast_path, result_path.read_bytes())
            except OSError:
                pass
        return cached

    t0 = time.perf_counter()
    if streamed:
        said = len(notes)
        # a shipped pack's small categories were left out by its sizes, before anything was read
        min_bytes = None if is_shipped_pack(categories) else settings.min_category_bytes
        cat_list, trajs, counts, documents, t_count = _streamed_counts(tok, pack, merge_ids, executor, progress,
                                                                       notes, min_bytes)
        timing["count"] = t_count
        timing["replay"] = time.perf_counter() - t0 - t_count
        for note in notes[said:]:
            if notify:
                notify(note)
    else:
        cat_list = pack.categories
        trajs, counts = category_trajectories(tok, [c.units() for c in cat_list], merge_ids, executor, progress)
        documents = [dc.n_docs for dc in counts]
    timing["count_and_replay"] = time.perf_counter() - t0
    if hasattr(executor, "release"):
        executor.release()
    for c, tr in zip(cat_list, trajs, strict=True):
        if tr.total_pairs == 0:
            raise InputError(f"category '{c.name}' has no pairs to count under '{tok.name}'; give it more text")

    t0 = time.perf_counter()
    V = vocabulary_span(tok, merge_ids)
    n_bytes = np.array([dc.words.n_bytes for dc in counts], dtype=np.float64)
    budget = settings.max_rounds or 0

    def lp_progress(r: int, rows: int, added: int, upper: float, left: float) -> None:
        # `left` is the gap between the bounds (auction rows, upper known) or the largest violation (rows)
        if progress:
            if not np.isnan(upper):
                state = f"bounds {upper - left:.6g} - {upper:.6g} ({100 * left / max(upper, 1e-12):.2g}% apart)"
            else:
                state = "checking the certificate" if added == 0 else f"{added:,} rows violated (max {left:.3g})"
            progress(f"solve: round {r}, {rows:,} rows, {state}", r, budget)

    share, sol, data = solve_shares(trajs, n_bytes, merge_ids, V, settings, lp_progress)
    timing["solve"] = time.perf_counter() - t0
    report = _report(sol, data, settings)
    if report.approximate:
        notes.append(f"APPROXIMATE: the LP was stopped by its {settings.max_rounds and 'round' or 'time'} budget "
                     f"({report.stop_reason}) with total slack {report.objective:.6g} against a lower bound of "
                     f"{report.lower_bound:.6g}; the shares are not the LP's optimum (the default, --lp-rounds 0 with no time limit, solves to it)")

    intervals = group_iv = boot = None
    if settings.bootstrap:
        t0 = time.perf_counter()
        intervals, group_iv, boot = _bootstrap(cat_list, counts, merge_ids, V, settings, executor, sol.alpha,
                                               progress)
        timing["bootstrap"] = time.perf_counter() - t0
    timing["total"] = sum(v for k, v in timing.items() if isinstance(v, float) and k not in ("count", "replay"))

    cats = [CategoryShare(c.name, c.group, c.script, float(s), float(a), int(dc.words.n_bytes), int(tr.total_pairs),
                          int(nd), c.source, None if intervals is None else intervals[i])
            for i, (c, s, a, tr, dc, nd) in enumerate(zip(cat_list, share, sol.alpha, trajs, counts, documents,
                                                           strict=True))]
    cats.sort(key=lambda c: (-c.share, c.name))
    scripts: dict[str, float] = {}
    for c in cats:
        if c.group == "non_english":
            scripts[c.script] = scripts.get(c.script, 0.0) + c.share
    result = MixtureResult(
        tokenizer=ref_of(tok), pack=pack.name, pack_source=pack.source,
        estimator=settings.estimator, merges_used=settings.merges, merges_available=len(all_merges),
        skip=settings.skip, categories=cats, groups=_group_sums(cats, np.array([c.share for c in cats])),
        scripts=dict(sorted(scripts.items(), key=lambda kv: -kv[1])), diagnostics=report,
        settings=settings.cache_parts(), timing={k: round(v, 3) if isinstance(v, float) else v
                                                 for k, v in timing.items()},
        group_intervals=group_iv, bootstrap=boot, warnings=notes)
    try:
        blob = json.dumps(dataclasses.asdict(result)).encode("utf-8")
        cache.write_bytes_atomic(result_path, blob)
        if fast_path is not None:
            cache.write_bytes_atomic(fast_path, blob)
    except OSError:
        pass
    return result


def _bootstrap(cats, counts: list[DocumentCounts], merge_ids: np.ndarray, V: int, settings: MixtureSettings,
               executor: Executor, alpha0: np.ndarray, progress: Progress | None):
    """Percentile intervals: resample each category's documents with replacement, replay, solve, repeat.

    Replicates re-weight the per-document counts; nothing is pretokenized again.
    """
    B = settings.bootstrap
    rng = np.random.default_rng([settings.seed, 0x6B6F6F74])
    draws = np.empty((B, len(cats)))
    stops: dict[str, int] = {}
    for b in range(B):
        jobs, n_bytes = [], []
        for dc in counts:
            m = rng.multinomial(dc.n_docs, np.full(dc.n_docs, 1.0 / dc.n_docs))
            c, nb_ = dc.reweighted(m)
            jobs.append((dc.words.symbols, dc.words.word_start, c, merge_ids, V))
            n_bytes.append(nb_)
        trajs = list(executor.map(_replay_job, jobs))
        if any(tr.total_pairs == 0 for tr in trajs):
            raise InputError("a bootstrap replicate drew no text for a category; give each category more documents")
        share, sol, _ = solve_shares(trajs, np.array(n_bytes, dtype=np.float64), merge_ids, V, settings,
                                     alpha0=alpha0)
        draws[b] = share
        stops[sol.diagnostics.stop_reason] = stops.get(sol.diagnostics.stop_reason, 0) + 1
        if progress:
            progress("bootstrap", b + 1, B)
    lo, hi = np.percentile(draws, [2.5, 97.5], axis=0)
    intervals = [(float(a), float(z)) for a, z in zip(lo, hi, strict=True)]
    group_iv = {}
    for g in GROUPS:
        mask = np.array([c.group == g for c in cats])
        if mask.any():
            sums = draws[:, mask].sum(axis=1)
            group_iv[g] = (float(np.percentile(sums, 2.5)), float(np.percentile(sums, 97.5)))
    report = BootstrapReport(replicates=B, seed=settings.seed, level=0.95,
                             method="percentile over document resamples (with replacement) per category",
                             replicate_stop_reasons=stops)
    return intervals, group_iv, report


def _prepare(tok: Tokenizer, categories: str | Path, settings: MixtureSettings, executor: Executor,
             progress: Progress | None):
    """What is counted: a StreamPlan (a user directory or URL, never read whole; or a shipped pack taken whole,
    whose .jsonl.xz files the compiled counter reads faster than the in-memory path), or the loaded CategoryPack
    (a shipped pack sampled by --bytes-per-category or bootstrapped per document)."""
    if streaming.is_user_dir(categories):
        return streaming.plan_user_dir(tok, categories, budget=settings.bytes_per_category, seed=settings.seed,
                                       bootstrap=settings.bootstrap > 0, executor=executor, progress=progress)
    if is_shipped_pack(categories) and settings.bytes_per_category is None and not settings.bootstrap:
        return streaming.plan_shipped_pack(tok, str(categories), min_bytes=_min_bytes(settings, categories),
                                           seed=settings.seed,
                                           executor=executor, progress=progress)
    return _load_pack(categories, settings)


def _load_pack(categories: str | Path, settings: MixtureSettings):
    from ..corpus.categories import load_categories

    pack = load_categories(categories, bytes_per_category=settings.bytes_per_category, seed=settings.seed)
    pack = _drop_small(pack, _min_bytes(settings, categories))
    if len(pack.categories) < 2:
        raise InputError(f"{pack.name}: need at least two categories to infer a mixture (found {len(pack.categories)})")
    return pack


def _min_bytes(settings: MixtureSettings, spec: str | Path) -> int:
    """--min-category-bytes, or its default: shipped packs leave out the small samples; a user's own directory
    keeps everything."""
    if settings.min_category_bytes is not None:
        return settings.min_category_bytes
    return 0 if Path(str(spec)).expanduser().exists() else MIN_CATEGORY_BYTES


def _drop_small(pack, min_bytes: int):
    if min_bytes <= 0:
        return pack
    keep = [c for c in pack.categories if c.n_bytes >= min_bytes]
    dropped = [c.name for c in pack.categories if c.n_bytes < min_bytes]
    if not dropped:
        return pack
    return dataclasses.replace(pack, categories=keep,
                               warnings=[*pack.warnings, streaming.left_out_note(dropped, min_bytes)])


def _merges_digest(tok: Tokenizer, settings: MixtureSettings) -> str:
    # the merges replayed are derived from the file (one per created token), so the derivation is an input too
    return hashlib.sha256(np.ascontiguousarray(tok.merge_ids()[: settings.merges]).tobytes()).hexdigest()


def _result_key(tok: Tokenizer, pack, settings: MixtureSettings) -> str:
    if isinstance(pack, streaming.StreamPlan):
        cats = [(c.name, c.group, c.script, list(c.table_keys)) for c in pack.categories]
        return cache.key_of("mixture-result", "stream", streaming.STREAM_VERSION, REPLAY_VERSION, lp.LP_VERSION,
                            tok.sha256, tok.name, _merges_digest(tok, settings), pack.name, cats,
                            settings.cache_parts())
    cats = [(c.name, c.group, c.script, hashlib.sha256(c.text.encode("utf-8")).hexdigest(), len(c.unit_ends))
            for c in pack.categories]
    return cache.key_of("mixture-result", REPLAY_VERSION, lp.LP_VERSION, tok.sha256, tok.name,
                        _merges_digest(tok, settings), pack.name, cats, settings.cache_parts())


def _shipped_result_path(tok: Tokenizer, categories: str | Path, settings: MixtureSettings) -> Path | None:
    """Where the result for a shipped pack is kept under the hash of the pack's files; None for a directory."""
    fingerprint = pack_fingerprint(categories) if isinstance(categories, str) else None
    if fingerprint is None:
        return None  # a directory, or a broken pack: the slow path reports what is wrong with it
    key = cache.key_of("mixture-result-pack", REPLAY_VERSION, lp.LP_VERSION, tok.sha256, tok.name,
                       _merges_digest(tok, settings), categories, fingerprint, settings.cache_parts())
    return cache.entry_path("mixture", key, ".result.json")


def _read_result(path: Path, tok: Tokenizer, pack=None) -> MixtureResult | None:
    return cache.read_entry(path, lambda data: _parse_result(data, tok, pack))


def _parse_result(data: bytes, tok: Tokenizer, pack) -> MixtureResult:
    d = json.loads(data.decode("utf-8"))
    if pack is not None:
        # the key holds the categories' contents, not where they were read from: a folder and a URL of the same
        # files share the entry, and the result names the locations given now
        d["pack_source"] = pack.source
        where = {c.name: c.source for c in pack.categories}
        for c in d["categories"]:
            c["source"] = where.get(c["name"], c["source"])
    # the key holds the tokenizer's sha256, so the entry is this tokenizer's: its ref is the one given now (its
    # label and source may differ from the run that stored it; entries from before refs had a plain name)
    d.pop("tokenizer_sha256", None)
    d["tokenizer"] = ref_of(tok)
    d["categories"] = [CategoryShare(**{**c, "interval": tuple(c["interval"]) if c.get("interval") else None})
                       for c in d["categories"]]
    d["diagnostics"] = SolveReport(**d["diagnostics"])
    d["bootstrap"] = BootstrapReport(**d["bootstrap"]) if d.get("bootstrap") else None
    if d.get("group_intervals"):
        d["group_intervals"] = {k: tuple(v) for k, v in d["group_intervals"].items()}
    d["timing"] = {**d["timing"], "cached_result": True}
    return MixtureResult(**d)


def cached_result(tok: Tokenizer, categories: str | Path = "default",
                  settings: MixtureSettings | None = None) -> MixtureResult | None:
    """A result computed before for exactly these inputs, or None (never computes)."""
    settings = settings or MixtureSettings()
    try:
        settings = settings.resolved(len(tok.merge_ids()))
        pack = _prepare(tok, categories, settings, SerialExecutor(), None)
    except InputError:
        return None
    return _read_result(cache.entry_path("mixture", _result_key(tok, pack, settings), ".result.json"), tok, pack)


__all__ = ["infer_mixture", "cached_result", "MixtureResult", "CategoryShare", "SolveReport", "MixtureSettings"]
