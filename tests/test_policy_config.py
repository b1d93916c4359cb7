"""The policy parser: what it accepts, and clear one-line errors (with the line) for what it rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokforensics.errors import InputError
from tokforensics.policy.config import find_policy, load_policy, parse_policy

GOOD = """\
tokenizer = "gpt2"
golden = "golden.json"
texts = ["mine.txt"]

[rules.golden]
max_changed = 1

[rules.round_trip]
corpus = "probes"

[rules.premium]
reference = "eng"
max = { deu = 1.6, tur = 2.0 }

[rules.fertility]
max = { eng = 1.4 }

[rules.lexicon]
tur = { min_lang = 40, min_pure = 30.5 }

[rules.reachability]
max_unreachable = 0

[rules.number_scheme]
require = "R2L-3"

[rules.special_tokens]
require = { "<|endoftext|>" = 50256 }
"""


def parse(text: str, name: str = "tokforensics.toml", pyproject: bool = False):
    return parse_policy(text, Path("/proj") / name, pyproject=pyproject)


def error(text: str, pyproject: bool = False) -> str:
    with pytest.raises(InputError) as exc:
        parse(text, "pyproject.toml" if pyproject else "tokforensics.toml", pyproject)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_good_policy_parses_with_defaults():
    p = parse(GOOD)
    assert p.tokenizer == "gpt2"
    assert p.golden == Path("/proj/golden.json")
    assert p.texts == (Path("/proj/mine.txt"),)
    rules = {r.kind: r for r in p.rules}
    assert list(rules) == ["golden", "round_trip", "premium", "fertility", "lexicon", "reachability",
                           "number_scheme", "special_tokens"]
    assert rules["golden"].params == {"file": None, "max_changed": 1, "show": 5, "allow_other_tokenizer": False}
    assert rules["round_trip"].params == {"corpus": "probes", "max_lossy": 0}
    assert rules["premium"].params == {"reference": "eng", "corpus": "udhr", "max": {"deu": 1.6, "tur": 2.0}}
    assert rules["lexicon"].params["langs"]["tur"] == {"min_lang": 40, "min_pure": 30.5, "corpus": None}
    assert rules["reachability"].params == {"max_unreachable": 0, "max_undecodable": None}
    assert rules["special_tokens"].params["require"] == {"<|endoftext|>": 50256}
    assert rules["premium"].line == 11
    assert rules["premium"].line_of("max.tur") == 13 and rules["premium"].line_of("reference") == 12
    assert rules["special_tokens"].line_of("require.<|endoftext|>") == 28
    assert rules["lexicon"].line_of("tur") == 19 and rules["golden"].line_of("nothing") == 5


def test_pyproject_table():
    text = "[project]\nname = 'x'\n\n[tool.tokforensics]\ntokenizer = 'gpt4'\n[tool.tokforensics.rules.golden]\n"
    p = parse(text, "pyproject.toml", pyproject=True)
    assert p.tokenizer == "gpt4" and p.rules[0].kind == "golden"
    msg = error("[tool.tokforensics]\ntokenizer = 'gpt4'\n[tool.tokforensics.rules.golen]\n", pyproject=True)
    assert "pyproject.toml:3:" in msg and "unknown rule 'golen'" in msg and "did you mean 'golden'" in msg


@pytest.mark.parametrize("text, line, needles", [
    ('tokenizer = "gpt2"\n[rules.premum]\nmax = {deu = 1}\n', 2, ["unknown rule 'premum'", "did you mean 'premium'"]),
    ('tokenizer = "gpt2"\n\n[rules.premium]\nmax = { deu = -1.5 }\n', 4, ["rules.premium.max.deu", "-1.5", "> 0"]),
    ('tokenizer = "gpt2"\n[rules.premium]\nmax = { deu = "high" }\n', 3, ["rules.premium.max.deu", "> 0"]),
    ('tokenizer = "gpt2"\n[rules.premium]\nreference = "eng"\n', 2, ["needs 'max'"]),
    ('tokenizer = "gpt2"\n[rules.premium]\nmax = {}\n', 3, ["non-empty table"]),
    ('tokenizer = "gpt2"\n[rules.fertility]\nmax = { eng = 1.2 }\nmaximum = 3\n', 4, ["unknown key 'maximum'"]),
    ('tokenizer = "gpt2"\n[rules.lexicon]\ntur = { min_lang = 140 }\n', 3, ["min_lang", "between 0 and 100"]),
    ('tokenizer = "gpt2"\n[rules.lexicon]\ntur = { corpus = "x.txt" }\n', 3, ["sets no threshold"]),
    ('tokenizer = "gpt2"\n[rules.lexicon]\ntur = 40\n', 3, ["must be a table"]),
    ('tokenizer = "gpt2"\n[rules.reachability]\nmax_unreachable = -1\n', 3, ["max_unreachable", ">= 0"]),
    ('tokenizer = "gpt2"\n[rules.reachability]\nmax_unreachable = 1.5\n', 3, ["whole number"]),
    ('tokenizer = "gpt2"\n[rules.reachability]\n', 2, ["sets no threshold"]),
    ('tokenizer = "gpt2"\n[rules.round_trip]\nmax_lossy = true\n', 3, ["whole number"]),
    ('tokenizer = "gpt2"\n[rules.number_scheme]\nrequire = "three digits"\n', 3, ["'L2R-k'"]),
    ('tokenizer = "gpt2"\n[rules.number_scheme]\nrequire = "R2L-0"\n', 3, ["R2L-0"]),
    ('tokenizer = "gpt2"\n[rules.special_tokens]\nrequire = { "<s>" = -2 }\n', 3, ['"<s>"', ">= 0"]),
    ('tokenizer = "gpt2"\n[rules.golden]\nallow_other_tokenizer = "yes"\n', 3, ["true or false"]),
    ('tokenizer = "gpt2"\n[rules.golden]\nshow = 2.5\n', 3, ["whole number"]),
    ('tokenizer = "gpt2"\n[rules]\ngolden = 1\n', 3, ["must be a table"]),
    ('tokenizer = "gpt2"\ntexts = "a.txt"\n[rules.golden]\n', 2, ["list of file paths"]),
    ('tokeniser = "gpt2"\n[rules.golden]\n', 1, ["unknown key 'tokeniser'", "did you mean 'tokenizer'"]),
    ('tokenizer = ""\n[rules.golden]\n', 1, ["must name a tokenizer"]),
    ('tokenizer = "gpt2"\n', None, ["no rules"]),
    ('[rules.golden]\n', None, ["must name a tokenizer"]),
    ('tokenizer = "gpt2"\n[rules.golden\n', 2, ["invalid TOML"]),
    ('tokenizer = "gpt2"\nx = = 1\n', 2, ["invalid TOML"]),
])
def test_rejected_with_line(text, line, needles):
    msg = error(text)
    if line is not None:
        assert msg.startswith(f"/proj/tokforensics.toml:{line}:"), msg
    for n in needles:
        assert n in msg, (n, msg)


def test_discovery_prefers_policy_file_and_walks_up(tmp_path):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    with pytest.raises(InputError, match="no policy found"):
        find_policy(sub)
    (tmp_path / "pyproject.toml").write_text("[tool.tokforensics]\ntokenizer='gpt2'\n[tool.tokforensics.rules.golden]\n")
    assert find_policy(sub) == (tmp_path / "pyproject.toml", "pyproject")
    (tmp_path / "a" / "tokforensics.toml").write_text("tokenizer='gpt4'\n[rules.golden]\n")
    assert find_policy(sub) == (tmp_path / "a" / "tokforensics.toml", "toml")
    assert load_policy(sub).tokenizer == "gpt4"


def test_config_errors(tmp_path):
    with pytest.raises(InputError, match="no such policy file"):
        load_policy(tmp_path, tmp_path / "missing.toml")
    with pytest.raises(InputError, match="is a directory"):
        load_policy(tmp_path, tmp_path)
    bad = tmp_path / "p.toml"
    bad.write_bytes(b"tokenizer = '\xff'\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_policy(tmp_path, bad)


def test_paths_are_relative_to_the_policy(tmp_path):
    (tmp_path / "tok.json").write_text("{}")
    (tmp_path / "corpus").mkdir()
    p = parse_policy('tokenizer = "tok.json"\n[rules.golden]\n[rules.round_trip]\ncorpus = "corpus"\n'
                     '[rules.lexicon]\ntur = { min_lang = 1, corpus = "corpus" }\n[rules.fertility]\n'
                     'max = { eng = 2 }\n', tmp_path / "tokforensics.toml")
    assert p.tokenizer == str((tmp_path / "tok.json").resolve())
    rules = {r.kind: r for r in p.rules}
    assert rules["round_trip"].params["corpus"] == str((tmp_path / "corpus").resolve())
    assert rules["lexicon"].params["langs"]["tur"]["corpus"] == str((tmp_path / "corpus").resolve())
    assert rules["fertility"].params["corpus"] == "udhr"
