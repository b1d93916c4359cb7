"""The data-mixture inference pipeline: category samples -> pair-count trajectories -> LP -> shares."""

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
from ..errors import InputError, UsageError
from ..tokenizer.view import Tokenizer
from . import lp
from .counts import word_arrays
from .executor import Executor, SerialExecutor, default_executor
from .replay import Trajectory, replay

REPLAY_VERSION = "1"
# Counts are normalised per category, so one occurrence in a small sample weighs as much as hundreds in a
# large one; samples under this size add noise that the LP happily fits. Smaller ones are left out (and said so).
MIN_CATEGORY_BYTES = 50_000
# Constraint-generation rounds of the default run. A round budget (not a time budget) keeps results identical
# across machines; None runs until no constraint is violated (the exact LP optimum).
DEFAULT_LP_ROUNDS = 8
DEFAULT_MERGES = 30_000

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class CategoryShare:
    name: str
    group: str  # english | code | non_english
    script: str
    share: float  # byte proportion of the training data (sums to 1)
    alpha: float  # LP solution in normalised pair-count units
    sample_bytes: int
    sample_pairs: int
    source: str


@dataclass(frozen=True)
class MixtureResult:
    tokenizer: str
    tokenizer_sha256: str
    pack: str
    pack_source: str
    merges_used: int
    merges_available: int
    skip: int
    categories: list[CategoryShare]
    groups: dict[str, float]
    scripts: dict[str, float]
    diagnostics: dict
    timing: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    conversion: str = ("share_i = alpha_i * bytes_i / pairs_i, renormalised: alpha is in units of pair counts normalised "
                       "per category (pairs at step 0), shares are proportions of training bytes")


def _replay_job(args) -> Trajectory:
    symbols, starts, counts, merge_ids, V = args
    return replay(symbols, starts, counts, merge_ids, V)


def category_trajectories(tok: Tokenizer, texts: list[str], merge_ids: np.ndarray, executor: Executor,
                          progress: Progress | None = None) -> list[Trajectory]:
    """Pair-count trajectories per category, from the on-disk cache where these inputs were seen before."""
    V = int(max(tok.vocab_size, int(merge_ids.max()) + 1 if len(merge_ids) else 0))
    merges_hash = hashlib.sha256(np.ascontiguousarray(merge_ids).tobytes()).hexdigest()
    out: list[Trajectory | None] = [None] * len(texts)
    todo: list[int] = []
    paths = []
    for i, text in enumerate(texts):
        key = cache.key_of("trajectory", REPLAY_VERSION, tok.sha256, tok.name,
                           hashlib.sha256(text.encode("utf-8")).hexdigest(), merges_hash)
        path = cache.entry_path("mixture", key, ".npz")
        paths.append(path)
        try:
            with np.load(path) as z:
                out[i] = Trajectory(z["init_keys"], z["init_counts"], z["d_step"], z["d_key"], z["d_delta"],
                                    z["merged_counts"], int(z["total_pairs"]))
        except (OSError, KeyError, ValueError):
            todo.append(i)
    jobs = []
    for k, i in enumerate(todo):
        if progress:
            progress("pretokenize", k, len(todo))
        wa = word_arrays(tok, texts[i])
        jobs.append((wa.symbols, wa.word_start, wa.counts, merge_ids, V))
    if progress and todo:
        progress("pretokenize", len(todo), len(todo))
    for k, (i, tr) in enumerate(zip(todo, executor.map(_replay_job, jobs), strict=True)):
        out[i] = tr
        try:
            with cache.atomic_writer(paths[i], "wb") as f:
                np.savez(f, init_keys=tr.init_keys, init_counts=tr.init_counts, d_step=tr.d_step, d_key=tr.d_key,
                         d_delta=tr.d_delta, merged_counts=tr.merged_counts, total_pairs=tr.total_pairs)
        except OSError:
            pass
        if progress:
            progress("replay", k + 1, len(todo))
    return out  # type: ignore[return-value]


