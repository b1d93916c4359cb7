"""`tok arith study`: train small transformers from scratch, one per number scheme, and compare their addition.

`arith` stays a single command (so `tok arith gpt4 mistral` keeps working); arith.py hands a first argument
`study` to the command defined here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.markup import escape

from ..arith.study import PRESETS, StudyResult, configure, preset, run_study
from ..errors import UsageError
from .common import MAX_SEED, Above, progress_display
from .render import State, console, emit_result, table

study_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

# Upper bounds of the options (shown in --help): several times the paper preset (500,000 problems, 20,000 steps of
# 256, 4 layers x 128), low enough that a typo fails at once instead of training for days or overflowing torch.
MAX_TRAIN_PROBLEMS = 10_000_000
MAX_TEST_PER_PAIR = 100_000
MAX_STEPS = 1_000_000
MAX_BATCH = 65_536
MAX_D_MODEL = 4096
MAX_LAYERS = 64
MAX_HEADS = 64
MAX_LR = 10.0
MAX_SEEDS = 100
MAX_THREADS = 1024
MAX_JOBS = 256


@study_app.command("study")
def study_cmd(
    schemes: str = typer.Option(None, "--schemes", help="Comma-separated: single, l2r2, r2l2, l2r3, r2l3, "
                                "comma_l2r3, comma_r2l3 (k = 2..4 in <l2r|r2l><k>). Default: single,l2r3,r2l3."),
    digits: str = typer.Option(None, "--digits", help="Addend lengths, e.g. 3-4 (default) or 7-9 (--preset paper)."),
    train_problems: int = typer.Option(None, "--train-problems", min=1, max=MAX_TRAIN_PROBLEMS, help="Training problems (balanced over addend-"
                                       "length pairs; disjoint from the test problems)."),
    test_per_pair: int = typer.Option(None, "--test-per-pair", min=2, max=MAX_TEST_PER_PAIR, help="Test problems per addend-length pair, half "
                                      "of them with an answer longer than the addends."),
    steps: int = typer.Option(None, "--steps", min=1, max=MAX_STEPS, help="Optimiser steps per model."),
    batch: int = typer.Option(None, "--batch", min=1, max=MAX_BATCH, help="Problems per step."),
    d_model: int = typer.Option(None, "--d-model", min=8, max=MAX_D_MODEL, help="Model width."),
    layers: int = typer.Option(None, "--layers", min=1, max=MAX_LAYERS, help="Transformer layers."),
    heads: int = typer.Option(None, "--heads", min=1, max=MAX_HEADS, help="Attention heads."),
    embeddings: str = typer.Option(None, "--embeddings", help="digits (default): each token's embedding is a sum "
                                   "of learned (place, digit) vectors; free: one learned row per token."),
    lr: float = typer.Option(None, "--lr", min=Above(0), max=MAX_LR, help="Peak learning rate (AdamW, linear warmup, cosine decay)."),
    seed: int = typer.Option(None, "--seed", max=MAX_SEED, help="First seed (weights, batch order and problems)."),
    seeds: int = typer.Option(None, "--seeds", min=1, max=MAX_SEEDS, help="Models per scheme (seeds seed, seed+1, ...); 2 or more give "
                              "intervals over seeds."),
    preset_name: str = typer.Option("default", "--preset", help=f"Starting configuration: {', '.join(PRESETS)}. "
                                    "Options given override it."),
    device: str = typer.Option(None, "--device", help="auto (CUDA when available, else CPU), cuda or cpu."),
    threads: int = typer.Option(None, "--threads", min=1, max=MAX_THREADS, help="torch CPU threads (default: $TOKFORENSICS_THREADS, "
                                "else torch's)."),
    jobs: int = typer.Option(1, "--jobs", min=1, max=MAX_JOBS, help="Runs in parallel worker processes (one thread each unless "
                             "--threads); results do not depend on it."),
    html: Path = typer.Option(None, "--html", help="Also write a self-contained HTML report with learning curves."),
    details: bool = typer.Option(False, "--details", help="Per-run results and every test answer in --json."),
) -> None:
    """Train one small transformer per number scheme on the same problems; compare exact addition by scheme."""
    cfg = configure(preset(preset_name), schemes=schemes, digits=digits, train_problems=train_problems,
                    test_per_pair=test_per_pair, steps=steps, batch=batch, d_model=d_model, layers=layers,
                    heads=heads, embeddings=embeddings, lr=lr, seed=seed, seeds=seeds, device=device, threads=threads)
    if html is not None and html.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--html {html}: give a file name ending in .html")
    if html is not None and html.is_dir():
        raise UsageError(f"--html {html} is a directory; give a file name ending in .html")
    res = _run(cfg, keep_answers=details, jobs=jobs)
    written = None
    if html is not None:
        from ..report.study import write_study_html

        written = write_study_html(html, res)
    if State.json:
        out = res if details else _brief(res)
        emit_result(dataclasses.replace(out, html=str(html) if written else None))
        return
    _render(res)
    if written:
        console.print(f"wrote {escape(str(html))} ({written / 1e3:.0f} kB)", highlight=False)


def _brief(res: StudyResult) -> StudyResult:
    """Without per-run detail (answers, per-run curves and cells are in --details)."""
    schemes = {k: dataclasses.replace(s, runs=[dataclasses.replace(r, answers=[], by_length=[], curve=[])
                                               for r in s.runs]) for k, s in res.schemes.items()}
    return dataclasses.replace(res, schemes=schemes)


def _run(cfg, keep_answers: bool, jobs: int) -> StudyResult:
    if State.quiet or State.json:
        return run_study(cfg, keep_answers=keep_answers, jobs=jobs)
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    with progress_display(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn()) as bar:
        task = bar.add_task("training", total=None)

        def cb(what: str, i: int, n: int) -> None:
            bar.update(task, completed=i, total=n, description=f"training {what}")

        return run_study(cfg, progress=cb, keep_answers=keep_answers, jobs=jobs)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _iv(iv: tuple[float, float] | None) -> str:
    return "–" if iv is None else f"{100 * iv[0]:.1f}–{100 * iv[1]:.1f}"


def _render(res: StudyResult) -> None:
    c = res.config
    lo, hi = c.digits
    console.print(
        f"[bold]{len(res.schemes)} schemes × {c.seeds} seed{'s' if c.seeds > 1 else ''}[/]: {lo}–{hi} digit addends, "
        f"{res.train_problems:,} training and {res.test_problems:,} test problems "
        f"({100 * res.test_mismatch_share:.0f}% with a longer answer); {c.layers} layers × {c.d_model} wide, "
        f"{c.steps:,} steps of {c.batch}; {res.device}, {res.threads} thread{'s' if res.threads > 1 else ''}"
        f"{f' × {res.jobs} jobs' if res.jobs > 1 else ''}, "
        f"{res.seconds:.0f} s", highlight=False)
    console.print(res.note, highlight=False)
    rows = []
    for s in res.schemes.values():
        r0 = s.runs[0]
        rows.append([s.name, s.example, _pct(s.accuracy), _iv(s.accuracy_interval), _pct(s.match_accuracy),
                     _pct(s.mismatch_accuracy), _pct(float(sum(r.digit_accuracy for r in s.runs) / len(s.runs))),
                     f"{r0.parameters:,}", f"{r0.tokens_per_problem:.1f}",
                     f"{sum(r.seconds_train + r.seconds_eval for r in s.runs) / len(s.runs):.0f}"])
    method = next(iter(res.schemes.values())).interval_method
    console.print(table("Exact answers (%), greedy", [("scheme", "left"), ("12345+6789=", "left"), ("accuracy", "right"),
                                                        ("95% interval", "right"), ("same length", "right"),
                                                        ("longer", "right"), ("digits right", "right"),
                                                        ("parameters", "right"), ("tokens", "right"), ("s/run", "right")],
                        rows, caption=f"interval: {method}. same length / longer: answers as long as the longer "
                                      "addend / longer than both (a final carry). digits right: share of answer digits "
                                      "right at their place value. tokens: per problem, prompt + answer + end."))
    if res.contrasts:
        rows = [[f"{k.a} − {k.b}", k.subset, f"{100 * k.diff:+.1f}",
                 "–" if k.interval is None else f"{100 * k.interval[0]:+.1f} to {100 * k.interval[1]:+.1f}",
                 " ".join(f"{100 * d:+.1f}" for d in k.per_seed)] for k in res.contrasts]
        console.print(table("Paired differences (points; same seeds, same problems)",
                            [("contrast", "left"), ("problems", "left"), ("mean", "right"), ("95% t interval", "right"),
                             ("per seed", "left")], rows))
    names = list(res.schemes)
    first = res.schemes[names[0]]
    rows = []
    for i, cell in enumerate(first.by_length):
        row = [f"{cell.a_digits}+{cell.b_digits}"]
        for n in names:
            x = res.schemes[n].by_length[i]
            row.append(f"{_pct(x.match_accuracy)} / {_pct(x.mismatch_accuracy)}")
        rows.append(row)
    console.print(table("By addend lengths: same length / longer answer (%)",
                        [("digits", "left")] + [(n, "right") for n in names], rows))
    rows = []
    for s in res.schemes.values():
        for label, e in (("all", s.errors), ("longer", s.errors_mismatch)):
            pos = ", ".join(f"{p}:{n}" for p, n in e.wrong_digit_from_left.items()) or "–"
            top = f"{e.top_position} ({100 * e.top_position_share:.0f}%)" if e.top_position else "–"
            rows.append([s.name, label, e.wrong, e.dropped_digits, e.extra_digits, e.same_length, e.off_by_one,
                         e.carry_errors, top, pos])
    console.print(table("Error anatomy (all seeds)", [("scheme", "left"), ("problems", "left"), ("wrong", "right"),
                                                      ("short", "right"), ("long", "right"), ("same", "right"),
                                                      ("±1", "right"), ("carry", "right"), ("top digit", "left"),
                                                      ("wrong digits by position", "left")], rows,
                        caption="short / long: too few / too many digits; same: right length, of which ±1 = every "
                                "wrong digit off by one, carry = every wrong digit a missed or spurious carry. "
                                "positions count from the left (1 = leading digit); top digit's share is of "
                                "same-length errors."))
    steps = [p.step for p in first.curve]
    rows = [[n] + [_pct(p.accuracy) for p in res.schemes[n].curve] for n in names]
    console.print(table("Learning curve: exact answers on the checkpoint subset (%, mean over seeds)",
                        [("scheme", "left")] + [(f"{s:,}", "right") for s in steps], rows))
