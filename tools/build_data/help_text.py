"""Paragraphs of running text from translated help pages (LibreOffice help HTML, GNOME Mallard pages).

DEVELOPER TOOL used by build_corpora.py. A page becomes one document: its paragraphs, markup stripped,
whitespace collapsed, joined by newlines. The language check and de-duplication are in langcheck.py.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_WS = re.compile(r"\s+")


def _clean(parts: list[str]) -> str:
    return unicodedata.normalize("NFC", _WS.sub(" ", html.unescape("".join(parts))).strip())


class _LibreOfficeParser(HTMLParser):
    """<p> and <li> text of the DisplayArea of a LibreOffice help page.

    Left out: the header, side bars and footer; the "related topics" box; <pre> and code; the macOS variant
    of a menu path (a hidden span with class MAC; the default variant is kept).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paras: list[str] = []
        self.in_area = False
        self.depth = 0  # div depth inside DisplayArea
        self.skip_div = 0  # inside relatedtopics (div depth at which it started)
        self.mac = 0  # depth of spans inside a hidden MAC span
        self.pre = 0
        self.buf: list[str] | None = None
        self.title: str = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self._in_title = True
        if tag == "div":
            if a.get("id") == "DisplayArea":
                self.in_area, self.depth = True, 1
                return
            if self.in_area:
                self.depth += 1
                if not self.skip_div and "relatedtopics" in (a.get("class") or ""):
                    self.skip_div = self.depth
        if not self.in_area or self.skip_div:
            return
        if tag == "span":
            if self.mac:
                self.mac += 1
            elif "hidden" in a and (a.get("class") or "") == "MAC":
                self.mac = 1
        elif tag in ("pre", "code"):
            self.pre += 1
        elif tag in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.buf = []
        elif tag in ("br",) and self.buf is not None:
            self.buf.append(" ")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "div" and self.in_area:
            if self.skip_div == self.depth:
                self.skip_div = 0
            self.depth -= 1
            if self.depth == 0:
                self._flush()
                self.in_area = False
            return
        if not self.in_area or self.skip_div:
            return
        if tag == "span" and self.mac:
            self.mac -= 1
        elif tag in ("pre", "code") and self.pre:
            self.pre -= 1
        elif tag in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self.buf is not None and not self.mac and not self.pre and self.in_area and not self.skip_div:
            self.buf.append(data)

    def _flush(self) -> None:
        if self.buf is not None:
            t = _clean(self.buf)
            if t:
                self.paras.append(t)
        self.buf = None


def libreoffice_paragraphs(page: str) -> list[str]:
    p = _LibreOfficeParser()
    p.feed(page)
    p.close()
    p._flush()
    return p.paras


class _MallardParser(HTMLParser):
    """<p>, <title> and <desc> text of a Mallard .page (GNOME help).

    Mallard is XML; HTMLParser lower-cases tags and copes with it. Dropped: <info> (credits, licence,
    descriptions for link lists), <screen> blocks, <media> and <comment>. Inline markup (<cmd>, <code>,
    <gui>, <key>, <file> ...) keeps its text: it is part of the sentence. SKIP only matters inside a
    dropped element, where it keeps the nesting count right.
    """

    BLOCK = {"p", "title", "desc"}
    SKIP = {"info", "screen", "code", "media", "comment", "cmd", "sys", "file", "input", "output"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paras: list[str] = []
        self.buf: list[str] | None = None
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag == "info" or (self.skip and tag in self.SKIP) or tag in ("screen", "comment", "media"):
            self.skip += 1
            return
        if self.skip:
            return
        if tag in self.BLOCK:
            self._flush()
            self.buf = []

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if self.skip:
            if tag == "info" or tag in self.SKIP or tag in ("screen", "comment", "media"):
                self.skip -= 1
            return
        if tag in self.BLOCK:
            self._flush()

    def handle_data(self, data):
        if self.buf is not None and not self.skip:
            self.buf.append(data)

    def _flush(self) -> None:
        if self.buf is not None:
            t = _clean(self.buf)
            if t:
                self.paras.append(t)
        self.buf = None


def mallard_paragraphs(page: str) -> list[str]:
    p = _MallardParser()
    p.feed(page)
    p.close()
    p._flush()
    return p.paras


class _DocBookParser(HTMLParser):
    """<p>, <li> and heading text of a DocBook HTML page (the Debian Administrator's Handbook).

    Left out: tables of contents, navigation bars, the banner, <pre> blocks (shell sessions, files).
    Inline <code> stays: it is part of the sentence.
    """

    SKIP_CLASS = {"toc", "docnav", "banner", "list-of-figures", "list-of-tables", "list-of-examples", "index"}
    BLOCK = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd"}
    VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paras: list[str] = []
        self.stack: list[bool] = []  # per open element: does it start a skipped region
        self.blocks: list[bool] = []
        self.skip = 0
        self.pre = 0
        self.depth = 0
        self.buf: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        a = dict(attrs)
        classes = set((a.get("class") or "").split()) | {a.get("id") or ""}
        starts = bool(classes & self.SKIP_CLASS) or a.get("id") in ("banner", "title")
        self.stack.append(starts)
        if starts:
            self.skip += 1
        if tag == "pre":
            self.pre += 1
        block = tag in self.BLOCK or (tag == "div" and "para" in classes)
        self.blocks.append(block)
        if not self.skip and block:
            self._flush()
            self.buf = []
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if self.blocks.pop() and not self.skip:
            self._flush()
            self.depth -= 1
            if self.depth > 0:
                self.buf = []  # text after a nested block belongs to the outer one
        if self.stack.pop():
            self.skip -= 1

    def handle_data(self, data):
        if self.buf is not None and not self.skip and not self.pre:
            self.buf.append(data)

    def _flush(self) -> None:
        if self.buf is not None:
            t = _clean(self.buf)
            if t:
                self.paras.append(t)
        self.buf = None


def docbook_paragraphs(page: str) -> list[str]:
    p = _DocBookParser()
    p.feed(page)
    p.close()
    p._flush()
    return p.paras


class SphinxProse(HTMLParser):
    """<p> text of a Sphinx HTML page body (code blocks are <pre>, never inside <p>)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paras: list[str] = []
        self.buf: list[str] | None = None
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if tag in ("div", "nav") and ("sphinxsidebar" in cls or "related" in cls or "footer" in cls):
            self.skip += 1
        elif self.skip and tag in ("div", "nav"):
            self.skip += 1
        elif tag == "p" and not self.skip:
            self.buf = []

    def handle_endtag(self, tag):
        if self.skip and tag in ("div", "nav"):
            self.skip -= 1
        elif tag == "p" and self.buf is not None:
            t = " ".join("".join(self.buf).split())
            if sum(ch.isalpha() for ch in t) >= 40:
                self.paras.append(t)
            self.buf = None

    def handle_data(self, data):
        if self.buf is not None:
            self.buf.append(data)
