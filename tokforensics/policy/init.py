"""`tok check --init`: a starter policy whose thresholds are today's measurements plus a margin.

Ratios (premium, fertility) get `margin` of slack upwards, percentages (%LANG, %Pure) downwards; counts
(lossy texts, unreachable and undecodable tokens) and exact facts (number scheme, special-token ids) are
written as measured, so any change shows. A quantity that cannot be measured here is left out, with the
reason, rather than guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from ..errors import InputError
from ..tokenizer.view import Tokenizer
from .config import DEFAULT_GOLDEN, quote_key
from .rules import Measurer

PREMIUM_LANGS = ("deu", "fra", "spa", "tur", "rus", "arb", "hin", "cmn", "jpn", "kor")
FERTILITY_LANGS = ("eng", "deu", "tur")
LEXICON_LANGS = ("tur",)
MAX_SPECIALS = 24


def _up(x: float, margin: float) -> float:
    return math.ceil(x * (1 + margin) * 100) / 100


def _down(x: float, margin: float) -> float:
    return max(0.0, math.floor(x * (1 - margin) * 10) / 10)


def _table(d: dict) -> str:
    return "{ " + ", ".join(f"{quote_key(k)} = {v!r}" for k, v in d.items()) + " }"


def starter_policy(tok: Tokenizer, spec: str, m: Measurer, margin: float = 0.05) -> tuple[str, list[str]]:
    """(TOML text, what was left out and why)."""
    skipped: list[str] = []
    out = [
        "# tokforensics policy: `tok check` gates on these rules (exit 1 if any fails). See docs/ci.md.",
        f"# Starter thresholds measured from {tok.name} (sha256 {tok.sha256[:12]}…) with a {margin:.0%} margin.",
        f"tokenizer = {json.dumps(spec, ensure_ascii=False)}",
        f"golden = {json.dumps(DEFAULT_GOLDEN)}",
        "# texts = [\"tests/tokenizer_probes.txt\"]   # your own probe texts, one per line",
        "",
        "[rules.golden]",
        "max_changed = 0",
    ]

    def section(name: str, build: Callable[[], list[str]]) -> None:
        try:
            lines = build()
        except (InputError, ImportError, AttributeError, NotImplementedError) as exc:
            skipped.append(f"[rules.{name}]: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            return
        if lines:
            out.extend(["", f"[rules.{name}]", *lines])

    def round_trip() -> list[str]:
        rt = m.round_trip("probes")
        note = f"  # {rt.n_lossy} of {rt.n_texts} probe texts are lossy today" if rt.n_lossy else ""
        return ['corpus = "probes"', f"max_lossy = {rt.n_lossy}{note}"]

    def specials() -> list[str]:
        sp = dict(sorted(tok.specials.items(), key=lambda kv: kv[1])[:MAX_SPECIALS])
        if not sp:
            raise InputError(f"{tok.name} has no special tokens")
        return [f"require = {_table(sp)}"]

    def reach() -> list[str]:
        r = m.reachability()
        return [f"max_unreachable = {r.unreachable}", f"max_undecodable = {r.undecodable}"]

    def scheme() -> list[str]:
        s = m.number_scheme()
        return [f'require = "{s.scheme}"  # {s.detail}']

    def premium() -> list[str]:
        res = m.premiums("udhr", "eng", list(PREMIUM_LANGS))
        vals = {k: _up(v, margin) for k, v in res.values.items() if k in PREMIUM_LANGS and v == v}
        if not vals:
            raise InputError("no premium measured")
        return ['reference = "eng"', 'corpus = "udhr"', f"max = {_table(vals)}"]

    def fertility() -> list[str]:
        res = m.fertility("udhr", list(FERTILITY_LANGS))
        vals = {k: _up(v, margin) for k, v in res.values.items() if k in FERTILITY_LANGS and v == v}
        if not vals:
            raise InputError("no fertility measured")
        return ['corpus = "udhr"', f"max = {_table(vals)}"]

    def lexicon() -> list[str]:
        lines = []
        for lang in LEXICON_LANGS:
            res = m.lexicon(lang, None)
            body = {}
            if res.pct_lang is not None:
                body["min_lang"] = _down(res.pct_lang, margin)
            if res.pct_pure is not None:
                body["min_pure"] = _down(res.pct_pure, margin)
            if body:
                lines.append(f"{lang} = {_table(body)}")
        return lines

    section("round_trip", round_trip)
    section("special_tokens", specials)
    section("reachability", reach)
    section("number_scheme", scheme)
    section("premium", premium)
    section("fertility", fertility)
    section("lexicon", lexicon)
    return "\n".join(out) + "\n", skipped
