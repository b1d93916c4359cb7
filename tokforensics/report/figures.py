"""Charts as small inline SVG, drawn by hand.

Two chart kinds cover the report: grouped horizontal bars (a value per language and tokenizer) and 100%
stacked bars (shares per tokenizer). Hand-made SVG is a few kilobytes per chart, needs no dependency, keeps
text as text (searchable, crisp in print, readable by screen readers through <title>) and follows the
page's fonts; a plotting library's SVG export of the same charts is ten times larger.
"""

from __future__ import annotations

import math
from html import escape

# 30 series: Okabe-Ito's eight (safe with common colour-vision deficiencies) first, then 22 more chosen greedily
# from Tableau, ColorBrewer and Tol palettes so that every pair of the 30 is at least ΔE76 = 22 apart in CIELAB
# (tests/test_report_html.py holds that), none of them near the white page.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#2D004B", "#67001F", "#CCEBC5", "#66A61E", "#666666", "#E7298A", "#00441B", "#FB8072",
           "#543005", "#FFBB78", "#FCCDE5", "#98DF8A", "#9467BD", "#D62728", "#053061", "#999933",
           "#9EDAE5", "#8C564B", "#C49C94", "#A6761D", "#DBDB8D", "#332288"]


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (relative luminance, WCAG)."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    y = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#000" if y > 0.179 else "#fff"

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _nice_max(x: float) -> float:
    if x <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(x))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if x <= m * mag:
            return m * mag
    return 10 * mag


def _ticks(vmax: float, n: int = 5) -> list[float]:
    step = vmax / n
    return [round(step * i, 10) for i in range(n + 1)]


def _num(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _label_width(labels: list[str]) -> int:
    """Room for the row labels at 12 px (about 7 px per character), within 80..260 px."""
    return max(80, min(260, 12 + 7 * max((len(x) for x in labels), default=0)))


def legend(names: list[str], x: float, y: float) -> tuple[str, float]:
    """A one-line-per-entry legend; returns (svg, height)."""
    parts = []
    for i, name in enumerate(names):
        yy = y + i * 18
        parts.append(f'<rect x="{x}" y="{yy}" width="12" height="12" fill="{color(i)}"/>'
                     f'<text x="{x + 18}" y="{yy + 10.5}" font-size="12">{escape(name)}</text>')
    return "".join(parts), len(names) * 18


def grouped_bars(labels: list[str], series: dict[str, list[float | None]], *, title: str, unit: str = "",
                 ref: float | None = None, ref_label: str = "", width: int = 760) -> str:
    """Horizontal bars: one group per label, one bar per series (tokenizer). None values are left out."""
    names = list(series)
    labels = [_clip(label, 34) for label in labels]
    bar_h, gap, right, top = 11, 8, 60, 34
    left = _label_width(labels)
    group_h = len(names) * bar_h + gap
    plot_w = width - left - right
    vals = [v for vs in series.values() for v in vs if v is not None and math.isfinite(v)]
    vmax = _nice_max(max(vals + [ref or 0], default=1.0))
    leg_svg, leg_h = legend(names, left, top)
    y0 = top + leg_h + 16
    height = y0 + len(labels) * group_h + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" class="chart" {FONT}>',
           f"<title>{escape(title)}</title>",
           f'<text x="0" y="18" font-size="14" font-weight="600">{escape(title)}</text>', leg_svg]

    def sx(v: float) -> float:
        return left + plot_w * v / vmax

    for t in _ticks(vmax):
        x = sx(t)
        out.append(f'<line x1="{x:.1f}" y1="{y0 - 4}" x2="{x:.1f}" y2="{height - 26}" stroke="#ddd"/>'
                   f'<text x="{x:.1f}" y="{height - 12}" font-size="11" text-anchor="middle">{_num(t)}</text>')
    for gi, label in enumerate(labels):
        gy = y0 + gi * group_h
        out.append(f'<text x="{left - 6}" y="{gy + group_h / 2 - 1}" font-size="12" text-anchor="end" '
                   f'dominant-baseline="middle">{escape(label)}</text>')
        for si, name in enumerate(names):
            v = series[name][gi]
            if v is None or not math.isfinite(v):
                continue
            y = gy + si * bar_h
            w = max(0.5, sx(v) - left)
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{color(si)}">'
                       f"<title>{escape(label)}, {escape(name)}: {_num(v)}{escape(unit)}</title></rect>")
            if len(names) <= 3:
                out.append(f'<text x="{left + w + 3:.1f}" y="{y + bar_h - 3}" font-size="9">{_num(v)}</text>')
    if ref is not None:
        x = sx(ref)
        out.append(f'<line x1="{x:.1f}" y1="{y0 - 6}" x2="{x:.1f}" y2="{height - 26}" stroke="#000" '
                   f'stroke-dasharray="4 3"/><text x="{x + 4:.1f}" y="{y0 - 8}" font-size="11">'
                   f"{escape(ref_label)}</text>")
    out.append("</svg>")
    return "".join(out)


