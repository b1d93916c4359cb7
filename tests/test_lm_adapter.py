"""The LanguageModel adapter: tree-batched calls agree with plain forward passes; loading and its errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tokforensics.errors import InputError, UsageError  # noqa: E402
from tokforensics.lm import LanguageModel, load_model, tiny_random_model  # noqa: E402
from tokforensics.tokenizer.view import load_tokenizer  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    return tiny_random_model(load_tokenizer("gpt2"), seed=1)


def _plain(lm, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        logits = lm.model(torch.tensor([ids])).logits[0].double()
    return torch.log_softmax(logits, -1).numpy()


def test_interface(tiny):
    assert isinstance(tiny, LanguageModel)
    assert tiny.device == "cpu" and tiny.vocab_size == 50257 and tiny.tokenizer.name == "gpt2"
    assert tiny.bos_id == tiny.eos_id == 50256  # <|endoftext|>


def test_next_logprobs_match_plain_forward(tiny):
    tok = tiny.tokenizer
    base = [tiny.bos_id, *tok.encode("The quick brown fox jumps")]
    prefixes = [base, base[:-1], base + [tok.encode(" over")[0]], [tiny.bos_id], base[:3]]
    got = tiny.next_logprobs(prefixes)
    assert got.shape == (5, tiny.vocab_size) and got.dtype == np.float64
    for p, row in zip(prefixes, got, strict=True):
        assert np.allclose(row, _plain(tiny, p)[-1], atol=2e-5)
        assert np.exp(row).sum() == pytest.approx(1.0, abs=1e-9)


def test_trunk_is_reused_when_streaming(tiny):
    tok = tiny.tokenizer
    ids = [tiny.bos_id, *tok.encode("one two three four five six seven eight nine ten " * 4)]
    tiny.reset()
    tiny.next_logprobs([ids[:60]])
    before = tiny.forward_tokens
    for k in range(61, 70):
        tiny.next_logprobs([ids[:k], ids[:k - 1]])
    assert tiny.forward_tokens - before < 40  # a few new tokens per call, not the 60-token prefix again
    assert np.allclose(tiny.next_logprobs([ids[:69]])[0], _plain(tiny, ids[:69])[-1], atol=2e-5)


def test_score_and_greedy_agree_with_next_logprobs(tiny):
    tok = tiny.tokenizer
    p1 = [tiny.bos_id, *tok.encode("Hello there")]
    p2 = [tiny.bos_id, *tok.encode("A different prompt, longer than the first")]
    c1, c2 = tok.encode(" general Kenobi"), tok.encode(" and more")
    s = tiny.score([p1, p2, p1], [c1, c2, []])
    for (p, c), got in zip([(p1, c1), (p2, c2)], s, strict=False):
        lp = _plain(tiny, p + c)
        want = sum(lp[len(p) - 1 + j][t] for j, t in enumerate(c))
        assert got == pytest.approx(want, abs=1e-4)
    assert s[2] == 0.0
    outs = tiny.greedy([p1, p2], 6)
    for p, out in zip([p1, p2], outs, strict=True):
        seq = list(p)
        for t in out:
            assert t == int(np.argmax(_plain(tiny, seq)[-1]))
            seq.append(t)
    stop = {outs[0][2]}
    assert tiny.greedy([p1], 6, stop_ids=stop)[0] == outs[0][:3]


def test_bad_calls(tiny):
    with pytest.raises(UsageError, match="BOS"):
        tiny.next_logprobs([[]])
    with pytest.raises(UsageError, match="outside"):
        tiny.next_logprobs([[tiny.vocab_size + 5]])
    with pytest.raises(InputError, match="context"):
        tiny.next_logprobs([[tiny.bos_id] * 5000])


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_model(str(tmp_path / "nope.gguf"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="config.json"):
        load_model(str(tmp_path / "empty"))
    (tmp_path / "x.bin").write_bytes(b"junk")
    with pytest.raises(InputError, match="folder or a .gguf"):
        load_model(str(tmp_path / "x.bin"))
    with pytest.raises(UsageError, match="device"):
        load_model("tiny:gpt2", device="tpu")


def test_local_folder_roundtrip(tmp_path):
    tok = load_tokenizer("smollm2")
    lm = tiny_random_model(tok, seed=3)
    folder = tmp_path / "model"
    lm.model.save_pretrained(str(folder))
    (folder / "tokenizer.json").write_text(tok.hf_json(), encoding="utf-8")
    again = load_model(str(folder))
    assert again.tokenizer.sha256 and again.vocab_size == lm.vocab_size
    ids = [lm.bos_id, *tok.encode("def f(x):")]
    assert np.allclose(again.next_logprobs([ids]), lm.next_logprobs([ids]), atol=1e-9)


def test_import_without_torch_is_one_clear_error():
    code = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None
        from tokforensics.errors import InputError
        try:
            import tokforensics.lm
        except ImportError as exc:  # also an InputError: pytest.importorskip skips, the CLI prints one line
            print("InputError" if isinstance(exc, InputError) else "other", exc)
        from tokforensics.cli.app import main
        main(["bytes", "next", "--model", "tiny:gpt2", "hello"])
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stdout.startswith("InputError") and "pip install 'tokforensics[lm]' torch==2.13.0" in r.stdout
    assert "Traceback" not in r.stderr and "torch==2.13.0" in r.stderr


@pytest.mark.slow
def test_smollm2_default_model():
    lm = load_model()
    assert lm.name == "smollm2" and lm.vocab_size == 49152 and lm.tokenizer.vocab_size == 49152
    tok = lm.tokenizer
    ids = [lm.bos_id, *tok.encode("The capital of France is")]
    row = lm.next_logprobs([ids])[0]
    assert np.exp(row[tok.encode(" Paris")[0]]) > 0.5
    assert np.allclose(row, _plain(lm, ids)[-1], atol=1e-4)
    assert tok.decode(lm.greedy([ids], 3)[0]).startswith(" Paris")
