"""Scheme tokenizers of `tok arith study`: exact chunking, round trip, answer reading, bad names."""

import numpy as np
import pytest

from tokforensics.arith.chunking import COMMA, EOS, ChunkScheme, parse_schemes, scheme
from tokforensics.errors import UsageError


@pytest.mark.parametrize("name,digits,pieces", [
    ("single", "1234567", ["1", "2", "3", "4", "5", "6", "7"]),
    ("l2r3", "1234567", ["123", "456", "7"]),
    ("r2l3", "1234567", ["1", "234", "567"]),
    ("l2r3", "1007", ["100", "7"]),
    ("r2l3", "1007", ["1", "007"]),
    ("r2l3", "123456", ["123", "456"]),
    ("l2r2", "12345", ["12", "34", "5"]),
    ("r2l2", "12345", ["1", "23", "45"]),
    ("comma_r2l3", "1234567", ["1", ",", "234", ",", "567"]),
    ("comma_l2r3", "1234567", ["123", ",", "456", ",", "7"]),
    ("r2l3", "7", ["7"]),
])
def test_exact_chunking(name, digits, pieces):
    assert scheme(name).pieces(digits) == pieces


@pytest.mark.parametrize("name", ["single", "l2r2", "r2l2", "l2r3", "r2l3", "comma_l2r3", "comma_r2l3", "r2l4"])
def test_round_trip(name):
    sch = scheme(name)
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 10 ** int(rng.integers(1, 13))))
        ids = sch.encode_number(str(n))
        assert sch.read_answer(ids + [sch.eos_id]) == str(n)
        assert sch.decode(ids).replace(COMMA, "") == str(n)
        assert all(len(sch.vocab[i]) <= sch.chunk for i in ids)
    a, b = 98765, 4321
    assert sch.decode(sch.prompt(a, b) + sch.answer(a + b)).replace(COMMA, "") == f"{a}+{b}={a + b}{EOS}"


def test_vocabulary_is_closed_and_shared_by_direction():
    l2r, r2l, single = scheme("l2r3"), scheme("r2l3"), scheme("single")
    assert l2r.vocab == r2l.vocab  # only the cutting differs between directions
    assert l2r.vocab_size == 4 + 10 + 100 + 1000
    assert single.vocab_size == 14 and scheme("comma_r2l3").vocab_size == 1115
    assert len(set(l2r.vocab)) == l2r.vocab_size


def test_read_answer_stops_at_non_digit():
    sch = scheme("r2l3")
    ids = [sch.ids["1"], sch.ids["234"], sch.ids["+"], sch.ids["5"]]
    assert sch.read_answer(ids) == "1234"
    assert sch.read_answer([sch.eos_id]) is None
    assert sch.read_answer([]) is None


def test_chunk_label_and_pieces_reject_non_digits():
    assert "right-to-left" in scheme("r2l3").label and scheme("single").label == "single digits"
    with pytest.raises(ValueError):
        ChunkScheme("x", 3, "l2r").pieces("12a")


@pytest.mark.parametrize("text,needle", [("l2r5", "unknown scheme"), ("r2l", "unknown scheme"),
                                         ("single,single", "named twice"), ("", "at least one"),
                                         ("l2r3,bogus", "'bogus'")])
def test_bad_scheme_names(text, needle):
    with pytest.raises(UsageError, match=needle):
        parse_schemes(text)
