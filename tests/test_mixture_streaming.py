"""Streamed counting of user directories against the slow, obvious path: every unit read whole by iter_units and
pretokenized by Tokenizer.pretokenize (document_counts). Byte ranges and read blocks are made tiny so their
boundaries fall inside documents and inside multi-byte characters."""

from __future__ import annotations

import gzip
import json
import lzma
import random
from pathlib import Path

import numpy as np
import pytest

from tokforensics.corpus import documents
from tokforensics.corpus.textio import iter_units
from tokforensics.errors import InputError
from tokforensics.mixture import streaming
from tokforensics.mixture.counts import document_counts
from tokforensics.mixture.executor import LocalPoolExecutor, SerialExecutor
from tokforensics.mixture.pretokens import pretokenizer_spec, splitter
from tokforensics.tokenizer.view import load_tokenizer

# gpt2 and cl100k: tiktoken files (regex path); smollm2: a tokenizer.json with Digits + ByteLevel (library path);
# mistral-v1: SentencePiece BPE (metaspace path)
TOKENIZERS = ["gpt2", "cl100k_base", "o200k_base", "smollm2", "mistral-v1"]
ALPHABET = [*"ab Zé日本語 \r\n\t\u00a0\u2028\u3000\x1c\x85'sl123٣४..!?😀🇫\u200dاﻻ", "'s", "'LL", "  ", "\r\n", "e\u0301",
            "ﬁ", "Å"]


def _hostile(rng: random.Random, n: int) -> list[str]:
    out = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 120))) for _ in range(n)]
    return [*out, "x" * 20_000, " " * 3000 + "y", "\n\n\n  \n", "", "日本" * 3000]


@pytest.fixture(scope="module")
def toks():
    return {name: load_tokenizer(name) for name in TOKENIZERS}


@pytest.mark.parametrize("name", TOKENIZERS)
def test_splitter_matches_pretokenize(toks, name):
    tok = toks[name]
    split = splitter(pretokenizer_spec(tok))
    for text in _hostile(random.Random(7), 300):
        assert split(text) == tok.pretokenize(text), repr(text[:80])


