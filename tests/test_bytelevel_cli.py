"""`tok bytes …` on tiny random models (fast): tables, --json, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from tokforensics.cli.app import main  # noqa: E402


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_next_json_and_table(capsys):
    code, out, _ = run(capsys, "--json", "bytes", "next", "--model", "tiny:gpt2", "def hello_wor", "--top", "4")
    assert code == 0
    res = json.loads(out)
    assert res["model"] == "tiny:gpt2" and len(res["byte_level"]) == 4 and len(res["naive"]) == 4
    assert abs(sum(b["prob"] for b in res["byte_level"])) <= 1.0 + 1e-9
    assert res["prompt_tokens"][-1] == "or"
    code, out, _ = run(capsys, "bytes", "next", "-m", "tiny:gpt2", "def hello_wor", "--top", "3")
    assert code == 0 and "byte-level" in out and "naive" in out


def test_score_complete_ensemble(capsys, tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("The quick brown fox jumps over the lazy dog.\n", encoding="utf-8")
    code, out, _ = run(capsys, "bytes", "score", "--model", "tiny:mistral", "--file", str(f), "--json")
    res = json.loads(out)
    assert code == 0 and res["n_bytes"] == 45 and res["byte_logprob"] >= res["token_logprob"] - 1e-4
    code, out, _ = run(capsys, "bytes", "score", "--model", "tiny:mistral", "--file", str(f), "--eos")
    assert code == 0 and "bits per byte" in out
    code, out, _ = run(capsys, "--json", "bytes", "complete", "-m", "tiny:gpt2", "The quick bro", "-n", "6",
                       "--seed", "3")
    res = json.loads(out)
    assert code == 0 and res["mode"] == "sampled" and len(res["byte_level"].encode()) <= 6 * 4
    code, out, _ = run(capsys, "bytes", "ensemble", "-m", "tiny:gpt2", "-m", "tiny:mistral", "The cat", "-n", "4",
                       "--top", "3")
    assert code == 0 and "mixture" in out


@pytest.mark.parametrize("argv,needle", [
    (["bytes", "next", "-m", "tiny:gpt2", ""], "prompt is empty"),
    (["bytes", "next", "-m", "/no/such/model.gguf", "hi"], "no such file"),
    (["bytes", "next", "-m", "tiny:gpt2", "a <|endoftext|> b"], "special token"),
    (["bytes", "ensemble", "-m", "tiny:gpt2", "hi"], "at least two models"),
    (["bytes", "complete", "-m", "tiny:gpt2", "hi", "-n", "0"], "at least 1"),
])
def test_errors_are_one_line(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2


def test_file_errors(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 au lait")
    code, _, err = run(capsys, "bytes", "score", "-m", "tiny:gpt2", "--file", str(bad))
    assert code == 2 and "not valid UTF-8" in err
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, _, err = run(capsys, "bytes", "score", "-m", "tiny:gpt2", "--file", str(empty))
    assert code == 2 and "empty" in err
    code, _, err = run(capsys, "bytes", "score", "-m", "tiny:gpt2", "--file", str(tmp_path / "missing.txt"))
    assert code == 2 and "no such file" in err


def test_unsupported_tokenizer(capsys, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    t = Tokenizer(models.WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    t.save(str(path))
    code, _, err = run(capsys, "bytes", "next", "-m", f"tiny:{path}", "hello wor")
    assert code == 2 and "byte-level BPE" in err and "byte fallback" in err


def test_score_takes_the_text_as_an_argument(capsys):
    """Bug #12: `tok bytes score --text "def f():"` failed with "no such file"; the text is an argument now."""
    code, out, err = run(capsys, "bytes", "score", "def f():", "-m", "tiny:gpt2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["n_bytes"] == len(b"def f():")
    code, _, err = run(capsys, "bytes", "score", "-m", "tiny:gpt2")
    assert code == 2 and "--file" in err
