"""`tok infer-mixture` end to end on small inputs, its JSON shape, its cache, and its errors."""

from __future__ import annotations

import gzip
import json

import pytest

from .cli_helpers import assert_clean_error, run_tok

EN = "The committee will meet on Tuesday to discuss the annual budget and the new building plans. " * 60
TR = "Komite yıllık bütçeyi ve yeni bina planlarını görüşmek için salı günü toplanacak. " * 60
PY = "def compute(values):\n    total = 0\n    for v in values:\n        total += v * 2\n    return total\n\n" * 60


@pytest.fixture
def cat_dir(tmp_path):
    d = tmp_path / "cats"
    d.mkdir()
    (d / "en.txt").write_text(EN)
    (d / "tr.jsonl").write_text("\n".join(json.dumps({"text": line}) for line in TR.split(". ")))
    (d / "python.txt.gz").write_bytes(gzip.compress(PY.encode()))
    return d


def test_infer_mixture_json_shape_and_cache(cat_dir, tmp_path, fresh_cache):
    out = tmp_path / "res.json"
    run = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "400",
                  "--lp-rounds", "0", "--out", str(out))
    assert run.code == 0, run.err
    res = run.json()
    assert res["tokenizer"]["name"] == "gpt2" and len(res["tokenizer"]["sha256"]) == 64 and res["merges_used"] == 400
    names = {c["name"]: c for c in res["categories"]}
    assert set(names) == {"en", "tr", "python"}
    assert names["python"]["group"] == "code" and names["en"]["group"] == "english"
    assert sum(c["share"] for c in res["categories"]) == pytest.approx(1.0)
    assert set(res["groups"]) >= {"english", "code", "non_english"}
    assert res["diagnostics"]["stop_reason"] == "optimal" and res["diagnostics"]["approximate"] is False
    assert res["diagnostics"]["max_violation"] <= res["diagnostics"]["tolerance"]
    assert "timing" in res and json.loads(out.read_text())["tokenizer"]["label"] == "gpt2"
    # GPT-2 was trained on English web text: English must dominate Turkish
    assert names["en"]["share"] > names["tr"]["share"]
    again = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "400",
                    "--lp-rounds", "0")
    assert again.json()["timing"].get("cached_result") is True
    assert [c["share"] for c in again.json()["categories"]] == [c["share"] for c in res["categories"]]


