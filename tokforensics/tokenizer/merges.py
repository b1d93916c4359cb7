"""Ordered BPE merge lists: recovered from tiktoken ranks, from SentencePiece scores, or read from JSON.

A merge is a pair of token byte strings (left, right); the list order is the order in which the
tokenizer's trainer created them, which is what data-mixture inference replays.
"""

from __future__ import annotations

from collections.abc import Sequence

Merge = tuple[bytes, bytes]

TRAINING_MERGES_VERSION = "2"  # bump when training_merges changes what it keeps (the id form is cached on disk)


def bpe_split(token: bytes, ranks: dict[bytes, int], max_rank: int) -> list[bytes]:
    """tiktoken's merge rule on one byte string, using only tokens whose rank is below `max_rank`."""
    return _merge_lowest(_single_bytes(token), ranks, max_rank)


def _single_bytes(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def _merge_lowest(parts: list[bytes], rank: dict[bytes, int], max_rank: int) -> list[bytes]:
    """Repeatedly join the adjacent pair whose concatenation has the lowest rank below `max_rank`."""
    parts = list(parts)
    while len(parts) > 1:
        best = None
        best_i = -1
        for i in range(len(parts) - 1):
            r = rank.get(parts[i] + parts[i + 1])
            if r is not None and r < max_rank and (best is None or r < best):
                best, best_i = r, i
        if best is None:
            break
        parts[best_i : best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return parts


def merges_from_ranks(ranks: dict[bytes, int]) -> tuple[list[Merge], list[bytes]]:
    """Recover the merge list of a rank-ordered vocabulary (tiktoken files, Tekken).

    Each multi-byte token is BPE-encoded with strictly lower ranks; a trained BPE vocabulary always
    ends in exactly two parts, which are its merge. Tokens that do not (added after training, as in
    Llama 3) make the list fall back to every split (a, b) with a, b and a+b in the vocabulary, in
    order of rank(a+b), then rank(a), rank(b): what Hugging Face ships for such tokenizers.
    Returns (merges, tokens that were not reachable as a two-part merge).
    """
    merges: list[Merge] = []
    unreachable: list[bytes] = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(token) < 2:
            continue
        parts = bpe_split(token, ranks, rank)
        if len(parts) == 2:
            merges.append((parts[0], parts[1]))
        else:
            unreachable.append(token)
    if unreachable:
        merges = all_split_merges(ranks)
    return merges, unreachable


def all_split_merges(ranks: dict[bytes, int]) -> list[Merge]:
    rows: list[tuple[int, int, int, bytes, bytes]] = []
    # only cuts whose two sides have lengths that occur in the vocabulary can be merges: trying every
    # cut made one long token cost time quadratic in its length (each cut slices and hashes it)
    lengths = sorted({len(t) for t in ranks})
    present = set(lengths)
    for token, rank in ranks.items():
        n = len(token)
        for cut in lengths:
            if cut >= n:
                break
            if n - cut not in present:
                continue
            a, b = token[:cut], token[cut:]
            ra, rb = ranks.get(a), ranks.get(b)
            if ra is not None and rb is not None:
                rows.append((rank, ra, rb, a, b))
    rows.sort()
    return [(a, b) for _, _, _, a, b in rows]


def merges_from_sentencepiece(pieces: Sequence[tuple[bytes, float, int]]) -> list[Merge]:
    """Merges of a SentencePiece BPE model, one per piece, in score order, redundant ones removed.

    `pieces` is (piece bytes with U+2581 as space, score, id) for normal pieces. Hugging Face's
    conversion emits every split (l, r) of each piece; only the first split that the merge process can
    actually reach produces the piece, so like Hayase et al. we keep, for each piece, the split that
    BPE over lower-scored pieces reconstructs, and drop the rest (most of Llama's HF merges are such
    redundant splits).
    """
    vocab = {p: i for p, _, i in pieces}
    order = sorted(pieces, key=lambda t: (-t[1], t[2]))
    rank = {p: r for r, (p, _, _) in enumerate(order)}
    merges: list[Merge] = []
    for piece, _score, _ in order:
        chars = _utf8_chars(piece)
        if len(chars) < 2:
            continue
        parts = _merge_lowest(chars, rank, rank[piece])
        if len(parts) == 2 and parts[0] in vocab and parts[1] in vocab:
            merges.append((parts[0], parts[1]))
    return merges


def hf_sentencepiece_merges(pieces: Sequence[tuple[bytes, float, int]]) -> list[Merge]:
    """The full (redundant) merge list Hugging Face builds from a SentencePiece BPE model.

    This is what makes the HF BPE model encode exactly like sentencepiece: every split (l, r) of a piece,
    sorted by the piece's score, then by the ids of l and r.
    """
    vocab = {p: i for p, _, i in pieces}
    score = {p: s for p, s, _ in pieces}
    rows = []
    for piece, s, pid in pieces:
        chars = _utf8_chars(piece)
        for cut in range(1, len(chars)):
            left, right = b"".join(chars[:cut]), b"".join(chars[cut:])
            if left in vocab and right in vocab:
                rows.append((-s, pid, vocab[left], vocab[right], left, right))
    del score
    rows.sort()
    return [(left, right) for *_, left, right in rows]


def _utf8_chars(data: bytes) -> list[bytes]:
    return [ch.encode("utf-8") for ch in data.decode("utf-8")]


def training_merges(merges: Sequence[Merge], *, byte_level: bool) -> tuple[list[Merge], list[bytes]]:
    """The merges a BPE trainer made, one per created token, from a list that may hold several per token.

    A list converted from tiktoken ranks whose vocabulary is not two-part reachable everywhere (Llama 3) holds
    every split (a, b) of every token, so that Hugging Face encodes like tiktoken; replayed as training steps,
    the redundant splits would be constraints that training never made. Each token ranks at its first merge in
    the list and keeps the split that tiktoken's rule (join the adjacent pair of lowest rank) reaches over the
    tokens kept before it, provided that split is listed: `merges_from_ranks`'s two-part reconstruction, applied
    to a list. A token the rule does not bring to two parts was not made by a merge (added whole, as in Llama 3's
    extension) and is dropped, and so is every token that needs it. A list with one merge per token comes back unchanged.
    Returns (merges, dropped tokens in rank order).
    """
    options: dict[bytes, set[Merge]] = {}
    first: dict[bytes, int] = {}
    for i, (a, b) in enumerate(merges):
        t = a + b
        if t not in first:
            first[t] = i
            options[t] = set()
        options[t].add((a, b))
    if len(first) == len(merges):
        return list(merges), []
    units = _single_bytes if byte_level else _utf8_units
    kept_rank: dict[bytes, int] = {}
    kept: list[Merge] = []
    dropped: list[bytes] = []
    for token, rank in sorted(first.items(), key=lambda kv: kv[1]):
        parts = _merge_lowest(units(token), kept_rank, rank)
        if len(parts) == 2 and (parts[0], parts[1]) in options[token]:
            kept.append((parts[0], parts[1]))
            kept_rank[token] = rank
        else:
            dropped.append(token)
    return kept, dropped


def _utf8_units(data: bytes) -> list[bytes]:
    try:
        return _utf8_chars(data)
    except UnicodeDecodeError:  # a byte-fallback side: its bytes are the units
        return _single_bytes(data)
