"""Every shipped data file under data/ matches the sha256 recorded in its folder's MANIFEST.json."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tokforensics.corpus.textio import data_root

DATA_SUFFIXES = {".gz", ".xz", ".json", ".jsonl", ".txt", ".model", ".tiktoken", ".dic", ".aff"}
MANIFESTS = sorted(data_root().glob("*/MANIFEST.json"))
NOT_SHIPPABLE = ("GPL", "GFDL", "NC", "ND")  # SPDX fragments that must not appear in a shipped file's licence


def _rows(manifest: Path) -> list[dict]:
    rows = json.loads(manifest.read_text(encoding="utf-8"))
    assert isinstance(rows, list) and rows, manifest
    return rows


def test_every_data_folder_has_a_manifest():
    assert {m.parent.name for m in MANIFESTS} >= {"corpora", "lexicon", "probes", "tokenizers"}


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda m: m.parent.name)
def test_manifest_sha256_and_provenance(manifest):
    root = data_root()
    listed = set()
    for row in _rows(manifest):
        path = root / row["path"]
        assert path.is_file(), row["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"], row["path"]
        for key in ("source_package", "version", "licence", "terms", "derived"):
            assert row[key], (row["path"], key)
        assert isinstance(row["source_paths"], list), row["path"]
        tokens = row["licence"].replace("(", " ").replace(")", " ").split()
        assert not any(t.startswith(bad) or f"-{bad}" in t for t in tokens for bad in NOT_SHIPPABLE), row
        listed.add(path.resolve())
    shipped = {p.resolve() for p in manifest.parent.rglob("*") if p.is_file()
               and p.suffix in DATA_SUFFIXES and p.name != "MANIFEST.json"}
    assert shipped - listed == set(), sorted(str(p) for p in shipped - listed)


def test_share_alike_files_say_so():
    for row in _rows(data_root() / "corpora" / "MANIFEST.json"):
        if "CC-BY-SA" in row["licence"]:
            assert "same licence" in row["terms"], row["path"]
