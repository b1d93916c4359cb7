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
    assert res.ref == "eng" and res.languages == ["tur", "deu_1996"] and res.segments == len(ids) == 31
    assert res.tokens["gpt2"]["tur"] == counts["tur"].sum()
    assert res.premium["gpt2"]["tur"] == pytest.approx(counts["tur"].sum() / counts["eng"].sum())
    assert res.parity["gpt2"]["tur"] == pytest.approx((counts["tur"] / counts["eng"]).mean())
    lo, hi = res.interval["gpt2"]["tur"]
    assert lo < res.premium["gpt2"]["tur"] < hi
    nb = {c: sum(len(t.encode()) for t in texts[c]) for c in texts}
    assert res.byte_premium["tur"] == pytest.approx(nb["tur"] / nb["eng"])
    cost = [counts[c].sum() / nb[c] for c in ("eng", "tur", "deu_1996")]
    assert res.gini["gpt2"] == pytest.approx(P.tfg(cost))
    assert res.mean_premium["gpt2"] == pytest.approx((res.premium["gpt2"]["tur"] + res.premium["gpt2"]["deu_1996"]) / 2)
    # GPT-2 is far costlier for Turkish than for English (Petrov et al.: ~3x on FLORES)
    assert 2.0 < res.premium["gpt2"]["tur"] < 4.0
    again = P.compare_premiums([tok], ["tr", "de"], ref="en", seed=0, n_boot=200)
    assert again.interval == res.interval


def test_masking_unknown_characters(tmp_path):
    tok = load_tokenizer(build_wordpiece(tmp_path))
    res = P.compare_premiums([tok], ["tr"], ref="en", n_boot=50)
    name = tok.name
    assert "tur" in res.masked[name] and "eng" in res.masked[name]
    assert res.premium[name]["tur"] is None and res.interval[name]["tur"] is None
    assert res.unknown_char_rate[name]["tur"] > 0.1
    assert P.unknown_char_rate(tok, "ab ab") == 0.0
    assert P.unknown_char_rate(tok, "ab q") == pytest.approx(1 / 3)


def test_unknown_language_lists_close_codes():
    with pytest.raises(UnknownLanguageError, match="closest"):
        P.compare_premiums([load_tokenizer("gpt2")], ["trr"], ref="en")


def test_premiums_entry_point():
    p = P.premiums(load_tokenizer("gpt2"), languages=["tr", "en"], n_boot=50)
    assert set(p.premiums) == {"tur", "eng"} and p.premiums["eng"] == 1.0 and p.reference == "eng"
    assert p.scripts["tur"] == "Latn" and "udhr" in p.corpus
