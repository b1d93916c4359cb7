"""The Python front door (docs/python.md): `import tokforensics as tf` and the notebook example runs."""

from __future__ import annotations

import subprocess
import sys

import tokforensics as tf


def test_import_is_light():
    code = "import sys, tokforensics as tf; print(sorted(m for m in ('numpy', 'typer', 'rich', 'tokenizers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
    assert {"load_tokenizer", "infer_mixture", "run_metrics", "compare", "probe_numbers", "write_report"} <= set(dir(tf))


def test_the_example_runs():
    tok = tf.load_tokenizer("gpt4o")
    assert tok.encode("Hello world") == [13225, 2375]
    # the default call is `tf.infer_mixture(tok)` (the CLI's defaults, minutes on gpt4o); here a small problem
    settings = tf.default_mixture_settings(merges=300, bytes_per_category=20_000, min_category_bytes=0)
    res = tf.infer_mixture(tok, settings=settings)
    assert res.merges_used == 300 and abs(sum(c.share for c in res.categories) - 1) < 1e-6
    assert tf.default_mixture_settings().max_rounds is tf.api.DEFAULT_LP_ROUNDS is None  # exact by default
    from tokforensics.cli.mixture import DEFAULT_ROUNDS

    assert DEFAULT_ROUNDS == (tf.api.DEFAULT_LP_ROUNDS or 0)  # one default for the CLI and the front door


def test_other_entry_points():
    p = tf.probe_numbers("gpt4o", samples=10, max_digits=6)
    assert p.scheme == "l2r" and p.chunk == 3
    res = tf.compare(["gpt2"], "tr,en", n_boot=20)
    assert res.premium["gpt2"]["tr"] > 2 and res.codes["tr"] == "tur"
    assert isinstance(tf.TokenizerRef("a", "a", "0" * 64, "x"), tf.TokenizerRef)
