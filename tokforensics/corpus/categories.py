"""Category samples for BPE data-mixture inference: the shipped packs and user directories.

A category is a named sample of text (a natural language, English, or a programming language) whose byte
share in a tokenizer's training data is inferred (Hayase et al. 2024). ``load_categories`` reads either a
shipped pack (``data/corpora/mixture/<name>/pack.json``) or a user directory, and can sample each category
down to ``bytes_per_category`` with a seeded, streaming sampler.

User directories hold one file or one folder per category: ``.txt`` (units are lines) or ``.jsonl`` (units
are the ``text`` field of each line), either optionally compressed (``.gz``, ``.xz`` or ``.zst``).
``infer_mixture`` streams user directories (mixture/streaming.py, from ``discover_user_dir``) and never
calls ``load_categories`` on them; ``load_categories`` still reads them whole for other callers. The category name is the file name without
those suffixes, or the folder name. Groups: ``en``/``english`` and ``en-<domain>`` -> ``english``, a known programming language
name -> ``code``, anything else -> ``non_english``; an optional ``categories.json`` overrides that:
``{"tr": "non_english", "notes": {"group": "english", "script": "Latn"}}``.

Sampling (when ``bytes_per_category`` is set): every unit gets a key from ``random.Random(seed, category)``
in stream order; the kept set is built like a reservoir -- a unit joins while the budget allows, and when the
budget is exceeded the units with the largest keys are evicted -- so memory stays bounded by the budget and
a multi-GB file is never held whole. The kept units are then put back in their original order.

Files that are not valid UTF-8 are skipped whole with a message in ``CategoryPack.warnings``; a category
left empty by that raises ``InputError``.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tokforensics import cache
from tokforensics.corpus import locations
from tokforensics.corpus.textio import (
    COMPRESSED_SUFFIXES,
    NotUtf8Error,
    data_root,
    inner_suffix,
    iter_units,
    require_regular,
)
from tokforensics.errors import InputError, UsageError, did_you_mean

GROUPS = ("english", "code", "non_english")
MIN_CATEGORY_BYTES = 1024
TEXT_SUFFIXES = (".txt", ".jsonl")

CODE_NAMES = frozenset({
    "code", "python", "py", "javascript", "js", "typescript", "ts", "java", "kotlin", "kt", "scala", "c", "h",
    "cpp", "c++", "cxx", "cc", "csharp", "c#", "cs", "go", "golang", "rust", "rs", "ruby", "rb", "php", "perl",
    "pl", "shell", "bash", "sh", "zsh", "powershell", "sql", "html", "css", "scss", "lua", "r", "swift",
    "objective-c", "objc", "objective_c", "haskell", "hs", "ocaml", "fsharp", "f#", "elixir", "erlang", "clojure",
    "lisp", "scheme", "racket", "julia", "matlab", "fortran", "cobol", "pascal", "delphi", "dart", "groovy",
    "assembly", "asm", "verilog", "vhdl", "tex", "latex", "markdown", "md", "json", "yaml", "toml", "xml",
    "makefile", "dockerfile", "cuda", "zig", "nim", "crystal", "solidity", "vue", "svelte", "jsx", "tsx",
    "visual-basic", "vb", "prolog", "tcl", "awk", "sed", "jupyter", "notebook",
})
ENGLISH_NAMES = frozenset({"en", "eng", "english"})


@dataclass(frozen=True)
class Category:
    """One category: its text (possibly sampled), size in UTF-8 bytes and a one-line provenance."""

    name: str
    group: str  # english | code | non_english
    script: str  # ISO 15924 (Latn, Cyrl, Hans, ...) for natural languages, "code" for code
    text: str
    n_bytes: int
    source: str
    display_name: str = ""
    n_units: int = 0  # lines or documents kept
    unit_ends: tuple[int, ...] = ()  # character offset in `text` where each unit ends (documents for resampling)

    def units(self) -> list[str]:
        """The kept units (documents or lines) in order; the whole text as one unit when none were recorded."""
        if not self.unit_ends:
            return [self.text]
        starts = (0, *self.unit_ends[:-1])
        return [self.text[a:b] for a, b in zip(starts, self.unit_ends, strict=True)]


@dataclass(frozen=True)
class CategoryPack:
    name: str
    source: str
    categories: list[Category]
    warnings: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]

    def get(self, name: str) -> Category:
        for c in self.categories:
            if c.name == name:
                return c
        raise UsageError(f"no category {name!r} in pack {self.name!r}; known: {', '.join(self.names)}")

    def by_group(self, group: str) -> list[Category]:
        return [c for c in self.categories if c.group == group]


# ---------------------------------------------------------------------------------------------- scripts
_SCRIPT_PREFIXES = {
    "LATIN": "Latn", "FULLWIDTH LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "ARABIC": "Arab",
    "HEBREW": "Hebr", "DEVANAGARI": "Deva", "BENGALI": "Beng", "GURMUKHI": "Guru", "GUJARATI": "Gujr",
    "ORIYA": "Orya", "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda", "MALAYALAM": "Mlym",
    "SINHALA": "Sinh", "THAI": "Thai", "LAO": "Laoo", "TIBETAN": "Tibt", "MYANMAR": "Mymr", "GEORGIAN": "Geor",
    "HANGUL": "Hang", "HALFWIDTH HANGUL": "Hang", "ETHIOPIC": "Ethi", "CHEROKEE": "Cher",
    "CANADIAN SYLLABICS": "Cans", "KHMER": "Khmr", "MONGOLIAN": "Mong", "CJK": "Hani", "HIRAGANA": "Hira",
    "KATAKANA": "Kana", "HALFWIDTH KATAKANA": "Kana", "ARMENIAN": "Armn", "THAANA": "Thaa", "TIFINAGH": "Tfng",
    "VAI": "Vaii", "YI": "Yiii", "NKO": "Nkoo", "ADLAM": "Adlm", "TAI THAM": "Lana", "TAGALOG": "Tglg",
    "JAVANESE": "Java", "BUGINESE": "Bugi", "OL CHIKI": "Olck", "CHAKMA": "Cakm", "SYRIAC": "Syrc",
    "BOPOMOFO": "Bopo", "BALINESE": "Bali", "SUNDANESE": "Sund", "TAI LE": "Tale", "NEW TAI LUE": "Talu",
    "MEETEI MAYEK": "Mtei", "LIMBU": "Limb", "SAMARITAN": "Samr", "OSAGE": "Osge", "GLAGOLITIC": "Glag",
    "COPTIC": "Copt", "RUNIC": "Runr", "OGHAM": "Ogam", "MENDE KIKAKUI": "Mend", "BAMUM": "Bamu",
    "KAYAH LI": "Kali", "LISU": "Lisu", "SAURASHTRA": "Saur", "HANIFI ROHINGYA": "Rohg", "TAI VIET": "Tavt",
    "CHAM": "Cham", "BATAK": "Batk", "BUHID": "Buhd", "HANUNOO": "Hano", "TAGBANWA": "Tagb", "REJANG": "Rjng",
    "LEPCHA": "Lepc", "SYLOTI NAGRI": "Sylo", "GRANTHA": "Gran", "MIAO": "Plrd", "PAHAWH HMONG": "Hmng",
    "NYIAKENG PUACHUE HMONG": "Hmnp", "WANCHO": "Wcho", "GUNJALA GONDI": "Gong", "MASARAM GONDI": "Gonm",
}
_PREFIX_ORDER = sorted(_SCRIPT_PREFIXES, key=len, reverse=True)
_script_cache: dict[str, str | None] = {}


def _char_script(ch: str) -> str | None:
    if ch in _script_cache:
        return _script_cache[ch]
    result = None
    if unicodedata.category(ch).startswith("L"):
        name = unicodedata.name(ch, "")
        for prefix in _PREFIX_ORDER:
            if name.startswith(prefix + " ") or name == prefix:
                result = _SCRIPT_PREFIXES[prefix]
                break
    _script_cache[ch] = result
    return result


def detect_script(text: str, max_chars: int = 200_000) -> str:
    """The ISO 15924 code of the dominant script of the letters in ``text`` (``Zyyy`` when none is known).

    Han with kana gives ``Jpan``; Hangul with some Han gives ``Kore``; Han alone gives ``Hani``.
    """
    counts: Counter[str] = Counter()
    for ch in text[:max_chars]:
        s = _char_script(ch)
        if s:
            counts[s] += 1
    if not counts:
        return "Zyyy"
    total = sum(counts.values())
    kana = counts["Hira"] + counts["Kana"]
    if kana and (kana + counts["Hani"]) / total > 0.5 and kana / total > 0.05:
        return "Jpan"
    if counts["Hang"] and counts["Hang"] / total > 0.5:
        return "Kore" if counts["Hani"] / total > 0.05 else "Hang"
    return counts.most_common(1)[0][0]


def default_group(name: str) -> str:
    low = name.lower()
    if low in ENGLISH_NAMES or low.split("-", 1)[0] in ENGLISH_NAMES:
        return "english"  # en, english, and domain or regional splits such as en-docs, en-GB
    if low in CODE_NAMES:
        return "code"
    return "non_english"


# --------------------------------------------------------------------------------------------- sampling
class _Sampler:
    """Budgeted, seeded selection over a stream of units, bounded in memory by the budget."""

    def __init__(self, budget: int | None, rng: random.Random) -> None:
        self.budget = budget
        self.rng = rng
        self.heap: list[tuple[float, int, int, str, int]] = []  # (-key, file, index, unit, size)
        self.total = 0
        self.kept_all: list[tuple[int, int, str, int]] = []

    def offer_file(self, file_index: int, units: Iterable[str]) -> None:
        """Sample one file's units; commit them only when the whole file was read without error."""
        local = _Sampler(self.budget, self.rng)
        for i, unit in enumerate(units):
            local._offer(-1.0 if self.budget is None else self.rng.random(), file_index, i, unit)
        for entry in local._entries():
            self._offer(-entry[0], entry[1], entry[2], entry[3], entry[4])

    def _offer(self, key: float, f: int, i: int, unit: str, size: int | None = None) -> None:
        size = len(unit.encode("utf-8")) if size is None else size
        if self.budget is None:
            self.kept_all.append((f, i, unit, size))
            self.total += size
            return
        if size > self.budget:
            return
        if self.heap and self.total + size > self.budget and key >= -self.heap[0][0]:
            return  # it would be the first one evicted
        heapq.heappush(self.heap, (-key, f, i, unit, size))
        self.total += size
        while self.total > self.budget:
            _, _, _, _, s = heapq.heappop(self.heap)
            self.total -= s

    def _entries(self) -> Iterator[tuple[float, int, int, str, int]]:
        if self.budget is None:
            for f, i, unit, size in self.kept_all:
                yield (-0.0, f, i, unit, size)
        else:
            yield from self.heap

    def result(self) -> tuple[str, int, tuple[int, ...]]:
        entries = sorted(((f, i, u) for _, f, i, u, _ in self._entries()), key=lambda e: (e[0], e[1]))
        ends = []
        pos = 0
        for _, _, u in entries:
            pos += len(u)
            ends.append(pos)
        return "".join(u for _, _, u in entries), len(entries), tuple(ends)