def _write_corpus(d: Path, rng: random.Random) -> None:
    lines = "".join(t.replace("\n", " ") + rng.choice(["\n", "\r\n", "\n\n"]) for t in _hostile(rng, 400))
    (d / "en.txt").write_text(lines + "last line without newline", encoding="utf-8", newline="")
    recs = [json.dumps({"text": t}, ensure_ascii=rng.random() < 0.5) for t in _hostile(rng, 300)]
    blob = ("\n".join(recs) + "\n\n").encode()
    (d / "tr.jsonl").write_bytes(blob)
    (d / "de").mkdir()
    (d / "de" / "a.jsonl.gz").write_bytes(gzip.compress(blob[: len(blob) // 2].rsplit(b"\n", 1)[0] + b"\n"))
    (d / "de" / "b.txt.xz").write_bytes(lzma.compress(lines.encode()))
    try:
        import zstandard
    except ImportError:
        return
    (d / "de" / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(blob))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("cats")
    _write_corpus(d, random.Random(3))
    return d


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(documents, "BLOCK", 61)  # odd and small: cuts land inside UTF-8 sequences
    monkeypatch.setattr(documents, "RANGE", 997)
    orig = documents.file_ranges
    monkeypatch.setattr(streaming, "file_ranges", lambda p, s, size=None, span=997: orig(p, s, size, span))


@pytest.mark.parametrize("span", [5, 997, 1 << 30])
def test_batches_are_the_units(corpus, tiny_blocks, span):
    for path in [corpus / "en.txt", corpus / "tr.jsonl", *sorted((corpus / "de").iterdir())]:
        got, offsets = [], []
        for fr in documents.file_ranges(path, 0, span=span):
            for b in documents.iter_batches(fr):
                got += b.texts
                offsets += b.offsets.tolist()
                assert int(b.sizes.sum()) == sum(len(t.encode()) for t in b.texts)
        assert got == list(iter_units(path)), path
        assert offsets == sorted(set(offsets))


@pytest.mark.parametrize("name", TOKENIZERS)
def test_streamed_counts_equal_reference(corpus, toks, tiny_blocks, fresh_cache, name):
    tok = toks[name]
    plan = streaming.plan_user_dir(tok, corpus, budget=None, seed=0, bootstrap=False, executor=SerialExecutor())
    tables = streaming.count_plan(plan, SerialExecutor())
    for c, table in zip(plan.categories, tables, strict=True):
        units = [u for f in c.files for u in iter_units(f)]
        ref = document_counts(tok, units).words
        got = streaming.table_document_counts(tok, table).words
        assert np.array_equal(ref.symbols, got.symbols) and np.array_equal(ref.word_start, got.word_start)
        assert np.array_equal(ref.counts, got.counts)
        assert (ref.n_bytes, ref.n_pretokens) == (got.n_bytes, got.n_pretokens)
        assert table.n_docs == len(units)


def test_tables_are_shared_by_equal_pretokenizers(corpus, fresh_cache):
    cl, llama = load_tokenizer("cl100k_base"), load_tokenizer("llama3")
    assert pretokenizer_spec(cl).fingerprint == pretokenizer_spec(llama).fingerprint
    assert pretokenizer_spec(cl).fingerprint != pretokenizer_spec(load_tokenizer("gpt2")).fingerprint
    streaming.count_plan(streaming.plan_user_dir(cl, corpus, budget=None, seed=0, bootstrap=False,
                                                 executor=SerialExecutor()), SerialExecutor())
    tables = sorted(fresh_cache.rglob("*.table.npz"))
    assert tables
    seen = []
    plan = streaming.plan_user_dir(llama, corpus, budget=None, seed=0, bootstrap=False, executor=SerialExecutor())
    streaming.count_plan(plan, SerialExecutor(), progress=lambda s, d, t: seen.append(s))
    assert sorted(fresh_cache.rglob("*.table.npz")) == tables and "count" not in seen


def test_sampling_keeps_whole_documents_within_budget_deterministically(corpus, toks, fresh_cache):
    tok = toks["gpt2"]
    budget = 20_000

    def sample(seed):
        plan = streaming.plan_user_dir(tok, corpus, budget=budget, seed=seed, bootstrap=False,
                                       executor=SerialExecutor())
        return plan, streaming.count_plan(plan, SerialExecutor())

    plan, tables = sample(0)
    _, again = sample(0)
    _, other = sample(1)
    for c, t, t2, t3 in zip(plan.categories, tables, again, other, strict=True):
        assert 0 < t.n_bytes <= budget and t.pieces == t2.pieces and np.array_equal(t.counts, t2.counts)
        total = sum(len(u.encode()) for f in c.files for u in iter_units(f))
        assert total > budget
        assert t.n_bytes > budget * 0.9  # skipping what does not fit, the sample fills the budget
        assert (t.pieces, t.counts.tolist()) != (t3.pieces, t3.counts.tolist())
    # the kept documents are whole units: counting exactly them the slow way gives the same table
    c, t = plan.categories[0], tables[0]
    chosen = set(plan.kept[0].tolist())
    kept = []
    for f, salt in zip(c.files, c.salts, strict=True):
        for b in documents.iter_batches(documents.FileRange(f, salt=salt)):
            keys = documents.document_keys(b.offsets, salt)
            kept += [u for u, k in zip(b.texts, keys.tolist(), strict=True) if k in chosen]
    ref = document_counts(tok, kept).words
    got = streaming.table_document_counts(tok, t).words
    assert np.array_equal(ref.counts, got.counts) and ref.n_bytes == got.n_bytes


def test_bootstrap_blocks_sum_to_the_total(corpus, toks, fresh_cache):
    tok = toks["cl100k_base"]
    plan = streaming.plan_user_dir(tok, corpus, budget=None, seed=0, bootstrap=True, executor=SerialExecutor())
    plain = streaming.plan_user_dir(tok, corpus, budget=None, seed=0, bootstrap=False, executor=SerialExecutor())
    for t, p in zip(streaming.count_plan(plan, SerialExecutor()), streaming.count_plan(plain, SerialExecutor()),
                    strict=True):
        dc = streaming.table_document_counts(tok, t, plan.blocks)
        ref = streaming.table_document_counts(tok, p)
        assert 1 < dc.n_docs <= streaming.BOOTSTRAP_BLOCKS
        counts, n_bytes = dc.reweighted(np.ones(dc.n_docs, np.int64))
        assert np.array_equal(counts, ref.words.counts) and n_bytes == ref.words.n_bytes
        assert int(t.block_docs.sum()) == t.n_docs


def test_local_pool_gives_byte_identical_results(corpus, tmp_path, monkeypatch):
    from tokforensics.mixture.infer import infer_mixture
    from tokforensics.mixture.settings import MixtureSettings

    tok = load_tokenizer("gpt2")
    out = []
    for i, ex in enumerate([SerialExecutor(), LocalPoolExecutor(2)]):
        monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / f"c{i}"))
        res = infer_mixture(tok, corpus, MixtureSettings(merges=300, max_rounds=4), ex)
        d = json.loads(json.dumps(res, default=lambda o: o.__dict__))
        d.pop("timing")
        d["diagnostics"].pop("solve_seconds")
        out.append(json.dumps(d, sort_keys=True))
    assert out[0] == out[1]


def test_bad_files_are_one_line_errors(tmp_path, fresh_cache):
    tok = load_tokenizer("gpt2")
    d = tmp_path / "cats"
    d.mkdir()
    (d / "en.txt").write_text("hello world " * 200)
    (d / "de.txt.gz").write_bytes(gzip.compress(("hallo welt " * 200).encode())[:-12])
    with pytest.raises(InputError, match="de.txt.gz: cannot read"):
        streaming.count_plan(streaming.plan_user_dir(tok, d, budget=None, seed=0, bootstrap=False,
                                                     executor=SerialExecutor()), SerialExecutor())
    (d / "de.txt.gz").unlink()
    (d / "de.jsonl").write_text('{"text": "ok"}\n{"nope": 1}\n')
    with pytest.raises(InputError, match='no string "text" field'):
        streaming.count_plan(streaming.plan_user_dir(tok, d, budget=None, seed=0, bootstrap=False,
                                                     executor=SerialExecutor()), SerialExecutor())


def test_cached_result_and_documents_of_a_streamed_directory(corpus, fresh_cache):
    from tokforensics.mixture.infer import cached_result, infer_mixture
    from tokforensics.mixture.settings import MixtureSettings

    tok = load_tokenizer("gpt2")
    settings = MixtureSettings(merges=200, max_rounds=2)
    assert cached_result(tok, corpus, settings) is None
    res = infer_mixture(tok, corpus, settings, SerialExecutor())
    again = cached_result(tok, corpus, settings)
    assert again is not None and [c.share for c in again.categories] == [c.share for c in res.categories]
    docs = {c.name: c.documents for c in res.categories}
    assert docs["en"] == len(list(iter_units(corpus / "en.txt")))
    assert res.timing["count"] >= 0 and res.timing["replay"] >= 0


# ------------------------------------------------------------------------------------------------ fsspec URLs
# Category folders given as fsspec URLs: the same documents, counts and shares as the local folder they name.
# `file://` is read through fsspec's local backend and `memory://` through its in-process store (so a memory URL
# needs the serial executor: worker processes do not share that store).


@pytest.fixture(scope="module")
def url_corpus(tmp_path_factory):
    pytest.importorskip("fsspec", reason="fsspec comes with the [dist] extra (dask), which CI installs")
    d = tmp_path_factory.mktemp("cats")
    _write_corpus(d, random.Random(5))
    (d / "categories.json").write_text(json.dumps({"tr": {"group": "non_english", "display_name": "Türkçe"}}))
    (d / "notes.md").write_text("not a category\n")
    return d


def _memory_copy(root: Path, name: str) -> str:
    import fsspec

    fs = fsspec.filesystem("memory")
    base = f"/{name}"
    for p in sorted(root.rglob("*")):
        if p.is_file():
            with fs.open(f"{base}/{p.relative_to(root).as_posix()}", "wb") as f:
                f.write(p.read_bytes())
    return f"memory://{base}"


def _canonical(res) -> dict:
    d = json.loads(json.dumps(res, default=lambda o: o.__dict__))
    d.pop("timing")
    d["diagnostics"].pop("solve_seconds")
    d.pop("pack_source")
    return d


def test_discovery_matches_the_local_folder(url_corpus):
    from tokforensics.corpus.categories import discover_user_dir

    local, lw = discover_user_dir(url_corpus)
    remote, rw = discover_user_dir(f"file://{url_corpus}")
    assert [c.name for c in local] == [c.name for c in remote] == ["de", "en", "tr"]
    assert [len(c.files) for c in local] == [len(c.files) for c in remote]
    assert all(str(f).startswith("file://") for c in remote for f in c.files)
    assert [c.display_name for c in remote] == [c.display_name for c in local] and remote[2].display_name == "Türkçe"
    assert len(lw) == len(rw) == 1 and "notes.md" in rw[0]


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_url_counts_equal_the_local_folder(url_corpus, kind, tmp_path, monkeypatch):
    tok = load_tokenizer("gpt2")
    url = f"file://{url_corpus}" if kind == "file" else _memory_copy(url_corpus, "counts")
    tables = {}
    for i, root in enumerate([url_corpus, url]):
        monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / f"c{i}"))
        plan = streaming.plan_user_dir(tok, root, budget=20_000, seed=3, bootstrap=True, executor=SerialExecutor())
        tables[i] = (plan, streaming.count_plan(plan, SerialExecutor()))
    (p0, t0), (p1, t1) = tables[0], tables[1]
    assert [c.digests for c in p0.categories] == [c.digests for c in p1.categories]
    assert [c.salts for c in p0.categories] == [c.salts for c in p1.categories]  # the same seeded documents
    for a, b in zip(t0, t1, strict=True):
        assert a.pieces == b.pieces and np.array_equal(a.counts, b.counts) and a.n_docs == b.n_docs
        assert np.array_equal(a.block_counts, b.block_counts)


