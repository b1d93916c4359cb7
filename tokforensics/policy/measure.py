"""The numbers a policy checks, as small plain records that name the corpus they were measured on.

The rules read them from a `Measurer` (rules.py); the measurer that takes them from the metrics and
arithmetic capabilities sits above both, in report/measure.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RoundTripMeasure:
    n_texts: int
    n_lossy: int
    examples: list[dict]  # {id, expected, got, offset}: the first differing span of each lossy text
    corpus: str


@dataclass(frozen=True)
class LangValues:
    values: dict[str, float]  # keyed by the language codes as the policy gives them
    corpus: str
    notes: dict[str, str] = field(default_factory=dict)  # why a language has no value


@dataclass(frozen=True)
class LexiconMeasure:
    pct_lang: float | None
    pct_pure: float | None
    corpus: str


@dataclass(frozen=True)
class ReachabilityMeasure:
    unreachable: int
    undecodable: int
    corpus: str = "the whole vocabulary"
    unreachable_examples: list[str] = field(default_factory=list)
    undecodable_examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SchemeMeasure:
    scheme: str  # single-digit | L2R-k | R2L-k | free BPE
    detail: str
    corpus: str
