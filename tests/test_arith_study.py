"""`tok arith study`: the training loop on a tiny budget, scoring, configuration errors, the CLI and its --json."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.cli_helpers import assert_clean_error, run_tok
from tokforensics.arith.anatomy import ErrorAnatomy
from tokforensics.arith.problem_sets import ProblemSet
from tokforensics.arith.study import PRESETS, configure, pool_errors, score, t_interval, wilson
from tokforensics.errors import UsageError

TINY = ["--preset", "tiny", "--threads", "1"]


# ---------------------------------------------------------------------------------------------- no torch needed
def test_score_counts_by_length_and_mismatch():
    test = ProblemSet((999, 123, 500, 1000), (100, 456, 500, 234))
    # 999+100=1099 (longer), 123+456=579, 500+500=1000 (longer), 1000+234=1234
    s = score(test, ["1099", "578", "100", "1234"], (3, 4))
    assert s["accuracy"] == 0.5 and s["correct"] == 2
    assert s["mismatch_accuracy"] == 0.5 and s["match_accuracy"] == 0.5
    cell = {(c.a_digits, c.b_digits): c for c in s["by_length"]}
    assert set(cell) == {(3, 3), (3, 4), (4, 3), (4, 4)} and cell[(4, 4)].problems == 0
    assert cell[(3, 3)].problems == 3 and cell[(3, 3)].mismatch_problems == 2
    assert cell[(4, 3)].accuracy == 1.0
    assert s["errors"].off_by_one == 1 and s["errors"].wrong_digit_from_left == {3: 1}
    assert s["errors_mismatch"].dropped_digits == 1


def test_intervals():
    lo, hi = wilson(20, 100)
    assert 0.13 < lo < 0.2 < hi < 0.29
    assert t_interval([0.5]) is None
    lo, hi = t_interval([0.2, 0.3, 0.25])
    assert (lo + hi) / 2 == pytest.approx(0.25) and (hi - lo) / 2 == pytest.approx(4.3027 * 0.05 / 3 ** 0.5, rel=1e-3)
    assert t_interval([0.99, 1.0, 0.98])[1] == 1.0  # clipped to a fraction


def test_pool_errors_sums_and_recomputes_top():
    a = ErrorAnatomy(10, 4, 0, 1, 1, 0, 3, 2, 1, 1, {1: 2, 2: 1}, {1: 2, 2: 2}, 1, 2 / 3)
    b = ErrorAnatomy(10, 2, 0, 0, 0, 0, 2, 2, 0, 0, {2: 2}, {2: 2}, 2, 1.0)
    p = pool_errors([a, b])
    assert p.problems == 20 and p.wrong == 6 and p.same_length == 5
    assert p.wrong_digit_from_left == {1: 2, 2: 4} and p.top_position == 2 and p.top_position_share == 4 / 5


@pytest.mark.parametrize("kw,needle", [
    (dict(schemes="single,x9"), "unknown scheme"),
    (dict(digits="5-3"), "backwards"),
    (dict(digits="0-3"), "at least 1 digit"),
    (dict(digits="3-40"), "at most 18"),
    (dict(steps=0), "--steps"),
    (dict(d_model=30, heads=4), "multiple of --heads"),
    (dict(device="tpu"), "--device"),
    (dict(train_problems=10, batch=16), "larger than --train-problems"),
])
def test_bad_configs(kw, needle):
    with pytest.raises(UsageError, match=needle):
        configure(PRESETS["default"], **kw)


def test_presets_are_valid_and_default_keeps_unaligned_lengths():
    for cfg in PRESETS.values():
        configure(cfg)
    lo, hi = PRESETS["default"].digits
    assert any(n % 3 for n in range(lo, hi + 1))
    assert PRESETS["paper"].digits == (7, 9)


# ---------------------------------------------------------------------------------------------- torch
torch_needed = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("torch"), reason="torch is not installed (pip install 'tokforensics[lm]')")


@torch_needed
def test_training_loop_learns_and_is_deterministic():
    from tokforensics.arith.chunking import scheme
    from tokforensics.arith.problem_sets import make_split
    from tokforensics.arith.study import encode_sets
    from tokforensics.lm import scratch

    scratch.set_threads(1)
    sch = scheme("r2l3")
    train, _ = make_split((3, 4), 4, 2048, seed=0)
    x, m = encode_sets(sch, train)
    assert x.shape[0] == 2048 and m.sum() == sum(len(sch.answer(a + b)) for a, b in train.pairs())
    losses = {}
    for run in range(2):
        curve = []
        model = scratch.build(scratch.Shape(sch.vocab_size, 32, 1, 2, x.shape[1]), seed=5, device="cpu")
        scratch.train(model, x, m, scratch.Schedule(steps=45, batch=32, lr=3e-3, warmup=5), seed=5,
                      on_checkpoint=lambda step, loss, c=curve: c.append(loss), every=15)
        losses[run] = curve
    assert losses[0] == losses[1]  # same seed, same machine: the same numbers
    assert len(losses[0]) == 3 and losses[0][-1] < losses[0][0] - 0.5  # it learns something


@torch_needed
def test_greedy_batches_by_length_and_stops():
    from tokforensics.lm import scratch

    model = scratch.build(scratch.Shape(12, 16, 1, 2, 16), seed=0, device="cpu")
    prompts = [[1, 2, 3], [4, 5], [1, 2, 3, 4], [4, 5]]
    out = scratch.greedy(model, prompts, max_new=5, stop_id=7)
    assert [len(o) <= 5 for o in out] == [True] * 4
    assert out[1] == out[3]  # identical prompts, identical continuations
    single = [scratch.greedy(model, [p], max_new=5, stop_id=7)[0] for p in prompts]
    assert single == out  # batching changes nothing: no padding enters the context
    for o in out:
        assert 7 not in o[:-1]


@torch_needed
def test_cli_json_shape(tmp_path):
    html = tmp_path / "study.html"
    r = run_tok("--json", "arith", "study", *TINY, "--seeds", "2", "--html", str(html))
    assert r.code == 0, r.err
    doc = json.loads(r.out)  # stdout is exactly one JSON document
    assert set(doc["schemes"]) == {"single", "l2r3", "r2l3"}
    for s in doc["schemes"].values():
        for key in ("accuracy", "accuracy_interval", "mismatch_accuracy", "by_length", "errors"):
            assert key in s
        assert 0.0 <= s["accuracy"] <= 1.0
        lo, hi = s["accuracy_interval"]
        assert 0.0 <= lo <= hi <= 1.0 and s["interval_method"].startswith("Student t")
        assert len(s["seed_accuracies"]) == 2 and len(s["by_length"]) == 4
        assert [p["step"] for p in s["curve"]] == [2, 4]
    assert {(k["a"], k["b"], k["subset"]) for k in doc["contrasts"]} >= {("r2l3", "l2r3", "all"),
                                                                                  ("r2l3", "l2r3", "mismatch")}
    page = html.read_text()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 3 and "Learning curves" in page
    again = run_tok("--json", "arith", "study", *TINY, "--seeds", "2")
    strip = ("seconds", "seconds_train", "seconds_eval", "cpu_seconds")

    def drop_timing(obj):
        if isinstance(obj, dict):
            return {k: drop_timing(v) for k, v in obj.items() if k not in strip}
        if isinstance(obj, list):
            return [drop_timing(v) for v in obj]
        return obj

    doc.pop("html")
    second = again.json()
    second.pop("html")
    assert drop_timing(doc) == drop_timing(second)  # deterministic apart from timing


@torch_needed
def test_cli_tables_and_schemes_option():
    r = run_tok("arith", "study", *TINY, "--schemes", "single,comma_r2l3", "--steps", "2")
    assert r.code == 0, r.err
    assert "Exact answers" in r.out and "comma_r2l3" in r.out and "Error anatomy" in r.out
    doc = run_tok("--json", "arith", "study", *TINY, "--schemes", "comma_r2l3,l2r3", "--steps", "2").json()
    assert doc["schemes"]["comma_r2l3"]["example"] == "12|,|345|+|6|,|789|="
    assert doc["schemes"]["l2r3"]["example"] == "123|45|+|678|9|="


@pytest.mark.parametrize("argv,needle", [
    (["--schemes", "l2r9"], "unknown scheme"),
    (["--digits", "6-2"], "backwards"),
    (["--digits", "x"], "expected a digit count"),
    (["--preset", "huge"], "unknown preset"),
    (["--device", "tpu"], "--device"),
    (["--html", "out.txt"], ".html"),
    (["--steps", "0"], "--steps"),
])
def test_cli_bad_input(argv, needle):
    assert_clean_error(run_tok("arith", "study", *TINY, *argv), needle)


@torch_needed
def test_cli_cuda_missing_is_clear():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert_clean_error(run_tok("arith", "study", *TINY, "--device", "cuda"), "no CUDA GPU")


def test_tokenizer_form_still_works():
    # `arith` is still one command: names after it are tokenizers, `study` only as the first word
    r = run_tok("--json", "arith", "gpt2", "--samples", "5", "--max-digits", "4")
    assert r.code == 0, r.err
    assert "gpt2" in r.json()["tokenizers"]


def test_config_is_in_json_shape():
    cfg = configure(PRESETS["default"], schemes="r2l3,l2r3", digits="4-5", steps=10)
    d = dataclasses.asdict(cfg)
    assert d["schemes"] == ("r2l3", "l2r3") and d["digits"] == (4, 5) and d["steps"] == 10


@torch_needed
@pytest.mark.slow
def test_a_few_hundred_steps_learn_small_addition():
    # ~15 s of CPU: 1-2 digit addends, where exact answers by chance are about 1 %
    from tokforensics.arith.study import run_study

    cfg = configure(PRESETS["default"], schemes="single", digits="1-2", steps=400, batch=128, lr=1e-2, d_model=64,
                    train_problems=20_000, test_per_pair=40, checkpoints=4, curve_problems=40, warmup=50, threads=1,
                    device="cpu")
    res = run_study(cfg)
    s = res.schemes["single"]
    assert res.device == "cpu" and res.test_problems == 160
    assert s.accuracy >= 0.10, s.accuracy
    assert s.curve[-1].loss < s.curve[0].loss / 2
    assert s.errors.problems == 160 and s.errors.wrong == round(160 * (1 - s.accuracy))
