"""Interface strings from gettext .po files (Django, Sphinx, GNOME ...) as documents.

DEVELOPER TOOL, shared by pack_v1.py and pack_default.py.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from documents import Doc, chunk_text


def parse_po(path: Path) -> list[tuple[str, list[str]]]:
    """(msgid, [msgstr...]) of translated, non-fuzzy entries."""
    entries: list[tuple[str, list[str]]] = []
    msgid, strs, fuzzy, cur, buf = None, [], False, None, []

    def flush_field():
        nonlocal cur, buf, msgid
        if cur == "msgid":
            msgid = "".join(buf)
        elif cur and cur.startswith("msgstr"):
            strs.append("".join(buf))
        cur, buf = None, []

    def flush_entry():
        nonlocal msgid, strs, fuzzy
        flush_field()
        if msgid and not fuzzy:
            entries.append((msgid, [s for s in strs if s]))
        msgid, strs, fuzzy = None, [], False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush_entry()
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr", "msgctxt ")):
            flush_field()
            key, _, val = line.partition(" ")
            if key == "msgid" and msgid is not None:
                flush_entry()
            cur, buf = key, [_po_unquote(val)]
        elif line.startswith('"'):
            buf.append(_po_unquote(line))
    flush_entry()
    return entries


def _po_unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] == '"':
        s = s[1:-1]
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(m.group(1), m.group(1)), s)


PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrxX]|%[-#0 +]*\d*(?:\.\d+)?[sdifrxX]|"
                         r"\{[^{}]*\}|<[^>]+>")


def clean_ui_string(s: str) -> str:
    s = html.unescape(PLACEHOLDER.sub("", s))
    s = re.sub(r"[ \t]+", " ", s)
    s = "\n".join(line.strip() for line in s.split("\n") if line.strip())
    return s if sum(ch.isalpha() for ch in s) >= 2 else ""


def po_docs(pkg_key: str, root: Path, files: list[Path], seen: set[str]) -> list[Doc]:
    docs = []
    for path in files:
        strings = []
        for msgid, strs in parse_po(path):
            for s in strs:
                if s.strip() == msgid.strip():
                    continue
                c = clean_ui_string(s)
                if c and c not in seen:
                    seen.add(c)
                    strings.append(c)
        rel = path.relative_to(root).as_posix()
        for piece in chunk_text("\n".join(strings)):
            docs.append(Doc(piece, f"{pkg_key}:{rel}"))
    return docs