def test_skip_solves_the_later_merges_with_their_own_normalisation(cat_dir, fresh_cache):
    base = ["--json", "infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "400"]
    full = run_tok(*base)
    ext = run_tok(*base, "--skip", "200")
    assert full.code == 0 and ext.code == 0, ext.err
    res = ext.json()
    assert res["skip"] == 200 and res["merges_used"] == 400
    assert res["diagnostics"]["stop_reason"] == "optimal"
    assert sum(c["share"] for c in res["categories"]) == pytest.approx(1.0)
    assert "--skip" in res["conversion"] and "own pairs" in res["conversion"]
    assert [c["share"] for c in res["categories"]] != [c["share"] for c in full.json()["categories"]]


def test_table_output(cat_dir):
    run = run_tok("infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "300", "-q")
    assert run.code == 0, run.err
    assert "Inferred training mixture of gpt2" in run.out and "Group totals" in run.out and "LP over" in run.out


def test_errors(cat_dir, tmp_path, fresh_cache):
    assert_clean_error(run_tok("infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "60000"),
                       "beyond the 50,000 merges")
    assert_clean_error(run_tok("infer-mixture", "gpt2", "--categories", str(tmp_path / "nope")), "")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("")
    (empty / "b.txt").write_text(EN)
    assert_clean_error(run_tok("infer-mixture", "gpt2", "--categories", str(empty), "--merges", "100"), "")
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "a.txt").write_text("hi")
    (tiny / "b.txt").write_text(EN)
    assert_clean_error(run_tok("infer-mixture", "gpt2", "--categories", str(tiny), "--merges", "100"), "too small")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "en.txt").write_text(EN)
    (bad / "tr.txt").write_bytes(b"\xff\xfe not utf-8 " * 200)
    (bad / "python.txt").write_text(PY)
    run = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(bad), "--merges", "100")
    assert_clean_error(run, "")  # the only file of 'tr' is skipped, leaving the category empty
    assert "utf-8" in run.err.lower()
    cache_files = [p for p in fresh_cache.rglob("*.npz")] if fresh_cache.exists() else []
    for p in cache_files:
        assert p.stat().st_size > 0
    assert not [p for p in fresh_cache.rglob("*.tmp")] if fresh_cache.exists() else True
    assert_clean_error(run_tok("infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "0"),
                       "--merges 0: must be at least 1")


def test_non_bpe_tokenizer_is_refused(tmp_path, cat_dir):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    uni = Tokenizer(models.Unigram())
    uni.pre_tokenizer = pre_tokenizers.Metaspace()
    uni.train_from_iterator([EN, TR], trainers.UnigramTrainer(vocab_size=80, show_progress=False))
    p = tmp_path / "uni.json"
    uni.save(str(p))
    assert_clean_error(run_tok("infer-mixture", str(p), "--categories", str(cat_dir)), "not BPE")


def test_experiment_runs_and_beats_random(fresh_cache):
    run = run_tok("--json", "experiment", "mixture", "--domain", "code", "--n", "3", "--trials", "2",
                  "--merges", "300", "--train-bytes", "150000")
    assert run.code == 0, run.err
    res = run.json()
    assert len(res["trials"]) == 2 and res["n"] == 3
    assert all(t["stop_reason"] == "optimal" for t in res["trials"])
    assert res["mean"] < res["mean_random"]
    assert_clean_error(run_tok("experiment", "mixture", "--domain", "poetry"), "unknown --domain")


def test_default_merges_fit_a_small_tokenizer(cat_dir, tmp_path, fresh_cache):
    """No --merges: the smaller of 30,000 and what the tokenizer has, said so, not an error."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator([EN, TR, PY], trainers.BpeTrainer(
        vocab_size=256 + 120, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    path = tmp_path / "small.json"
    bpe.save(str(path))
    run = run_tok("--json", "infer-mixture", str(path), "--categories", str(cat_dir), "--lp-rounds", "0")
    assert run.code == 0, run.err
    res = run.json()
    assert res["merges_used"] == res["merges_available"] < 30_000
    assert any("all are used" in w for w in res["warnings"])


def test_budget_is_labelled_approximate_with_bounds(cat_dir, fresh_cache):
    run = run_tok("infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "3000", "--lp-rounds", "1")
    assert run.code == 0, run.err
    assert "APPROXIMATE" in run.out and "lies between" in run.out
    js = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "3000",
                 "--lp-rounds", "1").json()
    d = js["diagnostics"]
    assert d["approximate"] is True and d["stop_reason"] == "round_limit"
    assert d["lower_bound"] <= d["objective"]
    assert any(w.startswith("APPROXIMATE") for w in js["warnings"])


def test_bootstrap_intervals(cat_dir, fresh_cache):
    run = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "400",
                  "--lp-rounds", "0", "--bootstrap", "4", "--seed", "3")
    assert run.code == 0, run.err
    res = run.json()
    assert res["bootstrap"]["replicates"] == 4
    for c in res["categories"]:
        lo, hi = c["interval"]
        assert 0.0 <= lo <= hi <= 1.0
    assert set(res["group_intervals"]) == {"english", "code", "non_english"}
    again = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(cat_dir), "--merges", "400",
                    "--lp-rounds", "0", "--bootstrap", "4", "--seed", "3", "--bytes-per-category", "100000").json()
    assert [c["interval"] for c in again["categories"]] == [c["interval"] for c in res["categories"]]
    assert_clean_error(run_tok("infer-mixture", "gpt2", "--categories", str(cat_dir), "--bootstrap", "1"),
                       "--bootstrap")


def test_bad_options_name_their_flags(cat_dir):
    for args, flag in [(["--workers", "-2"], "--workers"), (["--lp-rounds", "-1"], "--lp-rounds"),
                       (["--lp-time-limit", "-1"], "--lp-time-limit"), (["--lp-time-limit", "nan"], "--lp-time-limit"),
                       (["--min-category-bytes", "-1"], "--min-category-bytes"), (["--estimator", "nope"], "estimator"),
                       (["--skip", "500", "--merges", "400"], "--skip")]:
        assert_clean_error(run_tok("infer-mixture", "gpt2", "--categories", str(cat_dir), *args), flag)


def test_a_shipped_pack_result_is_served_without_reading_the_pack(fresh_cache, monkeypatch):
    """Warm runs on a shipped pack find the result from the pack files' hash, before decompressing anything."""
    from tokforensics.mixture import infer
    from tokforensics.mixture.settings import MixtureSettings
    from tokforensics.tokenizer.view import load_tokenizer

    tok = load_tokenizer("gpt2")
    settings = MixtureSettings(merges=40, max_rounds=2, bytes_per_category=20_000, min_category_bytes=0)
    first = infer.infer_mixture(tok, "default", settings=settings)
    assert first.timing.get("cached_result") is not True

    def no_pack(*_a, **_k):
        raise AssertionError("the pack was loaded for a cached result")

    monkeypatch.setattr(infer, "_load_pack", no_pack)
    seen: list[str] = []
    second = infer.infer_mixture(tok, "default", settings=settings, notify=seen.append)
    assert second.timing["cached_result"] is True
    assert [c.share for c in second.categories] == [c.share for c in first.categories]
    assert seen == first.warnings
    other = MixtureSettings(merges=40, max_rounds=2, bytes_per_category=20_000, min_category_bytes=0, seed=1)
    with pytest.raises(AssertionError, match="pack was loaded"):
        infer.infer_mixture(tok, "default", settings=other)  # other settings: not served from this entry