def _sample_files(name: str, files: list[Path], budget: int | None, seed: int,
                  warnings: list[str]) -> tuple[str, int, list[Path], tuple[int, ...]]:
    sampler = _Sampler(budget, random.Random(f"tokforensics:{seed}:{name}"))
    used: list[Path] = []
    for index, path in enumerate(files):
        try:
            sampler.offer_file(index, iter_units(path))
        except NotUtf8Error as exc:
            warnings.append(f"skipped {exc}")
            continue
        used.append(path)
    text, n_units, ends = sampler.result()
    return text, n_units, used, ends


def _check_size(name: str, text: str, where: str, budget: int | None) -> None:
    if not text.strip():
        raise InputError(f"category {name!r} is empty ({where}); add UTF-8 text to it or remove it")
    n = len(text.encode("utf-8"))
    if n < MIN_CATEGORY_BYTES:
        hint = "raise bytes_per_category" if budget is not None else "add more text or remove it"
        raise InputError(f"category {name!r} has only {n} bytes of text ({where}), too small to count "
                         f"(need at least {MIN_CATEGORY_BYTES}); {hint}")


# --------------------------------------------------------------------------------------------- loading
def pack_dir(name: str) -> Path:
    return data_root() / "corpora" / "mixture" / name


def shipped_packs() -> list[str]:
    root = data_root() / "corpora" / "mixture"
    return sorted(p.parent.name for p in root.glob("*/pack.json")) if root.is_dir() else []


