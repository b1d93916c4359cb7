"""Problem sets of `tok arith study`: seeded, balanced over length pairs and carries, test disjoint from train."""

from collections import Counter

import numpy as np
import pytest

from tokforensics.arith.anatomy import length_mismatch
from tokforensics.arith.problem_sets import draw, length_pairs, make_split, possible
from tokforensics.errors import UsageError


@pytest.fixture(scope="module")
def split():
    return make_split((3, 5), 20, 4500, seed=3)


def test_lengths_and_balance(split):
    train, test = split
    assert len(test) == 9 * 20 and len(train) == 4500
    for ps, per in ((test, 20), (train, 500)):
        counts = Counter((len(str(a)), len(str(b))) for a, b in ps.pairs())
        assert set(counts) == set(length_pairs((3, 5)))
        assert set(counts.values()) == {per}
        mis = Counter((len(str(a)), len(str(b))) for a, b in ps.pairs() if length_mismatch(a, b))
        assert set(mis.values()) == {per // 2}  # half of every pair has an answer longer than both addends


def test_disjoint_in_both_orders(split):
    train, test = split
    t = set(test.pairs())
    assert len(t) == len(test)  # no repeated test problem
    assert not any(p in t or (p[1], p[0]) in t for p in train.pairs())


def test_seeded(split):
    again = make_split((3, 5), 20, 4500, seed=3)
    assert again == split
    other = make_split((3, 5), 20, 4500, seed=4)
    assert other[1] != split[1]


def test_draw_respects_lengths_and_carry():
    rng = np.random.default_rng(0)
    for la, lb in [(1, 1), (1, 5), (5, 1), (4, 4), (9, 7)]:
        for mismatch in (True, False):
            if not possible(la, lb, mismatch):
                continue
            got = 0
            for _ in range(200):
                p = draw(rng, la, lb, mismatch)
                if p is None:
                    continue
                a, b = p
                assert (len(str(a)), len(str(b))) == (la, lb)
                assert length_mismatch(a, b) == mismatch
                got += 1
            assert got > 50


def test_too_small_range_is_a_clear_error():
    with pytest.raises(UsageError, match="too few distinct"):
        make_split((1, 1), 200, 100, seed=0)
