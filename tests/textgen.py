"""Deterministic test texts: many scripts, code, digits, whitespace runs, emoji, invalid surrogates."""

from __future__ import annotations

import random
from functools import cache

SPECIAL_LOOKALIKES = ("<s>", "</s>", "<unk>", "<|", "|>", "[INST]", "[/INST]", "<pad>", "[IMG", "[TOOL", "[AVAIL",
                      "[PREFIX]", "[SUFFIX]", "[MIDDLE]", "[SYSTEM", "<repo", "<file", "<gh_", "<issue", "<jupyter",
                      "<empty_output>", "<reponame>", "<filename>", "<tool_call>", "</tool_call>", "<think>", "<｜")

CODE = [
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "const url = `https://example.org/${path}?q=${encodeURIComponent(q)}`;",
    "fn main() { let v: Vec<u8> = vec![1, 2, 3]; println!(\"{:?}\", v); }",
    "if [ -f \"$HOME/.bashrc\" ]; then source ~/.bashrc; fi",
    "<div class=\"row\"><span id='x'>&nbsp;Hello</span></div>",
    "    \n\n\t\t  else:\r\n        pass\r\n",
]
EXTRA = ["Hello world!", "It's 3:45 p.m. — they'd've known.", "I'M SHOUTING, YOU'RE NOT", "e-mail: a.b@c.de",
         "🙂🙃 👩‍👩‍👧‍👦 🇹🇷 ✨", "ﬁ ﬂ ½ ² Ⅻ ℌ ㎞", "naïve café résumé", "ǅ ǈ ǋ Ǳ", "\u200b\u200d\ufeff", "a\u0301 e\u0308"]


@cache
def _udhr_lines() -> list[str]:
    try:
        from tokforensics.corpus.parallel import load_parallel

        corpus = load_parallel("udhr")
    except Exception:  # corpus not available: fall back to the built-in strings
        return []
    lines = []
    for code in sorted(corpus.languages):
        segs = corpus.languages[code].segments
        for key in sorted(segs)[:3]:
            lines.append(segs[key])
    return lines


def _random_unicode(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            out.append(chr(rng.randint(0x20, 0x7E)))
        elif r < 0.8:
            out.append(chr(rng.randint(0xA0, 0x2FFF)))
        elif r < 0.9:
            out.append(chr(rng.randint(0x4E00, 0x9FFF)))
        else:
            out.append(chr(rng.randint(0x1F300, 0x1FAFF)))
    return "".join(out)


def make_texts(n: int = 5000, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    udhr = _udhr_lines()
    texts: list[str] = []
    while len(texts) < n:
        kind = rng.random()
        if kind < 0.35 and udhr:
            line = rng.choice(udhr)
            start = rng.randint(0, max(0, len(line) - 200))
            t = line[start:start + rng.randint(5, 300)]
        elif kind < 0.5:
            t = rng.choice(CODE)
        elif kind < 0.62:
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
            t = rng.choice(["{}", " {}", "${}.99", "{},000", "x={}", "{} + {} = ?", "v{}.{}", "{}\n"]).replace(
                "{}", digits, 2).replace("{}", digits[::-1])
        elif kind < 0.72:
            t = "".join(rng.choice([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "word"]) for _ in range(rng.randint(1, 12)))
        elif kind < 0.8:
            t = rng.choice(EXTRA)
        elif kind < 0.95:
            t = _random_unicode(rng, rng.randint(1, 40))
        else:
            t = "ok " + chr(rng.randint(0xD800, 0xDFFF)) + " done"
        if any(s in t for s in SPECIAL_LOOKALIKES):
            continue
        texts.append(t)
    return texts


def clean_surrogates(text: str) -> str:
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
