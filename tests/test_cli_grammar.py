"""Issue #12: one CLI grammar across commands."""

from __future__ import annotations

import ast
from pathlib import Path

from tokforensics.cli.app import build_command

CLI = Path(__file__).resolve().parents[1] / "tokforensics" / "cli"


def _commands(cmd, path=("tok",)):
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_a_short_flag_has_one_meaning():
    meaning: dict[str, set[str]] = {}
    for _, cmd in _commands(build_command()):
        for p in getattr(cmd, "params", []):
            opts = [*p.opts, *getattr(p, "secondary_opts", [])]
            longs = sorted(o for o in opts if o.startswith("--"))
            for o in opts:
                if len(o) == 2 and o.startswith("-"):
                    meaning.setdefault(o, set()).add(longs[0] if longs else p.name)
    assert {k: v for k, v in meaning.items() if len(v) > 1} == {}
    assert meaning["-c"] == {"--config"} and meaning["-m"] == {"--model"} and meaning["-o"] == {"--out"}


def test_tokenizer_is_positional_and_langs_and_ref_are_shared():
    cmds = {" ".join(path[1:]): cmd for path, cmd in _commands(build_command())}
    for name in ("check", "baseline", "inspect", "encode", "metrics", "compare", "report", "arith", "infer-mixture"):
        first = cmds[name].params[0]
        assert first.param_type_name == "argument" and first.name in ("tokenizer", "tokenizers"), name
        assert not any("--tokenizer" in p.opts for p in cmds[name].params), name
    for name in ("metrics", "compare", "report"):
        assert any("--langs" in p.opts for p in cmds[name].params), name
    refs = {name: next(p.default for p in cmds[name].params if "--ref" in p.opts) for name in ("compare", "report")}
    from tokforensics.cli.common import DEFAULT_REF
    from tokforensics.metrics.run import DEFAULT_REF as LIBRARY_REF

    assert set(refs.values()) == {DEFAULT_REF} == {LIBRARY_REF}


def test_command_modules_own_their_typer():
    """Each command module defines `app = typer.Typer()`; only app.py adds them, and nothing imports by string."""
    for f in CLI.glob("*.py"):
        tree = ast.parse(f.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "app" and node.level == 1:
                assert "app" not in {a.name for a in node.names}, f"{f.name} adds commands to the top-level app"
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
                raise AssertionError(f"{f.name} imports a module by string")
    for name in ("tokenizers", "mixture", "metrics", "arith", "bytes", "check", "report"):
        text = (CLI / f"{name}.py").read_text("utf-8")
        assert "\napp = typer.Typer(" in text, name
