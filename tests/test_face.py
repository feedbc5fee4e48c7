"""Issue #27: the max-index face (``planner.core.face``) cuts off no max-index plan.

A hand-solved LP checks the derivation (which columns move, how far, exact or not, and when
the duals are not trusted); on tiny scenarios every max-index plan found without the face
lies inside it, and the optimum with and without it is the same, exactly.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
import pytest

import planner.core.solve as solve_mod
from planner.core.face import LpDuals, max_index_face
from planner.core.prepare import prepare
from tests.test_covers import CAPPED, capped_case
from tests.test_speed_formulation import _agree, optimum


def hand_lp(col_dual=(0.0, -0.5), x=(1.0, 0.0)) -> LpDuals:
    """max x1 + 0.5·x2  s.t.  x1 + x2 ≤ 1,  0 ≤ x ≤ 1: optimum x = (1, 0), z = 1; the row's
    dual is 1 and x2's reduced cost 0.5 − 1 = −0.5 (c = Aᵀy + d)."""
    return LpDuals(
        x=np.array(x),
        objective=1.0,
        maximise=True,
        col_dual=np.array(col_dual),
        row_dual=np.array([1.0]),
        row_value=np.array([sum(x)]),
        col_lower=np.zeros(2),
        col_upper=np.ones(2),
        row_lower=np.array([-np.inf]),
        row_upper=np.array([1.0]),
    )


def test_at_the_lp_bound_the_priced_column_is_fixed():
    face = max_index_face(hand_lp(), reached=1.0, tolerance=1e-6, integer=np.zeros(2, bool))
    assert face is not None and face.exact
    assert face.cols.tolist() == [1]  # x1 has reduced cost 0: it stays free
    assert face.col_lower.tolist() == [0.0] and face.col_upper.tolist() == [0.0]


def test_below_the_lp_bound_a_column_moves_by_delta_over_its_price():
    # z* = 0.9: x1 + 0.5·x2 ≥ 0.9 with x1 + x2 ≤ 1 allows x2 up to 0.2 = 0.1 / 0.5
    face = max_index_face(hand_lp(), reached=0.9, tolerance=0.0, integer=np.zeros(2, bool))
    assert face is not None and not face.exact
    assert face.col_upper.tolist() == pytest.approx([0.2])
    # an integer x2 cannot move 0.2: it stays at 0
    whole = max_index_face(hand_lp(), reached=0.9, tolerance=0.0, integer=np.ones(2, bool))
    assert whole is not None and whole.col_upper.tolist() == [0.0]
    # δ = 0.6 lets x2 reach 1 (its upper bound): nothing to narrow
    assert max_index_face(hand_lp(), reached=0.4, tolerance=0.0, integer=np.ones(2, bool)) is None


@pytest.mark.parametrize(
    "col_dual, x",
    [
        ((0.0, +0.5), (1.0, 0.0)),  # x2 at its lower bound priced upwards: not an optimum
        ((0.0, -0.5), (0.5, 0.5)),  # a priced column strictly inside its bounds
    ],
)
def test_duals_that_break_their_signs_give_no_face(col_dual, x):
    lp = hand_lp(col_dual, x)
    assert max_index_face(lp, reached=1.0, tolerance=1e-6, integer=np.zeros(2, bool)) is None


def test_rounding_size_sign_errors_widen_delta_and_end_exactness():
    lp = hand_lp(col_dual=(5e-8, -0.5), x=(0.0, 0.0))
    lp = LpDuals(**{**lp.__dict__, "row_dual": np.array([0.0])})
    # x1 sits at its lower bound priced +5e-8 (the wrong sign, rounding size) over a range
    # of 1: δ grows by 5e-8 and x2 (priced 0.5) may move 1e-7
    face = max_index_face(lp, reached=1.0, tolerance=0.0, integer=np.zeros(2, bool))
    assert face is not None and not face.exact
    assert face.col_upper.tolist() == pytest.approx([5e-8 / 0.5])


def _face_of(prep, out_first):
    """The face ``optimise`` holds in stage 2 for this model and stage 1 outcome."""
    h, m = prep.highs, prep.model
    h.set_objective(m.sovereignty.expr, pyo.maximize)
    lp = h.lp_relaxation()
    return max_index_face(
        lp.duals, out_first, solve_mod.LEXICOGRAPHIC_TOLERANCE, h.integer[: len(lp.x)]
    )


