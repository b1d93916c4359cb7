"""Every zoo tokenizer against its reference implementation, and its exported merges + pretokenizer
replayed by a plain-Python BPE against its own encoding: zero mismatches allowed."""

from __future__ import annotations

import gzip
import json

import pytest
import sentencepiece as spm
import tiktoken
from tokenizers import Tokenizer as HFTokenizer

from tokforensics.tokenizer import zoo
from tokforensics.tokenizer.view import load_tokenizer

from .bpe_reference import MergeReplay
from .textgen import clean_surrogates, make_texts

N_TEXTS = 5000

# tiktoken's own patterns (possessive quantifiers, `$`), to check the Oniguruma forms we ship against them.
TIKTOKEN_PATTERNS = {
    "gpt2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""",
    "p50k": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""",
    "gpt4": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
}

AVAILABLE = [e.name for e in zoo.ENTRIES if zoo.locate(e) is not None]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return make_texts(N_TEXTS, seed=1234)


def _mismatches(ours: list[list[int]], ref: list[list[int]], texts: list[str]) -> list[str]:
    bad = [f"{t!r}: ours={a[:12]} ref={b[:12]}" for t, a, b in zip(texts, ours, ref, strict=True) if a != b]
    return bad


def _reference(name: str, tok, texts: list[str]) -> list[list[int]]:
    entry = zoo.lookup(name)
    path = zoo.locate(entry)
    raw = path.read_bytes()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    clean = [clean_surrogates(t) for t in texts]
    if entry.format == "sentencepiece":
        sp = spm.SentencePieceProcessor(model_proto=data)
        return sp.encode(clean)
    if entry.format == "hf_json":
        return [e.ids for e in HFTokenizer.from_str(data.decode("utf-8")).encode_batch(clean, add_special_tokens=False)]
    # tiktoken-style files: the OpenAI ones against tiktoken with tiktoken's own pattern; every one of them
    # also against the exported tokenizer.json run by `tokenizers` (an independent BPE implementation).
    if name in TIKTOKEN_PATTERNS or name == "gpt4o":
        import base64

        ranks = {base64.b64decode(a): int(b) for a, b in (line.split() for line in data.splitlines() if line)}
        pat = TIKTOKEN_PATTERNS.get(name, tok.pattern)
        enc = tiktoken.Encoding(name, pat_str=pat, mergeable_ranks=ranks, special_tokens=tok.specials)
        return enc.encode_batch(clean, allowed_special="all")
    hf = HFTokenizer.from_str(tok.hf_json())
    return [e.ids for e in hf.encode_batch(clean, add_special_tokens=False)]


@pytest.mark.parametrize("name", AVAILABLE)
def test_encode_matches_reference(name, texts):
    tok = load_tokenizer(name)
    ours = tok.encode_batch([clean_surrogates(t) for t in texts])
    bad = _mismatches(ours, _reference(name, tok, texts), texts)
    assert not bad, f"{name}: {len(bad)} mismatches of {len(texts)}, first: {bad[:3]}"


@pytest.mark.parametrize("name", AVAILABLE)
def test_exported_tokenizer_json_matches(name, texts):
    tok = load_tokenizer(name)
    doc = tok.hf_json()
    assert doc is not None
    hf = HFTokenizer.from_str(doc)
    clean = [clean_surrogates(t) for t in texts]
    ours = tok.encode_batch(clean)
    exported = [e.ids for e in hf.encode_batch(clean, add_special_tokens=False)]
    bad = _mismatches(ours, exported, texts)
    assert not bad, f"{name}: {len(bad)} mismatches, first: {bad[:3]}"


@pytest.mark.parametrize("name", AVAILABLE)
def test_merge_replay_reproduces_encoding(name, texts):
    tok = load_tokenizer(name)
    ignore_merges = bool(json.loads(tok.hf_json())["model"].get("ignore_merges"))
    replay = MergeReplay(tok, ignore_merges=ignore_merges)
    clean = [clean_surrogates(t) for t in texts]
    ours = tok.encode_batch(clean)
    replayed = [replay.encode(t) for t in clean]
    bad = _mismatches(replayed, ours, texts)
    assert not bad, f"{name}: {len(bad)} mismatches, first: {bad[:3]}"
