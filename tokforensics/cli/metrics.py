"""`tok metrics` (every metric, tokenizers side by side) and `tok compare` (token premiums across languages)."""

from __future__ import annotations

import typer
from rich.text import Text

from ..errors import UsageError
from ..metrics.corpus import DEFAULT_ALPHA
from ..metrics.premium import DEFAULT_BOOTSTRAP, DEFAULT_SEED, PremiumResult
from ..metrics.run import MetricsReport, run_compare, run_metrics
from ..metrics.vocab import CATEGORIES
from .common import MAX_SEED, Above, label_option, ref_option, split_codes, status
from .render import State, console, emit_result, table

app = typer.Typer()

MANY_LANGS = 6
MAX_SHARE_COLS = 8


def _pct(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


@app.command("metrics")
def metrics_cmd(
    tokenizers: list[str] = typer.Argument(..., help="Zoo names or paths (tokenizer.json, .model, .tiktoken, GGUF...)."),
    langs: str = typer.Option(None, "--langs", help="Language code (tr, tur, en, pt-BR...); one per run. Default "
                              "corpus: its UDHR text (plus the shipped Turkish evaluation text for tr). Default: en."),
    lang: str = typer.Option(None, "--lang", hidden=True, help="Old spelling of --langs."),
    corpus: str = typer.Option(None, "--corpus", help="A UTF-8 text file (optionally .gz, .xz or .zst) or a folder "
                               "of them to measure on instead."),
    alpha: float = typer.Option(DEFAULT_ALPHA, "--alpha", min=Above(0), max=1000.0, help="Rényi order for the Rényi efficiency (> 0)."),
    top: int = typer.Option(10, "--top", max=10_000, help="How many most-split words to list per tokenizer."),
    label: list[str] = label_option(),
) -> None:
    """Every metric for each tokenizer, side by side: vocabulary, reachability, corpus efficiency, round trip, %LANG/%Pure."""
    if langs is not None and lang is not None:
        raise UsageError("give --langs once (--lang is its old spelling)")
    codes = split_codes(langs) if langs is not None else [lang] if lang is not None else None
    if codes is not None and len(codes) > 1:
        raise UsageError(f"--langs {','.join(codes)}: tok metrics measures one language per run; give one code "
                         "(tok compare takes several)")
    with status("measuring") as st:
        rep = run_metrics(tokenizers, language=codes[0] if codes else None, corpus_path=corpus, alpha=alpha, top=top,
                          progress=st, labels=label)
    if State.json:
        emit_result(rep)
        return
    _render_metrics(rep)


def _corpus_line(rep: MetricsReport) -> str:
    c = rep.corpus
    return (f"[bold]corpus[/] {c.name}: {c.segments:,} segments, {c.characters:,} characters, {c.bytes:,} bytes, "
            f"{c.words:,} words — " + "; ".join(c.parts))


def _render_metrics(rep: MetricsReport) -> None:
    console.print(_corpus_line(rep), highlight=False)
    names = rep.order
    T = rep.tokenizers
    first = T[names[0]].corpus
    unit = first.fertility_unit
    console.print(table(
        "Corpus efficiency (fewest tokens first)",
        [("tokenizer", "left"), ("tokens", "right"), ("bytes/tok", "right"), ("chars/tok", "right"),
         (f"fertility /{unit}", "right"), ("continued %", "right"), ("split words %", "right"),
         ("distinct", "right"), ("utilisation %", "right")],
        [[n, T[n].corpus.tokens, T[n].corpus.bytes_per_token, T[n].corpus.chars_per_token, T[n].corpus.fertility,
          _pct(T[n].corpus.continued_word_ratio), _pct(T[n].corpus.split_word_ratio), T[n].corpus.distinct_tokens,
          _pct(T[n].corpus.vocab_utilisation)] for n in names],
        caption=("fertility = tokens per whitespace word (per non-space character for unspaced scripts); continued = "
                 "share of word tokens that continue a word; split words = share of words (letter runs) in >= 2 "
                 "tokens; utilisation = distinct / usable vocabulary"),
        highlight={1: "min", 2: "max", 3: "max", 4: "min", 5: "min", 6: "min"},
    ))
    console.print(table(
        "Distribution, speed and losslessness",
        [("tokenizer", "left"), ("Shannon eff", "right"), (f"Rényi eff α={rep.alpha:g}", "right"), ("|V|", "right"),
         ("encode s", "right"), ("chars/s", "right"), ("lossless %", "right"), ("UNK tokens %", "right"),
         ("unknown chars %", "right")],
        [[n, T[n].corpus.shannon_efficiency, T[n].corpus.renyi_efficiency, T[n].corpus.usable_vocab,
          T[n].corpus.encode_seconds, T[n].corpus.chars_per_second, _pct(T[n].corpus.roundtrip.lossless_share),
          _pct(T[n].corpus.unk_rate), _pct(T[n].corpus.unknown_char_rate)] for n in names],
        caption="efficiency = entropy / log2|V|, |V| = the tokenizer's ids that stand for text (special, unknown and unused "
                "excluded); lossless = segments with decode(encode(x)) == x",
        highlight={1: "max", 2: "max", 4: "min", 5: "max", 6: "max", 7: "min", 8: "min"},
    ))
    lx = T[names[0]].lexicon
    label = lx.label
    rows = [[n, T[n].lexicon.strings, T[n].lexicon.lang_distinct, T[n].lexicon.lang_occurrences,
             T[n].lexicon.pure_distinct, T[n].lexicon.pure_occurrences] for n in names]
    cap = []
    if lx.dictionary:
        cap.append(f"dictionary: {lx.dictionary}")
    if lx.reference:
        cap.append(f"morphemes: {lx.reference}")
    if lx.reason:
        cap.append(f"{label} not available: {lx.reason}")
    if lx.pure_reason and lx.pure_reason != lx.reason:
        cap.append(f"%Pure not available: {lx.pure_reason}")
    cap.append("distinct = over distinct decoded tokens (Bayram et al.); occurrences = over token occurrences")
    console.print(table(
        f"Lexicon ({label}, %Pure)", [("tokenizer", "left"), ("distinct strings", "right"),
                                     (f"{label} distinct", "right"), (f"{label} occurrences", "right"),
                                     ("%Pure distinct", "right"), ("%Pure occurrences", "right")],
        rows, caption="\n".join(cap), highlight={2: "max", 3: "max", 4: "max", 5: "max"}))
    console.print(table(
        "Vocabulary (Qtok categories, % of used ids)",
        [("tokenizer", "left"), ("used ids", "right")] + [(c.replace("_", " "), "right") for c in CATEGORIES],
        [[n, T[n].vocab.used]
         + [_pct(T[n].vocab.shares[c]) for c in CATEGORIES] for n in names],
        caption="char: one character; spaced: starts with a space/▁; inner: continues a word; alpha: letters and "
                "marks only; flank: cut UTF-8; byte: raw byte tokens; special: control tokens",
    ))
    _shares_table("Scripts (% of alphabetic tokens; < 1% folded into Other)", names,
                  {n: T[n].vocab.scripts for n in names}, 1.0)
    _shares_table("Languages of Latin/Cyrillic alphabetic tokens (1/k per matching alphabet, %; < 0.5% folded)",
                  names, {n: T[n].vocab.languages for n in names}, 0.5, unattributed={n: T[n].vocab.languages_unattributed for n in names})
    reach_cols = ["ok", "unreachable_single", "unreachable_multi", "undecodable", "special_ok", "special_unreachable"]
    ex_lines = []
    for n in names:
        ex = T[n].vocab.examples
        bits = [f"{k.replace('_', ' ')}: {', '.join(repr(x) for x in ex.get(k, [])[:4])}"
                for k in ("unreachable_single", "unreachable_multi") if ex.get(k)]
        if bits:
            ex_lines.append(f"{n} — " + "; ".join(bits))
    console.print(table(
        "Reachability (each token's text encoded again)",
        [("tokenizer", "left")] + [(c.replace("_", " "), "right") for c in reach_cols],
        [[n] + [T[n].vocab.reachability.get(c, 0) for c in reach_cols] for n in names],
        caption="\n".join(ex_lines) or None, highlight={2: "min", 3: "min", 4: "min"},
    ))
    for n in names:
        rt = T[n].corpus.roundtrip
        if rt.lossless_segments < rt.segments:
            kinds = ", ".join(f"{k} {v}" for k, v in rt.kinds.items())
            console.print(f"[bold]{n}[/]: round trip lossy on {rt.segments - rt.lossless_segments:,} of "
                          f"{rt.segments:,} segments ({kinds})", highlight=False)
            for d in rt.examples[:3]:
                console.print(f"   segment {d.segment}, char {d.position} [{d.kind}]: {d.original!r} → {d.decoded!r}",
                              highlight=False, markup=False)
        if T[n].corpus.unknown_chars:
            console.print(f"[bold]{n}[/]: {T[n].corpus.unknown_chars:,} characters map to the unknown token "
                          f"({T[n].corpus.unknown_char_rate:.2%}), e.g. {' '.join(T[n].corpus.unknown_char_examples[:8])}",
                          highlight=False)
    ms = [[n, "  ".join(f"{w.word} ({w.tokens}: {'|'.join(w.pieces)})" for w in T[n].corpus.most_split[:5])]
          for n in names if T[n].corpus.most_split]
    if ms:
        console.print(table("Words split into the most tokens", [("tokenizer", "left"), ("word (tokens: pieces)", "left")], ms))
    for note in [*rep.warnings, *rep.events]:
        console.print(f"[dim]note: {note}[/]", highlight=False)


def _shares_table(title: str, names: list[str], counts: dict[str, dict[str, float]], fold: float,
                  unattributed: dict[str, float] | None = None) -> None:
    shares: dict[str, dict[str, float]] = {}
    for n in names:
        total = sum(counts[n].values()) + (unattributed or {}).get(n, 0.0)
        shares[n] = {k: 100.0 * v / total for k, v in counts[n].items()} if total else {}
    keys: list[str] = []
    for n in names:
        for k, v in sorted(shares[n].items(), key=lambda x: -x[1]):
            if v >= fold and k not in keys:
                keys.append(k)
    keys = sorted(keys, key=lambda k: -max(shares[n].get(k, 0.0) for n in names))[:MAX_SHARE_COLS]
    rows = []
    for n in names:
        other = sum(v for k, v in shares[n].items() if k not in keys)
        row = [n] + [shares[n].get(k) for k in keys] + [other]
        if unattributed is not None:
            total = sum(counts[n].values()) + unattributed[n]
            row.append(100.0 * unattributed[n] / total if total else None)
        rows.append(row)
    cols = [("tokenizer", "left")] + [(k, "right") for k in keys] + [("Other", "right")]
    if unattributed is not None:
        cols.append(("none", "right"))
    console.print(table(title, cols, rows))


@app.command("compare")
def compare_cmd(
    tokenizers: list[str] = typer.Argument(None, help="Zoo names or paths. None: every zoo tokenizer available here."),
    langs: str = typer.Option(..., "--langs", help="Comma-separated language codes (tr,en,de), or 'all'."),
    ref: str = ref_option(),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", max=MAX_SEED, help="Seed of the bootstrap resamples."),
    bootstrap: int = typer.Option(DEFAULT_BOOTSTRAP, "--bootstrap", min=1, max=100_000,
                                  help="Number of bootstrap resamples (1..100,000)."),
    label: list[str] = label_option(),
) -> None:
    """Token premiums, parity and fairness Gini across languages on the shipped parallel corpus (UDHR)."""
    codes = split_codes(langs)
    with status("comparing") as st:
        res = run_compare(list(tokenizers or []), codes, ref=ref, seed=seed, n_boot=bootstrap,
                          progress=st, labels=label)
    if State.json:
        emit_result(res)
        return
    _render_compare(res, res.order)


def _render_compare(res: PremiumResult, order: list[str]) -> None:
    ref_name = res.names.get(res.ref, res.ref)
    others = [c for c in res.languages if c != res.ref] or list(res.languages)
    seg = set(res.segments_by_language.values())
    segs = (f"{res.segments} aligned segments per language" if seg == {res.segments} else
            f"{min(seg)}–{max(seg)} segments per language (those it shares with the reference)")
    console.print(f"[bold]corpus[/] {res.corpus}: {segs}; {res.source}. "
                  f"Reference: {ref_name} ({res.ref}), {res.bytes[res.ref]:,} bytes. Bootstrap: {res.bootstrap} "
                  f"paired resamples, seed {res.seed}.", highlight=False)
    if len(others) <= MANY_LANGS:
        cols = [("tokenizer", "left"), ("mean premium", "right")]
        for c in others:
            cols += [(f"{c} premium", "right"), (f"{c} 95% CI", "right"), (f"{c} tokens", "right"),
                     (f"{c} parity", "right")]
        cols += [(f"{res.ref} tokens", "right"), ("fairness Gini", "right")]
        rows, hl = [], {1: "min", len(cols) - 1: "min"}
        for k in range(len(others)):
            hl[2 + 4 * k] = "min"
            hl[4 + 4 * k] = "min"
        for n in order:
            row: list = [n, res.mean_premium[n]]
            for c in others:
                iv = res.interval[n].get(c)
                row += [res.premium[n].get(c), f"{iv[0]:.2f}–{iv[1]:.2f}" if iv else "masked" if c in res.masked[n] else None,
                        res.tokens[n][c], res.parity[n].get(c)]
            row += [res.tokens[n][res.ref], res.gini[n]]
            rows.append(row)
        bp = ", ".join(f"{c} {res.byte_premium[c]:.2f}" for c in others)
        console.print(table(f"Token premium vs {ref_name} (cheapest first)", cols, rows,
                            caption=f"byte premium of the text itself: {bp}. Premium = tokens(L)/tokens({res.ref}); "
                                    "parity = mean per-segment ratio; Gini over the languages shown (incl. the reference).",
                            highlight=hl))
    else:
        console.print(table(
            f"Summary over {len(others)} languages (cheapest first)",
            [("tokenizer", "left"), ("mean premium", "right"), ("fairness Gini", "right"), ("masked languages", "right")],
            [[n, res.mean_premium[n], res.gini[n], len(res.masked[n])] for n in order],
            highlight={1: "min", 2: "min"}))
        show = order[:10]

        def mean_of(c: str) -> float:
            vals = [v for n in show if (v := res.premium[n].get(c)) is not None]
            return sum(vals) / len(vals) if vals else float("inf")

        langs_sorted = sorted(others, key=mean_of)
        rows = [[c, res.names.get(c, c), res.byte_premium[c]] + [res.premium[n].get(c) for n in show] for c in langs_sorted]
        console.print(table(f"Token premium vs {ref_name} by language (lowest first)",
                            [("code", "left"), ("language", "left"), ("byte premium", "right")] + [(n, "right") for n in show],
                            rows, caption="– = masked (>10% unknown characters)" if any(res.masked.values()) else None))
    for n in order:
        if res.masked[n]:
            console.print(f"[bold]{n}[/]: masked " + "; ".join(f"{c} ({why})" for c, why in list(res.masked[n].items())[:6])
                          + (f" and {len(res.masked[n]) - 6} more" if len(res.masked[n]) > 6 else ""), highlight=False)
    for w in res.warnings:
        console.print(Text(w, style="dim"))
