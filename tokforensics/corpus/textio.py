"""Small shared helpers for reading text data: plain, gzip, xz or zstandard, lines or JSON Lines, strict UTF-8.

Everything here streams: no function reads a whole file into memory unless asked to (``read_json``).
Decoding is strict UTF-8; a bad byte raises :class:`NotUtf8Error` (an ``InputError``) naming the
file and the byte offset, so callers can skip the file or stop with a clear message.

Special files have one policy, shared by every command that reads user files (`require_regular`):
a FIFO, device or socket would block or never end, and a dangling symlink is a mistake, so each is
an ``InputError`` naming the file, whether it was given directly or found inside a folder.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import lzma
import os
import stat
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from tokforensics.errors import InputError

CHUNK = 1 << 20  # bytes read at a time when streaming


class NotUtf8Error(InputError):
    """A file that is not valid UTF-8 (the message names the file and the byte offset)."""


_KIND = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(path: Path) -> str | None:
    """What makes `path` unreadable as a data file ("a FIFO (named pipe)", "a dangling symlink"...), or None."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "a dangling symlink" if os.path.islink(path) else None
    except OSError:
        return None  # reported by the read itself, with the system's reason
    for test, kind in _KIND:
        if test(st.st_mode):
            return kind
    return None


def require_regular(path: str | Path, what: str = "") -> Path:
    """Raise ``InputError`` if `path` is a FIFO, device, socket or dangling symlink; return it as a Path."""
    path = Path(path)
    kind = special_kind(path)
    if kind is not None:
        label = f"{what} " if what else ""
        raise InputError(f"{label}{path} is {kind}, not a regular file; give a regular text file "
                         "(or copy the data into one)")
    return path


def list_files(folder: Path) -> list[Path]:
    """Every non-hidden file under `folder`, sorted; special files and dangling symlinks are errors, not skipped."""
    out = []
    for p in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in p.relative_to(folder).parts):
            continue
        if p.is_dir():
            continue
        require_regular(p)
        out.append(p)
    return out


MISSING = "{label}{path}: no such file; check the path"
FOLDER = "{label}{path} is a folder; give a file"
NOT_UTF8 = ("{label}{path}: not UTF-8 (byte 0x{byte:02x} at offset {offset}, line {line}); "
            "convert it, e.g. `iconv -f latin1 -t utf-8 {name}`")


def unreadable(path: str | Path, exc: BaseException, label: str = "", kind: str | None = None) -> InputError:
    """The one message for a damaged compressed file or a failed read, whichever reader met it. `kind`: the
    compression, when the caller knows it from the content rather than the name."""
    p = Path(str(path))  # a URL's suffix tells its format as well
    kind = kind or ("gzip" if is_gzip(p) else "xz" if is_xz(p) else "zstd" if is_zstd(p) else None)
    why = f"corrupt or truncated {kind} file: {exc}" if kind else str(exc)
    return InputError(f"{label}{path}: cannot read ({why}); check that the file is complete and readable")


def read_input_bytes(path: str | Path, what: str = "", *, missing: str = MISSING, folder: str = FOLDER,
                     gunzip: bool | str = False, decompress: bool = False) -> bytes:
    """The whole content of a user's input file, with one-line errors (missing, folder, special, unreadable).

    `missing` and `folder` are the messages for those two cases, templates over {label} (`what` and a
    space) and {path}, so each command can say what it expected there. `gunzip`: True, the file is gzip
    and is decompressed; "sniff", it is decompressed when its first bytes say gzip. `decompress`: a .gz, .xz
    or .zst file (by its name) is decompressed by `open_binary`, the reader of the category files.
    """
    path = require_regular(path, what)
    label = f"{what} " if what else ""
    if decompress and is_compressed(path):
        return _read_compressed(path, label, missing, folder)
    with _read_errors(path, label, missing, folder, OSError):
        raw = path.read_bytes()
    if gunzip is True or (gunzip == "sniff" and raw[:2] == b"\x1f\x8b"):
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise unreadable(path, exc, label, kind="gzip") from None
    return raw


