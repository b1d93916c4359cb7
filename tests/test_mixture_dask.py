"""Counting and replay on a real Dask cluster: a `dask scheduler` and a `dask worker` process started here on
127.0.0.1, stopped by their process ids. The shares must be the local run's, byte for byte."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="Dask is an extra: pip install 'tokforensics[dist]'")

from tokforensics.mixture.executor import SerialExecutor  # noqa: E402
from tokforensics.mixture.infer import infer_mixture  # noqa: E402
from tokforensics.mixture.settings import MixtureSettings  # noqa: E402
from tokforensics.tokenizer.view import load_tokenizer  # noqa: E402

from .cli_helpers import run_tok  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EN = "The committee will meet on Tuesday to discuss the annual budget and the new building plans.\n" * 80
TR = "Komite yıllık bütçeyi ve yeni bina planlarını görüşmek için salı günü toplanacak.\n" * 80
PY = "def compute(values):\n    total = 0\n    for v in values:\n        total += v * 2\n    return total\n\n" * 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The address of a scheduler with one single-threaded worker, both real processes."""
    logs = tmp_path_factory.mktemp("dask-logs")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--dashboard-address", ":0", "--no-show"],
            env=env, stdout=open(logs / "scheduler.log", "wb"), stderr=subprocess.STDOUT, cwd=ROOT))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1",
             "--no-nanny", "--host", "127.0.0.1", "--dashboard-address", ":0", "--memory-limit", "4GB"],
            env=env, stdout=open(logs / "worker.log", "wb"), stderr=subprocess.STDOUT, cwd=ROOT))
        client = None
        deadline = time.monotonic() + 120
        while client is None:
            try:
                client = distributed.Client(address, timeout="5s", set_as_default=False)
            except OSError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise AssertionError("the Dask scheduler did not start: "
                                         + (logs / "scheduler.log").read_text()[-2000:]) from None
                time.sleep(0.5)
        client.wait_for_workers(1, timeout=120)
        yield address, client
        client.close()
    finally:
        for p in reversed(procs):
            _stop(p)


@pytest.fixture(scope="module")
def cats(tmp_path_factory):
    d = tmp_path_factory.mktemp("cats")
    (d / "en.txt").write_text(EN)
    (d / "tr.jsonl").write_text("\n".join(json.dumps({"text": line}) for line in TR.splitlines()))
    (d / "python").mkdir()
    (d / "python" / "a.txt.gz").write_bytes(gzip.compress(PY.encode()))
    (d / "python" / "b.txt").write_text(PY.upper())
    return d


def _canonical(res) -> str:
    d = json.loads(json.dumps(res, default=lambda o: o.__dict__))
    d.pop("timing")
    d["diagnostics"].pop("solve_seconds")
    return json.dumps(d, sort_keys=True)


@pytest.mark.slow
def test_cluster_run_equals_local_run(cluster, cats, tmp_path, monkeypatch):
    address, client = cluster
    tok = load_tokenizer("gpt2")
    settings = MixtureSettings(merges=400, max_rounds=6, bootstrap=4)
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "local"))
    local = infer_mixture(tok, cats, settings, SerialExecutor())
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "dask"))
    with distributed.get_task_stream(client=client) as stream:
        on_cluster = infer_mixture(tok, cats, settings, client)  # a distributed.Client is an executor
    assert _canonical(on_cluster) == _canonical(local)
    assert {c.name for c in local.categories} == {"en", "tr", "python"}
    ran = {str(t["key"]).split("-")[0].strip("('\"") for t in stream.data}
    assert {"count_range", "_replay_job"} <= ran, ran  # counting and replay ran on the worker process


@pytest.mark.slow
def test_cli_scheduler_flag(cluster, cats, fresh_cache):
    address, _ = cluster
    run = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(cats), "--merges", "300",
                  "--lp-rounds", "4", "--scheduler", address)
    assert run.code == 0, run.err
    assert {c["name"] for c in run.json()["categories"]} == {"en", "tr", "python"}


def test_unreachable_scheduler_is_one_line(cats, fresh_cache):
    run = run_tok("infer-mixture", "gpt2", "--categories", str(cats), "--scheduler",
                  f"tcp://127.0.0.1:{_free_port()}")
    assert run.code == 2 and "Traceback" not in run.err
    assert "cannot reach the Dask scheduler" in " ".join(run.err.split())


@pytest.mark.slow
def test_cluster_reads_an_fsspec_url(cluster, cats, tmp_path, monkeypatch):
    """The worker opens the files at the URL itself (fsspec's file:// backend here); the shares are the path run's."""
    address, _ = cluster
    args = ("--merges", "300", "--lp-rounds", "4", "--scheduler", address)
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "a"))
    by_path = run_tok("--json", "infer-mixture", "gpt2", "--categories", str(cats), *args)
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(tmp_path / "b"))  # nothing counted before: the worker reads
    by_url = run_tok("--json", "infer-mixture", "gpt2", "--categories", f"file://{cats}", *args)
    assert by_path.code == 0 and by_url.code == 0, by_url.err
    shares = [{c["name"]: c["share"] for c in r.json()["categories"]} for r in (by_path, by_url)]
    assert shares[0] == shares[1] and set(shares[0]) == {"en", "tr", "python"}
    assert by_url.json()["pack_source"] == f"user directory file://{cats}"
