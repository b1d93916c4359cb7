"""The fault catalogue: bad files, bad bytes, bad options, bad paths and argv quirks, for every `tok` command.

Each case runs in-process (fast) and asserts: exit code 2, one `error:` line on stderr, no traceback,
nothing on stdout (or valid JSON under --json), and an unchanged workspace. Cases that need a real
process (FIFOs, signals, env vars, argv bytes) live in test_processes.py.
"""

from __future__ import annotations

import json
import os

import pytest

from ..cli_helpers import run_tok
from .harness import assert_clean_failure, assert_clean_success, run_in, tree

MIX = pytest.mark.mixture  # cases of the mixture commands
# Cases that once forked one process per requested worker (a run took a shared 2-core machine to a load of 250
# and out of memory); the pool is bounded by cores and work now, so they run like the others.
MIX_NOT_RUN = pytest.mark.mixture


def _expand(args: tuple[str, ...], bad: dict, ws, cats=None) -> list[str]:
    out = []
    for a in args:
        for k, v in bad.items():
            a = a.replace("{" + k + "}", str(v))
        a = a.replace("{ws}", str(ws))
        if cats is not None:
            a = a.replace("{cats}", str(cats))
        out.append(a)
    return out


def _check(args, bad, ws, cats=None, *needles, json_mode=False):
    before = tree(ws)
    argv = _expand(args, bad, ws, cats)
    run = run_in(ws, *(["--json"] if json_mode else []), *argv)
    assert_clean_failure(run, *needles, json_mode=json_mode)
    assert tree(ws) == before, "the workspace changed"
    return run


# ------------------------------------------------------------------------------ bad tokenizer files
TOKENIZER_FILES = {
    "missing": "no such file", "dir": "no tokenizer.json", "empty": "empty", "garbage": "not a recognised",
    "gz_trunc": "gzip", "json_bad": "corrupt", "json_nomodel": "no 'model'", "dangling": "dangling symlink",
    "devnull": "character device", "sp_bad": "", "gguf_trunc": "", "tt_dup_rank": "given twice",
    "tt_dup_token": "listed twice", "tt_neg": "negative rank", "tt_b64": "corrupt tiktoken",
    "tt_long": "bytes (the longest allowed",
}


@pytest.mark.parametrize("kind", sorted(TOKENIZER_FILES))
@pytest.mark.parametrize("command", ["inspect", "encode"])
def test_bad_tokenizer_file(command, kind, bad, ws):
    extra = ["--pattern", r"\w+"] if command == "inspect" and kind.startswith("tt_") else []
    args = (command, "{" + kind + "}", *extra, *(["hello"] if command == "encode" else []))
    _check(args, bad, ws, None, TOKENIZER_FILES[kind])


@pytest.mark.parametrize("kind", ["garbage", "json_bad", "tt_dup_rank", "dangling"])
@pytest.mark.parametrize("command", ["metrics", "merges", "export", "arith", "report"])
def test_bad_tokenizer_file_in_other_commands(command, kind, bad, ws):
    tail = {"merges": ["-o", "{ws}/out/m.txt"], "export": ["-o", "{ws}/out/t.json"],
            "report": ["-o", "{ws}/out/r.html", "--no-live"], "arith": ["--samples", "2"]}.get(command, [])
    os.makedirs(ws / "out", exist_ok=True)
    _check((command, "{" + kind + "}", *tail), bad, ws, None, TOKENIZER_FILES[kind])


@pytest.mark.parametrize("pattern,needle", [("(", "not a valid regular expression"),
                                            ("[a-", "not a valid regular expression"),
                                            ("*abc", "not a valid regular expression")])
def test_bad_pattern_for_tiktoken_file(pattern, needle, bad, ws):
    _check(("inspect", "{tt_ok}", "--pattern", pattern), bad, ws, None, needle)


def test_tiktoken_file_without_pattern(bad, ws):
    _check(("inspect", "{tt_ok}"), bad, ws, None, "--pattern")


