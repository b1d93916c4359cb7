"""`tok bytes next|score|complete|ensemble`: exact byte-level probabilities next to token-level prompting."""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from ..corpus.textio import read_input_bytes
from ..errors import InputError, UsageError
from ..tokenizer.display import marked
from .common import MAX_SEED
from .render import State, console, emit_result, err_console, table

app = typer.Typer()  # this module's commands; tokforensics.cli.app adds it with add_typer

bytes_app = typer.Typer(help="Exact byte-level probabilities from a token-level model (prompts may end mid-token).",
                        no_args_is_help=True)
app.add_typer(bytes_app, name="bytes")

MODEL_HELP = "Model: 'smollm2' (default), a transformers model folder, a .gguf file, or tiny:<tokenizer> (random)."


@functools.lru_cache(maxsize=4)
def _engine(spec: str | None, device: str | None):
    """The byte-level engine over a loaded model (kept for the process: tests and notebooks call repeatedly)."""
    from ..bytelevel.engine import ByteLevelLM
    from ..lm import load_model

    if State.json or State.quiet:
        return ByteLevelLM(load_model(spec, device=device))
    with err_console.status(f"loading model {spec or 'smollm2'} …"):
        return ByteLevelLM(load_model(spec, device=device))


def _prompt(text: str | None, file: Path | None) -> str:
    if file is not None:
        if text is not None:
            raise UsageError("give the prompt as an argument or with --file, not both")
        data = _read(file)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{file}: not valid UTF-8 (byte {exc.start}: {exc.reason}); convert it to UTF-8, e.g. with iconv") from None
    if text is None:
        raise UsageError("give a prompt (or --file)")
    return text


def _read(file: Path) -> bytes:
    return read_input_bytes(file)


@bytes_app.command("next")
def next_cmd(
    prompt: str = typer.Argument(None, help="Prompt text (may end in the middle of a token)."),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    file: Path = typer.Option(None, "--file", help="Read the prompt from a UTF-8 file instead."),
    top: int = typer.Option(10, "--top", "-k", min=1, max=257, help="How many bytes to list (1..257)."),
    device: str = typer.Option(None, help="cuda or cpu (default: CUDA when available)."),
) -> None:
    """Top next bytes after a prompt, exact under the model, beside naive token-level prompting."""
    from ..bytelevel.compare import next_bytes

    text = _prompt(prompt, file)
    if not text:
        raise InputError("the prompt is empty: give some text")
    res = next_bytes(_engine(model, device), text, k=top)
    if State.json:
        emit_result(res)
        return
    render_next(res)


def render_next(res) -> None:
    """The table of `tok bytes next` for a NextResult (or the same fields read back from its JSON)."""
    rows = []
    for i in range(max(len(res.byte_level), len(res.naive))):
        a = res.byte_level[i] if i < len(res.byte_level) else None
        b = res.naive[i] if i < len(res.naive) else None
        rows.append([i + 1, marked(a.shown) if a else None, a.prob if a else None,
                     marked(b.shown) if b else None, b.prob if b else None])
    console.print(table(
        f"tok bytes next — {res.model}", [("#", "right"), ("byte-level: next byte", "left"), ("P", "right"),
                                          ("naive tokens: first byte", "left"), ("P", "right")], rows,
        caption=(f"prompt tokens: {' | '.join(marked(t) for t in res.prompt_tokens)}\n"
                 f"byte level sums over {res.covers} valid tokenizations covering the prompt; "
                 f"non-canonical mass {res.leak:.2%}; log P(prompt) = {res.logprob:.2f}"),
    ))


@bytes_app.command("score")
def score_cmd(
    text: str = typer.Argument(None, help="The text to score (or --file)."),
    file: Path = typer.Option(None, "--file", help="Score a UTF-8 file instead."),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    eos: bool = typer.Option(False, "--eos", help="Score it as a whole text (end of text included)."),
    device: str = typer.Option(None, help="cuda or cpu (default: CUDA when available)."),
) -> None:
    """Exact byte-level log-probability and bits per byte of a text, beside the token-level figure."""
    from ..bytelevel.compare import score

    if file is not None and text is not None:
        raise UsageError("give the text as an argument or with --file, not both")
    if file is None and text is None:
        raise UsageError("give the text to score as an argument, or --file PATH")
    if file is not None:
        data = _read(file)
        if not data:
            raise InputError(f"{file}: the file is empty; give a file with text in it")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{file}: not valid UTF-8 (byte {exc.start}: {exc.reason}); convert it to UTF-8, e.g. with iconv") from None
        source, shown = str(file), file.name
    else:
        data = text.encode("utf-8")
        if not data:
            raise InputError("the text is empty: give some text")
        source, shown = "argument", marked(text if len(text) <= 24 else text[:23] + "…")
    res = score(_engine(model, device), data, source=source, end_of_text=eos)
    if State.json:
        emit_result(res)
        return
    rows = [
        ["byte level (exact, all tokenizations)", res.byte_logprob, res.byte_bits_per_byte],
        ["token level (canonical tokens only)", res.token_logprob, res.token_bits_per_byte],
    ]
    console.print(table(
        f"tok bytes score — {res.model} — {shown}", [("figure", "left"), ("log P (nats)", "right"),
                                                             ("bits per byte", "right")], rows,
        caption=(f"{res.n_bytes:,} bytes, {res.n_tokens:,} tokens; byte level gains {res.gain_bits:.3f} bits; "
                 f"{'whole text (end of text scored)' if res.end_of_text else 'as a prefix'}; "
                 f"{res.covers} covers at the end; {res.model_calls} model calls, {res.seconds:.1f} s"),
    ))


