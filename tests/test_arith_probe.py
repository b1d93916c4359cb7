"""Scheme detection and chunk patterns on tiny synthetic tokenizers, one per scheme, checked by hand."""

import pytest

from tokforensics.arith.probe import classify_scheme, probe_many, probe_tokenizer, segment
from tokforensics.arith.synthetic import write_tokenizer
from tokforensics.errors import InputError
from tokforensics.tokenizer.view import load_tokenizer


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("arith_synth")
    out = {}
    for scheme, k in [("single", 3), ("l2r", 3), ("l2r", 2), ("r2l", 3), ("free", 3), ("metaspace", 3),
                      ("nodigits", 3)]:
        out[f"{scheme}{k}"] = load_tokenizer(str(write_tokenizer(scheme, root / f"{scheme}{k}.json", k=k)))
    return out


def _probe(tok, **kw):
    kw.setdefault("samples", 40)
    kw.setdefault("max_digits", 12)
    kw.setdefault("digit_range", (7, 7))
    return probe_tokenizer(tok, **kw)


def _pieces(tok, text):
    return [tok.token_bytes[i].decode() for i in tok.encode(text)]


def test_segment_by_hand():
    tb = [b"123", b"456", b"7", b" ", b",", b" 12", b"3"]
    s = segment(tb, [0, 1, 2], b"1234567")
    assert s.chunks == (3, 3, 1) and s.tokens == 3 and not s.space_joined and not s.prefix_token
    s = segment(tb, [3, 0, 1, 2], b"1234567")  # ▁-style prefix token before the number
    assert s.chunks == (3, 3, 1) and s.prefix_token
    s = segment(tb, [5, 6], b"123")  # ' 12' + '3': the space shares the first token
    assert s.chunks == (2, 1) and s.space_joined
    s = segment(tb, [2, 4, 0], b"7,123")
    assert s.chunks == (1, 3) and s.tokens == 3
    assert segment(tb, [4], b"1") is None


def test_classify_scheme_rules():
    assert classify_scheme({3: [(1, 1, 1)], 4: [(1, 1, 1, 1)]}).scheme == "single"
    c = classify_scheme({4: [(3, 1)] * 5, 7: [(3, 3, 1)] * 5, 3: [(3,)] * 5})
    assert (c.scheme, c.chunk, c.consistency) == ("l2r", 3, 1.0)
    c = classify_scheme({4: [(1, 3)] * 5, 7: [(1, 3, 3)] * 5})
    assert (c.scheme, c.chunk) == ("r2l", 3)
    c = classify_scheme({4: [(2, 2)] * 5, 7: [(3, 2, 2)] * 4 + [(2, 3, 2)]}, space_joins=1.0)
    assert c.scheme == "free" and c.chunk == 3 and "space" in c.label
    # 1 stray pattern in 20 is within the 95% threshold
    c = classify_scheme({7: [(3, 3, 1)] * 19 + [(2, 1, 3, 1)]})
    assert c.scheme == "l2r" and c.consistency == 0.95


def test_single_digits(synth):
    tok = synth["single3"]
    assert _pieces(tok, "1234567") == list("1234567")
    p = _probe(tok)
    assert (p.scheme, p.chunk, p.consistency) == ("single", 1, 1.0)
    assert p.number_tokens == 10 and p.single_token_0_999 == 10 and p.single_token_0000_9999 == 0
    assert p.longest_number_token == 1
    seven = p.by_length[6]
    assert seven.top_pattern == "1-1-1-1-1-1-1" and seven.top_share == 1.0 and seven.aligned == 1.0
    assert seven.boundary_on_thousands == pytest.approx(2 / 6)  # 6 boundaries, 2 of them at thousands
    fm = {f.format: f for f in p.formats}
    assert fm["plain"].tokens_per_number == 7 and fm["comma_r2l"].tokens_per_number == 9
    assert all(f.aligned == 1.0 for f in p.formats)


