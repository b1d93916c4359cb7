"""`tok metrics` and `tok compare`: exit codes, one-line errors and the --json shape."""

from __future__ import annotations

import json

import pytest

from tests.test_metrics_vocab import build_bpe, build_unigram
from tokforensics.cli.app import main


@pytest.fixture(autouse=True)
def _no_system_dictionaries(tmp_path, monkeypatch):
    monkeypatch.setenv("DICPATH", str(tmp_path / "no-dicts"))


def run(capsys, *argv) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


def test_metrics_json_shape(tmp_path, capsys):
    tok = build_bpe(tmp_path)
    uni = build_unigram(tmp_path)
    corpus = tmp_path / "c.txt"
    corpus.write_text("ab abab\nç ab\n", "utf-8")
    code, out, err = run(capsys, "--quiet", "metrics", tok, uni, "--corpus", str(corpus), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["tokenizers"]) == {"bpe.tokenizer.json", "uni.tokenizer.json"}
    for t in doc["tokenizers"].values():
        assert set(t) == {"vocab", "corpus", "lexicon"}
        assert t["corpus"]["corpus"]["name"] == "c.txt" and t["corpus"]["corpus"]["segments"] == 2
        assert {"tokens", "fertility", "renyi_efficiency", "roundtrip", "most_split"} <= set(t["corpus"])
        assert {"categories", "scripts", "languages", "reachability"} <= set(t["vocab"])
        assert t["lexicon"]["available"] is False and "--langs" in t["lexicon"]["reason"]
    assert doc["corpus"]["bytes"] == len(b"ab abab") + len("ç ab".encode())
    assert doc["tokenizers"]["bpe.tokenizer.json"]["corpus"]["tokens"] == 5


def test_metrics_tables_and_no_dictionary(tmp_path, capsys):
    corpus = tmp_path / "de.txt"
    corpus.write_text("Alle Menschen sind frei und gleich an Würde und Rechten geboren.\n", "utf-8")
    code, out, err = run(capsys, "-q", "metrics", "gpt2", "--langs", "de", "--corpus", str(corpus))
    assert code == 0, err
    assert "Corpus efficiency" in out and "Reachability" in out and "%DE" in out
    assert "no hunspell dictionary for 'de'" in out.replace("\n", " ")


@pytest.mark.parametrize("args, message", [
    (["metrics", "gpt2", "--langs", "trx"], "unknown language code 'trx'"),
    (["metrics", "gpt2", "--langs", "tr,de"], "one language per run"),
    (["metrics", "no-such-tokenizer"], "unknown tokenizer"),
    (["compare", "gpt2", "--langs", "tr,qqq"], "unknown language code 'qqq'"),
    (["compare", "gpt2", "--langs", ","], "--langs is empty"),
    (["metrics", "gpt2", "--alpha", "0"], "--alpha 0.0: must be greater than 0"),
])
def test_bad_input_exit_2(capsys, args, message):
    code, out, err = run(capsys, "-q", *args)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3  # one message (rich may wrap it)


def test_bad_corpus_files(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", "utf-8")
    code, _, err = run(capsys, "-q", "metrics", "gpt2", "--corpus", str(empty))
    assert code == 2 and "empty" in err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9\n")
    code, _, err = run(capsys, "-q", "metrics", "gpt2", "--corpus", str(bad))
    assert code == 2 and "not UTF-8" in err
    code, _, err = run(capsys, "-q", "metrics", "gpt2", "--corpus", str(tmp_path / "nope.txt"))
    assert code == 2 and "no such file" in err


def test_compare_json_shape(capsys):
    code, out, err = run(capsys, "-q", "compare", "gpt2", "mistral", "--langs", "tr,de", "--ref", "en",
                         "--bootstrap", "100", "--json")
    assert code == 0, err
    doc = json.loads(out)
    # keyed by the codes as given, the corpus's own code beside them
    assert doc["ref"] == "en" and doc["languages"] == ["tr", "de"]
    assert doc["codes"] == {"en": "eng", "tr": "tur", "de": "deu_1996"}
    assert set(doc["premium"]) == {"gpt2", "mistral"}
    assert set(doc["premium"]["gpt2"]) == {"en", "tr", "de"}
    lo, hi = doc["interval"]["mistral"]["tr"]
    assert lo <= doc["premium"]["mistral"]["tr"] <= hi
    best = doc["order"][0]
    assert doc["mean_premium"][best] == min(doc["mean_premium"].values())
    assert set(doc["tokens"]["gpt2"]) == {"en", "tr", "de"} and doc["gini"]["gpt2"] > 0
    assert doc["segments"] == 31 and doc["segments_by_language"]["tr"] == 31 and "udhr" in doc["source"]
    assert [t["label"] for t in doc["tokenizers"]] == ["gpt2", "mistral"]
    assert all(len(t["sha256"]) == 64 and t["source"] for t in doc["tokenizers"])


def test_compare_table(capsys):
    code, out, _ = run(capsys, "-q", "compare", "gpt2", "--langs", "tr", "--bootstrap", "50")
    assert code == 0 and "Token premium" in out and "tr" in out


@pytest.mark.slow
def test_compare_whole_zoo(capsys):
    code, out, err = run(capsys, "-q", "compare", "--langs", "tr,en", "--bootstrap", "100", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["premium"]) >= 10 and any(w.startswith("skipped llama2") for w in doc["warnings"])
    best = doc["order"][0]
    assert doc["mean_premium"][best] == min(v for v in doc["mean_premium"].values() if v is not None)
