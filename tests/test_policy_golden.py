"""Golden ids: the shipped probe set, the golden file's round trip, and what a bad golden file says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tokforensics.corpus.probes import SHIPPED, load_user_texts, probe_set, probe_set_hash, shipped_probes
from tokforensics.errors import InputError
from tokforensics.policy.baseline import build_golden, compare_golden, dumps_golden, read_golden, write_golden
from tokforensics.tokenizer.view import load_tokenizer

PROBES = Path(__file__).resolve().parents[1] / "data" / "probes"


@pytest.fixture(scope="module")
def gpt2():
    return load_tokenizer("gpt2")


def test_probe_set_covers_scripts_code_numbers_whitespace_emoji():
    probes = shipped_probes()
    kinds = {p.id.split("/")[0] for p in probes}
    assert kinds == {"scripts", "code", "numbers", "whitespace", "emoji"}
    assert len([p for p in probes if p.id.startswith("scripts/")]) >= 40
    texts = {p.id: p.text for p in probes}
    assert texts["whitespace/crlf"] == "line one\r\nline two\r\n"
    assert texts["whitespace/line-separator"] == "a\u2028b\u2029c"
    assert "\u200d" in texts["emoji/zwj-family"]
    assert texts["scripts/eng"].startswith("All human beings are born free and equal")


def test_probe_manifest_is_complete_and_true():
    rows = json.loads((PROBES / "MANIFEST.json").read_text("utf-8"))
    keys = {"path", "sha256", "source_package", "version", "source_paths", "licence", "terms", "derived"}
    assert {r["path"] for r in rows} == {f"probes/{n}" for n in SHIPPED}
    for r in rows:
        assert keys <= set(r), r["path"]
        data = (PROBES.parent / r["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"], r["path"]


def test_golden_round_trip(tmp_path, gpt2):
    probes = probe_set()
    g = build_golden(gpt2, probes)
    path = tmp_path / "golden.json"
    write_golden(path, g)
    text = path.read_text("utf-8")
    assert text.count('{"id": ') == len(probes)  # one probe per line: readable diffs in review
    doc = json.loads(text)
    assert doc["tokenizer"] == {"name": "gpt2", "sha256": gpt2.sha256, "algorithm": "bpe", "vocab_size": 50257}
    assert doc["probe_set"] == {"sha256": probe_set_hash(probes), "n": len(probes)}
    assert "tiktoken" in doc["environment"]
    back = read_golden(path)
    assert back.tokenizer == g.tokenizer and back.probe_set_sha256 == g.probe_set_sha256
    assert back.probes == g.probes
    assert dumps_golden(back) == text
    cmp = compare_golden(gpt2, back, probes)
    assert cmp.n_changed == 0 and cmp.same_tokenizer and cmp.probe_set_current and cmp.notes == []


def test_new_probe_texts_do_not_invalidate_an_old_baseline(tmp_path, gpt2):
    write_golden(tmp_path / "g.json", build_golden(gpt2, probe_set()))
    mine = tmp_path / "mine.txt"
    mine.write_text("our product name: Tokforensix\n\nsecond line\n")
    cmp = compare_golden(gpt2, read_golden(tmp_path / "g.json"), probe_set([mine]))
    assert cmp.n_changed == 0 and not cmp.probe_set_current
    assert "probe set changed since the baseline" in cmp.notes[0]


def test_environment_change_is_noted(tmp_path, gpt2):
    g = build_golden(gpt2, probe_set())
    g.environment["tiktoken"] = "0.0.1"
    cmp = compare_golden(gpt2, g, None)
    assert any("tiktoken 0.0.1 →" in n for n in cmp.notes)


@pytest.mark.parametrize("mutate, needle", [
    (lambda s: s[:100], "not valid JSON"),
    (lambda s: s.replace('"tokforensics-golden"', '"other"'), "not a golden file"),
    (lambda s: s.replace('"version": 1', '"version": 9'), "format version 9"),
    (lambda s: s.replace("All human beings", "All human beans"), "do not match its recorded probe-set hash"),
    (lambda s: s.replace('"ids": [', '"ids": ["x", ', 1), "incomplete or malformed"),
])
def test_bad_golden_files(tmp_path, gpt2, mutate, needle):
    path = tmp_path / "g.json"
    write_golden(path, build_golden(gpt2, probe_set()))
    path.write_text(mutate(path.read_text("utf-8")), "utf-8")
    with pytest.raises(InputError) as exc:
        read_golden(path)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{\n "format": "tokforensics-golden",\n "version": 1,\n oops\n}\n')
    with pytest.raises(InputError, match=r"g\.json:4:2: not valid JSON"):
        read_golden(path)


def test_user_texts(tmp_path):
    txt = tmp_path / "a.txt"
    txt.write_text("first\r\n\n  indented  \nlast")
    assert [(p.id, p.text) for p in load_user_texts(txt)] == [
        ("user/a.txt:1", "first"), ("user/a.txt:3", "  indented  "), ("user/a.txt:4", "last")]
    jl = tmp_path / "b.jsonl"
    jl.write_text('{"id": "x", "text": "tab\\there"}\n{"text": "no id"}\n')
    assert [(p.id, p.text) for p in load_user_texts(jl)] == [("user/b.jsonl:x", "tab\there"), ("user/b.jsonl:2", "no id")]
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"text": 1}\n')
    with pytest.raises(InputError, match=r"c\.jsonl:1: expected an object"):
        load_user_texts(bad)
    (tmp_path / "e.txt").write_text("\n\n")
    with pytest.raises(InputError, match="no texts"):
        load_user_texts(tmp_path / "e.txt")
    with pytest.raises(InputError, match="no such probe text file"):
        load_user_texts(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="appears twice"):
        probe_set([txt, txt])


def test_unwritable_golden_path(tmp_path, gpt2):
    g = build_golden(gpt2, probe_set())
    with pytest.raises(InputError, match="is a directory"):
        write_golden(tmp_path, g)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        write_golden(blocker / "sub" / "g.json", g)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_golden_file_compressed_by_name_reads_back(tmp_path, gpt2):
    g = build_golden(gpt2, probe_set()[:5])
    path = tmp_path / "golden.json.gz"
    write_golden(path, g)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert dumps_golden(read_golden(path)) == dumps_golden(g)
