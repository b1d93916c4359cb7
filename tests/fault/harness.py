"""Shared checks of the fault suite: a clean failure, an unchanged file tree, a real process when needed."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from ..cli_helpers import Run, run_tok

ROOT = Path(__file__).resolve().parents[2]
TOK = [sys.executable, "-m", "tokforensics.cli"]
TRACEBACK = "Traceback (most recent call last)"


def tree(root: Path) -> dict[str, tuple]:
    """Every entry under `root` (hidden ones too) with its kind and, for files, size and sha256."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_fifo():
                out[rel] = ("fifo",)
            elif p.is_file():
                data = p.read_bytes()
                out[rel] = ("file", len(data), hashlib.sha256(data).hexdigest())
            else:
                out[rel] = ("dir",)
    return out


def error_lines(err: str) -> list[str]:
    """The lines of stderr that are not notes or blank."""
    return [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("note:")]


def assert_clean_failure(run: Run, *needles: str, code: int = 2, json_mode: bool = False) -> None:
    """Exit `code`, exactly one error line, no traceback, nothing on stdout but (under --json) valid JSON."""
    assert run.code == code, (run.code, run.out[-2000:], run.err[-2000:])
    assert TRACEBACK not in run.err and TRACEBACK not in run.out, run.err[-3000:]
    lines = error_lines(run.err)
    assert len(lines) == 1, run.err[-3000:]
    assert lines[0].startswith("error:"), lines
    if json_mode and run.out.strip():
        json.loads(run.out)
    else:
        assert not run.out.strip(), run.out[-2000:]
    text = " ".join(run.err.split()).lower()
    for n in needles:
        assert n.lower() in text, (n, run.err)


def assert_clean_success(run: Run, json_mode: bool = False) -> None:
    assert run.code == 0, (run.code, run.out[-2000:], run.err[-3000:])
    assert TRACEBACK not in run.err and TRACEBACK not in run.out, run.err[-3000:]
    if json_mode:
        json.loads(run.out)


def run_proc(*args: str | bytes, env: dict | None = None, timeout: float = 120, cwd: Path | None = None,
             preexec=None, stdin=subprocess.DEVNULL) -> Run:
    """`tok ARGS` in a real process (signals, fds, env vars, argv bytes); a hang fails the test."""
    full_env = {**os.environ, **(env or {})}
    full_env = {k: v for k, v in full_env.items() if v is not None}
    cmd = [*(a.encode() for a in TOK), *(a if isinstance(a, bytes) else a.encode() for a in args)]
    try:
        p = subprocess.run(cmd, env=full_env, capture_output=True, timeout=timeout, cwd=cwd, preexec_fn=preexec,
                           stdin=stdin)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"tok {' '.join(map(str, args))} hung for {timeout} s") from exc
    return Run(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))


def env_without(*names: str) -> dict:
    return {n: None for n in names}


def run_in(cwd: Path, *args: str) -> Run:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return run_tok(*args)
    finally:
        os.chdir(old)


def children_of(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (Linux /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d.name))
    return out


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------------------------- bad input files

def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _ranks(extra: list[str]) -> str:
    return "\n".join([f"{_b64(bytes([i]))} {i}" for i in range(256)] + extra) + "\n"


def make_bad_files(ws: Path) -> dict[str, Path]:
    """Every kind of bad input file, created in `ws`; keys are the kind names the catalogue uses."""
    rng = random.Random(13)
    f: dict[str, Path] = {}

    def put(name: str, data: bytes | str) -> Path:
        p = ws / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    f["missing"] = ws / "missing.txt"
    f["dir"] = ws / "emptydir"
    f["dir"].mkdir()
    f["empty"] = put("empty.txt", b"")
    f["garbage"] = put("garbage.bin", bytes(rng.randrange(256) for _ in range(4096)))
    f["latin1"] = put("latin1.txt", "café crème brûlée\n".encode("latin-1"))
    f["dangling"] = ws / "dangling.txt"
    f["dangling"].symlink_to(ws / "nowhere.txt")
    f["devnull"] = ws / "null.txt"
    f["devnull"].symlink_to("/dev/null")
    # an output path that is a device: through a link, so that a regression (a rename over the path) replaces
    # the link in the workspace, never the system's /dev/full
    f["devfull"] = ws / "full.out"
    f["devfull"].symlink_to("/dev/full")
    whole = gzip.compress("".join(f"line {rng.random()}\n" for _ in range(2000)).encode())
    f["gz_trunc"] = put("trunc.txt.gz", whole[: len(whole) // 2])
    f["json_bad"] = put("bad/tokenizer.json", '{"model": {"type": "BPE", "vocab": {"a": 0')
    f["json_nomodel"] = put("nomodel/tokenizer.json", '{"version": "1.0"}')
    f["sp_bad"] = put("bad.model", b"\n\x05hello\x12\xff\xff\xff")
    f["gguf_trunc"] = put("trunc.gguf", b"GGUF\x03\x00\x00\x00\x10")
    f["tt_ok"] = put("ok.tiktoken", _ranks([f"{_b64(b'ab')} 256"]))
    f["tt_dup_rank"] = put("duprank.tiktoken", _ranks([f"{_b64(b'ab')} 255"]))
    f["tt_dup_token"] = put("duptok.tiktoken", _ranks([f"{_b64(b'ab')} 256", f"{_b64(b'ab')} 257"]))
    f["tt_neg"] = put("neg.tiktoken", _ranks([f"{_b64(b'ab')} -4"]))
    f["tt_b64"] = put("b64.tiktoken", _ranks(["!!!notbase64 256"]))
    f["tt_long"] = put("long.tiktoken", _ranks([f"{_b64(rng.randbytes(225_000))} 256"]))
    f["dir_dangling"] = ws / "corpus_dangling"
    put("corpus_dangling/a.txt", "hello world\n")
    (f["dir_dangling"] / "b.txt").symlink_to(ws / "nowhere.txt")
    f["dir_devnull"] = ws / "corpus_devnull"
    put("corpus_devnull/a.txt", "hello world\n")
    (f["dir_devnull"] / "b.txt").symlink_to("/dev/null")
    f["dir_garbage"] = ws / "corpus_garbage"
    put("corpus_garbage/a.txt", bytes(rng.randrange(128, 256) for _ in range(512)))
    return f