def stacked_shares(rows: list[str], parts: list[tuple[str, list[float]]], *, title: str, width: int = 760) -> str:
    """100% stacked horizontal bars: one bar per row (tokenizer), one segment per part (category)."""
    rows = [_clip(r, 34) for r in rows]
    bar_h, gap, right, top = 22, 10, 20, 34
    left = _label_width(rows)
    plot_w = width - left - right
    cols = 3
    rows_leg = math.ceil(len(parts) / cols)
    leg_top = top
    y0 = leg_top + rows_leg * 18 + 12
    height = y0 + len(rows) * (bar_h + gap) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" class="chart" {FONT}>',
           f"<title>{escape(title)}</title>",
           f'<text x="0" y="18" font-size="14" font-weight="600">{escape(title)}</text>']
    col_w = (width - left) / cols
    for i, (name, _) in enumerate(parts):
        x = left + (i % cols) * col_w
        y = leg_top + (i // cols) * 18
        out.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{color(i)}"/>'
                   f'<text x="{x + 18:.1f}" y="{y + 10.5}" font-size="12">{escape(name)}</text>')
    for ri, row in enumerate(rows):
        y = y0 + ri * (bar_h + gap)
        out.append(f'<text x="{left - 6}" y="{y + bar_h / 2}" font-size="12" text-anchor="end" '
                   f'dominant-baseline="middle">{escape(row)}</text>')
        total = sum(vals[ri] for _, vals in parts) or 1.0
        x = float(left)
        for pi, (name, vals) in enumerate(parts):
            share = vals[ri] / total
            w = plot_w * share
            if w <= 0:
                continue
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color(pi)}">'
                       f"<title>{escape(row)}, {escape(name)}: {share:.1%}</title></rect>")
            if w > 34:
                fill = text_on(color(pi))
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h / 2}" font-size="10" text-anchor="middle" '
                           f'dominant-baseline="middle" fill="{fill}">{share:.0%}</text>')
            x += w
    out.append("</svg>")
    return "".join(out)


def line_chart(series: dict[str, list[tuple[float, float]]], *, title: str, x_label: str = "", y_label: str = "",
               y_max: float | None = None, percent: bool = False, width: int = 760, height: int = 300) -> str:
    """Lines with point markers: one series per name, (x, y) points in x order. percent: y in [0, 1] shown as %."""
    names = list(series)
    pts = [p for ps in series.values() for p in ps if math.isfinite(p[1])]
    left, right, top = 56, 16, 34
    leg_svg, leg_h = legend(names, left, top)
    y0 = top + leg_h + 12
    height = max(height, y0 + 200 + 40)  # a long legend must not squeeze the plot
    bottom = height - 40
    plot_w, plot_h = width - left - right, bottom - y0
    xmax = max((x for x, _ in pts), default=1.0) or 1.0
    ymax = y_max if y_max is not None else _nice_max(max((y for _, y in pts), default=1.0))

    def sx(x: float) -> float:
        return left + plot_w * x / xmax

    def sy(y: float) -> float:
        return bottom - plot_h * min(y, ymax) / ymax

    def label(v: float) -> str:
        return f"{100 * v:.0f}%" if percent else _num(v)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" class="chart" {FONT}>',
           f"<title>{escape(title)}</title>",
           f'<text x="0" y="18" font-size="14" font-weight="600">{escape(title)}</text>', leg_svg]
    for t in _ticks(ymax):
        y = sy(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{label(t)}</text>')
    for t in _ticks(_nice_max(xmax) if xmax > 0 else 1.0):
        if t > xmax * 1.0001:
            break
        x = sx(t)
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" font-size="11" text-anchor="middle">{_num(t) if t < 1000 else f"{t:,.0f}"}</text>')
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{width - right}" y2="{bottom}" stroke="#888"/>')
    if x_label:
        out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="12" text-anchor="middle">'
                   f"{escape(x_label)}</text>")
    if y_label:
        out.append(f'<text x="12" y="{y0 + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
                   f'transform="rotate(-90 12 {y0 + plot_h / 2:.1f})">{escape(y_label)}</text>')
    for i, name in enumerate(names):
        ps = [(x, y) for x, y in series[name] if math.isfinite(y)]
        if not ps:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in ps)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color(i)}" stroke-width="2"/>')
        for x, y in ps:
            out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color(i)}">'
                       f"<title>{escape(name)}, {x:,.0f}: {label(y)}</title></circle>")
    out.append("</svg>")
    return "".join(out)
