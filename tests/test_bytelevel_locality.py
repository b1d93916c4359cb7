"""The window the engine encodes (the last few pretokenizer pieces) gives the same answers as whole-text encoding.

This is the one property of real tokenizers the engine relies on (docs/bytelevel.md, "Locality"). A synthetic
model (random rows per last token, no torch) makes the comparison cheap; the windowless engine never commits
and re-encodes the whole text from its first byte for every check.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tokforensics.bytelevel.canon import Canon
from tokforensics.bytelevel.engine import ByteLevelLM
from tokforensics.bytelevel.synthetic import TableLM
from tokforensics.errors import InputError
from tokforensics.tokenizer.view import load_tokenizer

CODE = Path(json.__file__).with_name("encoder.py").read_bytes()[:300]
TEXTS = [
    CODE,
    "We don't know; it's 12345 or 3.14159, isn't it?  Yes!!\n\n\tIndented… naïve café — 中文 😀 ok".encode(),
    b"x  =  1\n\n\n    return  x\r\n  \t y",
]


def _cuts(data: bytes, many: bool) -> list[int]:
    n = len(data)
    if not many:
        return [n - 1, n // 2 + 1]
    return sorted({n, n - 1, n - 2, n - 5, n // 2, n // 2 + 1, n // 3, 2 * n // 3 + 3})


@pytest.mark.parametrize("name,many", [
    ("smollm2", False), ("mistral", False),
    pytest.param("smollm2", True, marks=pytest.mark.slow), pytest.param("mistral", True, marks=pytest.mark.slow),
    pytest.param("gpt2", True, marks=pytest.mark.slow), pytest.param("gpt4", True, marks=pytest.mark.slow),
    pytest.param("gpt4o", True, marks=pytest.mark.slow), pytest.param("llama3", True, marks=pytest.mark.slow),
])
def test_windowed_equals_whole_text(name, many):
    try:
        tok = load_tokenizer(name)
    except InputError as exc:  # pragma: no cover - optional zoo entry
        pytest.skip(str(exc))
    lm = TableLM(tok, seed=4)
    fast = ByteLevelLM(lm)
    slow = ByteLevelLM(lm, window_pieces=10**9)
    for text in TEXTS if many else TEXTS[1:]:
        for cut in _cuts(text, many):
            x = text[:cut]
            a, b = fast.state(x), slow.state(x)
            la, lb = a.logprob(), b.logprob()
            assert la > -math.inf, (name, x[-20:])
            assert la == pytest.approx(lb, abs=1e-9), (name, x[-30:])
            assert b.q == 0 and (a.q > 0 or len(x) < 30)
        # the canonical tokenization is one of the covers, so the byte level is never below it
        ids = tok.encode(text.decode("utf-8"))
        tok_level = lm.score([[lm.bos_id]], [ids])[0]
        assert fast.logprob(text) >= tok_level - 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("name", ["smollm2", "mistral"])
def test_next_byte_window_equals_whole_text(name):
    tok = load_tokenizer(name)
    lm = TableLM(tok, seed=8)
    fast = ByteLevelLM(lm)
    slow = ByteLevelLM(lm, window_pieces=10**9)
    x = TEXTS[1][:37]
    lo_f, _ = fast.state(x).log_masses()
    lo_s, _ = slow.state(x).log_masses()
    assert (lo_f == lo_s).all() or max(abs(math.exp(a) - math.exp(b)) for a, b in zip(lo_f, lo_s, strict=True)) < 1e-15


def test_blank_lines_keep_their_covers():
    """GPT-2's \\s+(?!\\S) splits "\\n\\n" once text follows: [\\n][\\n] must stay a valid prefix."""
    tok = load_tokenizer("smollm2")
    c = Canon(tok)
    nl = tok.encode("\n")[0]
    two = tok.encode("\n\n")
    assert two != [nl, nl]
    assert tok.encode("\n\nx")[:2] == [nl, nl]
    assert c.check([(b"\n\n", (nl, nl)), (b"\n\n", tuple(two))], at_start=True) == [1, 2]


def test_unsupported_tokenizer_kind(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    t = Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1, "b": 2}, unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    t.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(InputError, match="byte-level BPE .* byte fallback"):
        Canon(load_tokenizer(tmp_path / "tokenizer.json"))
