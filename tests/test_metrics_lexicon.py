"""%LANG / %Pure by hand on a tiny hunspell dictionary; the lookup cache; the shipped Turkish assets."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from tests.test_metrics_vocab import build_bpe
from tokforensics.corpus import lexicon as L
from tokforensics.metrics import lexicon as M
from tokforensics.metrics.corpus import encode_corpus
from tokforensics.metrics.sources import from_texts
from tokforensics.tokenizer.view import load_tokenizer

AFF = "SET UTF-8\nTRY abcdeiklmnoprstuvyz\n\nSFX E Y 1\nSFX E 0 ler .\n\nSFX A Y 1\nSFX A 0 lar .\n"
DIC = "3\nev/E\nkitap/A\nbir\n"


@pytest.fixture
def dicpath(tmp_path, monkeypatch):
    d = tmp_path / "dicts"
    d.mkdir()
    (d / "xx_XX.aff").write_text(AFF, "utf-8")
    (d / "xx_XX.dic").write_text(DIC, "utf-8")
    monkeypatch.setenv("DICPATH", str(d))
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "cache"))
    return d


def test_find_and_validate(dicpath):
    f = L.find_dictionary("xx")
    assert f is not None and f.aff.name == "xx_XX.aff" and str(dicpath) in f.source
    lex, why = L.load_lexicon("xx")
    assert why is None
    got = lex.valid(["ev", "evler", "kitaplar", "ler", "123", "", "Ev", "evlar"])
    assert got == {"ev": True, "evler": True, "kitaplar": True, "ler": False, "123": False, "": False,
                   "Ev": True, "evlar": False}
    assert lex.loaded
    # a new Lexicon answers known words from the cache without loading the dictionary
    lex2, _ = L.load_lexicon("xx")
    assert lex2.valid(["ev", "ler"]) == {"ev": True, "ler": False} and not lex2.loaded
    assert lex2.valid(["bir"]) == {"bir": True} and lex2.loaded


def test_missing_dictionary_reason(dicpath):
    lex, why = L.load_lexicon("zz")
    assert lex is None and "no hunspell dictionary for 'zz'" in why and "DICPATH" in why


def test_iso_codes():
    assert L.iso1("tur") == "tr" and L.iso1("tr-TR") == "tr" and L.iso1("tr_TR") == "tr" and L.iso1("eng") == "en"
    assert L.iso1("xyz") == "xyz"


def test_lexicon_stats_by_hand(dicpath):
    lex, _ = L.load_lexicon("xx")
    morph = L.MorphReference("xx", frozenset({"ev", "kitap"}), frozenset({"ler", "lar"}), "hand")
    ts = M.TokenStrings(["ev", "ler", "evler", "x,", "kitap"], np.array([3, 2, 1, 4, 10]))
    st = M.lexicon_stats(ts, "xx", lex, None, morph, None)
    # valid words: ev, evler, kitap (3 of 5 distinct; 3+1+10 = 14 of 20 occurrences)
    assert st.available and st.valid == 3
    assert st.lang_distinct == pytest.approx(60.0) and st.lang_occurrences == pytest.approx(70.0)
    # pure: ev, ler, kitap (3 of 5; 3+2+10 = 15 of 20)
    assert st.pure_available and st.pure == 3
    assert st.pure_distinct == pytest.approx(60.0) and st.pure_occurrences == pytest.approx(75.0)
    assert st.label == "%XX" and st.strings == 5 and st.occurrences == 20


def test_lexicon_not_available(dicpath):
    ts = M.TokenStrings(["ev"], np.array([1]))
    st = M.lexicon_stats(ts, "zz", None, "no dictionary", None, "no reference")
    assert not st.available and st.lang_distinct is None and st.reason == "no dictionary"
    assert not st.pure_available and st.pure_reason == "no reference"
    st = M.lexicon_stats(ts, None, None, None, None, None)
    assert "--lang" in st.reason


def test_token_strings_strip_and_merge(tmp_path):
    tok = load_tokenizer(build_bpe(tmp_path))
    enc = encode_corpus(tok, from_texts("t", ["ab abab ç <|end|>"]))
    ts = M.token_strings(tok, enc)
    # "ab" and " ab" are the same string once stripped; the special token and the lone spaces are dropped
    got = dict(zip(ts.strings, ts.counts.tolist(), strict=True))
    assert got == {"ab": 3, "ç": 1}


def test_turkish_assets_ship():
    f = L.find_dictionary("tr")
    assert f is not None and f.gzipped and "dictionary-tr" in f.source
    morph, why = L.morph_reference("tur")
    assert why is None
    assert {"ev", "kitap", "insan"} <= morph.roots
    assert {"ler", "lar", "de", "da", "den", "dan", "iniz", "ım", "yor"} <= morph.suffixes
    assert L.morph_reference("de")[0] is None
    rows = json.loads((L._data_dir() / "MANIFEST.json").read_text("utf-8"))
    for r in rows:
        p = L._data_dir().parent / r["path"]
        assert p.exists(), r["path"]
        from tokforensics.cache import sha256_file

        assert sha256_file(p) == r["sha256"], r["path"]
        assert {"source_package", "version", "source_paths", "licence", "terms", "derived"} <= set(r)
    text = gzip.decompress((L._data_dir() / "tr_eval.txt.gz").read_bytes()).decode("utf-8")
    assert len(text) > 150_000 and "ı" in text


@pytest.mark.slow
def test_turkish_hunspell_real():
    """Loads the shipped Turkish dictionary with spylls (10-20 s)."""
    lex, why = L.load_lexicon("tr")
    assert why is None
    d = lex._dictionary()  # force the load even when the lookup cache knows every word
    for w, ok in {"ev": True, "evler": True, "evlerinizde": True, "kitaplar": True, "geliyorum": True,
                  "ler": False, "İstanbul": True, "xyz": False}.items():
        assert d.lookup(w) is ok, w
    v = M.lexicon_validity(load_tokenizer("gpt2"), "tr")
    assert 20 < v.pct_lang < 60 and 15 < v.pct_pure < 60 and "tr_eval" in v.corpus
