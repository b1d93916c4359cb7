"""The HTML report without a browser: sections, honesty about what is missing, escaping, atomic writes,
charts, and the regex translation the in-page encoder relies on."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
import regex

from tests.cli_helpers import assert_clean_error, run_tok
from tokforensics.corpus.probes import Probe, shipped_probes
from tokforensics.errors import InputError
from tokforensics.report import collect, figures
from tokforensics.report.html import render_html, write_report
from tokforensics.report.viewer import js_pattern, live_encoder
from tokforensics.tokenizer import patterns
from tokforensics.tokenizer.view import load_tokenizer


@pytest.fixture(scope="module")
def toks():
    return [load_tokenizer("gpt2"), load_tokenizer("mistral")]


@pytest.fixture(scope="module")
def minimal(toks):
    """A report whose measuring sections are all unavailable: renders fast, and must say so."""
    mp = pytest.MonkeyPatch()
    for name in ("vocabulary_section", "premiums_section", "numbers_section", "reachability_section",
                 "roundtrip_section"):
        mp.setattr(collect, name, _missing)
    try:
        return collect.collect_report(toks, extra_texts=[Probe("text/1", "</script><script>alert(1)</script>")])
    finally:
        mp.undo()


def _missing(*args, **kw):
    raise ImportError("no module", name="tokforensics.metrics.fake")


def test_missing_capabilities_are_named_not_hidden(minimal):
    html = render_html(minimal)
    assert html.count("Not available in this report:") == 5
    assert "tokforensics.metrics.fake" in html
    assert minimal.sections["mixture"] is None and 'id="mixture"' not in html  # not asked, nothing cached
    for sid in ("overview", "vocabulary", "premiums", "numbers", "reachability", "viewer"):
        assert f'<section id="{sid}">' in html


def test_self_contained_and_escaped(minimal):
    html = render_html(minimal)
    assert "</script><script>alert(1)" not in html  # the viewer's JSON cannot close its element
    assert re.search(r"""(src|href)=["']?(https?:)?//""", html) is None
    assert "default-src 'none'" in html  # the page itself forbids any fetch
    data = json.loads(re.search(r'<script type="application/json" id="viewer-data">(.*?)</script>', html, re.S)
                      .group(1))
    assert data["examples"][-1]["text"] == "</script><script>alert(1)</script>"
    gpt2, mistral = data["tokenizers"]
    assert gpt2["live"] and gpt2["live"]["pattern"] and not gpt2["reason"]
    assert mistral["live"] is None and "sentencepiece" in mistral["reason"]
    ex = data["examples"][0]
    assert ex["label"] == "scripts/eng" and [p[0] for p in ex["tokens"]["gpt2"]] == load_tokenizer("gpt2").encode(
        ex["text"])


def test_write_is_atomic(minimal, tmp_path):
    out = tmp_path / "r.html"
    size = write_report(out, minimal)
    assert out.stat().st_size == size and oct(out.stat().st_mode & 0o777) != "0o600"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write the report"):
        write_report(blocker / "r.html", minimal)
    with pytest.raises(InputError, match="is a directory"):
        write_report(tmp_path, minimal)

    def boom(*a):
        raise RuntimeError("render failed")

    mp = pytest.MonkeyPatch()
    mp.setattr("tokforensics.report.html.render_html", boom)
    try:
        with pytest.raises(RuntimeError):
            write_report(tmp_path / "new.html", minimal)
    finally:
        mp.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "r.html"]


def test_live_budget_and_off(toks):
    data = collect.viewer_data(toks[:1], [], live=True, budget=1000)
    assert data["tokenizers"][0]["live"] is None and "size budget" in data["tokenizers"][0]["reason"]
    data = collect.viewer_data(toks[:1], [], live=False)
    assert "--no-live" in data["tokenizers"][0]["reason"]


def test_mixture_section_when_asked(monkeypatch, toks):
    from tokforensics.mixture import infer

    cat = SimpleNamespace
    fake = SimpleNamespace(pack="default", pack_source="shipped pack", merges_used=3000, warnings=["few merges"],
                           conversion="shares of training bytes",
                           categories=[cat(name="English", share=0.7), cat(name="code", share=0.3)])
    monkeypatch.setattr(infer, "infer_mixture", lambda tok, **kw: fake)
    s = collect.mixture_section(toks[:1], compute=True)
    assert s.available and s.data["rows"][0] == {"label": "English", "vals": [0.7]}
    assert "first 3,000 merges" in s.corpus and s.data["warnings"] == ["gpt2: few merges"]
    assert collect.mixture_section(toks[:1], compute=False) is None or infer.__dict__.get("cached_result")


def test_figures_are_valid_svg():
    svg = figures.grouped_bars(["Turkish (tur)", "Hindi <hin>"], {"a": [2.0, None], "b": [1.5, 4.8]},
                               title="Premium & co", ref=1.0, ref_label="parity")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and len(root.findall("{http://www.w3.org/2000/svg}rect")) == 3 + 2
    svg = figures.stacked_shares(["x", "y"], [("p", [1, 3]), ("q", [1, 1])], title="Shares")
    assert "75%" in svg and ET.fromstring(svg) is not None


