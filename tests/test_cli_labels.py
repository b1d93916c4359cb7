"""Bug #12: same-named tokenizer files merged into one row. Every multi-tokenizer command labels tokenizers by
one rule (a short unique path suffix; --label to choose), and the labels are the keys of its JSON."""

from __future__ import annotations

import shutil

import pytest

from tests.cli_helpers import assert_clean_error, run_tok
from tests.test_metrics_vocab import build_bpe
from tokforensics.errors import UsageError
from tokforensics.tokenizer.ref import load_labelled, tokenizer_labels
from tokforensics.tokenizer.view import load_tokenizer


@pytest.fixture()
def two_files(tmp_path):
    """A/tokenizer.json and B/tokenizer.json: the same file name, different tokenizers."""
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    shutil.copy(build_bpe(src), tmp_path / "A" / "tokenizer.json")
    (tmp_path / "B" / "tokenizer.json").write_text(load_tokenizer("gpt2").hf_json(), "utf-8")
    return str(tmp_path / "A" / "tokenizer.json"), str(tmp_path / "B" / "tokenizer.json")


def test_labels_are_short_unique_path_suffixes(two_files):
    a, b = two_files
    toks = load_labelled([a, b, "gpt2"])
    assert [t.name for t in toks] == ["A/tokenizer.json", "B/tokenizer.json", "gpt2"]
    assert [t.name for t in load_labelled([a])] == ["tokenizer.json"]  # alone, the file's name is enough
    assert [t.name for t in load_labelled([a, b], ["mine", "theirs"])] == ["mine", "theirs"]
    with pytest.raises(UsageError, match="named twice"):
        load_labelled([a, "gpt2", "gpt2"])
    assert tokenizer_labels([load_tokenizer("gpt2")] * 2) == ["gpt2", "gpt2#2"]


def test_compare_keeps_same_named_files_apart(two_files):
    a, b = two_files
    r = run_tok("-q", "compare", a, b, "gpt2", "--langs", "tr,en", "--bootstrap", "20", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert set(doc["premium"]) == {"A/tokenizer.json", "B/tokenizer.json", "gpt2"}
    assert doc["premium"]["A/tokenizer.json"]["tr"] != doc["premium"]["B/tokenizer.json"]["tr"]
    assert doc["premium"]["B/tokenizer.json"]["tr"] == doc["premium"]["gpt2"]["tr"]  # B is GPT-2's file
    alone = run_tok("-q", "compare", b, "--langs", "tr,en", "--bootstrap", "20", "--json").json()
    assert alone["premium"]["tokenizer.json"]["tr"] == doc["premium"]["B/tokenizer.json"]["tr"]
    refs = {t["label"]: t for t in doc["tokenizers"]}
    assert refs["A/tokenizer.json"]["name"] == "tokenizer.json" and refs["A/tokenizer.json"]["source"] == a
    r = run_tok("-q", "compare", a, b, "--langs", "tr", "--label", "mine", "--label", "theirs", "--bootstrap", "20",
                "--json")
    assert set(r.json()["premium"]) == {"mine", "theirs"}


def test_metrics_and_report_label_the_same_way(two_files, tmp_path):
    a, b = two_files
    corpus = tmp_path / "c.txt"
    corpus.write_text("ab abab\nhello world\n", "utf-8")
    r = run_tok("-q", "metrics", a, b, "--corpus", str(corpus), "--json")
    assert r.code == 0, r.err
    assert set(r.json()["tokenizers"]) == {"A/tokenizer.json", "B/tokenizer.json"}
    r = run_tok("-q", "report", a, b, "-o", str(tmp_path / "r.html"), "--langs", "tr", "--no-live", "--json")
    assert r.code == 0, r.err
    assert [t["label"] for t in r.json()["tokenizers"]] == ["A/tokenizer.json", "B/tokenizer.json"]
    assert_clean_error(run_tok("-q", "compare", a, b, "--langs", "tr", "--label", "x", "--label", "x"),
                       "given twice")
