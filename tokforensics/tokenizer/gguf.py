"""Read the tokenizer metadata of a GGUF file (vocabulary, merges, token types) without llama.cpp.

Only the key/value header is parsed; tensor data, which is most of the file, is never read.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

GGUF_MAGIC = b"GGUF"
# value types
_U8, _I8, _U16, _I16, _U32, _I32, _F32, _BOOL, _STR, _ARR, _U64, _I64, _F64 = range(13)
_SCALAR = {_U8: "<B", _I8: "<b", _U16: "<H", _I16: "<h", _U32: "<I", _I32: "<i", _F32: "<f",
           _BOOL: "<?", _U64: "<Q", _I64: "<q", _F64: "<d"}


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError("file ends inside the GGUF header")
    return data


def _string(f: BinaryIO) -> bytes:
    (n,) = struct.unpack("<Q", _read(f, 8))
    if n > 1 << 30:
        raise ValueError("implausible string length")
    return _read(f, n)


def _value(f: BinaryIO, vtype: int):
    if vtype in _SCALAR:
        fmt = _SCALAR[vtype]
        return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]
    if vtype == _STR:
        return _string(f)
    if vtype == _ARR:
        (etype,) = struct.unpack("<I", _read(f, 4))
        (n,) = struct.unpack("<Q", _read(f, 8))
        if etype in _SCALAR:
            fmt = _SCALAR[etype]
            size = struct.calcsize(fmt)
            raw = _read(f, size * n)
            return list(struct.unpack(f"<{n}{fmt[1]}", raw))
        return [_value(f, etype) for _ in range(n)]
    raise ValueError(f"unknown GGUF value type {vtype}")


def read_gguf_metadata(path: Path, prefix: str = "tokenizer.") -> dict[str, object]:
    """Metadata keys starting with `prefix` (plus general.*). Strings stay bytes."""
    try:
        with open(path, "rb") as f:
            if _read(f, 4) != GGUF_MAGIC:
                raise ValueError("no GGUF magic number")
            (version,) = struct.unpack("<I", _read(f, 4))
            if version < 2:
                raise ValueError(f"GGUF version {version} is not supported (need 2 or later)")
            _n_tensors, n_kv = struct.unpack("<QQ", _read(f, 16))
            out: dict[str, object] = {}
            for _ in range(n_kv):
                key = _string(f).decode("utf-8")
                (vtype,) = struct.unpack("<I", _read(f, 4))
                val = _value(f, vtype)
                if key.startswith(prefix) or key.startswith("general."):
                    out[key] = val
            return out
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable GGUF file ({exc}); copy it again, or give its tokenizer.json") from None