# ------------------------------------------------------------------------------ bad corpus / text files
CORPUS_KINDS = {"missing": "no such", "dir": "has no files", "empty": "empty", "garbage": "utf-8",
                "latin1": "utf-8", "dangling": "dangling symlink", "devnull": "character device",
                "gz_trunc": "gzip", "dir_dangling": "dangling symlink", "dir_devnull": "character device",
                "dir_garbage": "utf-8"}


@pytest.mark.parametrize("kind", sorted(CORPUS_KINDS))
def test_metrics_bad_corpus(kind, bad, ws):
    _check(("metrics", "gpt2", "--corpus", "{" + kind + "}"), bad, ws, None, CORPUS_KINDS[kind])


TEXT_KINDS = {"missing": "no such", "dir": "folder", "empty": "empty", "garbage": "utf-8", "latin1": "utf-8",
              "dangling": "dangling symlink", "devnull": "character device"}


@pytest.mark.parametrize("kind", sorted(TEXT_KINDS))
def test_bytes_score_bad_text(kind, bad, ws):
    needle = TEXT_KINDS[kind] if kind != "dir" else "folder"
    _check(("bytes", "score", "--file", "{" + kind + "}", "-m", "tiny:gpt2"), bad, ws, None, needle)


@pytest.mark.parametrize("kind", ["missing", "dir", "garbage", "dangling", "devnull"])
@pytest.mark.parametrize("sub", ["next", "complete"])
def test_bytes_prompt_file(sub, kind, bad, ws):
    _check(("bytes", sub, "--file", "{" + kind + "}", "-m", "tiny:gpt2"), bad, ws, None)


@pytest.mark.parametrize("kind", ["missing", "dir", "garbage", "latin1", "dangling", "devnull"])
def test_report_bad_texts(kind, bad, ws):
    _check(("report", "gpt2", "-o", "{ws}/r.html", "--texts", "{" + kind + "}"), bad, ws, None)


@pytest.mark.parametrize("kind", ["missing", "garbage", "dangling", "devnull"])
def test_baseline_bad_texts(kind, bad, ws):
    _check(("baseline", "gpt2", "--texts", "{" + kind + "}", "-o", "{ws}/golden.json"), bad, ws, None)


@pytest.mark.parametrize("kind", ["missing", "garbage", "dir", "dangling", "devnull", "empty", "latin1"])
def test_check_bad_policy(kind, bad, ws):
    _check(("check", "--config", "{" + kind + "}"), bad, ws, None)


@MIX
@pytest.mark.parametrize("kind", ["dir", "dir_dangling", "dir_garbage", "missing", "garbage"])
def test_infer_mixture_bad_categories(kind, bad, ws):
    _check(("infer-mixture", "gpt2", "--categories", "{" + kind + "}", "--merges", "200"), bad, ws, None)


