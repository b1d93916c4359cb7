"""`tok infer-mixture` and `tok experiment mixture`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich import filesize
from rich.markup import escape
from rich.progress import (
    BarColumn,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from rich.text import Text

from ..corpus.categories import MIN_CATEGORY_BYTES, category_folder
from ..errors import UsageError, did_you_mean
from ..mixture.executor import LocalPoolExecutor, SerialExecutor, dask_executor, scheduler_address
from ..mixture.experiment import MAX_MERGES as MAX_EXPERIMENT_MERGES
from ..mixture.experiment import MAX_N, MAX_TRAIN_BYTES, MAX_TRIALS, MIN_N, MIN_TRAIN_BYTES
from ..mixture.infer import infer_mixture
from ..mixture.settings import (
    DEFAULT_ESTIMATOR,
    DEFAULT_LP_ROUNDS,
    ESTIMATORS,
    MAX_BOOTSTRAP,
    MixtureSettings,
)
from ..outputs import check_destination, write_output
from ..tokenizer.view import load_tokenizer
from .common import MAX_SEED, Above, progress_display, tokenizer_reads
from .render import State, console, emit_result, err_console, table, to_jsonable

app = typer.Typer()  # this module's commands; tokforensics.cli.app adds it with add_typer

experiment_app = typer.Typer(help="Controlled experiments that validate the methods.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")

STAGE_LABEL = {"pretokenize": "pretokenize + count", "replay": "replay merges", "solve": "LP rounds",
               "bootstrap": "bootstrap replicates", "hash": "hash files", "sample": "sample documents",
               "count": "pretokenize + count"}
BYTE_STAGES = frozenset({"hash", "sample", "count"})  # their (done, total) are bytes


class _Amount(ProgressColumn):
    """done/total, in bytes with throughput and time left for the byte stages."""

    def render(self, task) -> Text:
        if not task.fields.get("bytes"):
            return Text(f"{task.completed:g}/{task.total:g}" if task.total else f"{task.completed:g}")
        total = filesize.decimal(int(task.total)) if task.total else "?"
        out = f"{filesize.decimal(int(task.completed))}/{total}"
        speed = task.finished_speed or task.speed
        if speed:
            out += f" {filesize.decimal(int(speed))}/s"
            if task.total and not task.finished:
                out += f" ETA {int((task.total - task.completed) / speed)}s"
        return Text(out)


DEFAULT_ROUNDS = DEFAULT_LP_ROUNDS or 0  # the library's default (None: exact) as the flag spells it
# Upper bounds of the options (shown in --help): far above any real run, low enough that a typo fails at once
# instead of overflowing a C integer or running for days.
MAX_MERGES = 1_000_000  # the largest merge lists in use hold about 250,000
MAX_BYTES = 10**12  # 1 TB of text per category
MAX_LP_ROUNDS = 1_000_000
MAX_LP_SECONDS = 10**7  # about four months


class _Bars:
    """Turns the library's (stage, done, total) callbacks into one rich bar per stage."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.progress = progress_display(TextColumn("{task.description:<22}"), BarColumn(), TaskProgressColumn(),
                                         _Amount(table_column=Column(no_wrap=True)), TimeElapsedColumn(),
                                         transient=False)
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if self.enabled:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.enabled:  # on bad input found mid-run the display leaves nothing: the error line is the output
            self.progress.__exit__(*exc)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        stage, _, detail = stage.partition(": ")
        label = STAGE_LABEL.get(stage, stage)
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(label, total=total or None, bytes=stage in BYTE_STAGES)
        self.progress.update(self.tasks[stage], completed=done, total=total or None,
                             description=f"{label} ({detail})" if detail else label)


_FLAGS = {"merges": "--merges", "skip": "--skip", "max_rounds": "--lp-rounds", "time_limit": "--lp-time-limit",
          "bytes_per_category": "--bytes-per-category", "min_category_bytes": "--min-category-bytes",
          "seed": "--seed", "bootstrap": "--bootstrap", "estimator": "--estimator"}


