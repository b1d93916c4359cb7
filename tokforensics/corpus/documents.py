"""Documents of a user's category files, streamed in batches: never a whole file in memory.

A document is one JSON Lines record's ``text`` (with a newline appended when it has none, as `iter_units` does)
or one line of any other file, kept with its ``\\n``: the unit that `tokenizers` trainers read from a text file.
A document is known by (file, byte offset of its line in the decompressed stream), so a seeded choice of
documents does not depend on how a file is cut into jobs.

Uncompressed files can be cut into byte ranges that workers read on their own: a line belongs to the range that
holds its first byte. Compressed streams cannot be entered in the middle, so each is one range.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from . import locations
from .textio import NotUtf8Error, inner_suffix, is_compressed, open_binary, stream_errors, unreadable

BLOCK = 4 << 20  # decompressed bytes handed to the counter at a time
RANGE = 32 << 20  # uncompressed bytes per job: enough to amortise a job, small enough to balance two workers

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class FileRange:
    """Bytes [start, end) of a file's decompressed stream (end None: to its end); `salt` seeds document keys."""

    path: str
    start: int = 0
    end: int | None = None
    salt: int = 0

    @property
    def jsonl(self) -> bool:
        return inner_suffix(Path(self.path)) == ".jsonl"


@dataclass(frozen=True)
class Batch:
    """Consecutive documents of one range: their texts, byte offsets, and UTF-8 sizes."""

    texts: list[str]
    offsets: np.ndarray  # (n,) u8 offset of each document's line in the decompressed stream
    sizes: np.ndarray  # (n,) i8 UTF-8 bytes of each text


def file_ranges(path: Path | str, salt: int, size: int | None = None, span: int = RANGE) -> list[FileRange]:
    """One range for a compressed or small file; line-aligned pieces of `span` bytes for a large plain one.
    `path`: a local path, or an fsspec URL as a str."""
    where = str(path)
    size = locations.size(where) if size is None else size
    if is_compressed(Path(where)) or size <= span:
        return [FileRange(where, 0, None, salt)]
    cuts = list(range(0, size, span))
    return [FileRange(where, a, (b if b < size else None), salt)
            for a, b in zip(cuts, [*cuts[1:], size], strict=True)]


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A fixed 64-bit mixer (SplitMix64's finaliser): a document's seeded key from its offset and file salt."""
    with np.errstate(over="ignore"):
        z = (x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)) & _M64
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
        return z ^ (z >> np.uint64(31))


def document_keys(offsets: np.ndarray, salt: int) -> np.ndarray:
    return splitmix64(offsets.astype(np.uint64) ^ np.uint64(salt & 0xFFFFFFFFFFFFFFFF))


def _line_blocks(fr: FileRange) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) blocks of whole lines of the range (the last line of the file may lack its newline)."""
    fh = open_binary(fr.path)
    with fh:
        pos = fr.start
        if fr.start > 0:  # plain files only: skip the line that began in the range before
            fh.seek(fr.start - 1)
            pos = fr.start - 1 + len(fh.readline())
        elif fr.start < 0:
            raise ValueError("negative range start")
        pending = b""
        while True:
            if fr.end is not None and pos >= fr.end:
                return  # `pos` is where the next line starts: it belongs to the next range
            block = fh.read(BLOCK)
            if not block:
                if pending:
                    yield pos, pending
                return
            data = pending + block
            cut = data.rfind(b"\n") + 1
            if fr.end is not None and pos + cut > fr.end:
                # only lines starting before `end` belong here: cut after the line holding byte end - 1
                nl = data.find(b"\n", fr.end - pos - 1)
                yield pos, data[: nl + 1]
                return
            if cut == 0:
                pending = data  # a line longer than BLOCK: keep reading
                continue
            yield pos, data[:cut]
            pos += cut
            pending = data[cut:]


def _not_utf8(path: str, data: bytes, base: int) -> NotUtf8Error:
    try:
        data.decode("utf-8")
        at = base
    except UnicodeDecodeError as exc:
        at = base + exc.start
    return NotUtf8Error(f"{path}: not valid UTF-8 at byte {at}; "
                        "convert it to UTF-8 (for example: iconv -f LATIN1 -t UTF-8)")


def iter_batches(fr: FileRange) -> Iterator[Batch]:
    """The range's documents in batches of about BLOCK bytes. Errors are one-line InputErrors naming the file."""
    try:
        for base, data in _line_blocks(fr):
            lines = data.split(b"\n")
            if data.endswith(b"\n"):
                lines.pop()
            lens = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + 1
            offsets = base + np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
            if fr.jsonl:
                yield _jsonl_batch(fr.path, data, lines, offsets)
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise _not_utf8(fr.path, data, base) from None
            texts = text.split("\n")
            if text.endswith("\n"):
                texts.pop()
                texts = [t + "\n" for t in texts]
            else:
                texts = [t + "\n" for t in texts[:-1]] + [texts[-1]]
            sizes = lens.copy()
            if not data.endswith(b"\n"):
                sizes[-1] -= 1
            yield Batch(texts, offsets.astype(np.uint64), sizes)
    except InputError:
        raise
    except stream_errors() as exc:
        raise unreadable(fr.path, exc) from None


def _jsonl_batch(path: str, data: bytes, lines: list[bytes], offsets: np.ndarray) -> Batch:
    texts: list[str] = []
    keep: list[int] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except UnicodeDecodeError:
            raise _not_utf8(path, line, int(offsets[i])) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: byte {int(offsets[i])}: not valid JSON ({exc.msg}); "
                             "write one JSON object per line") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(f'{path}: byte {int(offsets[i])}: no string "text" field; '
                             'each line must be {"text": "..."}')
        t = record["text"]
        texts.append(t if t.endswith("\n") else t + "\n")
        keep.append(i)
    try:
        sizes = np.fromiter((len(t.encode("utf-8")) for t in texts), dtype=np.int64, count=len(texts))
    except UnicodeEncodeError:
        raise InputError(f"{path}: a record's text holds an unpaired surrogate escape such as \\ud800, which is "
                         "not Unicode text; remove or repair it") from None
    return Batch(texts, offsets[np.asarray(keep, dtype=np.int64)].astype(np.uint64), sizes)


def head_text(files: list[Path] | list[str], limit: int = 200_000) -> str:
    """The first `limit` characters of a category's documents (for script detection); unreadable files skipped."""
    out: list[str] = []
    n = 0
    for path in files:
        try:
            for batch in iter_batches(FileRange(str(path))):
                for t in batch.texts:
                    out.append(t)
                    n += len(t)
                    if n >= limit:
                        return "".join(out)
        except InputError:
            continue
    return "".join(out)
