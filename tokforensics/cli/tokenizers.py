"""`tok tokenizers`, `tok inspect`, `tok encode`, `tok merges`, `tok export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from ..errors import InputError
from ..outputs import check_destination, write_output
from ..tokenizer.inspect import inspect_tokenizer
from ..tokenizer.ref import ref_of
from ..tokenizer.results import ExportResult, encode_text, zoo_listing
from ..tokenizer.view import load_tokenizer
from .common import status, tokenizer_reads
from .render import State, console, emit_result, table, token_line

app = typer.Typer()  # this module's commands; tokforensics.cli.app adds it with add_typer


@app.command("tokenizers")
def tokenizers_cmd() -> None:
    """List the tokenizer zoo: what each name is, its size, source, license and whether it is available."""
    # the first use loads every zoo tokenizer once to count its vocabulary and merges (cached afterwards)
    with status("reading the tokenizer zoo (the first time, each tokenizer is loaded once)") as st:
        res = zoo_listing(progress=lambda i, n, name: st(name, i, n))
    if State.json:
        emit_result(res)
        return
    console.print(table(
        "Tokenizer zoo",
        [("name", "left"), ("family", "left"), ("algorithm", "left"), ("vocab", "right"), ("merges", "right"),
         ("source", "left"), ("license", "left"), ("available", "left")],
        [[r.name, r.family, r.algorithm, r.vocab_size, r.merges, r.source, r.license,
          "yes" if r.available else f"no: {r.reason}"] for r in res.tokenizers],
        caption="Shipped files are checked against data/tokenizers/MANIFEST.json at load.",
    ))


@app.command("inspect")
def inspect_cmd(tokenizer: str = typer.Argument(..., help="Zoo name or path."),
                pattern: str = typer.Option(None, help="Pretokenizer regex for a bare .tiktoken file.")) -> None:
    """Type, vocabulary, merges, normalizer, pretokenizer, special tokens and how numbers split."""
    with status(f"loading {tokenizer}"):
        tok = load_tokenizer(tokenizer, pattern)
        res = inspect_tokenizer(tok)
    if State.json:
        emit_result(res)
        return
    i = res.info
    specials = ", ".join(list(i.specials)[:8]) + (f" … (+{len(i.specials) - 8})" if len(i.specials) > 8 else "")
    rows = [
        ["name", i.name], ["source", i.source], ["format", i.format], ["algorithm", i.algorithm],
        ["vocab size (id space)", f"{i.vocab_size:,}"], ["merges", f"{i.merges:,}" if i.merges is not None else "–"],
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
    """Show token boundaries (alternating colours; a | between tokens without colour) and ids."""
    res = encode_text(load_tokenizer(tokenizer), text)
    if State.json:
        emit_result(res)
        return
    if ids_only:
        console.print(" ".join(map(str, res.ids)))
        return
    console.print(token_line(res.pieces), soft_wrap=True)
    console.print(Text(" ".join(str(i) for i in res.ids), style="dim"))
    console.print(f"{res.n_tokens} tokens, {res.n_bytes} bytes, {res.n_bytes / max(1, res.n_tokens):.2f} bytes/token")


@app.command("merges")
def merges_cmd(tokenizer: str = typer.Argument(..., help="Zoo name or path (BPE)."),
               out: Path = typer.Option(..., "-o", "--out", help="Where to write merges.txt.")) -> None:
    """Export the ordered merge list as HF merges.txt."""
    check_destination(out, reads=tokenizer_reads([tokenizer]))
    tok = load_tokenizer(tokenizer)
    text = tok.merges_txt()
    write_output(out, text)
    res = ExportResult(ref_of(tok), str(out), "merges.txt", text.count("\n") - 1)
    if State.json:
        emit_result(res)
    else:
        console.print(f"wrote {res.merges:,} merges of {tok.name} to {out}")


@app.command("export")
def export_cmd(tokenizer: str = typer.Argument(..., help="Zoo name or path."),
               out: Path = typer.Option(..., "-o", "--out", help="Where to write tokenizer.json.")) -> None:
    """Export the tokenizer (normalizer, pretokenizer, model) as a Hugging Face tokenizer.json."""
    check_destination(out, reads=tokenizer_reads([tokenizer]))
    tok = load_tokenizer(tokenizer)
    doc = tok.hf_json()
    if doc is None:
        raise InputError(f"tokenizer '{tok.name}' is a SentencePiece Unigram model; it has no tokenizer.json export")
    write_output(out, doc)
    if State.json:
        emit_result(ExportResult(ref_of(tok), str(out), "tokenizer.json"))
    else:
        console.print(f"wrote {tok.name} as tokenizer.json to {out}")
