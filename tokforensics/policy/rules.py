"""Evaluate a policy: one result row per checked quantity, with its measured value, threshold and corpus.

The rules only compare; the numbers come from a measurer (policy/measure.py), which calls the metrics,
arithmetic and tokenizer layers. Tests may pass any object with the same methods.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..corpus.probes import probe_set
from ..errors import InputError, TokError, UsageError
from ..progress import Progress
from ..tokenizer.view import Tokenizer
from .baseline import GoldenComparison, compare_golden, read_golden
from .config import Policy, Rule


@dataclass
class RuleResult:
    rule: str  # the rule kind, e.g. "premium"
    name: str  # the row's name, e.g. "premium[tur]"
    measured: Any  # number, string, or None when it could not be measured
    threshold: str  # e.g. "<= 2.0"
    passed: bool
    corpus: str | None = None  # what the number was measured on
    detail: str = ""  # why it failed, or what was seen
    line: int | None = None  # where the rule sits in the policy file
    data: dict[str, Any] = field(default_factory=dict)  # structured extras (golden diffs, lossy examples)
    seconds: float = 0.0  # time spent on its rule (shared by the rows of one rule)


@dataclass
class CheckResult:
    policy: str
    tokenizer: dict[str, Any]
    results: list[RuleResult]
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def n_failed(self) -> int:
        return sum(not r.passed for r in self.results)


class Measurer(Protocol):
    def round_trip(self, corpus: str) -> Any: ...
    def premiums(self, corpus: str, reference: str, langs: list[str]) -> Any: ...
    def fertility(self, corpus: str, langs: list[str]) -> Any: ...
    def lexicon(self, lang: str, corpus: str) -> Any: ...
    def reachability(self) -> Any: ...
    def number_scheme(self) -> Any: ...


def _row(rule: Rule, name: str, measured: Any, op: str, limit: Any, corpus: str | None, detail: str = "",
         key: str = "", why: str = "no value", **data: Any) -> RuleResult:
    """One result row; `key` names the policy key of its threshold (for the line number)."""
    if isinstance(measured, float) and not math.isfinite(measured):
        measured = None
    if measured is None:
        ok = False
    elif op == "<=":
        ok = measured <= limit
    elif op == ">=":
        ok = measured >= limit
    else:
        ok = measured == limit
    if not ok and not detail:
        detail = (f"not measured: {why}" if measured is None
                  else f"measured {_fmt(measured)}, allowed {op} {_fmt(limit)}")
    return RuleResult(rule.kind, name, measured, f"{op} {_fmt(limit)}", ok, corpus, detail, rule.line_of(key), data)


def _clip(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if v != int(v) else f"{v:.1f}"
    return str(v)


# ---------------------------------------------------------------------------------------------- rules
def check_round_trip(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    rt = m.round_trip(rule.params["corpus"])
    ex = rt.examples[:3]
    detail = ""
    if rt.n_lossy > rule.params["max_lossy"]:
        detail = f"{rt.n_lossy} of {rt.n_texts} texts do not come back" + (
            ": " + "; ".join(f"{e['id']}: {_clip(e['expected'])!r} → {_clip(e['got'])!r}" for e in ex) if ex else "")
    return [_row(rule, "round_trip", rt.n_lossy, "<=", rule.params["max_lossy"], rt.corpus, detail, "max_lossy",
                 n_texts=rt.n_texts, examples=rt.examples)]


def check_premium(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    p = rule.params
    res = m.premiums(p["corpus"], p["reference"], list(p["max"]))
    return [_row(rule, f"premium[{lang}]", res.values.get(lang), "<=", limit, res.corpus, key=f"max.{lang}",
                 why=res.notes.get(lang, f"no value for '{lang}'")) for lang, limit in p["max"].items()]


def check_fertility(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    p = rule.params
    res = m.fertility(p["corpus"], list(p["max"]))
    return [_row(rule, f"fertility[{lang}]", res.values.get(lang), "<=", limit, res.corpus, key=f"max.{lang}",
                 why=res.notes.get(lang, f"no value for '{lang}'")) for lang, limit in p["max"].items()]


def check_lexicon(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    out = []
    for lang, p in rule.params["langs"].items():
        res = m.lexicon(lang, p["corpus"])
        why = "no lexicon or morphology reference for this language"
        if p["min_lang"] is not None:
            out.append(_row(rule, f"%LANG[{lang}]", res.pct_lang, ">=", p["min_lang"], res.corpus, key=lang, why=why))
        if p["min_pure"] is not None:
            out.append(_row(rule, f"%Pure[{lang}]", res.pct_pure, ">=", p["min_pure"], res.corpus, key=lang, why=why))
    return out


def check_reachability(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    res = m.reachability()
    out = []
    for key, label in (("max_unreachable", "unreachable"), ("max_undecodable", "undecodable")):
        limit = rule.params[key]
        if limit is None:
            continue
        count = getattr(res, label)
        examples = getattr(res, f"{label}_examples", [])
        detail = (f"{count} {label} tokens, allowed <= {limit}" + (f"; e.g. {', '.join(examples[:5])}" if examples else "")
                  if count > limit else "")
        out.append(_row(rule, f"reachability.{label}", count, "<=", limit, res.corpus, detail, key, examples=examples))
    return out


def check_number_scheme(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    res = m.number_scheme()
    want = rule.params["require"]
    detail = "" if res.scheme == want else f"digits are chunked '{res.scheme}', the policy requires '{want}'" + (
        f" ({res.detail})" if res.detail else "")
    return [_row(rule, "number_scheme", res.scheme, "==", want, res.corpus, detail, "require")]


def check_special_tokens(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    known = {**tok.added_tokens, **tok.specials}
    out = []
    for token, want in rule.params["require"].items():
        got = known.get(token)
        detail = ""
        if got is None:
            detail = f"'{token}' is not a special or added token of {tok.name}"
        elif got != want:
            detail = f"'{token}' has id {got}, the policy requires {want}"
        out.append(_row(rule, f"special[{token}]", got, "==", want, None, detail, f"require.{token}"))
    return out


def check_golden(rule: Rule, tok: Tokenizer, m: Measurer, ctx: dict) -> list[RuleResult]:
    p = rule.params
    policy: Policy = ctx["policy"]
    g = read_golden(policy.golden)
    cmp: GoldenComparison = compare_golden(tok, g, probe_set(policy.texts), show=p["show"],
                                           allow_other_tokenizer=p["allow_other_tokenizer"])
    ctx.setdefault("notes", []).extend(cmp.notes)
    detail = ""
    if cmp.n_changed > p["max_changed"]:
        first = cmp.diffs[0] if cmp.diffs else None
        detail = f"{cmp.n_changed} of {cmp.n_probes} probe texts tokenize differently" + (
            f"; first: {first.id}" if first else "")
    corpus = f"golden file {_rel(policy.golden)} ({cmp.n_probes} probe texts)"
    return [_row(rule, "golden", cmp.n_changed, "<=", p["max_changed"], corpus, detail, "max_changed",
                 diffs=[vars(d) for d in cmp.diffs], n_probes=cmp.n_probes, same_tokenizer=cmp.same_tokenizer)]


CHECKS: dict[str, Callable[[Rule, Tokenizer, Measurer, dict], list[RuleResult]]] = {
    "round_trip": check_round_trip, "premium": check_premium, "fertility": check_fertility,
    "lexicon": check_lexicon, "reachability": check_reachability, "number_scheme": check_number_scheme,
    "special_tokens": check_special_tokens, "golden": check_golden,
}


def run_check(policy: Policy, tok: Tokenizer, measurer: Measurer,
              progress: Progress | None = None) -> CheckResult:
    ctx: dict[str, Any] = {"policy": policy}
    results: list[RuleResult] = []
    for i, rule in enumerate(policy.rules):
        if progress:
            progress(rule.kind, i, len(policy.rules))
        t0 = time.perf_counter()
        try:
            rows = CHECKS[rule.kind](rule, tok, measurer, ctx)
        except TokError as exc:  # say which rule of which file asked for the impossible
            where = f"{policy.path}:{rule.line}" if rule.line else str(policy.path)
            cls = UsageError if isinstance(exc, UsageError) else InputError
            raise cls(f"{where}: rule '{rule.kind}': {exc}") from None
        for r in rows:
            r.seconds = (time.perf_counter() - t0) / len(rows)
        results.extend(rows)
    ident = {"name": tok.name, "sha256": tok.sha256, "algorithm": tok.algorithm, "vocab_size": tok.vocab_size}
    return CheckResult(str(policy.path), ident, results, ctx.get("notes", []))
