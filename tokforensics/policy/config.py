"""The policy file: where it is found, what it may say, and errors that point at the offending line.

A policy lives in `tokforensics.toml` (top level), in `pyproject.toml` under `[tool.tokforensics]`, or in
any file given with `--config`. It names one tokenizer and a set of rules; see docs/ci.md for every key.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..corpus.textio import read_user_text
from ..errors import InputError

POLICY_FILE = "tokforensics.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_GOLDEN = "tokforensics.golden.json"

# Number schemes the arithmetic probe reports: single-digit, L2R-k / R2L-k (chunks of k digits from the
# left / right), free BPE (learned merges, no fixed chunking).
SCHEME_RE = re.compile(r"^(single-digit|free BPE|(L2R|R2L)-[1-9][0-9]*)$")


@dataclass(frozen=True)
class Rule:
    """One rule table of the policy, checked and normalised."""

    kind: str  # round_trip | premium | fertility | lexicon | reachability | number_scheme | special_tokens | golden
    params: dict[str, Any]
    line: int | None = None  # line of its table in the policy file
    lines: dict[str, int] = field(default_factory=dict)  # "max.deu", "require", "tur.min_lang" -> line

    def line_of(self, key: str) -> int | None:
        """The line that sets `key` (dotted, below the rule's table), else the rule's own line."""
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class Policy:
    path: Path  # the file it came from
    tokenizer: str  # zoo name or a path (made absolute if it names a file next to the policy)
    golden: Path
    texts: tuple[Path, ...] = ()  # the team's own probe texts (added to the shipped probe set)
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def root(self) -> Path:
        return self.path.parent


# ---------------------------------------------------------------------------------------------- schema
# For each rule: key -> (type check, message, default). `...` marks a required key.
def _nonneg_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _pos_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def _percent(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100


def _str(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _scheme(v: Any) -> bool:
    return isinstance(v, str) and bool(SCHEME_RE.match(v))


INT0 = (_nonneg_int, "must be a whole number >= 0")
POS = (_pos_number, "must be a number > 0")
PCT = (_percent, "must be a percentage between 0 and 100")
STR = (_str, "must be a non-empty string")
BOOL = (_bool, "must be true or false")

RULES: dict[str, dict[str, tuple]] = {
    "round_trip": {"corpus": (*STR, "probes"), "max_lossy": (*INT0, 0)},
    "premium": {"reference": (*STR, "eng"), "corpus": (*STR, "udhr"), "max": ("lang_table", POS, ...)},
    "fertility": {"corpus": (*STR, "udhr"), "max": ("lang_table", POS, ...)},
    "lexicon": {"*lang": {"min_lang": (*PCT, None), "min_pure": (*PCT, None), "corpus": (*STR, None)}},
    "reachability": {"max_unreachable": (*INT0, None), "max_undecodable": (*INT0, None)},
    "number_scheme": {"require": (_scheme, "must be 'single-digit', 'L2R-k', 'R2L-k' (k = 1, 2, 3, ...) "
                                           "or 'free BPE'", ...)},
    "special_tokens": {"require": ("token_table", INT0, ...)},
    "golden": {"file": (*STR, None), "max_changed": (*INT0, 0), "show": (*INT0, 5),
               "allow_other_tokenizer": (*BOOL, False)},
}

TOP_KEYS = ("tokenizer", "golden", "texts", "rules")

RULE_HELP = {
    "round_trip": "decode(encode(text)) must give the text back",
    "premium": "token count of a language relative to the reference language on a parallel corpus",
    "fertility": "tokens per word (per character for scripts without spaces)",
    "lexicon": "%LANG / %Pure: share of distinct tokens that are words or morphemes of the language",
    "reachability": "vocabulary tokens that encoding can never produce, or that do not decode to valid UTF-8",
    "number_scheme": "how digits are chunked",
    "special_tokens": "special tokens that must exist with given ids",
    "golden": "token ids of the probe set must match the committed golden file",
}


# ---------------------------------------------------------------------------------------------- discovery
def find_policy(start: Path, config: Path | None = None) -> tuple[Path, str]:
    """(file, 'toml' | 'pyproject') for --config, or the nearest tokforensics.toml / pyproject.toml upwards."""
    if config is not None:
        if not config.exists():
            raise InputError(f"{config}: no such policy file; check the path, or write one with `tok check TOKENIZER --init`")
        if config.is_dir():
            raise InputError(f"{config} is a directory; give the policy file (tokforensics.toml or pyproject.toml)")
        return config, ("pyproject" if config.name == PYPROJECT else "toml")
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / POLICY_FILE).is_file():
            return d / POLICY_FILE, "toml"
        pp = d / PYPROJECT
        if pp.is_file() and _has_tool_table(pp):
            return pp, "pyproject"
        if (d / ".git").exists():
            break
    raise InputError(
        f"no policy found: no {POLICY_FILE}, nor a tool.tokforensics table in {PYPROJECT}, in {start} or above; "
        f"write one with `tok check --init --tokenizer NAME` or pass --config FILE")


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*tokforensics\s*[\].]", text, re.M) is not None


def load_policy(start: Path | None = None, config: Path | None = None) -> Policy:
    path, kind = find_policy(start or Path.cwd(), config)
    text = read_user_text(path, "policy", decompress=True, not_utf8="{path}: not UTF-8 text")
    return parse_policy(text, path, pyproject=(kind == "pyproject"))


def parse_policy(text: str, path: Path, pyproject: bool = False) -> Policy:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"{path}:{m.group(1)}:{m.group(2)}" if m else str(path)
        what = re.sub(r" *\(at line.*", "", msg)
        raise InputError(f"{where}: invalid TOML: {what}; fix that line") from None
    prefix: tuple[str, ...] = ()
    if pyproject:
        prefix = ("tool", "tokforensics")
        doc = doc.get("tool", {}).get("tokforensics")
        if not isinstance(doc, dict):
            raise InputError(f"{path}: no tool.tokforensics table")
    return _Parser(text, path, prefix).policy(doc)


class _Parser:
    def __init__(self, text: str, path: Path, prefix: tuple[str, ...]):
        self.loc = _Locator(text)
        self.path = path
        self.prefix = prefix

    def fail(self, keys: tuple[str, ...], msg: str) -> InputError:
        line = self.loc.line_of(self.prefix + keys)
        where = f"{self.path}:{line}" if line else str(self.path)
        return InputError(f"{where}: {msg}")

    def name(self, keys: tuple[str, ...]) -> str:
        return ".".join(quote_key(k) for k in self.prefix + keys)

    def policy(self, doc: dict) -> Policy:
        for key in doc:
            if key not in TOP_KEYS:
                raise self.fail((key,), f"unknown key '{self.name((key,))}'{_suggest(key, TOP_KEYS)}; "
                                        f"known keys: {', '.join(TOP_KEYS)}")
        tok = doc.get("tokenizer")
        if not _str(tok):
            raise self.fail(("tokenizer",) if "tokenizer" in doc else (),
                            f"'{self.name(('tokenizer',))}' must name a tokenizer (a zoo name such as \"gpt4\", "
                            "or a path to a tokenizer file)")
        root = self.path.parent
        tok_path = root / tok
        tokenizer = str(tok_path.resolve()) if tok_path.exists() else tok
        golden = doc.get("golden", DEFAULT_GOLDEN)
        if not _str(golden):
            raise self.fail(("golden",), f"'{self.name(('golden',))}' must be a file path")
        texts = doc.get("texts", [])
        if not isinstance(texts, list) or not all(_str(t) for t in texts):
            raise self.fail(("texts",), f"'{self.name(('texts',))}' must be a list of file paths "
                                        "(.txt: one text per line; .jsonl: objects with a \"text\" field)")
        rules_doc = doc.get("rules", {})
        if not isinstance(rules_doc, dict):
            raise self.fail(("rules",), f"'{self.name(('rules',))}' must be a table of rule tables")
        rules = []
        for kind, body in rules_doc.items():
            rules.append(self.rule(kind, body))
        if not rules:
            raise self.fail(("rules",) if "rules" in doc else (),
                            f"the policy has no rules; add at least one {self.name(('rules',))}.NAME table "
                            f"(rules: {', '.join(RULES)})")
        rules = [_with_paths(r, root) for r in rules]
        golden_path = root / golden
        for r in rules:
            if r.kind == "golden" and r.params.get("file"):
                golden_path = root / r.params["file"]
        return Policy(path=self.path, tokenizer=tokenizer, golden=golden_path,
                      texts=tuple(root / t for t in texts), rules=tuple(rules))

    def rule(self, kind: str, body: Any) -> Rule:
        keys = ("rules", kind)
        if kind not in RULES:
            raise self.fail(keys, f"unknown rule '{kind}'{_suggest(kind, RULES)}; known rules: {', '.join(RULES)}")
        if not isinstance(body, dict):
            raise self.fail(keys, f"rule '{kind}' must be a table ({self.name(keys)})")
        schema = RULES[kind]
        line = self.loc.line_of(self.prefix + keys)
        if "*lang" in schema:  # lexicon: one sub-table per language
            if not body:
                raise self.fail(keys, f"rule '{kind}' needs one table per language, e.g. "
                                      f"a {self.name(keys)}.tur table with min_lang = 40")
            langs = {}
            for lang, sub in body.items():
                if not isinstance(sub, dict):
                    raise self.fail(keys + (lang,), f"'{self.name(keys + (lang,))}' must be a table "
                                                    "such as { min_lang = 40, min_pure = 30 }")
                langs[lang] = self.fields(keys + (lang,), sub, schema["*lang"])
                if langs[lang]["min_lang"] is None and langs[lang]["min_pure"] is None:
                    raise self.fail(keys + (lang,), f"'{self.name(keys + (lang,))}' sets no threshold; "
                                                    "give min_lang and/or min_pure (percent)")
            return Rule(kind, {"langs": langs}, line, self.key_lines(keys, body))
        params = self.fields(keys, body, schema)
        if kind == "reachability" and params["max_unreachable"] is None and params["max_undecodable"] is None:
            raise self.fail(keys, f"rule '{kind}' sets no threshold; give max_unreachable and/or max_undecodable")
        return Rule(kind, params, line, self.key_lines(keys, body))

    def key_lines(self, keys: tuple[str, ...], body: dict) -> dict[str, int]:
        """Lines of every key and sub-key the rule sets (for pointing a failed row at its threshold)."""
        out: dict[str, int] = {}
        for k, v in body.items():
            subs = [(k,)] + ([(k, s) for s in v] if isinstance(v, dict) else [])
            for sub in subs:
                n = self.loc.line_of(self.prefix + keys + sub)
                if n:
                    out[".".join(sub)] = n
        return out

    def fields(self, keys: tuple[str, ...], body: dict, schema: dict) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in body:
            if key not in schema:
                raise self.fail(keys + (key,), f"unknown key '{key}' in {self.name(keys)}"
                                               f"{_suggest(key, schema)}; known keys: {', '.join(schema)}")
        for key, spec in schema.items():
            if spec[0] == "lang_table" or spec[0] == "token_table":
                kind, (check, msg), default = spec
                if key not in body:
                    raise self.fail(keys, f"{self.name(keys)} needs '{key}', e.g. {key} = "
                                          + ('{ deu = 1.6, tur = 2.0 }' if kind == "lang_table"
                                             else '{ "<|endoftext|>" = 0 }'))
                table = body[key]
                if not isinstance(table, dict) or not table:
                    raise self.fail(keys + (key,), f"'{self.name(keys + (key,))}' must be a non-empty table of "
                                                   + ("language = limit" if kind == "lang_table" else "token = id"))
                for sub, v in table.items():
                    if not check(v):
                        raise self.fail(keys + (key, sub), f"'{self.name(keys + (key, sub))}' = {_show(v)}: "
                                                           f"the value {msg}")
                out[key] = dict(table)
                continue
            check, msg, default = spec
            if key not in body:
                if default is ...:
                    raise self.fail(keys, f"{self.name(keys)} needs '{key}'")
                out[key] = default
                continue
            v = body[key]
            if not check(v):
                raise self.fail(keys + (key,), f"'{self.name(keys + (key,))}' = {_show(v)}: {msg}")
            out[key] = v
        return out


def _with_paths(rule: Rule, root: Path) -> Rule:
    """A `corpus` that names a file or folder next to the policy becomes an absolute path."""
    def fix(params: dict) -> dict:
        c = params.get("corpus")
        if isinstance(c, str) and c not in ("probes",) and (root / c).exists():
            return {**params, "corpus": str((root / c).resolve())}
        return params

    if rule.kind == "lexicon":
        params = {"langs": {lang: fix(p) for lang, p in rule.params["langs"].items()}}
    else:
        params = fix(rule.params)
    return Rule(rule.kind, params, rule.line, rule.lines)


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def quote_key(k: str) -> str:
    """A TOML key: bare when it can be, else a quoted string."""
    return k if _BARE.match(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------------- locator
_KEY_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')


def _split_key(s: str) -> tuple[str, ...] | None:
    """Dotted TOML key -> parts (quotes removed); None if it is not a key."""
    parts, pos = [], 0
    while True:
        m = _KEY_PART.match(s, pos)
        if not m:
            return None
        raw = m.group(1)
        if raw is not None:
            try:
                parts.append(json.loads(f'"{raw}"'))
            except ValueError:
                parts.append(raw)
        else:
            parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        if pos == len(s):
            return tuple(parts)
        if s[pos] != ".":
            return None
        pos += 1


class _Locator:
    """Finds the line of a key path in TOML text (headers, dotted keys, inline tables one level deep)."""

    def __init__(self, text: str):
        self.entries: list[tuple[tuple[str, ...], int]] = []  # (full key path, 1-based line)
        table: tuple[str, ...] = ()
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                inner = line.lstrip("[").split("]")[0]
                parts = _split_key(inner)
                if parts is not None:
                    table = parts
                    self.entries.append((table, n))
                continue
            m = re.match(r'^((?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_.\s-])+?)\s*=(.*)$', line)
            if not m:
                continue
            key = _split_key(m.group(1))
            if key is None:
                continue
            self.entries.append((table + key, n))
            value = m.group(2).strip()
            if value.startswith("{"):
                for im in re.finditer(r'(?:^|[{,])\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*=', value):
                    sub = _split_key(im.group(1))
                    if sub:
                        self.entries.append((table + key + sub, n))

    def line_of(self, keys: tuple[str, ...]) -> int | None:
        best, best_len = None, -1
        for path, n in self.entries:
            k = len(path)
            if k <= len(keys) and keys[:k] == path and k > best_len:
                best, best_len = n, k
        return best if best_len > 0 else None
