"""Content-addressed, atomic on-disk cache shared by every capability.

An entry is a file named by the hash of everything that determines it. Writers go through a
temporary file in the same directory and an atomic rename, so an interrupted run never leaves a
half-written entry that a later run would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Bump when a converter's output format changes, so stale entries are never read.
CACHE_VERSION = "1"


def cache_root() -> Path:
    env = os.environ.get("TOKFORENSICS_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "tokforensics"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def key_of(*parts: object) -> str:
    """A stable hash of JSON-serialisable parts (strings, numbers, lists, dicts)."""
    blob = json.dumps([CACHE_VERSION, *parts], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def entry_path(kind: str, key: str, suffix: str) -> Path:
    return cache_root() / kind / f"{key}{suffix}"


@contextmanager
def atomic_writer(path: Path, mode: str = "wb") -> Iterator:
    """Open a temporary file beside `path`; rename it over `path` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        # mkstemp creates 0600; give the file the permissions a plain open() would have
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_writer(path, "wb") as f:
        f.write(data)


def cached_bytes(kind: str, key: str, suffix: str, build: Callable[[], bytes]) -> bytes:
    """Return the cached entry, building and storing it atomically on a miss.

    A cache directory that cannot be written is not an error: the result is computed and returned.
    """
    path = entry_path(kind, key, suffix)
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = build()
    try:
        write_bytes_atomic(path, data)
    except OSError:
        pass
    return data
