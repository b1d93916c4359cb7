"""Loaders for what users bring, the zoo listing, and clear errors for bad input."""

from __future__ import annotations

import base64
import gzip
import io
import json
import lzma
import struct

import pytest
import sentencepiece as spm
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import decoders, models, normalizers, pre_tokenizers, trainers

from tokforensics.errors import InputError
from tokforensics.tokenizer import zoo
from tokforensics.tokenizer.view import load_tokenizer

from .cli_helpers import assert_clean_error, run_tok

CORPUS = ["the quick brown fox jumps over the lazy dog " * 3, "hello world, hello tokenizers 123 4567",
          "Merhaba dünya, nasılsın? İyiyim.", "def f(x): return x + 1"] * 20

MUST_BE_AVAILABLE = ["gpt2", "p50k", "gpt4", "gpt-3.5", "gpt4o", "claude-legacy", "llama3", "mistral", "mistral-v3",
                     "mistral-nemo", "qwen2.5", "deepseek-v3", "smollm2"]


def _bpe_json(tmp_path):
    tk = HFTokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                       show_progress=False, special_tokens=["<eos>"]))
    p = tmp_path / "bpe" / "tokenizer.json"
    p.parent.mkdir()
    tk.save(str(p))
    return p


def _sp_model(tmp_path, model_type: str):
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS), model_writer=buf, vocab_size=400, hard_vocab_limit=False,
                                   model_type=model_type, byte_fallback=True, character_coverage=1.0,
                                   normalization_rule_name="identity", minloglevel=2)
    p = tmp_path / f"{model_type}.model"
    p.write_bytes(buf.getvalue())
    return p


def test_zoo_names_resolve_and_are_available():
    for name in MUST_BE_AVAILABLE:
        entry = zoo.lookup(name)
        assert entry is not None, name
        assert zoo.locate(entry) is not None, f"{name} must be available after the README set-up"


def test_tokenizers_json_shape():
    run = run_tok("--json", "tokenizers")
    assert run.code == 0, run.err
    rows = {r["name"]: r for r in run.json()["tokenizers"]}
    for name in MUST_BE_AVAILABLE:
        canon = zoo.lookup(name).name
        row = rows[canon]
        assert row["available"] is True
        assert {"name", "vocab_size", "merges", "available", "license"} <= set(row)
    assert rows["gpt2"]["merges"] == 50000 and rows["gpt2"]["vocab_size"] == 50257
    assert rows["gpt4o"]["merges"] == 199742
    assert rows["llama2"]["available"] is False and "TOK_LLAMA2_PATH" in rows["llama2"]["reason"]


def test_real_vocab_facts():
    assert load_tokenizer("gpt4").encode("hello world") == [15339, 1917]
    assert load_tokenizer("gpt4o").encode("hello world") == [24912, 2375]
    assert load_tokenizer("gpt2").encode(" the") == [262]
    m = load_tokenizer("mistral")
    assert m.byte_fallback and not m.byte_level and m.vocab_size == 32000


def test_hf_bpe_json_and_folder(tmp_path):
    p = _bpe_json(tmp_path)
    for spec in (p, p.parent):
        tok = load_tokenizer(spec)
        assert tok.is_bpe and tok.byte_level
        ids = tok.encode("hello world")
        assert tok.decode(ids) == "hello world"
        assert len(tok.merges()) == len(json.loads(p.read_text())["model"]["merges"])
        assert tok.specials == {"<eos>": 0}


def test_unigram_and_wordpiece_json(tmp_path):
    uni = HFTokenizer(models.Unigram())
    uni.pre_tokenizer = pre_tokenizers.Metaspace()
    uni.train_from_iterator(CORPUS, trainers.UnigramTrainer(vocab_size=60, show_progress=False, unk_token="<unk>",
                                                            special_tokens=["<unk>"]))
    up = tmp_path / "uni.json"
    uni.save(str(up))
    tok = load_tokenizer(up)
    assert tok.algorithm == "unigram" and tok.encode("hello")
    with pytest.raises(InputError, match="not BPE"):
        tok.merges()
    wp = HFTokenizer(models.WordPiece(unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer()
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=120, show_progress=False, special_tokens=["[UNK]"]))
    wpp = tmp_path / "wp.json"
    wp.save(str(wpp))
    tok = load_tokenizer(wpp)
    assert tok.algorithm == "wordpiece"
    assert tok.pretokenize("Hello, world") == ["hello", ",", "world"]


