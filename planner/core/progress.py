"""Progress of long studies, counted in MIP solves, for a bar with an estimate.

Why counted here: every study (Pareto, alternatives, sweeps) is a sequence of HiGHS solves
on ``HighsModel``, so ``HighsModel.solve`` reporting each finished solve gives any study a
progress count without the study itself knowing about bars. The total is the caller's
estimate (e.g. 2n − 1 solves for n alternatives); a study that needs fewer solves (Pareto
bypasses grid points) simply finishes early and the bar jumps to done.

Solves in spawned worker processes (Pareto's ``--workers``) are counted through a small
tick file named in an environment variable the workers inherit; the parent polls it.

    with track(total=9, callback=lambda done, total: print(done, total)):
        alternatives(...)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

#: ``callback(done, total)``: called from a background thread as solves finish (tqdm-style:
#: ``bar = tqdm(total=...)`` then ``lambda d, t: bar.update(d - bar.n)``)
ProgressCallback = Callable[[int, int], None]

#: environment variable naming the tick file worker processes append to
TICK_FILE_ENV = "SOVPLAN_PROGRESS_FILE"
#: how often the parent reads the tick file (seconds)
POLL_S = 0.5


@dataclass
class _Tracker:
    total: int
    callback: ProgressCallback
    path: str
    local: int = 0
    last: int = -1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def done(self) -> int:
        try:
            remote = os.path.getsize(self.path)
        except OSError:
            remote = 0
        return self.local + remote

    def notify(self, final: bool = False) -> None:
        with self.lock:
            done = self.done()
            total = max(self.total, done)
            if final:
                done = total
            if done != self.last:
                self.last = done
                self.callback(done, total)


_current: ContextVar[_Tracker | None] = ContextVar("sovplan_progress", default=None)


def solve_finished() -> None:
    """Called by ``HighsModel.solve`` after each solve: counts it for the tracker of this
    process, or appends a tick to the parent's file in a worker process."""
    tracker = _current.get()
    if tracker is not None:
        tracker.local += 1
        tracker.notify()
        return
    path = os.environ.get(TICK_FILE_ENV)
    if path:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, b".")
            finally:
                os.close(fd)


@contextlib.contextmanager
def track(total: int, callback: ProgressCallback | None) -> Iterator[None]:
    """Count the solves run inside the block (here and in workers spawned inside it) and
    report ``callback(done, total)``; a None callback tracks nothing."""
    if callback is None:
        yield
        return
    fd, path = tempfile.mkstemp(prefix="sovplan-progress-")
    os.close(fd)
    tracker = _Tracker(max(int(total), 1), callback, path)
    token = _current.set(tracker)
    previous = os.environ.get(TICK_FILE_ENV)
    os.environ[TICK_FILE_ENV] = path
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(POLL_S):
            tracker.notify()

    thread = threading.Thread(target=poll, name="sovplan-progress", daemon=True)
    thread.start()
    tracker.notify()
    ok = False
    try:
        yield
        ok = True
    finally:
        stop.set()
        thread.join(timeout=2 * POLL_S)
        if ok:
            tracker.notify(final=True)
        _current.reset(token)
        if previous is None:
            os.environ.pop(TICK_FILE_ENV, None)
        else:
            os.environ[TICK_FILE_ENV] = previous
        with contextlib.suppress(OSError):
            os.unlink(path)


def rich_progress(label: str, middle: str, *, transient: bool) -> Progress:
    """A rich ``Progress`` on stderr laid out as label, bar, done/total, ``middle``, elapsed
    and ETA: the one layout every long-running command shows, so a solve count and a sweep
    read alike. ``middle`` is a rich text template (it may name task fields)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(middle),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=transient,
    )


def rich_bar(label: str) -> tuple[ProgressCallback, Callable[[], None]]:
    """A rich progress bar on stderr (solves done of the estimate, elapsed, ETA): returns
    its callback and the function that closes it."""
    bar = rich_progress(label, "solves", transient=True)
    task = bar.add_task(label, total=None)
    bar.start()

    def callback(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return callback, bar.stop
