"""Letter sets of languages written in Latin and Cyrillic script, for Qtok-style language attribution.

A vocabulary token made only of Latin (or only of Cyrillic) letters is attributed to every language whose
alphabet contains all of its letters (case-folded); each of the k matching languages gets 1/k of the token.
The sets are the languages' standard modern alphabets (the letters of the official orthography, with the
accented letters that are part of it); loan-word-only letters are left out where the orthography leaves
them out (e.g. Turkish has no q, w, x). This is the same coarse method Qtok uses: a token such as "the" is
shared among all Latin languages whose alphabet has t, h and e.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np

_AZ = "abcdefghijklmnopqrstuvwxyz"
_RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def _minus(base: str, drop: str) -> str:
    return "".join(c for c in base if c not in drop)


def _vietnamese() -> str:
    base = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    out = set(base)
    for v in "aăâeêioôơuưy":
        for t in tones:
            out.add(unicodedata.normalize("NFC", v + t))
    return "".join(sorted(c for c in out if len(c) == 1))


# code: (name, script, lower-case letters)
ALPHABETS: dict[str, tuple[str, str, str]] = {
    "en": ("English", "Latin", _AZ),
    "de": ("German", "Latin", _AZ + "äöüß"),
    "fr": ("French", "Latin", _AZ + "àâæçéèêëîïôœùûüÿ"),
    "es": ("Spanish", "Latin", _AZ + "áéíñóúü"),
    "pt": ("Portuguese", "Latin", _AZ + "áâãàçéêíóôõú"),
    "it": ("Italian", "Latin", _AZ + "àèéìíîòóùú"),
    "ca": ("Catalan", "Latin", _AZ + "àçèéíïòóúü·"),
    "nl": ("Dutch", "Latin", _AZ + "éëïóöü"),
    "sv": ("Swedish", "Latin", _AZ + "åäöé"),
    "da": ("Danish", "Latin", _AZ + "æøå"),
    "nb": ("Norwegian", "Latin", _AZ + "æøå"),
    "fi": ("Finnish", "Latin", _AZ + "åäöšž"),
    "is": ("Icelandic", "Latin", _minus(_AZ, "cqwz") + "áðéíóúýþæö"),
    "et": ("Estonian", "Latin", _AZ + "šžõäöü"),
    "lv": ("Latvian", "Latin", _minus(_AZ, "qwxy") + "āčēģīķļņšūž"),
    "lt": ("Lithuanian", "Latin", _minus(_AZ, "qwx") + "ąčęėįšųūž"),
    "pl": ("Polish", "Latin", _minus(_AZ, "qvx") + "ąćęłńóśźż"),
    "cs": ("Czech", "Latin", _AZ + "áčďéěíňóřšťúůýž"),
    "sk": ("Slovak", "Latin", _AZ + "áäčďéíĺľňóôŕšťúýž"),
    "sl": ("Slovenian", "Latin", _minus(_AZ, "qwxy") + "čšž"),
    "hr": ("Croatian", "Latin", _minus(_AZ, "qwxy") + "čćđšž"),
    "hu": ("Hungarian", "Latin", _AZ + "áéíóöőúüű"),
    "ro": ("Romanian", "Latin", _AZ + "ăâîșşțţ"),
    "sq": ("Albanian", "Latin", _minus(_AZ, "w") + "çë"),
    "tr": ("Turkish", "Latin", _minus(_AZ, "qwx") + "çğıöşüâîû"),
    "az": ("Azerbaijani", "Latin", _minus(_AZ, "w") + "çəğıöşü"),
    "uz": ("Uzbek", "Latin", _minus(_AZ, "w") + "ʻʼ'"),
    "mt": ("Maltese", "Latin", _minus(_AZ, "cy") + "ċġħż"),
    "ga": ("Irish", "Latin", "abcdefghilmnoprstu" + "áéíóú"),
    "cy": ("Welsh", "Latin", "abcdefghijlmnoprstuwy" + "âêîôûŵŷ"),
    "eu": ("Basque", "Latin", _AZ + "ñ"),
    "vi": ("Vietnamese", "Latin", _vietnamese()),
    "id": ("Indonesian", "Latin", _AZ),
    "ms": ("Malay", "Latin", _AZ),
    "sw": ("Swahili", "Latin", _minus(_AZ, "qx")),
    "tl": ("Tagalog", "Latin", _AZ + "ñ"),
    "eo": ("Esperanto", "Latin", _minus(_AZ, "qwxy") + "ĉĝĥĵŝŭ"),
    "la": ("Latin", "Latin", _AZ),
    "ru": ("Russian", "Cyrillic", _RU),
    "uk": ("Ukrainian", "Cyrillic", "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'’"),
    "be": ("Belarusian", "Cyrillic", "абвгдеёжзійклмнопрстуўфхцчшыьэюя'’"),
    "bg": ("Bulgarian", "Cyrillic", "абвгдежзийклмнопрстуфхцчшщъьюя"),
    "sr": ("Serbian", "Cyrillic", "абвгдђежзијклљмнњопрстћуфхцчџш"),
    "mk": ("Macedonian", "Cyrillic", "абвгдѓежзѕијклљмнњопрстќуфхцчџш"),
    "kk": ("Kazakh", "Cyrillic", _RU + "әғқңөұүһі"),
    "ky": ("Kyrgyz", "Cyrillic", _RU + "ңөү"),
    "mn": ("Mongolian", "Cyrillic", _RU + "өү"),
    "tg": ("Tajik", "Cyrillic", "абвгғдеёжзиӣйкқлмнопрстуӯфхҳчҷшъэюя"),
    "tt": ("Tatar", "Cyrillic", _RU + "әөүҗңһ"),
}

CODES: tuple[str, ...] = tuple(ALPHABETS)
assert len(CODES) <= 64, "language masks are uint64"


@cache
def mask_table() -> dict[int, int]:
    """Code point → bit mask of the languages whose alphabet holds that letter (either case)."""
    out: dict[int, int] = {}
    for bit, code in enumerate(CODES):
        for ch in ALPHABETS[code][2]:
            for form in {ch, ch.upper(), ch.title()}:
                if len(form) == 1:
                    out[ord(form)] = out.get(ord(form), 0) | (1 << bit)
    return out


def char_masks(cps: np.ndarray) -> np.ndarray:
    """Language masks for an array of code points (0 for a letter no listed language has)."""
    table = mask_table()
    keys = np.fromiter(table.keys(), dtype=np.int64)
    vals = np.fromiter(table.values(), dtype=np.uint64)
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]
    pos = np.searchsorted(keys, cps.astype(np.int64))
    pos = np.minimum(pos, len(keys) - 1)
    hit = keys[pos] == cps
    return np.where(hit, vals[pos], np.uint64(0))


def languages_of(word: str) -> list[str]:
    """Reference (plain Python): the languages whose alphabet holds every letter of `word`."""
    table = mask_table()
    mask = (1 << len(CODES)) - 1
    for ch in word:
        mask &= table.get(ord(ch), 0)
    return [c for b, c in enumerate(CODES) if mask >> b & 1]
