"""Keep C libraries' own prints off our stdout.

Some native libraries write to file descriptor 1 directly (highspy 1.16 prints a banner when a ``Highs()``
object is constructed, before any option can turn it off). Python-level redirection does not see those
writes, so the guard swaps the descriptor itself. Under ``--json`` stdout must carry one JSON document only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Discard writes to fd 1 made inside the block, by Python or C code (banners, not results)."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all (closed stdout): nothing to protect
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
