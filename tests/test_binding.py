"""A limit binds when its slack is within the solve's tolerance, relative to the limit
(planner.core.results.is_binding); the CLI, the API and the app all read plan.limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner import load_scenario, solve
from planner.cli import app
from planner.core.results import binding_tolerance, is_binding

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny.yaml"


def test_tolerance_is_relative_to_the_limit_and_the_gap():
    assert binding_tolerance(6000.0, 1e-3) == pytest.approx(6.0)
    assert binding_tolerance(0.5, 1e-3) == pytest.approx(1e-3)  # shares: absolute scale
    assert binding_tolerance(6000.0, 0.0) == pytest.approx(6e-3)  # the numerical floor
    assert is_binding(6000.0, 5996.1, "max", 1e-3)
    assert not is_binding(6000.0, 5990.0, "max", 1e-3)
    assert is_binding(0.4, 0.4, "min")
    assert not is_binding(0.4, 0.45, "min", 1e-3)


def test_a_budget_spent_to_within_the_gap_binds_in_api_and_cli():
    """The tiny optimum costs 30 MUSD (index 5/6; the next step up costs 40), so a budget of
    30.02 leaves 0.02 MUSD of slack: below 0.1% of the budget, so the budget binds. (A large
    scenario would make this test hostage to how fast the MIP solves on a busy machine.)"""
    budget = 30.02
    plan = solve(load_scenario(TINY, {"budget": budget}))
    assert plan.status == "optimal" and plan.cost == pytest.approx(30.0)
    row = plan.limits.set_index("limit").loc["budget"]
    assert row["slack"] == pytest.approx(budget - plan.cost)
    assert 1e-6 * budget < row["slack"] < 1e-3 * budget
    assert bool(row["binding"])
    out = CliRunner().invoke(app, ["solve", str(TINY), "--set", f"budget={budget}"])
    assert out.exit_code == 0, out.output
    binding_line = next(line for line in out.output.splitlines() if "Binding limits" in line)
    assert "budget" in binding_line