@pytest.mark.parametrize("limits", CAPPED)
@pytest.mark.parametrize("target", [2.0, 2.5])
def test_max_index_plans_found_without_the_face_lie_inside_it(monkeypatch, limits, target):
    """The face's claim, checked from outside: the cheapest max-index plan found with the
    face switched off meets every bound the face sets (to HiGHS's tolerance)."""
    sc = capped_case(limits, target=target)
    prep = prepare(sc)
    monkeypatch.setattr(solve_mod, "max_index_face", lambda *a, **k: None)
    out, stages = solve_mod.optimise(prep)
    assert out.x is not None
    face = _face_of(prep, stages[0].objective)
    if face is None:
        return
    x = out.x[face.cols]
    assert (x >= face.col_lower - 1e-6).all() and (x <= face.col_upper + 1e-6).all()


@pytest.mark.parametrize("limits", CAPPED)
@pytest.mark.parametrize("target", [2.0, 2.5, 3.3])
def test_tiny_optimum_unchanged_by_the_face(monkeypatch, limits, target):
    sc = capped_case(limits, target=target)
    now = optimum(sc)
    with monkeypatch.context() as mp:
        mp.setattr(solve_mod, "max_index_face", lambda *a, **k: None)
        without = optimum(sc)
    _agree(now, without, index_tol=1e-6, cost_rel=1e-9)


def test_the_face_is_let_go_when_the_solve_ends(monkeypatch):
    """Studies re-solve the same HiGHS model with other objectives: no bound may stay."""
    prep = prepare(capped_case({"max_share_provider": 0.5}))
    h = prep.highs
    before = h.h.getLp()
    calls = []
    real = solve_mod.max_index_face

    def spy(*args, **kwargs):
        face = real(*args, **kwargs)
        calls.append(face)
        return face

    monkeypatch.setattr(solve_mod, "max_index_face", spy)
    solve_mod.optimise(prep)
    assert calls and calls[0] is not None  # the case does narrow some columns
    after = h.h.getLp()
    n = before.num_col_
    assert np.array_equal(np.asarray(after.col_lower_)[:n], np.asarray(before.col_lower_))
    assert np.array_equal(np.asarray(after.col_upper_)[:n], np.asarray(before.col_upper_))


@pytest.mark.parametrize("limits", CAPPED)
@pytest.mark.parametrize("target", [2.5, 3.3])
def test_far_corners_of_the_max_index_plans_lie_inside_the_face(limits, target):
    """Outside check: random objectives pushed over the max-index plans (index held at stage
    1's optimum by the same row ``optimise`` uses, MIP solved exactly) reach plans in every
    direction; each must meet the face's bounds. A plan may stray by what the row's
    tolerance τ allows a column of price |d_j|: τ/|d_j|."""
    prep = prepare(capped_case(limits, target=target))
    h, m = prep.highs, prep.model
    h.set_objective(m.sovereignty.expr, pyo.maximize)
    lp = h.lp_relaxation()
    first = h.solve(time_limit=20, mip_gap=0.0)
    tau = solve_mod.LEXICOGRAPHIC_TOLERANCE
    face = max_index_face(lp.duals, first.objective, tau, h.integer[: len(lp.x)])
    if face is None:
        return
    h.set_row("lexicographic", m.sovereignty.expr, lower=first.objective - tau)
    price = np.abs(lp.duals.col_dual[face.cols])
    slack = 1e-6 + tau / price
    rng = np.random.default_rng(len(face.cols))
    n = len(h.columns)
    for _ in range(4):
        cost = np.zeros(n)  # pushed along the face's columns only: every other is unbounded
        cost[face.cols] = rng.uniform(-1.0, 1.0, len(face.cols))
        h.h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        out = h.solve(time_limit=20, mip_gap=0.0)
        assert out.x is not None
        x = out.x[face.cols]
        assert (x >= face.col_lower - slack).all() and (x <= face.col_upper + slack).all()


def test_a_stale_solution_from_highs_is_not_taken_for_the_optimum(monkeypatch):
    """Found by the random covers test in CI: without the covers, the tie-break with the face
    held got HiGHS's optimum's objective (36) with the MIP start's columns (costing 38).
    ``HighsModel.solve`` checks that the reported objective is the columns' own and solves
    the model again from scratch when it is not."""
    limits = {"max_share_provider": 0.75, "max_share_chip_designer": 0.7,
              "max_share_country": 0.6}  # fmt: skip
    sc = capped_case(limits, target=1.5, budget=38)
    monkeypatch.setattr(solve_mod, "binding_covers", lambda prep, x: [])
    with_face = optimum(sc)
    monkeypatch.setattr(solve_mod, "max_index_face", lambda *a, **k: None)
    _agree(with_face, optimum(sc), index_tol=1e-6, cost_rel=1e-9)
    assert with_face.cost == pytest.approx(36.0)
