"""Render collected report data to one self-contained HTML file (jinja2 template, inline CSS, JS and SVG)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jinja2

from ..outputs import write_output
from .collect import ReportData

TEMPLATE = "report.html.j2"


def _asset(name: str) -> str:
    return (resources.files("tokforensics.report") / "templates" / name).read_text("utf-8")


def _script_json(obj) -> str:
    """JSON safe inside <script>: no '<' (so no '</script>'), and no U+2028/9 surprises for old parsers."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_html(data: ReportData) -> str:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: _asset(name)),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    js = _asset("report.js")
    css = _asset("report.css")
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("report assets must not close their own <script>/<style> element")
    r = {**data.__dict__, "viewer_json": _script_json(data.viewer)}
    return env.get_template(TEMPLATE).render(r=r, css=css, js=js)


def write_report(path: Path, data: ReportData) -> int:
    """Render and write atomically; returns the size in bytes. Nothing is left behind on failure."""
    text = render_html(data)
    write_output(path, text, "the report (-o)")
    return len(text.encode("utf-8"))
