"""Every rule, passing and failing, measured on real tokenizers by the real measurer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokforensics.arith.probe import scheme_name
from tokforensics.arith.synthetic import write_tokenizer
from tokforensics.corpus.probes import probe_set
from tokforensics.errors import InputError, UsageError
from tokforensics.policy.baseline import build_golden, write_golden
from tokforensics.policy.config import parse_policy
from tokforensics.policy.measure import LexiconMeasure
from tokforensics.policy.rules import run_check
from tokforensics.report.measure import PolicyMeasurer
from tokforensics.tokenizer.view import load_tokenizer


@pytest.fixture(scope="module")
def gpt2():
    tok = load_tokenizer("gpt2")
    return tok, PolicyMeasurer(tok)


def check(tmp_path: Path, body: str, tok, measurer, tokenizer: str = "gpt2"):
    path = tmp_path / "tokforensics.toml"
    path.write_text(f'tokenizer = "{tokenizer}"\n' + body)
    policy = parse_policy(path.read_text(), path)
    return run_check(policy, tok, measurer)


def test_round_trip(tmp_path, gpt2):
    res = check(tmp_path, "[rules.round_trip]\ncorpus = 'probes'\n", *gpt2)
    (r,) = res.results
    assert r.passed and r.measured == 0 and r.corpus.startswith("probe set (126 texts")

    claude = load_tokenizer("claude-legacy")  # NFKC normalizer: not lossless
    res = check(tmp_path, "[rules.round_trip]\n", claude, PolicyMeasurer(claude), "claude-legacy")
    (r,) = res.results
    assert not r.passed and r.measured > 0 and r.threshold == "<= 0"
    assert "do not come back" in r.detail and r.data["examples"][0]["kind"]
    res = check(tmp_path, f"[rules.round_trip]\nmax_lossy = {r.measured}\n", claude, PolicyMeasurer(claude),
                "claude-legacy")
    assert res.passed


def test_round_trip_on_a_file(tmp_path, gpt2):
    corpus = tmp_path / "c.txt"
    corpus.write_text("naïve café ½ ﬁ\n")
    res = check(tmp_path, f"[rules.round_trip]\ncorpus = '{corpus}'\n", *gpt2)
    assert res.passed and "1 files" in res.results[0].corpus


def test_premium(tmp_path, gpt2):
    tok, m = gpt2
    tur = m.premiums("udhr", "eng", ["tur"]).values["tur"]
    assert 2.0 < tur < 3.5  # GPT-2 on Turkish: Petrov et al. report ~2.4 (TokSuite 2.45) on FLORES
    res = check(tmp_path, f"[rules.premium]\nmax = {{ tur = {tur + 0.01:.3f}, deu = 5 }}\n", tok, m)
    assert res.passed and [r.name for r in res.results] == ["premium[tur]", "premium[deu]"]
    assert "udhr" in res.results[0].corpus and "reference eng" in res.results[0].corpus
    res = check(tmp_path, f"[rules.premium]\nmax = {{ tur = {tur - 0.01:.3f} }}\n", tok, m)
    assert not res.passed and res.results[0].measured == pytest.approx(tur)
    assert res.results[0].line == 3 and res.results[0].data == {}  # the line of `max`


def test_premium_unknown_language_points_at_the_rule(tmp_path, gpt2):
    with pytest.raises(UsageError) as exc:
        check(tmp_path, "\n[rules.premium]\nmax = { xxq = 2 }\n", *gpt2)
    assert "tokforensics.toml:3: rule 'premium'" in str(exc.value) and "xxq" in str(exc.value)


def test_fertility(tmp_path, gpt2):
    tok, m = gpt2
    eng = m.fertility("udhr", ["eng"]).values["eng"]
    assert 1.0 < eng < 1.6
    assert check(tmp_path, f"[rules.fertility]\nmax = {{ eng = {eng * 1.01:.4f} }}\n", tok, m).passed
    res = check(tmp_path, f"[rules.fertility]\nmax = {{ eng = {eng * 0.99:.4f} }}\n", tok, m)
    assert not res.passed and "allowed <=" in res.results[0].detail and "tokens per word" in res.results[0].corpus


def test_lexicon_rule(tmp_path, gpt2):
    """The rule's logic on given values (the real measurement below loads a Turkish lexicon: slow)."""
    tok, _ = gpt2
    fake = _Fake(lexicon=LexiconMeasure(41.0, None, "my corpus"))
    ok = check(tmp_path, "[rules.lexicon]\ntur = { min_lang = 40 }\n", tok, fake)
    assert ok.passed and ok.results[0].measured == 41.0 and ok.results[0].corpus == "my corpus"
    bad = check(tmp_path, "[rules.lexicon]\ntur = { min_lang = 42, min_pure = 10 }\n", tok, fake)
    lang, pure = bad.results
    assert not lang.passed and "allowed >= 42" in lang.detail
    assert not pure.passed and pure.measured is None and "no lexicon or morphology reference" in pure.detail


