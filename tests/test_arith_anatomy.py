"""Error anatomy rules, checked on hand-made answers (tokforensics.arith.anatomy)."""

from tokforensics.arith.anatomy import carries_in, classify, length_mismatch, summarize


def test_carries_in_by_hand():
    # 158 + 267 = 425: units 8+7=15 (carry into tens), tens 5+6+1=12 (carry into hundreds)
    assert carries_in(158, 267) == [0, 1, 1]
    # 999 + 1 = 1000: a carry into every column, including the new leading digit
    assert carries_in(999, 1) == [0, 1, 1, 1]
    assert carries_in(121, 111) == [0, 0, 0]


def test_length_mismatch():
    assert length_mismatch(999, 1)
    assert not length_mismatch(100, 1)
    assert length_mismatch(5_000_000, 5_000_000)


def test_classify_correct_and_missing():
    assert classify(158, 267, "425").kind == "correct"
    assert classify(158, 267, None).kind == "no_answer"


def test_missed_carry():
    e = classify(158, 267, "415")  # tens digit lost its carry: 2 -> 1
    assert e.kind == "same_length" and e.wrong_positions == (2,)
    assert e.off_by_one and e.carry_error


def test_spurious_carry():
    e = classify(121, 111, "242")  # no carry into tens, yet 3 -> 4
    assert e.wrong_positions == (2,) and e.off_by_one and e.carry_error


def test_off_by_one_that_is_not_a_carry():
    e = classify(121, 111, "222")  # hundreds 2 -> 2 ok, tens 3 -> 2: off by one but no carry was there to miss
    assert e.wrong_positions == (2,) and e.off_by_one and not e.carry_error


def test_large_digit_error():
    e = classify(121, 111, "252")
    assert not e.off_by_one and not e.carry_error


def test_dropped_and_extra_digits():
    d = classify(1000, 234, "124")  # truth 1234, one digit deleted
    assert d.kind == "dropped_digits" and d.dropped_one
    x = classify(1000, 234, "12534")
    assert x.kind == "extra_digits" and x.inserted_one
    y = classify(1000, 234, "99")
    assert y.kind == "dropped_digits" and not y.dropped_one


def test_summarize_counts():
    items = [
        (158, 267, classify(158, 267, "425")),
        (158, 267, classify(158, 267, "415")),
        (1000, 234, classify(1000, 234, "1244")),
        (1000, 234, classify(1000, 234, "124")),
        (1000, 234, classify(1000, 234, None)),
    ]
    s = summarize(items)
    assert s.problems == 5 and s.wrong == 4
    assert s.no_answer == 1 and s.dropped_digits == 1 and s.dropped_one_digit == 1 and s.same_length == 2
    # 415 vs 425: digit 2 (missed carry); 1244 vs 1234: digit 3 (spurious carry: nothing carries into the tens)
    assert s.first_wrong_from_left == {2: 1, 3: 1}
    assert s.top_position in (2, 3) and s.top_position_share == 0.5
    assert s.carry_errors == 2 and s.off_by_one == 2 and s.single_digit == 2


def test_digit_accuracy_by_place_value():
    from tokforensics.arith.model import digit_accuracy

    assert digit_accuracy("1234", "1234") == 1.0
    assert digit_accuracy("1234", "234") == 0.75  # dropped leading digit: the rest still in place
    assert digit_accuracy("1234", "1243") == 0.5
    assert digit_accuracy("1234", None) == 0.0
    assert digit_accuracy("1234", "91234") == 1.0
