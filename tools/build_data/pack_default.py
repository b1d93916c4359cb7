"""The default category pack: human-written text only, up to 3 MB per category, one xz file per category.

DEVELOPER TOOL, used by build_corpora.py. Natural languages come from translated documentation
(LibreOffice help, GNOME user help, the Debian Administrator's Handbook), the UDHR and, last, Django/Sphinx
interface strings; every paragraph of translated documentation passes the checks in langcheck.py. English
is split by domain (``en-docs`` software help and the Python documentation, ``en-book`` a book-length
manual). Code comes from single-licence projects (MIT, BSD, Apache-2.0, PSF, Ruby). A document is one
coherent unit: a help page, a book section, a UDHR declaration or a source file, split into consecutive
parts only above DOC_MAX bytes (the parts share the ``src`` and carry ``#2``, ``#3`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from common import BSD_TERMS, Package, nbytes
from documents import (
    CategorySpec,
    Doc,
    Source,
    chunk_text,
    pick_source_files,
    rglob,
    script_family,
)
from help_text import SphinxProse, docbook_paragraphs, libreoffice_paragraphs, mallard_paragraphs
from langcheck import Checker
from languages import NATURAL
from po_strings import po_docs

from tokforensics.corpus.categories import detect_script

CATEGORY_BUDGET = 3_000_000  # bytes of UTF-8 text per category, at most
MIN_CATEGORY_BYTES = 30_000
DOC_MAX = 16_000  # a document above this is split into consecutive parts at paragraph/line boundaries
FILE_MAX = 64_000  # at most this much of one source file

LO_VERSION = "4:7.4.7-1+deb12u14"
LO_LANGS = ["ca", "cs", "da", "de", "dz", "el", "en-us", "es", "et", "eu", "fi", "fr", "gl", "hi", "hu", "id",
            "it", "ja", "km", "ko", "nl", "om", "pl", "pt", "pt-br", "ru", "sl", "sv", "tr", "vi", "zh-cn", "zh-tw"]
LO_TERMS = ("MPL-2.0; some pages incorporate Apache-2.0 material from OpenOffice.org (see LICENSES/); "
            "keep the notice; each file under its own licence")
SA_TERMS = ("CC-BY-SA-3.0: attribution required (the src of each document, LICENSES/ and MANIFEST.json); "
            "adaptations must be shared under the same licence; the documents from this source are under "
            "CC-BY-SA-3.0, not under the code's MIT licence")
DH_TERMS = ("dual-licensed GPL-2.0+ OR CC-BY-SA-3.0 by its authors; shipped under CC-BY-SA-3.0 only (no GPL "
            "text is relied on); attribution required; adaptations under the same licence")

PACKAGES = {p.key: p for p in [
    *[Package(f"lo-{lang}", "debian", f"libreoffice-help-{lang}", LO_VERSION, "MPL-2.0 AND Apache-2.0",
              (f"usr/share/doc/libreoffice-help-{lang}/copyright", "/usr/share/common-licenses/MPL-2.0"),
              LO_TERMS) for lang in LO_LANGS],
    Package("gnome-user-docs", "debian", "gnome-user-docs", "43.0-2", "CC-BY-SA-3.0",
            ("usr/share/doc/gnome-user-docs/copyright",), SA_TERMS),
    Package("debian-handbook", "debian", "debian-handbook", "11.20220922", "CC-BY-SA-3.0",
            ("usr/share/doc/debian-handbook/copyright",), DH_TERMS),
    Package("three", "npm", "three", "0.170.0", "MIT", ("package/LICENSE",), BSD_TERMS),
    Package("googletest", "debian", "googletest", "1.12.1-0.2", "BSD-3-Clause",
            ("usr/share/doc/googletest/copyright",), BSD_TERMS),
    Package("nlohmann-json3-dev", "debian", "nlohmann-json3-dev", "3.11.2-2", "MIT",
            ("usr/share/doc/nlohmann-json3-dev/copyright",), BSD_TERMS),
    Package("libfmt-dev", "debian", "libfmt-dev", "9.1.0+ds1-2", "MIT",
            ("usr/share/doc/libfmt-dev/copyright",), BSD_TERMS),
    *[Package(f"php-symfony-{c}", "debian", f"php-symfony-{c}", "5.4.53+dfsg-0+deb12u1", "MIT",
              (f"usr/share/doc/php-symfony-{c}/copyright",), BSD_TERMS)
      for c in ("http-foundation", "dependency-injection", "validator", "serializer")],
]}

# py3langid label per category; the locale folders of each source (LibreOffice, GNOME, handbook).
LANGID = {"no": "no", "zh-hant": "zh", "sr": "sr"}
LO_DIRS = {"pt": ("pt", "pt-br"), "zh": ("zh-cn",), "zh-hant": ("zh-tw",)}
GNOME_DIRS = {"pt": ("pt", "pt_BR"), "zh": ("zh_CN",), "sr": ("sr@latin",)}
DH_DIRS = {"ar": "ar-MA", "ca": "ca-ES", "cs": "cs-CZ", "da": "da-DK", "de": "de-DE", "el": "el-GR",
           "es": "es-ES", "fa": "fa-IR", "fr": "fr-FR", "hr": "hr-HR", "id": "id-ID", "it": "it-IT",
           "ja": "ja-JP", "ko": "ko-KR", "no": "nb-NO", "nl": "nl-NL", "pl": "pl-PL", "pt": "pt-BR",
           "ro": "ro-RO", "ru": "ru-RU", "sv": "sv-SE", "tr": "tr-TR", "vi": "vi-VN", "zh": "zh-CN",
           "zh-hant": "zh-TW"}
# Languages of the sources above that v1 did not have: (code, name, script, UDHR id).
EXTRA = [("as", "Assamese", "Beng", "asm"), ("dz", "Dzongkha", "Tibt", "dzo"), ("gu", "Gujarati", "Gujr", "guj"),
         ("om", "Oromo", "Latn", "gax"), ("zh-hant", "Chinese (Traditional)", "Hant", "cmn_hant")]

LO_HELP = "usr/share/libreoffice/help"


def split_doc(paras: list[str], src: str, limit: int = DOC_MAX) -> list[Doc]:
    """One document of the paragraphs (newline-joined), cut into consecutive parts above limit bytes."""
    text = "\n".join(paras)
    if not text.strip():
        return []
    pieces = chunk_text(text, limit) if nbytes(text) > limit else [text]
    return [Doc(p, src if i == 0 else f"{src}#{i + 1}") for i, p in enumerate(pieces)]


def _english_set(pages: dict[str, list[str]]) -> set[str]:
    return {p for ps in pages.values() for p in ps}


def lo_pages(x: dict[str, Path], lang_dir: str) -> dict[str, list[str]]:
    """{path inside the package: paragraphs} of every LibreOffice help page of one language, sorted."""
    root = x[f"lo-{lang_dir}"]
    found = [p for p in (root / LO_HELP).iterdir() if p.is_dir() and p.name.lower() == lang_dir]
    out: dict[str, list[str]] = {}
    if len(found) != 1:
        return out
    for path in sorted(found[0].rglob("*.html")):
        out[path.relative_to(root).as_posix()] = libreoffice_paragraphs(path.read_text(encoding="utf-8"))
    return out


def gnome_pages(x: dict[str, Path], lang_dir: str) -> dict[str, list[str]]:
    root = x["gnome-user-docs"]
    out = {}
    for path in sorted((root / "usr/share/help" / lang_dir).rglob("*.page")):
        out[path.relative_to(root).as_posix()] = mallard_paragraphs(path.read_text(encoding="utf-8"))
    return out


def handbook_pages(x: dict[str, Path], lang_dir: str) -> dict[str, list[str]]:
    root = x["debian-handbook"]
    out = {}
    for path in sorted((root / "usr/share/doc/debian-handbook/html" / lang_dir).glob("*.html")):
        if path.name in ("index.html", "ix01.html"):
            continue
        out[path.relative_to(root).as_posix()] = docbook_paragraphs(path.read_text(encoding="utf-8"))
    return out


class _Cache:
    """Parsed pages per (source, locale), so the English originals are parsed once."""

    def __init__(self, x: dict[str, Path]) -> None:
        self.x = x
        self.memo: dict[tuple[str, str], dict[str, list[str]]] = {}

    def get(self, kind: str, lang_dir: str) -> dict[str, list[str]]:
        key = (kind, lang_dir)
        if key not in self.memo:
            fn = {"lo": lo_pages, "gnome": gnome_pages, "dh": handbook_pages}[kind]
            self.memo[key] = fn(self.x, lang_dir)
        return self.memo[key]

    def drop_translations(self) -> None:
        """Forget every parsed locale but the English originals (keeps memory to one language at a time)."""
        self.memo = {k: v for k, v in self.memo.items() if k[1] == ENGLISH_DIR[k[0]]}


ENGLISH_DIR = {"lo": "en-us", "gnome": "C", "dh": "en-US"}
PKG_OF = {"lo": None, "gnome": "gnome-user-docs", "dh": "debian-handbook"}
NOTES = {
    "lo": "LibreOffice 7.4 help pages (software documentation); one page = one document",
    "gnome": "GNOME 43 user and system-admin help (software documentation); one page = one document",
    "dh": "The Debian Administrator's Handbook (book-length technical manual); one HTML section = one document",
}
# Domain per source package key (LibreOffice keys lo-<lang> and code default to docs/code in build_corpora.py).
DOMAIN = {"gnome-user-docs": "docs", "debian-handbook": "book", "udhr": "legal", "django": "ui-strings",
          "sphinx": "ui-strings", "python3.11-doc": "docs"}


def checked_source(cache: _Cache, kind: str, lang_dir: str, checker: Checker, stats: dict) -> Source | None:
    pages = cache.get(kind, lang_dir)
    if not pages:
        return None
    if checker.lang != "en":
        checker.english = _english_set(cache.get(kind, ENGLISH_DIR[kind]))
    pkg = PKG_OF[kind] or f"lo-{lang_dir}"
    before = dict(checker.counts)
    docs: list[Doc] = []
    for rel, paras in pages.items():
        docs += split_doc([p for p in paras if checker.keep(p)], f"{pkg}:{rel}")
    delta = {k: v - before.get(k, 0) for k, v in checker.counts.items() if v - before.get(k, 0)}
    stats[pkg] = delta
    pattern = {"lo": f"{LO_HELP}/{lang_dir.replace('-', '?')}/**/*.html", "gnome": f"usr/share/help/{lang_dir}/**/*.page",
               "dh": f"usr/share/doc/debian-handbook/html/{lang_dir}/*.html"}[kind]
    return Source(pkg, docs, note=NOTES[kind], pattern=pattern)


def udhr_source(by_id: dict[str, dict], decl_id: str | None) -> Source | None:
    if not decl_id or decl_id not in by_id:
        return None
    e = by_id[decl_id]
    return Source("udhr", split_doc(list(e["segments"].values()), f"udhr:package/declaration/{decl_id}.html"),
                  note="Universal Declaration of Human Rights; one declaration = one document")


def po_source(x: dict[str, Path], key: str, locs: Iterable[str], seen: set[str]) -> Source | None:
    root = x[key]
    pat = "django/**/locale/{}/LC_MESSAGES/*.po" if key == "django" else "sphinx/locale/{}/LC_MESSAGES/*.po"
    files = [p for loc in locs for p in sorted(root.glob(pat.format(loc)))]
    if not files:
        return None
    # v1 made ~4 KB chunks of strings; here one .po file of strings is one document.
    by_file: dict[str, list[str]] = {}
    for d in po_docs(key, root, files, seen):
        by_file.setdefault(d.src, []).append(d.text)
    docs = [doc for src, texts in by_file.items() for doc in split_doc(texts, src)]
    return Source(key, docs, note="translated interface strings (placeholders and markup removed)",
                  pattern=" ".join(pat.format(loc) for loc in locs))


def natural_specs(x: dict[str, Path], udhr: list[dict], warnings: list[str],
                  stats: dict[str, dict]) -> Iterator[CategorySpec]:
    """One category at a time (a generator), so that only one language's pages are held in memory."""
    by_id = {e["id"]: e for e in udhr}
    cache = _Cache(x)
    lo_have = {d for d in LO_LANGS}
    gnome_have = {p.name for p in (x["gnome-user-docs"] / "usr/share/help").iterdir()}
    dh_have = {p.name for p in (x["debian-handbook"] / "usr/share/doc/debian-handbook/html").iterdir()}
    langs = [(c, n, s, u, dj, sx) for c, n, s, _db, u, dj, sx in NATURAL]
    langs += [(c, n, s, u, (), ()) for c, n, s, u in EXTRA]
    langs.sort(key=lambda t: t[0])

    # English, by domain.
    en_stats: dict = {}
    checker = Checker("en", "Latn")
    gnome_en = checked_source(cache, "gnome", "C", checker, en_stats)
    py = python_doc_prose_whole(x["python3.11-doc"], checker)
    lo_en = checked_source(cache, "lo", "en-us", checker, en_stats)
    stats["en-docs"] = en_stats
    yield CategorySpec("en-docs", "English: software documentation", "english", "Latn",
                       [s for s in (gnome_en, py, lo_en) if s])
    book_stats: dict = {}
    dh_en = checked_source(cache, "dh", "en-US", Checker("en", "Latn"), book_stats)
    stats["en-book"] = book_stats
    yield CategorySpec("en-book", "English: book (technical manual)", "english", "Latn", [dh_en])

    for code, name, script, udhr_id, dj_locs, sx_locs in langs:
        checker = Checker(LANGID.get(code, code), script)
        cstats: dict = {}
        sources: list[Source | None] = [udhr_source(by_id, udhr_id)]
        for d in GNOME_DIRS.get(code, (code,)):
            if d in gnome_have:
                sources.append(checked_source(cache, "gnome", d, checker, cstats))
        d = DH_DIRS.get(code)
        if d and d in dh_have:
            sources.append(checked_source(cache, "dh", d, checker, cstats))
        for d in LO_DIRS.get(code, (code,)):
            if d in lo_have and d != "en-us":
                sources.append(checked_source(cache, "lo", d, checker, cstats))
        seen: set[str] = set()
        sources.append(po_source(x, "django", dj_locs, seen))
        sources.append(po_source(x, "sphinx", sx_locs, seen))
        kept = []
        for s in sources:
            if s is None or not s.docs:
                continue
            found = detect_script("\n".join(d.text for d in s.docs))
            if script_family(found) != script_family(script):
                warnings.append(f"{code}: dropped {s.package} (script {found}, expected {script})")
                continue
            kept.append(s)
        cache.drop_translations()
        merged = _merge_same_package(kept)
        stats[code] = cstats
        yield CategorySpec(code, name, "non_english", script, merged)


