"""Where a user's category files live: a local path, or an fsspec URL (``s3://``, ``gs://``, ``file://``, ...).

A URL is read through fsspec (installed with the ``[dist]`` extra) and whatever backend the user has for its
scheme. Every worker opens its own byte ranges, so on a cluster the text goes from the store to the workers and
never through the client. Local paths never touch fsspec.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator
from typing import Any

from ..errors import InputError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(spec: object) -> bool:
    """True for a string that starts with a scheme such as ``s3://`` (a URL for fsspec), False for a path."""
    return isinstance(spec, str) and bool(_SCHEME.match(spec))


@functools.lru_cache(maxsize=64)
def _fs_for(scheme: str) -> Any:
    try:
        import fsspec
    except ImportError:
        raise InputError(f"reading a URL needs fsspec; pip install 'tokforensics[dist]' and the "
                         f"backend for {scheme}:// (for example s3fs for s3://, gcsfs for gs://)") from None
    try:
        return fsspec.filesystem(scheme)
    except (ImportError, ValueError) as exc:
        raise InputError(f"no usable fsspec backend for {scheme}:// ({exc}); install it (for "
                         "example s3fs for s3://, gcsfs for gs://) or give a local or shared path") from None


def filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path inside it) for a URL; a one-line InputError when fsspec or the backend is missing."""
    try:
        fs = _fs_for(_SCHEME.match(url).group(1))  # type: ignore[union-attr]
    except InputError as exc:
        raise InputError(f"{url}: {exc}") from None
    return fs, fs._strip_protocol(url)


@contextlib.contextmanager
def _reported(url: str, doing: str) -> Iterator[None]:
    """A backend's error as one line naming the URL. What fsspec's own backends raise for a missing, refused or
    malformed path is OSError or ValueError (s3fs maps its service errors to OSError subclasses); a backend's
    other exception types are not caught and surface as a bug report."""
    try:
        yield
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{url}: not found; check the URL") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{url}: cannot {doing} ({exc}); check the URL and its credentials") from None


def open_raw(path: str):
    """The raw (still compressed) byte stream of a local file or a URL."""
    if not is_url(path):
        return open(path, "rb")
    fs, p = filesystem(path)
    with _reported(path, "open it"):
        return fs.open(p, "rb")


@functools.lru_cache(maxsize=4096)
def _url_info(path: str) -> dict:
    fs, p = filesystem(path)
    with _reported(path, "read its size"):
        return dict(fs.info(p))


def size(path: str) -> int:
    """Bytes of a local file or a URL (as stored: compressed files count compressed)."""
    if not is_url(path):
        return os.path.getsize(path)
    return int(_url_info(path)["size"])


def version_mark(path: str) -> tuple | None:
    """What tells that a file has not changed since its content was hashed: (path, size, mtime, inode) for a local
    file; for a URL the store's own version fields where it has them (ETag, mtime, generation); None when it has
    none, and then the content is hashed again on each run."""
    if not is_url(path):
        st = os.stat(path)
        return (os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ino)
    info = _url_info(path)
    fields = [str(info[k]) for k in ("ETag", "etag", "mtime", "LastModified", "last_modified", "generation",
                                     "md5Hash", "created") if info.get(k) is not None]
    return (path, int(info["size"]), *fields) if fields else None


def list_dir(url: str) -> list[tuple[str, str, bool]]:
    """(name, url, is_folder) of each entry directly under a URL folder, sorted by name."""
    fs, root = filesystem(url)
    with _reported(url, "list it"):
        if not fs.isdir(root):
            raise InputError(f"{url}: not a folder (or it does not exist); give the URL of a folder that holds "
                             "one file or folder per category")
        entries = fs.ls(root, detail=True)
    out = []
    for e in entries:
        path = e["name"].rstrip("/")
        if path != root.rstrip("/"):
            out.append((path.rsplit("/", 1)[-1], fs.unstrip_protocol(path), e.get("type") == "directory"))
    return sorted(out)


def find_files(url: str) -> list[tuple[str, str]]:
    """(path relative to the URL folder, url) of every file under it, sorted by relative path."""
    fs, root = filesystem(url)
    root = root.rstrip("/")
    with _reported(url, "list it"):
        paths = fs.find(root)
    return sorted((p[len(root) + 1:], fs.unstrip_protocol(p)) for p in paths if p.startswith(root + "/"))


def read_bytes(url: str) -> bytes | None:
    """A small file's bytes from a URL (categories.json), or None when it does not exist."""
    fs, p = filesystem(url)
    with _reported(url, "read it"):
        if not fs.isfile(p):
            return None
        with fs.open(p, "rb") as f:
            return f.read()


def name_of(path: str) -> str:
    """The last component of a path or URL."""
    return path.rstrip("/").rsplit("/", 1)[-1]