@contextmanager
def _read_errors(path: Path, label: str, missing: str, folder: str, denied: type[OSError]) -> Iterator[None]:
    """One line for each way reading a user's file fails; `denied` is the OSError read as "cannot read" (for a
    compressed file only PermissionError: its other OSErrors are damage, reported by the caller)."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(missing.format(label=label, path=path)) from None
    except IsADirectoryError:
        raise InputError(folder.format(label=label, path=path)) from None
    except MemoryError:
        raise InputError(f"{label}{path}: too large to read into memory; split it into smaller files in a folder") from None
    except denied as exc:
        raise InputError(f"{label}{path}: cannot read ({exc.strerror or exc}); check its permissions") from None


def _read_compressed(path: Path, label: str, missing: str, folder: str) -> bytes:
    with _read_errors(path, label, missing, folder, PermissionError):
        try:
            with open_binary(path) as fh:
                return fh.read()
        except (FileNotFoundError, IsADirectoryError, PermissionError, MemoryError):
            raise
        except stream_errors() as exc:
            raise unreadable(path, exc, label) from None


def read_user_text(path: str | Path, what: str = "", *, missing: str = MISSING, folder: str = FOLDER,
                   not_utf8: str = NOT_UTF8, gunzip: bool | str = False, decompress: bool = False,
                   drop_bom: bool = False) -> str:
    """A user's text file as one string, strict UTF-8 (`drop_bom`: a leading byte-order mark is not text).

    Errors as `read_input_bytes` (`decompress` too); `not_utf8` is the message for bytes that are not UTF-8, a
    template over {label}, {path}, {name}, {byte}, {offset} and {line}.
    """
    path = Path(path)
    data = read_input_bytes(path, what, missing=missing, folder=folder, gunzip=gunzip, decompress=decompress)
    try:
        return data.decode("utf-8-sig" if drop_bom else "utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(not_utf8.format(
            label=f"{what} " if what else "", path=path, name=path.name, byte=data[exc.start], offset=exc.start,
            line=data[: exc.start].count(b"\n") + 1)) from None


def data_root() -> Path:
    """The shipped data folder (``data/`` in the repo, installed as the package ``tokforensics.data``)."""
    try:
        root = Path(str(resources.files("tokforensics.data")))
        if (root / "corpora").is_dir():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "data"


COMPRESSED_SUFFIXES = (".gz", ".xz", ".zst")


def is_gzip(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def is_xz(path: Path) -> bool:
    return path.suffix.lower() == ".xz"


def is_zstd(path: Path) -> bool:
    return path.suffix.lower() == ".zst"


def is_compressed(path: Path) -> bool:
    return path.suffix.lower() in COMPRESSED_SUFFIXES


def inner_suffix(path: Path) -> str:
    """The suffix that tells the format: ``.txt`` for ``a.txt``, ``a.txt.gz`` and ``a.txt.xz``; ``.jsonl`` for
    ``a.jsonl.gz``/``a.jsonl.xz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def zstandard_module():
    # optional: only users with .zst corpora need it, and a missing module must read as one line, not a traceback
    try:
        import zstandard
    except ImportError:
        raise InputError("reading .zst files needs the zstandard package: install zstandard "
                         "(pip install zstandard), or decompress the file first") from None
    return zstandard


def open_binary(path: Path | str) -> io.BufferedIOBase:
    """The decompressed byte stream of a plain, .gz, .xz or .zst file, local or at an fsspec URL (a str)."""
    from .locations import is_url, open_raw

    url = is_url(path)
    name = PurePosixPath(str(path)) if url else Path(path)  # its suffixes tell the format
    if not url:
        require_regular(name)
    zstd = zstandard_module() if is_zstd(name) else None  # before opening: a missing module leaves nothing open
    raw = open_raw(str(path))
    if is_gzip(name):
        return _Layered(gzip.GzipFile(fileobj=raw, mode="rb"), raw)  # type: ignore[return-value]
    if is_xz(name):
        return _Layered(lzma.LZMAFile(raw), raw)  # type: ignore[return-value]
    if zstd is not None:
        return _ZstdReader(raw, zstd)  # type: ignore[return-value]
    return raw