def test_infer_mixture_from_a_url_is_byte_identical(url_corpus, tmp_path, monkeypatch):
    from tokforensics.mixture.infer import infer_mixture
    from tokforensics.mixture.settings import MixtureSettings

    tok = load_tokenizer("gpt2")
    out = []
    runs = [(url_corpus, SerialExecutor()), (f"file://{url_corpus}", LocalPoolExecutor(2))]
    for i, (root, ex) in enumerate(runs):
        monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / f"c{i}"))
        res = infer_mixture(tok, root, MixtureSettings(merges=300, max_rounds=4), ex)
        # everything but where the files were said to be is the same
        out.append(json.dumps(_canonical(res), sort_keys=True).replace(f"file://{url_corpus}", str(url_corpus)))
    assert out[0] == out[1]
    assert res.pack_source == f"user directory file://{url_corpus}"


def test_a_cached_result_names_the_location_given_now(url_corpus, tmp_path, monkeypatch):
    """A folder and a URL of the same files share one cache entry; the result read from it says where the files
    were read from this time, not where the run that stored it read them."""
    from tokforensics.mixture.infer import infer_mixture
    from tokforensics.mixture.settings import MixtureSettings

    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "cache"))
    tok = load_tokenizer("gpt2")
    settings = MixtureSettings(merges=300, max_rounds=4)
    first = infer_mixture(tok, url_corpus, settings, SerialExecutor())
    url = f"file://{url_corpus}"
    again = infer_mixture(tok, url, settings, SerialExecutor())
    assert again.timing.get("cached_result") is True
    assert first.pack_source == f"user directory {url_corpus}"
    assert again.pack_source == f"user directory {url}"
    assert all(c.source.startswith(f"user files: {url}") for c in again.categories)
    assert [c.share for c in again.categories] == [c.share for c in first.categories]


