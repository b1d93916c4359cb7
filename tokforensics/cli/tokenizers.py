"""`tok tokenizers`, `tok inspect`, `tok encode`, `tok merges`, `tok export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from ..errors import InputError
from ..outputs import check_destination, write_output
from ..tokenizer.catalog import list_zoo
from ..tokenizer.inspect import inspect_tokenizer
from ..tokenizer.view import load_tokenizer
from .render import State, console, emit_json, table

app = typer.Typer()  # this module's commands; tokforensics.cli.app adds it with add_typer

PALETTE = ["on #3b4261", "on #4b3b61", "on #3b614b", "on #61503b", "on #613b45", "on #3b5a61"]


@app.command("tokenizers")
def tokenizers_cmd() -> None:
    """List the tokenizer zoo: what each name is, its size, source, licence and whether it is available."""
    rows = list_zoo()
    if State.json:
        emit_json({"tokenizers": rows})
        return
    console.print(table(
        "Tokenizer zoo",
        [("name", "left"), ("family", "left"), ("algorithm", "left"), ("vocab", "right"), ("merges", "right"),
         ("source", "left"), ("licence", "left"), ("available", "left")],
        [[r.name, r.family, r.algorithm, r.vocab_size, r.merges, r.source, r.license,
          "yes" if r.available else f"no: {r.reason}"] for r in rows],
        caption="Shipped files are checked against data/tokenizers/MANIFEST.json at load.",
    ))


@app.command("inspect")
def inspect_cmd(tokenizer: str = typer.Argument(..., help="Zoo name or path."),
                pattern: str = typer.Option(None, help="Pretokenizer regex for a bare .tiktoken file.")) -> None:
    """Type, vocabulary, merges, normalizer, pretokenizer, special tokens and how numbers split."""
    tok = load_tokenizer(tokenizer, pattern)
    res = inspect_tokenizer(tok)
    if State.json:
        emit_json(res)
        return
    i = res.info
    specials = ", ".join(list(i.specials)[:8]) + (f" … (+{len(i.specials) - 8})" if len(i.specials) > 8 else "")
    rows = [
        ["name", i.name], ["source", i.source], ["format", i.format], ["algorithm", i.algorithm],
        ["vocab size (id space)", f"{i.vocab_size:,}"], ["merges", f"{i.n_merges:,}" if i.n_merges is not None else "–"],
        ["byte-level", "yes" if i.byte_level else "no"], ["byte fallback", "yes" if i.byte_fallback else "no"],
        ["normalizer", i.normalizer], ["pretokenizer", i.pretokenizer],
        ["special tokens", f"{res.n_special}: {specials}"], ["added tokens", str(res.n_added)],
        ["single-byte tokens", str(res.byte_tokens)], ["sha256", i.sha256],
    ]
    console.print(table(f"tok inspect {tokenizer}", [("property", "left"), ("value", "left")], rows))
    console.print(table("How numbers split", [("text", "left"), ("tokens", "right"), ("pieces", "left")],
                        [[repr(s.text), len(s.pieces), " | ".join(repr(p)[1:-1] for p in s.pieces)] for s in res.number_splits]))


@app.command("encode")
def encode_cmd(tokenizer: str = typer.Argument(..., help="Zoo name or path."),
               text: str = typer.Argument(..., help="Text to encode."),
               ids_only: bool = typer.Option(False, "--ids", help="Print only the ids.")) -> None:
    """Show token boundaries (coloured) and ids."""
    tok = load_tokenizer(tokenizer)
    ids = tok.encode(text)
    pieces = [tok.token_bytes[i] for i in ids]
    if State.json:
        emit_json({"tokenizer": tok.name, "n_tokens": len(ids), "ids": ids,
                   "pieces": [p.decode("utf-8", "backslashreplace") for p in pieces]})
        return
    if ids_only:
        console.print(" ".join(map(str, ids)))
        return
    line = Text()
    for k, p in enumerate(pieces):
        shown = p.decode("utf-8", "backslashreplace").replace("\n", "↵").replace("\t", "→")
        line.append(shown, style=PALETTE[k % len(PALETTE)])
    console.print(line)
    console.print(Text(" ".join(str(i) for i in ids), style="dim"))
    console.print(f"{len(ids)} tokens, {len(text.encode('utf-8'))} bytes, {len(text.encode('utf-8')) / max(1, len(ids)):.2f} bytes/token")


@app.command("merges")
def merges_cmd(tokenizer: str = typer.Argument(..., help="Zoo name or path (BPE)."),
               out: Path = typer.Option(..., "-o", "--out", help="Where to write merges.txt.")) -> None:
    """Export the ordered merge list as HF merges.txt."""
    check_destination(out)
    tok = load_tokenizer(tokenizer)
    text = tok.merges_txt()
    write_output(out, text)
    n = text.count("\n") - 1
    if State.json:
        emit_json({"tokenizer": tok.name, "merges": n, "path": str(out)})
    else:
        console.print(f"wrote {n:,} merges of {tok.name} to {out}")


@app.command("export")
def export_cmd(tokenizer: str = typer.Argument(..., help="Zoo name or path."),
               out: Path = typer.Option(..., "-o", "--out", help="Where to write tokenizer.json.")) -> None:
    """Export the tokenizer (normalizer, pretokenizer, model) as a Hugging Face tokenizer.json."""
    check_destination(out)
    tok = load_tokenizer(tokenizer)
    doc = tok.hf_json()
    if doc is None:
        raise InputError(f"tokenizer '{tok.name}' is a SentencePiece Unigram model; it has no tokenizer.json export")
    write_output(out, doc)
    if State.json:
        emit_json({"tokenizer": tok.name, "path": str(out)})
    else:
        console.print(f"wrote {tok.name} as tokenizer.json to {out}")

