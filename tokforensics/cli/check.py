"""`tok check` (policy gate for CI) and `tok baseline` (golden token ids)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.text import Text

from ..corpus.probes import probe_set
from ..errors import InputError, UsageError
from ..outputs import check_destination, refuse_inputs, write_output
from ..policy.baseline import build_golden, write_golden
from ..policy.config import DEFAULT_GOLDEN, POLICY_FILE, Policy, load_policy
from ..policy.init import starter_policy
from ..policy.junit import write_junit
from ..policy.results import BaselineResult, InitResult, check_report
from ..policy.rules import CheckResult, run_check
from ..report.measure import PolicyMeasurer
from ..tokenizer.ref import ref_of
from ..tokenizer.view import load_tokenizer
from .common import status, tokenizer_reads
from .render import State, console, emit_result, fmt, table, token_line

app = typer.Typer()  # this module's commands; tokforensics.cli.app adds it with add_typer

WINDOW = (4, 10)  # tokens shown before and after the first difference


@app.command("check")
def check_cmd(
    tokenizer: str = typer.Argument(None, help="Tokenizer (zoo name or path): with --init, the one to measure; "
                                    "otherwise it replaces the policy's tokenizer for this check."),
    config: Path = typer.Option(None, "--config", "-c", help="Policy file (default: tokforensics.toml, or the "
                                "tool.tokforensics table of pyproject.toml, here or in a parent folder)."),
    junit: Path = typer.Option(None, "--junit", help="Also write JUnit XML for CI test reports to this file."),
    init: bool = typer.Option(False, "--init", help="Write a starter policy (and golden file) measured from the "
                              "current tokenizer, then exit."),
    margin: float = typer.Option(0.05, "--margin", help="With --init: slack added to measured ratios (0.05 = 5%)."),
    force: bool = typer.Option(False, "--force", help="With --init: overwrite an existing policy file."),
) -> None:
    """Check a tokenizer against the team's policy. Exit 0: all rules pass; 1: a rule failed; 2: bad input."""
    if init:
        if junit is not None:
            raise UsageError("--junit goes with a check, not with --init")
        _init(config, tokenizer, margin, force)
        return
    if margin != 0.05 or force:
        raise UsageError("--margin and --force go with --init")
    if junit is not None:
        check_destination(junit, "--junit")
    policy = load_policy(Path.cwd(), config)
    if tokenizer is not None:
        policy = dataclasses.replace(policy, tokenizer=tokenizer)
    if junit is not None:
        refuse_inputs(junit, "--junit", _policy_reads(policy))
    t0 = time.perf_counter()
    with status(f"loading {policy.tokenizer}"):
        try:
            tok = load_tokenizer(policy.tokenizer)
        except InputError as exc:
            if tokenizer is not None:
                raise
            raise InputError(f"{policy.path}: tokenizer: {exc}") from None
    measurer = PolicyMeasurer(tok, policy.texts)
    with status("checking") as st:
        res = run_check(policy, tok, measurer,
                        progress=st)
    elapsed = time.perf_counter() - t0
    if junit is not None:
        write_junit(junit, res, elapsed)
    if State.json:
        emit_result(check_report(res, ref_of(tok), str(junit) if junit else None, {"total": elapsed}))
    else:
        _render(res, elapsed, junit)
    if not res.passed:
        raise typer.Exit(1)


def _policy_reads(policy: Policy) -> list:
    """Every file `tok check` reads for this policy, as `refuse_inputs` takes them."""
    return [(policy.path, "policy file"), *tokenizer_reads([policy.tokenizer]), (policy.golden, "golden file"),
            *((p, "probe texts file") for p in policy.texts)]


def _render(res: CheckResult, elapsed: float, junit: Path | None) -> None:
    corpora: dict[str, int] = {}  # full description -> footnote number
    rows = []
    for r in res.results:
        mark = "[green]pass[/]" if r.passed else "[bold red]FAIL[/]"
        measured = str(r.measured) if r.rule == "special_tokens" and r.measured is not None else fmt(r.measured)
        on = "–"
        if r.corpus:
            n = corpora.setdefault(r.corpus, len(corpora) + 1)
            on = f"({n}) {_short(r.corpus)}"
        rows.append([mark, escape(r.name), escape(measured), escape(r.threshold), escape(on)])
    t = res.tokenizer
    console.print(table(f"tok check: {t['name']} (sha256 {t['sha256'][:12]}…), policy {res.policy}",
                        [("", "left"), ("rule", "left"), ("measured", "right"), ("threshold", "left"),
                         ("measured on", "left")], rows))
    for text, n in corpora.items():
        console.print(Text(f"({n}) {text}", style="dim"))
    for r in res.results:
        if r.passed:
            continue
        console.print(Text.assemble(("✗ ", "bold red"), (r.name, "bold"),
                                    (f" (policy line {r.line})" if r.line else "", "dim"), ": ", r.detail))
        for d in r.data.get("diffs", []):
            k = d["first_diff"]
            lo = max(0, k - WINDOW[0])
            console.print(Text.assemble("  ", (d["id"], "bold"), f"  first difference at token {k}  ",
                                        (_clip(repr(d["text"]), 100), "dim")))
            for label, pieces, ids in (("golden ", d["golden_pieces"], d["golden_ids"]),
                                       ("current", d["current_pieces"], d["current_ids"])):
                hi = min(len(ids), k + WINDOW[1])
                console.print(_pieces_line(f"    {label} ", pieces, k, lo, hi))
                console.print(Text(f"            ids {'… ' if lo else ''}{ids[lo:hi]}{' …' if hi < len(ids) else ''}",
                                   style="dim"))
    for note in res.notes:
        console.print(Text("note: " + note, style="yellow"))
    n = len(res.results)
    summary = (f"[bold green]all {n} checks passed[/]" if res.passed
               else f"[bold red]{res.n_failed} of {n} checks failed[/]")
    console.print(f"{summary} in {elapsed:.1f} s" + (f"; JUnit XML written to {escape(str(junit))}" if junit else ""))