def infer_mixture(tok: Tokenizer, categories: str | Path = "default", merges: int = DEFAULT_MERGES, skip: int = 0,
                  bytes_per_category: int | None = None, seed: int = 0, executor: Executor | None = None,
                  progress: Progress | None = None, per_step: int = 10, lp_time_limit: float | None = None,
                  all_steps: bool = False, min_category_bytes: int | None = None,
                  lp_rounds: int | None = DEFAULT_LP_ROUNDS) -> MixtureResult:
    from ..corpus.categories import load_categories

    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    if merges <= 0:
        raise UsageError(f"--merges must be positive (got {merges})")
    if skip < 0:
        raise UsageError(f"--skip must be 0 or more (got {skip})")
    all_merges = tok.merge_ids()  # raises for non-BPE tokenizers
    if merges > len(all_merges):
        raise UsageError(
            f"--merges {merges} is beyond the {len(all_merges):,} merges of '{tok.name}'; use --merges {len(all_merges)} or fewer"
        )
    merge_ids = all_merges[:merges]
    timing["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    pack = _drop_small(load_categories(categories, bytes_per_category=bytes_per_category, seed=seed),
                       min_category_bytes, categories)
    if len(pack.categories) < 2:
        raise InputError(f"{pack.name}: need at least two categories to infer a mixture (found {len(pack.categories)})")
    timing["sample"] = time.perf_counter() - t0

    result_path = cache.entry_path("mixture", _result_key(tok, pack, merges, skip, per_step, lp_time_limit, all_steps,
                                                           lp_rounds), ".result.json")
    cached = _read_result(result_path)
    if cached is not None:
        return cached

    t0 = time.perf_counter()
    trajs = category_trajectories(tok, [c.text for c in pack.categories], merge_ids,
                                  executor or default_executor(), progress)
    timing["count_and_replay"] = time.perf_counter() - t0
    for c, tr in zip(pack.categories, trajs, strict=True):
        if tr.total_pairs == 0:
            raise InputError(f"category '{c.name}' has no pairs to count under '{tok.name}'; give it more text")

    t0 = time.perf_counter()
    V = int(max(tok.vocab_size, int(merge_ids.max()) + 1))
    merged_keys = merge_ids[:, 0] * V + merge_ids[:, 1]
    data = lp.combine(trajs, merged_keys)
    res = lp.solve(data, skip=skip, per_step=per_step, time_limit=lp_time_limit, all_steps=all_steps,
                   max_rounds=lp_rounds or 10_000,
                   progress=(lambda r, n, q: progress("solve", r, 0)) if progress else None)
    timing["solve"] = time.perf_counter() - t0
    timing["total"] = sum(timing.values())

    bytes_ = np.array([c.n_bytes for c in pack.categories], dtype=np.float64)
    pairs = np.array([tr.total_pairs for tr in trajs], dtype=np.float64)
    raw = res.alpha * bytes_ / pairs
    share = raw / raw.sum() if raw.sum() > 0 else np.full(len(raw), 1.0 / len(raw))
    cats = [CategoryShare(c.name, c.group, c.script, float(s), float(a), int(c.n_bytes), int(p), c.source)
            for c, s, a, p in zip(pack.categories, share, res.alpha, pairs, strict=True)]
    cats.sort(key=lambda c: (-c.share, c.name))
    groups = {"english": 0.0, "code": 0.0, "non_english": 0.0}
    scripts: dict[str, float] = {}
    for c in cats:
        groups[c.group] = groups.get(c.group, 0.0) + c.share
        if c.group == "non_english":
            scripts[c.script] = scripts.get(c.script, 0.0) + c.share
    diagnostics = {
        "constraints": res.constraints, "rounds": res.rounds, "converged": res.converged,
        "steps_constrained": res.steps_used, "violated_constraints_left": res.violated_left,
        "max_violation_left": res.max_violation_left, "lp_time_limit": lp_time_limit, "lp_rounds": lp_rounds,
        "total_slack": res.objective, "slack_steps": res.slack_steps, "slack_pairs": res.slack_pairs,
        "pairs_indexed": data.n_pairs, "merges_with_no_sample_occurrence": int((data.merged_counts.sum(axis=1) == 0).sum()),
        "slack_units": "normalised pair counts per million pairs",
    }
    result = MixtureResult(
        tokenizer=tok.name, tokenizer_sha256=tok.sha256, pack=pack.name, pack_source=pack.source,
        merges_used=merges, merges_available=len(all_merges), skip=skip, categories=cats, groups=groups,
        scripts=dict(sorted(scripts.items(), key=lambda kv: -kv[1])), diagnostics=diagnostics,
        timing={k: round(v, 3) for k, v in timing.items()}, warnings=list(getattr(pack, "warnings", [])),
    )
    try:
        cache.write_bytes_atomic(result_path, json.dumps(dataclasses.asdict(result)).encode("utf-8"))
    except OSError:
        pass
    return result


def _drop_small(pack, min_bytes: int | None, spec):
    if min_bytes is None:  # shipped packs: leave out the small samples; a user's own directory: keep everything
        min_bytes = 0 if Path(str(spec)).expanduser().exists() else MIN_CATEGORY_BYTES
    if min_bytes <= 0:
        return pack
    keep = [c for c in pack.categories if c.n_bytes >= min_bytes]
    dropped = [c.name for c in pack.categories if c.n_bytes < min_bytes]
    if not dropped:
        return pack
    note = (f"{len(dropped)} categories under {min_bytes:,} bytes left out (--min-category-bytes): "
            + ", ".join(dropped))
    return dataclasses.replace(pack, categories=keep, warnings=[*pack.warnings, note])


def _result_key(tok: Tokenizer, pack, merges: int, skip: int, per_step: int, time_limit, all_steps, rounds) -> str:
    cats = [(c.name, c.group, c.script, hashlib.sha256(c.text.encode("utf-8")).hexdigest()) for c in pack.categories]
    return cache.key_of("mixture-result", REPLAY_VERSION, lp.LP_VERSION, tok.sha256, tok.name, pack.name, cats,
                        merges, skip, per_step, time_limit, all_steps, rounds)


def _read_result(path: Path) -> MixtureResult | None:
    try:
        d = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    d["categories"] = [CategoryShare(**c) for c in d["categories"]]
    d["timing"] = {**d["timing"], "cached_result": True}
    return MixtureResult(**d)


def cached_result(tok: Tokenizer, categories: str | Path = "default", merges: int = DEFAULT_MERGES, skip: int = 0,
                  bytes_per_category: int | None = None, seed: int = 0, per_step: int = 10,
                  lp_time_limit: float | None = None, all_steps: bool = False,
                  min_category_bytes: int | None = None,
                  lp_rounds: int | None = DEFAULT_LP_ROUNDS) -> MixtureResult | None:
    """A result computed before for exactly these inputs, or None (never computes)."""
    from ..corpus.categories import load_categories

    try:
        pack = _drop_small(load_categories(categories, bytes_per_category=bytes_per_category, seed=seed),
                           min_category_bytes, categories)
    except InputError:
        return None
    key = _result_key(tok, pack, merges, skip, per_step, lp_time_limit, all_steps, lp_rounds)
    return _read_result(cache.entry_path("mixture", key, ".result.json"))


__all__ = ["infer_mixture", "cached_result", "MixtureResult", "CategoryShare", "SerialExecutor", "default_executor"]
