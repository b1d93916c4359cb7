"""Errors the CLI turns into one clear line and exit code 2, and the "did you mean" of an unknown name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TokError(Exception):
    """Base class: the message is one line that says what is wrong and how to fix it."""


class UsageError(TokError):
    """An impossible option or combination of options."""


class InputError(TokError):
    """A missing, corrupt, empty or unsupported input (file, tokenizer, corpus, name)."""


def closest(word: str, options: Iterable[str], n: int = 3, cutoff: float = 0.4) -> list[str]:
    """The options most like `word` (case-insensitive), best first: what an error about an unknown name suggests."""
    by_key: dict[str, str] = {}
    for o in options:
        by_key.setdefault(o.lower(), o)
    return [by_key[k] for k in difflib.get_close_matches(word.strip().lower(), list(by_key), n=n, cutoff=cutoff)]


def did_you_mean(word: str, options: Iterable[str], n: int = 1, cutoff: float = 0.4) -> str:
    """' Did you mean X?' (or 'X or Y?' for n > 1) for the closest options to `word`; '' when none is close."""
    close = closest(word, options, n, cutoff)
    return f" Did you mean {' or '.join(close)}?" if close else ""