def _short(corpus: str) -> str:
    """The name part of a corpus description, for the table (the full text is printed below it)."""
    cut = min((i for i in (corpus.find(" ("), corpus.find(";"), corpus.find(":"), corpus.find(",")) if i > 0),
              default=len(corpus))
    return _clip(corpus[:cut], 32)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _pieces_line(label: str, pieces: list[str], first_diff: int, lo: int, hi: int) -> Text:
    """Tokens lo..hi with visible boundaries (render.token_line); the first differing one underlined."""
    line = Text(label + " " + ("… " if lo else ""))
    line.append_text(token_line(pieces[lo:hi], start=lo, mark=first_diff))
    if hi < len(pieces):
        line.append(" …")
    return line


def _init(config: Path | None, spec: str | None, margin: float, force: bool) -> None:
    if spec is None:
        raise UsageError("--init needs the tokenizer: `tok check --init T` (a zoo name such as gpt4, or a path)")
    if not 0 <= margin < 10:
        raise UsageError(f"--margin {margin}: give a fraction between 0 and 10 (0.05 = 5%)")
    path = config or Path(POLICY_FILE)
    if path.name == "pyproject.toml":
        raise UsageError("--init writes a separate policy file; give --config tokforensics.toml (or another "
                         "name), then move its keys into a tool.tokforensics table if you prefer pyproject.toml")
    if path.exists() and not force:
        raise InputError(f"{path} already exists; pass --force to overwrite it")
    check_destination(path, "--config", reads=tokenizer_reads([spec]))
    with status(f"loading {spec}"):
        tok = load_tokenizer(spec)
    with status("measuring the tokenizer for starter thresholds"):
        text, skipped = starter_policy(tok, spec, PolicyMeasurer(tok), margin)
    write_output(path, text, "the policy")
    golden = path.parent / DEFAULT_GOLDEN
    wrote_golden = False
    if not golden.exists():
        write_golden(golden, build_golden(tok, probe_set()))
        wrote_golden = True
    if State.json:
        emit_result(InitResult(str(path), str(golden), wrote_golden, ref_of(tok), list(skipped)))
        return
    console.print(f"wrote starter policy {escape(str(path))} for {escape(tok.name)} (margin {margin:.0%})")
    if wrote_golden:
        console.print(f"wrote golden ids {escape(str(golden))}; commit both files")
    else:
        console.print(f"kept the existing {escape(str(golden))}; run `tok baseline` to rewrite it")
    for s in skipped:
        console.print(Text(f"left out: {s}", style="yellow"))


@app.command("baseline")
def baseline_cmd(
    tokenizer: str = typer.Argument(None, help="Tokenizer (zoo name or path); default: the policy's."),
    config: Path = typer.Option(None, "--config", "-c", help="Policy file (gives the tokenizer, texts and golden "
                                "path); default: the policy found from here."),
    texts: list[Path] = typer.Option(None, "--texts", help="Extra probe texts (.txt one per line, or .jsonl); "
                                     "adds to the policy's `texts`. Repeatable."),
    out: Path = typer.Option(None, "-o", "--out", help="Golden file to write (default: the policy's, else "
                             f"{DEFAULT_GOLDEN})."),
) -> None:
    """Write golden token ids for the shipped probe set (plus your texts) to a file you commit."""
    policy: Policy | None = None
    if config is not None or tokenizer is None:
        policy = load_policy(Path.cwd(), config)
    spec = tokenizer or policy.tokenizer
    files = list(policy.texts if policy else ()) + list(texts or [])
    dest = out or (policy.golden if policy else Path(DEFAULT_GOLDEN))
    reads = [*tokenizer_reads([spec]), *((p, "probe texts file") for p in files)]
    if policy is not None:
        reads.append((policy.path, "policy file"))
    check_destination(dest, "-o", reads=reads)
    probes = probe_set(files)
    with status(f"loading {spec}"):
        tok = load_tokenizer(spec)
    g = build_golden(tok, probes)
    write_golden(dest, g)
    n_tokens = sum(len(ids) for _, ids in g.probes)
    if State.json:
        emit_result(BaselineResult(str(dest), ref_of(tok), g.probe_set_sha256, len(g.probes), n_tokens))
        return
    console.print(f"wrote {len(g.probes)} probe texts ({n_tokens:,} tokens) of {escape(tok.name)} "
                  f"(sha256 {tok.sha256[:12]}…) to {escape(str(dest))}; commit it")
