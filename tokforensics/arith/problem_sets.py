"""Seeded addition problem sets for the from-scratch study: balanced addend lengths, disjoint train and test.

Every ordered pair of addend lengths (la, lb) in the digit range gets the same number of problems, and half
of each pair's problems have an answer longer than both addends (the paper's "length mismatch"), so that
accuracy on such answers is measured on as many problems as the rest. Within a pair and a half, numbers are
uniform: the shorter addend (or b, when both are as long) is drawn first, then the longer one uniformly from
the values that give (or avoid) the final carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UsageError
from .anatomy import length_mismatch


@dataclass(frozen=True)
class ProblemSet:
    a: tuple[int, ...]
    b: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.a)

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.a, self.b, strict=True))


def length_pairs(digit_range: tuple[int, int]) -> list[tuple[int, int]]:
    lo, hi = digit_range
    return [(la, lb) for la in range(lo, hi + 1) for lb in range(lo, hi + 1)]


def _uniform(rng: np.random.Generator, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi] (hi may pass 2**63: then built from two draws)."""
    span = hi - lo + 1
    if span <= 2 ** 62:
        return lo + int(rng.integers(0, span))
    return lo + (int(rng.integers(0, 2 ** 62)) * 2 ** 62 + int(rng.integers(0, 2 ** 62))) % span


def draw(rng: np.random.Generator, la: int, lb: int, mismatch: bool) -> tuple[int, int] | None:
    """One problem with these addend lengths, with or without a final carry; None when the draw of the first
    addend leaves no room (only for equal lengths without a carry: the caller draws again)."""
    top = max(la, lb)
    first_lo = 10 ** (min(la, lb) - 1) if min(la, lb) > 1 else 1
    first = _uniform(rng, first_lo, 10 ** min(la, lb) - 1)
    lo_long = 10 ** (top - 1) if top > 1 else 1
    if mismatch:
        lo, hi = max(lo_long, 10 ** top - first), 10 ** top - 1
    else:
        lo, hi = lo_long, 10 ** top - 1 - first
    if lo > hi:
        return None
    other = _uniform(rng, lo, hi)
    return (other, first) if la >= lb else (first, other)


def possible(la: int, lb: int, mismatch: bool) -> bool:
    """Whether any problem has these lengths and this carry (1-digit + 1-digit sums can reach 18, ...)."""
    top = max(la, lb)
    smallest_first = 10 ** (min(la, lb) - 1) if min(la, lb) > 1 else 1
    largest_first = 10 ** min(la, lb) - 1
    if mismatch:
        return largest_first + 10 ** top - 1 >= 10 ** top
    return smallest_first + (10 ** (top - 1) if top > 1 else 1) < 10 ** top


def make_split(digit_range: tuple[int, int], test_per_pair: int, train_problems: int,
               seed: int) -> tuple[ProblemSet, ProblemSet]:
    """(train, test): test has `test_per_pair` distinct problems per length pair, half with a final carry;
    train has `train_problems` problems balanced the same way, none of them (in either order) in test."""
    if test_per_pair < 2:
        raise UsageError(f"test problems per length pair: need at least 2 (got {test_per_pair})")
    if train_problems < 1:
        raise UsageError(f"--train-problems {train_problems}: need at least 1")
    pairs = length_pairs(digit_range)
    test: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    rng = np.random.default_rng([seed, 7, 0])
    for la, lb in pairs:
        for k in range(test_per_pair):
            mismatch = k % 2 == 1 and possible(la, lb, True) or not possible(la, lb, False)
            for _ in range(200):
                p = draw(rng, la, lb, mismatch)
                if p is not None and p not in seen:
                    break
            else:
                raise UsageError(f"--digits {digit_range[0]}-{digit_range[1]}: too few distinct {la}+{lb} digit "
                                 f"problems for {test_per_pair} test problems per length pair; use longer addends")
            seen.add(p)
            test.append(p)
    rng = np.random.default_rng([seed, 7, 1])
    train: list[tuple[int, int]] = []
    for i in range(train_problems):
        la, lb = pairs[i % len(pairs)]
        mismatch = (i // len(pairs)) % 2 == 1 and possible(la, lb, True) or not possible(la, lb, False)
        for _ in range(200):
            p = draw(rng, la, lb, mismatch)
            if p is not None and p not in seen and (p[1], p[0]) not in seen:
                break
        else:
            raise UsageError(f"--digits {digit_range[0]}-{digit_range[1]}: the test set leaves no {la}+{lb} digit "
                             "problems to train on; use longer addends")
        train.append(p)
    # shuffle the training order (the test order stays grouped by length pair, which reports use)
    order = np.random.default_rng([seed, 7, 2]).permutation(len(train))
    train = [train[i] for i in order]
    return (ProblemSet(tuple(a for a, _ in train), tuple(b for _, b in train)),
            ProblemSet(tuple(a for a, _ in test), tuple(b for _, b in test)))


def mismatch_share(ps: ProblemSet) -> float:
    return sum(length_mismatch(a, b) for a, b in ps.pairs()) / max(1, len(ps))
