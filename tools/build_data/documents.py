"""Documents of the category packs: chunking, selection by sha256 order, licence filters, file lists.

DEVELOPER TOOL, shared by pack_v1.py and pack_default.py (never run or imported by tokforensics).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from common import nbytes

DOC_MAX = 4_000  # default chunk size: v1's shipped documents and every pack's interface-string documents


def chunk_text(text: str, limit: int = DOC_MAX) -> list[str]:
    """Split at paragraph, then line boundaries (then characters) into pieces of at most limit bytes."""
    text = text.strip("\n")
    if nbytes(text) <= limit:
        return [text] if text.strip() else []
    pieces: list[str] = []
    cur: list[str] = []
    size = 0
    sep = "\n\n" if "\n\n" in text else "\n"
    for block in text.split(sep):
        parts = [block] if nbytes(block) <= limit else _split_hard(block, limit)
        for part in parts:
            b = nbytes(part) + len(sep)
            if cur and size + b > limit:
                pieces.append(sep.join(cur))
                cur, size = [], 0
            cur.append(part)
            size += b
    if cur:
        pieces.append(sep.join(cur))
    return [p for p in (q.strip("\n") for q in pieces) if p.strip()]


def _split_hard(block: str, limit: int) -> list[str]:
    if "\n" in block:
        return chunk_text(block.replace("\n\n", "\n"), limit) if "\n\n" in block else _lines(block, limit)
    out, cur = [], ""
    for ch in block:
        if nbytes(cur) + len(ch.encode()) > limit:
            out.append(cur)
            cur = ""
        cur += ch
    return out + ([cur] if cur else [])


def _lines(block: str, limit: int) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    size = 0
    for line in block.split("\n"):
        for part in [line] if nbytes(line) < limit else _split_hard(line, limit - 1):
            if cur and size + nbytes(part) + 1 > limit:
                out.append("\n".join(cur))
                cur, size = [], 0
            cur.append(part)
            size += nbytes(part) + 1
    return out + (["\n".join(cur)] if cur else [])


def head_bytes(text: str, limit: int) -> str:
    """At most limit bytes of text, cut at a line boundary."""
    if nbytes(text) <= limit:
        return text
    cut = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    return cut[: cut.rfind("\n")] if "\n" in cut else cut


@dataclass
class Doc:
    text: str
    src: str  # "<package key>:<path inside>"


@dataclass
class Source:
    package: str
    docs: list[Doc]
    max_bytes: int | None = None
    note: str = ""
    pattern: str = ""  # where the files come from, listed in pack.json when more than 12 files are used


def select_docs(docs: list[Doc], cap: int, salt: str) -> list[Doc]:
    """All docs if they fit in cap bytes; else a fixed pseudo-random subset (sha256 order), original order."""
    total = sum(nbytes(d.text) + 1 for d in docs)
    if total <= cap:
        return list(docs)
    order = sorted(range(len(docs)),
                   key=lambda i: hashlib.sha256(f"{salt}\0{docs[i].src}\0{i}".encode()).hexdigest())
    keep, used = set(), 0
    for i in order:
        b = nbytes(docs[i].text) + 1
        if used + b <= cap:
            keep.add(i)
            used += b
    return [d for i, d in enumerate(docs) if i in keep]


LICENCE_BAD = re.compile(r"GNU (?:Lesser |Library |Affero )?General Public|\bL?A?GPL(?:v?\d)?\b|ShareAlike|"
                         r"CC[- ]BY[- ]SA|Mozilla Public License|Eclipse Public License")


# Files with a URL into a package registry are left out: the repo names no registry host.
REGISTRY_HOST = re.compile(r"://[^/\s\"'<>]*(?:pypi|pythonhosted|npm|debian)", re.I)

def rglob(root: Path, patterns: Iterable[str], exclude: re.Pattern | None = None) -> list[Path]:
    out = []
    for pat in patterns:
        for p in root.rglob(pat):
            rel = p.relative_to(root).as_posix()
            if p.is_file() and not p.is_symlink() and not (exclude and exclude.search(rel)):
                out.append(p)
    return sorted(set(out))


SCRIPT_FAMILY = {"Hans": "Hani", "Hant": "Hani", "Jpan": "Jpan", "Kore": "Hang"}


def script_family(s: str) -> str:
    return SCRIPT_FAMILY.get(s, s)


@dataclass
class CategorySpec:
    name: str
    display_name: str
    group: str
    script: str
    sources: list[Source] = field(default_factory=list)


def pick_source_files(pkg_key: str, root: Path, files: Iterable[Path], budget: int, file_max: int,
                      require: str | None = None) -> list[tuple[str, str]]:
    """(relative path, text) of whole source files (head file_max bytes each, cut at a line), chosen in sha256
    order of (package, path) up to budget bytes and returned sorted by path. Files that are not UTF-8, carry a
    refused licence or a registry URL, or lack `require` are passed over."""
    cands = sorted({f.relative_to(root).as_posix(): f for f in files}.items())
    order = sorted(cands, key=lambda kv: hashlib.sha256(f"{pkg_key}\0{kv[0]}".encode()).hexdigest())
    picked: list[tuple[str, str]] = []
    used = 0
    for rel, path in order:
        if used >= budget:
            break
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if LICENCE_BAD.search(text) or REGISTRY_HOST.search(text) or (require and require not in text):
            continue
        text = head_bytes(text.replace("\r\n", "\n").strip("\n"), file_max)
        if not text.strip() or "\x00" in text:
            continue
        b = nbytes(text) + 1
        if used + b > budget:
            continue
        picked.append((rel, text))
        used += b
    return sorted(picked)
