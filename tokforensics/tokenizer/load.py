"""Load any tokenizer a user has, offline, into one representation: a `tokenizers` JSON plus metadata.

Every format is converted once into a Hugging Face `tokenizer.json` (the fast Rust path for encoding and
pretokenizing) and cached under the sha256 of the source bytes, so the second load is a cache read.
SentencePiece Unigram models have no BPE equivalent and are served by `sentencepiece` itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from .. import cache
from ..corpus.textio import read_input_bytes, require_regular, zstandard_module
from ..errors import InputError
from . import components, patterns, zoo
from .gguf import read_gguf_metadata
from .merges import hf_sentencepiece_merges, merges_from_ranks, merges_from_sentencepiece
from .spmodel import CONTROL, NORMAL, UNKNOWN, USER_DEFINED, SPModel, parse_sp_model

# 5: the metadata records the sha256 of the files it commits, checked on read
# 6: tokenizer.json written by `tokenizers` from typed components (special tokens also in the model vocab)
CONVERTER_VERSION = "6"


@dataclass(frozen=True)
class Source:
    """What the loader read: the bytes, where they came from, and what kind they are."""

    name: str
    origin: str  # zoo source or file path, for provenance
    format: str
    data: bytes
    sha256: str
    entry: zoo.ZooEntry | None = None
    pattern: str | None = None


def read_maybe_gzip(path: Path) -> bytes:
    """A tokenizer file's bytes, decompressed when its content is gzip, xz or zstandard (by content, not name: a
    plain file named .gz still loads, and a compressed one loads whatever it is called)."""
    raw = read_input_bytes(path, "tokenizer", missing="{path}: no such file; check the path or use a zoo name (`tok tokenizers`)",
                           folder="{path} is a directory; pass the tokenizer file inside it", gunzip="sniff")
    if raw[:6] == b"\xfd7zXZ\x00":
        import lzma

        try:
            return lzma.decompress(raw)
        except lzma.LZMAError as exc:
            raise InputError(f"{path}: the xz-compressed tokenizer file is damaged ({exc}); export it again") from None
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        zstd = zstandard_module()
        try:
            return zstd.ZstdDecompressor().decompressobj().decompress(raw)
        except zstd.ZstdError as exc:
            raise InputError(f"{path}: the zstandard-compressed tokenizer file is damaged ({exc}); "
                             "export it again") from None
    return raw


def sniff_format(data: bytes, path: Path) -> str:
    if data[:4] == b"GGUF":
        return "gguf"
    head = data[:4096].lstrip()
    if head[:1] == b"{":
        if b'"token_bytes"' in data[:200_000] and b'"config"' in data[:200_000]:
            return "tekken"
        return "hf_json"
    first = data.split(b"\n", 1)[0]
    if re.fullmatch(rb"[A-Za-z0-9+/=]+ \d+", first.strip()):
        return "tiktoken"
    if data[:1] == b"\n":  # protobuf field 1, length-delimited: a SentencePiece piece
        return "sentencepiece"
    if not data.strip():
        raise InputError(f"{path}: file is empty; pass a tokenizer.json, .model, .tiktoken or .gguf file")
    raise InputError(
        f"{path}: not a recognised tokenizer file (expected tokenizer.json, SentencePiece .model, "
        f"tiktoken ranks or GGUF)"
    )


def resolve(spec: str | Path, pattern: str | None = None) -> Source:
    """Turn a zoo name or a path into the source bytes, checking zoo files against their sha256."""
    text = str(spec)
    entry = zoo.lookup(text)
    path = Path(text).expanduser()
    if entry is not None and not (path.exists() and ("/" in text or path.suffix)):
        located = zoo.locate(entry)
        if located is None:
            raise InputError(f"tokenizer '{entry.name}' is not available here: {entry.install_hint or 'reinstall tokforensics'}")
        data = read_maybe_gzip(located)
        digest = cache.sha256_bytes(data)
        if entry.shipped:
            row = zoo.manifest().get(entry.shipped)
            if row is None or row.get("sha256_original") != digest:
                raise InputError(
                    f"tokenizer '{entry.name}': {located.name} does not match the sha256 in data/tokenizers/MANIFEST.json; "
                    f"the install is damaged, reinstall tokforensics"
                )
        fmt = entry.format if entry.format != "sentencepiece" or data[:1] == b"\n" else sniff_format(data, located)
        return Source(entry.name, zoo.source_of(entry), fmt, data, digest, entry, pattern)
    require_regular(path, "tokenizer")
    if not path.exists():
        if "/" in text or path.suffix in {".json", ".model", ".tiktoken", ".gguf", ".gz"}:
            raise InputError(f"{path}: no such file; check the path or use a zoo name (`tok tokenizers`)")
        raise zoo.unknown_name_error(text)
    if path.is_dir():
        path = _pick_in_folder(path)
    data = read_maybe_gzip(path)
    fmt = sniff_format(data, path)
    return Source(path.name, str(path), fmt, data, cache.sha256_bytes(data), None, pattern)


def source_path(spec: str | Path) -> Path | None:
    """The file `resolve(spec)` reads, found the same way but without reading it; None when there is none."""
    text = str(spec)
    entry = zoo.lookup(text)
    path = Path(text).expanduser()
    if entry is not None and not (path.exists() and ("/" in text or path.suffix)):
        return zoo.locate(entry)
    if path.is_dir():
        try:
            return _pick_in_folder(path)
        except InputError:
            return None
    return path if path.exists() else None


def _pick_in_folder(folder: Path) -> Path:
    for name in ("tokenizer.json", "tokenizer.model", "tekken.json"):
        if (folder / name).exists():
            return folder / name
    for pat in ("*.gguf", "*.tiktoken", "tekken*.json", "*.model"):
        found = sorted(folder.glob(pat))
        if found:
            return found[0]
    raise InputError(f"{folder}: no tokenizer.json, tokenizer.model, tekken.json, .tiktoken or .gguf file in this folder")


# ---------------------------------------------------------------- converters to tokenizer.json


def _byte_level_json(ranks: dict[bytes, int], pattern: str, specials: dict[str, int], *, nfc: bool,
                     id_offset: int = 0) -> tuple[str, dict]:
    merges, unreachable = merges_from_ranks(ranks)
    tok = components.byte_level_bpe(ranks, merges, pattern, specials, nfc=nfc, id_offset=id_offset)
    meta = {"merge_recovery": "all-splits (some tokens not reachable as a two-part merge)" if unreachable
            else "two-part BPE reconstruction from ranks", "unreachable_by_merges": len(unreachable)}
    return tok.to_str(), meta


# Real vocabularies have tokens of at most about a kilobyte; a longer "token" means the file is not a
# vocabulary, and each one costs time and memory in proportion to its length in the merge recovery.
MAX_TOKEN_BYTES = 1 << 14


def parse_tiktoken_ranks(data: bytes, origin: str) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    seen: dict[int, int] = {}  # rank -> line number
    number = 0
    try:
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            tok, rank_text = line.split()
            token = base64.b64decode(tok, validate=True)
            rank = int(rank_text)
            if len(token) > MAX_TOKEN_BYTES:
                raise InputError(f"{origin}:{number}: a token of {len(token):,} bytes (the longest allowed is "
                                 f"{MAX_TOKEN_BYTES:,}); this is not a tiktoken vocabulary")
            if rank < 0:
                raise InputError(f"{origin}:{number}: negative rank {rank}; ranks are token ids 0, 1, 2, ...")
            if rank in seen:
                raise InputError(f"{origin}:{number}: rank {rank} is given twice (also on line {seen[rank]}); "
                                 "each rank must be unique")
            if token in ranks:
                raise InputError(f"{origin}:{number}: the token {token[:40]!r} is listed twice "
                                 f"(ranks {ranks[token]} and {rank}); each token must appear once")
            seen[rank] = number
            ranks[token] = rank
    except (ValueError, binascii.Error):
        raise InputError(f"{origin}:{number}: corrupt tiktoken ranks file (each line must be `base64 rank`); export the file again") from None
    if not ranks:
        raise InputError(f"{origin}: tiktoken ranks file holds no tokens; give the full .tiktoken file")
    return ranks


def check_pattern(pattern: str, where: str = "--pattern") -> str:
    """Raise `InputError` unless both regex engines that run the pretokenizer accept `pattern`."""
    import regex
    from tokenizers import Regex

    try:
        regex.compile(pattern)
        Regex(pattern)
    except Exception as exc:  # noqa: BLE001 - regex.error, and tokenizers raises plain Exception
        first = (str(exc).splitlines() or [exc.__class__.__name__])[0]
        raise InputError(f"{where} {pattern!r}: not a valid regular expression ({first}); "
                         "fix it (for example the cl100k or o200k pattern, see docs/tokenizers.md)") from None
    return pattern


def _tiktoken_preset(src: Source, ranks: dict[bytes, int]) -> tuple[str, dict[str, int], bool]:
    """The pretokenizer regex, special tokens and whether text is NFC-normalized first."""
    preset = src.entry.options.get("preset") if src.entry else None
    n = len(ranks)
    if preset == "llama3":
        return patterns.LLAMA3, {s: n + i for i, s in enumerate(patterns.LLAMA3_SPECIALS)}, False
    if preset == "llama4":
        return patterns.O200K, _llama4_specials(n, src), False
    if preset == "qwen2":
        return patterns.QWEN2, {s: n + i for i, s in enumerate(patterns.QWEN2_SPECIALS)}, True
    if src.pattern:
        check_pattern(src.pattern)
    known = patterns.KNOWN_RANK_FILES.get(src.sha256)
    if known:
        _, pat, specials = known
        return (src.pattern or pat), dict(specials), False
    if src.pattern:
        return src.pattern, {}, False
    raise InputError(
        f"{src.origin}: tiktoken ranks file with an unknown hash; give its pretokenizer regex with --pattern "
        f"(for example the cl100k or o200k pattern, see docs/tokenizers.md)"
    )


def _llama4_specials(n: int, src: Source) -> dict[str, int]:
    """Llama 4's special-token list is built in code; evaluate just that part of the installed module."""
    located = zoo.locate(src.entry) if src.entry else None
    try:
        if located is None:
            raise OSError("no installed llama_models package beside the file")
        code_path = located.parent / "tokenizer.py"
        code = code_path.read_text("utf-8")
        start = code.index("def get_reserved_special_tokens")
        end = code.index("class Tokenizer")
        ns: dict = {}
        exec(compile(code[start:end], str(code_path), "exec"), ns)  # noqa: S102 - a literal list from the installed package
        names = ns["BASIC_SPECIAL_TOKENS"] + ns["LLAMA4_SPECIAL_TOKENS"]
        names = names + [f"<|reserved_special_token_{i}|>" for i in range(2048 - len(names))]
    except (OSError, ValueError, KeyError):
        names = ["<|begin_of_text|>", "<|end_of_text|>"]
    return {s: n + i for i, s in enumerate(names)}


