"""A re-solve after an edit (``planner.core.warm``, issue 27) finds the same optimum as a
solve from scratch: the previous plan is reused only when the edit narrowed the model and
the plan still meets it, else it is only a MIP start. Not timed (speed is in benchmarks/)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.core.prepare import prepare
from planner.core.results import make_plan, shares_table
from planner.core.solve import optimise, warm_settings
from planner.core.warm import tightened
from planner.studies.solving import solve_and_diagnose as solve
from tests.conftest import QUICK_START, tiny

REUSED = "the previous plan"


def same_optimum(a, b) -> None:
    """Same status, index within the MIP gap and cost within the tie-break gap."""
    assert a.status == b.status
    if not a.ok:
        return
    ia, ib = a.sovereignty["index"], b.sovereignty["index"]
    assert ia == pytest.approx(ib, rel=1e-4, abs=1e-6)
    assert a.cost == pytest.approx(b.cost, rel=1e-3)


@pytest.fixture(scope="module")
def tiny_base():
    """The tiny scenario at a budget of 30, solved once for the module: every edit below
    re-solves from its ``warm_start`` (a frozen record the warm solve only reads)."""
    return solve(tiny(budget=30))


@pytest.mark.parametrize(
    "edit",
    [
        {"budget": 30},  # no change: reused
        {"budget": 28},  # narrower: reused if the plan still fits, else solved
        {"budget": 22},
        {"budget": 45},  # wider: never reused
        {"budget": 30, "limits": {"max_share_provider": 0.6}},  # a new row: solved
    ],
)
def test_tiny_warm_resolve_finds_the_cold_optimum(tiny_base, edit):
    base = tiny_base
    assert base.ok and base.warm_start is not None
    warm = solve(tiny(**edit), warm=base.warm_start)
    cold = solve(tiny(**edit))
    same_optimum(warm, cold)
    if edit["budget"] > 30 or "limits" in edit:
        assert REUSED not in warm.message
    if edit == {"budget": 30}:
        assert REUSED in warm.message


def test_a_wider_budget_is_not_a_tightening_and_a_narrower_one_is():
    """The budget is a row bound and the big-M of the links n ≤ M·use (M = modules the
    budget buys): lowering it narrows both, raising it widens both."""
    base = prepare(tiny(budget=30))
    out, _ = optimise(base)
    settings = warm_settings(base, "sovereignty", base.scenario.solver.mip_gap, True)
    from planner.core.solve import _warm_objectives, remember

    warm = remember(base, out, settings)
    for budget, expected in ((30, True), (25, True), (45, False)):
        prep = prepare(tiny(budget=budget))
        assert tightened(prep.highs, _warm_objectives(prep), warm, settings) is expected, budget
    # a solve asking for a smaller gap than the one the plan was proven at is not the same
    tighter = (settings[0], settings[1], settings[2] / 10, settings[3])
    assert not tightened(base.highs, _warm_objectives(base), warm, tighter)


def _one_row(value: float, upper: float = 0.0):
    """A WarmStart of one row ``value·x0 − 1·x1 ≤ upper`` over x ≥ 0 (entries only, for
    ``_rows_imply_old``); value 0 leaves x0's entry out of the matrix."""
    import numpy as np

    from planner.core.warm import WarmStart

    start = np.array([0, 1, 2]) if value else np.array([0, 0, 1])
    index = np.array([0, 0]) if value else np.array([0])
    values = np.array([value, -1.0]) if value else np.array([-1.0])
    inf = float("inf")
    return WarmStart(
        (), np.zeros(2), start, index, values, np.array([-inf]), np.array([upper]),
        np.zeros(2), np.full(2, inf), np.array([True, True]), (), (), None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "implied"),
    [
        (-5.0, -3.0, True),
        (-5.0, 0.0, True),
        (5.0, 0.0, False),
        (0.0, -2.0, False),
        (2.0, 2.0, True),
    ],
)
def test_a_changed_coefficient_implies_the_old_row_only_when_it_tightens(old, new, implied):
    """``n − M·use ≤ 0`` with a smaller M (−5 → −3, or M = 0 where the entry leaves the
    matrix) implies the old row for x ≥ 0; a coefficient that falls on a ≤ row does not."""
    from planner.core.warm import _rows_imply_old

    now = _one_row(new)
    assert _rows_imply_old(now.start, now.index, now.value, now.col_lower, _one_row(old)) is implied


