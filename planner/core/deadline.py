"""One wall-clock deadline per command, and the signals that stop work early.

Why a module of its own: a time limit the user gives (``--time-limit``, ``solve(...,
time_limit=)``) bounds the whole command (load, build, solve, tie-break, diagnosis,
results), not only HiGHS's own clock, which starts late and can overrun. Every phase asks
:func:`remaining` how much is left; HiGHS is cancelled through its interrupt callback when
the deadline passes (``planner.core.highs_backend``); phases that cannot poll (the Pyomo
build) run inside :func:`hard_phase`, where a SIGALRM at the deadline raises
:class:`TimeLimitReached`. Scopes nest: an inner scope can only shorten the deadline.

Threads: the deadline, the hard phase and the cancel event are per thread, so the web app's
sessions (each solving in its own thread) never see each other's limits, and
:func:`cancellable` lets another thread stop a solve: once its event is set the thread's
deadline counts as passed (HiGHS is cancelled within its 50 ms poll, and every later phase
finds no time left).

Signals: SIGTERM (what SLURM and ``timeout`` send) raises :class:`Terminated`, a
``KeyboardInterrupt`` (exit 143), so every path that stops cleanly on Ctrl-C (exit 130) stops
the same way on SIGTERM.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from planner.core.errors import InputError, PlannerError


class _State(threading.local):
    """Per thread: ``end``, the deadline (time.monotonic) of the current scope or None
    without a time limit; ``hard``, what the current hard phase is doing (None outside
    one); ``cancel``, an event another thread sets to stop this one's work (None: none)."""

    end: float | None = None
    hard: str | None = None
    cancel: threading.Event | None = None


_STATE = _State()
#: the longest SIGALRM delay armed at once (~3 years; setitimer overflows near 2**31 s)
_MAX_TIMER_S = 1e8


class TimeLimitReached(PlannerError):
    """The time limit ran out in a phase that has no partial result (e.g. the build)."""

    exit_code = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop like Ctrl-C, but exit 143 (128 + 15) as the convention says."""

    exit_code = 143


def exit_code_of(exc: BaseException) -> int:
    """130 for Ctrl-C, 143 for SIGTERM."""
    return int(getattr(exc, "exit_code", 130)) if isinstance(exc, KeyboardInterrupt) else 1


def check_time_limit(value: float | None, name: str = "--time-limit") -> float | None:
    """A time limit is None (none) or a finite number of seconds above zero."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} {value!r}: not a number of seconds") from None
    if isinstance(value, bool) or not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} {value}: must be a finite number of seconds above 0")
    return v


def cancelled() -> bool:
    """True once another thread has cancelled this thread's work (:func:`cancellable`)."""
    event = _STATE.cancel
    return event is not None and event.is_set()


def remaining() -> float | None:
    """Seconds left before the deadline (may be negative; 0 once cancelled), or None
    without one."""
    if cancelled():
        return 0.0
    return None if _STATE.end is None else _STATE.end - time.monotonic()


def expired() -> bool:
    """True once the deadline has passed or the work was cancelled."""
    return cancelled() or (_STATE.end is not None and time.monotonic() >= _STATE.end)


def cap(limit: float | None) -> float | None:
    """``limit`` shortened to what is left of the deadline (None = no limit at all)."""
    left = remaining()
    if left is None:
        return limit
    left = max(left, 0.0)
    return left if limit is None else min(limit, left)


def wall_end() -> float | None:
    """The deadline as wall-clock time (``time.time()``), to hand to another process."""
    left = remaining()
    return None if left is None else time.time() + left


def adopt(end: float | None) -> None:
    """Take on another process's deadline (a ``wall_end`` value) for the rest of this one:
    what a worker process of a study calls first, so the study's time limit binds its solves
    too. None leaves the process without a deadline."""
    _STATE.end = None if end is None else time.monotonic() + (float(end) - time.time())


def share(parts: int) -> float | None:
    """An equal part of what is left of the deadline for each of ``parts`` pieces of work
    still to run (None without a deadline).

    Why: a study's ``--time-limit`` bounds the whole command, so each of its solves takes
    its part of what is left rather than the whole; time a solve does not use passes on to
    the later ones, since each share is taken when that solve starts."""
    left = remaining()
    return None if left is None else max(left, 0.0) / max(int(parts), 1)


def lesser(*limits: float | None) -> float | None:
    """The smallest of the limits given (None = no limit; None if all are None)."""
    given = [float(v) for v in limits if v is not None]
    return min(given) if given else None


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: object) -> None:
    if _STATE.hard is not None and expired():
        raise TimeLimitReached(f"the time limit ran out while {_STATE.hard}")


def _arm() -> None:
    """Schedule SIGALRM at the current deadline (main thread only; signals need it)."""
    if not _main_thread() or not hasattr(signal, "setitimer"):
        return
    end = _STATE.end
    if end is None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    signal.signal(signal.SIGALRM, _on_alarm)
    # a deadline past what the timer holds (``--time-limit 1e308``) alarms at the timer's
    # limit instead; the alarm only stops work once the deadline has really passed
    signal.setitimer(signal.ITIMER_REAL, min(max(end - time.monotonic(), 0.001), _MAX_TIMER_S))


@contextmanager
def scope(seconds: float | None) -> Iterator[None]:
    """Run the block under a deadline ``seconds`` from now (nested: the earlier one wins)."""
    previous = _STATE.end
    try:
        if seconds is not None:
            end = time.monotonic() + float(seconds)
            _STATE.end = end if previous is None else min(previous, end)
            _arm()
        yield
    finally:
        if seconds is not None:
            _STATE.end = previous
            _arm()


@contextmanager
def hard_phase(what: str) -> Iterator[None]:
    """A phase that cannot poll the deadline: SIGALRM at the deadline stops it."""
    if expired():
        raise TimeLimitReached(f"the time limit ran out before {what}")
    previous = _STATE.hard
    _STATE.hard = what
    try:
        yield
    finally:
        _STATE.hard = previous


@contextmanager
def cancellable(event: threading.Event) -> Iterator[None]:
    """Run the block so that setting ``event`` (from any thread) stops it like a deadline:
    HiGHS is cancelled at its next poll and every later phase finds no time left. What the
    web app uses to stop a session's solve when the session reruns or goes away."""
    previous = _STATE.cancel
    _STATE.cancel = event
    try:
        yield
    finally:
        _STATE.cancel = previous


def _on_term(signum: int, frame: object) -> None:
    raise Terminated(f"terminated by signal {signum}")


def install_signal_handlers() -> None:
    """SIGTERM raises :class:`Terminated` (SIGINT already raises KeyboardInterrupt)."""
    if _main_thread():
        signal.signal(signal.SIGTERM, _on_term)
        signal.signal(signal.SIGINT, signal.default_int_handler)
