"""Exactness of the byte-level engine against brute-force enumeration, on tiny tokenizers of both kinds."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from tokforensics.bytelevel.canon import Canon
from tokforensics.bytelevel.engine import EOS, ByteLevelLM
from tokforensics.bytelevel.reference import Reference
from tokforensics.bytelevel.synthetic import TableLM
from tokforensics.tokenizer.view import load_tokenizer

CORPUS = [
    "the cat sat on the mat", "then the other cat ate", "café au lait, très bien", "the theatre is there",
    "año mañana niño", "price: 5€ or 10€", "中文 中文 中国", "hello  world!!", "a b c abc abcabc",
    "the then there these those", "café café crème", "x=1; y=22; z=333", "tea tee ten tent",
]
SP_CORPUS = [
    "the cat sat on the mat", "then the other cat ate", "café au lait très bien", "the theatre is there",
    "hello  world", "a b c abc abcabc", "tea tee ten tent", "the then there these those",
]


def _bytelevel_tokenizer(path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=256 + 48, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(CORPUS * 3, trainer)
    tok.save(str(path))
    return load_tokenizer(path)


def _sp_tokenizer(path):
    """SentencePiece-style BPE: ▁ for spaces, a dummy prefix, <0xNN> byte fallback, pieces never cross ▁."""
    import json

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    base = Tokenizer(models.BPE(unk_token="<unk>"))
    base.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    base.pre_tokenizer = pre_tokenizers.Split("▁", "merged_with_next")
    trainer = trainers.BpeTrainer(vocab_size=60, show_progress=False, special_tokens=["<unk>", "<s>", "</s>"])
    base.train_from_iterator(SP_CORPUS * 3, trainer)
    doc = json.loads(base.to_str())
    trained = doc["model"]["vocab"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for piece, _ in sorted(trained.items(), key=lambda kv: kv[1]):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in doc["model"]["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens(["<unk>", "<s>", "</s>"])
    tok.save(str(path))
    return load_tokenizer(path)


@pytest.fixture(scope="module")
def bl_tok(tmp_path_factory):
    return _bytelevel_tokenizer(tmp_path_factory.mktemp("bl") / "tokenizer.json")


@pytest.fixture(scope="module")
def sp_tok(tmp_path_factory):
    return _sp_tokenizer(tmp_path_factory.mktemp("sp") / "tokenizer.json")


def _prefixes(texts: list[str], n: int, seed: int, max_len: int = 9) -> list[bytes]:
    """Random byte prefixes (mid-token and mid-character ones included) of random slices of the texts."""
    rng = random.Random(seed)
    out: set[bytes] = set()
    while len(out) < n:
        t = rng.choice(texts).encode()
        a = rng.randrange(len(t))
        if t[a] & 0xC0 == 0x80:
            continue
        out.add(t[a:a + rng.randint(1, max_len)])
    return sorted(out)


def test_tokenizer_kinds(bl_tok, sp_tok):
    assert bl_tok.byte_level and not bl_tok.byte_fallback
    assert sp_tok.byte_fallback and not sp_tok.byte_level
    assert Canon(bl_tok).kind == "byte-level" and Canon(sp_tok).kind == "byte-fallback"
    assert Canon(sp_tok).dummy and not Canon(bl_tok).dummy
    # é is a piece of the SentencePiece-style vocabulary; ñ and € only exist as bytes
    assert [sp_tok.token_bytes[i] for i in sp_tok.encode("ñ")][-2:] == [b"\xc3", b"\xb1"]


@pytest.mark.parametrize("kind", ["bl", "sp"])
@pytest.mark.parametrize("canonical", [False, True])
def test_prefix_probability_matches_brute_force(kind, canonical, bl_tok, sp_tok):
    tok = bl_tok if kind == "bl" else sp_tok
    ref = Reference(tok)
    lm = TableLM(tok, seed=3, canonical=canonical, reference=ref)
    eng = ByteLevelLM(lm, window_pieces=2)  # short windows so that committing is exercised too
    texts = CORPUS if kind == "bl" else SP_CORPUS + ["año € ñ", "café €5"]
    pre = _prefixes(texts, 24 if canonical else 40, seed=11 if canonical else 12)
    mid_char = [p for p in pre if p.decode("utf-8", "ignore").encode() != p]
    for x in pre:
        want = ref.prefix_logprob(lm, x)
        got = eng.logprob(x)
        assert got == pytest.approx(want, abs=1e-9), x
    longer = ["the cat sat on the mat", "then the other cat ate", "the theatre is there, café"]
    if kind == "bl":
        longer += ["price: 5€ or 10€", "中文 中文 中国"]
    cut = [t.encode()[:k] for t in longer for k in ((17, 25) if canonical else (13, 17, 22, 25))]
    for x in cut + [b"caf\xc3", b"\xe4\xb8", "año".encode()[:2], "5€".encode()[:3]]:
        if kind == "sp" and x.startswith(b"\xe4"):
            continue
        assert eng.logprob(x) == pytest.approx(ref.prefix_logprob(lm, x), abs=1e-9), x
    assert mid_char or kind == "sp"


@pytest.mark.parametrize("kind", ["bl", "sp"])
def test_next_byte_distribution(kind, bl_tok, sp_tok):
    tok = bl_tok if kind == "bl" else sp_tok
    ref = Reference(tok)
    lm = TableLM(tok, seed=5, canonical=False)
    eng = ByteLevelLM(lm, window_pieces=2)
    cases = [b"", b"th", b"the c", b"caf\xc3", b"abc a"] if kind == "bl" else [b"", b"the c", b"caf\xc3"]
    for x in cases:
        nb = eng.next_bytes(x)
        want = ref.next_masses(lm, x)
        lo, up = eng.state(x).log_masses(exact=True)
        got = np.exp(lo)
        assert np.allclose(got, want, atol=1e-12, rtol=1e-9), x
        assert nb.probs.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.array_equal(lo, up)


@pytest.mark.parametrize("kind", ["bl", "sp"])
def test_canonical_model_chain_rule(kind, bl_tok, sp_tok):
    """For a model of canonical sequences: no leak, next-byte masses sum to P(x), chain rule gives P(x)."""
    tok = bl_tok if kind == "bl" else sp_tok
    ref = Reference(tok)
    lm = TableLM(tok, seed=7, canonical=True, reference=ref)
    eng = ByteLevelLM(lm, window_pieces=2)
    text = ("the café theatre" if kind == "bl" else "the café then").encode()
    st = eng.state(b"")
    chain = 0.0
    for k, c in enumerate(text):
        nb = st.next_bytes()
        assert nb.leak == pytest.approx(0.0, abs=1e-9)
        lo, _ = st.log_masses()
        assert math.exp(np.logaddexp.reduce(lo)) == pytest.approx(math.exp(st.logprob()), rel=1e-9)
        chain += math.log(nb.probs[c])
        st.push(c)
        assert st.logprob() == pytest.approx(chain, abs=1e-9), text[:k + 1]
    assert st.logprob() == pytest.approx(ref.prefix_logprob(lm, text), abs=1e-9)
    # end of text: only the canonical tokenization may end, so the byte-level figure is the token-level one
    ids = tuple(tok.encode(text.decode()))
    tok_level = lm.score([[lm.bos_id]], [list(ids) + [lm.eos_id]])[0]
    assert st.end_logprob() == pytest.approx(tok_level, abs=1e-9)


@pytest.mark.parametrize("kind", ["bl", "sp"])
def test_streaming_equals_batch_and_forks(kind, bl_tok, sp_tok):
    tok = bl_tok if kind == "bl" else sp_tok
    lm = TableLM(tok, seed=9)
    eng = ByteLevelLM(lm, window_pieces=2)
    text = b"the cat sat on the mat, then the theatre"
    st = eng.state(b"")
    for k, c in enumerate(text):
        if k % 5 == 0:
            st.next_bytes()  # full groups on some steps, filtered ones on others
        st.push(c)
        if k % 7 == 3:
            fork = st.fork()
            fork.push(ord("z"))
            assert fork.logprob() == pytest.approx(eng.logprob(text[:k + 1] + b"z"), abs=1e-9)
        assert st.logprob() == pytest.approx(eng.logprob(text[:k + 1]), abs=1e-9)
    assert st.q > 20 and len(st.trunk) > 5  # the prefix was committed, not kept in the lattice


@pytest.mark.parametrize("kind", ["bl", "sp"])
def test_greedy_and_sampling_are_exact(kind, bl_tok, sp_tok):
    tok = bl_tok if kind == "bl" else sp_tok
    lm = TableLM(tok, seed=13)
    eng = ByteLevelLM(lm)
    for prompt in [b"the c", b"caf", b"abc"]:
        st = eng.state(prompt)
        full = st.fork().next_bytes().probs
        assert eng.greedy_byte(st.fork()).byte == int(np.argmax(full))
        cdf = np.cumsum(full)
        for u in [0.0, 0.1, 0.37, 0.5, 0.93, 0.999]:
            want = int(np.searchsorted(cdf, u, side="right"))
            assert eng.sample_byte(st.fork(), u).byte == want
    out, _ = eng.generate(b"the ", 12, seed=1)
    out2, _ = eng.generate(b"the ", 12, seed=1)
    assert out == out2


def test_end_of_text_bucket(bl_tok):
    lm = TableLM(bl_tok, seed=2)
    eng = ByteLevelLM(lm)
    ref = Reference(bl_tok)
    nb = eng.next_bytes(b"the cat")
    want = ref.next_masses(lm, b"the cat")
    assert nb.probs[EOS] == pytest.approx(want[EOS] / want.sum(), rel=1e-9)
    assert eng.next_bytes(b"caf\xc3").probs[EOS] == 0.0  # no end of text inside a character


def test_byte_fallback_completion_classes(sp_tok):
    """One non-piece character stands for all of them: the reduced search agrees with the exhaustive one."""
    fast, slow = Reference(sp_tok), Reference(sp_tok, exhaustive=True)
    canon = Canon(sp_tok)
    bt = sp_tok.byte_token_ids
    sp = sp_tok.encode(" ")[0]
    caf = sp_tok.encode("caf")
    cases = [(bt[0xC3],), (sp, bt[0xC3]), (*caf, bt[0xC3]), (*caf, bt[0xE2]), (*caf, bt[0xE2], bt[0x82]),
             (*sp_tok.encode("a"), bt[0xC3]), (*caf, bt[0xC3], bt[0xA9])]
    for toks in cases:
        assert fast.canonical(toks) == slow.canonical(toks), toks
    assert len(canon.completion_classes(b"\xc3")) < len(slow.completions(b"\xc3"))
    assert fast.canonical((*caf, bt[0xC3])) and not fast.canonical((bt[0xC3],))


def test_bad_text_is_refused(bl_tok):
    from tokforensics.errors import InputError

    eng = ByteLevelLM(TableLM(bl_tok, seed=1))
    with pytest.raises(InputError, match="not valid UTF-8"):
        eng.state(b"ab\xffcd")
    with pytest.raises(InputError, match="not valid UTF-8"):
        eng.check_text(b"caf\xc3", allow_partial=False)
    assert eng.state(b"caf\xc3").logprob() > -math.inf  # a cut last character is a prefix, and fine
    st = eng.state(b"the")
    st.push(0xA9)  # a continuation byte after ASCII: no canonical sequence spells it
    assert st.logprob() == -math.inf
