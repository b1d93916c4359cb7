"""The `tok arith study --html` page: learning curves and the accuracy tables, one self-contained file."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from ..outputs import write_output
from . import figures

if TYPE_CHECKING:  # pragma: no cover
    from ..arith.study import StudyResult

_CSS = ("body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:960px;margin:2em auto;"
        "padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ddd;"
        "padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}caption{caption-side:bottom;"
        "text-align:left;color:#555;font-size:90%;padding-top:4px}.chart{max-width:100%;height:auto}")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _table(head: list[str], rows: list[list[str]], caption: str = "") -> str:
    h = "".join(f"<th>{escape(x)}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def study_html(res: StudyResult) -> str:
    c = res.config
    names = list(res.schemes)
    acc_curves = {n: [(p.step, p.accuracy) for p in s.curve] for n, s in res.schemes.items()}
    loss_curves = {n: [(p.step, p.loss) for p in s.curve] for n, s in res.schemes.items()}
    seed_curves = {f"{n} seed {r.seed}": [(p.step, p.accuracy) for p in r.curve]
                   for n, s in res.schemes.items() for r in s.runs} if c.seeds > 1 else {}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>tok arith study: {escape(', '.join(names))}</title><style>{_CSS}</style></head><body>",
        "<h1>Addition by number tokenization: small models trained from scratch</h1>",
        f"<p>{c.digits[0]}–{c.digits[1]} digit addends; {res.train_problems:,} training and {res.test_problems:,} test "
        f"problems ({100 * res.test_mismatch_share:.0f}% with an answer longer than the addends); {c.layers} layers × "
        f"{c.d_model} wide, {c.heads} heads; {c.steps:,} steps of {c.batch}, AdamW lr {c.lr:g}; seeds "
        f"{c.seed}–{c.seed + c.seeds - 1}; {escape(res.device)}, {res.threads} threads, torch "
        f"{escape(res.torch_version)}, {res.seconds:.0f} s.</p>",
        f"<p>{escape(res.note)}</p>",
        "<h2>Learning curves</h2>",
        figures.line_chart(acc_curves, title="Exact answers on the checkpoint subset (mean over seeds)",
                           x_label="optimiser step", y_label="exact answers", y_max=1.0, percent=True),
        figures.line_chart(loss_curves, title="Training loss per answer token (nats, mean over seeds)",
                           x_label="optimiser step", y_label="loss"),
    ]
    if seed_curves:
        parts.append(figures.line_chart(seed_curves, title="Exact answers, every seed", x_label="optimiser step",
                                        y_label="exact answers", y_max=1.0, percent=True))
    rows = [[s.name, s.label, s.example, _pct(s.accuracy),
             f"{_pct(s.accuracy_interval[0])}–{_pct(s.accuracy_interval[1])}", _pct(s.match_accuracy),
             _pct(s.mismatch_accuracy), " ".join(_pct(a) for a in s.seed_accuracies)] for s in res.schemes.values()]
    method = next(iter(res.schemes.values())).interval_method
    parts += ["<h2>Exact answers</h2>",
              _table(["scheme", "numbers as", "12345+6789=", "accuracy", "95% interval", "same length", "longer",
                      "per seed"], rows, f"interval: {method}. same length / longer: answers as long as the "
                     "longer addend / longer than both.")]
    if res.contrasts:
        rows = [[f"{k.a} − {k.b}", k.subset, f"{100 * k.diff:+.1f}",
                 "–" if k.interval is None else f"{100 * k.interval[0]:+.1f} to {100 * k.interval[1]:+.1f}"]
                for k in res.contrasts]
        parts.append(_table(["contrast", "problems", "mean difference (points)", "95% t interval over seeds"], rows,
                            "paired by seed: the same problems and the same initial seed for both schemes."))
    first = res.schemes[names[0]]
    rows = []
    for i, cell in enumerate(first.by_length):
        rows.append([f"{cell.a_digits}+{cell.b_digits}"] + [
            f"{_pct(res.schemes[n].by_length[i].match_accuracy)} / {_pct(res.schemes[n].by_length[i].mismatch_accuracy)}"
            for n in names])
    parts += ["<h2>By addend lengths</h2>",
              _table(["digits"] + names, rows, "same-length answers / longer answers, pooled over seeds.")]
    rows = []
    for s in res.schemes.values():
        for label, e in (("all", s.errors), ("longer", s.errors_mismatch)):
            rows.append([s.name, label, str(e.wrong), str(e.dropped_digits), str(e.extra_digits), str(e.same_length),
                         str(e.off_by_one), str(e.carry_errors),
                         f"{e.top_position} ({_pct(e.top_position_share)})" if e.top_position else "–",
                         ", ".join(f"{p}:{n}" for p, n in e.wrong_digit_from_left.items()) or "–"])
    parts += ["<h2>Error anatomy</h2>",
              _table(["scheme", "problems", "wrong", "short", "long", "same length", "±1", "carry", "top digit",
                      "wrong digits by position"], rows,
                     "positions count from the left (1 = leading digit); the top digit's share is of same-length "
                     "errors. Definitions: docs/arith.md."),
              "</body></html>"]
    return "\n".join(parts)


def write_study_html(path: Path, res: StudyResult) -> int:
    """Write atomically; returns the size in bytes."""
    text = study_html(res)
    write_output(path, text, "the study report (--html)")
    return len(text.encode("utf-8"))