def convert_tiktoken(src: Source) -> tuple[str, dict, dict[bytes, int]]:
    ranks = parse_tiktoken_ranks(src.data, src.origin)
    pattern, specials, nfc = _tiktoken_preset(src, ranks)
    doc, meta = _byte_level_json(ranks, pattern, specials, nfc=nfc)
    meta.update(pattern=pattern, byte_level=True, byte_fallback=False,
                tiktoken={"pattern": pattern, "specials": specials, "id_offset": 0, "nfc": nfc})
    return doc, meta, ranks


def convert_tekken(src: Source) -> tuple[str, dict, dict[bytes, int]]:
    try:
        obj = json.loads(src.data)
        cfg = obj["config"]
        n_special = int(cfg.get("default_num_special_tokens", 1000))
        inner = int(cfg.get("default_vocab_size", 131072)) - n_special
        ranks = {base64.b64decode(v["token_bytes"]): int(v["rank"]) for v in obj["vocab"] if int(v["rank"]) < inner}
        pattern = cfg["pattern"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InputError(f"{src.origin}: corrupt Tekken tokenizer JSON ({exc.__class__.__name__}: {exc}); copy the tekken.json again") from None
    listed = [s["token_str"] for s in obj.get("special_tokens", [])] or list(patterns.TEKKEN_SPECIALS)
    names = listed + [f"<SPECIAL_{i}>" for i in range(len(listed), n_special)]
    specials = {s: i for i, s in enumerate(names)}
    doc, meta = _byte_level_json(ranks, pattern, specials, nfc=False, id_offset=n_special)
    meta.update(pattern=pattern, byte_level=True, byte_fallback=False,
                tiktoken={"pattern": pattern, "specials": specials, "id_offset": n_special, "nfc": False})
    return doc, meta, ranks


def convert_sentencepiece(src: Source) -> tuple[str | None, dict]:
    model = parse_sp_model(src.data, src.origin)
    meta = {"sp_model_type": model.model_type, "byte_fallback": model.byte_fallback, "byte_level": False,
            "pattern": None, "normalizer_name": model.normalizer_name, "add_dummy_prefix": model.add_dummy_prefix}
    if model.model_type != "bpe":
        return None, meta
    if model.normalizer_name not in ("identity", ""):
        raise InputError(
            f"{src.origin}: SentencePiece BPE with normalizer '{model.normalizer_name}' is not supported yet "
            f"(only 'identity', as in Llama and Mistral)"
        )
    return sp_bpe_json(model), meta


def sp_bpe_json(model: SPModel) -> str:
    vocab = {p.piece: i for i, p in enumerate(model.pieces)}
    normal = [(p.piece.encode("utf-8"), p.score, i) for i, p in enumerate(model.pieces) if p.type in (NORMAL, USER_DEFINED)]
    merges = hf_sentencepiece_merges(normal)
    tok = components.sentencepiece_bpe(
        vocab, [(a.decode("utf-8"), b.decode("utf-8")) for a, b in merges],
        unk=next((p.piece for p in model.pieces if p.type == UNKNOWN), None), byte_fallback=model.byte_fallback,
        remove_extra_whitespaces=model.remove_extra_whitespaces, add_dummy_prefix=model.add_dummy_prefix,
        specials={p.piece: i for i, p in enumerate(model.pieces) if p.type in (CONTROL, UNKNOWN)},
        user_defined={p.piece: i for i, p in enumerate(model.pieces) if p.type == USER_DEFINED})
    return tok.to_str()


def sp_dedup_merges(model: SPModel) -> list[tuple[bytes, bytes]]:
    normal = [(p.piece.encode("utf-8"), p.score, i) for i, p in enumerate(model.pieces) if p.type == NORMAL]
    return merges_from_sentencepiece(normal)


def convert_gguf(src: Source) -> tuple[str, dict]:
    gguf_path = Path(src.origin)
    meta_kv = read_gguf_metadata(gguf_path)
    try:
        kind = meta_kv["tokenizer.ggml.model"].decode()
        tokens = [t.decode("utf-8") for t in meta_kv["tokenizer.ggml.tokens"]]
        types = meta_kv.get("tokenizer.ggml.token_type") or [1] * len(tokens)
    except (KeyError, UnicodeDecodeError, AttributeError):
        raise InputError(f"{gguf_path}: GGUF file has no tokenizer metadata; give the model's tokenizer.json instead") from None
    pre = (meta_kv.get("tokenizer.ggml.pre") or b"default").decode()
    if kind != "gpt2":
        raise InputError(f"{gguf_path}: GGUF tokenizer model '{kind}' is not supported yet (only byte-level BPE, 'gpt2')")
    merges = [tuple(m.decode("utf-8").split(" ", 1)) for m in meta_kv.get("tokenizer.ggml.merges", [])]
    specials = {t: i for i, (t, ty) in enumerate(zip(tokens, types, strict=False)) if ty in (3, 4)}
    tok = components.gguf_bpe(tokens, merges, _gguf_pretokenizer(pre, gguf_path), specials)
    return tok.to_str(), {"byte_level": True, "byte_fallback": False, "pattern": None, "gguf_pre": pre}


_GGUF_SPLIT = {"llama3": patterns.LLAMA3, "llama-bpe": patterns.LLAMA3, "qwen2": patterns.QWEN2, "gpt-4o": patterns.O200K}


def _gguf_pretokenizer(pre: str, path: Path):
    if pre in ("smollm", "starcoder", "refact"):
        return components.gguf_pretokenizer("digits", None)
    if pre in ("gpt-2", "default", "gpt2"):
        return components.gguf_pretokenizer("gpt2", None)
    if pre in _GGUF_SPLIT:
        return components.gguf_pretokenizer("split", _GGUF_SPLIT[pre])
    raise InputError(f"{path}: GGUF pretokenizer '{pre}' is not known to tokforensics; convert the model's tokenizer.json instead")


def convert_hf_json(src: Source) -> tuple[str, dict]:
    try:
        doc = json.loads(src.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{src.origin}: corrupt or truncated tokenizer JSON ({exc}); copy or export it again") from None
    if not isinstance(doc, dict) or "model" not in doc:
        raise InputError(f"{src.origin}: JSON has no 'model' section; not a Hugging Face tokenizer.json")
    byte_level = any(True for part in ("pre_tokenizer", "decoder") for _ in components.find_nodes(doc.get(part), "ByteLevel"))
    return json.dumps(doc, ensure_ascii=False), {"byte_level": byte_level, "byte_fallback": bool(doc["model"].get("byte_fallback")),
                 "pattern": _find_regex(doc.get("pre_tokenizer"))}


def _find_regex(node) -> str | None:
    if isinstance(node, dict):
        if node.get("type") == "Split" and isinstance(node.get("pattern"), dict) and "Regex" in node["pattern"]:
            return node["pattern"]["Regex"]
        if node.get("type") == "ByteLevel" and node.get("use_regex"):
            return patterns.GPT2
        for v in node.values():
            found = _find_regex(v)
            if found:
                return found
    if isinstance(node, list):
        regs = [r for r in (_find_regex(v) for v in node) if r]
        return " then ".join(regs) if len(regs) > 1 else (regs[0] if regs else None)
    return None


def convert(src: Source) -> tuple[str | None, dict, dict[bytes, int] | None]:
    """(tokenizer.json text or None for SentencePiece Unigram, metadata, ranks for tiktoken-style files)."""
    if src.format == "tiktoken":
        return convert_tiktoken(src)
    if src.format == "tekken":
        return convert_tekken(src)
    if src.format == "sentencepiece":
        return (*convert_sentencepiece(src), None)
    if src.format == "gguf":
        return (*convert_gguf(src), None)
    if src.format == "hf_json":
        return (*convert_hf_json(src), None)
    raise InputError(f"{src.origin}: unsupported tokenizer format '{src.format}'; give a tokenizer.json, tokenizer.model, tekken.json, .tiktoken or .gguf file")


@dataclass
class Converted:
    """A converted tokenizer: the tokenizer.json (read lazily), metadata, and ranks for tiktoken-style files."""

    meta: dict
    json_path: Path | None
    json_text: str | None
    ranks: dict[bytes, int] | None
    src: Source | None = None  # to convert again when the cached tokenizer.json turns out damaged

    def hf_json(self) -> str | None:
        if self.json_text is None and self.json_path is not None:
            want = self.meta.get("json_sha256")

            def parse(data: bytes) -> str:
                if cache.sha256_bytes(data) != want:
                    raise ValueError("content does not match the checksum in its metadata")
                return data.decode("utf-8")

            self.json_text = cache.read_entry(self.json_path, parse)
            if self.json_text is None and self.src is not None:
                self.json_text = convert(self.src)[0]
        return self.json_text


def _entry_paths(src: Source) -> tuple[Path, Path, Path]:
    key = cache.key_of("tokenizer", CONVERTER_VERSION, src.sha256, src.format, src.name if src.entry else "",
                       src.pattern or "")
    return (cache.entry_path("tokenizers", key, ".json"), cache.entry_path("tokenizers", key, ".ranks.pkl"),
            cache.entry_path("tokenizers", key, ".meta.json"))


def _read_cached(src: Source) -> Converted | None:
    """The cached conversion if its metadata and ranks are intact (the JSON is checked when first read)."""
    json_path, ranks_path, meta_path = _entry_paths(src)
    meta = cache.read_entry(meta_path, cache.json_object)
    if meta is None:
        return None
    if meta.get("has_json") and not isinstance(meta.get("json_sha256"), str):
        cache.discard(meta_path, "no checksum for its tokenizer.json")
        return None
    ranks = None
    if meta.get("has_ranks"):
        want = meta.get("ranks_sha256")

        def parse(data: bytes) -> dict[bytes, int]:
            if cache.sha256_bytes(data) != want:
                raise ValueError("content does not match the checksum in its metadata")
            # only after the checksum matched the metadata this program wrote: never unpickle a stray file
            obj = pickle.loads(data)  # noqa: S301
            if not isinstance(obj, dict):
                raise ValueError("not a rank table")
            return obj

        ranks = cache.read_entry(ranks_path, parse)
        if ranks is None:
            cache.discard(meta_path, "its rank table is missing or damaged")
            return None
    return Converted(meta, json_path if meta.get("has_json") else None, None, ranks, src)


def load_converted(src: Source) -> Converted:
    """The converted tokenizer, from the cache when this source was converted before.

    Files are written data first, metadata last, each atomically: metadata present means complete entry.
    The metadata holds the sha256 of each data file, so a damaged file is noticed, discarded and rebuilt.
    """
    hit = _read_cached(src)
    if hit is not None:
        return hit
    json_path, ranks_path, meta_path = _entry_paths(src)
    text, meta, ranks = convert(src)
    meta["has_json"] = text is not None
    meta["has_ranks"] = ranks is not None
    try:
        if text is not None:
            blob = text.encode("utf-8")
            meta["json_sha256"] = cache.sha256_bytes(blob)
            cache.write_bytes_atomic(json_path, blob)
        if ranks is not None:
            blob = pickle.dumps(ranks, protocol=pickle.HIGHEST_PROTOCOL)
            meta["ranks_sha256"] = cache.sha256_bytes(blob)
            cache.write_bytes_atomic(ranks_path, blob)
        cache.write_bytes_atomic(meta_path, json.dumps(meta).encode("utf-8"))
    except OSError:
        pass
    return Converted(meta, None, text, ranks, src)
