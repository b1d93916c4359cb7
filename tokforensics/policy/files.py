"""Writing output files: atomically (nothing half-written is left behind) and with one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

from ..cache import atomic_writer
from ..errors import InputError


def write_text(path: Path, text: str, what: str) -> None:
    """Write `text` to `path` through a temporary file and a rename. `what` names the option, for messages."""
    if path.is_dir():
        raise InputError(f"{path} is a directory; give a file path for {what}")
    try:
        with atomic_writer(path, "w") as f:
            f.write(text)
            os.fchmod(f.fileno(), 0o666 & ~_umask())  # the temporary file is private (0600); outputs are not
    except PermissionError:
        raise InputError(f"{path}: permission denied; choose another path for {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
