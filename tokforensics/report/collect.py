"""Gather everything `tok report` shows, as plain data: the library measures, the template only renders.

This is the one module of report/ that calls the measuring capabilities (metrics, arith, mixture). A
section whose capability is missing or fails on an input becomes `available=False` with the reason, so
the report is still written and says what it lacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from ..arith.probe import scheme_name
from ..corpus.probes import Probe
from ..errors import TokError
from ..progress import Progress
from ..tokenizer.ref import TokenizerRef, ref_of
from ..tokenizer.view import Tokenizer
from . import figures
from .viewer import example_probes, live_encoder, tokenize_examples

# Languages drawn in the premium chart (all languages are in the table), when the corpus has them.
CHART_LANGS = ("deu", "fra", "spa", "por", "ita", "pol", "tur", "fin", "vie", "ind", "swh", "yor", "rus", "ukr",
               "ell", "heb", "arb", "pes", "hin", "ben", "tam", "tel", "tha", "mya", "khm", "amh", "kat", "hye",
               "cmn", "jpn", "kor")
LIVE_BUDGET = 8_000_000  # characters of embedded vocabularies for the in-page encoders


@dataclass
class Section:
    available: bool
    reason: str = ""
    corpus: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportData:
    title: str
    generated: str
    version: str
    tokenizers: list[dict[str, Any]]
    sections: dict[str, Section | None]
    viewer: dict[str, Any]
    viewer_note: str
    toc: list[tuple[str, str]]


@dataclass(frozen=True)
class ReportResult:
    """What `tok report` wrote: the result of the command (its --json)."""

    path: str
    bytes: int
    tokenizers: list[TokenizerRef]
    sections: dict[str, bool]  # section -> shown with data
    warnings: list[str]  # one line per section that is not available, and why
    live_encoders: list[str]  # labels with an in-page encoder
    examples: int  # texts in the token viewer
    timing: dict[str, float]


def report_result(path: str, size: int, toks: list[Tokenizer], data: ReportData, timing: dict[str, float]) -> ReportResult:
    missing = [f"section {k} not available: {s.reason}" for k, s in data.sections.items()
               if s is not None and not s.available]
    return ReportResult(path=path, bytes=size, tokenizers=[ref_of(t) for t in toks],
                        sections={k: (s is not None and s.available) for k, s in data.sections.items()},
                        warnings=missing, live_encoders=[t["name"] for t in data.viewer["tokenizers"] if t["live"]],
                        examples=len(data.viewer["examples"]), timing=timing)


def _version() -> str:
    try:
        return metadata.version("tokforensics")
    except metadata.PackageNotFoundError:
        return "unknown"


def _section(build: Callable[[], Section]) -> Section:
    try:
        return build()
    except ImportError as exc:
        return Section(False, f"this install lacks the module that measures it ({exc.name or exc})")
    except TokError as exc:
        return Section(False, str(exc))


def _overview(tok: Tokenizer) -> dict[str, Any]:
    i = tok.info()
    return {"name": i.name, "source": i.source, "family": i.family, "algorithm": i.algorithm,
            "vocab_size": i.vocab_size, "merges": i.merges, "byte_level": i.byte_level,
            "byte_fallback": i.byte_fallback, "normalizer": i.normalizer, "pretokenizer": i.pretokenizer,
            "n_special": len(i.specials), "n_added": len(tok.added_tokens), "license": i.license, "sha256": i.sha256}


# ---------------------------------------------------------------------------------------------- sections
def vocabulary_section(toks: list[Tokenizer]) -> Section:
    from ..metrics.vocab import vocab_stats

    stats = [vocab_stats(t) for t in toks]
    names = [t.name for t in toks]

    def rows(key: str) -> list[dict]:
        labels: list[str] = []
        for s in stats:
            for label in getattr(s, key):
                if label not in labels:
                    labels.append(label)
        out = []
        for label in labels:
            vals = []
            for s in stats:
                counts = getattr(s, key)
                total = sum(counts.values()) or 1
                c = counts.get(label)
                vals.append({"count": c, "pct": 100.0 * c / total} if c is not None else None)
            out.append({"label": label, "vals": vals})
        return out

    cats, scripts = rows("categories"), rows("scripts")
    cat_chart = figures.stacked_shares(names, [(r["label"], [v["count"] if v else 0 for v in r["vals"]])
                                               for r in cats], title="Vocabulary by category")
    script_chart = figures.stacked_shares(names, [(r["label"], [v["count"] if v else 0 for v in r["vals"]])
                                                  for r in scripts], title="Alphabetic tokens by script")
    return Section(True, corpus="each tokenizer's full vocabulary (every id, decoded to bytes)", data={
        "tokenizers": names, "categories": cats, "scripts": scripts, "category_chart": cat_chart,
        "script_chart": script_chart, "method": getattr(stats[0], "method", ""),
    })


def premiums_section(toks: list[Tokenizer], corpus: str = "udhr", reference: str = "en",
                     languages: list[str] | None = None) -> Section:
    from ..metrics.premium import premiums

    results = [premiums(t, corpus=corpus, reference=reference, languages=languages) for t in toks]
    names = [t.name for t in toks]
    langs: dict[str, dict] = {}
    for res in results:
        for code in res.premiums:
            langs.setdefault(code, {"code": code, "name": res.language_names.get(code, code),
                                    "script": getattr(res, "scripts", {}).get(code, "")})
    rows = []
    for code, meta in langs.items():
        vals = [_finite(res.premiums.get(code)) for res in results]
        present = [v for v in vals if v is not None]
        rows.append({**meta, "vals": vals, "best": min(present) if present else None})
    rows.sort(key=lambda r: (r["vals"][0] is None, r["vals"][0] or 0))
    chart_rows = [r for r in rows if r["code"].split("_")[0] in CHART_LANGS] or rows[:30]
    chart = figures.grouped_bars([f'{r["name"]} ({r["code"]})' for r in chart_rows],
                                 {n: [r["vals"][k] for r in chart_rows] for k, n in enumerate(names)},
                                 title=f"Token premium vs {reference}", ref=1.0, ref_label="parity")
    return Section(True, corpus=results[0].corpus, data={
        "tokenizers": names, "rows": rows, "reference": reference,
        "reference_name": results[0].language_names.get(reference, reference),
        "has_script": any(r["script"] for r in rows), "chart": chart,
        "chart_caption": f"{len(chart_rows)} of {len(rows)} languages, sorted by {names[0]}'s premium; "
                         "the table lists all of them.",
    })


def numbers_section(toks: list[Tokenizer]) -> Section:
    from ..arith.probe import DEFAULT_SAMPLES, probe_tokenizer

    samples = DEFAULT_SAMPLES
    rows = []
    for t in toks:
        p = probe_tokenizer(t, samples=samples, formats=("plain",))
        rows.append({"name": t.name, "scheme": scheme_name(p.scheme, p.chunk), "label": p.scheme_label,
                     "consistency": p.consistency, "mean_tokens": p.mean_tokens_in_range,
                     "number_tokens": p.number_tokens, "longest": p.longest_number_token,
                     "examples": [p.examples.get(x, []) for x in ("1234567", " 1234567", "12345678+87654321=")]})
    return Section(True, corpus=f"{samples} seeded random numbers per length, 1–20 digits (seed 0); "
                                "mean over 7–9 digit numbers; the three example strings", data={"rows": rows})


def reachability_section(toks: list[Tokenizer]) -> Section:
    from ..metrics.vocab import reachability

    rows, columns = [], []
    method = ""
    for t in toks:
        res = reachability(t)
        counts = dict(res.counts)
        for c in counts:
            if c not in columns:
                columns.append(c)
        rows.append({"name": t.name, "counts": counts,
                     "examples": {k: list(v)[:12] for k, v in getattr(res, "examples", {}).items() if v}})
        method = getattr(res, "method", method)
    for row in rows:
        row["vals"] = [row["counts"].get(c, 0) for c in columns]
    return Section(True, corpus="each tokenizer's full vocabulary: every id decoded alone, then re-encoded",
                   data={"columns": columns, "rows": rows, "method": method})


def roundtrip_section(toks: list[Tokenizer], probes: list[Probe]) -> Section:
    from ..metrics.corpus import round_trip

    texts = [p.text for p in probes]
    rows = []
    for t in toks:
        res = round_trip(t, texts)
        ex = [{"id": probes[k].id, "expected": c.expected, "got": c.got}
              for k, c in zip(res.lossy_indices, res.lossy, strict=True)][:8]
        rows.append({"name": t.name, "n_texts": len(texts), "n_lossy": len(res.lossy_indices), "examples": ex})
    return Section(True, corpus=f"the shipped probe set: {len(texts)} texts (scripts, code, numbers, whitespace, "
                                "emoji)", data={"rows": rows})


def mixture_section(toks: list[Tokenizer], compute: bool) -> Section | None:
    """The inferred mixture: computed when asked (`--mixture`), else shown only if a cached result exists."""
    from ..mixture import infer as mix

    cached = getattr(mix, "cached_result", None)  # the mixture layer's cache lookup, where it offers one
    results, skipped = {}, {}
    for t in toks:
        try:
            res = cached(t) if cached else None
            if res is None and compute:
                res = mix.infer_mixture(t)
        except TokError as exc:
            skipped[t.name] = str(exc)
            continue
        if res is not None:
            results[t.name] = res
    if not results:
        if not compute:
            return None
        return Section(False, "; ".join(f"{n}: {why}" for n, why in skipped.items()) or "no tokenizer gave a mixture")
    names = list(results)
    labels: list[str] = []
    for res in results.values():
        for c in res.categories:
            if c.name not in labels:
                labels.append(c.name)
    rows = []
    for label in labels:
        vals = []
        for res in results.values():
            share = next((c.share for c in res.categories if c.name == label), None)
            vals.append(share)
        rows.append({"label": label, "vals": vals})
    chart = figures.stacked_shares(names, [(r["label"], [v or 0.0 for v in r["vals"]]) for r in rows],
                                   title="Inferred training-data mixture")
    first = next(iter(results.values()))
    warnings = [f"{n}: {w}" for n, res in results.items() for w in res.warnings]
    warnings += [f"{n}: not inferred ({why})" for n, why in skipped.items()]
    return Section(True, corpus=f"category pack '{first.pack}' ({first.pack_source}); first {first.merges_used:,} merges",
                   data={"tokenizers": names, "rows": rows, "chart": chart, "warnings": warnings,
                         "method": first.conversion})


def _finite(v) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


# ---------------------------------------------------------------------------------------------- viewer
def viewer_data(toks: list[Tokenizer], extra: list[Probe], live: bool, budget: int = LIVE_BUDGET) -> dict[str, Any]:
    probes = example_probes(extra)
    per_tok = [tokenize_examples(t, probes) for t in toks]
    examples = [{"label": p.id, "text": p.text, "tokens": {t.name: per_tok[k][j] for k, t in enumerate(toks)}}
                for j, p in enumerate(probes)]
    tokenizers = []
    used = 0
    for t in toks:
        enc, reason = live_encoder(t) if live else (None, "in-page encoders were turned off (--no-live)")
        if enc is not None and used + enc.size > budget:
            enc, reason = None, (f"its vocabulary ({enc.size / 1e6:.1f} MB embedded) would pass the report's "
                                 f"size budget ({budget / 1e6:.0f} MB)")
        if enc is not None:
            used += enc.size
        tokenizers.append({"name": t.name, "reason": reason,
                           "live": None if enc is None else {"pattern": enc.pattern, "nfc": enc.nfc,
                                                              "specials": enc.specials, "vocab": enc.vocab}})
    return {"tokenizers": tokenizers, "examples": examples}


VIEWER_NOTE = ("Pick an example or paste your own text. Examples were tokenized by the real tokenizers when this "
               "report was made. Your own text is tokenized in the page only for tokenizers marked 'live': a "
               "reproduction of tiktoken-style byte-level BPE that carries the vocabulary and is checked against "
               "every example when the page opens; any disagreement turns it off. Tokens whose bytes are not whole "
               "UTF-8 characters show as \\xNN with a dashed outline.")


# ---------------------------------------------------------------------------------------------- all
def check_languages(languages: list[str] | None, reference: str, corpus: str = "udhr") -> None:
    """Fail on an unknown language code now, with the corpus's own message (closest codes), rather than
    leaving it as an "unavailable" note inside the report, where CI would never see it."""
    from ..corpus.parallel import load_parallel

    par = load_parallel(corpus)
    for code in [*(languages or []), reference]:
        par.resolve(code)


def collect_report(toks: list[Tokenizer], *, mixture: bool = False, extra_texts: list[Probe] | None = None,
                   languages: list[str] | None = None, reference: str = "en", live: bool = True,
                   budget: int = LIVE_BUDGET, title: str | None = None,
                   progress: Progress | None = None) -> ReportData:
    """Everything the report shows. `languages`: premium languages (default: every language of the corpus)."""
    from ..corpus.probes import shipped_probes

    check_languages(languages, reference)

    steps = ["vocabulary", "premiums", "numbers", "reachability", "round trip", "mixture", "viewer"]

    def step(name: str) -> None:
        if progress:
            progress(name, steps.index(name), len(steps))

    sections: dict[str, Section | None] = {}
    step("vocabulary")
    sections["vocabulary"] = _section(lambda: vocabulary_section(toks))
    step("premiums")
    sections["premiums"] = _section(lambda: premiums_section(toks, reference=reference, languages=languages))
    step("numbers")
    sections["numbers"] = _section(lambda: numbers_section(toks))
    step("reachability")
    sections["reachability"] = _section(lambda: reachability_section(toks))
    step("round trip")
    sections["roundtrip"] = _section(lambda: roundtrip_section(toks, list(shipped_probes()) + list(extra_texts or [])))
    step("mixture")
    sections["mixture"] = _section(lambda: mixture_section(toks, mixture)) if mixture else _cached_mixture(toks)
    step("viewer")
    viewer = viewer_data(toks, list(extra_texts or []), live, budget)
    toc = [("overview", "Overview"), ("vocabulary", "Vocabulary"), ("premiums", "Premiums"),
           ("numbers", "Numbers"), ("reachability", "Reachability & round trip")]
    if sections["mixture"] is not None:
        toc.append(("mixture", "Data mixture"))
    toc.append(("viewer", "Token viewer"))
    names = ", ".join(t.name for t in toks)
    return ReportData(
        title=title or f"Tokenizer report: {names}",
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), version=_version(),
        tokenizers=[_overview(t) for t in toks], sections=sections, viewer=viewer, viewer_note=VIEWER_NOTE, toc=toc,
    )


def _cached_mixture(toks: list[Tokenizer]) -> Section | None:
    try:
        return mixture_section(toks, compute=False)
    except (ImportError, TokError):
        return None
