"""The build-time text extraction and paragraph checks in tools/build_data/ (not part of the package)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "build_data"))

from help_text import docbook_paragraphs, libreoffice_paragraphs, mallard_paragraphs  # noqa: E402

LO_PAGE = """<html><head><title>T</title></head><body><header><p>Hilfe für LibreOffice</p></header>
<div id="DisplayArea"><h1>Öffnen von Dokumenten</h1>
<p class="paragraph">Dies funktioniert nur, wenn der Name unter <span class="switchinline"><span hidden="true"
 class="MAC"><span class="menuitem">LibreOffice – Einstellungen</span></span><span hidden="true"><span
 class="menuitem">Extras – Optionen…</span></span></span> eingetragen wurde.</p>
<pre>Sub Main</pre>
<div class="relatedtopics"><p class="related">Verwandte Themen</p><div><p>Datei – Öffnen</p></div></div>
</div><footer><p>This page is: /text/shared/guide/doc_open.xhp</p></footer></body></html>"""


def test_libreoffice_content_only_and_default_menu_variant():
    paras = libreoffice_paragraphs(LO_PAGE)
    assert paras == ["Öffnen von Dokumenten",
                     "Dies funktioniert nur, wenn der Name unter Extras – Optionen… eingetragen wurde."]


def test_mallard_skips_info_and_screens():
    page = """<page xmlns="http://projectmallard.org/1.0/"><info><desc>Link text</desc>
    <credit><name>Someone</name></credit><license><p>Creative Commons</p></license></info>
    <title>Den Bildschirm lesen</title><p>Der Bildschirmleser Orca gibt die Oberfläche wieder.</p>
    <screen>$ orca --setup</screen><p>Installieren Sie <cmd>orca</cmd> in diesem Fall.</p></page>"""
    assert mallard_paragraphs(page) == ["Den Bildschirm lesen", "Der Bildschirmleser Orca gibt die Oberfläche wieder.",
                                        "Installieren Sie orca in diesem Fall."]  # inline markup stays


def test_docbook_nested_paragraphs_and_skipped_toc():
    page = """<body><div id="banner"><p>Download the ebook</p></div><div class="toc"><dl><dt>6.1 Syntax</dt></dl></div>
    <div class="para">Jede aktive Zeile ist eine Paketquelle: <code>deb</code> oder <code>deb-src</code>.
    <ul><li>erste Möglichkeit</li></ul> danach geht der Absatz weiter.</div><pre class="screen">apt update</pre></body>"""
    assert docbook_paragraphs(page) == ["Jede aktive Zeile ist eine Paketquelle: deb oder deb-src.",
                                        "erste Möglichkeit", "danach geht der Absatz weiter."]


def test_paragraph_checks():
    pytest.importorskip("py3langid")
    from langcheck import Checker

    c = Checker("de", "Latn", english={"Click the New icon on the Standard bar."})
    assert c.verdict("Datei – Öffnen") == "short"
    assert c.verdict("Click the New icon on the Standard bar.") == "english-original"
    assert c.verdict("Choose Format - Align - Top to align the selected objects.") == "english-langid"
    text = "Klicken Sie auf das Symbol Neu in der Symbolleiste Standard."
    assert c.keep(text) and not c.keep(text)  # the second copy is a duplicate
    assert c.counts["duplicate"] == len(text.encode()) + 1
    ja = Checker("ja", "Jpan")
    assert ja.verdict("Select the cells that you want to format in the table.") == "other-script"
    assert ja.verdict("表のセルを選択してから、書式を設定してください。") == "kept"
