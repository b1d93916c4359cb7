"""Vocabulary statistics and reachability on tiny BPE, Unigram and WordPiece tokenizers (hand-computed)."""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from tokforensics.metrics import alphabets, vocab
from tokforensics.tokenizer.bytemap import bytes_to_symbols
from tokforensics.tokenizer.view import load_tokenizer


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "cache"))


def build_bpe(path) -> str:
    """Byte-level BPE: 256 byte tokens, merges a+b, Ġ+ab, Ã+§ (ç), and one special <|end|>."""
    vocab_ = {bytes_to_symbols(bytes([b])): b for b in range(256)}
    merges = [("a", "b"), ("Ġ", "ab"), ("Ã", "§")]
    for a, b in merges:
        vocab_[a + b] = len(vocab_)
    t = Tokenizer(models.BPE(vocab=vocab_, merges=merges))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens(["<|end|>"])
    p = str(path / "bpe.tokenizer.json")
    t.save(p)
    return p


def build_unigram(path) -> str:
    pieces = [("<unk>", 0.0), ("▁", -2.0), ("a", -3.0), ("b", -3.0), ("▁ab", -1.0), ("ab", -2.5), ("▁a", -2.0),
              ("c", -3.0)]
    t = Tokenizer(models.Unigram(pieces, unk_id=0))
    t.pre_tokenizer = pre_tokenizers.Metaspace()
    t.decoder = decoders.Metaspace()
    p = str(path / "uni.tokenizer.json")
    t.save(p)
    return p


