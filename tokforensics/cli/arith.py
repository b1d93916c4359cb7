"""`tok arith`: how tokenizers split numbers, and (with --model) how that changes a model's addition."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

import typer
from rich.markup import escape
from typer.core import TyperCommand
from typer.main import get_command

from ..arith.model import ModelProbeResult, probe_model
from ..arith.numbers import parse_digit_range, parse_int_list
from ..arith.probe import DEFAULT_SAMPLES, ArithProbeResult, NumberProbe, probe_many
from ..errors import UsageError
from ..tokenizer.display import marked
from .common import MAX_SEED, bar, label_option
from .render import State, console, emit_result, err_console, table

app = typer.Typer()  # this module's commands; tokforensics.cli.app adds it with add_typer

# Upper bounds of the options (shown in --help): well above the paper's settings (90 problems, 7-9 digits), low
# enough that a typo fails at once instead of running for hours or overflowing a C integer.
MAX_PROBLEMS = 5_000
MAX_SAMPLES = 20_000  # 100 times the default; about 20 s per tokenizer
MAX_DIGITS = 40
MAX_BATCH = 4096
MAX_SHOT_SETS = 1_000
MAX_THREADS = 1024


class _ArithCommand(TyperCommand):
    """`tok arith [T...]` as before; `tok arith study ...` goes to the study command.

    arith stays one command rather than a group: a group would read the first tokenizer name as a
    subcommand and break `tok arith gpt4 mistral`. The cost: a tokenizer file named `study` in the
    working directory must be given as ./study.
    """

    def make_context(self, info_name, args, parent=None, **extra):
        if args and args[0] == "study":
            from .app import prepare
            from .arith_study import study_app

            cmd = prepare(get_command(study_app))  # built here, after app.build_command prepared the others
            return cmd.make_context(f"{info_name} study", args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


@app.command("arith", cls=_ArithCommand)
def arith_cmd(
    tokenizers: list[str] = typer.Argument(None, help="Zoo names or paths. None: every available zoo tokenizer "
                                           "(or, with --model, the model's own)."),
    model: str = typer.Option(None, "--model", "-m", help="Also run prompted addition with this model: smollm2 "
                              "(SmolLM2-135M, the default model), a local Hugging Face folder or a GGUF file."),
    shots: str = typer.Option("1,2,4,8", "--shots", help="Few-shot counts for the model probe."),
    digits: str = typer.Option("7-9", "--digits", help="Addend lengths (model probe) and the length range of "
                               "the format table, e.g. 7-9 or 3."),
    problems: int = typer.Option(90, "--problems", min=1, max=MAX_PROBLEMS, help="Problems per (format, shots) setting."),
    seed: int = typer.Option(0, "--seed", max=MAX_SEED, help="Seed for numbers, problems and few-shot examples."),
    formats: str = typer.Option(None, "--formats", help="Model-probe formats, comma-separated: native, native_sp1, "
                                "native_sp2, forced_l2r, forced_r2l, <sep>_<l2r|r2l> (sep: comma, space, dot, hash, "
                                "dollar, underscore). Default: native, comma and space both ways, native_sp1, and "
                                "forced_l2r/forced_r2l where the tokenizer has multi-digit tokens."),
    samples: int = typer.Option(DEFAULT_SAMPLES, "--samples", min=1, max=MAX_SAMPLES,
                                help="Random numbers per digit length (tokenizer probe)."),
    max_digits: int = typer.Option(20, "--max-digits", min=1, max=MAX_DIGITS, help="Chunk patterns for lengths 1..N."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, max=MAX_BATCH, help="Prompts per model batch."),
    shot_sets: int = typer.Option(1, "--shot-sets", max=MAX_SHOT_SETS, help="Few-shot example sets per addend-length pair; problems "
                                  "sharing a set share their prompt prefix (computed once). 0: fresh examples for "
                                  "every problem, as in the paper (several times slower)."),
    bos: bool = typer.Option(None, "--bos/--no-bos", help="Start prompts with the model's BOS id (default: only "
                             "when it differs from its end-of-text id)."),
    threads: int = typer.Option(None, "--threads", min=1, max=MAX_THREADS, help="CPU threads for the model (default: torch's). On a busy "
                                "machine 1 thread can be several times faster."),
    details: bool = typer.Option(False, "--details", help="Per-length patterns for every tokenizer, and "
                                 "per-problem records in --json output."),
    label: list[str] = label_option(),
) -> None:
    """Number tokenization: scheme, number tokens, chunk patterns, separators; with --model, addition accuracy.

    `tok arith study --help`: train small models from scratch, one per number scheme, and compare them.
    """
    lo, hi = parse_digit_range(digits)
    shot_list = parse_int_list(shots, "--shots", 0, 32) if model else [1]
    fmt_list = [f.strip() for f in formats.split(",") if f.strip()] if formats else None
    if not model:
        given = [name for name, value, default in [
            ("--formats", formats, None), ("--shots", shots, "1,2,4,8"), ("--problems", problems, 90),
            ("--batch-size", batch_size, 16), ("--shot-sets", shot_sets, 1), ("--bos/--no-bos", bos, None),
            ("--threads", threads, None)] if value != default]
        if given:
            raise UsageError(f"{given[0]} sets up the model probe; it goes with --model (e.g. --model smollm2)")
    if fmt_list is not None:
        from ..arith.model import prompt_format

        for f in fmt_list:
            prompt_format(f)

    lm = None
    specs = list(tokenizers or [])
    if model:
        from ..lm.adapter import load_model  # raises InputError with an install hint when torch is missing

        with _status(f"loading model {model}"):
            lm = load_model(model, threads=threads)
        if lm.tokenizer.name not in specs:
            specs.append(lm.tokenizer.name)
    with bar("number tokenization") as cb:
        res = probe_many(specs or None, samples=samples, max_digits=max_digits, digit_range=(lo, hi), seed=seed,
                         progress=cb, tokenizers={lm.tokenizer.name: lm.tokenizer} if lm else None, labels=label)
    mres: ModelProbeResult | None = None
    if lm is not None:
        tp = res.tokenizers.get(lm.tokenizer.name)
        with bar(f"addition with {lm.name}") as cb:
            mres = probe_model(lm, digit_range=(lo, hi), shots=shot_list, problems=problems, seed=seed,
                               formats=fmt_list, batch_size=batch_size, shot_sets=shot_sets, bos=bos,
                               scheme=(tp.scheme, tp.scheme_label) if tp else None, progress=cb)
    if mres is not None:
        res = dataclasses.replace(res, model=mres if details else dataclasses.replace(mres, records=[]))
    if State.json:
        emit_result(res)
        return
    _render_tokenizers(res, details)
    if mres is not None:
        _render_model(mres)


@contextmanager
def _status(msg: str):
    if State.quiet or State.json:
        yield None
    else:
        with err_console.status(msg) as st:
            yield st


# ---------------------------------------------------------------------------------------------- rendering
def _fold(t):
    """Let long cells wrap instead of being cut with an ellipsis."""
    for c in t.columns:
        c.overflow = "fold"
    return t


def _short(pattern: str) -> str:
    """3-3-3-3-1 -> 3×4-1 and 1-1-1-1-1-1-1 -> 1×7: runs of three or more equal chunks written once."""
    parts = pattern.split("-")
    out, i = [], 0
    while i < len(parts):
        j = i
        while j < len(parts) and parts[j] == parts[i]:
            j += 1
        out.append(f"{parts[i]}×{j - i}" if j - i >= 3 else "-".join(parts[i:j]))
        i = j
    return "-".join(out)


def _scheme_short(p: NumberProbe) -> str:
    if p.scheme == "single":
        return "single digits"
    if p.scheme in ("l2r", "r2l"):
        return f"{p.scheme.upper()} chunks ≤{p.chunk}"
    return f"free BPE ≤{p.chunk}" + (", space joins" if p.space_joins >= 0.5 else "")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _group(probes: dict[str, NumberProbe], key) -> list[tuple[str, NumberProbe]]:
    """Tokenizers whose `key` is identical share one column (named by all of them)."""
    groups: dict[object, list[str]] = {}
    for name, p in probes.items():
        groups.setdefault(key(p), []).append(name)
    return [(", ".join(names), probes[names[0]]) for names in groups.values()]


def _render_tokenizers(res: ArithProbeResult, details: bool) -> None:
    probes = res.tokenizers
    lo, hi = res.digit_range
    rows = []
    for name, p in probes.items():
        rows.append([name, _scheme_short(p), _pct(p.consistency), p.number_tokens, p.single_token_0_999,
                     p.single_token_0000_9999, p.longest_number_token, f"{p.mean_tokens_in_range:.2f}"])
    console.print(_fold(table(
        "How numbers are tokenized",
        [("tokenizer", "left"), ("scheme", "left"), ("consistent", "right"), ("number tokens", "right"),
         ("0–999 single", "right"), ("0000–9999 single", "right"), ("longest", "right"),
         (f"tok/number {lo}–{hi}d", "right")],
        rows,
        caption=("scheme: read from how random numbers split, not from the name. consistent: share of numbers split "
                 "exactly as the scheme says (free BPE: as the most common pattern of their length). number tokens: "
                 "vocabulary entries that are digit strings with an optional leading space; 0–999 single: how many "
                 "of those strings encode as one token; longest: digits in the longest number token. "
                 f"Seeded random numbers (seed {res.seed}, {res.samples} per length)."),
    )))
    for w in res.warnings:
        console.print(f"[dim]{escape(w)}[/]", highlight=False)

    if len(probes) == 1 or details:
        for name, p in probes.items():
            _render_lengths_one(name, p)
    else:
        cols = _group(probes, lambda p: tuple((ls.top_pattern, round(ls.mean_tokens, 2)) for ls in p.by_length))
        lengths = [ls.digits for ls in next(iter(probes.values())).by_length]
        body = []
        for k, n in enumerate(lengths):
            row: list = [n]
            for _, p in cols:
                ls = p.by_length[k]
                share = "" if ls.top_share >= 0.995 else f" ({_pct(ls.top_share)})"
                row.append(f"{_short(ls.top_pattern)}{share}")
            body.append(row)
        console.print(_fold(table("Most common chunk pattern by number length (tokenizers with identical rows share a column)",
                            [("digits", "right")] + [(c, "left") for c, _ in cols], body,
                            caption="pattern: digits per token, left to right (3×4 = four 3-digit tokens); "
                                    "(share) when under 100%. "
                                    "--details shows every pattern, mean tokens and alignment per tokenizer.")))

    fnames = [f.format for f in next(iter(probes.values())).formats]
    cols = _group(probes, lambda p: tuple((f.tokens_per_number, f.aligned) for f in p.formats))
    body = []
    for k, fname in enumerate(fnames):
        first = next(iter(probes.values())).formats[k]
        row = [fname, first.example]
        for _, p in cols:
            f = p.formats[k]
            row.append(f"{f.tokens_per_number:.2f} · {_pct(f.aligned)} · {_short(f.top_pattern)}")
        body.append(row)
    console.print(_fold(table(f"Separators ({lo}–{hi} digit numbers): tokens per number · aligned · digit chunks",
                        [("format", "left"), ("example", "left")] + [(c, "left") for c, _ in cols], body,
                        caption="tokens: every token touching the number, separators included. aligned: share of "
                                "numbers in which no token crosses a thousands boundary. chunks: most common digits per "
                                "token, separators left out.")))


def _render_lengths_one(name: str, p: NumberProbe) -> None:
    rows = []
    for ls in p.by_length:
        others = ", ".join(f"{ps.pattern} {_pct(ps.share)}" for ps in ls.patterns[1:4])
        rows.append([ls.digits, _short(ls.top_pattern), _pct(ls.top_share), others or "–", f"{ls.mean_tokens:.2f}",
                     _pct(ls.boundary_on_thousands), _pct(ls.aligned)])
    ex = " | ".join(p.examples.get("1234567", []))
    console.print(_fold(table(
        f"{name}: chunk patterns of random numbers ({p.scheme_label}; 1234567 → {ex})",
        [("digits", "right"), ("top pattern", "left"), ("share", "right"), ("other patterns", "left"),
         ("tokens", "right"), ("boundaries on thousands", "right"), ("aligned", "right")],
        rows,
        caption="boundaries on thousands: share of token boundaries inside the number that fall where a thousands "
                "separator would go. aligned: share of numbers in which no token crosses a thousands boundary.",
    )))


def _render_model(m: ModelProbeResult) -> None:
    console.print(f"[bold]{m.model}[/] on {m.device}; tokenizer {m.tokenizer}: {m.scheme_label}", highlight=False)
    console.print(m.note, highlight=False)
    sets = "fresh examples for every problem" if m.shot_sets == 0 else \
        f"{m.shot_sets} example set{'s' if m.shot_sets > 1 else ''} per addend-length pair"
    console.print(f"{m.digit_range[0]}–{m.digit_range[1]} digit addends, {m.problems} problems per setting "
                  f"(seed {m.seed}); few-shot: {sets}; BOS {'yes' if m.bos else 'no'}", highlight=False)
    for name, why in m.skipped_formats.items():
        console.print(f"[dim]skipped {name}: {why}[/]", highlight=False)
    by = {(s.format, s.shots): s for s in m.settings}
    console.print(_fold(table("Formats", [("format", "left"), ("written as", "left"), ("query ‖ answer tokens", "left")],
                              [[f, by[(f, m.shots[0])].label, _example(m.example_prompts.get(f, []))]
                               for f in m.formats])))
    kshots = [(f"{k}-shot", "right") for k in m.shots]
    console.print(table("Accuracy, greedy (%)", [("format", "left")] + kshots,
                        _best_rows(m, lambda s: 100 * s.accuracy, "{:.1f}")))
    console.print(table("Digits right, by place value (%)", [("format", "left")] + kshots,
                        _best_rows(m, lambda s: 100 * s.digit_accuracy, "{:.1f}"),
                        caption="share of the sum's digits that the answer has at the same place value (right-aligned)."))
    console.print(table("Mean log P(correct answer), nats", [("format", "left")] + kshots,
                        _best_rows(m, lambda s: s.mean_logprob, "{:.2f}"),
                        caption="log-probability of the answer and its newline, under the format's own tokens; "
                                "best per column in bold."))
    if m.comparisons:
        rows = [[f"{c.a} − {c.b}", c.shots, f"{100 * c.accuracy_diff:+.1f}",
                 f"{c.logprob_diff:+.2f} ± {c.logprob_diff_se:.2f}", f"{c.a_better}/{c.problems}"]
                for c in m.comparisons]
        console.print(table("Paired contrasts (same problems)",
                            [("contrast", "left"), ("shots", "right"), ("Δ accuracy (points)", "right"),
                             ("Δ log P (nats) ± s.e.", "right"), ("first better", "right")], rows,
                            caption="first better: problems where the first format gives the correct answer the "
                                    "higher log-probability."))
    kmax = m.shots[-1]
    rows = []
    for f in m.formats:
        s = by[(f, kmax)]
        e, em = s.errors, s.errors_len_mismatch
        rows.append([f, _pct(s.accuracy_len_match),
                     f"{_pct(s.accuracy_len_mismatch)} of {s.len_mismatch}", e.no_answer, e.dropped_digits,
                     e.extra_digits, e.same_length, e.off_by_one, e.carry_errors,
                     f"{e.top_position} ({_pct(e.top_position_share)})" if e.top_position else "–",
                     f"{em.top_position}" if em.top_position else "–"])
    t = _fold(table(
        f"Error anatomy at {kmax} shots",
        [("format", "left"), ("acc, same len", "right"), ("acc, longer", "right"),
         ("none", "right"), ("short", "right"), ("long", "right"), ("same", "right"), ("±1", "right"),
         ("carry", "right"), ("top digit", "left"), ("top, longer", "left")],
        rows,
        caption="same len / longer: accuracy when the sum is as long as the longer addend / longer than both "
                "(the paper's length mismatch). Wrong answers: none = no number; short / long = too few / too many "
                "digits; same = right length, of which ±1 = every wrong digit off by one, carry = every wrong digit "
                "a missed or spurious carry. top digit: the answer digit most often wrong, from the left "
                "(share of same-length errors); top, longer: the same on length-mismatch problems.",
    ))
    t.columns[0].no_wrap = True
    console.print(t)
    console.print(f"{m.problems_per_second:.1f} problems/s (greedy {m.seconds_greedy:.1f} s, scoring "
                  f"{m.seconds_score:.1f} s)", highlight=False)


def _example(pieces: list[str]) -> str:
    """The query line and its answer, tokens separated by |."""
    if "‖" in pieces:
        cut = pieces.index("‖")
        start = max((i + 1 for i in range(cut) if "\n" in pieces[i]), default=0)
        pieces = pieces[start:]
    return "|".join(marked(p) for p in pieces)


def _best_rows(m: ModelProbeResult, value, fmt: str) -> list[list[str]]:
    by = {(s.format, s.shots): s for s in m.settings}
    best = {k: max(value(by[(f, k)]) for f in m.formats) for k in m.shots}
    rows = []
    for f in m.formats:
        row = [f]
        for k in m.shots:
            v = value(by[(f, k)])
            text = fmt.format(v)
            row.append(f"[bold green]{text}[/]" if v == best[k] and len(m.formats) > 1 else text)
        rows.append(row)
    return rows
