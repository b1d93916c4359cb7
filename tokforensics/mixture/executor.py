"""Where per-category work runs: in this process, or in a local process pool.

The interface is one method, `map(fn, items)`, so a distributed engine can be plugged in later: `fn`
must be a module-level function and items plain picklable data (numpy arrays, ints, strings).
"""

from __future__ import annotations

import os
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


class LocalPoolExecutor:
    """A process pool; results come back in input order."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(1, min(os.cpu_count() or 1, 8))

    def map(self, fn, items):
        items = list(items)
        if self.workers <= 1 or len(items) <= 1:
            yield from SerialExecutor().map(fn, items)
            return
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            yield from pool.map(fn, items)


def default_executor(workers: int | None = None) -> Executor:
    return LocalPoolExecutor(workers)
