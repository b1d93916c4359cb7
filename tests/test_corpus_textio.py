"""Shared text readers: plain/gzip, lines/JSON Lines, strict UTF-8."""

from __future__ import annotations

import gzip

import pytest

from tokforensics.corpus import textio
from tokforensics.corpus.textio import NotUtf8Error, inner_suffix, iter_jsonl_texts, iter_lines, iter_units
from tokforensics.errors import InputError


def test_lines_keep_endings_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(textio, "CHUNK", 7)
    path = tmp_path / "a.txt"
    path.write_bytes("çok güzel\r\nikinci satır\n\nson".encode())
    assert list(iter_lines(path)) == ["çok güzel\r\n", "ikinci satır\n", "\n", "son"]


def test_gzip_and_jsonl(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write('{"text": "bir"}\n\n{"text": "iki\\n"}\n')
    assert inner_suffix(path) == ".jsonl"
    assert list(iter_jsonl_texts(path)) == ["bir", "iki\n"]
    assert list(iter_units(path)) == ["bir\n", "iki\n"]


def test_not_utf8_names_offset(tmp_path, monkeypatch):
    monkeypatch.setattr(textio, "CHUNK", 4)
    path = tmp_path / "b.txt"
    path.write_bytes(b"abcdef\xffgh\n")
    with pytest.raises(NotUtf8Error, match="byte 6") as info:
        list(iter_lines(path))
    assert isinstance(info.value, InputError) and "\n" not in str(info.value)


def test_corrupt_gzip_is_input_error(tmp_path):
    path = tmp_path / "c.txt.gz"
    path.write_bytes(gzip.compress(b"hello world\n" * 100)[:40])
    with pytest.raises(InputError):
        list(iter_lines(path))
