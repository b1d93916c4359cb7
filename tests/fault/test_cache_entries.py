"""Corrupt cache entries: each is noticed on read, discarded with a one-line note, rebuilt, and the result
is the one a clean cache gives. A second run is quiet (the entry was rewritten valid)."""

from __future__ import annotations

import os
import random

import pytest

from ..cli_helpers import run_tok
from .harness import TRACEBACK

MIX = pytest.mark.mixture  # cases of the mixture commands


def _truncate(p):
    data = p.read_bytes()
    p.write_bytes(data[: max(1, len(data) // 3)])


def _random_bytes(p):
    p.write_bytes(random.Random(p.name).randbytes(max(64, min(4096, p.stat().st_size))))


def _empty(p):
    p.write_bytes(b"")


def _wrong_json(p):
    p.write_bytes(b'["a list, not an object"]')


DAMAGE = {"truncated": _truncate, "random": _random_bytes, "empty": _empty, "wrong_json": _wrong_json}


def _corrupt(cache, pattern: str, how: str) -> list:
    hits = sorted(p for p in cache.glob(pattern) if p.is_file()
                  and not (pattern == "tokenizers/*.json" and p.name.endswith(".meta.json")))
    for p in hits:
        DAMAGE[how](p)
    return hits


def _new_process() -> None:
    """Forget what this process memoised from the cache, as a new `tok` process would."""
    from tokforensics.metrics import chars

    chars.tables.cache_clear()


def _strip_volatile(out: str) -> str:
    import json

    try:
        doc = json.loads(out)
    except ValueError:
        return out
    if isinstance(doc, dict):
        doc.pop("provenance", None)
    return json.dumps(doc, sort_keys=True)


ENTRIES = [
    # (entry glob, damage, command that reads it)
    ("tokenizers/*.meta.json", "random", ("--json", "encode", "gpt2", "hello world")),
    ("tokenizers/*.meta.json", "truncated", ("--json", "encode", "gpt2", "hello world")),
    ("tokenizers/*.meta.json", "wrong_json", ("--json", "encode", "gpt2", "hello world")),
    ("tokenizers/*.ranks.pkl", "truncated", ("--json", "encode", "gpt2", "hello world")),
    ("tokenizers/*.ranks.pkl", "random", ("--json", "encode", "gpt4o", "hello world")),
    ("tokenizers/*.meta.json", "random", ("--json", "encode", "mistral", "hello world")),
    ("tokenizers/*.json", "truncated", ("--json", "encode", "smollm2", "hello world")),
    ("tokenizers/*.json", "empty", ("--json", "export", "gpt2", "-o", "{tmp}/t.json")),
    ("unicode/*.npz", "truncated", ("--json", "metrics", "gpt2", "--corpus", "{corpus}")),
    ("unicode/*.npz", "random", ("--json", "metrics", "gpt2", "--corpus", "{corpus}")),
    ("metrics/*.json", "random", ("--json", "metrics", "gpt2", "--corpus", "{corpus}")),
    ("metrics/*.json", "wrong_json", ("--json", "metrics", "gpt2", "--corpus", "{corpus}")),
    ("summaries/*.json", "random", ("--json", "inspect", "gpt2")),
    ("summaries/*.json", "wrong_json", ("--json", "inspect", "gpt2")),
]


@pytest.mark.parametrize("pattern,how,args", ENTRIES, ids=lambda v: v if isinstance(v, str) else " ".join(v[1:3]))
def test_damaged_entry_is_rebuilt(pattern, how, args, fresh_cache, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The quick brown fox jumps over the lazy dog.\nİstanbul'da güzel bir gün.\n")
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{corpus}", str(corpus)) for a in args]
    _new_process()
    first = run_tok(*argv)
    assert first.code == 0, first.err
    damaged = _corrupt(fresh_cache, pattern, how)
    assert damaged, f"no {pattern} entry was written"
    _new_process()
    second = run_tok(*argv)
    assert second.code == 0, second.err[-3000:]
    assert TRACEBACK not in second.err
    assert "damaged cache entry" in second.err and len([ln for ln in second.err.splitlines() if ln.strip()]) >= 1
    assert _strip_volatile(second.out) == _strip_volatile(first.out)
    _new_process()
    third = run_tok(*argv)
    assert third.code == 0 and "damaged" not in third.err, third.err
    assert _strip_volatile(third.out) == _strip_volatile(first.out)


def test_stray_pickle_is_never_loaded(fresh_cache):
    """A ranks file swapped for another pickle (same length or not) fails the checksum before unpickling."""
    import pickle

    assert run_tok("encode", "gpt2", "x").code == 0
    (ranks,) = fresh_cache.glob("tokenizers/*.ranks.pkl")

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(fresh_cache / "PWNED"),))

    ranks.write_bytes(pickle.dumps(Boom()))
    run = run_tok("encode", "gpt2", "x")
    assert run.code == 0 and "damaged cache entry" in run.err
    assert not (fresh_cache / "PWNED").exists()


@MIX
@pytest.mark.parametrize("pattern,how", [("mixture/*.npz", "truncated"), ("mixture/*.npz", "random"),
                                         ("mixture/*.result.json", "random"), ("merges/*.npy", "truncated")])
def test_damaged_mixture_entry_is_rebuilt(pattern, how, fresh_cache, cats):
    args = ("--json", "infer-mixture", "gpt2", "--categories", str(cats), "--merges", "200")
    first = run_tok(*args)
    assert first.code == 0, first.err
    assert _corrupt(fresh_cache, pattern, how)
    if not pattern.endswith("result.json"):  # a valid result entry would be served without reading the others
        for p in fresh_cache.glob("mixture/*.result.json"):
            p.unlink()
    second = run_tok(*args)
    assert second.code == 0 and TRACEBACK not in second.err, second.err[-3000:]
    assert "damaged cache entry" in second.err


@pytest.mark.parametrize("args", [("metrics", "gpt2", "--corpus", "{corpus}"),
                                  ("metrics", "gpt2", "mistral", "--lang", "tr", "--corpus", "{corpus}")],
                         ids=["en", "tr-two-tokenizers"])
def test_metrics_json_is_identical_cold_and_warm(args, fresh_cache, tmp_path):
    """Only `provenance` may differ between a cold and a warm cache: the rest is byte-identical."""
    import json

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Bugün hava çok güzel.\nThe quick brown fox jumps over the lazy dog.\n")
    argv = ["--json", *(a.replace("{corpus}", str(corpus)) for a in args)]
    _new_process()
    cold = run_tok(*argv)
    warm = run_tok(*argv)
    assert cold.code == 0 and warm.code == 0, cold.err + warm.err
    a, b = json.loads(cold.out), json.loads(warm.out)
    assert a["provenance"]["tokenizers"]["gpt2"]["vocab_cached"] is False
    assert b["provenance"]["tokenizers"]["gpt2"]["vocab_cached"] is True
    a.pop("provenance")
    b.pop("provenance")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