def test_l2r_chunks_of_three(synth):
    tok = synth["l2r3"]
    assert _pieces(tok, "1234567") == ["123", "456", "7"]
    p = _probe(tok)
    assert (p.scheme, p.chunk, p.consistency) == ("l2r", 3, 1.0)
    assert p.scheme_label == "L2R chunks of up to 3 digits"
    assert p.number_tokens == 1110  # 10 + 100 + 1000
    assert p.single_token_0_999 == 1000 and p.single_token_0000_9999 == 0 and p.longest_number_token == 3
    pats = {ls.digits: ls.top_pattern for ls in p.by_length}
    assert pats[4] == "3-1" and pats[7] == "3-3-1" and pats[8] == "3-3-2" and pats[12] == "3-3-3-3"
    by = {ls.digits: ls for ls in p.by_length}
    assert by[7].boundary_on_thousands == 0 and by[7].aligned == 0
    assert by[9].boundary_on_thousands == 1 and by[9].aligned == 1
    assert by[7].mean_tokens == 3
    fm = {f.format: f for f in p.formats}
    assert fm["plain"].top_pattern == "3-3-1" and fm["plain"].aligned == 0
    assert fm["comma_r2l"].top_pattern == "1-3-3" and fm["comma_r2l"].aligned == 1
    assert fm["comma_r2l"].tokens_per_number == 5 and fm["comma_r2l"].example_pieces == ["1", ",", "234", ",", "567"]
    assert fm["comma_l2r"].top_pattern == "3-3-1" and fm["comma_l2r"].aligned == 0
    assert fm["space_r2l"].aligned == 1


def test_l2r_chunks_of_two(synth):
    tok = synth["l2r2"]
    assert _pieces(tok, "1234567") == ["12", "34", "56", "7"]
    p = _probe(tok)
    assert (p.scheme, p.chunk) == ("l2r", 2)
    assert p.by_length[6].top_pattern == "2-2-2-1" and p.by_length[4].top_pattern == "2-2-1"
    assert p.single_token_0_999 == 100 and p.number_tokens == 110


def test_r2l_chunks(synth):
    tok = synth["r2l3"]
    assert _pieces(tok, "1234567") == ["1", "234", "567"]
    p = _probe(tok)
    assert (p.scheme, p.chunk, p.consistency) == ("r2l", 3, 1.0)
    pats = {ls.digits: ls.top_pattern for ls in p.by_length}
    assert pats[4] == "1-3" and pats[7] == "1-3-3" and pats[8] == "2-3-3"
    assert all(ls.aligned == 1 for ls in p.by_length)
    fm = {f.format: f for f in p.formats}
    assert fm["plain"].aligned == 1 and fm["comma_l2r"].aligned == 0


def test_free_bpe(synth):
    tok = synth["free3"]
    # merges 1+2, 12+3, 4+5, 45+6, 9+9, 7+7, ' '+123, applied lowest rank first
    assert _pieces(tok, "99912") == ["99", "9", "12"]
    assert _pieces(tok, "4567") == ["456", "7"]
    assert _pieces(tok, " 1234") == [" 123", "4"]
    p = _probe(tok, samples=100)
    assert p.scheme == "free" and p.chunk == 3
    assert p.number_tokens == 17 and p.number_tokens_spaced == 1 and p.longest_example == " 123"
    assert p.single_token_0_999 == 16  # 0-9, 12, 45, 77, 99, 123, 456
    s = segment(tok.token_bytes, tok.encode(" 1234"), b"1234")
    assert s.chunks == (3, 1) and s.space_joined


def test_metaspace_dummy_prefix(synth):
    tok = synth["metaspace3"]
    assert _pieces(tok, "123") == [" ", "1", "2", "3"]
    p = _probe(tok)
    assert p.scheme == "single" and p.prefix_token == 1.0
    assert p.by_length[6].top_pattern == "1-1-1-1-1-1-1"


def test_tokenizer_without_digits(synth):
    with pytest.raises(InputError, match="no tokens for the digits"):
        _probe(synth["nodigits3"])


def test_probe_is_deterministic(synth):
    a = _probe(synth["free3"], seed=3)
    b = _probe(synth["free3"], seed=3)
    assert a == b


def test_probe_many_uses_preloaded(synth):
    tok = synth["l2r3"]
    res = probe_many([tok.name], samples=10, max_digits=8, tokenizers={tok.name: tok})
    assert list(res.tokenizers) == [tok.name] and res.tokenizers[tok.name].scheme == "l2r"
