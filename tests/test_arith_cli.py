"""`tok arith`: exit codes, one-line errors and the --json shape."""

import json

import pytest

from tokforensics.arith.synthetic import write_tokenizer
from tokforensics.cli.app import main


def run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
        raise SystemExit(0)
    out = capsys.readouterr()
    return e.value.code or 0, out.out, out.err


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("arith_cli")
    return {s: str(write_tokenizer(s, root / f"{s}.json")) for s in ("l2r", "single", "nodigits")}


def test_json_shape(paths, capsys):
    code, out, _ = run(["arith", paths["l2r"], paths["single"], "--samples", "20", "--max-digits", "9", "--json"],
                       capsys)
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= {"tokenizers", "warnings", "seed", "samples", "refs"}
    assert [r["label"] for r in doc["refs"]] == ["l2r.json", "single.json"]
    t = doc["tokenizers"]
    assert set(t) == {"l2r.json", "single.json"}
    for key in ("scheme", "number_tokens", "single_token_0_999", "single_token_0000_9999", "longest_number_token",
                "by_length", "formats", "scheme_label", "consistency"):
        assert key in t["l2r.json"]
    assert t["l2r.json"]["scheme"] == "l2r" and t["single.json"]["scheme"] == "single"
    assert len(t["l2r.json"]["by_length"]) == 9
    assert {f["format"] for f in t["l2r.json"]["formats"]} == {"plain", "comma_r2l", "comma_l2r", "space_r2l",
                                                                 "space_l2r"}
    assert doc["model"] is None


def test_tables(paths, capsys):
    code, out, _ = run(["arith", paths["l2r"], "--samples", "10", "--max-digits", "8"], capsys)
    assert code == 0
    assert "L2R" in out and "3-3-1" in out and "1,234,567" in out


@pytest.mark.parametrize("digits,needle", [("0-3", "at least 1 digit"), ("9-7", "backwards"), ("abc", "expected")])
def test_bad_digit_ranges(paths, capsys, digits, needle):
    code, out, err = run(["arith", paths["l2r"], "--digits", digits], capsys)
    assert code == 2 and needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_tokenizer_without_digits(paths, capsys):
    code, _, err = run(["arith", paths["nodigits"]], capsys)
    assert code == 2 and "no tokens for the digits" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv,needle", [
    (["--formats", "native"], "--model"),
    (["--shots", "1,2"], "goes with --model"),
    (["--samples", "0"], "--samples"),
    (["--max-digits", "0"], "--max-digits"),
    (["--model", "smollm2", "--shots", "a,b"], "--shots"),
    (["--model", "smollm2", "--problems", "0"], "--problems"),
    (["--model", "smollm2", "--formats", "comma_up"], "unknown format"),
])
def test_bad_options(paths, capsys, argv, needle):
    code, _, err = run(["arith", paths["l2r"], *argv], capsys)
    assert code == 2 and needle in err and "Traceback" not in err


def test_unknown_tokenizer(capsys):
    code, _, err = run(["arith", "no-such-tokenizer-xyz"], capsys)
    assert code == 2 and "unknown tokenizer" in err


def test_model_probe_json_and_tables(paths, capsys):
    pytest.importorskip("tokforensics.lm.adapter", reason="the model probe needs torch")
    base = ["arith", "--model", f"tiny:{paths['l2r']}", "--problems", "2", "--shots", "0,1", "--digits", "4",
            "--formats", "native,comma_r2l,forced_r2l", "--threads", "1", "--samples", "20", "--max-digits", "8"]
    code, out, err = run(base + ["--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    m = doc["model"]
    assert m["model"] == "tiny:l2r.json" and m["formats"] == ["native", "comma_r2l", "forced_r2l"]
    assert len(m["settings"]) == 6 and m["records"] == [] and m["problems_per_second"] > 0
    s = m["settings"][0]
    for key in ("accuracy", "accuracy_len_match", "accuracy_len_mismatch", "mean_logprob", "errors",
                "errors_len_mismatch"):
        assert key in s
    assert doc["tokenizers"]["l2r.json"]["scheme"] == "l2r"
    code, out, _ = run(base + ["--details", "--json"], capsys)
    assert len(json.loads(out)["model"]["records"]) == 12
    code, out, _ = run(base, capsys)
    assert code == 0 and "Accuracy, greedy" in out and "Error anatomy" in out and "problems/s" in out


def test_missing_model(capsys):
    pytest.importorskip("tokforensics.lm.adapter", reason="the model probe needs torch")
    code, _, err = run(["arith", "--model", "/no/such/model", "--problems", "1"], capsys)
    assert code == 2 and "no such file" in err and "Traceback" not in err


def test_one_sample_for_every_command_that_reports_number_consistency():
    """Bug #12: GPT-2's number consistency was 30% in `tok arith` (200 samples per length), 31% in `tok report`
    (100) and `tok check` used 50. One default sample (DEFAULT_SAMPLES) serves all three."""
    from tests.cli_helpers import run_tok
    from tokforensics.arith.probe import DEFAULT_SAMPLES
    from tokforensics.report.collect import numbers_section
    from tokforensics.report.measure import PolicyMeasurer
    from tokforensics.tokenizer.view import load_tokenizer

    tok = load_tokenizer("gpt2")
    doc = run_tok("--json", "-q", "arith", "gpt2").json()
    assert doc["samples"] == DEFAULT_SAMPLES
    row = numbers_section([tok]).data["rows"][0]
    assert row["consistency"] == doc["tokenizers"]["gpt2"]["consistency"]
    assert row["label"] == doc["tokenizers"]["gpt2"]["scheme_label"]
    scheme = PolicyMeasurer(tok).number_scheme()
    assert scheme.detail == doc["tokenizers"]["gpt2"]["scheme_label"] and str(DEFAULT_SAMPLES) in scheme.corpus