def test_url_errors_are_one_line(url_corpus, tmp_path, fresh_cache):
    tok = load_tokenizer("gpt2")

    def plan(root):
        return streaming.plan_user_dir(tok, root, budget=None, seed=0, bootstrap=False, executor=SerialExecutor())

    with pytest.raises(InputError, match=r"no usable fsspec backend for nosuchscheme://") as e:
        plan("nosuchscheme://bucket/cats")
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match="not a folder"):
        plan(f"file://{tmp_path}/missing")
    one = tmp_path / "one"
    one.mkdir()
    (one / "en.txt").write_text("hello world\n" * 200)
    with pytest.raises(InputError, match="need at least two categories"):
        plan(f"file://{one}")
    assert streaming.is_user_dir("s3://bucket/cats") and not streaming.is_user_dir("default")


# ------------------------------------------------------------------------------------------------ shipped packs
def test_shipped_pack_streamed_equals_loaded(tmp_path, monkeypatch):
    """A whole shipped pack goes through the streamed counter; its result is the in-memory path's, byte for byte
    (small categories left out by the same rule and note)."""
    from tokforensics.corpus.categories import CategoryPack
    from tokforensics.mixture import infer
    from tokforensics.mixture.settings import MixtureSettings

    tok = load_tokenizer("gpt2")
    settings = MixtureSettings(merges=250, max_rounds=3, min_category_bytes=75_000)
    assert isinstance(infer._prepare(tok, "synthetic", settings.resolved(50_000), SerialExecutor(), None),
                      streaming.StreamPlan)
    out = []
    for i, loaded in enumerate([False, True]):
        monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / f"c{i}"))
        if loaded:
            monkeypatch.setattr(infer, "_prepare", lambda t, c, s, e, p: infer._load_pack(c, s))
        res = infer.infer_mixture(tok, "synthetic", settings, LocalPoolExecutor(2))
        d = json.loads(json.dumps(res, default=lambda o: o.__dict__))
        d.pop("timing")
        d["diagnostics"].pop("solve_seconds")
        out.append(json.dumps(d, sort_keys=True))
        assert any("under 75,000 bytes left out" in w for w in res.warnings)
    assert out[0] == out[1]
    # sampling and the per-document bootstrap keep the loaded pack's semantics
    for other in (MixtureSettings(merges=250, bytes_per_category=60_000, min_category_bytes=2000),
                  MixtureSettings(merges=250, bootstrap=2)):
        assert isinstance(infer._prepare(tok, "synthetic", other.resolved(50_000), SerialExecutor(), None),
                          CategoryPack)