class _Layered:
    """A decompressing reader over a stream it was handed: closing it closes both (gzip and lzma leave a stream
    they did not open unclosed)."""

    def __init__(self, inner, raw):
        self._inner = inner
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        return self._inner.read(n)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _ZstdReader:
    """Decompressed bytes of a .zst stream, frame after frame. zstandard's stream_reader ends quietly at a cut-off
    frame; this raises, so a truncated file is an error and not a silently shorter corpus. Owns `raw`."""

    def __init__(self, raw, zstd):
        self._zstd = zstd
        self._raw = raw
        self._obj = zstd.ZstdDecompressor().decompressobj()
        self._buf = b""
        self._started = False

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            chunk = self._raw.read(1 << 20)
            if not chunk:
                if self._started and not self._obj.eof:
                    raise self._zstd.ZstdError("the last frame is cut off (truncated file)")
                break
            while chunk:
                if self._obj.eof:  # a new frame starts in the rest of this chunk
                    self._obj = self._zstd.ZstdDecompressor().decompressobj()
                self._started = True
                self._buf += self._obj.decompress(chunk)
                chunk = self._obj.unused_data if self._obj.eof else b""
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stream_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean a compressed or plain stream is damaged or unreadable."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, lzma.LZMAError)
    try:
        import zstandard
    except ImportError:
        return errors
    return (*errors, zstandard.ZstdError)


_open_binary = open_binary


def iter_lines(path: str | Path) -> Iterator[str]:
    """Yield the lines of a plain, ``.gz``, ``.xz`` or ``.zst`` text file, split at ``\\n`` and kept with it, strict UTF-8.

    Raises :class:`NotUtf8Error` at the first invalid byte and ``InputError`` for a corrupt gzip/xz stream.
    """
    path = Path(path)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    pending = ""
    try:
        with _open_binary(path) as fh:
            while True:
                chunk = fh.read(CHUNK)
                final = not chunk
                try:
                    text = decoder.decode(chunk, final=final)
                except UnicodeDecodeError as exc:
                    raise NotUtf8Error(
                        f"{path}: not valid UTF-8 at byte {offset + exc.start}; "
                        "convert it to UTF-8 (for example: iconv -f LATIN1 -t UTF-8)"
                    ) from None
                offset += len(chunk)
                if text:
                    parts = (pending + text).split("\n")
                    pending = parts.pop()
                    for part in parts:
                        yield part + "\n"
                if final:
                    break
    except stream_errors() as exc:
        raise unreadable(path, exc) from None
    if pending:
        yield pending


def json_lines(lines: Iterable[str], where: str | Path, field: str | None = None,
               hint: str = "write one JSON object per line") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of JSON Lines text; errors name `where` and the line.

    With `field`, each object must hold a string under that key. `hint` ends the message for a line that
    is not JSON or not an object (what the user should do about it).
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}:{number}: not valid JSON ({exc.msg}); {hint}") from None
        if not isinstance(record, dict):
            raise InputError(f"{where}:{number}: expected a JSON object; {hint}")
        if field is not None and not isinstance(record.get(field), str):
            raise InputError(f'{where}:{number}: expected an object with a string "{field}" field; '
                             f'each line must be {{"{field}": "..."}}')
        yield number, record


def iter_jsonl_texts(path: str | Path, field: str = "text") -> Iterator[str]:
    """Yield ``record[field]`` for each JSON line of a plain or ``.gz`` JSON Lines file (blank lines skipped)."""
    path = Path(path)
    for _, record in json_lines(iter_lines(path), path, field):
        yield record[field]


def iter_units(path: str | Path) -> Iterator[str]:
    """The sampling units of a text file: lines of ``.txt`` (and any other suffix), records of ``.jsonl``.

    Lines keep their line ending; JSON Lines records get a trailing newline so units concatenate cleanly.
    """
    path = Path(path)
    if inner_suffix(path) == ".jsonl":
        for text in iter_jsonl_texts(path):
            yield text if text.endswith("\n") else text + "\n"
    else:
        yield from iter_lines(path)


def read_json(path: str | Path) -> Any:
    """Read a whole (small) JSON file, plain or ``.gz``."""
    path = Path(path)
    text = "".join(iter_lines(path))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); fix or regenerate it") from None


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield each JSON object of a plain or ``.gz`` JSON Lines file (one the program ships or wrote)."""
    path = Path(path)
    for _, record in json_lines(iter_lines(path), path, hint="regenerate the file"):
        yield record
