"""Small adapters over the shared Tokenizer view that the metrics need in bulk.

They only add speed or a missing accessor; each falls back to the public API. (Reported to the
tokenizer layer: `token_bytes` rebuilds tiktoken bytes through the byte-symbol table, ~3 s for 200k ids,
and `encode_batch` on tiktoken runs a thread pool per call and rebuilds the special-token set per text,
~14 s and ~130 s for 200k one-token texts with o200k and Llama 4 against ~0.3 s and ~1.5 s here.)
"""

from __future__ import annotations

import re
import unicodedata
import weakref

from ..tokenizer.view import Tokenizer

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
_memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _slot(tok: Tokenizer) -> dict:
    try:
        return _memo.setdefault(tok, {})
    except TypeError:  # not weak-referenceable: no memo
        return {}


def vocab_bytes(tok: Tokenizer) -> list[bytes]:
    """Same as `tok.token_bytes` (specials give their literal text, unused ids b'')."""
    slot = _slot(tok)
    if "bytes" in slot:
        return slot["bytes"]
    ranks = getattr(tok, "_tt_ranks", None) if getattr(tok, "_tt", None) is not None else None
    if isinstance(ranks, dict):
        out = [b""] * tok.vocab_size
        for b, i in ranks.items():
            out[i] = b
        for s, i in tok.specials.items():
            out[i] = s.encode("utf-8")
    else:
        out = list(tok.token_bytes)
    slot["bytes"] = out
    return out


def token_lengths(tok: Tokenizer):
    """Byte length of every id as an int64 numpy array (memoised per tokenizer object)."""
    import numpy as np

    slot = _slot(tok)
    if "lengths" not in slot:
        slot["lengths"] = np.fromiter((len(b) for b in vocab_bytes(tok)), dtype=np.int64)
    return slot["lengths"]


def encode_many(tok: Tokenizer, texts: list[str]) -> list[list[int]]:
    """Encode many short texts as ordinary text (special-token literals are not special here)."""
    tt = getattr(tok, "_tt", None)
    core = getattr(tt, "_core_bpe", None) if tt is not None else None
    if core is not None and hasattr(core, "encode_ordinary"):
        nfc = bool(getattr(tok, "_meta", {}).get("tiktoken", {}).get("nfc"))
        enc = core.encode_ordinary
        if nfc:
            return [enc(unicodedata.normalize("NFC", t)) for t in texts]
        return [enc(t) for t in texts]
    if not texts:
        return []
    return tok.encode_batch(list(texts))


def byte_piece_ids(tok: Tokenizer) -> set[int]:
    """Ids of byte-fallback pieces (<0xNN>); empty for tokenizers without byte fallback."""
    if not tok.byte_fallback or tok.byte_level:
        return set()
    return {i for i, t in enumerate(tok.id_to_token) if t is not None and _BYTE_PIECE.match(t)}


def unk_id(tok: Tokenizer) -> int | None:
    """The id of the unknown token, or None when the tokenizer can represent every character."""
    v = getattr(tok, "unk_id", None)
    if isinstance(v, int):
        return v
    if tok.byte_level:
        return None
    sp = getattr(tok, "_sp", None)
    if sp is not None:
        u = sp.unk_id()
        return u if u >= 0 else None
    if getattr(tok, "_tt", None) is not None:
        return None
    doc = tok.model_doc
    if isinstance(doc.get("unk_id"), int):  # Unigram
        return int(doc["unk_id"])
    unk = doc.get("unk_token")
    if unk:
        for i, t in enumerate(tok.id_to_token):
            if t == unk:
                return i
    return None


def prefix_mode(tok: Tokenizer) -> bool:
    """Whether encoding adds a word-boundary space itself (SentencePiece dummy prefix, WordPiece)."""
    slot = _slot(tok)
    if "prefix" not in slot:
        ids = tok.encode("a")
        tb = vocab_bytes(tok)
        slot["prefix"] = bool(ids) and tb[ids[0]].startswith(b" ")
    return slot["prefix"]


def symbol(tok: Tokenizer, tid: int) -> str:
    """Printable form of a token, like `Tokenizer.symbol` but from `vocab_bytes` (no full token_bytes build)."""
    raw = vocab_bytes(tok)[tid]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(f"\\x{b:02x}" for b in raw) if len(raw) <= 4 else repr(raw)[2:-1]
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def encode_specials(tok: Tokenizer, literals: list[str]) -> list[list[int]]:
    """Encode special-token literals the way `tok.encode` does (special tokens allowed)."""
    tt = getattr(tok, "_tt", None)
    table = getattr(tt, "_special_tokens", None) if tt is not None else None
    if isinstance(table, dict):
        # tiktoken with allowed_special="all": a literal special token is always that token
        return [[table[s]] if s in table else tok.encode(s) for s in literals]
    return tok.encode_batch(list(literals)) if literals else []


def decode_many(tok: Tokenizer, ids_list: list[list[int]]) -> list[str]:
    """`[tok.decode(ids) for ids in ids_list]`, batched where the backend allows it."""
    tt = getattr(tok, "_tt", None)
    core = getattr(tt, "_core_bpe", None) if tt is not None else None
    if core is not None and hasattr(core, "decode_bytes"):
        return [bytes(core.decode_bytes(ids)).decode("utf-8", "replace") for ids in ids_list]
    hf = getattr(tok, "_hf", None)
    if hf is not None and hasattr(hf, "decode_batch"):
        return list(hf.decode_batch([list(x) for x in ids_list], skip_special_tokens=False))
    sp = getattr(tok, "_sp", None)
    if sp is not None:
        return list(sp.decode([list(x) for x in ids_list]))
    return [tok.decode(x) for x in ids_list]


def vocab_blob(tok: Tokenizer):
    """(all token bytes concatenated as a uint8 array, start offset of each id), memoised."""
    import numpy as np

    slot = _slot(tok)
    if "blob" not in slot:
        tb = vocab_bytes(tok)
        lens = token_lengths(tok)
        offs = np.zeros(len(tb), np.int64)
        if len(tb) > 1:
            offs[1:] = np.cumsum(lens)[:-1]
        slot["blob"] = (np.frombuffer(b"".join(tb), dtype=np.uint8), offs)
    return slot["blob"]


def usable_vocab(tok: Tokenizer) -> int:
    """Ids that stand for text: not unused, not special, not the unknown token."""
    slot = _slot(tok)
    if "usable" not in slot:
        lens = token_lengths(tok)
        drop = set(tok.special_ids)
        u = unk_id(tok)
        if u is not None:
            drop.add(u)
        slot["usable"] = int((lens > 0).sum()) - sum(1 for i in drop if 0 <= i < len(lens) and lens[i] > 0)
    return slot["usable"]
