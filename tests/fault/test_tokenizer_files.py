"""Tokenizer-file edge cases at library level: merge recovery stays linear in a token's length and agrees
with the obvious all-cuts definition; rank files with duplicates or giant lines are refused early."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokforensics.errors import InputError
from tokforensics.tokenizer.load import MAX_TOKEN_BYTES, parse_tiktoken_ranks
from tokforensics.tokenizer.merges import all_split_merges, merges_from_ranks


def _naive_all_splits(ranks: dict[bytes, int]) -> list[tuple[bytes, bytes]]:
    rows = []
    for token, rank in ranks.items():
        for cut in range(1, len(token)):
            a, b = token[:cut], token[cut:]
            if a in ranks and b in ranks:
                rows.append((rank, ranks[a], ranks[b], a, b))
    rows.sort()
    return [(a, b) for *_, a, b in rows]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(extra=st.lists(st.binary(min_size=2, max_size=7), max_size=40, unique=True))
def test_all_split_merges_equals_the_definition(extra):
    ranks = {bytes([i]): i for i in range(256)}
    for tok in extra:
        ranks.setdefault(tok, len(ranks))
    assert all_split_merges(ranks) == _naive_all_splits(ranks)


def test_one_long_token_costs_linear_time():
    ranks = {bytes([i]): i for i in range(256)}
    ranks[bytes(range(256)) * (MAX_TOKEN_BYTES // 256)] = 256
    ranks[b"ab"] = 257
    t0 = time.perf_counter()
    merges, unreachable = merges_from_ranks(ranks)
    assert time.perf_counter() - t0 < 5.0
    assert (b"a", b"b") in merges and len(unreachable) == 1


def _line(token: bytes, rank: int) -> bytes:
    return base64.b64encode(token) + b" " + str(rank).encode()


@pytest.mark.parametrize("size", [MAX_TOKEN_BYTES + 1, 300_000, 30_000_000])
def test_giant_rank_line_is_refused_fast(size):
    data = b"\n".join([_line(bytes([i]), i) for i in range(256)] + [_line(b"\x00" * size, 256)])
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="the longest allowed"):
        parse_tiktoken_ranks(data, "big.tiktoken")
    assert time.perf_counter() - t0 < 10.0


@pytest.mark.parametrize("extra,needle", [
    ([(b"ab", 255)], "given twice"), ([(b"ab", 256), (b"ab", 257)], "listed twice"), ([(b"ab", -1)], "negative"),
])
def test_inconsistent_ranks_are_refused_before_tiktoken_panics(extra, needle):
    data = b"\n".join([_line(bytes([i]), i) for i in range(256)] + [_line(t, r) for t, r in extra])
    with pytest.raises(InputError, match=needle):
        parse_tiktoken_ranks(data, "x.tiktoken")