# ------------------------------------------------------------------------------ bad options
OPTIONS = [
    ("metrics", "gpt2", "--top", "-1"), ("metrics", "gpt2", "--top", "-3"), ("metrics", "gpt2", "--top", "x"),
    ("metrics", "gpt2", "--alpha", "nan"), ("metrics", "gpt2", "--alpha", "inf"), ("metrics", "gpt2", "--alpha", "-1"),
    ("metrics", "gpt2", "--alpha", "0"), ("metrics", "gpt2", "--lang", "xx-nope"),
    ("compare", "gpt2", "--langs", "tr", "--bootstrap", "1000000000"),
    ("compare", "gpt2", "--langs", "tr", "--bootstrap", "0"), ("compare", "gpt2", "--langs", "tr", "--bootstrap", "-5"),
    ("compare", "gpt2", "--langs", "tr", "--seed", "-1"), ("compare", "gpt2", "--langs", "trx"),
    ("compare", "gpt2", "--langs", ","), ("compare", "gpt2", "--langs", "tr", "--ref", "zz-nope"),
    ("bytes", "next", "ab", "-m", "tiny:gpt2", "--top", "-1"), ("bytes", "next", "ab", "-m", "tiny:gpt2", "--top", "0"),
    ("bytes", "next", "ab", "-m", "tiny:gpt2", "--top", "100000"), ("bytes", "next", "", "-m", "tiny:gpt2"),
    ("bytes", "next", "-m", "tiny:gpt2"), ("bytes", "next", "ab", "--file", "x", "-m", "tiny:gpt2"),
    ("bytes", "complete", "ab", "-m", "tiny:gpt2", "-n", "-1"), ("bytes", "complete", "ab", "-m", "tiny:gpt2", "-n", "0"),
    ("bytes", "complete", "ab", "-m", "tiny:gpt2", "-n", "1000000000"),
    ("bytes", "complete", "ab", "-m", "tiny:gpt2", "--seed", "-1"),
    ("bytes", "ensemble", "ab", "-m", "tiny:gpt2"), ("bytes", "ensemble", "ab", "-m", "tiny:gpt2", "-m", "tiny:gpt4",
                                                     "-w", "-1", "-w", "1"),
    ("bytes", "ensemble", "ab", "-m", "tiny:gpt2", "-m", "tiny:gpt4", "-w", "nan", "-w", "1"),
    ("bytes", "ensemble", "ab", "-m", "tiny:gpt2", "-m", "tiny:gpt4", "-w", "1"),
    ("bytes", "ensemble", "ab", "-m", "tiny:gpt2", "-m", "tiny:gpt4", "--top", "-2"),
    ("bytes", "score", "--file", "x", "-m", "tiny:gpt2", "--bogus"),
    ("arith", "gpt2", "--samples", "-1"), ("arith", "gpt2", "--samples", "0"), ("arith", "gpt2", "--max-digits", "0"),
    ("arith", "gpt2", "--max-digits", "99"), ("arith", "gpt2", "--seed", "-1"), ("arith", "gpt2", "--digits", "9-3"),
    ("arith", "gpt2", "--problems", "5"), ("arith", "gpt2", "--threads", "0"),
    ("report", "gpt2", "-o", "r.html", "--live-budget", "-1"), ("report", "gpt2", "-o", "r.html", "--live-budget", "nan"),
    ("report", "gpt2", "-o", "r.html", "--langs", "trx"), ("report", "gpt2", "-o", "r.html", "--ref", "zz-nope"),
    ("report", "gpt2", "-o", "r.txt"), ("report", "gpt2", "gpt2", "-o", "r.html"),
    ("check", "gpt2", "--init", "--margin", "nan", "--config", "p.toml"),
    ("check", "gpt2", "--init", "--margin", "-1", "--config", "p.toml"),
    ("check", "--margin", "0.1"), ("check", "--init"), ("check", "--tokenizer", "gpt2"),
    ("encode", "gpt2"), ("encode",), ("inspect",), ("merges", "gpt2"), ("export", "gpt2"),
    ("encode", "no-such-tokenizer", "hi"), ("encode", "gpt2", "hi", "--bogus"), ("nosuchcommand",),
    ("--errors", "bogus", "encode", "gpt2", "hi"), ("merges", "claude-legacy", "--bogus"),
]
MIX_OPTIONS = [
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--workers", "-2"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--workers", "100000"), marks=MIX_NOT_RUN),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--lp-rounds", "-1"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--lp-time-limit", "-1"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--lp-time-limit", "nan"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--min-category-bytes", "-1"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--top", "-1"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--top", "-3"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--merges", "-1"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--skip", "-1"), marks=MIX),
    pytest.param(("infer-mixture", "gpt2", "--categories", "{cats}", "--bytes-per-category", "-1"), marks=MIX),
    pytest.param(("experiment", "mixture", "--n", "-1"), marks=MIX),
    pytest.param(("experiment", "mixture", "--trials", "-1"), marks=MIX),
    pytest.param(("experiment", "mixture", "--lp-rounds", "-1"), marks=MIX),
    pytest.param(("experiment", "mixture", "--train-bytes", "-1"), marks=MIX),
]


