"""Content-addressed, atomic on-disk cache shared by every capability.

An entry is a file named by the hash of everything that determines it. Writers go through a
temporary file in the same directory and an atomic rename, so an interrupted run never leaves a
half-written entry that a later run would trust.

Readers still validate every entry (`read_entry`): a disk error, a truncated copy or a stray edit can
damage a file after it was written. A damaged entry is deleted, noted once on the `tokforensics`
logger (the CLI prints it as one line), and rebuilt; it never breaks a command.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("tokforensics")

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


def discard(path: Path, why: str) -> None:
    """Delete a damaged cache entry and say so (it is rebuilt by the caller)."""
    try:
        path.unlink()
    except OSError:
        pass
    log.info(f"damaged cache entry {path} ({why}); discarded it and rebuilt the result")


def read_entry(path: Path, parse: Callable[[bytes], T]) -> T | None:
    """The parsed entry at `path`, or None when there is none or it was damaged (then it is discarded).

    `parse` turns the bytes into the value and raises on anything it does not accept; every exception
    it raises means "damaged", because a cache entry is only ever written by this program.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None  # missing or unreadable: a miss
    try:
        return parse(data)
    except Exception as exc:  # noqa: BLE001 - see the docstring: any parse failure is damage
        discard(path, f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:120] if str(exc) else 'unreadable'}")
        return None


def _digest_mark(version: tuple) -> Path:
    return entry_path("stream", key_of("digest", *version), ".txt")


def _a_digest(data: bytes) -> str:
    text = data.decode("ascii").strip()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError("not a sha256")
    return text


def recalled_digest(version: tuple | None) -> str | None:
    """The sha256 remembered for a file in this version (see `remember_digest`), or None."""
    return None if version is None else read_entry(_digest_mark(version), _a_digest)


def remember_digest(version: tuple | None, digest: str) -> None:
    """Remember a file's sha256 under what tells that it has not changed since (corpus.locations.version_mark), so
    an unchanged file is hashed once; best effort (a read-only cache only costs the re-hash)."""
    if version is None:
        return
    try:
        write_bytes_atomic(_digest_mark(version), digest.encode())
    except OSError:
        pass


def json_object(data: bytes) -> dict:
    """Parse a cache entry that must be one JSON object."""
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    return doc


def cached(kind: str, key: str, suffix: str, build: Callable[[], T], *, dump: Callable[[T], bytes],
           load: Callable[[bytes], T]) -> T:
    """Get or compute: the cached value, or `build()` stored atomically on a miss.

    `load` turns the stored bytes back into the value and raises on a damaged entry, which is then
    discarded and rebuilt. A cache directory that cannot be written is not an error: the value is
    computed and returned.
    """
    path = entry_path(kind, key, suffix)
    hit = read_entry(path, load)
    if hit is not None:
        return hit
    value = build()
    try:
        write_bytes_atomic(path, dump(value))
    except OSError:
        pass
    return value


def npz_bytes(**arrays) -> bytes:
    """Arrays as the bytes of an .npz file (what `write_bytes_atomic` and `cached` store)."""
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def npz_arrays(names: tuple[str, ...]) -> Callable[[bytes], dict]:
    """A `read_entry`/`cached` parser for an .npz entry that must hold these arrays (else it is damaged)."""

    def parse(data: bytes) -> dict:
        import io

        import numpy as np

        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: z[k] for k in names}

    return parse


def store(path: Path, data: bytes) -> None:
    """Write an entry atomically; a cache that cannot be written only costs time."""
    try:
        write_bytes_atomic(path, data)
    except OSError:
        pass


def cached_bytes(kind: str, key: str, suffix: str, build: Callable[[], bytes],
                 validate: Callable[[bytes], object] | None = None) -> bytes:
    """`cached` for a value that is its own stored form; `validate` raises on a damaged entry."""

    def check(data: bytes) -> bytes:
        if validate is not None:
            validate(data)
        return data

    return cached(kind, key, suffix, build, dump=lambda data: data, load=check)


def cached_json(kind: str, key: str, build: Callable[[], T], load: Callable[[dict], T],
                dump: Callable[[T], dict] | None = None) -> T:
    """`cached` for a value stored as one JSON object: `load` builds the value from it (and raises when it
    is not the right shape); `dump` gives the object to store (default: the value itself)."""
    return cached(kind, key, ".json", build,
                  dump=lambda v: json.dumps(dump(v) if dump else v, ensure_ascii=False).encode("utf-8"),
                  load=lambda data: load(json_object(data)))
