"""Category packs and user directories for data-mixture inference; the shipped-data manifest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tokforensics.corpus.categories import (
    Category,
    CategoryPack,
    default_group,
    detect_script,
    load_categories,
)
from tokforensics.corpus.textio import data_root
from tokforensics.errors import InputError, TokError, UsageError

GROUPS = {"english", "code", "non_english"}
PERMISSIVE = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "PSF-2.0", "MIT OR Apache-2.0",
              "Ruby OR BSD-2-Clause", "CC-BY-4.0", "CC0-1.0", "MPL-2.0", "MPL-2.0 AND Apache-2.0", "CC-BY-SA-3.0"}
EN_DOMAINS = {"en-docs", "en-book"}


@pytest.fixture(scope="module")
def pack() -> CategoryPack:
    return load_categories("default")


@pytest.fixture(scope="module")
def sampled() -> CategoryPack:
    return load_categories("default", bytes_per_category=100_000, seed=0)


# ------------------------------------------------------------------------------------------ shipped pack
def test_pack_coverage(pack):
    assert pack.name == "default" and pack.source and "\n" not in pack.source
    groups = [c.group for c in pack.categories]
    assert set(groups) <= GROUPS
    assert groups.count("non_english") >= 40
    assert groups.count("code") >= 10
    assert {c.name for c in pack.by_group("english")} == EN_DOMAINS
    for name in ("tr", "de", "zh", "ja", "ar", "ru", "python", "javascript", "rust", "go"):
        assert name in pack.names
    assert len(set(pack.names)) == len(pack.names)
    assert pack.warnings == []


def test_default_pack_is_large_and_human_written():
    meta = json.loads((data_root() / "corpora" / "mixture" / "default" / "pack.json").read_text(encoding="utf-8"))
    assert meta["contains_synthetic"] is False
    cats = meta["categories"]
    for c in cats:
        assert c["bytes"] <= 3_000_000, c["name"]
        for s in c["sources"]:
            assert "dataset-build" not in s["package"], c["name"]
            assert s["domain"] in {"docs", "book", "legal", "ui-strings", "code"}, (c["name"], s)
    big = [c["name"] for c in cats if c["bytes"] >= 1_000_000]
    assert sum(c["group"] == "code" for c in cats if c["name"] in big) >= 10
    assert sum(c["group"] == "non_english" for c in cats if c["name"] in big) >= 20
    assert "en-docs" in big


def test_old_and_synthetic_packs():
    from tokforensics.corpus.categories import shipped_packs

    assert {"default", "v1", "synthetic"} <= set(shipped_packs())
    root = data_root() / "corpora" / "mixture"
    syn = json.loads((root / "synthetic" / "pack.json").read_text(encoding="utf-8"))
    assert syn["synthetic"] is True
    assert all(s["package"] == "pypi dataset-build" for c in syn["categories"] for s in c["sources"])
    v1 = json.loads((root / "v1" / "pack.json").read_text(encoding="utf-8"))
    assert v1["name"] == "v1" and v1["contains_synthetic"] is True
    assert "en" in [c["name"] for c in v1["categories"]]
    tr = load_categories("synthetic", bytes_per_category=20_000).get("tr")
    assert tr.group == "non_english" and tr.n_bytes > 10_000


def test_documents_are_whole_units_with_src(pack):
    from tokforensics.corpus.textio import read_jsonl

    root = data_root() / "corpora" / "mixture" / "default"
    for name in ("de", "python", "en-docs"):
        rows = list(read_jsonl(root / f"{name}.jsonl.xz"))
        assert rows and all(":" in r["src"] and r["text"].strip() for r in rows)
        assert max(len(r["text"].encode("utf-8")) for r in rows) <= 16_000
        srcs = [r["src"] for r in rows]
        assert len(set(srcs)) == len(srcs)  # parts of a long page carry #2, #3 ...


def test_each_category_is_big_enough_and_described(pack):
    for c in pack.categories:
        assert isinstance(c, Category)
        assert c.n_bytes >= 30_000, c.name
        assert c.n_bytes == len(c.text.encode("utf-8"))
        assert c.source and "\n" not in c.source
        if c.group == "code":
            assert c.script == "code"
        else:
            assert len(c.script) == 4 and c.script[0].isupper(), (c.name, c.script)


def test_scripts_match_text(pack):
    for c in pack.categories:
        if c.group == "code":
            continue
        found = detect_script(c.text, max_chars=20_000)
        family = {"Hans": "Hani", "Hant": "Hani"}
        assert family.get(found, found) == family.get(c.script, c.script), (c.name, c.script, found)


def test_pack_json_matches_files(pack):
    root = data_root() / "corpora" / "mixture" / "default"
    meta = json.loads((root / "pack.json").read_text(encoding="utf-8"))
    by_name = {c.name: c for c in pack.categories}
    assert [c["name"] for c in meta["categories"]] == pack.names
    for entry in meta["categories"]:
        assert entry["bytes"] == by_name[entry["name"]].n_bytes
        assert entry["group"] in GROUPS
        assert entry["sources"], entry["name"]
        for s in entry["sources"]:
            assert s["licence"] in PERMISSIVE, (entry["name"], s)
            assert s["package"] and s["version"] and s["paths"]


def test_get_unknown_category(pack):
    with pytest.raises(UsageError):
        pack.get("klingon")
    assert all(c.group == "code" for c in pack.by_group("code"))


# ------------------------------------------------------------------------------------------- manifest
# Every shipped data file is checked against its sha256 in tests/test_data_manifest.py.


def test_shipped_gzip_is_deterministic():
    path = data_root() / "corpora" / "udhr" / "udhr.jsonl.gz"
    header = path.read_bytes()[:10]
    assert header[4:8] == b"\0\0\0\0"  # mtime 0
    assert gzip.decompress(path.read_bytes()).count(b"\n") >= 500


# ------------------------------------------------------------------------------------------- sampling
def test_budget_respected_and_deterministic(sampled):
    again = load_categories("default", bytes_per_category=100_000, seed=0)
    assert [c.text for c in again.categories] == [c.text for c in sampled.categories]
    for c in sampled.categories:
        assert 1024 <= c.n_bytes <= 100_000, c.name
        assert c.n_bytes >= 30_000, c.name  # documents of at most 16 KB fill a 100 KB budget closely


def test_different_seeds_differ(sampled):
    other = load_categories("default", bytes_per_category=100_000, seed=1)
    differ = sum(a.text != b.text for a, b in zip(sampled.categories, other.categories, strict=True))
    assert differ >= len(sampled.categories) // 2


def test_sample_keeps_original_order(pack, sampled):
    full = pack.get("tr").text
    positions = [full.find(line) for line in sampled.get("tr").text.split("\n") if len(line) > 60]
    assert positions and all(p >= 0 for p in positions)
    assert positions == sorted(positions)


def test_budget_too_small_is_usage_error():
    with pytest.raises(UsageError, match="too small"):
        load_categories("default", bytes_per_category=100)
    with pytest.raises(UsageError):
        load_categories("default", bytes_per_category="big")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------- user dirs
def _para(word: str, n: int) -> str:
    return "\n".join(f"{word} line {i} " + "lorem ipsum dolor sit amet " * 3 for i in range(n)) + "\n"


def _user_dir(tmp_path: Path) -> Path:
    d = tmp_path / "cats"
    d.mkdir()
    (d / "tr.txt").write_text(_para("merhaba dünya ve çiçek", 60), encoding="utf-8")
    (d / "en.jsonl").write_text("".join(json.dumps({"text": f"The quick brown fox number {i} jumps over "
                                                            "the lazy dog again and again."}) + "\n"
                                        for i in range(80)), encoding="utf-8")
    with gzip.open(d / "de.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write(_para("grüße aus dem schönen süden", 60))
    py = d / "python"
    py.mkdir()
    (py / "a.txt").write_text("def f(x):\n    return x + 1\n" * 60, encoding="utf-8")
    with gzip.open(py / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i in range(30):
            fh.write(json.dumps({"text": f"class C{i}:\n    pass\n"}) + "\n")
    (py / "latin1.txt").write_bytes("caf\xe9 = 1\n".encode("latin-1") * 10)
    (py / "README.md").write_text("not a category file", encoding="utf-8")
    (d / "notes.pdf").write_bytes(b"%PDF")
    return d


def test_user_dir(tmp_path):
    d = _user_dir(tmp_path)
    p = load_categories(d)
    assert p.names == ["de", "en", "python", "tr"]
    groups = {c.name: c.group for c in p.categories}
    assert groups == {"de": "non_english", "en": "english", "python": "code", "tr": "non_english"}
    assert p.get("python").script == "code" and p.get("tr").script == "Latn"
    assert "class C29:" in p.get("python").text and "def f(x)" in p.get("python").text
    assert "The quick brown fox number 79" in p.get("en").text
    assert "grüße" in p.get("de").text
    assert any("latin1.txt" in w and "UTF-8" in w for w in p.warnings)
    assert any("notes.pdf" in w for w in p.warnings)
    assert any("README.md" in w for w in p.warnings)
    assert "caf" not in p.get("python").text


def test_user_dir_xz(tmp_path):
    import lzma

    d = tmp_path / "xz"
    d.mkdir()
    (d / "fi.txt.xz").write_bytes(lzma.compress(_para("hyvää päivää kaikille", 60).encode("utf-8")))
    rows = "".join(json.dumps({"text": f"def f{i}(x):\n    return x + {i}\n", "src": "t:x"}) + "\n"
                   for i in range(80))
    (d / "python.jsonl.xz").write_bytes(lzma.compress(rows.encode("utf-8")))
    p = load_categories(d)
    assert p.names == ["fi", "python"] and p.warnings == []
    assert "hyvää" in p.get("fi").text and "def f79(x)" in p.get("python").text
    (d / "sv.txt.xz").write_bytes(b"\xfd7zXZ\x00 broken")
    with pytest.raises(InputError, match="cannot read"):
        load_categories(d)


def test_user_dir_overrides(tmp_path):
    d = _user_dir(tmp_path)
    (d / "categories.json").write_text(json.dumps({"tr": {"group": "english", "script": "Latn"},
                                                   "de": "code", "xx": "code"}), encoding="utf-8")
    p = load_categories(str(d))
    assert p.get("tr").group == "english"
    assert p.get("de").group == "code" and p.get("de").script == "code"
    assert any("'xx'" in w for w in p.warnings)
    (d / "categories.json").write_text(json.dumps({"tr": "klingon"}), encoding="utf-8")
    with pytest.raises(InputError):
        load_categories(d)


def test_user_dir_sampling(tmp_path):
    d = _user_dir(tmp_path)
    a = load_categories(d, bytes_per_category=2000, seed=3)
    b = load_categories(d, bytes_per_category=2000, seed=3)
    c = load_categories(d, bytes_per_category=2000, seed=4)
    assert [x.text for x in a.categories] == [x.text for x in b.categories]
    assert [x.text for x in a.categories] != [x.text for x in c.categories]
    assert all(1024 <= x.n_bytes <= 2000 for x in a.categories)


def test_large_file_is_streamed_and_sampled(tmp_path):
    d = tmp_path / "big"
    d.mkdir()
    with open(d / "fi.txt", "w", encoding="utf-8") as fh:
        for i in range(200_000):
            fh.write(f"{i:07d} hyvää päivää kaikille tänään {i % 97}\n")
    p = load_categories(d, bytes_per_category=20_000, seed=0)
    text = p.get("fi").text
    assert 19_000 <= p.get("fi").n_bytes <= 20_000
    numbers = [int(line[:7]) for line in text.splitlines()]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert numbers[-1] - numbers[0] > 100_000  # drawn from the whole file, not its head
    assert p.get("fi").n_units == len(numbers)


def test_category_of_only_bad_files_is_error(tmp_path):
    d = _user_dir(tmp_path)
    (d / "fr.txt").write_bytes("fran\xe7ais\n".encode("latin-1") * 500)
    with pytest.raises(InputError, match="UTF-8"):
        load_categories(d)


def test_too_small_and_empty_categories(tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    (d / "tr.txt").write_text("merhaba\n", encoding="utf-8")
    with pytest.raises(InputError, match="too small to count"):
        load_categories(d)
    (d / "tr.txt").write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        load_categories(d)


def test_bad_jsonl_is_error(tmp_path):
    d = tmp_path / "j"
    d.mkdir()
    (d / "tr.jsonl").write_text('{"text": "ok"}\n{"body": "no text field"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="tr.jsonl:2"):
        load_categories(d)


def test_missing_and_empty_directories(tmp_path):
    with pytest.raises(UsageError, match="no category pack or directory"):
        load_categories(tmp_path / "nope")
    with pytest.raises(UsageError, match="is a file"):
        (tmp_path / "f.txt").write_text("x", encoding="utf-8")
        load_categories(tmp_path / "f.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no category files"):
        load_categories(empty)
    with pytest.raises(TokError):
        load_categories("no-such-pack")


def test_errors_are_one_line(tmp_path):
    try:
        load_categories(tmp_path / "nope")
    except TokError as exc:
        assert "\n" not in str(exc)


# ------------------------------------------------------------------------------------------- helpers
@pytest.mark.parametrize(("text", "script"), [
    ("Merhaba dünya, nasılsınız?", "Latn"), ("Привет, как дела?", "Cyrl"), ("Γειά σου κόσμε", "Grek"),
    ("مرحبا بالعالم", "Arab"), ("שלום עולם", "Hebr"), ("नमस्ते दुनिया", "Deva"), ("人人生而自由", "Hani"),
    ("すべての人間は、生まれながらにして自由である", "Jpan"), ("모든 인간은 태어날 때부터 자유롭다", "Hang"),
    ("สวัสดีชาวโลก", "Thai"), ("გამარჯობა", "Geor"), ("1234 !?", "Zyyy"),
])
def test_detect_script(text, script):
    assert detect_script(text) == script


def test_default_group():
    assert default_group("en") == "english" and default_group("English") == "english"
    assert default_group("en-docs") == "english" and default_group("eo") == "non_english"
    assert default_group("python") == "code" and default_group("C++") == "code"
    assert default_group("tr") == "non_english"


def test_pack_fingerprint_hashes_each_file_once_and_sees_a_change(tmp_path, monkeypatch):
    """The fingerprint keys the warm result of a shipped pack. Its per-file sha256 is remembered by (path, size,
    mtime, inode), so the second call reads no pack file; a file whose content changes gives a new fingerprint."""
    import os
    import shutil

    from tokforensics import cache
    from tokforensics.corpus import categories as C

    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "data" / "corpora" / "mixture"
    shutil.copytree(C.pack_dir("synthetic"), root / "synthetic")
    monkeypatch.setattr(C, "data_root", lambda: tmp_path / "data")
    first = C.pack_fingerprint("synthetic")
    assert first is not None and len(first) == 64
    hashed = []
    real = cache.sha256_file
    monkeypatch.setattr(cache, "sha256_file", lambda p, *a: hashed.append(p) or real(p, *a))
    assert C.pack_fingerprint("synthetic") == first and hashed == []
    meta = json.loads((root / "synthetic" / "pack.json").read_text())
    victim = root / "synthetic" / meta["categories"][0]["file"]
    data = victim.read_bytes()
    victim.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    st = victim.stat()
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert C.pack_fingerprint("synthetic") != first and hashed == [victim]
