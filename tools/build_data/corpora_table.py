#!/usr/bin/env python3
"""Write the per-category tables of docs/corpora.md from the shipped pack.json files (no hand-typed numbers).

DEVELOPER TOOL. Replaces the text between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``
markers in docs/corpora.md; ``--check`` exits 1 when the file is out of date.

    python tools/build_data/corpora_table.py          # rewrite docs/corpora.md
    python tools/build_data/corpora_table.py --check
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKS = REPO / "data" / "corpora" / "mixture"
DOC = REPO / "docs" / "corpora.md"
SHORT = {"udhr": "UDHR", "django": "Django", "sphinx": "Sphinx", "gnome-user-docs": "GNOME help",
         "debian-handbook": "Debian handbook", "python3.11-doc": "Python docs", "dataset-build": "dataset-build*"}
VERDICTS = ["kept", "english-original", "english-langid", "other-script", "short", "duplicate"]


def _short(label: str) -> str:
    name = label.split(" ", 1)[1]
    if name.startswith("libreoffice-help-"):
        return "LibreOffice help" + ("" if name.count("-") == 2 else f" ({name[17:]})")
    return SHORT.get(name, name)


def _mb(b: int) -> str:
    return f"{b / 1e6:.2f}"


def _limit(c: dict) -> str:
    if c["bytes"] >= 1_000_000:
        return "capped at 3 MB" if c["bytes"] > 2_990_000 - 20_000 else ""
    if c["group"] == "code":
        return "every file of its sources that passed the licence filter"
    names = {_short(s["package"]) for s in c["sources"]}
    docs = {"LibreOffice help", "GNOME help", "Debian handbook"} & {n.split(" (")[0] for n in names}
    if not docs:
        return "no translated documentation offline: UDHR and interface strings only"
    return "all text left after the checks (" + ", ".join(sorted(docs)) + ")"


def category_table(pack: dict, groups: tuple[str, ...]) -> list[str]:
    out = ["| category | name | script | MB | documents | sources: MB (domain) | licences | limited by |",
           "|---|---|---|---|---|---|---|---|"]
    for c in pack["categories"]:
        if c["group"] not in groups:
            continue
        srcs = ", ".join(f"{_short(s['package'])} {_mb(s['bytes'])}" + (f" ({s['domain']})" if "domain" in s else "")
                         for s in c["sources"])
        lic = ", ".join(dict.fromkeys(s["licence"] for s in c["sources"]))
        out.append(f"| `{c['name']}` | {c['display_name']} | {c['script']} | {_mb(c['bytes'])} | {c['documents']} "
                   f"| {srcs} | {lic} | {_limit(c)} |")
    return out


def check_table(pack: dict) -> list[str]:
    out = ["| category | source | paragraph bytes seen | kept % | untranslated English % (original / langid / script) "
           "| too short % | duplicate % |", "|---|---|---|---|---|---|---|"]
    for c in pack["categories"]:
        for pkg, counts in (c.get("checks") or {}).items():
            total = sum(counts.values())
            if not total:
                continue

            def pct(*keys: str, counts=counts, total=total) -> str:
                return f"{100 * sum(counts.get(k, 0) for k in keys) / total:.0f}"

            eng = " / ".join(pct(k) for k in ("english-original", "english-langid", "other-script"))
            out.append(f"| `{c['name']}` | {pkg} | {_mb(total)} MB | {pct('kept')} | {eng} | {pct('short')} "
                       f"| {pct('duplicate')} |")
    return out


def summary(pack: dict) -> list[str]:
    cats = pack["categories"]
    nat = [c for c in cats if c["group"] == "non_english"]
    code = [c for c in cats if c["group"] == "code"]
    total = sum(c["bytes"] for c in cats)
    comp = sum((PACKS / pack["name"] / c["file"]).stat().st_size for c in cats)
    return [f"- {len(cats)} categories, {_mb(total)} MB of text, {_mb(comp)} MB compressed on disk.",
            f"- Natural languages other than English: {len(nat)}; with at least 1 MB: "
            f"{sum(c['bytes'] >= 1_000_000 for c in nat)}; at least 0.5 MB: {sum(c['bytes'] >= 500_000 for c in nat)}.",
            f"- English domains: {', '.join(c['name'] + ' ' + _mb(c['bytes']) + ' MB' for c in cats if c['group'] == 'english')}.",
            f"- Programming languages: {len(code)}; with at least 1 MB: {sum(c['bytes'] >= 1_000_000 for c in code)}."]


def render() -> dict[str, list[str]]:
    pack = json.loads((PACKS / "default" / "pack.json").read_text(encoding="utf-8"))
    return {
        "default-summary": summary(pack),
        "default-english": category_table(pack, ("english",)),
        "default-languages": category_table(pack, ("non_english",)),
        "default-code": category_table(pack, ("code",)),
        "default-checks": check_table(pack),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text = DOC.read_text(encoding="utf-8")
    new = text
    for name, lines in render().items():
        pat = re.compile(rf"(<!-- BEGIN GENERATED: {re.escape(name)} -->\n).*?(<!-- END GENERATED: {re.escape(name)} -->)",
                         re.S)
        if not pat.search(new):
            sys.exit(f"{DOC}: no markers for {name}")
        new = pat.sub(lambda m, lines=lines: m.group(1) + "\n".join(lines) + "\n" + m.group(2), new)
    if args.check:
        sys.exit(0 if new == text else f"{DOC} is out of date; run {Path(__file__).name}")
    DOC.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