@pytest.mark.parametrize("pattern", [patterns.GPT2, patterns.CL100K, patterns.QWEN2, patterns.O200K])
def test_js_pattern_matches_like_the_original(pattern):
    """The JavaScript translation splits text exactly as the tokenizer's own regex does."""
    js = js_pattern(pattern)
    assert js is not None and "(?i:" not in js and "\\s" not in js.replace("\\\\", "")
    py = re.sub(r"\\u\{([0-9A-F]+)\}", lambda m: f"\\U{int(m.group(1), 16):08X}", js)
    texts = [p.text for p in shipped_probes()] + ["It'S 'LL've\u0085x\ufeffy \x1c z"]
    for t in texts:
        assert regex.findall(py, t) == regex.findall(pattern, t), t


def test_js_pattern_translations():
    assert js_pattern(r"(?i:'s|'t)") == "(?:'[sS]|'[tT])"
    assert js_pattern(r"(?i:[sd])x") == "(?:[sSdD])x"
    assert js_pattern(r"\p{L}++\s?+") == r"\p{L}+" + "[" + r"\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000" + "]?"
    assert js_pattern(r"[^\s\p{L}]") == r"[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\p{L}]"
    assert js_pattern(r"\'") == "'"
    for unsupported in (r"(?>a)", r"\d+", r"\w", r"(?s:.)", r"[^\S]", r"\bx", "(unclosed"):
        assert js_pattern(unsupported) is None, unsupported


def test_live_encoder_only_for_tiktoken_style(toks):
    enc, why = live_encoder(toks[0])
    assert enc is not None and why == "" and enc.size == len(enc.vocab)
    enc, why = live_encoder(toks[1])
    assert enc is None and "precomputed" in why


def test_report_cli_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_clean_error(run_tok("report", "gpt2", "-o", "r.txt"), "ending in .html")
    (tmp_path / "d.html").mkdir()
    assert_clean_error(run_tok("report", "gpt2", "-o", "d.html"), "is a directory")
    assert_clean_error(run_tok("report", "gpt2", "gpt2", "-o", "r.html"), "named twice")
    assert_clean_error(run_tok("report", "gpt2", "--label", "a", "--label", "b", "-o", "r.html"),
                       "2 --label values for 1 tokenizers")
    assert_clean_error(run_tok("report", "nope-tok", "-o", "r.html"), "nope-tok")
    assert_clean_error(run_tok("report", "gpt2", "--texts", "missing.txt", "-o", "r.html"), "missing.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.html"]


def test_report_cli_writes_one_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run_tok("report", "gpt2", "-o", "out/r.html", "--langs", "deu,tur", "--no-live", "--text", "hello there",
                "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["path"] == "out/r.html" and doc["live_encoders"] == [] and doc["examples"] == 25
    assert doc["warnings"] == [] and [t["label"] for t in doc["tokenizers"]] == ["gpt2"]
    html = (tmp_path / "out" / "r.html").read_text("utf-8")
    assert "Turkish" in html and "Measured on:" in html
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["r.html"]


def test_palette_tells_30_series_apart():
    """Issue #12: the report's palette distinguishes up to 30 series (every pair ≥ ΔE76 20 in CIELAB)."""
    import itertools
    import math

    def lab(h: str) -> tuple[float, float, float]:
        r, g, b = (int(h[i:i + 2], 16) / 255 for i in (1, 3, 5))
        r, g, b = (((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in (r, g, b))
        x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
        fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z))
        return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)

    colours = [figures.color(i) for i in range(30)]
    assert len(set(colours)) == 30
    assert min(math.dist(lab(a), lab(b)) for a, b in itertools.combinations(colours, 2)) >= 20
    assert figures.text_on("#000000") == "#fff" and figures.text_on("#F0E442") == "#000"


def test_long_tables_are_collapsed(minimal):
    """Issue #12: the 521-row premium table is collapsed in a <details> element; short tables stay open."""
    import dataclasses

    def with_rows(n: int) -> str:
        rows = [{"code": f"l{k}", "name": f"L{k}", "script": "", "vals": [1.0, 1.1], "best": 1.0} for k in range(n)]
        sec = collect.Section(True, corpus="c", data={"tokenizers": ["a", "b"], "rows": rows, "reference": "en",
                                                      "reference_name": "English", "has_script": False,
                                                      "chart": "", "chart_caption": ""})
        return render_html(dataclasses.replace(minimal, sections={**minimal.sections, "premiums": sec}))

    long, short = with_rows(521), with_rows(5)
    assert '<details class="long"><summary>All 521 languages' in long and long.count('id="premium-table"') == 1
    assert '<details class="long">' not in short and 'id="premium-table"' in short
