"""The max-index face: what stage 1's LP duals say every plan of the cost tie-break meets.

The cost tie-break (``planner.core.solve``) minimises cost over the plans whose index is
within τ of stage 1's optimum z*. HiGHS sees that set only through one dense row
(``lexicographic``) and cannot presolve with it. LP duality describes it column by column.

For the LP relaxation  max c·x  s.t.  L ≤ Ax ≤ U,  l ≤ x ≤ u  with optimum x*, z_LP and
optimal duals (y, d), c = Aᵀy + d (HiGHS's convention), so for every x of the relaxation

    c·x − z_LP = Σ_j d_j (x_j − x*_j) + Σ_i y_i ((Ax)_i − (Ax*)_i).

Dual feasibility signs every term ≤ 0: a column at its lower bound has d_j ≤ 0, at its
upper d_j ≥ 0, strictly between d_j = 0 (rows alike). So each term is −|d_j|·dist_j(x),
the distance of x_j from the bound its dual prices (−|y_i|·slack_i(x) for a row), and
c·x ≥ z* − τ gives every such term ≤ δ = z_LP − z* + τ:

- an integer column with |d_j| > δ stays at its bound (a distance below 1 is 0);
- a continuous column stays within δ/|d_j| of its bound (a row within δ/|y_i|).

When stage 1 reached the LP bound (z* = z_LP, the LP support's proof), the max-index plans
are the LP's optimal face with integrality: every priced column and row sits *at* its
bound, exactly. The priced columns are then fixed, and τ only absorbs floating point. No
max-index plan is lost: a plan off the face scores below z_LP. What it buys: HiGHS's presolve
removes the fixed counted-compute columns of the options that cannot count and the rows
they leave empty (UK: 3,631 → ~1,700 rows), and the tie-break's search shrinks with them
(stage 2 alone in HiGHS, same run, 3-4 seeds, load 5-7: EU 1.95 → 0.52 s, UK 11.8 → 7.0,
France 1.43 → 0.56; the same optima; issue 27). Priced rows are not made equalities: that
was slower on EU (0.82 s with them) and on France, and the columns carry the face anyway.

A dual that breaks its sign by more than ``SIGN_TOLERANCE``, or a priced column strictly
inside its bounds, means the duals are not trustworthy: no face is returned. Duals that
break their sign by less widen δ by what they could add (range × violation), or, on an
unbounded range, also void the face; below ``DUST`` they are rounding and ignored. Only columns and rows priced above
``PRICE_THRESHOLD`` are touched: fixing on a dual of rounding size could cut off a cheaper
face plan; leaving one free never can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a dual of the wrong sign up to this size is rounding (HiGHS's dual feasibility tolerance)
SIGN_TOLERANCE = 1e-7
#: a wrong-signed dual at most this is floating-point dust (c − Aᵀy in double precision) and
#: ignored: over any distance a plan of these models moves (at most ~1e5: modules, EFLOP/s,
#: MUSD over the unbounded totals), it adds under 1e-7 to δ, a tenth of τ
DUST = 1e-12
#: columns and rows priced at or below this are left alone
PRICE_THRESHOLD = 1e-6
#: a column or row is at a bound when within this of it (HiGHS's primal tolerance)
AT_BOUND = 1e-7


@dataclass(frozen=True)
class LpDuals:
    """The LP relaxation's primal and dual solution, as HiGHS reported it."""

    x: np.ndarray
    objective: float
    maximise: bool
    col_dual: np.ndarray
    row_dual: np.ndarray
    row_value: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray


@dataclass(frozen=True)
class Face:
    """New bounds for some columns: the tie-break's plans all meet them."""

    cols: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    exact: bool


def _priced(
    value: np.ndarray, dual: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(at lower, at upper, what wrong-signed small duals could add to δ), with duals in
    maximisation signs; None when a dual breaks its sign or a priced entry sits inside."""
    with np.errstate(invalid="ignore"):  # inf - inf on infinite bounds: not at them
        at_lo = np.isfinite(lower) & (
            np.abs(value - lower) <= AT_BOUND * np.maximum(1.0, np.abs(lower))
        )
        at_up = np.isfinite(upper) & (
            np.abs(value - upper) <= AT_BOUND * np.maximum(1.0, np.abs(upper))
        )
    at_up &= ~at_lo  # fixed entries count as at lower; their dual may have either sign
    inside = ~at_lo & ~at_up
    wrong = np.where(at_lo & (lower < upper), np.maximum(dual, 0.0), 0.0)
    wrong += np.where(at_up, np.maximum(-dual, 0.0), 0.0)
    wrong += np.where(inside, np.abs(dual), 0.0)
    if (wrong > SIGN_TOLERANCE).any():
        return None
    spread = upper - lower
    bad = wrong > DUST
    if bad.any() and not np.isfinite(spread[bad]).all():
        return None
    noise = float(np.sum(wrong[bad] * spread[bad])) if bad.any() else 0.0
    return at_lo & (lower < upper), at_up, noise


def max_index_face(
    lp: LpDuals, reached: float, tolerance: float, integer: np.ndarray
) -> Face | None:
    """The column bounds every plan with objective ≥ ``reached`` − ``tolerance`` meets
    (module doc).

    ``reached``: stage 1's objective z*; ``integer``: which columns are integer (columns
    added to the model after the LP are beyond the duals and left alone). Exact (every
    priced column fixed at its bound) when z* reaches the LP bound to 1e-9 (relative);
    otherwise only what δ = z_LP − z* + τ proves. None when the duals cannot be trusted
    (module doc) or no column moves. Rows are checked, not narrowed (module doc)."""
    sign = 1.0 if lp.maximise else -1.0
    integer = np.asarray(integer, dtype=bool)[: len(lp.x)]
    d = sign * lp.col_dual
    cols = _priced(lp.x, d, lp.col_lower, lp.col_upper)
    rows = _priced(lp.row_value, sign * lp.row_dual, lp.row_lower, lp.row_upper)
    if cols is None or rows is None:
        return None
    at_lo, at_up, noise = cols
    noise += rows[2]
    shortfall = sign * (lp.objective - reached)
    exact = shortfall <= 1e-9 * max(1.0, abs(lp.objective)) and noise == 0.0
    delta = max(shortfall, 0.0) + tolerance + noise

    price = np.abs(d)
    priced = price > PRICE_THRESHOLD
    if exact:
        reach = np.where(priced, 0.0, np.inf)
    else:
        reach = np.where(priced, delta / np.where(priced, price, 1.0), np.inf)
        reach = np.where(integer, np.floor(reach + 1e-9), reach)  # integers move in steps of 1
    lower, upper = lp.col_lower, lp.col_upper
    with np.errstate(invalid="ignore"):  # inf - inf: an unpriced infinite bound stays
        new_lo = np.where(at_up, np.maximum(lower, upper - reach), lower)
        new_up = np.where(at_lo, np.minimum(upper, lower + reach), upper)
    idx = np.flatnonzero((new_lo > lower) | (new_up < upper)).astype(np.int32)
    if len(idx) == 0:
        return None
    return Face(idx, new_lo[idx], new_up[idx], exact)
