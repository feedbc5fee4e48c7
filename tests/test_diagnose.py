"""Infeasibility diagnosis on the tiny instance: the named limit, a relaxation that really
restores feasibility (re-solved here, not only inside the diagnosis), and its minimality.

Tiny (tests/conftest.py): target 2 modules; building costs 10 (CA) or 20 (CH) per module,
renting from USC costs 2 (CA) or 4 (CH); the cheapest plan rents two CA modules for 4 MUSD.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from planner import solve
from planner.cli import app
from planner.studies.diagnose import diagnose
from tests.conftest import TINY_YAML, tiny


def by_limit(plan, kind="single"):
    return {r["limit"]: r for r in plan.diagnosis["relaxations"] if r["kind"] == kind}


def test_budget_below_the_cheapest_plan_is_screened_and_fixed():
    plan = solve(tiny(budget=3))
    assert plan.status == "infeasible"
    d = plan.diagnosis
    assert any("budget 3 MUSD cannot pay" in s for s in d["screens"])
    assert "budget" in d["summary"] and "short by 1 MUSD" in d["summary"]
    fix = by_limit(plan)["budget"]
    assert (fix["current"], fix["suggested"], fix["verified"]) == (3.0, 4.0, True)
    assert solve(tiny(budget=fix["suggested"])).status == "optimal"
    # the target alone can also be cut: 3 MUSD rents one CA module
    assert by_limit(plan)["target"]["suggested"] == {2030: 1.0}
    assert solve(tiny(budget=3, target={2030: 1.0})).status == "optimal"


def test_home_floor_with_a_small_budget_names_both_ways_out():
    plan = solve(tiny(budget=15, limits={"min_home_share": 1.0}))
    assert plan.status == "infeasible"
    fixes = by_limit(plan)
    # two home modules cost at least 20 (two CA builds); one home module + one rented = 0.5
    assert fixes["budget"]["suggested"] == 20.0
    assert fixes["limits.min_home_share"]["suggested"] == 0.5
    assert all(f["verified"] for f in fixes.values())
    assert solve(tiny(budget=20, limits={"min_home_share": 1.0})).status == "optimal"
    assert solve(tiny(budget=15, limits={"min_home_share": 0.5})).status == "optimal"
    # minimal: a little less still fails
    assert solve(tiny(budget=19.5, limits={"min_home_share": 1.0}), diagnose=False).status == (
        "infeasible"
    )
    assert solve(tiny(budget=15, limits={"min_home_share": 0.51}), diagnose=False).status == (
        "infeasible"
    )
    assert "min_home_share from 1 to 0.5" in plan.diagnosis["summary"]


def test_no_single_fix_gives_a_verified_combined_relaxation():
    # 3 MUSD buys nothing for the full target, and only one provider fits that budget
    plan = solve(tiny(budget=3, limits={"min_providers": 2}))
    d = plan.diagnosis
    combined = by_limit(plan, "combined")
    assert set(combined) == {"budget", "limits.min_providers"}
    assert combined["budget"]["suggested"] == 4.0
    assert combined["limits.min_providers"]["suggested"] == 1
    assert all(r["verified"] for r in combined.values())
    assert solve(tiny(budget=4, limits={"min_providers": 1})).status == "optimal"
    # the budget alone also works: PUB builds one CA module (10) and USC rents one (2)
    assert by_limit(plan)["budget"]["suggested"] == 12.0
    assert "together" in d["summary"]


def test_resilience_and_grid_target():
    plan = solve(tiny(budget=30, limits={"resilience": 1.0}))
    fixes = by_limit(plan)
    # only home-designed chips on home soil survive every cut: 2 CH builds = 40 MUSD
    assert fixes["budget"]["suggested"] == 40.0
    assert fixes["limits.resilience"]["suggested"] == 0.5
    assert solve(tiny(budget=30, limits={"resilience": 0.5})).status == "optimal"

    # every country offers 100 MW = 100 EFLOP/s: 300 in all
    big = solve(tiny(target={2030: 500}))
    assert any("grid power" in s for s in big.diagnosis["screens"])
    assert by_limit(big)["target"]["suggested"] == {2030: 300.0}
    assert solve(tiny(target={2030: 300})).status == "optimal"


def test_feasible_scenario_needs_nothing():
    d = diagnose(tiny(budget=30), time_limit=10)
    assert d.feasible and not d.relaxations
    assert solve(tiny(budget=30)).diagnosis is None


def test_cli_prints_the_paragraph_and_exits_1():
    res = CliRunner().invoke(app, ["solve", str(TINY_YAML), "--set", "budget=3"])
    assert res.exit_code == 1
    assert "raise budget from 3 MUSD to 4 MUSD" in " ".join(res.output.split())
    assert "Traceback" not in res.output


@pytest.mark.parametrize("limit", ["max_share_provider", "max_share_chip_designer"])
def test_share_limits_too_tight(limit):
    # one provider/designer may hold at most 0.4 of the target: with 2 modules of 1 EFLOP/s
    # each, a plan needs 3 suppliers of the kind; the tiny data has 2 -> 0.5 is the fix
    plan = solve(tiny(limits={limit: 0.4}))
    assert plan.status == "infeasible"
    fix = by_limit(plan)[f"limits.{limit}"]
    assert fix["suggested"] == 0.5 and fix["verified"]
    assert solve(tiny(limits={limit: 0.5})).status == "optimal"


# --- issue 26: diagnosis wording -----------------------------------------------------------
def _met_in_2026(**fields):
    """An existing home system delivers 1 EFLOP/s from 2020 on: the 2026 target (1) is met
    by it alone; 2030 asks for 2, and a budget of 1 MUSD buys no second module."""
    return tiny(
        periods=[2026, 2030],
        target={2026: 1, 2030: 2},
        budget=1,
        existing=[{"country": "HOM", "chip": "CH", "accelerators": 1000, "since": 2020}],
        **fields,
    )


def test_a_target_the_existing_systems_meet_is_never_cut():
    """`sovplan solve uk-2030-20x --set budget=1278` suggested cutting the 2026 target to
    0.8431 although the existing systems already deliver it."""
    plan = solve(_met_in_2026())
    assert plan.status == "infeasible"
    suggestions = [r for r in plan.diagnosis["relaxations"] if r["limit"] == "target"]
    assert suggestions, plan.diagnosis["summary"]
    for r in suggestions:
        assert r["suggested"][2026] == 1  # as asked: the existing system meets it
        assert r["suggested"][2030] < 2
    assert "2026:" not in plan.diagnosis["summary"]


def test_the_diagnosis_never_says_it_ran_out_of_time_beside_time_left(monkeypatch):
    import planner.studies.diagnose as diag

    real = diag._single

    def single(lab, lim, limits, time_limit=None):
        if lim.field == "target":
            return "unknown", None  # one experiment stopped by its part of the time
        return real(lab, lim, limits, time_limit)

    monkeypatch.setattr(diag, "_single", single)
    summary = solve(tiny(budget=3)).diagnosis["summary"]
    assert "Not examined (time limit): target" in summary
    assert "ran out of time" not in summary and "s left" not in summary
    assert "give a larger --time-limit" in summary


def test_existing_systems_meeting_every_target_do_not_break_the_joint_relaxation():
    """When existing systems already meet every period's target, the target has no rows to
    scale; the elastic model skipped its column but still counted it, and read the next
    limit's value one column past the end (IndexError on eu-ai-continent-2030 with a 60%
    designer cap). Fails on the old code."""
    from planner import solve
    from tests.conftest import tiny

    old = {"name": "Old", "country": "HOM", "chip": "CH", "accelerators": 2000,
           "since": 2020, "retirable": False}  # fmt: skip
    plan = solve(tiny(budget=30, existing=[old], limits={"min_providers": 3}))
    assert plan.status == "infeasible"
    assert "lower min_providers from 3 to 2" in plan.diagnosis["summary"]
