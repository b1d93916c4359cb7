"""Fault cases that need a real process: FIFOs (a hang is a failure), argv bytes, env vars, file-size limits,
broken pipes, signals, concurrent runs on one cache, and workers that must die with their parent."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time

import pytest

from .harness import (
    TOK,
    TRACEBACK,
    assert_clean_failure,
    assert_clean_success,
    children_of,
    env_without,
    kill,
    run_proc,
    tree,
)

MIX = pytest.mark.mixture  # cases of the mixture commands
MIX_NOT_RUN = pytest.mark.mixture
HANG = 90  # seconds; every case here finishes in a few when it works


@pytest.fixture(scope="module")
def fifo_ws(tmp_path_factory):
    d = tmp_path_factory.mktemp("fifo")
    os.mkfifo(d / "pipe.txt")
    (d / "corpus").mkdir()
    (d / "corpus" / "a.txt").write_text("hello world\n")
    os.mkfifo(d / "corpus" / "b.txt")
    (d / "cats").mkdir()
    (d / "cats" / "en.txt").write_text("The committee will meet on Tuesday. " * 200)
    os.mkfifo(d / "cats" / "tr.txt")
    (d / "cats_nested").mkdir()
    (d / "cats_nested" / "en").mkdir()
    (d / "cats_nested" / "en" / "a.txt").write_text("The committee will meet on Tuesday. " * 200)
    os.mkfifo(d / "cats_nested" / "en" / "b.txt")
    return d


FIFO_CASES = {
    "metrics-corpus": ("metrics", "gpt2", "--corpus", "{d}/pipe.txt"),
    "metrics-corpus-folder": ("metrics", "gpt2", "--corpus", "{d}/corpus"),
    "inspect-tokenizer": ("inspect", "{d}/pipe.txt"),
    "bytes-score": ("bytes", "score", "--file", "{d}/pipe.txt", "-m", "tiny:gpt2"),
    "bytes-next-file": ("bytes", "next", "--file", "{d}/pipe.txt", "-m", "tiny:gpt2"),
    "report-texts": ("report", "gpt2", "-o", "{d}/r.html", "--texts", "{d}/pipe.txt"),
    "check-config": ("check", "--config", "{d}/pipe.txt"),
    "baseline-texts": ("baseline", "gpt2", "--texts", "{d}/pipe.txt", "-o", "{d}/g.json"),
}


@pytest.mark.parametrize("case", sorted(FIFO_CASES))
def test_fifo_is_an_error_not_a_hang(case, fifo_ws):
    before = tree(fifo_ws)
    run = run_proc(*(a.replace("{d}", str(fifo_ws)) for a in FIFO_CASES[case]), timeout=HANG)
    assert_clean_failure(run, "FIFO")
    assert tree(fifo_ws) == before


@MIX
@pytest.mark.parametrize("cats", ["cats", "cats_nested"])
def test_fifo_category_file(cats, fifo_ws):
    run = run_proc("infer-mixture", "gpt2", "--categories", str(fifo_ws / cats), "--merges", "200", timeout=HANG)
    assert_clean_failure(run, "FIFO")


# ------------------------------------------------------------------------------ argv bytes
@pytest.mark.parametrize("args", [
    (b"encode", b"gpt2", b"\xff"), (b"encode", b"mistral", b"a\xffb"), (b"--json", b"encode", b"gpt4o", b"\xff"),
    (b"bytes", b"next", b"-m", b"tiny:gpt2", b"ab\xff"), (b"bytes", b"complete", b"-m", b"tiny:gpt2", b"ab\xff"),
], ids=lambda a: b" ".join(a).decode("latin-1"))
def test_argv_bytes_that_are_not_utf8(args):
    run = run_proc(*args)
    assert_clean_failure(run, "not valid utf-8", json_mode=b"--json" in args)


def test_argv_bytes_replaced_on_request():
    run = run_proc("--json", "--errors", "replace", "encode", "gpt4o", b"a\xffb")
    assert_clean_success(run, json_mode=True)
    assert "".join(json.loads(run.out)["pieces"]) == "a\ufffdb"


# ------------------------------------------------------------------------------ environment quirks
@pytest.mark.parametrize("args", [("encode", "gpt4o", "dünya 🙂"), ("inspect", "mistral"),
                                  ("encode", "mistral", "çay ☕"), ("tokenizers",)], ids=lambda a: " ".join(a))
def test_ascii_output_encoding(args):
    run = run_proc(*args, env={"PYTHONIOENCODING": "ascii"})
    assert_clean_success(run)


def test_ascii_output_encoding_keeps_json_exact():
    run = run_proc("--json", "encode", "gpt4o", "dünya 🙂", env={"PYTHONIOENCODING": "ascii"})
    assert_clean_success(run, json_mode=True)
    assert run.out.isascii()
    assert "".join(json.loads(run.out)["pieces"]) == "dünya 🙂"


def test_ascii_output_encoding_error_line():
    run = run_proc("encode", "no-such-tökenizer", "x", env={"PYTHONIOENCODING": "ascii"})
    assert_clean_failure(run)


@pytest.mark.parametrize("env", [
    {"LC_ALL": "C", "LANG": "C"}, {"TERM": "dumb", "NO_COLOR": "1"}, {"COLUMNS": "20"},
], ids=lambda e: ",".join(e))
def test_odd_terminals(env):
    run = run_proc("encode", "gpt2", "hello world", env=env)
    assert_clean_success(run)
    assert "hello" in run.out


def test_no_home_and_no_cache_variables(tmp_path):
    env = env_without("HOME", "XDG_CACHE_HOME", "TOKFORENSICS_CACHE")
    run = run_proc("--json", "encode", "gpt2", "hello", env=env, cwd=tmp_path)
    assert_clean_success(run, json_mode=True)


@pytest.mark.parametrize("where", ["/proc/tok-cache", "file"])
def test_unwritable_cache_is_not_an_error(where, tmp_path):
    if where == "file":
        (tmp_path / "cachefile").write_text("not a folder")
        where = str(tmp_path / "cachefile")
    run = run_proc("--json", "encode", "gpt2", "hello", env={"TOKFORENSICS_CACHE": where})
    assert_clean_success(run, json_mode=True)
    assert json.loads(run.out)["n_tokens"] == 1


def test_broken_pipe():
    p = subprocess.run(f"{' '.join(TOK)} tokenizers | head -c 20", shell=True, capture_output=True, timeout=HANG)
    assert TRACEBACK.encode() not in p.stderr, p.stderr
    assert b"error" not in p.stderr.lower()


def test_closed_stdout():
    p = subprocess.run([*TOK, "encode", "gpt2", "hi"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=HANG)
    assert p.returncode == 0 and TRACEBACK.encode() not in p.stderr


@pytest.mark.parametrize("command", [("export", "gpt2"), ("merges", "gpt2")])
def test_file_size_limit_during_write(command, tmp_path):
    """A limit hit halfway through the write (like a full disk): one line, exit 2, no partial file."""
    limit = 20_000

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "out.json"
    run = run_proc(*command, "-o", str(out), preexec=small_files)
    assert_clean_failure(run, "cannot write")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ signals, kill and rerun
def _metrics_doc(out: str) -> dict:
    doc = json.loads(out)
    doc.pop("provenance")
    return doc


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 2.0, 4.0])
def test_kill_and_rerun_metrics(delay, tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "TOKFORENSICS_CACHE": str(cache)}
    ref = run_proc("--json", "metrics", "gpt2", "mistral", env={"TOKFORENSICS_CACHE": str(tmp_path / "ref")})
    assert_clean_success(ref, json_mode=True)
    p = subprocess.Popen([*TOK, "--json", "metrics", "gpt2", "mistral"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    again = run_proc("--json", "metrics", "gpt2", "mistral", env={"TOKFORENSICS_CACHE": str(cache)})
    assert_clean_success(again, json_mode=True)
    assert "damaged" not in again.err
    assert _metrics_doc(again.out) == _metrics_doc(ref.out)


@pytest.mark.slow
# a SIGINT before the interpreter has installed its handler (a loaded machine) ends the process by the signal itself
@pytest.mark.parametrize("sig,codes", [(signal.SIGINT, (130, 0, -signal.SIGINT)),
                                       (signal.SIGTERM, (-signal.SIGTERM, 0))],
                         ids=["SIGINT", "SIGTERM"])
def test_interrupt_exits_without_traceback(sig, codes, tmp_path):
    p = subprocess.Popen([*TOK, "metrics", "gpt2"], env={**os.environ, "TOKFORENSICS_CACHE": str(tmp_path)},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    p.send_signal(sig)
    _, err = p.communicate(timeout=HANG)
    assert TRACEBACK.encode() not in err
    assert p.returncode in codes, (p.returncode, err)


@pytest.mark.slow
def test_concurrent_runs_on_one_cold_cache(tmp_path):
    env = {**os.environ, "TOKFORENSICS_CACHE": str(tmp_path / "cache")}
    procs = [subprocess.Popen([*TOK, "--json", "metrics", "gpt2"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and TRACEBACK.encode() not in err, err
    assert _metrics_doc(outs[0][0].decode()) == _metrics_doc(outs[1][0].decode())
    third = run_proc("--json", "metrics", "gpt2", env={"TOKFORENSICS_CACHE": str(tmp_path / "cache")})
    assert "damaged" not in third.err and _metrics_doc(third.out) == _metrics_doc(outs[0][0].decode())


@pytest.mark.slow
def test_concurrent_conversions_of_one_tokenizer(tmp_path):
    env = {**os.environ, "TOKFORENSICS_CACHE": str(tmp_path / "cache")}
    procs = [subprocess.Popen([*TOK, "--json", "encode", "gpt4o", "concurrency 🙂"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    assert len({o[0] for o in outs}) == 1


def _big_categories(root):
    root.mkdir()
    for k, word in enumerate(["alpha", "beta", "gamma"]):
        (root / f"c{k}.txt").write_text(f"{word} text sample number {k} with some words. " * 4000)
    return root


@pytest.mark.slow
@MIX
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_mixture_workers_die_with_their_parent(sig, tmp_path):
    cats = _big_categories(tmp_path / "cats")
    p = subprocess.Popen([*TOK, "-q", "infer-mixture", "gpt2", "--categories", str(cats), "--workers", "2",
                          "--merges", "20000"], env={**os.environ, "TOKFORENSICS_CACHE": str(tmp_path / "c")},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kids: list[int] = []
    deadline = time.time() + 120
    while time.time() < deadline and not kids:
        kids = children_of(p.pid)
        time.sleep(0.2)
    time.sleep(1.0)
    kids = children_of(p.pid) or kids
    kill(p.pid, sig)
    p.wait()
    time.sleep(5)
    alive = [k for k in kids if os.path.exists(f"/proc/{k}")]
    for k in alive:
        kill(k)
    assert kids and not alive, f"orphaned workers: {alive}"


@pytest.mark.slow
@MIX_NOT_RUN
def test_mixture_workers_are_bounded(tmp_path):
    cats = _big_categories(tmp_path / "cats")
    p = subprocess.Popen([*TOK, "-q", "infer-mixture", "gpt2", "--categories", str(cats), "--workers", "16",
                          "--merges", "2000"], env={**os.environ, "TOKFORENSICS_CACHE": str(tmp_path / "c")},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    most = 0
    while p.poll() is None:
        most = max(most, len(children_of(p.pid)))
        time.sleep(0.1)
    assert most <= min(os.cpu_count() or 1, 3), most


@MIX_NOT_RUN
def test_mixture_rejects_runaway_workers(tmp_path):
    run = run_proc("infer-mixture", "gpt2", "--workers", "100000", "--merges", "200", timeout=HANG)
    assert_clean_failure(run, "--workers")
