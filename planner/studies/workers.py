"""Local worker processes shared by the batch studies (sweep, Pareto).

Why a module of its own: every study that fans solves out to processes needs the same three
guarantees, and getting them wrong leaves orphans or re-runs the user's script:
- workers are *spawned* (never forked: HiGHS runs threads) and start from this module, not
  from the user's ``__main__`` (``WorkerContext``);
- a worker dies with its parent, even on ``kill -9`` of the parent (``die_with_parent``);
- Ctrl-C is the parent's business: workers ignore it and the parent stops them
  (``stop_pool``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG).

    Why: a pool worker whose parent is killed (``kill -9``, an OOM kill, SLURM) would
    otherwise be re-parented to PID 1 and run on. Elsewhere this is a no-op; the parent's
    own clean-up still stops its workers on Ctrl-C and SIGTERM.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def become_worker(parent: int | None) -> None:
    """What every pool initializer does first: die with the parent, leave Ctrl-C to it."""
    if parent is not None:
        die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _main_hidden() -> Any:
    """Hide ``__main__`` while a worker is spawned, so the worker does not re-run it.

    Why: a spawned worker normally re-imports the parent's main script; a plain script
    that calls ``sweep(..., workers=2)`` without an ``if __name__ == "__main__":`` guard
    would then start a sweep inside every worker, which fails. The workers need nothing
    from ``__main__`` (they run functions of the planner's modules), so they start from
    this module instead.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned process that starts from this module, never from the user's script."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        with _main_hidden():
            return multiprocessing.context.SpawnProcess._Popen(process_obj)


class WorkerContext(multiprocessing.context.SpawnContext):
    """The multiprocessing context of every planner pool (see the module docstring)."""

    Process = _WorkerProcess


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once (Ctrl-C or a failure in the parent): cancel what has not started
    and terminate the workers, whatever they are solving."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
