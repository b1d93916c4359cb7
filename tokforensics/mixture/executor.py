"""Where per-category work runs: in this process, or in a local process pool.

The interface is one method, `map(fn, items)`, so a distributed engine can be plugged in later: `fn`
must be a module-level function and items plain picklable data (numpy arrays, ints, strings).
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...


class SerialExecutor:
    def map(self, fn, items):
        for item in items:
            yield fn(item)


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _die_with_parent() -> None:
    """Pool initializer: a worker gets SIGKILL when the process that started it dies (Linux prctl), so a killed
    `tok` never leaves replay workers holding hundreds of MB each."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


class LocalPoolExecutor:
    """A process pool; results come back in input order.

    It never starts more processes than there are usable cores or items: more only thrash memory (each replay
    worker holds a category's words and index).
    """

    def __init__(self, workers: int | None = None):
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = min(workers or 8, usable_cores())

    def map(self, fn, items):
        items = list(items)
        workers = min(self.workers, len(items))
        if workers <= 1:
            yield from SerialExecutor().map(fn, items)
            return
        with ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent) as pool:
            yield from pool.map(fn, items)


def default_executor(workers: int | None = None) -> Executor:
    return LocalPoolExecutor(workers)
