"""Per-code-point lookup tables (Unicode script, letter/mark/digit/space) and text → code-point arrays.

Every vectorised metric works on numpy arrays of code points. The tables cover the whole code space
(1,114,112 entries, 2 bytes each), are built once from the `regex` module's Unicode data (~0.6 s) and kept
in the content-addressed cache, keyed by the regex and unicodedata versions.
"""

from __future__ import annotations

import io
import unicodedata
from functools import cache

import numpy as np

from .. import cache as _cache

# Scripts that get their own name; everything else that is a letter is "Other". Order is the id (1-based).
SCRIPTS: tuple[str, ...] = (
    "Latin", "Cyrillic", "Greek", "Armenian", "Georgian", "Hebrew", "Arabic", "Syriac", "Thaana", "Nko",
    "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam",
    "Sinhala", "Thai", "Lao", "Tibetan", "Myanmar", "Khmer", "Mongolian", "Ethiopic", "Cherokee",
    "Canadian_Aboriginal", "Ol_Chiki", "Hangul", "Hiragana", "Katakana", "Han", "Bopomofo", "Yi", "Tifinagh",
    "Javanese", "Balinese", "Sundanese", "Tai_Le", "New_Tai_Lue", "Vai", "Adlam", "Runic", "Ogham", "Coptic",
    "Glagolitic", "Tai_Tham", "Tai_Viet", "Cham", "Buginese", "Batak", "Lepcha", "Limbu", "Meetei_Mayek",
)
SCRIPT_NAMES: tuple[str, ...] = ("Other", *SCRIPTS)
# Scripts written without spaces between words: fertility is counted per character for them.
UNSPACED_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan",
                              "Javanese", "Balinese", "Tai_Le", "New_Tai_Lue", "Tai_Tham", "Yi", "Bopomofo"})

LETTER, MARK, SPACE, DIGIT = 1, 2, 4, 8
N_CODEPOINTS = 0x110000
LUT_VERSION = "1"


def _build() -> tuple[np.ndarray, np.ndarray]:
    import regex

    text = "".join(map(chr, range(N_CODEPOINTS)))
    script = np.zeros(N_CODEPOINTS, np.uint8)
    for k, name in enumerate(SCRIPTS, 1):
        for m in regex.finditer(r"\p{Script=" + name + "}+", text):
            script[m.start():m.end()] = k
    cls = np.zeros(N_CODEPOINTS, np.uint8)
    for bit, pat in ((LETTER, r"\p{L}+"), (MARK, r"\p{M}+"), (DIGIT, r"\p{Nd}+")):
        for m in regex.finditer(pat, text):
            cls[m.start():m.end()] |= bit
    for cp in range(0x3000 + 1):
        if chr(cp).isspace():
            cls[cp] |= SPACE
    return script, cls


@cache
def tables() -> tuple[np.ndarray, np.ndarray]:
    """(script id per code point, class bits per code point)."""
    import regex

    key = _cache.key_of("unicode-lut", LUT_VERSION, regex.__version__, unicodedata.unidata_version, SCRIPTS)

    def build() -> bytes:
        script, cls = _build()
        buf = io.BytesIO()
        np.savez_compressed(buf, script=script, cls=cls)
        return buf.getvalue()

    def parse(data: bytes) -> tuple[np.ndarray, np.ndarray]:
        with np.load(io.BytesIO(data)) as z:
            script, cls = z["script"], z["cls"]
        if script.shape != cls.shape or script.shape[0] != 0x110000:
            raise ValueError(f"tables of shape {script.shape}, {cls.shape}")
        return script, cls

    return parse(_cache.cached_bytes("unicode", key, ".npz", build, validate=parse))


def codepoints(text: str) -> np.ndarray:
    """Code points of `text` as uint32 (lone surrogates, e.g. from surrogateescape, are kept)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def turkish_lower(s: str) -> str:
    return s.replace("I", "ı").replace("İ", "i").lower()
