"""Data for the report's token viewer.

What the page can show, and how it stays honest:
- Precomputed examples: a fixed set of texts (scripts, code, numbers, whitespace, emoji, plus any texts the
  user passes) tokenized here by the real tokenizers. Always exact.
- Free text pasted into the page: only for tokenizers that a small in-page encoder reproduces exactly. That
  is rank-based byte-level BPE with a regex pretokenizer (tiktoken-format files: gpt2, p50k, gpt4, gpt4o,
  qwen2.5, llama3/4, and Tekken). The page carries their vocabulary (gzip + base64) and, when it opens,
  re-encodes every precomputed example and compares ids; a tokenizer whose in-page encoder disagrees on any
  example is shown as "precomputed only". Other tokenizers (SentencePiece, Hugging Face tokenizer.json
  pipelines) are never simulated.
"""

from __future__ import annotations

import base64
import gzip
import re
import struct
from dataclasses import dataclass

from ..corpus.probes import Probe, shipped_probes
from ..tokenizer import display
from ..tokenizer.view import Tokenizer

DEFAULT_EXAMPLES = (
    "scripts/eng", "scripts/deu", "scripts/tur", "scripts/rus", "scripts/arb", "scripts/hin", "scripts/cmn-hans",
    "scripts/jpn", "scripts/kor", "scripts/tha", "scripts/mya", "scripts/amh", "code/python", "code/json",
    "code/shell", "numbers/arith-add", "numbers/thousands", "numbers/dates", "whitespace/indent-4",
    "whitespace/crlf", "whitespace/zero-width", "emoji/zwj-family", "emoji/flags", "emoji/in-text",
)
LIVE_FORMATS = ("tiktoken", "tekken")
# White_Space as the tokenizers' regex engines (Rust regex / Python regex) define \s; JavaScript's \s differs
# (it adds U+FEFF and lacks U+0085).
_WS = r"\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"


@dataclass(frozen=True)
class LiveEncoder:
    pattern: str  # JavaScript source, used with flags "gu"
    nfc: bool
    specials: dict[str, int]
    vocab: str  # base64 of gzip of: uint32 count, count x uint16 length, then the bytes of every id
    size: int  # characters of `vocab`


def example_probes(extra: list[Probe] | None = None) -> list[Probe]:
    by_id = {p.id: p for p in shipped_probes()}
    return [by_id[i] for i in DEFAULT_EXAMPLES if i in by_id] + list(extra or [])


def tokenize_examples(tok: Tokenizer, probes: list[Probe]) -> list[list[list]]:
    """For each probe: [[id, piece], ...], pieces shown as `tok check` shows them."""
    return [[[i, piece] for i, piece in zip(ids, display.pieces(tok.token_bytes, ids), strict=True)]
            for ids in tok.encode_batch([p.text for p in probes])]


def live_encoder(tok: Tokenizer) -> tuple[LiveEncoder | None, str]:
    """(encoder data, '') or (None, why the page cannot encode free text with this tokenizer)."""
    info = tok.info()
    if info.format not in LIVE_FORMATS:
        return None, (f"{info.format} tokenizer ({info.algorithm}); the page only reproduces tiktoken-style "
                      "byte-level BPE, so it shows the precomputed examples")
    if not tok.byte_level or not tok.pattern:
        return None, "not byte-level BPE with a regex pretokenizer"
    js = js_pattern(tok.pattern)
    if js is None:
        return None, "its pretokenizer regex uses features the in-page encoder does not translate"
    if info.normalizer not in ("none", "NFC"):
        return None, f"its normalizer ({info.normalizer}) is not reproduced in the page"
    tb = tok.token_bytes
    ranked = tok.bytes_to_id
    lengths = bytearray(struct.pack("<I", len(tb)))
    body = bytearray()
    for i, b in enumerate(tb):
        keep = b if ranked.get(b) == i else b""  # only ids BPE can produce; specials travel separately
        lengths += struct.pack("<H", len(keep))
        body += keep
    blob = base64.b64encode(gzip.compress(bytes(lengths + body), compresslevel=9, mtime=0)).decode("ascii")
    return LiveEncoder(js, info.normalizer == "NFC", dict(tok.specials), blob, len(blob)), ""


# ---------------------------------------------------------------------------------------------- regex
def js_pattern(pat: str) -> str | None:
    """Translate a tokenizer's pretokenizer regex (Rust/Python syntax) to JavaScript "u"-mode syntax.

    Handles \\s / \\S (Unicode White_Space, spelled out), scoped (?i:...) groups over ASCII letters,
    possessive quantifiers (dropped: they never change the matches of these patterns) and \\U escapes.
    Returns None for anything else it does not know (atomic groups, other inline flags, \\d, \\w, \\b).
    """
    out: list[str] = []
    i, n = 0, len(pat)
    in_class = False
    ci_depth: list[int] = []  # paren depths at which a case-insensitive group started
    depth = 0
    while i < n:
        c = pat[i]
        if c == "\\":
            if i + 1 >= n:
                return None
            e = pat[i + 1]
            if e == "s":
                out.append(_WS if in_class else f"[{_WS}]")
            elif e == "S":
                if in_class:
                    return None
                out.append(f"[^{_WS}]")
            elif e in "pP":
                m = re.match(r"\\[pP]\{[A-Za-z_=]+\}", pat[i:])
                if not m:
                    return None
                out.append(m.group(0))
                i += len(m.group(0))
                continue
            elif e == "U":
                cp = pat[i + 2:i + 10]
                if not re.fullmatch(r"[0-9A-Fa-f]{8}", cp):
                    return None
                out.append(f"\\u{{{int(cp, 16):X}}}")
                i += 10
                continue
            elif e in "dwDWbBAZzGhHvVKRX" or e.isdigit():
                return None
            elif e.isalpha() and e not in "rntfux":
                return None
            elif not e.isalnum() and e not in "^$\\.*+?()[]{}|/-":
                out.append(e)  # identity escapes like \' are errors in JavaScript's u mode
            else:
                out.append(pat[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif ci_depth and c.isascii() and c.isalpha():
                out.append(c.lower() + c.upper())
                i += 1
                continue
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            if pat[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
            if pat[i + 1:i + 2] == "]":  # a literal ] first in the class
                out.append("\\]")
                i += 1
            i += 1
            continue
        if c == "(":
            depth += 1
            if pat.startswith("(?i:", i):
                ci_depth.append(depth)
                out.append("(?:")
                i += 4
                continue
            if pat.startswith("(?", i) and not re.match(r"\(\?(:|=|!|<=|<!)", pat[i:]):
                return None
            out.append(c)
            i += 1
            continue
        if c == ")":
            if ci_depth and ci_depth[-1] == depth:
                ci_depth.pop()
            depth -= 1
            out.append(c)
            i += 1
            continue
        if c == "+" and out and out[-1] in ("?", "+", "*", "}") and i > 0 and pat[i - 1] in "?+*}":
            i += 1  # possessive quantifier
            continue
        if ci_depth and c.isascii() and c.isalpha():
            out.append(f"[{c.lower()}{c.upper()}]")
            i += 1
            continue
        out.append(c)
        i += 1
    if in_class or depth:
        return None
    return "".join(out)