def test_a_plan_whose_tie_break_was_not_proven_is_only_a_start():
    base = solve(tiny(budget=30))
    unproven = dataclasses.replace(
        base.warm_start,
        outcome=dataclasses.replace(base.warm_start.outcome, tie_break_status="feasible"),
    )
    again = solve(tiny(budget=30), warm=unproven)
    assert REUSED not in again.message
    same_optimum(again, base)


@pytest.mark.slow  # five EU solves; the default run keeps the quick-start edit below
def test_eu_budget_lowered_reuses_the_plan_and_matches_a_cold_solve():
    """The bundled default with a budget above its optimum's cost (10,523 MUSD), then lowered
    to a budget the plan still meets: reused without solving, same index and cost as solving
    the edited scenario from scratch; lowered below the plan's cost: solved, same optimum."""
    from planner.core.scenario import load_scenario

    base = solve(load_scenario(QUICK_START, ["budget=11000"]))
    for budget, reused in ((10700, True), (10500, False)):
        sc = load_scenario(QUICK_START, [f"budget={budget}"])
        warm = solve(sc, warm=base.warm_start)
        assert (REUSED in warm.message) is reused, warm.message
        same_optimum(warm, solve(sc))


def test_eu_edit_from_the_quick_start_plan_matches_a_cold_solve(quick_start_plan):
    """The app's case: the default plan, then one limit moved (0.4 -> 0.35)."""
    from planner.core.scenario import load_scenario

    sc = load_scenario(QUICK_START, ["limits.max_share_provider=0.35"])
    same_optimum(solve(sc, warm=quick_start_plan.warm_start), solve(sc))


def test_dependence_shares_match_a_per_jurisdiction_groupby():
    """``shares_table``'s foreign-jurisdiction rows (one numpy pass) equal the pandas filter
    and groupby per jurisdiction they replaced."""
    prep = prepare(tiny(budget=30, target={2030: 3}))
    out, _ = optimise(prep)
    plan = make_plan(prep, out, "sovereignty")
    got = shares_table(prep, plan.allocation)
    got = got[got["dimension"] == "foreign_jurisdiction"]
    alloc = plan.allocation
    target = alloc["period"].map(prep.inputs.target).astype(float)
    base = alloc.assign(share=alloc["counted_eflops"] / target)
    from planner.core.results import with_options

    keyed = with_options(prep, base, [])
    periods = pd.Index(sorted(keyed["period"].unique()), name="period")
    assert len(prep.inputs.foreign_jurisdictions) > 0
    for j in prep.inputs.foreign_jurisdictions:
        mask = keyed["option"].isin(prep.inputs.by_dependency.get(j, []))
        want = (
            keyed[mask]
            .groupby("period")[["compute_eflops", "counted_eflops", "share"]]
            .sum()
            .reindex(periods, fill_value=0.0)
        )
        rows = got[got["key"] == j].set_index("period")
        for col in ("compute_eflops", "counted_eflops", "share"):
            assert rows[col].to_numpy() == pytest.approx(want[col].to_numpy(), abs=1e-12)


#: random tiny edits: a few derandomized examples by default, many random ones with -m slow
FAST = settings(
    max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
TINY_FIELDS = st.fixed_dictionaries(
    {
        "budget": st.sampled_from([12, 18, 22, 25, 30, 40, 60]),
        "target": st.sampled_from([{2030: 1}, {2030: 2}, {2030: 3}]),
        "limits": st.sampled_from([{}, {"max_share_provider": 0.5}, {"max_share_provider": 0.7}]),
    }
)


def _random_edit(before: dict, after: dict) -> None:
    # the warm start is recorded before any diagnosis, and the cold reference is compared by
    # status, index and cost only: neither needs the diagnosis of an infeasible scenario (its
    # relaxation solves were most of this test's time); the warm solve runs as the app runs it
    base = solve(tiny(**before), diagnose=False)
    warm = solve(tiny(**after), warm=base.warm_start)
    same_optimum(warm, solve(tiny(**after), diagnose=False))


@FAST
@given(TINY_FIELDS, TINY_FIELDS)
def test_random_tiny_edits_warm_equals_cold(before, after):
    _random_edit(before, after)


@pytest.mark.slow
@SLOW
@given(TINY_FIELDS, TINY_FIELDS)
def test_random_tiny_edits_warm_equals_cold_many(before, after):
    _random_edit(before, after)
