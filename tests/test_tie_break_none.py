"""``solver.tie_break: none`` with no budget row: the plan is read without a cost stage.

Issue 29: on the UK scenario (and France with the budget off) the cost expression names
columns no row uses (``use_chip`` of chips only the fixed costs mention); they were appended
to HiGHS only when the results first read cost, after the solve, so the solution vector was
shorter than the columns cost named and ``make_plan`` failed with an IndexError.
``planner.core.prepare.register_objectives`` now gives every objective's columns to HiGHS
before any solve.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.objectives import SENSES
from planner import solve
from planner.core.prepare import prepare
from planner.core.scenario import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "data" / "scenarios").glob("*.yaml"))


def test_every_objective_column_exists_before_the_first_solve():
    prep = prepare(load_scenario(SCENARIOS[-1]))  # uk-2030-20x: cost names otherwise-unused columns
    h, m = prep.highs, prep.model
    n = len(h.columns)
    for name in SENSES:
        h.linear(getattr(m, name).expr)
    assert len(h.columns) == n


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_tie_break_none_solves_each_bundled_scenario_with_the_budget_off(path):
    # a loose gap keeps the test quick: the defect was in reading the plan, not the search
    sc = load_scenario(
        path, ["constraints.budget=false", "solver.tie_break=none", "solver.mip_gap=0.02"]
    )
    plan = solve(sc)
    assert plan.status == "optimal", plan.message
    assert plan.kpis["total_cost_model_musd"] == pytest.approx(plan.cost, rel=1e-6)
    assert plan.kpis["cost_tie_break_gap"] is None  # no cost stage ran