@pytest.mark.parametrize("args", OPTIONS, ids=lambda a: " ".join(a))
def test_bad_option(args, bad, ws):
    _check(args, bad, ws)


@pytest.mark.parametrize("args", OPTIONS[:12], ids=lambda a: " ".join(a))
def test_bad_option_under_json(args, bad, ws):
    _check(args, bad, ws, None, json_mode=True)


@pytest.mark.parametrize("args", MIX_OPTIONS, ids=lambda a: " ".join(a))
def test_bad_mixture_option(args, bad, ws, cats):
    _check(args, bad, ws, cats)


# ------------------------------------------------------------------------------ bad output paths
WRITERS = {
    "merges": ("merges", "gpt2", "-o"), "export": ("export", "gpt2", "-o"),
    "report": ("report", "gpt2", "--no-live", "-o"), "baseline": ("baseline", "gpt2", "-o"),
    "check-init": ("check", "gpt2", "--init", "--config"),
}
DESTS = {"under_a_file": "{ws}/empty.txt/sub/out", "folder": "{ws}/emptydir", "proc": "/proc/tok-out",
         "sys": "/sys/tok-out", "device": "{devfull}"}


@pytest.mark.parametrize("dest", sorted(DESTS))
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_bad_output_path(writer, dest, bad, ws):
    target = DESTS[dest] + (".html" if writer == "report" and dest not in ("folder", "device") else "")
    _check((*WRITERS[writer], target), bad, ws)


def test_check_junit_to_bad_path(bad, ws, tmp_path):
    _check(("check", "--junit", "/proc/junit.xml"), bad, ws)


@MIX
@pytest.mark.parametrize("dest", ["/proc/tok-out", "through_file", "device"], ids=["proc", "through_file", "device"])
def test_infer_mixture_bad_output_path(dest, bad, ws, cats, tmp_path):
    if dest == "device":  # its own link: a build that renamed over it would replace it, away from the shared workspace
        dest = str(tmp_path / "full.out")
        os.symlink("/dev/full", dest)
    if dest == "through_file":  # a folder in the path is a file
        (tmp_path / "plain").write_text("x")
        dest = str(tmp_path / "plain" / "out.json")
    _check(("infer-mixture", "gpt2", "--categories", "{cats}", "--merges", "200", "-o", dest), bad, ws, cats)
    assert dest.startswith("/proc") or os.path.islink(dest) or (tmp_path / "plain").read_text() == "x"


