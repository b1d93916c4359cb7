from __future__ import annotations

import json

import pytest

from .harness import make_bad_files

EN = "The committee will meet on Tuesday to discuss the annual budget and the new building plans. " * 40
TR = "Komite yıllık bütçeyi ve yeni bina planlarını görüşmek için salı günü toplanacak. " * 40
PY = "def compute(values):\n    total = 0\n    for v in values:\n        total += v * 2\n    return total\n\n" * 40


@pytest.fixture(scope="session")
def ws(tmp_path_factory):
    """A workspace holding one file of every bad kind (shared: cases must leave it unchanged)."""
    return tmp_path_factory.mktemp("fault-ws")


@pytest.fixture(scope="session")
def bad(ws):
    return make_bad_files(ws)


@pytest.fixture(scope="session")
def cats(tmp_path_factory):
    """A small, valid category directory for infer-mixture."""
    d = tmp_path_factory.mktemp("cats")
    (d / "en.txt").write_text(EN)
    (d / "tr.jsonl").write_text("\n".join(json.dumps({"text": s}) for s in TR.split(". ")))
    (d / "python.txt").write_text(PY)
    return d
