"""The model probe: prompt building, forced chunking, and the whole pipeline on stand-in models.

Two pure-Python stand-ins implement the LanguageModel interface: an oracle that always adds correctly and a
"carry-less" adder that never carries. They check the bookkeeping (batching, record order, accuracy, error
anatomy) against answers known in advance; the tiny random torch model runs the real adapter end to end.
"""

import math
import re

import pytest

from tokforensics.arith.model import (
    build_sequence,
    default_formats,
    force_chunks,
    forced_chunk,
    make_problems,
    probe_model,
    prompt_format,
)
from tokforensics.arith.synthetic import write_tokenizer
from tokforensics.errors import InputError, UsageError
from tokforensics.tokenizer.view import load_tokenizer


class StandIn:
    """Adds the two numbers of the last prompt line, correctly or without carries; answers in plain digits."""

    def __init__(self, tokenizer, carry=True):
        self.name = "oracle" if carry else "carryless"
        self.tokenizer = tokenizer
        self.vocab_size = tokenizer.vocab_size
        self.device = "cpu"
        self.carry = carry
        self.batches = []

    def _answer(self, prompt):
        text = self.tokenizer.decode_bytes(prompt).decode()
        a, b = (int(re.sub(r"\D", "", x)) for x in text.rsplit("\n", 1)[-1].rstrip("= ").split("+"))
        if self.carry:
            return str(a + b)
        n = max(len(str(a)), len(str(b)))
        da, db = str(a).zfill(n), str(b).zfill(n)
        return str(int("".join(str((int(x) + int(y)) % 10) for x, y in zip(da, db, strict=True))))

    def greedy(self, prompts, max_new_tokens, stop_ids=None):
        self.batches.append(len(prompts))
        return [self.tokenizer.encode(self._answer(p) + "\n")[:max_new_tokens] for p in prompts]

    def score(self, prompts, continuations):
        return [-0.5 * len(c) for c in continuations]

    def next_logprobs(self, prefixes):  # pragma: no cover - not used by the probe
        raise NotImplementedError


@pytest.fixture(scope="module")
def toks(tmp_path_factory):
    root = tmp_path_factory.mktemp("arith_model")
    return {
        "l2r": load_tokenizer(str(write_tokenizer("l2r", root / "l2r.json", k=3))),
        "single": load_tokenizer(str(write_tokenizer("single", root / "single.json"))),
        "meta": load_tokenizer(str(write_tokenizer("metaspace", root / "meta.json"))),
        "free": load_tokenizer(str(write_tokenizer("free", root / "free.json"))),
    }


def _pieces(tok, ids):
    return [tok.token_bytes[i].decode() for i in ids]


def test_problems_are_seeded_and_follow_the_length_pairs():
    a = make_problems((7, 9), 18, 8, seed=5)
    assert a == make_problems((7, 9), 18, 8, seed=5) and a != make_problems((7, 9), 18, 8, seed=6)
    pairs = [(len(str(p.a)), len(str(p.b))) for p in a]
    assert pairs[:9] == [(7, 7), (7, 8), (7, 9), (8, 7), (8, 8), (8, 9), (9, 7), (9, 8), (9, 9)]
    assert pairs[9:] == pairs[:9]
    for p in a:  # few-shot examples share the query's addend lengths
        assert all((len(str(x)), len(str(y))) == (len(str(p.a)), len(str(p.b))) for x, y in p.shots)


def test_prompt_formats():
    f = prompt_format("comma_r2l")
    assert f.query(1234567, 89) + f.answer(1234656) == "1,234,567+89=1,234,656"
    assert prompt_format("comma_l2r").query(1234567, 89) == "123,456,7+89="
    assert prompt_format("native_sp2").query(12, 34) == "12  +  34  ="
    assert prompt_format("forced_r2l", chunk=3).force == "r2l"
    with pytest.raises(UsageError):
        prompt_format("bogus")


def test_forced_chunking_by_hand(toks):
    tok = toks["l2r"]
    assert forced_chunk(tok) == 3 and forced_chunk(toks["single"]) == 1
    ids = tok.encode("1234567+1=")
    assert _pieces(tok, ids) == ["123", "456", "7", "+", "1", "="]
    assert _pieces(tok, force_chunks(tok, ids, "r2l", 3)) == ["1", "234", "567", "+", "1", "="]
    assert _pieces(tok, force_chunks(tok, ids, "l2r", 2)) == ["12", "34", "56", "7", "+", "1", "="]
    free = toks["free"]
    with pytest.raises(InputError, match="joins digits"):
        force_chunks(free, free.encode(" 1234"), "r2l", 1)


