"""Error anatomy of addition answers: which digit is wrong, off by one, carries, dropped or extra digits.

Pure functions over integers and digit strings (no model), so every rule can be checked by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerError:
    """How one answer differs from the truth."""

    kind: str  # correct | no_answer | dropped_digits | extra_digits | same_length
    wrong_positions: tuple[int, ...]  # 1-based from the left, same-length answers only
    off_by_one: bool  # same length and every wrong digit differs from the true one by 1 (mod 10)
    carry_error: bool  # same length and every wrong digit is a missed or a spurious carry
    dropped_one: bool  # the answer is the truth with exactly one digit deleted
    inserted_one: bool  # the answer is the truth with exactly one digit inserted


def carries_in(a: int, b: int) -> list[int]:
    """Carry into each column of a + b, column 0 = units, one entry per digit of the sum."""
    n = len(str(a + b))
    out, carry = [], 0
    for _ in range(n):
        out.append(carry)
        s = a % 10 + b % 10 + carry
        carry = 1 if s >= 10 else 0
        a //= 10
        b //= 10
    return out


def length_mismatch(a: int, b: int) -> bool:
    """The answer is longer than both addends (a final carry makes a new leading digit)."""
    return len(str(a + b)) > max(len(str(a)), len(str(b)))


def classify(a: int, b: int, answer: str | None) -> AnswerError:
    truth = str(a + b)
    if answer == truth:
        return AnswerError("correct", (), False, False, False, False)
    if not answer:
        return AnswerError("no_answer", (), False, False, False, False)
    if len(answer) != len(truth):
        kind = "dropped_digits" if len(answer) < len(truth) else "extra_digits"
        dropped = len(answer) == len(truth) - 1 and any(truth[:i] + truth[i + 1:] == answer for i in range(len(truth)))
        inserted = len(answer) == len(truth) + 1 and any(answer[:i] + answer[i + 1:] == truth for i in range(len(answer)))
        return AnswerError(kind, (), False, False, dropped, inserted)
    cin = carries_in(a, b)
    n = len(truth)
    wrong = tuple(j + 1 for j in range(n) if answer[j] != truth[j])
    off = carry = True
    for j in (p - 1 for p in wrong):
        d = (int(answer[j]) - int(truth[j])) % 10
        off = off and d in (1, 9)
        c = cin[n - 1 - j]
        carry = carry and ((c == 1 and d == 9) or (c == 0 and d == 1))
    return AnswerError("same_length", wrong, off, carry, False, False)


@dataclass(frozen=True)
class ErrorAnatomy:
    problems: int
    wrong: int
    no_answer: int
    dropped_digits: int  # answer shorter than the truth
    dropped_one_digit: int  # ... by exactly one deleted digit
    extra_digits: int  # answer longer than the truth
    same_length: int  # wrong answers of the right length
    single_digit: int  # ... with exactly one wrong digit
    off_by_one: int  # ... every wrong digit off by one
    carry_errors: int  # ... every wrong digit a missed or spurious carry
    first_wrong_from_left: dict[int, int]  # position of the leftmost wrong digit (1 = leftmost) -> count
    wrong_digit_from_left: dict[int, int]  # every wrong digit's position -> count
    top_position: int | None  # the position most often wrong (wrong_digit_from_left)
    top_position_share: float | None  # its share of same-length wrong answers


def summarize(items: Iterable[tuple[int, int, AnswerError]]) -> ErrorAnatomy:
    """Count the error classes over (a, b, classification) triples."""
    items = list(items)
    wrong = [e for _, _, e in items if e.kind != "correct"]
    same = [e for e in wrong if e.kind == "same_length"]
    first = Counter(e.wrong_positions[0] for e in same if e.wrong_positions)
    every = Counter(p for e in same for p in e.wrong_positions)
    top = every.most_common(1)[0] if every else None
    return ErrorAnatomy(
        problems=len(items), wrong=len(wrong),
        no_answer=sum(e.kind == "no_answer" for e in wrong),
        dropped_digits=sum(e.kind == "dropped_digits" for e in wrong),
        dropped_one_digit=sum(e.dropped_one for e in wrong),
        extra_digits=sum(e.kind == "extra_digits" for e in wrong),
        same_length=len(same),
        single_digit=sum(len(e.wrong_positions) == 1 for e in same),
        off_by_one=sum(e.off_by_one for e in same),
        carry_errors=sum(e.carry_error for e in same),
        first_wrong_from_left=dict(sorted(first.items())),
        wrong_digit_from_left=dict(sorted(every.items())),
        top_position=top[0] if top else None,
        top_position_share=(top[1] / len(same)) if top else None,
    )
