"""Numba kernels over the token stream of an encoded corpus (one pass over its bytes).

`build_stream` concatenates the bytes of every token; `scan_stream` then, in one pass, decodes the UTF-8
of the stream to classify each byte as part of a word (letters and marks) or not, finds word starts
(segment starts always separate words), counts the tokens that overlap each word, counts word tokens and
continuing tokens, and compares each segment's bytes with the original text.

Pure functions over numpy arrays, no Python objects, no I/O. `scan_stream_reference` is the same algorithm
in plain Python (the tests run both); `corpus.word_stats_reference` is the independent per-word definition.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..utf8 import char_length


@njit(cache=True, nogil=True)
def build_stream(flat, tok_len, blob, offs):  # pragma: no cover - compiled
    n = flat.shape[0]
    starts = np.empty(n, np.int64)
    total = 0
    for t in range(n):
        starts[t] = total
        total += tok_len[flat[t]]
    out = np.empty(total, np.uint8)
    p = 0
    for t in range(n):
        tid = flat[t]
        o = offs[tid]
        for q in range(tok_len[tid]):
            out[p] = blob[o + q]
            p += 1
    return out, starts


@njit(cache=True, nogil=True)
def _equal(a, i, b, j, n):  # pragma: no cover - compiled
    for q in range(n):
        if a[i + q] != b[j + q]:
            return False
    return True


@njit(cache=True, nogil=True)
def scan_stream(stream, tok_start, tok_len, seg_tokens, seg_blob, seg_start, seg_len, prefix, cls_lut,
                word_bits):  # pragma: no cover - compiled
    """Returns (tokens per word, word start byte, word end byte, n_words, word tokens, continuing tokens,
    per segment: bytes differ from the text, per segment: the tokenizer added one leading space)."""
    nb = stream.shape[0]
    n_seg = seg_tokens.shape[0]
    lut_n = cls_lut.shape[0]
    cap = nb + 1
    tpw = np.empty(cap, np.int64)
    wstart = np.empty(cap, np.int64)
    wend = np.empty(cap, np.int64)
    differ = np.zeros(n_seg, np.bool_)
    lead = np.zeros(n_seg, np.bool_)
    word = -1
    cur = False
    prev = False
    word_tokens = 0
    continued = 0
    t = 0
    for k in range(n_seg):
        nt = seg_tokens[k]
        if nt == 0:
            differ[k] = seg_len[k] > 0
            continue
        b0 = tok_start[t]
        b1 = tok_start[t + nt - 1] + tok_len[t + nt - 1]
        m = b1 - b0
        s0 = seg_start[k]
        sl = seg_len[k]
        if not (m == sl and _equal(stream, b0, seg_blob, s0, sl)):
            if prefix and m == sl + 1 and stream[b0] == 32 and _equal(stream, b0 + 1, seg_blob, s0, sl):
                lead[k] = True
            else:
                differ[k] = True
        prev = False  # a segment start separates words
        for _ in range(nt):
            s = tok_start[t]
            e = s + tok_len[t]
            t += 1
            lo = -1
            hi = -1
            starts_word = False
            first_word = False
            for i in range(s, e):
                b = stream[i]
                if (b & 0xC0) != 0x80:
                    if b < 0x80:
                        cp = np.int64(b)
                    elif b < 0xE0:
                        b1_ = stream[i + 1] & 0x3F if i + 1 < nb else 0
                        cp = ((np.int64(b) & 0x1F) << 6) | b1_
                    elif b < 0xF0:
                        b1_ = stream[i + 1] & 0x3F if i + 1 < nb else 0
                        b2_ = stream[i + 2] & 0x3F if i + 2 < nb else 0
                        cp = ((np.int64(b) & 0x0F) << 12) | (b1_ << 6) | b2_
                    else:
                        b1_ = stream[i + 1] & 0x3F if i + 1 < nb else 0
                        b2_ = stream[i + 2] & 0x3F if i + 2 < nb else 0
                        b3_ = stream[i + 3] & 0x3F if i + 3 < nb else 0
                        cp = ((np.int64(b) & 0x07) << 18) | (b1_ << 12) | (b2_ << 6) | b3_
                    if cp >= lut_n:
                        cp = lut_n - 1
                    cur = (cls_lut[cp] & word_bits) != 0
                elif i == 0:
                    cur = False
                if cur:
                    if not prev:
                        word += 1
                        tpw[word] = 0
                        wstart[word] = i
                        if i == s:
                            starts_word = True
                    wend[word] = i + 1
                    if lo < 0:
                        lo = word
                        first_word = i == s
                    hi = word
                prev = cur
            if lo >= 0:
                word_tokens += 1
                if first_word and not starts_word:
                    continued += 1
                for w in range(lo, hi + 1):
                    tpw[w] += 1
    n_words = word + 1
    return tpw[:n_words], wstart[:n_words], wend[:n_words], n_words, word_tokens, continued, differ, lead


def scan_stream_reference(stream: bytes, tok_start: list[int], tok_len: list[int], seg_tokens: list[int],
                          segs: list[bytes], prefix: bool, word_of) -> dict:
    """Plain Python: the same outputs as `scan_stream` from a byte string; `word_of(ch)` says if a character
    is a word character. Malformed UTF-8 bytes belong to the preceding character, as in the kernel."""
    is_word: list[bool] = []
    cur = False
    i = 0
    nb = len(stream)
    while i < nb:
        b = stream[i]
        if (b & 0xC0) == 0x80:
            is_word.append(cur if i > 0 else False)
            i += 1
            continue
        n = char_length(b) or 1
        ch = stream[i:i + n].decode("utf-8", "replace")[:1]
        cur = word_of(ch)
        is_word.append(cur)
        i += 1
    seg_first = set()
    differ, lead = [], []
    t = 0
    for k, nt in enumerate(seg_tokens):
        if nt == 0:
            differ.append(len(segs[k]) > 0)
            lead.append(False)
            continue
        b0, b1 = tok_start[t], tok_start[t + nt - 1] + tok_len[t + nt - 1]
        t += nt
        seg_first.add(b0)
        piece = stream[b0:b1]
        if piece == segs[k]:
            differ.append(False)
            lead.append(False)
        elif prefix and piece[:1] == b" " and piece[1:] == segs[k]:
            differ.append(False)
            lead.append(True)
        else:
            differ.append(True)
            lead.append(False)
    words: list[list[int]] = []
    for i in range(nb):
        if is_word[i] and (i == 0 or not is_word[i - 1] or i in seg_first):
            words.append([i, i + 1])
        elif is_word[i]:
            words[-1][1] = i + 1
    tpw = []
    for a, b in words:
        tpw.append(sum(1 for s, L in zip(tok_start, tok_len, strict=True) if L and s < b and s + L > a))
    word_tokens = continued = 0
    for s, L in zip(tok_start, tok_len, strict=True):
        if L and any(is_word[s:s + L]):
            word_tokens += 1
            if is_word[s] and s > 0 and is_word[s - 1] and s not in seg_first:
                continued += 1
    return {"tpw": tpw, "words": [tuple(w) for w in words], "word_tokens": word_tokens, "continued": continued,
            "differ": differ, "lead": lead}