def test_build_sequence_splits_prompt_and_answer(toks):
    p = make_problems((7, 7), 1, 2, seed=0)[0]
    for name in ("l2r", "meta"):
        tok = toks[name]
        for fname in ("native", "comma_r2l", "native_sp1"):
            f = prompt_format(fname)
            q = build_sequence(tok, f, p, 2)
            text = "".join(f.query(x, y) + f.answer(x + y) + "\n" for x, y in p.shots[:2]) + f.query(p.a, p.b)
            assert tok.decode_bytes(q.prompt).decode() == text
            assert b"".join(tok.token_bytes[i] for i in q.continuation).decode() == f.answer(p.answer) + "\n"
    tok = toks["l2r"]
    q = build_sequence(tok, prompt_format("forced_r2l", 3), p, 0)
    digits = str(p.answer)
    want = [digits[: len(digits) % 3]] if len(digits) % 3 else []
    want += [digits[i:i + 3] for i in range(len(digits) % 3, len(digits), 3)]
    assert _pieces(tok, q.continuation) == want + ["\n"]


def test_oracle_scores_every_setting_perfectly(toks):
    m = StandIn(toks["l2r"])
    res = probe_model(m, digit_range=(3, 4), shots=(0, 2), problems=8, batch_size=5)
    assert res.formats == default_formats() and "forced_r2l" in res.formats
    assert len(res.settings) == len(res.formats) * 2 and len(res.records) == 8 * len(res.settings)
    assert all(s.accuracy == 1.0 and s.errors.wrong == 0 for s in res.settings)
    assert max(m.batches) <= 5
    # score() gave -0.5 per continuation token: the mean log-prob tracks answer tokens
    for s in res.settings:
        assert s.mean_logprob == pytest.approx(-0.5 * s.answer_tokens)
    assert res.scheme == "l2r" and "chunks of 3" in res.note


def test_carryless_adder_shows_carry_errors(toks):
    m = StandIn(toks["single"], carry=False)
    res = probe_model(m, digit_range=(3, 3), shots=(1,), problems=40, formats=["native", "comma_r2l", "forced_l2r"])
    assert res.formats == ["native", "comma_r2l"] and "forced_l2r" in res.skipped_formats
    assert "single digits" in res.scheme_label and "own token" in res.note
    s = res.settings[0]
    e = s.errors
    assert e.wrong > 0 and e.same_length + e.dropped_digits == e.wrong
    assert e.carry_errors == e.same_length and e.off_by_one == e.same_length
    assert s.accuracy_len_mismatch == 0.0  # the lost final carry always drops the leading digit
    assert s.errors_len_mismatch.dropped_digits == s.len_mismatch
    for r in res.records:
        assert r.correct == (r.answer == r.truth)
    assert res.settings[0].accuracy == res.settings[1].accuracy  # same problems in every format


def test_bad_arguments(toks, tmp_path):
    m = StandIn(toks["single"])
    with pytest.raises(UsageError):
        probe_model(m, problems=0)
    with pytest.raises(UsageError):
        probe_model(m, formats=["forced_l2r"])  # nothing left to run on single digits
    tok = load_tokenizer(str(write_tokenizer("nodigits", tmp_path / "nodigits.json")))
    with pytest.raises(InputError, match="no tokens for the digits"):
        probe_model(StandIn(tok))


def test_logprob_is_finite(toks):
    res = probe_model(StandIn(toks["meta"]), digit_range=(2, 2), shots=(1,), problems=3)
    assert all(math.isfinite(r.logprob) for r in res.records)


def test_shot_sets_share_examples_and_batches():
    ps = make_problems((7, 8), 8, 4, seed=1, shot_sets=1)
    assert ps[0].shots == ps[4].shots and ps[0].shot_set == ps[4].shot_set  # same length pair, same set
    assert ps[0].shots != ps[1].shots
    ps2 = make_problems((7, 8), 8, 4, seed=1, shot_sets=2)
    assert ps2[0].shots != ps2[4].shots and ps2[0].shot_set != ps2[4].shot_set
    assert [(p.a, p.b) for p in ps2] == [(p.a, p.b) for p in ps]  # the queries do not depend on the sets
    fresh = make_problems((7, 8), 8, 4, seed=1)
    assert len({p.shot_set for p in fresh}) == 8


def test_batches_keep_shared_prefixes_together(toks):
    m = StandIn(toks["single"])
    probe_model(m, digit_range=(3, 3), shots=(1, 4), problems=8, formats=["native"], shot_sets=1, batch_size=16)
    assert m.batches == [8, 8]  # one length pair, one example set: one batch per shot count
    m = StandIn(toks["single"])
    probe_model(m, digit_range=(3, 3), shots=(1, 4), problems=8, formats=["native"], shot_sets=0, batch_size=16)
    assert m.batches == [16]  # fresh examples: nothing shared, packed by length


class WithBos(StandIn):
    def __init__(self, tokenizer, bos_id, eos_id):
        super().__init__(tokenizer)
        self.bos_id, self.eos_id = bos_id, eos_id
        self.firsts = set()

    def greedy(self, prompts, max_new_tokens, stop_ids=None):
        self.firsts |= {p[0] for p in prompts}
        return super().greedy([p[1:] if p[0] == self.bos_id else p for p in prompts], max_new_tokens, stop_ids)