def build_wordpiece(path) -> str:
    v = {"[UNK]": 0, "[CLS]": 1, "a": 2, "b": 3, "##a": 4, "##b": 5, "ab": 6, ".": 7, "x": 8}
    t = Tokenizer(models.WordPiece(v, unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.decoder = decoders.WordPiece()
    t.add_special_tokens(["[UNK]", "[CLS]"])
    p = str(path / "wp.tokenizer.json")
    t.save(p)
    return p


def test_bpe_categories_by_hand(tmp_path):
    tok = load_tokenizer(build_bpe(tmp_path))
    st = vocab.vocab_stats(tok)
    # 128 ASCII bytes: 52 letters (char_alpha) + 76 others; 128 high bytes are raw byte tokens;
    # merges: "ab" inner_alpha, " ab" spaced_alpha, "ç" one letter (char_alpha); one special.
    assert st.used == 260 and st.vocab_size == 260
    assert st.categories == {"char_alpha": 53, "char_other": 76, "spaced_alpha": 1, "spaced_other": 0,
                             "inner_alpha": 1, "inner_other": 0, "flank": 0, "byte": 128, "special": 1}
    assert st.shares["byte"] == pytest.approx(128 / 260)
    assert st.scripts == {"Latin": 55}
    assert st.reachability == {"ok": 131, "unreachable_single": 0, "unreachable_multi": 0, "undecodable": 128,
                               "special_ok": 1, "special_unreachable": 0}


def test_unigram_categories_and_reachability(tmp_path):
    tok = load_tokenizer(build_unigram(tmp_path))
    st = vocab.vocab_stats(tok)
    # <unk> is the unknown token (special); ▁ is one space (char_other); a b c letters; ▁ab ▁a spaced; ab inner
    assert st.categories == {"char_alpha": 3, "char_other": 1, "spaced_alpha": 2, "spaced_other": 0,
                             "inner_alpha": 1, "inner_other": 0, "flank": 0, "byte": 0, "special": 1}
    for tid in range(tok.vocab_size):
        assert vocab.reachability_reference(tok, tid) in vocab.REACH
    # hand: ab (after "§") -> [▁, <unk>, ab]; ▁ab <- "ab"; ▁a <- "a"
    assert vocab.reachability_reference(tok, 5) == "ok"
    assert vocab.reachability_reference(tok, 4) == "ok"
    assert vocab.reachability_reference(tok, 6) == "ok"
    _vectorised_matches_reference(tok, st)


def test_wordpiece_categories_and_reachability(tmp_path):
    tok = load_tokenizer(build_wordpiece(tmp_path))
    st = vocab.vocab_stats(tok)
    # word-initial a, b, ab, x are " a", " b", " ab", " x" (spaced_alpha); " ." spaced_other; ##a ##b one letter
    assert st.categories == {"char_alpha": 2, "char_other": 0, "spaced_alpha": 4, "spaced_other": 1,
                             "inner_alpha": 0, "inner_other": 0, "flank": 0, "byte": 0, "special": 2}
    # ##a is reached after "x" (x ##a); everything else directly
    assert st.reachability["ok"] == 7
    assert st.reachability["special_ok"] == 2
    _vectorised_matches_reference(tok, st)


def _vectorised_matches_reference(tok, st):
    counts = {r: 0 for r in vocab.REACH}
    for tid in range(tok.vocab_size):
        if tok.token_bytes[tid]:
            counts[vocab.reachability_reference(tok, tid)] += 1
    assert counts == st.reachability


def test_bpe_reachability_matches_reference(tmp_path):
    tok = load_tokenizer(build_bpe(tmp_path))
    st = vocab.vocab_stats(tok, use_cache=False)
    _vectorised_matches_reference(tok, st)


def test_flank_tokens_and_unreachable(tmp_path):
    # a byte-level vocabulary with a cut character (b"\xc3" + b"\xa7" merged wrongly as two halves) and a token
    # that BPE never produces from its own text ("ba": no merge b+a, so "ba" encodes to [b, a])
    vocab_ = {bytes_to_symbols(bytes([b])): b for b in range(256)}
    vocab_["Ġ" + "Ã"] = 256  # " \xc3": a space and half of a character
    vocab_["ba"] = 257
    t = Tokenizer(models.BPE(vocab=vocab_, merges=[("Ġ", "Ã")]))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    p = tmp_path / "flank.json"
    t.save(str(p))
    tok = load_tokenizer(str(p))
    st = vocab.vocab_stats(tok)
    assert st.categories["flank"] == 1
    assert st.categories["inner_alpha"] == 1
    assert st.reachability["unreachable_multi"] == 1
    assert st.examples["unreachable_multi"] == ["ba"]
    assert st.reachability["undecodable"] == 129


def test_cache_roundtrip(tmp_path):
    tok = load_tokenizer(build_bpe(tmp_path))
    a = vocab.vocab_stats(tok)
    b = vocab.vocab_stats(tok)
    assert not a.cached and b.cached
    assert a.categories == b.categories and a.reachability == b.reachability and a.languages == b.languages


def test_language_attribution_by_hand(tmp_path):
    tok = load_tokenizer(build_bpe(tmp_path))
    st = vocab.vocab_stats(tok)
    with_c = [c for c in alphabets.CODES if "ç" in alphabets.ALPHABETS[c][2]]
    assert sorted(alphabets.languages_of("ç")) == sorted(with_c)
    assert set(with_c) >= {"fr", "pt", "tr", "az", "ca", "sq"}
    assert "tr" not in alphabets.languages_of("q") and "en" in alphabets.languages_of("q")
    # the Latin alphabetic tokens: 52 ASCII letters, "ab", " ab", "ç"; each gives 1/k to its k languages
    tokens = [chr(c) for c in range(65, 91)] + [chr(c) for c in range(97, 123)] + ["ab", "ab", "ç"]
    expected = dict.fromkeys(alphabets.CODES, 0.0)
    for t in tokens:
        langs = alphabets.languages_of(t)
        for c in langs:
            expected[c] += 1 / len(langs)
    for c in alphabets.CODES:
        assert st.languages.get(c, 0.0) == pytest.approx(expected[c], abs=1e-3)
    assert sum(st.languages.values()) + st.languages_unattributed == pytest.approx(55, abs=1e-2)
    # by hand: the letters q, w, x (6 tokens with upper case) are not Turkish, ç is not English
    assert all("tr" not in alphabets.languages_of(x) for x in "qwxQWX")
    assert "en" not in alphabets.languages_of("ç")


def test_char_masks_match_reference():
    words = ["the", "şey", "ağaç", "straße", "кот", "їжак", "xyz", "ñandú", "ǆ"]
    for w in words:
        from tokforensics.metrics.chars import codepoints

        m = alphabets.char_masks(codepoints(w))
        full = (1 << len(alphabets.CODES)) - 1
        mask = full
        for x in m.tolist():
            mask &= int(x)
        got = [c for b, c in enumerate(alphabets.CODES) if mask >> b & 1]
        assert got == alphabets.languages_of(w)
    assert alphabets.languages_of("їжак") == ["uk"]
    assert np.all(alphabets.char_masks(codepoints("123")) == 0)


def test_scripts_of_mixed_tokens(tmp_path):
    vocab_ = {bytes_to_symbols(bytes([b])): b for b in range(256)}
    for s in ("кот", "aк", "日本", "αβ"):
        vocab_[bytes_to_symbols(s.encode())] = len(vocab_)
    t = Tokenizer(models.BPE(vocab=vocab_, merges=[]))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    p = tmp_path / "scripts.json"
    t.save(str(p))
    st = vocab.vocab_stats(load_tokenizer(str(p)))
    assert st.scripts["Cyrillic"] == 1 and st.scripts["Mixed"] == 1 and st.scripts["Han"] == 1
    assert st.scripts["Greek"] == 1 and st.scripts["Latin"] == 52
    assert st.languages_unattributed == 0


def build_sp_unigram(path) -> str:
    """A real SentencePiece Unigram .model, trained on a few lines (no byte fallback)."""
    import sentencepiece as spm

    text = path / "sp.txt"
    text.write_text("\n".join(["evler evlerde evlerden ev", "kitaplar kitap kitaplarda", "bir iki üç dört beş",
                               "insan hakları evrensel beyannamesi"] * 20), "utf-8")
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(path / "sp"), vocab_size=36,
                                   model_type="unigram", character_coverage=1.0, minloglevel=2)
    return str(path / "sp.model")


def test_sentencepiece_unigram_model(tmp_path):
    from tokforensics.metrics import corpus as C
    from tokforensics.metrics.sources import from_texts

    tok = load_tokenizer(build_sp_unigram(tmp_path))
    assert tok.algorithm == "unigram"
    st = vocab.vocab_stats(tok)
    assert st.categories["special"] == 3  # <unk> <s> </s>
    assert st.reachability["special_unreachable"] == 3
    _vectorised_matches_reference(tok, st)
    cs = C.corpus_stats(tok, from_texts("t", ["evlerde kitap", "qqq ev"]))
    assert cs.unknown_chars == 3 and cs.unk_tokens >= 1
    assert cs.roundtrip.lossless_segments == 1 and cs.roundtrip.kinds == {"unknown": 1}
    ref = C.word_stats_reference(tok, ["evlerde kitap", "qqq ev"])
    assert cs.split_word_ratio == pytest.approx(ref["split"])
