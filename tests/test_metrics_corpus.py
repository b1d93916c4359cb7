"""Corpus efficiency, round trip, UNK and the corpus sources, checked by hand on tiny tokenizers."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest

from tests.test_metrics_vocab import build_bpe, build_unigram, build_wordpiece
from tokforensics.errors import InputError
from tokforensics.metrics import corpus as C
from tokforensics.metrics import sources
from tokforensics.tokenizer.view import load_tokenizer


def test_bpe_efficiency_by_hand(tmp_path):
    tok = load_tokenizer(build_bpe(tmp_path))
    corp = sources.from_texts("tiny", ["ab abab\nç"])
    assert corp.segments == ["ab abab", "ç"]
    st = C.corpus_stats(tok, corp, alpha=2.5)
    # "ab abab" -> ab | Ġab | ab ; "ç" -> ç
    assert tok.encode_batch(corp.segments) == [[256, 257, 256], [258]]
    assert st.tokens == 4
    assert st.bytes_per_token == pytest.approx(9 / 4)  # 7 + 2 bytes
    assert st.chars_per_token == pytest.approx(8 / 4)
    assert st.words == 3 and st.fertility_unit == "word" and st.fertility == pytest.approx(4 / 3)
    # letter-run words: ab (1 token), abab (Ġab + ab: 2), ç (1); the second "ab" continues "abab"
    assert st.split_word_ratio == pytest.approx(1 / 3)
    assert st.continued_word_ratio == pytest.approx(1 / 4)
    assert st.distinct_tokens == 3
    assert st.usable_vocab == 259  # 260 ids less one special
    assert st.vocab_utilisation == pytest.approx(3 / 259)
    # p = (1/2, 1/4, 1/4): Shannon 1.5 bits; Rényi of order a: log2(Σ p^a) / (1 - a)
    assert st.shannon_entropy == pytest.approx(1.5)
    assert st.shannon_efficiency == pytest.approx(1.5 / math.log2(259))
    ha = math.log2(0.5 ** 2.5 + 2 * 0.25 ** 2.5) / (1 - 2.5)
    assert st.renyi_entropy == pytest.approx(ha)
    assert st.renyi_efficiency == pytest.approx(ha / math.log2(259))
    assert st.renyi_efficiency == pytest.approx(C.renyi_reference([2, 1, 1], 2.5, 259))
    assert st.roundtrip.lossless_segments == 2 and st.roundtrip.lossless_share == 1.0
    assert st.unk_tokens == 0 and st.unknown_chars == 0
    assert [(w.word, w.tokens, w.pieces) for w in st.most_split] == [("abab", 2, [" ab", "ab"])]
    assert st.corpus.segments == 2 and st.corpus.bytes == 9


def test_shannon_is_alpha_one(tmp_path):
    tok = load_tokenizer(build_bpe(tmp_path))
    st = C.corpus_stats(tok, sources.from_texts("t", ["ab abab ab ç ab"]), alpha=1)
    assert st.renyi_entropy == pytest.approx(st.shannon_entropy)


def test_word_stats_match_reference(tmp_path):
    texts = ["ab abab ababab, ab.", "çab abç  ab", "  ab", "ç", "a b ba ab-ab 12ab"]
    for build in (build_bpe, build_unigram, build_wordpiece):
        tok = load_tokenizer(build(tmp_path))
        corp = sources.from_texts("t", texts)
        st = C.corpus_stats(tok, corp)
        ref = C.word_stats_reference(tok, corp.segments)
        assert st.continued_word_ratio == pytest.approx(ref["continued"]), build.__name__
        assert st.split_word_ratio == pytest.approx(ref["split"]), build.__name__
        if st.most_split:
            assert st.most_split[0].tokens == max(ref["tokens_per_word"])


@pytest.mark.parametrize("name", ["gpt2", "mistral"])  # byte-level, and SentencePiece-style (dummy prefix)
def test_word_stats_reference_on_real_tokenizer(name):
    tok = load_tokenizer(name)
    texts = ["Evlerinizde kitaplarımızdan gelmeyecekmişsiniz.", "The café's naïve façade — 日本語 テキスト!",
             "İnsan hakları evrensel beyannamesi", " leading space", "a"]
    st = C.corpus_stats(tok, sources.from_texts("t", texts))
    ref = C.word_stats_reference(tok, [t for t in texts])
    assert st.continued_word_ratio == pytest.approx(ref["continued"])
    assert st.split_word_ratio == pytest.approx(ref["split"])
    assert st.tokens == sum(len(tok.encode(t)) for t in texts)
    assert st.roundtrip.lossless_share == 1.0


def test_unigram_unknown_and_lossy_roundtrip(tmp_path):
    tok = load_tokenizer(build_unigram(tmp_path))
    corp = sources.from_texts("t", ["ab c x", "ab ab"])
    st = C.corpus_stats(tok, corp)
    ids = tok.encode("ab c x")
    assert ids.count(0) == 1  # x is unknown
    assert st.unk_tokens == 1 and st.unk_rate == pytest.approx(1 / st.tokens)
    assert st.unknown_chars == 1 and st.unknown_char_rate == pytest.approx(1 / 8)  # x of the 8 non-space characters
    assert st.unknown_char_examples == ["x"]
    assert st.roundtrip.lossless_segments == 1
    assert st.roundtrip.kinds == {"unknown": 1}
    ex = st.roundtrip.examples[0]
    assert ex.segment == 0 and ex.position == 5 and "<unk>" in ex.decoded and "x" in ex.original


def test_wordpiece_roundtrip_uses_the_decoder(tmp_path):
    tok = load_tokenizer(build_wordpiece(tmp_path))
    st = C.corpus_stats(tok, sources.from_texts("t", ["ab ba. x", "a  b"]))
    # "a  b" decodes as "a b": a dropped space
    assert st.roundtrip.lossless_segments == 1
    assert st.roundtrip.kinds == {"whitespace": 1}


def test_diff_helpers():
    assert C.first_diff("abcdef", "abXdef", context=1) == (2, "bcd", "bXd")
    assert C.classify_diff("a  b", "a b") == "whitespace"
    assert C.classify_diff("Ça", "ca") == "normalization"
    assert C.classify_diff("x", "<unk>", "<unk>") == "unknown"
    assert C.classify_diff("x", "\ufffd") == "unknown"
    assert C.classify_diff("abc", "abd") == "other"


def test_round_trip_and_fertility_entry_points(tmp_path):
    tok = load_tokenizer(build_unigram(tmp_path))
    rt = C.round_trip(tok, ["ab", "ab x"])
    assert rt.n_texts == 2 and rt.lossy_indices == [1]
    assert rt.lossy[0].kind == "unknown" and rt.lossy[0].offset == 3
    f = C.fertility(load_tokenizer("gpt2"), "udhr", ["en", "tr"])
    assert set(f.fertility) == {"eng", "tur"} and f.fertility["tur"] > f.fertility["eng"] > 1


def test_unspaced_script_uses_characters(tmp_path):
    tok = load_tokenizer("gpt2")
    corp = sources.from_texts("ja", ["日本語のテキストです。これは例です。"])
    st = C.corpus_stats(tok, corp)
    assert st.fertility_unit == "character"
    assert st.fertility == pytest.approx(st.tokens / len("日本語のテキストです。これは例です。"))


def test_sources_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        sources.from_path(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("\n  \n", "utf-8")
    with pytest.raises(InputError, match="empty"):
        sources.from_path(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8.*offset 3, line 1"):
        sources.from_path(tmp_path / "latin1.txt")
    d = tmp_path / "dir"
    d.mkdir()
    with pytest.raises(InputError, match="has no files"):
        sources.from_path(d)
    (d / "a.txt").write_text("one\ntwo\n", "utf-8")
    (d / "b.txt.gz").write_bytes(gzip.compress(b"three\n"))
    (d / ".hidden").write_text("skip", "utf-8")
    c = sources.from_path(d)
    assert c.segments == ["one", "two", "three"] and c.words == 3
    assert "2 files" in c.parts[0]


def test_default_corpus_turkish_adds_eval_text():
    c = sources.default_corpus("tr")
    info = c.info()
    assert c.language == "tur" and "tr_eval" in c.name
    assert info.segments > 2500 and info.characters > 150_000
    assert len(sources.turkish_eval_segments()) == 2541
    assert sources.default_corpus("en").language == "eng"


def test_count_words():
    assert sources.count_words(["a b", " c\td ", "ef"]) == 5
    assert sources.count_words([]) == 0
    assert C.DEFAULT_ALPHA == 2.5



def test_scan_kernel_matches_reference():
    import unicodedata

    from tokforensics.metrics import chars, stream

    def word_of(ch):
        return unicodedata.category(ch)[0] in "LM"

    cases = [
        # (stream, token lengths, tokens per segment, segments, prefix)
        ("Ağaç İstanbul'da 日本語 naïve e\u0301 𝔘𝔫 12ab".encode(), None, None, None, False),
        (b" ab cd" + b" ef", [3, 3, 3], [2, 1], [b"ab cd", b"ef"], True),  # dummy-prefix spaces
        ("ğa".encode()[1:] + b"bc", [1, 1, 2], [3], [b"xbc"], False),  # starts inside a character; differs
        (b"abab", [2, 2], [1, 1], [b"ab", b"ab"], False),  # two segments: "ab" | "ab" are two words
    ]
    for data, lens, seg_tokens, segs, prefix in cases:
        if lens is None:
            lens = [len(data) // 3] * 3
            lens[-1] = len(data) - sum(lens[:-1])
            seg_tokens, segs = [3], [data]
        starts = list(np.cumsum([0] + lens[:-1]))
        blob = b"".join(segs)
        seg_len = [len(x) for x in segs]
        seg_start = list(np.cumsum([0] + seg_len[:-1]))
        tpw, ws, we, nw, wt, cont, differ, lead = stream.scan_stream(
            np.frombuffer(data, np.uint8), np.array(starts, np.int64), np.array(lens, np.int64),
            np.array(seg_tokens, np.int64), np.frombuffer(blob, np.uint8), np.array(seg_start, np.int64),
            np.array(seg_len, np.int64), prefix, chars.tables()[1], np.uint8(chars.LETTER | chars.MARK))
        ref = stream.scan_stream_reference(data, starts, lens, seg_tokens, segs, prefix, word_of)
        assert tpw.tolist() == ref["tpw"] and list(zip(ws.tolist(), we.tolist(), strict=True)) == ref["words"]
        assert (wt, cont) == (ref["word_tokens"], ref["continued"])
        assert differ.tolist() == ref["differ"] and lead.tolist() == ref["lead"]
    assert ref["tpw"] == [1, 1]


def test_build_stream():
    from tokforensics.metrics import stream

    blob = np.frombuffer(b"abcde", np.uint8)
    out, starts = stream.build_stream(np.array([1, 0, 1], np.int64), np.array([2, 3], np.int64), blob,
                                      np.array([0, 2], np.int64))
    assert out.tobytes() == b"cdeabcde" and starts.tolist() == [0, 3, 5]