def test_bos_rule(toks):
    tok = toks["single"]
    m = WithBos(tok, bos_id=0, eos_id=1)  # a real BOS: used
    assert probe_model(m, digit_range=(2, 2), shots=(1,), problems=2).bos and m.firsts == {0}
    m = WithBos(tok, bos_id=0, eos_id=0)  # "BOS" is the end-of-text token: not used unless asked
    assert not probe_model(m, digit_range=(2, 2), shots=(1,), problems=2).bos and 0 not in m.firsts
    m = WithBos(tok, bos_id=0, eos_id=0)
    assert probe_model(m, digit_range=(2, 2), shots=(1,), problems=2, bos=True).bos and m.firsts == {0}


lm = pytest.importorskip("tokforensics.lm.adapter", reason="the model probe needs torch")


@pytest.fixture(scope="module")
def tiny(toks):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tiny model is call-bound; one thread avoids contention on shared cores
    yield lm.tiny_random_model(toks["l2r"], seed=0)
    torch.set_num_threads(threads)


def test_tiny_random_model_end_to_end(tiny):
    kw = dict(digit_range=(4, 5), shots=(0, 2), problems=4, batch_size=4,
              formats=["native", "comma_r2l", "native_sp1", "forced_l2r"])
    a = probe_model(tiny, **kw)
    assert a.formats == kw["formats"] and len(a.records) == 4 * 2 * 4
    assert all(math.isfinite(r.logprob) and r.logprob < 0 for r in a.records)
    assert all(0.0 <= s.accuracy <= 1.0 for s in a.settings)
    assert a.problems_per_second > 0 and a.seconds_greedy > 0
    s = a.settings[0]
    assert s.errors.problems == 4 and s.errors.wrong == round(4 * (1 - s.accuracy))
    b = probe_model(tiny, **{**kw, "formats": ["native"]})  # deterministic: same greedy outputs and scores
    a_native = [r for r in a.records if r.format == "native"]
    assert [r.generated for r in a_native] == [r.generated for r in b.records]
    assert [r.logprob for r in a_native] == pytest.approx([r.logprob for r in b.records], abs=1e-4)


def test_tiny_model_forced_formats_change_only_tokens(tiny):
    res = probe_model(tiny, digit_range=(7, 7), shots=(1,), problems=3, formats=["native", "forced_r2l"])
    by = {s.format: s for s in res.settings}
    # 7 digits are 3 tokens either way (3-3-1 vs 1-3-3), but different tokens: the log-probs differ
    assert by["native"].answer_tokens == by["forced_r2l"].answer_tokens
    assert [r.logprob for r in res.records if r.format == "native"] != \
        [r.logprob for r in res.records if r.format == "forced_r2l"]
    truth = str(res.records[0].a + res.records[0].b)
    ex = res.example_prompts["forced_r2l"]
    want = [truth[: len(truth) % 3]] if len(truth) % 3 else []
    want += [truth[i:i + 3] for i in range(len(truth) % 3, len(truth), 3)]
    assert ex[ex.index("‖") + 1:] == want + ["\n"]


@pytest.fixture(scope="module")
def smollm2():
    import torch

    threads = torch.get_num_threads()
    yield lm.load_model("smollm2", threads=1)
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_smollm2_adds_one_digit_numbers_and_reports_single_digits(smollm2):
    # SmolLM2-135M is weak at arithmetic, but with a few examples it adds single digits far above chance
    res = probe_model(smollm2, digit_range=(1, 1), shots=(1,), problems=27, formats=["native"])
    s = res.settings[0]
    assert s.accuracy >= 0.15 and s.mean_logprob > -4.0
    assert not res.bos  # its "BOS" is the end-of-text token: prompts start with the text itself
    # 7-digit numbers: single-digit tokens, so commas add tokens without changing digit chunks; no forced formats
    res = probe_model(smollm2, digit_range=(7, 7), shots=(1,), problems=3)
    assert res.scheme == "single" and "own token" in res.note
    assert set(res.skipped_formats) == {"forced_l2r", "forced_r2l"}
    by = {s.format: s for s in res.settings}
    digits = by["native"].answer_tokens - 1  # the answer's digits (plus a newline token)
    assert 7 <= digits <= 8
    assert by["comma_r2l"].answer_tokens > by["native"].answer_tokens
    assert all(math.isfinite(s.mean_logprob) for s in res.settings)


def test_paired_contrasts(toks):
    m = StandIn(toks["l2r"])
    res = probe_model(m, digit_range=(4, 4), shots=(1, 2), problems=3,
                      formats=["native", "comma_l2r", "comma_r2l", "native_sp1", "forced_l2r", "forced_r2l"])
    pairs = {(c.a, c.b) for c in res.comparisons}
    assert pairs == {("comma_r2l", "comma_l2r"), ("forced_r2l", "forced_l2r"), ("comma_r2l", "native"),
                     ("forced_r2l", "native"), ("native_sp1", "native")}
    c = next(c for c in res.comparisons if (c.a, c.b, c.shots) == ("comma_r2l", "native", 1))
    # the stand-in scores -0.5 per answer token: a 4-5 digit answer gains one comma token
    assert c.problems == 3 and c.accuracy_diff == 0.0 and c.logprob_diff == pytest.approx(-0.5) and c.a_better == 0
