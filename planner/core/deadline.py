"""One wall-clock deadline per command, and the signals that stop work early.

Why a module of its own: a time limit the user gives (``--time-limit``, ``solve(...,
time_limit=)``) bounds the whole command (load, build, solve, tie-break, diagnosis,
results), not only HiGHS's own clock, which starts late and can overrun. Every phase asks
:func:`remaining` how much is left; HiGHS is cancelled through its interrupt callback when
the deadline passes (``planner.core.highs_backend``); phases that cannot poll (the Pyomo
build) run inside :func:`hard_phase`, where a SIGALRM at the deadline raises
:class:`TimeLimitReached`. Scopes nest: an inner scope can only shorten the deadline.

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

#: the deadline (time.monotonic) of the current scope, or None without a time limit
_END: float | None = None
#: what the current hard phase is doing (None outside hard phases)
_HARD: str | None = None
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


def remaining() -> float | None:
    """Seconds left before the deadline (may be negative), or None without one."""
    return None if _END is None else _END - time.monotonic()


def expired() -> bool:
    """True once the deadline has passed."""
    return _END is not None and time.monotonic() >= _END


def cap(limit: float | None) -> float | None:
    """``limit`` shortened to what is left of the deadline (None = no limit at all)."""
    left = remaining()
    if left is None:
        return limit
    left = max(left, 0.0)
    return left if limit is None else min(limit, left)


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
    if _HARD is not None and expired():
        raise TimeLimitReached(f"the time limit ran out while {_HARD}")


def _arm() -> None:
    """Schedule SIGALRM at the current deadline (main thread only; signals need it)."""
    if not _main_thread() or not hasattr(signal, "setitimer"):
        return
    if _END is None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    signal.signal(signal.SIGALRM, _on_alarm)
    # a deadline past what the timer holds (``--time-limit 1e308``) alarms at the timer's
    # limit instead; the alarm only stops work once the deadline has really passed
    signal.setitimer(signal.ITIMER_REAL, min(max(_END - time.monotonic(), 0.001), _MAX_TIMER_S))


@contextmanager
def scope(seconds: float | None) -> Iterator[None]:
    """Run the block under a deadline ``seconds`` from now (nested: the earlier one wins)."""
    global _END
    previous = _END
    try:
        if seconds is not None:
            end = time.monotonic() + float(seconds)
            _END = end if previous is None else min(previous, end)
            _arm()
        yield
    finally:
        if seconds is not None:
            _END = previous
            _arm()


@contextmanager
def hard_phase(what: str) -> Iterator[None]:
    """A phase that cannot poll the deadline: SIGALRM at the deadline stops it."""
    global _HARD
    if expired():
        raise TimeLimitReached(f"the time limit ran out before {what}")
    previous = _HARD
    _HARD = what
    try:
        yield
    finally:
        _HARD = previous


def _on_term(signum: int, frame: object) -> None:
    raise Terminated(f"terminated by signal {signum}")


def install_signal_handlers() -> None:
    """SIGTERM raises :class:`Terminated` (SIGINT already raises KeyboardInterrupt)."""
    if _main_thread():
        signal.signal(signal.SIGTERM, _on_term)
        signal.signal(signal.SIGINT, signal.default_int_handler)
