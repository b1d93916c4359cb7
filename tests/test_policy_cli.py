"""`tok check` and `tok baseline` end to end: exit codes 0 / 1 / 2, tables, --json, --junit, --init."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import assert_clean_error, run_tok

POLICY = """\
tokenizer = "gpt2"

[rules.golden]

[rules.special_tokens]
require = { "<|endoftext|>" = 50256 }

[rules.round_trip]
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tokforensics.toml").write_text(POLICY)
    return tmp_path


def test_baseline_then_check_passes(project):
    r = run_tok("baseline")
    assert r.code == 0, r.err
    assert "wrote 126 probe texts" in " ".join(r.out.split())
    assert (project / "tokforensics.golden.json").is_file()
    r = run_tok("check", "--junit", "reports/junit.xml")
    assert r.code == 0, r.out + r.err
    out = " ".join(r.out.split())
    assert "all 3 checks passed" in out and "special[<|endoftext|>]" in out and "(1) golden file" in out
    assert (project / "reports" / "junit.xml").read_text().startswith("<?xml")
    r = run_tok("check", "--json")
    doc = r.json()
    assert r.code == 0 and doc["passed"] is True and doc["n_failed"] == 0
    assert [x["name"] for x in doc["results"]] == ["golden", "special[<|endoftext|>]", "round_trip"]
    assert doc["results"][0]["corpus"].startswith("golden file tokforensics.golden.json")


def test_changed_ids_fail_with_both_tokenizations(project):
    assert run_tok("baseline").code == 0
    golden = project / "tokforensics.golden.json"
    lines = golden.read_text().split("\n")
    k = next(i for i, line in enumerate(lines) if '"id": "numbers/arith-add"' in line)
    row = json.loads(lines[k].rstrip(","))
    row["ids"] = [row["ids"][0] + 1] + row["ids"][1:]
    lines[k] = json.dumps(row, ensure_ascii=False) + ","
    golden.write_text("\n".join(lines))
    r = run_tok("check", "--junit", "j.xml")
    assert r.code == 1, r.out + r.err
    out = r.out
    assert "FAIL" in out and "1 of 3 checks failed" in " ".join(out.split())
    assert "numbers/arith-add" in out and "first difference at token 0" in out
    assert "golden" in out and "current" in out and str(row["ids"][0]) in out
    assert "<failure" in (project / "j.xml").read_text()
    doc = run_tok("check", "--json").json()
    assert doc["passed"] is False and doc["results"][0]["data"]["diffs"][0]["id"] == "numbers/arith-add"


def test_failing_threshold_exit_1(project):
    (project / "tokforensics.toml").write_text('tokenizer = "gpt2"\n[rules.special_tokens]\n'
                                               'require = { "<|endoftext|>" = 7 }\n')
    r = run_tok("check")
    assert r.code == 1
    assert "policy line 3" in r.out and "has id 50256, the policy requires 7" in " ".join(r.out.split())


def test_usage_and_input_errors_exit_2(project, tmp_path):
    assert_clean_error(run_tok("check"), "golden file", "not found", "tok baseline")
    assert_clean_error(run_tok("check", "--config", "nope.toml"), "nope.toml: no such policy file")
    (project / "bad.toml").write_text('tokenizer = "gpt2"\n\n[rules.premium]\nmax = { deu = 0 }\n')
    assert_clean_error(run_tok("check", "-c", "bad.toml"), "bad.toml:4:", "rules.premium.max.deu", "> 0")
    (project / "bad.toml").write_text('tokenizer = "gpt2"\n[rules.premum]\n')
    assert_clean_error(run_tok("check", "-c", "bad.toml"), "bad.toml:2:", "unknown rule 'premum'")
    (project / "bad.toml").write_text('tokenizer = "no-such-tokenizer"\n[rules.golden]\n')
    assert_clean_error(run_tok("check", "-c", "bad.toml"), "no-such-tokenizer")
    assert_clean_error(run_tok("check", "--tokenizer", "gpt2"), "no such option")
    assert_clean_error(run_tok("check", "--init"), "--init needs the tokenizer")


def test_golden_of_another_tokenizer_exit_2(project):
    assert run_tok("baseline", "p50k").code == 0
    r = run_tok("check")
    assert_clean_error(r, "written by tokenizer 'p50k'", "policy's tokenizer is 'gpt2'", "not compared")
    assert "first difference" not in r.out


def test_unwritable_junit_leaves_nothing(project):
    assert run_tok("baseline").code == 0
    (project / "blocker").write_text("x")
    assert_clean_error(run_tok("check", "--junit", "blocker/j.xml"), "blocker/j.xml", "cannot write")
    assert_clean_error(run_tok("check", "--junit", "."), "is a directory")
    assert sorted(p.name for p in project.iterdir()) == ["blocker", "tokforensics.golden.json", "tokforensics.toml"]


def test_baseline_options(project):
    (project / "mine.txt").write_text("our jargon: tokforensix\n")
    r = run_tok("baseline", "gpt2", "--texts", "mine.txt", "-o", "out/g.json", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["n_probes"] == 127 and doc["tokenizer"]["name"] == "gpt2"
    assert '"user/mine.txt:1"' in (project / "out" / "g.json").read_text()
    assert_clean_error(run_tok("baseline", "--texts", "missing.txt"), "missing.txt")


@pytest.mark.slow
def test_init_writes_a_passing_policy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run_tok("check", "gpt2", "--init")
    assert r.code == 0, r.out + r.err
    text = (tmp_path / "tokforensics.toml").read_text()
    for rule in ("golden", "round_trip", "special_tokens", "reachability", "number_scheme", "premium",
                 "fertility", "lexicon"):
        assert f"[rules.{rule}]" in text
    assert 'require = "free BPE"' in text
    assert (tmp_path / "tokforensics.golden.json").is_file()
    r = run_tok("check")
    assert r.code == 0, r.out + r.err
    assert_clean_error(run_tok("check", "gpt2", "--init"), "already exists", "--force")


def test_pyproject_policy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.tokforensics]\ntokenizer = "gpt2"\n'
                                      '[tool.tokforensics.rules.special_tokens]\nrequire = { "<|endoftext|>" = 1 }\n')
    r = run_tok("check")
    assert r.code == 1 and "pyproject.toml" in r.out