def test_sentencepiece_bpe_and_unigram(tmp_path):
    bpe = load_tokenizer(_sp_model(tmp_path, "bpe"))
    ref = spm.SentencePieceProcessor(model_file=str(tmp_path / "bpe.model"))
    for text in ["hello world", "Merhaba dünya  ok", "日本 x"]:
        assert bpe.encode(text) == ref.encode(text)
    assert bpe.merges() and bpe.byte_fallback
    uni = load_tokenizer(_sp_model(tmp_path, "unigram"))
    ref = spm.SentencePieceProcessor(model_file=str(tmp_path / "unigram.model"))
    assert uni.encode("hello world") == ref.encode("hello world")
    assert uni.algorithm == "unigram"
    run = run_tok("merges", str(tmp_path / "unigram.model"), "-o", str(tmp_path / "m.txt"))
    assert_clean_error(run, "not BPE")
    assert not (tmp_path / "m.txt").exists()


def test_tiktoken_file_with_pattern_or_known_hash(tmp_path):
    ranks = {bytes([i]): i for i in range(256)}
    ranks[b"ab"] = 256
    ranks[b"abc"] = 257
    p = tmp_path / "toy.tiktoken"
    p.write_text("".join(f"{base64.b64encode(k).decode()} {v}\n" for k, v in ranks.items()))
    run = run_tok("inspect", str(p))
    assert_clean_error(run, "--pattern")
    tok = load_tokenizer(p, pattern=r"\w+|\s+|[^\w\s]+")
    assert tok.encode("abc ab") == [257, 32, 256]
    assert tok.merges() == [(b"a", b"b"), (b"ab", b"c")]
    gz = zoo.data_dir() / "tokenizers" / "cl100k_base.tiktoken.gz"
    assert load_tokenizer(gz).encode("hello world") == [15339, 1917]  # pattern recognised by hash


def _gguf(path, tokens, merges, types, pre="gpt-2"):
    def s(x: bytes):
        return struct.pack("<Q", len(x)) + x

    kv = [(b"tokenizer.ggml.model", 8, s(b"gpt2")), (b"tokenizer.ggml.pre", 8, s(pre.encode())),
          (b"tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, len(tokens)) + b"".join(s(t.encode()) for t in tokens)),
          (b"tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, len(types)) + b"".join(struct.pack("<i", t) for t in types)),
          (b"tokenizer.ggml.merges", 9, struct.pack("<IQ", 8, len(merges)) + b"".join(s(m.encode()) for m in merges))]
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv))
    for k, t, v in kv:
        body += s(k) + struct.pack("<I", t) + v
    path.write_bytes(body)


def test_gguf(tmp_path):
    from tokforensics.tokenizer.bytemap import byte_to_char

    alphabet = [byte_to_char()[b] for b in range(256)]
    tokens = ["<|endoftext|>"] + alphabet + ["he", "hel", "hell", "hello"]
    merges = ["h e", "he l", "hel l", "hell o"]
    p = tmp_path / "m.gguf"
    _gguf(p, tokens, merges, [3] + [1] * (len(tokens) - 1))
    tok = load_tokenizer(p)
    assert tok.encode("hello") == [tokens.index("hello")]
    assert tok.specials == {"<|endoftext|>": 0}
    assert len(tok.merges()) == 4


@pytest.mark.parametrize("content,needle", [
    (b'{"model": {"type": "BPE", "vocab": {"a": 0}', "corrupt or truncated"),
    (b"\x00\x01\x02binary\xff\xfe" * 10, "not a recognised tokenizer"),
    (b"", "empty"),
    (b'{"hello": 1}', "no 'model' section"),
    (b"GGUF\x03\x00\x00\x00", "not a readable GGUF"),
])
def test_bad_files_give_one_clear_line(tmp_path, fresh_cache, content, needle):
    p = tmp_path / "bad.json"
    p.write_bytes(content)
    run = run_tok("inspect", str(p))
    assert_clean_error(run, needle)
    assert len(run.err.strip().splitlines()) == 1
    leftovers = [f for f in fresh_cache.rglob("*") if f.is_file()] if fresh_cache.exists() else []
    assert not leftovers, f"cache entries left behind: {leftovers}"


def test_missing_file_and_unknown_name():
    assert_clean_error(run_tok("inspect", "/no/such/tokenizer.json"), "no such file")
    run = run_tok("inspect", "gtp4o")
    assert_clean_error(run, "unknown tokenizer", "gpt4o")
    assert_clean_error(run_tok("inspect", "llama2"), "TOK_LLAMA2_PATH")


