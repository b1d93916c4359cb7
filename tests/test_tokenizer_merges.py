"""The merges training made (`training_merges`), recovered from a list that holds every split of each token.

Reference: a vocabulary grown by merges that tiktoken's rule reaches has a two-part reconstruction
(`merges_from_ranks`, one merge per token, checked against tiktoken on the zoo elsewhere); the list of every
split of that vocabulary, cleaned, must give it back exactly.
"""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tokforensics.tokenizer.merges import all_split_merges, bpe_split, merges_from_ranks, training_merges
from tokforensics.tokenizer.view import load_tokenizer


def _grown_vocabulary(seed: int, n: int, alphabet: bytes = b"abcde") -> dict[bytes, int]:
    """Ranks of a vocabulary grown one reachable merge at a time, like a BPE trainer's."""
    rng = random.Random(seed)
    ranks = {bytes([i]): i for i in range(256)}
    pool = [bytes([c]) for c in alphabet]
    while len(ranks) < 256 + n:
        t = rng.choice(pool) + rng.choice(pool)
        if t in ranks or len(t) > 8:
            continue
        ranks[t] = len(ranks)
        if len(bpe_split(t, ranks, ranks[t])) != 2:
            del ranks[t]
            continue
        pool.append(t)
    return ranks


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60))
def test_every_split_list_cleans_back_to_the_two_part_merges(seed, n):
    ranks = _grown_vocabulary(seed, n)
    two_part, unreachable = merges_from_ranks(ranks)
    assert unreachable == []
    everything = all_split_merges(ranks)
    made, dropped = training_merges(everything, byte_level=True)
    assert made == two_part
    assert dropped == []


def test_a_list_with_one_merge_per_token_is_kept_as_it_is():
    # tiktoken's rule would build b"abc" from b"a" + b"bc" here; a trainer's own list is not second-guessed
    merges = [(b"b", b"c"), (b"a", b"b"), (b"ab", b"c")]
    assert training_merges(merges, byte_level=True) == (merges, [])


def test_tokens_added_whole_are_dropped_with_the_tokens_that_need_them():
    ranks = _grown_vocabulary(7, 20)
    ranks[b"xyz"] = len(ranks)    # no split of it is in the vocabulary: added whole, never merged
    ranks[b"xyzw"] = len(ranks)   # its only split needs b"xyz"
    ranks[b"xy"] = len(ranks)     # reachable, but ranked after b"xyz"
    ranks[b"xyzq"] = len(ranks)   # its only split needs b"xyz" too
    everything = all_split_merges(ranks)
    made, dropped = training_merges(everything, byte_level=True)
    made_tokens = [a + b for a, b in made]
    assert b"xy" in made_tokens
    assert b"xyzw" in dropped and b"xyzq" in dropped
    assert len(set(made_tokens)) == len(made_tokens)
    for a, b in made:  # every kept merge's sides exist when it is made
        i = made_tokens.index(a + b)
        assert all(len(s) == 1 or s in made_tokens[:i] for s in (a, b))


def test_llama3_replays_one_merge_per_token():
    tok = load_tokenizer("llama3")
    ids = tok.merge_ids()
    listed = len(tok.merges())
    assert listed == 280_147  # every split, as Hugging Face ships it, so that encoding matches tiktoken
    assert len(ids) == 127_049  # cl100k's 100,000, then 27,049 of the extension's 27,744 (695 added whole)
    assert len(np.unique(ids[:, 2])) == len(ids)
    assert np.all(np.diff(ids[:, 2]) > 0)  # in rank order (ids are ranks for tiktoken vocabularies)
    # cl100k's part comes first and is cl100k's own merge list
    cl = load_tokenizer("gpt4").merge_ids()
    head = ids[ids[:, 2] < 100_256]
    assert np.array_equal(head, cl)