@pytest.mark.slow
def test_lexicon(tmp_path, gpt2):
    tok, m = gpt2
    lx = m.lexicon("tur", None)
    assert lx.pct_lang is not None and lx.pct_pure is not None
    ok = check(tmp_path, f"[rules.lexicon]\ntur = {{ min_lang = {lx.pct_lang - 0.5:.2f}, "
                         f"min_pure = {lx.pct_pure - 0.5:.2f} }}\n", tok, m)
    assert ok.passed and [r.name for r in ok.results] == ["%LANG[tur]", "%Pure[tur]"]
    bad = check(tmp_path, f"[rules.lexicon]\ntur = {{ min_pure = {lx.pct_pure + 0.5:.2f} }}\n", tok, m)
    assert not bad.passed and bad.results[0].threshold.startswith(">=")


def test_reachability(tmp_path, gpt2):
    tok, m = gpt2
    r = m.reachability()
    assert r.unreachable == 0 and r.undecodable > 0  # byte-level: every token reachable, some bytes not UTF-8
    assert check(tmp_path, f"[rules.reachability]\nmax_unreachable = 0\nmax_undecodable = {r.undecodable}\n",
                 tok, m).passed
    res = check(tmp_path, f"[rules.reachability]\nmax_undecodable = {r.undecodable - 1}\n", tok, m)
    assert not res.passed and res.results[0].name == "reachability.undecodable"
    assert "e.g." in res.results[0].detail


@pytest.mark.parametrize("scheme, name", [("r2l", "R2L-3"), ("free", "free BPE")])
def test_number_scheme(tmp_path, scheme, name):
    """On the arithmetic probe's synthetic tokenizers, whose schemes are known by construction."""
    path = write_tokenizer(scheme, tmp_path / f"{scheme}.json")
    tok = load_tokenizer(path)
    m = PolicyMeasurer(tok)
    assert m.number_scheme().scheme == name
    assert check(tmp_path, f"[rules.number_scheme]\nrequire = '{name}'\n", tok, m, str(path)).passed
    res = check(tmp_path, "[rules.number_scheme]\nrequire = 'L2R-3'\n", tok, m, str(path))
    assert not res.passed and f"'{name}'" in res.results[0].detail


def test_scheme_names():
    assert [scheme_name(s, k) for s, k in (("single", 1), ("l2r", 3), ("r2l", 3), ("free", 4))] == [
        "single-digit", "L2R-3", "R2L-3", "free BPE"]


def test_special_tokens(tmp_path, gpt2):
    ok = check(tmp_path, '[rules.special_tokens]\nrequire = { "<|endoftext|>" = 50256 }\n', *gpt2)
    assert ok.passed and ok.results[0].measured == 50256
    bad = check(tmp_path, '[rules.special_tokens]\nrequire = { "<|endoftext|>" = 0, "<|im_start|>" = 50257 }\n', *gpt2)
    wrong, missing = bad.results
    assert not wrong.passed and "has id 50256" in wrong.detail
    assert not missing.passed and missing.measured is None and "not a special or added token" in missing.detail


def test_golden(tmp_path, gpt2):
    tok, m = gpt2
    write_golden(tmp_path / "tokforensics.golden.json", build_golden(tok, probe_set()))
    ok = check(tmp_path, "[rules.golden]\n", tok, m)
    assert ok.passed and ok.results[0].measured == 0 and ok.notes == []
    gpt2_patched = _Patched(tok, "12345 + 67890 = 80235", [1, 2, 3])
    bad = check(tmp_path, "[rules.golden]\n", gpt2_patched, m)
    (r,) = bad.results
    assert not r.passed and r.measured == 1 and "numbers/arith-add" in r.detail
    (d,) = r.data["diffs"]
    assert d["current_ids"] == [1, 2, 3] and d["golden_ids"] == tok.encode("12345 + 67890 = 80235")
    assert d["first_diff"] == 0 and d["golden_pieces"][0] == "123"
    assert check(tmp_path, "[rules.golden]\nmax_changed = 1\n", gpt2_patched, m).passed


def test_golden_from_another_tokenizer_is_not_diffed(tmp_path, gpt2):
    p50k = load_tokenizer("p50k")
    write_golden(tmp_path / "tokforensics.golden.json", build_golden(p50k, probe_set()))
    with pytest.raises(InputError) as exc:
        check(tmp_path, "[rules.golden]\n", *gpt2)
    msg = str(exc.value)
    assert "written by tokenizer 'p50k'" in msg and "not compared" in msg and "tok baseline" in msg
    res = check(tmp_path, "[rules.golden]\nallow_other_tokenizer = true\n", *gpt2)
    assert not res.passed and any("current tokenizer file differs" in n for n in res.notes)


def test_golden_missing_file(tmp_path, gpt2):
    with pytest.raises(InputError, match="not found; write it with `tok baseline`"):
        check(tmp_path, "[rules.golden]\n", *gpt2)


class _Fake:
    def __init__(self, **values):
        self.values = values

    def __getattr__(self, name):
        value = self.values[name]
        return lambda *args, **kw: value


class _Patched:
    """gpt2 with one text encoded differently: what a silent library change looks like."""

    def __init__(self, tok, text, ids):
        self._tok, self._text, self._ids = tok, text, ids

    def __getattr__(self, name):
        return getattr(self._tok, name)

    def encode_batch(self, texts):
        return [list(self._ids) if t == self._text else ids for t, ids in zip(texts, self._tok.encode_batch(texts),
                                                                                strict=True)]
