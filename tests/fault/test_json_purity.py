"""Under --json, stdout carries exactly one JSON document: every command, in a real process, on a cold cache
(cold runs are where solvers, converters and downloads-that-must-not-happen print banners)."""

from __future__ import annotations

import json

import pytest

from .conftest import EN, PY, TR
from .harness import TRACEBACK, run_proc

MIX = pytest.mark.mixture  # cases of the mixture commands

COMMANDS = {
    "tokenizers": ("tokenizers",),
    "inspect": ("inspect", "gpt2"),
    "encode": ("encode", "gpt4o", "dünya 🙂"),
    "merges": ("merges", "gpt2", "-o", "{tmp}/merges.txt"),
    "export": ("export", "gpt2", "-o", "{tmp}/tokenizer.json"),
    "metrics": ("metrics", "gpt2", "--corpus", "{tmp}/corpus.txt"),
    "compare": ("compare", "gpt2", "--langs", "tr", "--bootstrap", "20"),
    "arith": ("arith", "gpt2", "--samples", "5", "--max-digits", "4", "--digits", "3"),
    "bytes-next": ("bytes", "next", "-m", "tiny:gpt2", "hel"),
    "bytes-score": ("bytes", "score", "-m", "tiny:gpt2", "--file", "{tmp}/corpus.txt"),
    "bytes-complete": ("bytes", "complete", "-m", "tiny:gpt2", "-n", "4", "hel"),
    "bytes-ensemble": ("bytes", "ensemble", "-m", "tiny:gpt2", "-m", "tiny:mistral", "-n", "2", "hel"),
    "baseline": ("baseline", "gpt2", "-o", "{tmp}/golden.json"),
    "check-init": ("check", "gpt2", "--init", "--config", "{tmp}/tokforensics.toml"),
    "report": ("report", "gpt2", "-o", "{tmp}/r.html", "--langs", "tr", "--no-live"),
    "infer-mixture": pytest.param(("infer-mixture", "gpt2", "--categories", "{tmp}/cats", "--merges", "200"), marks=MIX),
    "experiment-mixture": pytest.param(("experiment", "mixture", "--n", "2", "--trials", "1", "--merges", "100",
                                        "--train-bytes", "20000"), marks=MIX),
}


@pytest.mark.slow
@pytest.mark.parametrize("args", list(COMMANDS.values()), ids=list(COMMANDS))
def test_one_json_document_on_a_cold_cache(args, tmp_path):
    (tmp_path / "corpus.txt").write_text("The quick brown fox.\nBir iki üç.\n")
    cats = tmp_path / "cats"
    cats.mkdir()
    (cats / "en.txt").write_text(EN)
    (cats / "tr.txt").write_text(TR)
    (cats / "python.txt").write_text(PY)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    run = run_proc("--json", *argv, env={"TOKFORENSICS_CACHE": str(tmp_path / "cold-cache")}, timeout=600)
    assert run.code == 0, run.err[-3000:]
    assert TRACEBACK not in run.err
    doc, end = json.JSONDecoder().raw_decode(run.out)
    assert run.out[end:].strip() == "", f"more than one JSON document on stdout: {run.out[end:end + 300]!r}"
    assert isinstance(doc, dict)


@pytest.mark.slow
def test_check_passes_its_own_starter_policy_in_json(tmp_path):
    env = {"TOKFORENSICS_CACHE": str(tmp_path / "cache")}
    assert run_proc("check", "gpt2", "--init", cwd=tmp_path, env=env).code == 0
    run = run_proc("--json", "check", cwd=tmp_path, env=env)
    assert run.code == 0, run.err[-2000:]
    assert json.loads(run.out)["passed"] is True
