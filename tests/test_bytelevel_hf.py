"""The byte-level engine end to end through the transformers adapter (tiny random model; SmolLM2 when slow)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from tokforensics.bytelevel import compare  # noqa: E402
from tokforensics.bytelevel.engine import EOS, ByteLevelLM  # noqa: E402
from tokforensics.lm import load_model, tiny_random_model  # noqa: E402
from tokforensics.tokenizer.view import load_tokenizer  # noqa: E402

CODE = Path(json.__file__).with_name("decoder.py").read_bytes()[:700]


@pytest.fixture(scope="module")
def tiny():
    return tiny_random_model(load_tokenizer("mistral"), seed=2)


def test_engine_on_tiny_model(tiny):
    eng = ByteLevelLM(tiny)
    whole = ByteLevelLM(tiny, window_pieces=10**9)
    for cut in (61,):
        x = CODE[:cut]
        assert eng.logprob(x) == pytest.approx(whole.logprob(x), rel=1e-6)
    ids = tiny.tokenizer.encode(CODE[:101].decode())
    assert eng.logprob(CODE[:101]) >= tiny.score([[tiny.bos_id]], [ids])[0] - 1e-5


def test_streaming_does_not_recompute_the_prefix(tiny):
    eng = ByteLevelLM(tiny)
    st = eng.state(CODE[:400])
    st.logprob()
    before, calls = tiny.forward_tokens, eng.stats.model_calls
    for c in CODE[400:416]:
        eng.greedy_byte(st)  # what generation does: every token after the frontier, checked lazily
        st.push(c)
    assert eng.stats.model_calls - calls <= 17  # at most one model call per byte (+1 for the first frontier)
    assert (tiny.forward_tokens - before) / 16 < 8  # a handful of tokens per byte, not the 130-token prefix
    assert st.logprob() == pytest.approx(eng.logprob(CODE[:416]), rel=1e-6)


def test_compare_functions(tiny):
    eng = ByteLevelLM(tiny)
    r = compare.next_bytes(eng, "def f(x):\n    retu", k=5)
    assert len(r.byte_level) == 5 and r.prompt_tokens
    s = compare.score(eng, CODE[:200])
    assert s.byte_logprob >= s.token_logprob - 1e-4 and s.n_bytes == 200
    e = compare.score(eng, CODE[:200], end_of_text=True)
    assert e.byte_logprob == pytest.approx(e.token_logprob, rel=1e-5)  # only the canonical path may end
    c = compare.complete(eng, "def f(x):\n    retu", max_bytes=8)
    assert len(c.byte_level_raw) <= 8
    c2 = compare.complete(eng, "def f(x):\n    retu", max_bytes=8, seed=3)
    assert c2.mode == "sampled"


def test_ensemble_of_two_vocabularies(tiny):
    other = tiny_random_model(load_tokenizer("gpt2"), seed=5)
    a, b = ByteLevelLM(tiny), ByteLevelLM(other)
    r = compare.ensemble([a, b], "The cat", k=4, max_bytes=6)
    pa = a.next_bytes(b"The cat").probs
    pb = b.next_bytes(b"The cat").probs
    mix = 0.5 * pa + 0.5 * pb
    assert r.mixture[0].byte == int(np.argmax(mix))
    assert r.mixture[0].prob == pytest.approx(float(mix.max()), rel=1e-9)
    assert len(r.completion.encode()) <= 6 * 4


@pytest.mark.slow
def test_smollm2_mid_token_prompt():
    eng = ByteLevelLM(load_model())
    prompt = "import os\n\ndef list_files(path):\n    return os.listd"
    nb = eng.next_bytes(prompt)
    assert nb.probs[ord("i")] > 0.9  # os.listdir
    naive, _, _ = compare.naive_next(eng, prompt.encode())
    assert naive[ord("i")] < 0.5  # naive prompting after the token "listd" is off distribution
    assert nb.leak < 0.05 and nb.probs[EOS] < 1e-3
    out, _ = eng.generate(prompt, 6)
    assert out.startswith(b"ir(")
    s = compare.score(eng, CODE[:300])
    assert s.byte_logprob >= s.token_logprob - 1e-6 and s.byte_bits_per_byte < 2.0
    assert math.isfinite(s.byte_logprob)