def test_hash_mismatch_is_refused(monkeypatch, fresh_cache):
    rows = dict(zoo.manifest())
    rows["r50k_base.tiktoken.gz"] = {**rows["r50k_base.tiktoken.gz"], "sha256_original": "0" * 64}
    monkeypatch.setattr(zoo, "manifest", lambda: rows)
    run = run_tok("inspect", "gpt2")
    assert_clean_error(run, "does not match the sha256")


def test_manifest_lists_every_shipped_tokenizer_with_correct_hash():
    from tokforensics.cache import sha256_file

    folder = zoo.data_dir() / "tokenizers"
    rows = zoo.manifest()
    shipped = sorted(p.name for p in folder.glob("*.gz"))
    assert shipped == sorted(rows)
    for name in shipped:
        row = rows[name]
        assert sha256_file(folder / name) == row["sha256"]
        assert row["licence"] in {"MIT", "Apache-2.0"}
        assert row["source_package"] and row["version"]


def test_merges_export_and_encode_cli(tmp_path):
    out = tmp_path / "merges.txt"
    run = run_tok("merges", "gpt2", "-o", str(out))
    assert run.code == 0, run.err
    lines = out.read_text().splitlines()
    assert lines[0] == "#version: 0.2" and len(lines) == 50001
    assert lines[1] == "Ġ t"  # GPT-2's first merge
    run = run_tok("--json", "encode", "gpt4o", "hello world")
    assert run.json()["ids"] == [24912, 2375]
    # every output creates the folders it needs, as reports and --junit always did
    run = run_tok("merges", "gpt2", "-o", str(tmp_path / "new" / "dir" / "m.txt"))
    assert run.code == 0, run.err
    assert (tmp_path / "new" / "dir" / "m.txt").read_text().splitlines()[1] == "Ġ t"
    (tmp_path / "file").write_text("x")
    run = run_tok("merges", "gpt2", "-o", str(tmp_path / "file" / "m.txt"))
    assert_clean_error(run, "is not a folder")


def test_inspect_json_has_number_splits():
    res = run_tok("--json", "inspect", "gpt4o").json()
    splits = {s["text"]: s["pieces"] for s in res["number_splits"]}
    assert splits["1234567"] == ["123", "456", "7"]
    assert res["info"]["merges"] == 199742 and res["tokenizer"]["label"] == "gpt4o"
    mistral = run_tok("--json", "inspect", "mistral").json()
    assert mistral["info"]["byte_fallback"] is True


@pytest.mark.parametrize("suffix, magic", [(".gz", b"\x1f\x8b"), (".xz", b"\xfd7zXZ\x00"),
                                           (".zst", b"\x28\xb5\x2f\xfd")])
def test_export_compresses_by_suffix_and_loads_back(tmp_path, suffix, magic):
    plain, packed = tmp_path / "gpt2.json", tmp_path / f"gpt2.json{suffix}"
    assert run_tok("export", "gpt2", "--out", str(plain)).code == 0
    assert run_tok("export", "gpt2", "--out", str(packed)).code == 0
    assert packed.read_bytes().startswith(magic)
    assert len(packed.read_bytes()) < plain.stat().st_size / 2
    a, b = load_tokenizer(plain), load_tokenizer(packed)
    assert a.encode("tokenizer forensics 12345") == b.encode("tokenizer forensics 12345")
    assert a.vocab_size == b.vocab_size


def test_compressed_output_is_deterministic_and_content_is_sniffed(tmp_path):
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    run_tok("export", "gpt2", "--out", str(first))
    run_tok("export", "gpt2", "--out", str(second))
    assert first.read_bytes() == second.read_bytes()  # no timestamp, no file name in the gzip header
    # loading goes by content: a plain file named .gz and an xz file without a suffix both load
    plain_named_gz = tmp_path / "plain.json.gz"
    plain_named_gz.write_bytes(gzip.decompress(first.read_bytes()))
    xz_unnamed = tmp_path / "tokenizer"
    xz_unnamed.write_bytes(lzma.compress(plain_named_gz.read_bytes()))
    assert load_tokenizer(plain_named_gz).vocab_size == load_tokenizer(xz_unnamed).vocab_size


def test_damaged_compressed_tokenizer_is_one_line(tmp_path):
    packed = tmp_path / "gpt2.json.xz"
    run_tok("export", "gpt2", "--out", str(packed))
    cut = tmp_path / "cut.json.xz"
    cut.write_bytes(packed.read_bytes()[:200])
    assert_clean_error(run_tok("inspect", str(cut)), "damaged", "export it again")