def _merge_same_package(sources: list[Source]) -> list[Source]:
    """pt and pt-BR LibreOffice help (two packages) stay two sources; two GNOME locales become one."""
    out: list[Source] = []
    for s in sources:
        if out and out[-1].package == s.package:
            prev = out[-1]
            out[-1] = Source(prev.package, prev.docs + s.docs, note=prev.note,
                             pattern=f"{prev.pattern} {s.pattern}")
        else:
            out.append(s)
    return out


def python_doc_prose_whole(root: Path, checker: Checker) -> Source:
    """<p> prose of the Python 3.11 tutorial, FAQ, HOWTO and library pages; one page = one document."""
    html_root = root / "usr/share/doc/python3.11/html"
    docs = []
    for sub in ("tutorial", "faq", "howto", "library", "reference", "using"):
        for path in sorted((html_root / sub).glob("*.html")):
            p = SphinxProse()
            p.feed(path.read_text(encoding="utf-8"))
            paras = [t for t in p.paras if checker.keep(t)]
            docs += split_doc(paras, f"python3.11-doc:{path.relative_to(root).as_posix()}")
    return Source("python3.11-doc", docs, max_bytes=1_000_000,
                  note="<p> prose of the Python 3.11 documentation (tutorial, FAQ, HOWTO, library and language "
                       "reference); fixed sample of pages", pattern="usr/share/doc/python3.11/html/*/*.html")


