"""The one progress callback type of the library.

Long work takes `progress: Progress | None` and calls it as `progress(stage, done, total)`: `stage` names
what is being done ("load", "encode gpt2", "replay"), `done` of `total` units are finished (`total` 0 when
unknown). A stage may carry a detail after ": " ("solve: round 3, 90,000 rows, ..."): it replaces that stage's
previous detail rather than naming a new stage. The library never prints; the CLI turns the calls into a rich
status line or progress bar on stderr.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def stage_only(progress: Progress | None) -> Callable[[str], None] | None:
    """Adapt a `Progress` to a library function that reports only what it is doing (a message per step)."""
    if progress is None:
        return None
    return lambda what: progress(what, 0, 0)


__all__ = ["Progress", "stage_only"]
