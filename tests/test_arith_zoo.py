"""The zoo table against known facts about real tokenizers (Singh & Strouse 2024, and the tokenizer files)."""

from functools import cache

import pytest

from tokforensics.arith.probe import probe_tokenizer
from tokforensics.tokenizer import zoo
from tokforensics.tokenizer.view import load_tokenizer


def _probe(name):
    entry = zoo.lookup(name)
    if entry is None or zoo.locate(entry) is None:
        pytest.skip(f"{name} not available here")
    return _probe_cached(name)


@cache
def _probe_cached(name):
    return probe_tokenizer(load_tokenizer(name), samples=30, max_digits=12, digit_range=(7, 9))


@pytest.mark.parametrize("name", ["gpt4", "gpt4o"])
def test_cl100k_o200k_chunk_left_to_right_by_three(name):
    p = _probe(name)
    assert (p.scheme, p.chunk, p.consistency) == ("l2r", 3, 1.0)
    assert p.single_token_0_999 == 1000 and p.longest_number_token == 3
    assert {ls.digits: ls.top_pattern for ls in p.by_length}[7] == "3-3-1"
    fm = {f.format: f for f in p.formats}
    assert fm["comma_r2l"].aligned == 1.0  # commas force right-to-left chunks: the paper's R2L condition
    assert fm["plain"].aligned == pytest.approx(1 / 3, abs=0.15)  # only the 9-digit third is aligned


def test_gpt2_learned_free_numbers():
    p = _probe("gpt2")
    assert p.scheme == "free" and p.space_joins == 1.0  # ' 123' style tokens
    assert p.number_tokens_spaced > 0 and p.longest_number_token > 3
    assert 0 < p.single_token_0_999 < 1000


def test_mistral_single_digits():
    p = _probe("mistral")
    assert (p.scheme, p.chunk) == ("single", 1)
    assert p.single_token_0_999 == 10 and p.number_tokens == 10
    assert all(ls.aligned == 1.0 for ls in p.by_length)
    assert p.prefix_token == 1.0  # '▁' token before a bare number
    assert p.examples["1234567"][0] == " " and p.by_length[6].top_pattern == "1-1-1-1-1-1-1"
