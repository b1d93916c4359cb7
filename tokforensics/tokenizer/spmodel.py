"""Read a SentencePiece `.model` (a protobuf) without the protobuf package.

Only the fields tokforensics needs are decoded: the pieces with score and type, the model type,
byte fallback, and the normalizer settings that decide how text becomes pieces.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import InputError

# SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}


@dataclass(frozen=True)
class SPPiece:
    piece: str
    score: float
    type: int


@dataclass(frozen=True)
class SPModel:
    pieces: tuple[SPPiece, ...]
    model_type: str
    byte_fallback: bool
    normalizer_name: str
    add_dummy_prefix: bool
    remove_extra_whitespaces: bool
    escape_whitespaces: bool
    split_digits: bool
    allow_whitespace_only_pieces: bool


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ValueError("bad varint")


def _fields(buf: bytes):
    pos = 0
    n = len(buf)
    while pos < n:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
        elif wire == 1:
            val = buf[pos : pos + 8]
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            val = buf[pos : pos + length]
            if len(val) != length:
                raise ValueError("truncated field")
            pos += length
        elif wire == 5:
            val = buf[pos : pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield field, wire, val


def parse_sp_model(data: bytes, origin: str = "model") -> SPModel:
    try:
        pieces: list[SPPiece] = []
        trainer: dict[int, object] = {}
        normalizer: dict[int, object] = {}
        for field, wire, val in _fields(data):
            if field == 1 and wire == 2:
                piece, score, ptype = "", 0.0, NORMAL
                for f2, w2, v2 in _fields(val):
                    if f2 == 1 and w2 == 2:
                        piece = v2.decode("utf-8")
                    elif f2 == 2 and w2 == 5:
                        score = struct.unpack("<f", v2)[0]
                    elif f2 == 3 and w2 == 0:
                        ptype = v2
                pieces.append(SPPiece(piece, score, ptype))
            elif field == 2 and wire == 2:
                trainer = {f2: v2 for f2, _, v2 in _fields(val)}
            elif field == 3 and wire == 2:
                normalizer = {f2: v2 for f2, _, v2 in _fields(val)}
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise InputError(f"{origin}: not a valid SentencePiece model ({exc}); pass a .model file written by sentencepiece") from None
    if not pieces:
        raise InputError(f"{origin}: SentencePiece model has no pieces; the file is empty or not a .model")
    name = normalizer.get(1, b"nmt_nfkc")
    return SPModel(
        pieces=tuple(pieces),
        model_type=MODEL_TYPES.get(int(trainer.get(3, 1)), "unknown"),
        byte_fallback=bool(trainer.get(35, 0)),
        normalizer_name=name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name),
        add_dummy_prefix=bool(normalizer.get(3, 1)),
        remove_extra_whitespaces=bool(normalizer.get(4, 1)),
        escape_whitespaces=bool(normalizer.get(5, 1)),
        split_digits=bool(trainer.get(25, 0)),
        allow_whitespace_only_pieces=bool(trainer.get(26, 0)),
    )
