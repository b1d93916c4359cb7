"""tokforensics: tokenizer analysis and forensics.

The front door (docs/python.md):

    import tokforensics as tf
    tok = tf.load_tokenizer("gpt4o")
    tok.encode("Hello world")
    res = tf.infer_mixture(tok)

Names are imported on first use (`__getattr__`), so `import tokforensics` loads nothing heavy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# name -> (module, attribute)
_EXPORTS = {
    "load_tokenizer": ("tokforensics.api", "load_tokenizer"),
    "infer_mixture": ("tokforensics.api", "infer_mixture"),
    "default_mixture_settings": ("tokforensics.api", "default_mixture_settings"),
    "run_metrics": ("tokforensics.api", "run_metrics"),
    "compare": ("tokforensics.api", "compare"),
    "probe_numbers": ("tokforensics.api", "probe_numbers"),
    "write_report": ("tokforensics.api", "write_report"),
    "load_model": ("tokforensics.api", "load_model"),
    "byte_level": ("tokforensics.api", "byte_level"),
    "Tokenizer": ("tokforensics.tokenizer.view", "Tokenizer"),
    "TokenizerRef": ("tokforensics.tokenizer.ref", "TokenizerRef"),
    "MixtureSettings": ("tokforensics.mixture.settings", "MixtureSettings"),
    "premiums": ("tokforensics.metrics.premium", "premiums"),
    "Progress": ("tokforensics.progress", "Progress"),
    "TokError": ("tokforensics.errors", "TokError"),
    "UsageError": ("tokforensics.errors", "UsageError"),
    "InputError": ("tokforensics.errors", "InputError"),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'tokforensics' has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
