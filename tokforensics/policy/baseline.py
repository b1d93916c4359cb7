"""Golden token ids: write them once (`tok baseline`), compare on every check.

The golden file is JSON with one probe per line (readable diffs in review). It records who wrote it (the
tokenizer's name and file sha256), the probe set's hash, the library versions that encoded it, and for each
probe its id, text and token ids. A check re-encodes the golden file's own texts, so a newer probe set does
not invalidate an old baseline; the probe-set hash then only tells that the shipped set has moved on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..corpus.probes import Probe, probe_set_hash
from ..corpus.textio import read_user_text
from ..errors import InputError
from ..outputs import write_output
from ..tokenizer import display
from ..tokenizer.view import Tokenizer

FORMAT = "tokforensics-golden"
VERSION = 1
ENGINE_PACKAGES = ("tokforensics", "tokenizers", "tiktoken", "sentencepiece")


@dataclass(frozen=True)
class TokenizerIdentity:
    name: str
    sha256: str
    algorithm: str
    vocab_size: int


@dataclass
class Golden:
    tokenizer: TokenizerIdentity
    probe_set_sha256: str
    environment: dict[str, str]
    probes: list[tuple[Probe, list[int]]]
    path: Path | None = None


@dataclass(frozen=True)
class ProbeDiff:
    id: str
    text: str
    golden_ids: list[int]
    current_ids: list[int]
    golden_pieces: list[str]
    current_pieces: list[str]
    first_diff: int  # index of the first differing token


@dataclass
class GoldenComparison:
    file: str
    golden_tokenizer: TokenizerIdentity
    same_tokenizer: bool
    n_probes: int
    n_changed: int
    diffs: list[ProbeDiff]  # the first `show` differing probes
    probe_set_current: bool  # whether the golden's probe set is the one the policy gives today
    notes: list[str] = field(default_factory=list)


def identity(tok: Tokenizer) -> TokenizerIdentity:
    return TokenizerIdentity(tok.name, tok.sha256, tok.algorithm, tok.vocab_size)


def environment() -> dict[str, str]:
    out = {}
    for pkg in ENGINE_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def build_golden(tok: Tokenizer, probes: list[Probe]) -> Golden:
    ids = tok.encode_batch([p.text for p in probes])
    return Golden(identity(tok), probe_set_hash(probes), environment(), list(zip(probes, ids, strict=True)))


def dumps_golden(g: Golden) -> str:
    head = {
        "format": FORMAT, "version": VERSION,
        "tokenizer": vars(g.tokenizer),
        "probe_set": {"sha256": g.probe_set_sha256, "n": len(g.probes)},
        "environment": g.environment,
    }
    lines = json.dumps(head, ensure_ascii=False, indent=1)[:-2]  # drop the closing "\n}"
    rows = [json.dumps({"id": p.id, "text": p.text, "ids": ids}, ensure_ascii=False) for p, ids in g.probes]
    return lines + ',\n "probes": [\n  ' + ",\n  ".join(rows) + "\n ]\n}\n"


def write_golden(path: Path, g: Golden) -> None:
    write_output(path, dumps_golden(g), "the golden file")


def read_golden(path: Path) -> Golden:
    raw = read_user_text(path, "golden file", decompress=True,
                         missing="{label}{path} not found; write it with `tok baseline` and commit it",
                         folder="{path} is a directory, not a golden file",
                         not_utf8="{path}: not UTF-8 text; it is not a golden file written by `tok baseline`")
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); "
                         "rewrite it with `tok baseline`") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{path}: not a golden file written by `tok baseline` (no \"format\": \"{FORMAT}\"); write one with `tok baseline`")
    if doc.get("version") != VERSION:
        raise InputError(f"{path}: golden format version {doc.get('version')!r}; this tokforensics reads "
                         f"version {VERSION}; rewrite it with `tok baseline`")
    try:
        t = doc["tokenizer"]
        ident = TokenizerIdentity(str(t["name"]), str(t["sha256"]), str(t["algorithm"]), int(t["vocab_size"]))
        rows = []
        for r in doc["probes"]:
            ids = r["ids"]
            if not isinstance(r["text"], str) or not all(isinstance(i, int) for i in ids):
                raise TypeError
            rows.append((Probe(str(r["id"]), r["text"]), list(ids)))
        g = Golden(ident, str(doc["probe_set"]["sha256"]), dict(doc.get("environment", {})), rows, path)
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{path}: golden file is incomplete or malformed; rewrite it with `tok baseline`") from None
    if probe_set_hash([p for p, _ in rows]) != g.probe_set_sha256:
        raise InputError(f"{path}: its texts do not match its recorded probe-set hash (edited by hand?); "
                         "rewrite it with `tok baseline`")
    return g


def compare_golden(tok: Tokenizer, g: Golden, current_probes: list[Probe] | None = None, show: int = 5,
                   allow_other_tokenizer: bool = False) -> GoldenComparison:
    """Re-encode the golden texts with `tok` and list the probes whose ids changed."""
    where = str(g.path) if g.path else "golden file"
    same = g.tokenizer.sha256 == tok.sha256
    if not same and not allow_other_tokenizer:
        raise InputError(
            f"{where} was written by tokenizer '{g.tokenizer.name}' (sha256 {g.tokenizer.sha256[:12]}…), "
            f"but the policy's tokenizer is '{tok.name}' (sha256 {tok.sha256[:12]}…): ids of different tokenizer "
            "files are not compared. If the change is intended, rewrite it with `tok baseline`; to diff a patched "
            "tokenizer against it anyway, set allow_other_tokenizer = true in the rules.golden table")
    texts = [p.text for p, _ in g.probes]
    current = tok.encode_batch(texts)
    diffs: list[ProbeDiff] = []
    n_changed = 0
    for (p, old), new in zip(g.probes, current, strict=True):
        if old == new:
            continue
        n_changed += 1
        if len(diffs) < show:
            k = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
            diffs.append(ProbeDiff(p.id, p.text, old, new, display.pieces(tok.token_bytes, old), display.pieces(tok.token_bytes, new), k))
    notes = []
    if not same:
        notes.append(f"golden ids come from '{g.tokenizer.name}' (sha256 {g.tokenizer.sha256[:12]}…); the "
                     f"current tokenizer file differs (sha256 {tok.sha256[:12]}…); golden pieces are decoded "
                     "with the current vocabulary")
    env = environment()
    moved = [f"{k} {g.environment[k]} → {env.get(k, 'absent')}" for k in sorted(g.environment)
             if k != "tokforensics" and env.get(k) != g.environment[k]]
    if moved:
        notes.append("encoding libraries changed since the baseline: " + ", ".join(moved))
    probe_set_current = True
    if current_probes is not None and probe_set_hash(current_probes) != g.probe_set_sha256:
        probe_set_current = False
        notes.append(f"the probe set changed since the baseline ({len(g.probes)} texts then, {len(current_probes)} "
                     "now); the golden file's own texts were checked; run `tok baseline` to refresh")
    return GoldenComparison(where, g.tokenizer, same, len(g.probes), n_changed, diffs, probe_set_current, notes)
