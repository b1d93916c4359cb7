"""Writing policy, golden, JUnit and report files: the shared output-file rules (see `tokforensics.outputs`)."""

from __future__ import annotations

from pathlib import Path

from ..outputs import check_destination, write_output

__all__ = ["check_destination", "write_text"]


def write_text(path: Path, text: str, what: str) -> None:
    """Write `text` to `path` through a temporary file and a rename. `what` names the option, for messages."""
    write_output(path, text, what)