def is_shipped_pack(spec: str | Path) -> bool:
    """True when spec names a shipped pack (a bare name, not a path, with a pack.json)."""
    return isinstance(spec, str) and "/" not in spec and "\\" not in spec and (pack_dir(spec) / "pack.json").is_file()


def pack_fingerprint(name: str) -> str | None:
    """sha256 over a shipped pack's pack.json and the sha256 of every category file it names, in order; None when
    the pack is missing or unreadable (loading it then reports what is wrong). A file's sha256 is remembered by
    its (path, size, mtime, inode), the same memo the streamed counter reads, so a warm run hashes nothing."""
    if not is_shipped_pack(name):
        return None
    meta_path = pack_dir(name) / "pack.json"
    try:
        meta = meta_path.read_bytes()
        h = hashlib.sha256(meta)
        for c in json.loads(meta)["categories"]:
            path = meta_path.parent / c["file"]
            version = locations.version_mark(str(path))
            digest = cache.recalled_digest(version)
            if digest is None:
                digest = cache.sha256_file(path)
                cache.remember_digest(version, digest)
            h.update(c["file"].encode("utf-8") + b"\0" + digest.encode("ascii"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return h.hexdigest()


def category_folder(spec: str | Path) -> Path | None:
    """The local folder `load_categories(spec)` reads (a shipped pack's or the user's); None for a URL or nothing."""
    if is_shipped_pack(spec):
        return pack_dir(str(spec))
    path = Path(spec).expanduser()
    return path if "://" not in str(spec) and path.is_dir() else None


def load_categories(spec: str | Path = "default", bytes_per_category: int | None = None,
                    seed: int = 0) -> CategoryPack:
    """Load a shipped category pack by name, or a user directory of category files/folders.

    ``bytes_per_category`` caps each category's UTF-8 size with the seeded sampler (None keeps all text).
    """
    if bytes_per_category is not None:
        if isinstance(bytes_per_category, bool) or not isinstance(bytes_per_category, int):
            raise UsageError(f"bytes_per_category must be an integer number of bytes, not {bytes_per_category!r}")
        if bytes_per_category < MIN_CATEGORY_BYTES:
            raise UsageError(f"bytes_per_category={bytes_per_category} is below {MIN_CATEGORY_BYTES} bytes, "
                             "too small to count; use at least 1024 (e.g. 200000)")
    if is_shipped_pack(spec):
        return _load_pack(str(spec), bytes_per_category, seed)
    path = Path(spec).expanduser()
    if path.is_dir():
        return _load_user_dir(path, bytes_per_category, seed)
    if path.exists():
        raise UsageError(f"{path} is a file; pass a directory holding one .txt/.jsonl file or folder per category")
    packs = ", ".join(shipped_packs()) or "none"
    hint = did_you_mean(str(spec), shipped_packs())
    raise UsageError(f"no category pack or directory named {str(spec)!r} (shipped packs: {packs}).{hint} "
                     "Pass a pack name or an existing directory")


def shipped_pack_info(name: str) -> tuple[dict, str]:
    """A shipped pack's pack.json and its one-line source (the package families it was built from)."""
    root = pack_dir(name)
    try:
        meta = json.loads((root / "pack.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{root / 'pack.json'}: unreadable ({exc}); reinstall tokforensics") from None
    packages = [s["package"] for c in meta["categories"] for s in c["sources"]]
    # One entry per package family: the 32 debian libreoffice-help-<lang> packages read as one.
    families = dict.fromkeys(re.sub(r"^(debian libreoffice-help)-\S+$", r"\1-*", p) for p in packages)
    return meta, f"tokforensics pack {name!r} built from " + ", ".join(families)


def category_source(entry: dict) -> str:
    """A shipped category's sources, as its results name them: "package version (licence); ..."."""
    return "; ".join(f"{s['package']} {s['version']} ({s['licence']})" for s in entry["sources"])


def _load_pack(name: str, budget: int | None, seed: int) -> CategoryPack:
    root = pack_dir(name)
    meta, source = shipped_pack_info(name)
    warnings: list[str] = []
    categories = []
    for c in meta["categories"]:
        text, n_units, _, ends = _sample_files(c["name"], [root / c["file"]], budget, seed, warnings)
        _check_size(c["name"], text, str(root / c["file"]), budget)
        categories.append(Category(name=c["name"], group=c["group"], script=c["script"], text=text,
                                   n_bytes=len(text.encode("utf-8")), source=category_source(c),
                                   display_name=c.get("display_name", c["name"]), n_units=n_units, unit_ends=ends))
    return CategoryPack(name=name, source=source, categories=categories, warnings=warnings)


def _category_name(path: Path) -> str | None:
    """Category name of a top-level file, or None when the file is not a text/JSON Lines file."""
    name = path.name
    for comp in COMPRESSED_SUFFIXES:
        if name.lower().endswith(comp):
            name = name[: -len(comp)]
            break
    for suffix in TEXT_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or None
    return None


def _is_data_file(path: Path) -> bool:
    if not path.name.startswith(".") and inner_suffix(path) in TEXT_SUFFIXES:
        require_regular(path)  # the shared special-file policy: a FIFO or dangling link is an error
    return path.is_file() and not path.name.startswith(".") and inner_suffix(path) in TEXT_SUFFIXES


def _load_overrides(root: Path | str, warnings: list[str]) -> dict[str, dict]:
    if locations.is_url(root):
        path: Path | str = f"{str(root).rstrip('/')}/categories.json"
        data = locations.read_bytes(str(path))
    else:
        path = Path(root) / "categories.json"
        data = path.read_bytes() if path.is_file() else None
    if data is None:
        return {}
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid UTF-8 JSON ({exc}); "
                         'write e.g. {"tr": "non_english", "notes": {"group": "english"}}') from None
    if not isinstance(raw, dict):
        raise InputError(f'{path}: expected a JSON object like {{"tr": "non_english"}}')
    out: dict[str, dict] = {}
    for key, value in raw.items():
        entry = {"group": value} if isinstance(value, str) else value
        if not isinstance(entry, dict) or entry.get("group", "non_english") not in GROUPS:
            raise InputError(f"{path}: category {key!r}: group must be one of {', '.join(GROUPS)}")
        out[key] = entry
    return out


@dataclass(frozen=True)
class CategoryFiles:
    """A category of a user directory before any text is read: where it lives and its files, sorted."""

    name: str
    where: str
    files: tuple[Path, ...] | tuple[str, ...]  # local paths, or URL strings for an fsspec folder
    group: str | None  # from categories.json; None: decided by name
    script: str | None
    display_name: str
    source: str | None = None  # what results name as its source; None: "user files: <where>"


def _local_listing(root: Path) -> Iterator[tuple[str, Path, tuple[list[Path], list[Path]] | None]]:
    """(entry name, entry, (data files, other files) for a folder or None for a file) under a local folder."""
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            files = sorted((p for p in entry.rglob("*") if _is_data_file(p)), key=lambda p: p.as_posix())
            ignored = [p for p in entry.rglob("*") if p.is_file() and not _is_data_file(p)
                       and not p.name.startswith(".")]
            yield entry.name, entry, (files, ignored)
        else:
            yield entry.name, entry, None


def _url_listing(root: str) -> Iterator[tuple[str, str, tuple[list[str], list[str]] | None]]:
    """The same over an fsspec listing (no special files exist there); entries are URL strings."""
    for entry_name, url, is_folder in locations.list_dir(root):
        if not is_folder:
            yield entry_name, url, None
            continue
        data: list[str] = []
        other: list[str] = []
        for rel, u in locations.find_files(url):
            if not any(part.startswith(".") for part in rel.split("/")):
                (data if inner_suffix(PurePosixPath(rel)) in TEXT_SUFFIXES else other).append(u)
        yield entry_name, url, (data, other)


def _collect(listing: Iterable, warnings: list[str]) -> dict:
    """{category name: (where, files)} from a listing: a folder is a category of its data files, a data file at the
    top a category of its own; everything else is noted and ignored."""
    found: dict = {}
    for entry_name, entry, contents in listing:
        if entry_name.startswith(".") or entry_name == "categories.json":
            continue
        if contents is not None:
            name = entry_name
            files, ignored = contents
            for p in ignored[:5]:
                warnings.append(f"ignored {p}: not .txt/.jsonl (optionally .gz/.xz/.zst)")
            if not files:
                warnings.append(f"ignored folder {entry}: no .txt/.jsonl files in it")
                continue
        else:
            name = _category_name(PurePosixPath(entry_name))
            if name is None:
                warnings.append(f"ignored {entry}: not .txt/.jsonl (optionally .gz/.xz/.zst)")
                continue
            files = [entry]
        if name in found:
            raise UsageError(f"category {name!r} comes from both {found[name][0]} and {entry}; "
                             "merge them into one file or folder")
        found[name] = (str(entry), files)
    return found


def discover_user_dir(root: Path | str) -> tuple[list[CategoryFiles], list[str]]:
    """The categories of a user directory, or of an fsspec URL folder (a str such as "s3://bucket/cats"), and
    the notes about what was ignored; reads no text. A URL category's files are URL strings."""
    warnings: list[str] = []
    overrides = _load_overrides(root, warnings)
    listing = _url_listing(str(root)) if locations.is_url(root) else _local_listing(Path(root))
    found = _collect(listing, warnings)
    if not found:
        raise InputError(f"{root}: no category files found; put one .txt or .jsonl file (optionally .gz/.xz/.zst), "
                         "or one folder of them, per category in it")
    for key in overrides:
        if key not in found:
            warnings.append(f"categories.json names {key!r}, which is not a category in {root}")
    out = []
    for name, (where, files) in found.items():
        over = overrides.get(name, {})
        out.append(CategoryFiles(name=name, where=where, files=tuple(files), group=over.get("group"),
                                 script=over.get("script"), display_name=over.get("display_name", name)))
    return out, warnings


def _load_user_dir(root: Path, budget: int | None, seed: int) -> CategoryPack:
    found, warnings = discover_user_dir(root)
    categories = []
    for cf in found:
        name, where = cf.name, cf.where
        text, n_units, used, ends = _sample_files(name, list(cf.files), budget, seed, warnings)
        if not used:
            raise InputError(f"category {name!r} has no usable text: every file was skipped as not UTF-8 "
                             f"({where}); convert it to UTF-8")
        _check_size(name, text, where, budget)
        group = cf.group or default_group(name)
        script = cf.script or ("code" if group == "code" else detect_script(text))
        categories.append(Category(name=name, group=group, script=script, text=text,
                                   n_bytes=len(text.encode("utf-8")), source=f"user files: {where}",
                                   display_name=cf.display_name, n_units=n_units, unit_ends=ends))
    return CategoryPack(name=root.name, source=f"user directory {root}", categories=categories,
                        warnings=warnings)
