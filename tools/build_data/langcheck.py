"""Per-paragraph checks for translated text: running text, the category's script, not English, not a repeat.

DEVELOPER TOOL used by build_corpora.py. Build-time only dependency: py3langid (BSD-3-Clause, its model is
inside the wheel; see requirements.txt). A paragraph of a translated page is kept when all of these hold:

1. running text: at least 4 words, or at least 10 letters in scripts written without spaces;
2. it is not one of the English paragraphs of the same source (the untranslated originals: LibreOffice
   en-US, GNOME ``C``, Debian handbook en-US), compared after whitespace collapsing;
3. at least half of its letters are in the category's script (Han/kana for Japanese, Hangul/Han for Korean);
4. py3langid, restricted to the two labels {category language, English}, does not say English;
5. it was not kept before in this category (exact de-duplication, first occurrence wins).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

NO_SPACE_SCRIPTS = {"Hani", "Hans", "Hant", "Jpan", "Thai", "Khmr", "Laoo", "Mymr", "Tibt"}
SCRIPT_OK = {
    "Hans": {"Hani"}, "Hant": {"Hani"}, "Jpan": {"Hani", "Hira", "Kana"}, "Kore": {"Hang", "Hani"},
    "Hang": {"Hang", "Hani"},
}
_WORD = re.compile(r"\w+", re.U)


@lru_cache(maxsize=1 << 16)
def _script_of(ch: str) -> str | None:
    from tokforensics.corpus.categories import _char_script  # the runtime's script table

    return _char_script(ch)


def letters_by_script(text: str) -> Counter[str]:
    c: Counter[str] = Counter()
    for ch in text:
        if ch.isalpha():
            s = _script_of(ch)
            if s:
                c[s] += 1
    return c


_IDENT: dict[str, object] = {}


def _identifier(lang: str):
    """py3langid restricted to {lang, en}; one model in memory, re-restricted when the language changes."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = _IDENT.get("model")
    if ident is None:
        ident = _IDENT["model"] = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if _IDENT.get("lang") != lang:
        ident.set_languages([lang, "en"])  # a slice of the full model, so switching back and forth is exact
        _IDENT["lang"] = lang
    return ident


@dataclass
class Checker:
    lang: str  # py3langid label of the category's language
    script: str  # ISO 15924 of the category
    english: set[str] = field(default_factory=set)  # untranslated originals
    seen: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)  # bytes per verdict

    def verdict(self, para: str) -> str:
        letters = letters_by_script(para)
        n_letters = sum(letters.values())
        if self.script in NO_SPACE_SCRIPTS:
            if n_letters < 10:
                return "short"
        elif len(_WORD.findall(para)) < 4:
            return "short"
        if para in self.english:
            return "english-original"
        ok = SCRIPT_OK.get(self.script, {self.script})
        if sum(letters[s] for s in ok) < 0.5 * n_letters:
            return "other-script"
        if self.lang != "en" and _identifier(self.lang).classify(para)[0] == "en":
            return "english-langid"
        if para in self.seen:
            return "duplicate"
        return "kept"

    def keep(self, para: str) -> bool:
        v = self.verdict(para)
        self.counts[v] += len(para.encode("utf-8")) + 1
        if v == "kept":
            self.seen.add(para)
            return True
        return False