# ------------------------------------------------------------------------------------------------ code
def code_docs_whole(pkg_key: str, root: Path, files: Iterable[Path], budget: int,
                    require: str | None = None) -> list[Doc]:
    """Whole source files (at most FILE_MAX bytes each, cut at a line) in sha256 order up to budget."""
    docs = []
    for rel, text in pick_source_files(pkg_key, root, files, budget, FILE_MAX, require):
        pieces = chunk_text(text, DOC_MAX)
        docs += [Doc(p, f"{pkg_key}:{rel}" if i == 0 else f"{pkg_key}:{rel}#{i + 1}") for i, p in enumerate(pieces)]
    return docs


TEST_DIRS = r"(^|/)(tests?|testdata|idle_test|vendor|third_party|third-party|examples?)(/|$)"


def code_specs(x: dict[str, Path]) -> Iterator[CategorySpec]:
    """One category at a time (a generator); a source's files are read when its category is reached."""

    def src(key, sub, patterns, exclude=None, require=None, budget=CATEGORY_BUDGET, note=""):
        def make() -> Source:
            root = x[key]
            fs = rglob(root / sub, patterns, re.compile(exclude) if exclude else None)
            return Source(key, code_docs_whole(key, root, fs, budget, require), note=note,
                          pattern=" ".join(f"{sub}/**/{p}" for p in patterns))
        return make

    def spec(name, display, *makers):
        return name, display, makers

    third = 1_000_000
    table = [
        spec("python", "Python", src("libpython3.11-stdlib", "usr/lib/python3.11", ["*.py"],
                                     TEST_DIRS + r"|site-packages|dist-packages",
                                     note="CPython 3.11 standard library, fixed sample of files")),
        spec("javascript", "JavaScript", src("jquery", "package/src", ["*.js"]),
             src("three", "package/src", ["*.js"], note="three.js 3D library sources")),
        spec("typescript", "TypeScript", src("rxjs", "package/src", ["*.ts"])),
        spec("java", "Java", src("react-native", "package", ["*.java"], TEST_DIRS, require="MIT license")),
        spec("kotlin", "Kotlin", src("react-native", "package", ["*.kt"], TEST_DIRS, require="MIT license")),
        spec("objective-c", "Objective-C / Objective-C++",
             src("react-native", "package", ["*.m", "*.mm"], TEST_DIRS, require="MIT license")),
        spec("c", "C", src("lupa", "lupa-2.8/third-party", ["*.c", "*.h"], TEST_DIRS + r"|(^|/)(dynasm|host)(/|$)",
                           note="Lua 5.4 and LuaJIT 2.1 C sources bundled in lupa (MIT)")),
        spec("cpp", "C++", src("pybind11", "pybind11/include", ["*.h"], budget=third),
             src("googletest", "usr/src/googletest", ["*.h", "*.cc"], TEST_DIRS + r"|(^|/)samples(/|$)", budget=third),
             src("libfmt-dev", "usr/include/fmt", ["*.h"], budget=third),
             src("nlohmann-json3-dev", "usr/include/nlohmann", ["*.hpp"], budget=third)),
        spec("csharp", "C#", src("pythonnet", "pythonnet-3.2.1/src", ["*.cs"], TEST_DIRS)),
        spec("go", "Go", src("golang-1.19-src", "usr/share/go-1.19/src", ["*.go"], TEST_DIRS + r"|_test\.go$")),
        spec("rust", "Rust", src("rust-src", "usr/src/rustc-1.63.0/library", ["*.rs"],
                                 TEST_DIRS + r"|(^|/)(benches|stdarch)(/|$)")),
        spec("ruby", "Ruby", src("libruby3.1", "usr/lib/ruby/3.1.0", ["*.rb"], TEST_DIRS)),
        spec("php", "PHP", *[src(k, "usr/share/php", ["*.php"], TEST_DIRS, budget=600_000)
                             for k in ("php-symfony-console", "php-symfony-http-foundation",
                                       "php-symfony-dependency-injection", "php-symfony-validator",
                                       "php-symfony-serializer")]),
        spec("lua", "Lua", src("lupa", "lupa-2.8/third-party/luajit21", ["*.lua"],
                               note="LuaJIT 2.1 Lua sources bundled in lupa")),
        spec("shell", "Shell (sh/bash)", src("golang-1.19-src", "usr/share/go-1.19", ["*.bash", "*.sh"], TEST_DIRS),
             src("react-native", "package", ["*.sh"], TEST_DIRS, require="MIT license")),
        spec("html", "HTML (templates)", src("django", "django", ["*.html"],
                                             note="Django admin and contrib templates")),
        spec("css", "CSS", src("django", "django", ["*.css"], r"(^|/)vendor/")),
    ]
    for name, display, makers in table:
        sources = [m() for m in makers]
        yield CategorySpec(name, display, "code", "code", [s for s in sources if s.docs])
