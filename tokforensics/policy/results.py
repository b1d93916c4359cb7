"""What `tok check`, `tok check --init` and `tok baseline` return: one frozen result each, their --json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..tokenizer.ref import TokenizerRef


@dataclass(frozen=True)
class CheckReport:
    passed: bool
    n_failed: int
    policy: str
    tokenizer: TokenizerRef
    identity: dict[str, Any]  # name, sha256, algorithm and vocabulary size, as the golden file records them
    results: list[Any]  # RuleResult rows, in policy order
    warnings: list[str]
    junit: str | None
    timing: dict[str, float]


def check_report(res, ref: TokenizerRef, junit: str | None, timing: dict[str, float]) -> CheckReport:
    return CheckReport(res.passed, res.n_failed, res.policy, ref, dict(res.tokenizer), list(res.results),
                       list(res.notes), junit, timing)


@dataclass(frozen=True)
class InitResult:
    policy: str
    golden: str
    wrote_golden: bool
    tokenizer: TokenizerRef
    warnings: list[str] = field(default_factory=list)  # rules left out of the starter policy, and why


@dataclass(frozen=True)
class BaselineResult:
    path: str
    tokenizer: TokenizerRef
    probe_set_sha256: str
    n_probes: int
    n_tokens: int
