"""`tok report`: one self-contained HTML file comparing tokenizers."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape

from ..corpus.probes import Probe, load_user_texts
from ..errors import UsageError
from ..outputs import check_destination
from ..report.collect import LIVE_BUDGET, check_languages, collect_report, report_result
from ..report.html import write_report
from ..tokenizer.ref import load_labelled
from .common import label_option, ref_option, status, tokenizer_reads
from .render import State, console, emit_result

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
    ref: str = ref_option(),
    live: bool = typer.Option(True, "--live/--no-live", help="Embed in-page encoders for tiktoken-style "
                              "tokenizers so pasted text can be tokenized (adds their vocabularies to the file)."),
    budget_mb: float = typer.Option(LIVE_BUDGET / 1e6, "--live-budget", max=10_000.0, help="Most megabytes of embedded "
                                    "vocabularies; tokenizers past it are shown with precomputed examples only."),
    title: str = typer.Option(None, "--title", help="Report title."),
    label: list[str] = label_option(),
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
    check_destination(out, "-o",
                      reads=[*tokenizer_reads(tokenizers), *((f, "probe texts file") for f in texts or [])])
    languages = None if langs.strip().lower() == "all" else [x.strip() for x in langs.split(",") if x.strip()]
    check_languages(languages, ref)
    t0 = time.perf_counter()
    with status("loading tokenizers") as st:
        toks = load_labelled(list(tokenizers), label, progress=st)
    t1 = time.perf_counter()
    with status("collecting") as st:
        data = collect_report(toks, mixture=mixture, extra_texts=extra, languages=languages, reference=ref, live=live,
                              budget=int(budget_mb * 1e6), title=title,
                              progress=st)
    t2 = time.perf_counter()
    size = write_report(out, data)
    res = report_result(str(out), size, toks, data, {"load": t1 - t0, "collect": t2 - t1,
                                                      "write": time.perf_counter() - t2})
    if State.json:
        emit_result(res)
        return
    console.print(f"wrote {escape(str(out))} ({size / 1e6:.1f} MB): {len(toks)} tokenizers, "
                  f"{res.examples} viewer examples, live in-page encoders: "
                  f"{escape(', '.join(res.live_encoders)) or 'none'}")
    for w in res.warnings:
        console.print(f"[yellow]{escape(w)}[/]")
