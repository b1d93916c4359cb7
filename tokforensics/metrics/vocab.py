"""Vocabulary statistics: Qtok categories, scripts, languages, UTF-8 fragments, byte and special tokens,
and reachability (decode each token, encode the text again).

Works on the bytes each id stands for, so BPE, Unigram and WordPiece vocabularies are treated alike.
Results are cached per tokenizer content hash.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import cache
from ..tokenizer.view import Tokenizer
from . import alphabets, chars

VERSION = "1"
CATEGORIES = ("char_alpha", "char_other", "spaced_alpha", "spaced_other", "inner_alpha", "inner_other",
              "flank", "byte", "special")
REACH = ("ok", "unreachable_single", "unreachable_multi", "undecodable", "special_ok", "special_unreachable")
# Word-internal pieces of tokenizers that add the word-boundary space themselves are encoded after one
# of these (the first that reproduces the token wins).
CONTEXTS = ("§", "x", "q", "z", "0")
N_EXAMPLES = 8

_UNUSED, _SPECIAL, _BYTE, _FLANK, _TEXT = 0, 1, 2, 3, 4


@dataclass
class VocabStats:
    """Counts are over used ids (ids that stand for a token); shares are counts / used."""

    tokenizer: str
    sha256: str
    algorithm: str
    vocab_size: int
    used: int
    categories: dict[str, int]
    shares: dict[str, float]
    scripts: dict[str, int]
    languages: dict[str, float]
    languages_unattributed: float
    reachability: dict[str, int]
    examples: dict[str, list[str]] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False

    @property
    def method(self) -> str:
        return METHOD


METHOD = ("every id decoded to its bytes; categories after Qtok (char/spaced/inner x alpha/other, flank, byte, "
          "special); reachability: the token's own text encoded again (after a one-character prefix for "
          "word-internal pieces of SentencePiece/WordPiece vocabularies)")

DEFINITIONS = {
    "char_*": "the token decodes to exactly one character",
    "spaced_*": "more than one character and starts with a space (or ▁ / a WordPiece word start)",
    "inner_*": "more than one character, no leading space (continues a word)",
    "*_alpha": "every non-space character is a Unicode letter or mark; *_other otherwise",
    "flank": "several bytes that are not valid UTF-8 (a character cut at either end)",
    "byte": "a raw byte token: byte-fallback <0xNN> pieces, and single bytes >= 0x80 of byte-level vocabularies",
    "special": "special/control tokens and the unknown token (their literal text is not categorised)",
    "scripts": "alpha tokens by the Unicode script of their letters (Mixed when several)",
    "languages": "Latin/Cyrillic alpha tokens, 1/k to each of the k languages whose alphabet holds all their letters",
    "ok": "encoding the token's own text gives exactly this token (word-internal pieces of SentencePiece/WordPiece "
          "vocabularies are encoded after a one-character prefix)",
    "unreachable_single": "the text encodes to one different token",
    "unreachable_multi": "the text encodes to several tokens",
    "undecodable": "the bytes are not valid UTF-8 on their own (byte and flank tokens)",
    "special_ok": "a special token that its literal text encodes to",
    "special_unreachable": "a special token that plain text never produces (e.g. SentencePiece control tokens)",
}


def vocab_stats(tok: Tokenizer, progress: Callable[[str], None] | None = None, use_cache: bool = True) -> VocabStats:
    t0 = time.perf_counter()
    key = cache.key_of("vocab-stats", VERSION, tok.sha256, tok.name, tok.pattern, alphabets.CODES, chars.SCRIPTS)

    def build() -> VocabStats:
        if progress:
            progress(f"vocabulary of {tok.name}")
        res = _compute(tok)
        res.seconds = time.perf_counter() - t0
        return res

    def load(obj: dict) -> VocabStats:
        res = VocabStats(**obj)
        res.cached = True
        return res

    if not use_cache:
        return build()
    res = cache.cached_json("metrics", key, build, load, dump=dataclasses.asdict)
    res.seconds = time.perf_counter() - t0
    return res


def _classify(tok: Tokenizer) -> tuple[np.ndarray, list[str]]:
    tb = tok.token_bytes
    specials = set(tok.special_ids)
    unk = tok.unk_id
    if unk is not None:
        specials.add(unk)
    byte_pieces = tok.byte_piece_ids
    kind = np.zeros(len(tb), np.int8)
    texts = [""] * len(tb)
    for i, b in enumerate(tb):
        if i in specials:
            kind[i] = _SPECIAL
        elif not b:
            continue
        elif i in byte_pieces:
            kind[i] = _BYTE
            if b[0] < 0x80:
                texts[i] = b.decode("ascii")
        else:
            try:
                texts[i] = b.decode("utf-8")
                kind[i] = _TEXT
            except UnicodeDecodeError:
                kind[i] = _BYTE if len(b) == 1 else _FLANK
    return kind, texts


def _compute(tok: Tokenizer) -> VocabStats:
    kind, texts = _classify(tok)
    script_lut, cls_lut = chars.tables()
    ids = np.flatnonzero(kind == _TEXT)
    cats = {c: 0 for c in CATEGORIES}
    cats["special"] = int((kind == _SPECIAL).sum())
    cats["byte"] = int((kind == _BYTE).sum())
    cats["flank"] = int((kind == _FLANK).sum())
    scripts: dict[str, int] = {}
    langs = dict.fromkeys(alphabets.CODES, 0.0)
    unattributed = 0.0
    examples: dict[str, list[str]] = {}
    if len(ids):
        strs = [texts[i] for i in ids]
        lens = np.fromiter((len(s) for s in strs), dtype=np.int64, count=len(strs))
        cps = chars.codepoints("".join(strs))
        starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
        cls = cls_lut[cps]
        space = (cls & chars.SPACE) > 0
        alpha_ch = ((cls & (chars.LETTER | chars.MARK)) > 0) & ~space
        letter = (cls & chars.LETTER) > 0
        n_nonspace = np.add.reduceat((~space).astype(np.int64), starts)
        n_alpha = np.add.reduceat(alpha_ch.astype(np.int64), starts)
        alpha = (n_nonspace > 0) & (n_alpha == n_nonspace)
        first_space = space[starts]
        is_char = lens == 1
        spaced = ~is_char & first_space
        for name, sel in (("char", is_char), ("spaced", spaced), ("inner", ~is_char & ~spaced)):
            cats[f"{name}_alpha"] = int((sel & alpha).sum())
            cats[f"{name}_other"] = int((sel & ~alpha).sum())
        # script of each alpha token: the script of its letters, Mixed when they differ
        scr = script_lut[cps].astype(np.int64)
        lo = np.minimum.reduceat(np.where(letter, scr, 1 << 20), starts)
        hi = np.maximum.reduceat(np.where(letter, scr, -1), starts)
        names = np.array(chars.SCRIPT_NAMES + ("Mixed",), dtype=object)
        tok_script = np.where(hi < 0, 0, np.where(lo == hi, lo, len(chars.SCRIPT_NAMES)))
        a_scripts = tok_script[alpha]
        uniq, cnt = np.unique(a_scripts, return_counts=True)
        scripts = {str(names[u]): int(c) for u, c in sorted(zip(uniq, cnt, strict=True), key=lambda x: -x[1])}
        # languages: Latin/Cyrillic alpha tokens
        lat = chars.SCRIPTS.index("Latin") + 1
        cyr = chars.SCRIPTS.index("Cyrillic") + 1
        sel = alpha & ((tok_script == lat) | (tok_script == cyr))
        if sel.any():
            full = np.uint64((1 << len(alphabets.CODES)) - 1)
            cm = np.where(letter, alphabets.char_masks(cps), full)
            masks = np.bitwise_and.reduceat(cm, starts)[sel]
            k = _popcount(masks)
            unattributed = float((k == 0).sum())
            w = np.where(k > 0, 1.0 / np.maximum(k, 1), 0.0)
            for b, code in enumerate(alphabets.CODES):
                has = ((masks >> np.uint64(b)) & np.uint64(1)).astype(bool)
                langs[code] = float(w[has].sum())
    langs = {k: round(v, 4) for k, v in sorted(langs.items(), key=lambda x: -x[1]) if v > 0}
    for name, code in (("flank", _FLANK), ("byte", _BYTE)):
        examples[name] = [tok.symbol(int(i)) for i in np.flatnonzero(kind == code)[:N_EXAMPLES]]
    reach, rex = _reachability(tok, kind, texts)
    examples.update(rex)
    used = int((kind != _UNUSED).sum())
    shares = {c: (v / used if used else 0.0) for c, v in cats.items()}
    return VocabStats(
        tokenizer=tok.name, sha256=tok.sha256, algorithm=tok.algorithm, vocab_size=tok.vocab_size, used=used,
        categories=cats, shares=shares, scripts=scripts, languages=langs, languages_unattributed=unattributed,
        reachability=reach, examples=examples, definitions=DEFINITIONS,
    )


def _popcount(masks: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(masks).astype(np.int64)
    return np.unpackbits(masks.astype(np.uint64).view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1).astype(np.int64)


def _reachability(tok: Tokenizer, kind: np.ndarray, texts: list[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    res = {r: 0 for r in REACH}
    ex: dict[str, list[str]] = {r: [] for r in REACH}
    status = np.full(len(kind), -1, np.int8)  # index into REACH

    # special tokens: does their literal text encode to them?
    sp_ids = [i for i in np.flatnonzero(kind == _SPECIAL)]
    if sp_ids:
        tb = tok.token_bytes
        lits = [tb[i].decode("utf-8", "replace") for i in sp_ids]
        try:
            encs = tok.encode_batch(lits)
        except Exception:  # a backend that refuses special literals: none of them are reachable
            encs = [[] for _ in lits]
        for i, e in zip(sp_ids, encs, strict=True):
            status[i] = REACH.index("special_ok" if e == [int(i)] else "special_unreachable")
    # tokens whose bytes are not text on their own
    for i in np.flatnonzero((kind == _FLANK) | ((kind == _BYTE) & np.array([not t for t in texts]))):
        status[i] = REACH.index("undecodable")

    cand = [int(i) for i in np.flatnonzero((kind == _TEXT) | (kind == _BYTE)) if texts[i]]
    prefix = tok.adds_prefix_space
    direct_ids: list[int] = []
    direct_txt: list[str] = []
    inner: list[int] = []
    for i in cand:
        t = texts[i]
        if prefix and not t.startswith(" "):
            inner.append(i)
        elif prefix and t.strip():
            direct_ids.append(i)
            direct_txt.append(t[1:])
        else:
            direct_ids.append(i)
            direct_txt.append(t)
    first_len: dict[int, int] = {}
    pending: list[int] = list(inner)
    for i, e in zip(direct_ids, tok.encode_batch(direct_txt, specials=False), strict=True):
        if e == [i]:
            status[i] = 0
        else:
            first_len[i] = len(e)
            pending.append(i)
    if prefix:
        for ctx in CONTEXTS:
            if not pending:
                break
            base = tok.encode(ctx)
            nb = len(base)
            encs = tok.encode_batch([ctx + texts[i] for i in pending], specials=False)
            still = []
            for i, e in zip(pending, encs, strict=True):
                if len(e) == nb + 1 and e[-1] == i and e[:nb] == base:
                    status[i] = 0
                else:
                    first_len.setdefault(i, len(e) - nb)
                    still.append(i)
            pending = still
    for i in pending:
        status[i] = REACH.index("unreachable_single" if first_len.get(i, 0) == 1 else "unreachable_multi")
    for k, name in enumerate(REACH):
        sel = np.flatnonzero(status == k)
        res[name] = int(len(sel))
        if name != "ok":
            ex[name] = [tok.symbol(int(i)) for i in sel[:N_EXAMPLES]]
    ex.pop("ok", None)
    return res, ex


def reachability_reference(tok: Tokenizer, tid: int) -> str:
    """Plain-Python reference for one id (used by the tests)."""
    tb = tok.token_bytes[tid]
    unk = tok.unk_id
    if tid in tok.special_ids or tid == unk:
        return "special_ok" if tok.encode(tb.decode("utf-8")) == [tid] else "special_unreachable"
    try:
        t = tb.decode("utf-8")
    except UnicodeDecodeError:
        return "undecodable"
    first = tok.encode("a")
    prefix = bool(first) and tok.token_bytes[first[0]].startswith(b" ")
    tries: list[tuple[str, str]] = []
    if not (prefix and not t.startswith(" ")):
        tries.append(("", t[1:] if prefix and t.strip() else t))
    if prefix:
        tries += [(c, c + t) for c in CONTEXTS]
    n_first = None
    for ctx, text in tries:
        base = tok.encode(ctx) if ctx else []
        e = tok.encode(text)
        if e == base + [tid]:
            return "ok"
        if n_first is None:
            n_first = len(e) - len(base)
    return "unreachable_single" if n_first == 1 else "unreachable_multi"


@dataclass
class Reachability:
    counts: dict[str, int]
    unreachable: int
    undecodable: int
    unreachable_examples: list[str]
    undecodable_examples: list[str]
    examples: dict[str, list[str]]
    method: str = METHOD


def reachability(tok: Tokenizer) -> Reachability:
    """The reachability part of `vocab_stats` (cached with it)."""
    st = vocab_stats(tok)
    r = st.reachability
    ex = {k: list(v) for k, v in st.examples.items() if k in REACH}
    unreach = r.get("unreachable_single", 0) + r.get("unreachable_multi", 0)
    return Reachability(counts=dict(r), unreachable=unreach, undecodable=r.get("undecodable", 0),
                        unreachable_examples=(ex.get("unreachable_single", []) + ex.get("unreachable_multi", []))[:N_EXAMPLES],
                        undecodable_examples=ex.get("undecodable", []), examples=ex)
