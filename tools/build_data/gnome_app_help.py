"""Measure what the help of GNOME applications (Debian 12) could add to the default pack: pages per licence, and
the text of the CC BY-SA pages per locale, before the language checks (docs/corpora.md, Limits).

Usage:
    apt-file search -x '^/usr/share/help/[^/]+/[^/]+/index\\.page$' | cut -d: -f1 | sort -u > pkgs.txt
    mkdir debs && (cd debs && xargs -a ../pkgs.txt apt-get download)
    python tools/build_data/gnome_app_help.py debs [--extract-to /tmp/gnome-app-help]

A page's licence is the `<license href>` in the page, or in the `legal.xml` it includes (beside the page or at the
top of its help folder); gnome-user-docs itself is left out (the pack already uses it).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from help_text import mallard_paragraphs  # noqa: E402

LICENCE = re.compile(r'<license[^>]*href="([^"]+)"', re.I)


def page_licence(page: Path, app_dir: Path) -> str | None:
    text = page.read_text(encoding="utf-8", errors="replace")
    m = LICENCE.search(text)
    if m:
        return m.group(1)
    if "legal.xml" in text:
        for legal in (page.parent / "legal.xml", app_dir / "legal.xml"):
            if legal.exists():
                m = LICENCE.search(legal.read_text(encoding="utf-8", errors="replace"))
                if m:
                    return m.group(1)
    return None


def shippable(licence: str | None) -> bool:
    return bool(licence) and "creativecommons.org/licenses/by" in licence and "-nc" not in licence \
        and "-nd" not in licence


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("debs", type=Path)
    ap.add_argument("--extract-to", type=Path, default=Path("/tmp/gnome-app-help"))
    args = ap.parse_args()
    args.extract_to.mkdir(parents=True, exist_ok=True)
    for deb in sorted(args.debs.glob("*.deb")):
        dest = args.extract_to / deb.name.split("_")[0]
        if not dest.exists():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    licences: collections.Counter = collections.Counter()
    per_locale: collections.Counter = collections.Counter()
    for pkg in sorted(args.extract_to.iterdir()):
        root = pkg / "usr/share/help"
        if pkg.name == "gnome-user-docs" or not root.is_dir():
            continue
        for locale in sorted(root.iterdir()):
            for app in sorted(p for p in locale.iterdir() if p.is_dir()):
                for page in sorted(app.rglob("*.page")):
                    if page.is_symlink():
                        continue
                    lic = page_licence(page, app)
                    licences[lic or "none"] += 1
                    if shippable(lic):
                        text = "\n".join(mallard_paragraphs(page.read_text(encoding="utf-8", errors="replace")))
                        per_locale[locale.name] += len(text.encode("utf-8"))
    print("pages per licence:")
    for lic, n in licences.most_common():
        print(f"  {n:7,}  {lic}")
    print("CC BY-SA text per locale (MB, before the language checks):")
    for loc, n in sorted(per_locale.items(), key=lambda kv: -kv[1]):
        if n >= 10_000:
            print(f"  {loc:10} {n / 1e6:.2f}")


if __name__ == "__main__":
    main()
