"""The probe set for golden ids: the shipped texts in data/probes/ plus the team's own texts.

Shipped files are JSON lines {"id", "text"} so that whitespace (tabs, CR, trailing spaces) survives exactly.
A team's own texts: `.jsonl` ({"text": ..., optional "id"}) or `.txt` (one text per line, the line ending
removed; blank lines skipped).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import InputError
from .textio import json_lines, read_user_text

SHIPPED = ("scripts.jsonl", "code.jsonl", "numbers.jsonl", "whitespace.jsonl", "emoji.jsonl")


@dataclass(frozen=True)
class Probe:
    id: str
    text: str


@cache
def shipped_probes() -> tuple[Probe, ...]:
    root = resources.files("tokforensics.data") / "probes"
    out: list[Probe] = []
    for name in SHIPPED:
        try:
            text = (root / name).read_text("utf-8")
        except OSError:
            raise InputError(f"shipped probe file data/probes/{name} is missing; reinstall tokforensics") from None
        out.extend(_parse_jsonl(text, f"data/probes/{name}", ""))
    return tuple(out)


def load_user_texts(path: Path) -> list[Probe]:
    """A team's own probe texts; ids are 'user/<file name>:<line>' unless the JSON line gives one."""
    raw = read_user_text(path, "probe texts", missing="{path}: no such probe text file",
                         folder="{path} is a directory; give a .txt or .jsonl file of probe texts",
                         not_utf8="{path}: not UTF-8 text")
    if path.suffix == ".jsonl":
        return _parse_jsonl(raw, str(path), f"user/{path.name}:")
    out = []
    for n, line in enumerate(raw.split("\n"), 1):
        line = line.removesuffix("\r")
        if line.strip():
            out.append(Probe(f"user/{path.name}:{n}", line))
    if not out:
        raise InputError(f"{path}: no texts (one text per line expected)")
    return out


def _parse_jsonl(raw: str, where: str, id_prefix: str) -> list[Probe]:
    out = []
    # split at \n, not splitlines(): U+2028 may sit inside a string
    for n, obj in json_lines(raw.split("\n"), where, field="text"):
        pid = obj.get("id")
        out.append(Probe(str(pid) if pid is not None and not id_prefix else f"{id_prefix}{pid or n}", obj["text"]))
    if not out:
        raise InputError(f"{where}: no texts; give a file with one text per line")
    return out


def probe_set(user_files: tuple[Path, ...] | list[Path] = ()) -> list[Probe]:
    """Shipped probes, then the team's texts, in a fixed order; ids must be unique."""
    probes = list(shipped_probes())
    for f in user_files:
        probes.extend(load_user_texts(f))
    seen: set[str] = set()
    for p in probes:
        if p.id in seen:
            raise InputError(f"probe id '{p.id}' appears twice; give each text a unique id")
        seen.add(p.id)
    return probes


def probe_set_hash(probes: list[Probe]) -> str:
    """sha256 of the ordered (id, text) pairs: changes when any text, id or the order changes."""
    blob = json.dumps([[p.id, p.text] for p in probes], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
