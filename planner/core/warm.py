"""What a solved plan leaves for the next solve of an edited scenario (the app's re-solve).

Two uses, both exact:

- **A MIP start.** The previous plan, mapped column by column (by variable name and index)
  onto the new model, is a start for the new solve's stages when it still meets every row.
  A start only changes where HiGHS searches: the optimum and its proof are the new solve's.
- **A solve skipped.** When the edit only *tightened* the model (same columns, same matrix,
  same objectives, every row and column bound the same or narrower: a lower budget, a cap
  lowered, a floor raised; ``tightened``) and the previous plan still meets the new bounds,
  the previous plan is optimal for the new model within the same gaps. Why: the new
  feasible set is a subset of the old one, so the old proof's bound on the index still holds
  and the plan reaches it as before; the index level is the same, so the tie-break's
  feasible set is a subset of the old one and the old cost bound holds too. Only a plan
  proven optimal in both stages (``SolveOutcome.tie_break_status``) is reused.

Everything here is plain numpy and tuples so a ``Plan`` carrying it can be pickled (the
app's cache pickles plans).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.core.highs_backend import INF, HighsModel, SolveOutcome

#: Absolute slack (scaled by max(1, |bound|)) within which a previous plan still meets a
#: row or bound: HiGHS's MIP feasibility tolerance, so a plan HiGHS would accept as a start
#: is accepted here
FEASIBILITY_TOLERANCE = 1e-6


@dataclass(frozen=True)
class WarmStart:
    """The model a plan was solved on (as arrays) and the plan, for the next solve."""

    keys: tuple
    x: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    #: the objectives' coefficient arrays (``HighsModel.linear``) by name
    objectives: tuple
    #: the solve it records: objective name, tie-break on, MIP gap, tie-break gap
    settings: tuple
    outcome: SolveOutcome


def column_keys(h: HighsModel) -> tuple:
    """(variable name, index) of every HiGHS column: the same in two builds of one scenario."""
    return tuple((v.parent_component().name, v.index()) for v in h.columns)


def _base(h: HighsModel) -> tuple[np.ndarray, ...]:
    """Matrix and bounds of the model's own rows (not the extra rows of a tie-break or an
    ε constraint, which every solve sets itself)."""
    lp = h.h.getLp()
    n_rows = int(h.base_rows)
    start = np.asarray(lp.a_matrix_.start_, dtype=np.int64)
    index = np.asarray(lp.a_matrix_.index_, dtype=np.int64)
    value = np.asarray(lp.a_matrix_.value_, dtype=float)
    keep = index < n_rows
    col = np.repeat(np.arange(len(start) - 1), np.diff(start))
    counts = np.bincount(col[keep], minlength=len(start) - 1)
    base_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return (
        base_start,
        index[keep],
        value[keep],
        np.asarray(lp.row_lower_, dtype=float)[:n_rows],
        np.asarray(lp.row_upper_, dtype=float)[:n_rows],
        np.asarray(lp.col_lower_, dtype=float),
        np.asarray(lp.col_upper_, dtype=float),
    )


def record(
    h: HighsModel, names: dict[str, object], outcome: SolveOutcome, settings: tuple
) -> WarmStart | None:
    """The warm start a solved outcome leaves (None without a plan). ``names``: objective
    name -> its Pyomo expression (their coefficients must match for a solve to be skipped)."""
    if outcome.x is None or len(outcome.x) != len(h.columns):
        return None
    start, index, value, rlo, rup, clo, cup = _base(h)
    objectives = tuple(
        (name, *(np.asarray(a) for a in h.linear(expr)[:2]), h.linear(expr)[2])
        for name, expr in names.items()
    )
    return WarmStart(
        column_keys(h), np.array(outcome.x, dtype=float), start, index, value, rlo, rup,
        clo, cup, np.array(h.integer, dtype=bool), objectives, settings, outcome,
    )  # fmt: skip


def mapped(h: HighsModel, warm: WarmStart) -> np.ndarray | None:
    """The previous plan on the new model's columns (a column it lacks at its lower bound,
    or 0 when unbounded), or None when the two models share no column."""
    pos = {k: i for i, k in enumerate(warm.keys)}
    keys = column_keys(h)
    lp = h.h.getLp()
    lower = np.asarray(lp.col_lower_, dtype=float)
    x = np.where(np.isfinite(lower), lower, 0.0)
    found = 0
    for j, k in enumerate(keys):
        i = pos.get(k)
        if i is not None:
            x[j] = warm.x[i]
            found += 1
    return x if found else None


def meets_rows(h: HighsModel, x: np.ndarray) -> bool:
    """Whether ``x`` meets every row (the model's and any extra row), every column bound and
    integrality, within ``FEASIBILITY_TOLERANCE``."""
    lp = h.h.getLp()
    n = len(h.columns)
    if len(x) != n:
        return False
    start = np.asarray(lp.a_matrix_.start_, dtype=np.int64)
    index = np.asarray(lp.a_matrix_.index_, dtype=np.int64)
    value = np.asarray(lp.a_matrix_.value_, dtype=float)
    cols = np.repeat(np.arange(n), np.diff(start))
    activity = np.bincount(index, weights=value * x[cols], minlength=int(lp.num_row_))
    return _within(activity, lp.row_lower_, lp.row_upper_) and _within(
        x, lp.col_lower_, lp.col_upper_
    ) and bool(np.all(np.abs(x[h.integer] - np.rint(x[h.integer])) <= FEASIBILITY_TOLERANCE))  # fmt: skip


def _within(v: np.ndarray, lower, upper) -> bool:
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    tol_lo = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.abs(np.where(lower > -INF, lower, 0)))
    tol_up = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.abs(np.where(upper < INF, upper, 0)))
    return bool(np.all(v >= lower - tol_lo) and np.all(v <= upper + tol_up))


def tightened(h: HighsModel, names: dict[str, object], warm: WarmStart, settings: tuple) -> bool:
    """Whether the new model is the old one with bounds only kept or narrowed and rows that
    imply the old rows (so its plans are a subset of the old ones), and the solve asked for
    is the same or looser."""
    old_obj, old_tb, old_gap, old_tb_gap = warm.settings
    obj, tb, gap, tb_gap = settings
    if (obj, tb) != (old_obj, old_tb) or gap < old_gap or tb_gap < old_tb_gap:
        return False
    if column_keys(h) != warm.keys or not np.array_equal(h.integer, warm.integer):
        return False
    start, index, value, rlo, rup, clo, cup = _base(h)
    if len(rlo) != len(warm.row_lower) or not _rows_imply_old(start, index, value, clo, warm):
        return False
    for name, cols, coefs, const in warm.objectives:
        new = h.linear(names[name])
        if not (np.array_equal(new[0], cols) and np.array_equal(new[1], coefs)):
            return False
        if new[2] != const:
            return False
    return bool(
        np.all(rlo >= warm.row_lower)
        and np.all(rup <= warm.row_upper)
        and np.all(clo >= warm.col_lower)
        and np.all(cup <= warm.col_upper)
    )


def _entries(start: np.ndarray, index: np.ndarray, value: np.ndarray, n_rows: int):
    """(column·n_rows + row) keys, sorted, and values of a compressed-column matrix."""
    col = np.repeat(np.arange(len(start) - 1, dtype=np.int64), np.diff(start))
    key = col * n_rows + index
    order = np.argsort(key, kind="stable")
    return key[order], value[order]


def _rows_imply_old(
    start: np.ndarray, index: np.ndarray, value: np.ndarray, col_lower: np.ndarray, warm: WarmStart
) -> bool:
    """Whether every row whose coefficients changed still implies the old row, for x ≥ 0 on
    the changed columns: Σ a·x ≤ u needs a_new ≥ a_old (then Σ a_old·x ≤ Σ a_new·x ≤ u), and
    Σ a·x ≥ l needs a_new ≤ a_old. Why: a lower budget also lowers the big-M of the links
    n ≤ M·use (M = the modules the budget buys), a coefficient change that only tightens; at
    M = 0 the entry leaves the matrix (compared as a zero). Row bounds are compared
    separately (``tightened``)."""
    n_rows = max(len(warm.row_lower), 1)
    new_key, new_val = _entries(start, index, value, n_rows)
    old_key, old_val = _entries(warm.start, warm.index, warm.value, n_rows)
    keys = np.union1d(new_key, old_key)
    new = np.zeros(len(keys))
    old = np.zeros(len(keys))
    new[np.searchsorted(keys, new_key)] = new_val
    old[np.searchsorted(keys, old_key)] = old_val
    changed = np.flatnonzero(new != old)
    if not len(changed):
        return True
    col, row = keys[changed] // n_rows, keys[changed] % n_rows
    if np.any(col >= len(col_lower)) or np.any(col_lower[col] < 0):
        return False
    new, old = new[changed], old[changed]
    upper_ok = (warm.row_upper[row] >= INF) | (new >= old)
    lower_ok = (warm.row_lower[row] <= -INF) | (new <= old)
    return bool(np.all(upper_ok & lower_ok))