@MIX
def test_infer_mixture_output_creates_its_folders(cats, tmp_path):
    dest = tmp_path / "no" / "such" / "dir" / "out.json"
    run = run_tok("infer-mixture", "gpt2", "--categories", str(cats), "--merges", "200", "-o", str(dest))
    assert run.code == 0, run.err[-2000:]
    assert json.loads(dest.read_text())["diagnostics"]["stop_reason"] == "optimal"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_read_only_output_folder(writer, bad, ws, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        run = run_tok(*WRITERS[writer], str(ro / ("out.html" if writer == "report" else "out")))
        assert_clean_failure(run, "permission denied")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("writer", ["merges", "export", "baseline"])
@pytest.mark.parametrize("errno_", [28, 122, 5])
def test_write_error_at_write_time(writer, errno_, tmp_path, monkeypatch):
    """A disk that fills up (or fails) during the write: one line, and no file or temporary left behind."""
    from contextlib import contextmanager

    import tokforensics.outputs as outputs

    @contextmanager
    def failing(path, mode="wb"):
        raise OSError(errno_, os.strerror(errno_), str(path) + ".tmp")
        yield  # pragma: no cover

    monkeypatch.setattr(outputs, "atomic_writer", failing)
    run = run_tok(*WRITERS[writer], str(tmp_path / "out"))
    assert_clean_failure(run, "cannot write")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ bad bytes in arguments
BAD_TEXT = {"ff": "\udcff", "a_ff_b": "a\udcffb", "lone_high": "\ud800", "cut_utf8": "caf\udcc3"}


@pytest.mark.parametrize("text", sorted(BAD_TEXT))
@pytest.mark.parametrize("tokenizer", ["gpt2", "gpt4o", "mistral", "smollm2", "mistral-nemo"])
def test_encode_invalid_utf8_argument(tokenizer, text, bad, ws):
    run = _check(("encode", tokenizer, BAD_TEXT[text]), bad, ws, None, "not valid utf-8", "--errors replace")
    assert "U+FFFD" in run.err


@pytest.mark.parametrize("json_mode", [False, True])
def test_encode_invalid_utf8_under_json(json_mode, bad, ws):
    _check(("encode", "gpt4o", "\udcff"), bad, ws, None, "not valid utf-8", json_mode=json_mode)


@pytest.mark.parametrize("args", [
    ("bytes", "next", "ab\udcff", "-m", "tiny:gpt2"), ("bytes", "complete", "ab\udcff", "-m", "tiny:gpt2"),
    ("bytes", "ensemble", "a\udcffb", "-m", "tiny:gpt2", "-m", "tiny:gpt4"), ("metrics", "gpt2", "--lang", "t\udcffr"),
    ("report", "gpt2", "-o", "r.html", "--text", "x\udcff"), ("inspect", "gpt\udcff2"),
    ("compare", "gpt2", "--langs", "t\udcffr"), ("arith", "gpt\udcff2"),
], ids=lambda a: " ".join(a[:2]))
def test_invalid_utf8_argument_anywhere(args, bad, ws):
    _check(args, bad, ws, None, "not valid utf-8")


def test_errors_replace_is_explicit():
    run = run_tok("--json", "--errors", "replace", "encode", "gpt4o", "a\udcffb")
    assert_clean_success(run, json_mode=True)
    plain = run_tok("--json", "encode", "gpt4o", "a\ufffdb")
    assert run.json() == plain.json()


def test_errors_replace_may_follow_the_command():
    run = run_tok("encode", "gpt2", "\udcff", "--errors", "replace", "--ids")
    assert_clean_success(run)
    assert run.out.split() == run_tok("encode", "gpt2", "\ufffd", "--ids").out.split()


# ------------------------------------------------------------------------------ argv: global flags and --
def test_double_dash_keeps_flags_as_text():
    run = run_tok("--json", "encode", "gpt2", "--", "-q")
    assert_clean_success(run, json_mode=True)
    assert "".join(run.json()["pieces"]) == "-q"
    run = run_tok("encode", "gpt2", "--json", "--", "--json")
    assert "".join(run.json()["pieces"]) == "--json"


@pytest.mark.parametrize("args", [("encode", "gpt2", "hi", "--json"), ("encode", "--json", "gpt2", "hi"),
                                  ("encode", "gpt2", "-q", "hi", "--json"), ("--json", "-q", "encode", "gpt2", "hi")])
def test_global_flags_anywhere(args):
    run = run_tok(*args)
    assert_clean_success(run, json_mode=True)
    assert run.json()["n_tokens"] == 1


def test_internal_error_is_one_line_not_a_traceback(monkeypatch):
    import tokforensics.cli.tokenizers as cli

    def boom(*a, **k):
        raise RuntimeError("simulated defect\nsecond line")

    monkeypatch.setattr(cli, "zoo_listing", boom)
    run = run_tok("tokenizers")
    assert_clean_failure(run, "internal error", "simulated defect", "report it", code=70)


@pytest.mark.parametrize("args", [(), ("bytes",), ("experiment",)], ids=["tok", "bytes", "experiment"])
def test_no_arguments_show_help(args):
    run = run_tok(*args)
    assert run.code == 2 and "Traceback" not in run.err
    assert "Usage" in run.out and "error" not in run.err
