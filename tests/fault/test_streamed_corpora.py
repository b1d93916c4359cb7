"""Bad files in a streamed category directory: a corrupt .gz or .zst, an empty file, a file that is not UTF-8, an
unknown extension, a JSON Lines record without text. Each is one line saying what is wrong and how to fix it,
exit 2, no traceback, nothing written beside the input, and every cache entry left behind is whole."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from .conftest import EN, PY
from .harness import assert_clean_failure, run_in, tree

MIX = pytest.mark.mixture


def _zst_garbage() -> bytes:
    try:
        import zstandard
    except ImportError:
        return b"\x28\xb5\x2f\xfd" + b"not a zstandard frame" * 20
    return zstandard.ZstdCompressor().compress(PY.encode() * 3)[:-40]


CASES = {
    "gz_trunc": ("de.txt.gz", lambda: gzip.compress(EN.encode() * 3)[:-25], ["de.txt.gz", "cannot read"]),
    "zst_corrupt": ("de.jsonl.zst", _zst_garbage, ["de.jsonl.zst", "cannot read"]),
    "empty": ("de.txt", lambda: b"", ["'de'", "empty"]),
    "blank_only": ("de.txt", lambda: b"\n\n   \n", ["'de'", "empty"]),
    "latin1": ("de.txt", lambda: ("Grüße aus Köln. " * 200).encode("latin-1"), ["not utf-8", "convert it to utf-8"]),
    "unknown_ext": ("de.csv", lambda: b"a,b\n" * 500, ["two categories"]),
    "jsonl_no_text": ("de.jsonl", lambda: b'{"text": "ok"}\n{"body": "no text field"}\n', ['"text" field']),
    "jsonl_bad_json": ("de.jsonl", lambda: b'{"text": "ok"}\n{"text": \n', ["not valid json"]),
    "jsonl_surrogate": ("de.jsonl", lambda: b'{"text": "lone \\ud800 surrogate"}\n' * 100, ["surrogate"]),
}


def _cache_entries_whole(cache: Path) -> None:
    for p in cache.rglob("*"):
        if not p.is_file():
            continue
        assert not p.name.endswith(".tmp"), p
        if p.suffix == ".npz":
            with np.load(p) as z:
                for k in z.files:
                    z[k]
        elif p.suffix == ".json":
            json.loads(p.read_text())


@MIX
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_in_streamed_directory(case, tmp_path, monkeypatch):
    name, data, needles = CASES[case]
    cats = tmp_path / "cats"
    cats.mkdir()
    (cats / "en.txt").write_text(EN)
    (cats / name).write_bytes(data())
    cache = tmp_path / "cache"
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(cache))
    before = tree(cats)
    run = run_in(tmp_path, "infer-mixture", "gpt2", "--categories", str(cats), "--merges", "200")
    assert_clean_failure(run, *needles)
    assert tree(cats) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "cats"] or not (tmp_path / "cache").exists()
    _cache_entries_whole(cache)
    # the same bad input fails the same way on a second run (nothing half-stored was taken for a result)
    again = run_in(tmp_path, "infer-mixture", "gpt2", "--categories", str(cats), "--merges", "200")
    assert_clean_failure(again, *needles)


@MIX
def test_not_utf8_file_beside_good_ones_is_skipped_with_a_note(tmp_path, monkeypatch):
    cats = tmp_path / "cats"
    (cats / "de").mkdir(parents=True)
    (cats / "en.txt").write_text(EN)
    (cats / "python.txt").write_text(PY)
    (cats / "de" / "good.txt").write_text("Grüße aus Köln und Berlin. " * 200)
    (cats / "de" / "bad.txt").write_bytes(("Grüße " * 200).encode("latin-1"))
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "cache"))
    run = run_in(tmp_path, "--json", "infer-mixture", "gpt2", "--categories", str(cats), "--merges", "200", "--lp-rounds", "2")
    assert run.code == 0, run.err
    res = json.loads(run.out)
    assert {c["name"] for c in res["categories"]} == {"en", "de", "python"}
    assert any("bad.txt" in w and "UTF-8" in w for w in res["warnings"]), res["warnings"]
