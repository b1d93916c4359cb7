"""Output files: checked before the work starts, written atomically, every failure one clear line.

A command that writes a file calls `check_destination` first, so a read-only, missing or special
location is reported before minutes of computation, and then `write_output`, which goes through a
temporary file and a rename, so a full disk or a killed process never leaves a half-written file.
A path ending in .gz, .xz or .zst is written compressed in that format (the readers decompress by the same
names), and .gz output carries no timestamp or file name, so the same content gives the same bytes.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .cache import atomic_writer
from .errors import InputError, UsageError

# What a command reads, as (path, what it is: "tokenizer file", "policy file", "category folder", ...).
Reads = Iterable[tuple["Path | str | None", str]]

_HINTS = {28: "the disk is full; free some space or choose another location",
          13: "permission denied; choose another path", 30: "the file system is read-only; choose another path",
          1: "not permitted (an immutable file or folder?); choose another path",
          2: "no such folder; create it or choose another path", 20: "a part of the path is not a folder",
          21: "it is a folder; give a file path", 122: "the disk quota is exceeded; free some space",
          17: "a file stands where the path needs a folder; choose another path",
          27: "the file is larger than allowed here (a file-size limit, `ulimit -f`?)"}


def _message(path: Path, what: str, exc: OSError) -> str:
    hint = _HINTS.get(exc.errno or 0, f"{exc.strerror or exc}; choose another path")
    return f"cannot write {what} {path} ({hint})"


def refuse_inputs(path: Path, what: str, reads: Reads) -> None:
    """Raise `UsageError` when `path` is a file the command reads (through any link or spelling), or lies in a
    folder it reads: the atomic rename would replace the input with the output before anyone notices."""
    path = Path(path)
    if not os.path.lexists(path):
        return  # a file that is not there is not being read
    for src, kind in reads:
        if src is None or str(src) == "":
            continue
        src = Path(src).expanduser()
        try:
            if src.is_dir():
                if path.resolve().is_relative_to(src.resolve()):
                    raise UsageError(f"{what} {path} is inside the {kind} this command reads; give another path")
            elif path.resolve() == src.resolve() or (src.exists() and os.path.samefile(path, src)):
                raise UsageError(f"{what} {path} is the {kind} this command reads; give another path")
        except OSError:
            continue  # unreadable either way: the read or the write reports it in its own words


def check_destination(path: Path, what: str = "-o", reads: Reads = ()) -> None:
    """Raise `InputError` unless a file can be created at `path` (probing with a temporary file beside it), and
    `UsageError` when `path` is one of the files the command `reads` (see `refuse_inputs`).

    Missing folders are fine, for every output alike (the writer creates them): the probe goes into the
    nearest folder that exists.
    """
    path = Path(path)
    refuse_inputs(path, what, reads)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(_message(path, what, exc)) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{what} {path} is a directory; give a file path")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{what} {path} is not a regular file (a device, FIFO or socket); give a file path")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{what} {path}: {parent} is not a folder; choose another path")
    # os.access is not enough: immutable files, read-only mounts and /proc answer it wrongly
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
    except OSError as exc:
        why = _HINTS.get(exc.errno or 0) if exc.errno not in (2, 20) else None
        raise InputError(f"{what} {path}: cannot create a file in {parent} "
                         f"({why or (exc.strerror or str(exc)) + '; choose another path'})") from None
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:
        pass


def compressed_for(path: Path, blob: bytes) -> bytes:
    """`blob` in the compression that `path`'s suffix names (.gz, .xz, .zst), or as it is."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        import gzip

        return gzip.compress(blob, mtime=0)
    if suffix == ".xz":
        import lzma

        return lzma.compress(blob)
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise InputError(f"{path}: writing .zst files needs the zstandard package (pip install zstandard); "
                             "or choose a .gz or .xz name") from None
        return zstandard.ZstdCompressor().compress(blob)
    return blob


def write_output(path: Path, data: str | bytes, what: str = "-o") -> int:
    """Write `data` to `path` atomically (compressed as its suffix says); returns the bytes written. Failures raise `InputError`."""
    path = Path(path)
    blob = compressed_for(path, data.encode("utf-8") if isinstance(data, str) else data)
    if path.is_dir():
        raise InputError(f"{what} {path} is a directory; give a file path")
    try:
        with atomic_writer(path, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise InputError(_message(path, what, exc)) from None
    return len(blob)