@bytes_app.command("complete")
def complete_cmd(
    prompt: str = typer.Argument(None, help="Prompt text (may end in the middle of a token)."),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    file: Path = typer.Option(None, "--file", help="Read the prompt from a UTF-8 file instead."),
    max_bytes: int = typer.Option(48, "--max-bytes", "-n", min=1, max=65_536, help="Bytes to generate (1..65,536)."),
    seed: int = typer.Option(None, "--seed", max=MAX_SEED, help="Sample with this seed (default: greedy)."),
    stop: str = typer.Option(None, "--stop", help="Stop after this string (e.g. a newline: $'\\n')."),
    device: str = typer.Option(None, help="cuda or cpu (default: CUDA when available)."),
) -> None:
    """Byte-level completion (greedy or seeded sampling), with token healing and naive completion beside it."""
    from ..bytelevel.compare import complete

    text = _prompt(prompt, file)
    if not text:
        raise InputError("the prompt is empty: give some text")
    res = complete(_engine(model, device), text, max_bytes=max_bytes, seed=seed,
                   stop=stop.encode("utf-8") if stop else None)
    if State.json:
        emit_result(res)
        return
    mode = "greedy" if seed is None else f"sampled, seed {seed}"
    rows = [[f"byte level ({mode})", marked(res.byte_level) + (" ⏎end" if res.byte_level_ended else "")],
            ["token healing (greedy)", marked(res.token_healing)], ["naive tokens (greedy)", marked(res.naive)]]
    console.print(table(f"tok bytes complete — {res.model}", [("method", "left"), (f"prompt: {marked(res.prompt)}", "left")],
                        rows, caption=f"up to {res.max_bytes} bytes; {res.seconds:.1f} s"))


@bytes_app.command("ensemble")
def ensemble_cmd(
    prompt: str = typer.Argument(None, help="Prompt text."),
    model: list[str] = typer.Option(None, "--model", "-m", help="A model (give --model twice). " + MODEL_HELP),
    weight: list[float] = typer.Option(None, "--weight", "-w", help="Mixture weight per model (default equal)."),
    file: Path = typer.Option(None, "--file", help="Read the prompt from a UTF-8 file instead."),
    max_bytes: int = typer.Option(32, "--max-bytes", "-n", min=1, max=65_536,
                                  help="Bytes to generate with the mixture (1..65,536)."),
    seed: int = typer.Option(None, "--seed", max=MAX_SEED, help="Sample with this seed (default: greedy)."),
    top: int = typer.Option(8, "--top", "-k", min=1, max=257, help="How many bytes to list (1..257)."),
    device: str = typer.Option(None, help="cuda or cpu (default: CUDA when available)."),
) -> None:
    """Byte-level mixture of models whose vocabularies differ: next bytes and a mixture completion."""
    from ..bytelevel.compare import ensemble

    models = list(model or [])
    if len(models) < 2:
        raise UsageError("ensemble needs at least two models: --model A --model B")
    if weight and len(weight) != len(models):
        raise UsageError(f"give one --weight per --model ({len(models)}), or none for equal weights")
    text = _prompt(prompt, file)
    if not text:
        raise InputError("the prompt is empty: give some text")
    engines = [_engine(m, device) for m in models]
    res = ensemble(engines, text, weights=list(weight or []), k=top, max_bytes=max_bytes, seed=seed)
    if State.json:
        emit_result(res)
        return
    cols = [("#", "right")]
    for name, w in zip(res.models, res.weights, strict=True):
        cols += [(f"{name} (w={w:.2f})", "left"), ("P", "right")]
    cols += [("mixture", "left"), ("P", "right")]
    rows = []
    for i in range(top):
        row: list = [i + 1]
        for lst in [*res.per_model, res.mixture]:
            bp = lst[i] if i < len(lst) else None
            row += [marked(bp.shown) if bp else None, bp.prob if bp else None]
        rows.append(row)
    console.print(table(f"tok bytes ensemble — next byte after {marked(res.prompt)!r}", cols, rows))
    comp = [["mixture", marked(res.completion)]] + [[m, marked(c)] for m, c in zip(res.models, res.per_model_completion,
                                                                                 strict=True)]
    console.print(table("byte-level completions" + ("" if seed is None else f" (seed {seed})"),
                        [("model", "left"), ("completion", "left")], comp))
