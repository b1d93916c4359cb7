"""Where per-category work runs: in this process, in a local process pool, or on a Dask cluster.

The interface is one method, `map(fn, items)` yielding results in input order: `fn` must be a module-level
function and items plain picklable data (numpy arrays, ints, strings, paths). Counting jobs name byte ranges of
files, never text, so on a cluster the workers read the files themselves.
"""

from __future__ import annotations

import ctypes
import os
import re
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
    worker holds a category's words and index). The pool outlives one `map`, so hashing, counting and replay
    share one start-up of the workers (each imports numpy, the tokenizer libraries and the Numba kernel).
    """

    def __init__(self, workers: int | None = None):
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = min(workers or 8, usable_cores())
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn, items):
        items = list(items)
        if min(self.workers, len(items)) <= 1:
            yield from SerialExecutor().map(fn, items)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_die_with_parent)
        ok = False
        try:
            yield from self._pool.map(fn, items)
            ok = True
        finally:
            if not ok:  # an error or an abandoned map: do not leave work running behind the caller
                self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    # idle workers still hold their imports and freed-but-kept heap (hundreds of MB): the LP does not need them
    release = close

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 -- interpreter shutdown: nothing left to tell
            pass


def default_executor(workers: int | None = None) -> Executor:
    return LocalPoolExecutor(workers)


class DaskExecutor:
    """Jobs as tasks of a `distributed.Client`; results gathered in input order."""

    def __init__(self, client):
        self.client = client

    def map(self, fn, items):
        items = list(items)
        if not items:
            return
        # pure=False: two jobs with equal arguments are still two jobs (their results are consumed twice)
        futures = self.client.map(fn, items, pure=False)
        try:
            for f in futures:
                yield f.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()


def as_executor(obj) -> Executor:
    """An Executor as given, or a `distributed.Client` wrapped as one (so a Python caller can pass a client)."""
    if hasattr(obj, "submit") and hasattr(obj, "gather") and hasattr(obj, "scheduler_info"):
        return DaskExecutor(obj)
    if not hasattr(obj, "map"):
        raise TypeError(f"executor must have a map(fn, items) method or be a distributed.Client, not {type(obj)!r}")
    return obj


# the comm schemes of dask.distributed; all but inproc name a HOST:PORT
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_HOST_PORT = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+):(\d{1,5})$")


def scheduler_address(address: str) -> str:
    """The address a Dask client should connect to, or a UsageError at once for one that is not an address.

    Dask takes a bare HOST:PORT as tcp; anything else reaches its connector, which fails only after its timeout.
    """
    from ..errors import UsageError

    hint = ("give the scheduler's tcp://HOST:PORT (or HOST:PORT; tls://, ws://, wss://, ucx:// and inproc:// "
            "addresses work too)")
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if scheme not in SCHEDULER_SCHEMES:
        raise UsageError(f"--scheduler {address!r}: unknown scheme {scheme}://; {hint}")
    if scheme == "inproc":
        if not rest:
            raise UsageError(f"--scheduler {address!r}: inproc:// needs the scheduler's name; {hint}")
        return f"inproc://{rest}"
    m = _HOST_PORT.match(rest)
    if m is None or not 1 <= int(m.group(1)) <= 65535:
        raise UsageError(f"--scheduler {address!r} is not a Dask scheduler address; {hint}")
    return f"{scheme}://{rest}"


def _client(address: str, timeout: float):
    """A connected `distributed.Client`; one that fails to connect is shut down here, not left to `__del__`.

    A half-started client's finaliser waits twice the timeout for a loop that will never answer and then prints
    an "Exception ignored" traceback at exit.
    """
    from distributed import Client

    class _Client(Client):
        def __init__(self, *args, **kwargs):
            try:
                super().__init__(*args, **kwargs)
            except BaseException:
                self.status = "closed"  # close() and __del__ return at once for a closed client
                try:
                    self._loop_runner.stop()
                except Exception:  # noqa: BLE001 -- the client is being abandoned; the error raised next matters
                    pass
                raise

    return _Client(address, timeout=timeout, set_as_default=False)


def dask_executor(address: str, timeout: float = 20.0) -> DaskExecutor:
    """Connect to a running Dask scheduler (tcp://HOST:PORT); errors are one-line UsageErrors."""
    from ..errors import UsageError

    target = scheduler_address(address)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError('--scheduler needs Dask: pip install "tokforensics[dist]" (adds dask[distributed])') from None
    try:
        client = _client(target, timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address} ({exc}); start it with "
                         "`dask scheduler` and give its tcp://HOST:PORT") from None
    return DaskExecutor(client)