def _flagged(exc: UsageError) -> UsageError:
    """A library error names a parameter; the user sees the flag."""
    msg = str(exc)
    for param, flag in _FLAGS.items():
        if msg.startswith(param + " ") or msg.startswith(param + "="):
            return UsageError(flag + msg[len(param):])
    return exc


def _check_estimator(estimator: str) -> None:
    if estimator not in ESTIMATORS:
        raise UsageError(f"unknown --estimator {estimator!r}; choose one of {', '.join(ESTIMATORS)}."
                         + did_you_mean(estimator, ESTIMATORS))


def _fmt_share(c) -> str:
    if c.interval is None:
        return f"{100 * c.share:.2f}"
    return f"{100 * c.share:.2f} [{100 * c.interval[0]:.2f}–{100 * c.interval[1]:.2f}]"


@app.command("infer-mixture")
def infer_mixture_cmd(
    tokenizer: str = typer.Argument(..., help="BPE tokenizer: zoo name or path."),
    categories: str = typer.Option("default", "--categories",
                                   help="Category pack name, a directory, or the fsspec URL of a folder "
                                        "(s3://..., with its fsspec backend installed)."),
    merges: int = typer.Option(None, "--merges", min=1, max=MAX_MERGES, show_default="the smaller of 30,000 and all merges",
                               help="Solve over the first N merges (the paper: 30,000)."),
    skip: int = typer.Option(0, "--skip", max=MAX_MERGES,
                             help="Infer the mixture of the merges after the first M (a vocabulary extension): "
                                  "only merges M.. are constrained, each category's counts normalised by its "
                                  "counts of those merges' pairs (docs/mixture.md)."),
    estimator: str = typer.Option(DEFAULT_ESTIMATOR, "--estimator",
                                  help="Which merges give constraints: " + ", ".join(ESTIMATORS)
                                  + " (docs/mixture.md)."),
    bytes_per_category: int = typer.Option(None, "--bytes-per-category", min=MIN_CATEGORY_BYTES, max=MAX_BYTES,
                                           help="Sample budget per category (seeded)."),
    seed: int = typer.Option(0, "--seed", max=MAX_SEED, help="Seed of the category sampler and of the bootstrap."),
    bootstrap: int = typer.Option(0, "--bootstrap", max=MAX_BOOTSTRAP,
                                  help="Replicates for 95% intervals (document resampling; 0 = none, else at least 2)."),
    workers: int = typer.Option(0, "--workers", min=0, max=256,
                                help="Processes for the replay stage (0 = one per core, at most 8; never more "
                                     "than the cores or the categories)."),
    lp_rounds: int = typer.Option(DEFAULT_ROUNDS, "--lp-rounds", max=MAX_LP_ROUNDS,
                                  help="0 (the default): solve the LP to its certified optimum. N > 0: stop after N "
                                  "row-generation rounds, with APPROXIMATE shares and bounds on the optimum."),
    lp_time_limit: float = typer.Option(None, "--lp-time-limit", min=Above(0), max=MAX_LP_SECONDS,
                                        help="Also stop the LP after this many seconds (> 0; APPROXIMATE, "
                                             "machine-dependent)."),
    min_category_bytes: int = typer.Option(None, "--min-category-bytes", max=MAX_BYTES,
                                           help="Leave out categories with less text than this "
                                                "(default 50,000 for shipped packs, 0 for your own directory)."),
    scheduler: str = typer.Option(None, "--scheduler",
                                  help="Run counting and replay on this Dask cluster (tcp://HOST:PORT); its workers "
                                       "read the category files themselves, so give a path they share. "
                                       'Needs pip install "tokforensics\\[dist]".'),
    top: int = typer.Option(25, "--top", min=1, max=10_000, help="Categories shown in the table."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the JSON result to this file."),
) -> None:
    """Infer the training-data mixture of a BPE tokenizer from its merge list (Hayase et al. 2024)."""
    if workers < 0:
        raise UsageError(f"--workers must be 0 (one per core) or a positive number (got {workers})")
    if lp_rounds < 0:
        raise UsageError(f"--lp-rounds must be 0 (exact) or a positive number of rounds (got {lp_rounds})")
    _check_estimator(estimator)
    try:
        settings = MixtureSettings(merges=merges, skip=skip, estimator=estimator, max_rounds=lp_rounds or None,
                                   time_limit=lp_time_limit, bytes_per_category=bytes_per_category,
                                   min_category_bytes=min_category_bytes, seed=seed, bootstrap=bootstrap)
    except UsageError as exc:
        raise _flagged(exc) from None
    if scheduler is not None:
        if workers:
            raise UsageError("--workers and --scheduler exclude each other: the cluster has its own workers")
        scheduler_address(scheduler)  # a malformed address is refused before the tokenizer is loaded
    if out is not None:
        check_destination(out, "--out", reads=[*tokenizer_reads([tokenizer]),
                                                (category_folder(categories), "category folder")])
    tok = load_tokenizer(tokenizer)
    if scheduler is not None:
        executor = dask_executor(scheduler)
    else:
        executor = SerialExecutor() if workers == 1 else LocalPoolExecutor(workers or None)

    def notify(msg: str) -> None:
        if not State.quiet:
            err_console.print(f"[yellow]note:[/] {escape(msg)}", highlight=False, soft_wrap=True)

    with _Bars(not State.json and not State.quiet) as bars:
        try:
            res = infer_mixture(tok, categories, settings=settings, executor=executor, progress=bars, notify=notify)
        except UsageError as exc:
            raise _flagged(exc) from None
        finally:
            if hasattr(executor, "close"):
                executor.close()
    if out is not None:
        write_output(out, json.dumps(to_jsonable(res), ensure_ascii=False, indent=1) + "\n", "--out")
    if State.json:
        emit_result(res)
        return
    render_mixture(res, top)


def render_mixture(res, top: int = 25) -> None:
    """The tables of `tok infer-mixture` for a MixtureResult (or the same fields read back from its JSON)."""
    d = res.diagnostics
    rows = [[c.name, c.group.replace("_", "-"), c.script, _fmt_share(c), c.sample_bytes] for c in res.categories
            if c.share >= 0.0005][:top]
    hidden = len(res.categories) - len(rows)
    head = "APPROXIMATE " if d.approximate else ""
    console.print(table(
        f"{head}Inferred training mixture of {res.tokenizer.label} (first {res.merges_used:,} of {res.merges_available:,} "
        f"merges, estimator {res.estimator}" + (f", constraints from merge {res.skip:,} on" if res.skip else "") + ")",
        [("category", "left"), ("group", "left"), ("script", "left"),
         ("share %" + (" [95% CI]" if res.bootstrap else ""), "right"), ("sample bytes", "right")],
        rows,
        caption=f"Category pack '{res.pack}': {res.pack_source}. Shares are proportions of training bytes."
        + (f" {hidden} more categories not shown (--top, or --json for all)." if hidden else ""),
    ))
    g, gi = res.groups, res.group_intervals or {}

    def grow(label: str, key: str) -> list:
        v = g.get(key, 0.0)
        iv = gi.get(key)
        return [label, f"{100 * v:.2f}" + (f" [{100 * iv[0]:.2f}–{100 * iv[1]:.2f}]" if iv else "")]

    console.print(table("Group totals", [("group", "left"), ("share %", "right")],
                        [grow("English", "english"), grow("code", "code"), grow("non-English", "non_english")]
                        + [[f"  script {s}", f"{100 * v:.2f}"] for s, v in list(res.scripts.items())[:8]]))
    if d.approximate:
        state = (f"[bold yellow]APPROXIMATE[/]: stopped by {d.stop_reason.replace('_', ' ')} after {d.rounds} rounds; "
                 f"the LP optimum lies between {d.lower_bound:.6g} and {d.objective:.6g} (gap "
                 f"{100 * d.gap / max(d.objective, 1e-12):.2g}%), and these shares are not it. "
                 "the default (--lp-rounds 0, no --lp-time-limit) solves to the certified optimum")
    else:
        state = (f"optimal (certified: no row of the full LP violated by more than {max(d.max_violation, 0):.2g}, "
                 f"upper and lower bound {d.objective:.8g} / {d.lower_bound:.8g}, within {d.tolerance:.2g})")
    console.print(
        f"LP over {d.steps_constrained:,} merges: {state}. Total slack {d.objective:.6g} "
        f"(pair counts per million pairs); {d.merges_never_in_samples:,} merges never occur in the samples.",
        highlight=False)
    if res.bootstrap:
        b = res.bootstrap
        console.print(f"Intervals: {b.level:.0%} {b.method}, {b.replicates} replicates, seed {b.seed}.",
                      highlight=False)
    console.print(timing_line(res.timing), highlight=False)


def timing_line(timing: dict) -> str:
    """`time: load 1.5s, ...`; a result served from the cache says so, and that the times are the first run's."""
    # a streamed run times counting and replay apart; their sum is then not worth a third figure
    split = "count" in timing and "replay" in timing
    spent = ", ".join(f"{k} {v:.1f}s" for k, v in timing.items()
                      if isinstance(v, int | float) and not isinstance(v, bool)
                      and not (split and k == "count_and_replay"))
    if timing.get("cached_result"):
        return f"time: served from the cache; the run that computed it took {spent}"
    return f"time: {spent}"


@experiment_app.command("mixture")
def experiment_mixture_cmd(
    domain: str = typer.Option("languages", "--domain", help="languages | code | mixed"),
    n: int = typer.Option(5, "--n", min=MIN_N, max=MAX_N, help="Categories per trial (at most the domain's "
                          "categories in the pack)."),
    trials: int = typer.Option(20, "--trials", min=1, max=MAX_TRIALS, help="Trials (each a fresh mixture and tokenizer)."),
    seed: int = typer.Option(0, "--seed", max=MAX_SEED, help="Seed of the mixtures and category picks."),
    merges: int = typer.Option(1500, "--merges", min=1, max=MAX_EXPERIMENT_MERGES, help="Merges of each trained tokenizer."),
    train_bytes: int = typer.Option(1_000_000, "--train-bytes", min=MIN_TRAIN_BYTES, max=MAX_TRAIN_BYTES,
                                    help="Bytes of training text per trial (at most what the categories hold)."),
    estimator: str = typer.Option(DEFAULT_ESTIMATOR, "--estimator", help=", ".join(ESTIMATORS)),
    lp_rounds: int = typer.Option(0, "--lp-rounds", min=0, max=MAX_LP_ROUNDS,
                                  help="Per-trial LP round budget (0 = certified optimum)."),
) -> None:
    """Controlled experiment: train BPE on a known mixture, infer it from disjoint text, report log10 MSE."""
    from ..mixture.experiment import run_experiment

    _check_estimator(estimator)
    with _Bars(not State.json and not State.quiet) as bars:
        res = run_experiment(domain, n=n, trials=trials, seed=seed, merges=merges, train_bytes=train_bytes,
                             estimator=estimator, lp_rounds=lp_rounds or None, progress=bars)
    if State.json:
        emit_result(res)
        return
    console.print(table(
        f"Controlled mixture experiment: {domain}, n={n}, {trials} trials, {merges} merges",
        [("", "left"), ("log10 MSE", "right")],
        [["ours (mean)", res.mean], ["ours (sd)", res.sd], ["random guess", res.mean_random],
         ["uniform guess", res.mean_uniform]],
        caption="; ".join(res.notes) + ". Paper (Hayase et al. 2024, 10 GB / 1 GB per category): "
        "-7.30 for 5 languages, -6.46 for 5 code languages; random guess -1.39 at n=5.",
    ))
