"""Issue #27: a first stage solved without the budget (and energy-cost, emissions) caps, whose
cost tie-break puts them back (``planner.core.solve.without_caps``), gives the optimum the
capped solve gives: the same status, index and cost, exactly, on tiny instances with budgets
from binding to slack; and it leaves the caps' rows as they were."""

from __future__ import annotations

import numpy as np
import pytest

import planner.core.solve as solve_mod
from planner.core.prepare import prepare
from tests.test_covers import CAPPED, capped_case
from tests.test_speed_formulation import _agree, optimum

BUDGETS = [22, 30, 41, 45, 60]


@pytest.mark.parametrize("limits", CAPPED)
@pytest.mark.parametrize("budget", BUDGETS)
def test_optimum_unchanged_by_lifting_the_caps_first(monkeypatch, limits, budget):
    sc = capped_case(limits, budget=budget)
    now = optimum(sc)
    with monkeypatch.context() as mp:
        mp.setattr(solve_mod, "without_caps", lambda *a, **k: None)
        capped = optimum(sc)
    _agree(now, capped, index_tol=1e-6, cost_rel=1e-9)


def _attempt(limits, budget):
    """``without_caps`` called as ``optimise`` calls it, on a fresh model: its outcome (or
    None), and whether the budget row was put back as it was."""
    prep = prepare(capped_case(limits, budget=budget))
    h, m = prep.highs, prep.model
    row = h.row_of[id(m.budget)]
    before = (h.h.getLp().row_lower_[row], h.h.getLp().row_upper_[row])
    h.set_objective(m.sovereignty.expr, solve_mod.SENSES["sovereignty"])
    done = solve_mod.without_caps(prep, 20.0, 0.0, True)
    after = (h.h.getLp().row_lower_[row], h.h.getLp().row_upper_[row])
    return done, before == after


@pytest.mark.parametrize("limits", CAPPED)
def test_a_slack_budget_is_settled_without_it_and_a_binding_one_is_not(limits):
    free = optimum(capped_case(limits, budget=None))
    assert free.status == "optimal"
    slack, restored = _attempt(limits, free.cost + 5)
    assert restored and slack is not None
    out, _ = slack
    assert "the caps do not bind" in out.message
    _agree(optimum(capped_case(limits, budget=free.cost + 5)), free, 1e-6, 1e-9)
    # a budget below the cheapest max-index plan: the tie-break finds no plan, no answer
    binding, restored = _attempt(limits, free.cost - 5)
    assert restored and binding is None


@pytest.mark.slow
def test_uk_with_a_budget_just_above_its_optimum():
    """The case that took 60 s without a proven plan (0.8726 found, 0.874 possible)."""
    from planner.core.scenario import load_scenario
    from planner.core.solve import solve

    plan = solve(load_scenario("data/scenarios/uk-2030-20x.yaml", ["budget=6380"]))
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(0.874, abs=1e-6)
    assert plan.cost == pytest.approx(6254.2, abs=0.1)


def test_rows_are_put_back_when_the_attempt_is_interrupted(monkeypatch):
    """However the lifted-cap attempt ends, the budget row is the budget again."""
    prep = prepare(capped_case({"max_share_provider": 0.5}, budget=45))
    h = prep.highs
    row = h.row_of[id(prep.model.budget)]

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(solve_mod, "_tie_break", boom)
    with pytest.raises(KeyboardInterrupt):
        solve_mod.optimise(prep)
    lp = h.h.getLp()
    assert np.isclose(lp.row_upper_[row], 45.0)
