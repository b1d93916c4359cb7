"""Number formats, digit ranges and answer parsing (tokforensics.arith.numbers)."""

import numpy as np
import pytest

from tokforensics.arith.numbers import (
    chunk_boundaries,
    chunk_pattern,
    group_digits,
    number_format,
    parse_answer,
    parse_digit_range,
    parse_int_list,
    random_digit_strings,
    random_number,
    split_digits,
    thousands_boundaries,
)
from tokforensics.errors import UsageError


def test_split_digits_by_hand():
    assert split_digits("1234567", 3, "l2r") == ["123", "456", "7"]
    assert split_digits("1234567", 3, "r2l") == ["1", "234", "567"]
    assert split_digits("123456", 3, "r2l") == ["123", "456"]
    assert split_digits("1234567", 2, "l2r") == ["12", "34", "56", "7"]
    assert split_digits("1234567", 2, "r2l") == ["1", "23", "45", "67"]
    assert split_digits("12", 3, "r2l") == ["12"]


def test_group_digits_and_formats():
    assert group_digits("1234567", ",", "r2l") == "1,234,567"
    assert group_digits("1234567", ",", "l2r") == "123,456,7"
    assert number_format("space_r2l").apply("12345678") == "12 345 678"
    assert number_format("dot_l2r").apply("12345678") == "123.456.78"
    assert number_format("plain").apply("12345678") == "12345678"
    with pytest.raises(UsageError):
        number_format("comma_up")


def test_patterns_and_boundaries():
    assert chunk_pattern(7, 3, "l2r") == (3, 3, 1)
    assert chunk_pattern(7, 3, "r2l") == (1, 3, 3)
    assert thousands_boundaries(7) == {1, 4}
    assert thousands_boundaries(3) == set()
    assert chunk_boundaries((3, 3, 1)) == {3, 6}
    assert chunk_boundaries((1, 3, 3)) == {1, 4}


@pytest.mark.parametrize("text,want", [("7-9", (7, 9)), ("8", (8, 8)), (" 1 - 20 ", (1, 20))])
def test_parse_digit_range_ok(text, want):
    assert parse_digit_range(text) == want


@pytest.mark.parametrize("text,needle", [("0-3", "at least 1"), ("9-7", "backwards"), ("abc", "expected"),
                                         ("", "expected"), ("3-99", "at most"), ("-3", "expected")])
def test_parse_digit_range_bad(text, needle):
    with pytest.raises(UsageError) as e:
        parse_digit_range(text)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_parse_int_list():
    assert parse_int_list("8,1,2,4,2", "--shots", 0, 32) == [1, 2, 4, 8]
    for bad in ("a,b", "", "1,-2", "1,99"):
        with pytest.raises(UsageError):
            parse_int_list(bad, "--shots", 0, 32)


def test_parse_answer():
    assert parse_answer("12345\n1+2=3") == "12345"
    assert parse_answer(" 12345 and more") == "12345"
    assert parse_answer("12,345,678\n", ",") == "12345678"
    assert parse_answer("12,345,678", "") == "12"
    assert parse_answer("12 345 678+", " ") == "12345678"
    assert parse_answer("12,", ",") == "12"
    assert parse_answer("abc 12") is None
    assert parse_answer("") is None


def test_random_numbers_have_the_right_length():
    rng = np.random.default_rng(0)
    for n in (1, 2, 9, 19, 25):
        xs = [random_number(rng, n) for _ in range(50)]
        assert all(len(str(x)) == n for x in xs)
    ss = random_digit_strings(np.random.default_rng(1), 12, 100)
    assert all(len(s) == 12 and s[0] != "0" for s in ss)
    assert random_digit_strings(np.random.default_rng(1), 12, 100) == ss
