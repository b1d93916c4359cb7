"""The Python front door: each capability's main entry point, callable from a notebook with the CLI's defaults.

    import tokforensics as tf

    tok = tf.load_tokenizer("gpt4o")       # a zoo name or a path
    tok.encode("Hello world")              # list of ints
    res = tf.infer_mixture(tok)            # the engine `tok infer-mixture` runs, with its defaults

Every function returns the frozen result dataclass its command prints (`tok ... --json` is that dataclass as
JSON). `tokforensics/__init__.py` exports these names lazily, so `import tokforensics` stays fast. No name here is
a subpackage's name (`tf.metrics` is the package tokforensics.metrics once it is imported), hence `run_metrics`
and `write_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .mixture.settings import DEFAULT_LP_ROUNDS  # the CLI's LP budget (cheap to import: no numpy)
from .progress import Progress

if TYPE_CHECKING:
    from .mixture.settings import MixtureSettings
    from .tokenizer.view import Tokenizer


def load_tokenizer(spec: str | Path, pattern: str | None = None) -> Tokenizer:
    """A zoo name (`tok tokenizers` lists them) or a path: tokenizer.json, HF folder, .model, .tiktoken, GGUF."""
    from .tokenizer.view import load_tokenizer as _load

    return _load(spec, pattern)


def _tok(tok: Tokenizer | str | Path) -> Tokenizer:
    return load_tokenizer(tok) if isinstance(tok, str | Path) else tok


def default_mixture_settings(**changes: Any) -> MixtureSettings:
    """`MixtureSettings` as `tok infer-mixture` uses them by default (the LP solved to its certified optimum), with changes."""
    from .mixture.settings import MixtureSettings

    return MixtureSettings(**{"max_rounds": DEFAULT_LP_ROUNDS, **changes})


def infer_mixture(tok: Tokenizer | str | Path, categories: str | Path = "default",
                  settings: MixtureSettings | None = None, *, executor: Any = None, progress: Progress | None = None,
                  notify: Any = None):
    """Infer a BPE tokenizer's training-data mixture (Hayase et al. 2024): the `tok infer-mixture` engine.

    `settings`: a `MixtureSettings` (default: `default_mixture_settings()`, the CLI's defaults); for a quick look,
    `default_mixture_settings(merges=2000)`. Returns a `MixtureResult`; results are cached like the CLI's.
    """
    from .mixture.infer import infer_mixture as _infer

    return _infer(_tok(tok), categories, settings=settings or default_mixture_settings(), executor=executor,
                  progress=progress, notify=notify)


def run_metrics(tokenizers: list[Tokenizer | str | Path] | str, langs: str | None = None,
                corpus: str | Path | None = None, *, labels: list[str] | None = None, **options: Any):
    """`tok metrics`: every metric, side by side (a `MetricsReport`). `langs`: one language code."""
    from .metrics.run import run_metrics as _run

    specs = [tokenizers] if isinstance(tokenizers, str | Path) else list(tokenizers)
    return _run([str(s) if isinstance(s, str | Path) else s for s in specs], language=langs,
                corpus_path=None if corpus is None else str(corpus), labels=labels, **options)


def compare(tokenizers: list[str] | None, langs: list[str] | str, ref: str = "en", *, labels: list[str] | None = None,
            **options: Any):
    """`tok compare`: token premiums across languages (a `PremiumResult`, keyed by the codes as given)."""
    from .metrics.run import run_compare

    codes = [c.strip() for c in langs.split(",")] if isinstance(langs, str) else list(langs)
    return run_compare(list(tokenizers or []), codes, ref=ref, labels=labels, **options)


def probe_numbers(tok: Tokenizer | str | Path, **options: Any):
    """`tok arith T`: how a tokenizer splits numbers (a `NumberProbe`)."""
    from .arith.probe import probe_tokenizer

    return probe_tokenizer(_tok(tok), **options)


def write_report(tokenizers: list[str], out: str | Path, *, labels: list[str] | None = None, **options: Any):
    """`tok report`: write the self-contained HTML report; returns its `ReportResult`."""
    from .report.collect import collect_report, report_result
    from .report.html import write_report as _write
    from .tokenizer.ref import load_labelled

    toks = load_labelled([str(t) for t in tokenizers], labels)
    data = collect_report(toks, **options)
    size = _write(Path(out), data)
    return report_result(str(out), size, toks, data, {})


def load_model(spec: str | None = None, **options: Any):
    """A token-level LM for the byte-level tools (`smollm2` by default; needs the `lm` extra)."""
    from .lm.adapter import load_model as _load

    return _load(spec, **options)


def byte_level(model: Any = None):
    """`tok bytes`: the exact byte-level view of a model (a `ByteLevelLM`; pass a model or a spec)."""
    from .bytelevel.engine import ByteLevelLM

    return ByteLevelLM(model if model is not None and not isinstance(model, str) else load_model(model))


__all__ = ["DEFAULT_LP_ROUNDS", "byte_level", "compare", "default_mixture_settings", "infer_mixture", "load_model",
           "load_tokenizer", "probe_numbers", "run_metrics", "write_report"]
