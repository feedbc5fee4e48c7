"""Errors the planner raises on purpose; the CLI maps them to exit codes.

``InputError`` (exit 2) means the user's input is wrong and says where and why;
``SolveError`` means the solver could not produce an answer for a reason other than the
model being infeasible (which is a result, not an error).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PlannerError(Exception):
    """Base class of every error the planner raises deliberately."""

    exit_code = 1


class InputError(PlannerError, ValueError):
    """Bad input: a file, field or value the user can fix. The message names it."""

    exit_code = 2


class SolveError(PlannerError):
    """The solver failed (not infeasibility, which is reported on the Plan)."""

    exit_code = 1


def nearest(code: str, known: Iterable[object], n: int = 3) -> str:
    """' (nearest: A, B)' naming the valid codes closest to a mistyped one (case-insensitive,
    difflib's ratio), or '' when none is close: every "unknown code" message ends with it."""
    pool = sorted({str(k) for k in known})
    upper = {k.upper(): k for k in pool}
    hits = difflib.get_close_matches(str(code).upper(), list(upper), n=n, cutoff=0.4)
    return f" (nearest: {', '.join(upper[h] for h in hits)})" if hits else ""
