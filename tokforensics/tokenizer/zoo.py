"""The named tokenizers that work offline: where each file comes from and how it is read.

Permissively licensed files ship gzip-compressed in data/tokenizers/ (see its MANIFEST.json). Files under
a custom licence (Llama, Gemma) are never redistributed: they are read from an installed pip package or
from a path the user gives through an environment variable.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import InputError, closest


@dataclass(frozen=True)
class ZooEntry:
    name: str
    family: str
    algorithm: str
    format: str  # tiktoken | hf_json | sentencepiece | tekken | gguf
    description: str
    licence: str
    aliases: tuple[str, ...] = ()
    shipped: str | None = None  # file name under data/tokenizers/ (gzip)
    package: str | None = None  # pip distribution that carries the file
    package_path: str | None = None  # path of the file inside the installed package
    env_var: str | None = None  # user-supplied path
    options: dict = field(default_factory=dict)  # pattern/specials/normalizer hints for the loader
    install_hint: str = ""


ENTRIES: tuple[ZooEntry, ...] = (
    ZooEntry("gpt2", "OpenAI", "bpe", "tiktoken", "GPT-2 / GPT-3 (r50k_base)", "MIT", ("r50k", "r50k_base", "gpt-3"),
             shipped="r50k_base.tiktoken.gz", options={"preset": "r50k_base"}),
    ZooEntry("p50k", "OpenAI", "bpe", "tiktoken", "Codex / text-davinci-002/003 (p50k_base)", "MIT", ("p50k_base",),
             shipped="p50k_base.tiktoken.gz", options={"preset": "p50k_base"}),
    ZooEntry("gpt4", "OpenAI", "bpe", "tiktoken", "GPT-4 / GPT-3.5-turbo (cl100k_base)", "MIT",
             ("gpt-3.5", "gpt-4", "cl100k", "cl100k_base", "gpt35"), shipped="cl100k_base.tiktoken.gz",
             options={"preset": "cl100k_base"}),
    ZooEntry("gpt4o", "OpenAI", "bpe", "tiktoken", "GPT-4o / o1 / o3 (o200k_base)", "MIT",
             ("gpt-4o", "o200k", "o200k_base"), shipped="o200k_base.tiktoken.gz", options={"preset": "o200k_base"}),
    ZooEntry("claude-legacy", "Anthropic", "bpe", "hf_json", "Claude 1/2 public tokenizer (pre-Claude-3)", "MIT",
             ("claude", "claude2", "claude-2"), shipped="claude-legacy.tokenizer.json.gz"),
    ZooEntry("llama3", "Meta", "bpe", "tiktoken", "Llama 3 / 3.1 / 3.2 / 3.3", "LicenseRef-Llama3-Community",
             ("llama-3", "llama3.1", "llama-3.1"), package="llama-models", package_path="llama_models/llama3/tokenizer.model",
             env_var="TOK_LLAMA3_PATH", options={"preset": "llama3"},
             install_hint="pip install llama-models==0.3.0 (Meta's Llama 3 Community Licence), or set TOK_LLAMA3_PATH"),
    ZooEntry("llama4", "Meta", "bpe", "tiktoken", "Llama 4", "LicenseRef-Llama4-Community", ("llama-4",),
             package="llama-models", package_path="llama_models/llama4/tokenizer.model", env_var="TOK_LLAMA4_PATH",
             options={"preset": "llama4"},
             install_hint="pip install llama-models==0.3.0 (Meta's Llama 4 Community Licence), or set TOK_LLAMA4_PATH"),
    ZooEntry("llama2", "Meta", "bpe", "sentencepiece", "Llama 1 / Llama 2 (SentencePiece BPE, 32k)",
             "LicenseRef-Llama2-Community", ("llama-2", "llama"), env_var="TOK_LLAMA2_PATH",
             install_hint="set TOK_LLAMA2_PATH=/path/to/llama-2/tokenizer.model (Meta's licence forbids shipping it)"),
    ZooEntry("mistral", "Mistral", "bpe", "sentencepiece", "Mistral 7B v0.1 (SentencePiece BPE, byte fallback)",
             "Apache-2.0", ("mistral-v1", "mistral-7b"), shipped="mistral-v1.tokenizer.model.gz"),
    ZooEntry("mistral-v3", "Mistral", "bpe", "sentencepiece", "Mistral 7B v0.3 / Mixtral 8x22B (32,768)", "Apache-2.0",
             ("mixtral",), shipped="mistral-v3.tokenizer.model.gz"),
    ZooEntry("mistral-nemo", "Mistral", "bpe", "tekken", "Mistral NeMo / Tekken 240718 (131,072)", "Apache-2.0",
             ("tekken", "nemo"), shipped="tekken_240718.json.gz"),
    ZooEntry("qwen2.5", "Alibaba", "bpe", "tiktoken", "Qwen2 / Qwen2.5 (151,643 + 22 special)", "MIT",
             ("qwen", "qwen2", "qwen-2.5"), shipped="qwen2.tiktoken.gz", options={"preset": "qwen2"}),
    ZooEntry("deepseek-v3", "DeepSeek", "bpe", "hf_json", "DeepSeek-V3 / R1 (128,000)", "MIT",
             ("deepseek", "deepseek-r1"), shipped="deepseek-v3.tokenizer.json.gz"),
    ZooEntry("smollm2", "Hugging Face", "bpe", "hf_json", "SmolLM2 135M/360M/1.7B (49,152)", "Apache-2.0",
             ("smollm",), shipped="smollm2.tokenizer.json.gz"),
    ZooEntry("gemma", "Google", "bpe", "sentencepiece", "Gemma 1 / 2 (256,000)", "LicenseRef-Gemma-Terms",
             ("gemma2", "gemma-2"), env_var="TOK_GEMMA_PATH",
             install_hint="set TOK_GEMMA_PATH=/path/to/gemma/tokenizer.model or tokenizer.json (Gemma terms forbid shipping it)"),
    ZooEntry("gemma3", "Google", "bpe", "sentencepiece", "Gemma 3 (262,144)", "LicenseRef-Gemma-Terms", ("gemma-3",),
             env_var="TOK_GEMMA3_PATH",
             install_hint="set TOK_GEMMA3_PATH=/path/to/gemma-3/tokenizer.model or tokenizer.json (Gemma terms forbid shipping it)"),
)


@cache
def _index() -> dict[str, ZooEntry]:
    out: dict[str, ZooEntry] = {}
    for e in ENTRIES:
        for n in (e.name, *e.aliases):
            out[n.lower()] = e
    return out


def names() -> list[str]:
    return [e.name for e in ENTRIES]


def lookup(name: str) -> ZooEntry | None:
    return _index().get(name.strip().lower())


def suggest(name: str, n: int = 3) -> list[str]:
    close = closest(name, _index().keys(), n=n * 2)  # aliases too; each names its entry once below
    seen: list[str] = []
    for k in close:
        canon = _index()[k].name
        if canon not in seen:
            seen.append(canon)
    return seen[:n]


def unknown_name_error(name: str) -> InputError:
    close = suggest(name)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return InputError(
        f"unknown tokenizer '{name}' (not a zoo name and no such file).{hint} "
        f"Run `tok tokenizers` for the list, or pass a path to a tokenizer file."
    )


def data_dir() -> Path:
    return Path(str(resources.files("tokforensics.data")))


@cache
def manifest() -> dict[str, dict]:
    rows = json.loads((data_dir() / "tokenizers" / "MANIFEST.json").read_text("utf-8"))
    return {r["path"].split("/")[-1]: r for r in rows}


def locate(entry: ZooEntry) -> Path | None:
    """The file that backs a zoo entry, or None when it is not available on this machine."""
    if entry.env_var and os.environ.get(entry.env_var):
        p = Path(os.environ[entry.env_var]).expanduser()
        return p if p.exists() else None
    if entry.shipped:
        p = data_dir() / "tokenizers" / entry.shipped
        return p if p.exists() else None
    if entry.package and entry.package_path:
        top = entry.package_path.split("/")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec and spec.submodule_search_locations:
            root = Path(next(iter(spec.submodule_search_locations))).parent
            p = root / entry.package_path
            return p if p.exists() else None
    return None


def available() -> tuple[list[str], dict[str, str]]:
    """Zoo names whose files are on this machine, and for each other one what makes it available."""
    ok, missing = [], {}
    for e in ENTRIES:
        if locate(e) is not None:
            ok.append(e.name)
        else:
            missing[e.name] = e.install_hint or "not available on this machine"
    return ok, missing


def source_of(entry: ZooEntry) -> str:
    if entry.env_var and os.environ.get(entry.env_var):
        return f"${entry.env_var}"
    if entry.shipped:
        row = manifest().get(entry.shipped, {})
        return f"{row.get('source_package', '?')}=={row.get('version', '?')}"
    if entry.package:
        return f"pip {entry.package}"
    return "user path"
