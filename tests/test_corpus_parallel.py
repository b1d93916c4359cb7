"""The shipped UDHR parallel corpus: alignment and language-code resolution."""

from __future__ import annotations

import dataclasses

import pytest

from tokforensics.corpus.parallel import LanguageText, ParallelCorpus, UnknownLanguageError, load_parallel
from tokforensics.errors import TokError, UsageError

ARTICLES = [str(i) for i in range(1, 31)]


@pytest.fixture(scope="module")
def udhr() -> ParallelCorpus:
    return load_parallel("udhr")


def test_loads_complete_declarations(udhr):
    assert udhr.name == "udhr"
    assert "udhr" in udhr.source and "\n" not in udhr.source
    assert len(udhr.languages) >= 500
    for decl_id, lt in udhr.languages.items():
        assert isinstance(lt, LanguageText)
        assert lt.id == decl_id
        assert all(lt.segments.get(a, "").strip() for a in ARTICLES), decl_id
        assert set(lt.segments) <= {"preamble", *ARTICLES}
        assert len(lt.script) == 4 and lt.script[0].isupper(), (decl_id, lt.script)


def test_cached_and_frozen(udhr):
    assert load_parallel() is udhr
    with pytest.raises(dataclasses.FrozenInstanceError):
        udhr.name = "x"  # type: ignore[misc]


def test_english_and_turkish_content(udhr):
    en = udhr.languages["eng"]
    assert en.name == "English" and en.bcp47 == "en" and en.code == "eng" and en.script == "Latn"
    assert en.segments["1"].startswith("All human beings are born free and equal")
    tr = udhr.text("tr")
    assert tr.segments["1"].startswith("Bütün insanlar hür")


@pytest.mark.parametrize(("code", "expected"), [
    ("tr", "tur"), ("TR", "tur"), ("tur", "tur"), ("tr-TR", "tur"), ("en", "eng"), ("en-US", "eng"),
    ("de", "deu_1996"), ("deu", "deu_1996"), ("de-1901", "deu_1901"), ("deu_1901", "deu_1901"),
    ("DEU_1901", "deu_1901"), ("zh", "cmn_hans"), ("zh-Hans", "cmn_hans"), ("zh-Hant", "cmn_hant"),
    ("zh_TW", "cmn_hant"), ("pt", "por_BR"), ("pt-PT", "por_PT"), ("sr", "srp_cyrl"), ("sr-Latn", "srp_latn"),
    ("ja", "jpn"), ("ko", "kor"), ("ar", "arb"), ("fa", "pes_1"), ("no", "nob"), (" es ", "spa"),
])
def test_resolve(udhr, code, expected):
    assert udhr.resolve(code) == expected


def test_common_iso639_1_codes_resolve(udhr):
    for code in ["en", "tr", "de", "fr", "es", "it", "ru", "uk", "pl", "ar", "he", "hi", "bn", "zh", "ja",
                 "ko", "vi", "th", "id", "fi", "hu", "el", "sw", "am", "fa", "ur", "ta", "te", "ka", "hy"]:
        decl = udhr.resolve(code)
        assert decl in udhr.languages, code


def test_unknown_code_suggests_closest(udhr):
    with pytest.raises(UnknownLanguageError) as info:
        udhr.resolve("trr")
    err = info.value
    assert isinstance(err, UsageError) and isinstance(err, TokError)
    assert err.code == "trr"
    assert "tr" in err.suggestions or "tur" in err.suggestions
    assert 1 <= len(err.suggestions) <= 5
    msg = str(err)
    assert "\n" not in msg and "trr" in msg and "closest" in msg


def test_unknown_code_without_close_match(udhr):
    with pytest.raises(UnknownLanguageError) as info:
        udhr.resolve("")
    assert "ISO 639" in str(info.value)


def test_aligned_segments_and_order(udhr):
    ids, texts = udhr.aligned(["en", "tr", "zh"])
    assert ids[0] == "preamble" and ids[1:] == ARTICLES
    assert set(texts) == {"en", "tr", "zh"}
    for code in texts:
        assert len(texts[code]) == len(ids)
    assert texts["en"][1] == udhr.languages["eng"].segments["1"]
    assert texts["zh"][1] == udhr.languages["cmn_hans"].segments["1"]


def test_aligned_drops_segments_missing_in_one_language(udhr):
    without = next(lt.id for lt in udhr.languages.values() if "preamble" not in lt.segments)
    ids, texts = udhr.aligned(["en", without])
    assert ids == ARTICLES
    assert len(texts[without]) == 30


def test_aligned_errors(udhr):
    with pytest.raises(UsageError):
        udhr.aligned([])
    with pytest.raises(UnknownLanguageError):
        udhr.aligned(["en", "klingon"])


def test_unknown_corpus():
    with pytest.raises(UsageError):
        load_parallel("flores")


def test_aliases_point_to_declarations(udhr):
    assert all(target in udhr.languages for target in udhr.aliases.values())
