"""`tok report`: one self-contained HTML file comparing tokenizers."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import typer
from rich.markup import escape

from ..errors import UsageError
from ..outputs import check_destination
from ..policy.probes import Probe, load_user_texts
from ..report.collect import LIVE_BUDGET, check_languages, collect_report
from ..report.html import write_report
from ..tokenizer.view import load_tokenizer
from .render import State, console, emit_json, err_console

app = typer.Typer()  # this module's commands; tokforensics.cli.app adds it with add_typer


@app.command("report")
def report_cmd(
    tokenizers: list[str] = typer.Argument(..., help="Zoo names or paths."),
    out: Path = typer.Option(..., "-o", "--out", help="HTML file to write."),
    mixture: bool = typer.Option(False, "--mixture", help="Infer each tokenizer's data mixture (slow); without it "
                                 "the section appears only for results already cached."),
    text: list[str] = typer.Option(None, "--text", help="Add a text to the token viewer's examples. Repeatable."),
    texts: list[Path] = typer.Option(None, "--texts", help="Add texts from a file (.txt one per line, .jsonl). "
                                     "Repeatable."),
    langs: str = typer.Option("all", "--langs", help="Premium languages, comma-separated codes (tr,de,...), "
                              "or 'all' languages of the shipped parallel corpus."),
    ref: str = typer.Option("eng", "--ref", help="Reference language of the premiums."),
    live: bool = typer.Option(True, "--live/--no-live", help="Embed in-page encoders for tiktoken-style "
                              "tokenizers so pasted text can be tokenized (adds their vocabularies to the file)."),
    budget_mb: float = typer.Option(LIVE_BUDGET / 1e6, "--live-budget", max=10_000.0, help="Most megabytes of embedded "
                                    "vocabularies; tokenizers past it are shown with precomputed examples only."),
    title: str = typer.Option(None, "--title", help="Report title."),
) -> None:
    """Overview, vocabulary, premiums, numbers, reachability, round trip, mixture and a token viewer."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"-o {out}: give a file name ending in .html")
    if budget_mb < 0:
        raise UsageError("--live-budget must be >= 0")
    extra = [Probe(f"text/{k + 1}", t) for k, t in enumerate(text or [])]
    for f in texts or []:
        extra.extend(load_user_texts(f))
    if out.is_dir():
        raise UsageError(f"-o {out} is a directory; give a file name ending in .html")
    check_destination(out, "-o", create_parents=True)
    languages = None if langs.strip().lower() == "all" else [x.strip() for x in langs.split(",") if x.strip()]
    check_languages(languages, ref)
    seen: set[str] = set()
    toks = []
    for spec in tokenizers:
        tok = load_tokenizer(spec)
        if tok.name in seen:
            raise UsageError(f"tokenizer '{tok.name}' is named twice")
        seen.add(tok.name)
        toks.append(tok)
    status = nullcontext() if State.quiet or State.json else err_console.status("collecting")
    with status as st:
        data = collect_report(toks, mixture=mixture, extra_texts=extra, languages=languages, reference=ref, live=live, budget=int(budget_mb * 1e6),
                              title=title, progress=(lambda s: st.update(f"measuring {s}")) if st else None)
    size = write_report(out, data)
    missing = {k: s.reason for k, s in data.sections.items() if s is not None and not s.available}
    live_names = [t["name"] for t in data.viewer["tokenizers"] if t["live"]]
    if State.json:
        emit_json({"path": str(out), "bytes": size, "tokenizers": [t.name for t in toks],
                   "sections": {k: (s is not None and s.available) for k, s in data.sections.items()},
                   "unavailable": missing, "live_encoders": live_names,
                   "examples": len(data.viewer["examples"])})
        return
    console.print(f"wrote {escape(str(out))} ({size / 1e6:.1f} MB): {len(toks)} tokenizers, "
                  f"{len(data.viewer['examples'])} viewer examples, live in-page encoders: "
                  f"{escape(', '.join(live_names)) or 'none'}")
    for k, why in missing.items():
        console.print(f"[yellow]section {k} not available:[/] {escape(why)}")
