"""Hand-checked optima on the tiny instance, one constraint family at a time.

Scores (territorial, provider, chip) with equal weights, home HOM, ALY trusted 0.5:
  PUB@HOM/CH 1   PUB@HOM/CA 2/3   PUB@ALY/CH 5/6   PUB@ALY/CA 1/2   PUB@OTH/CH 2/3
  USC@ALY/CH 1/2 USC@ALY/CA 1/6   USC@OTH/CH 1/3   USC@OTH/CA 0
Costs per module: build CA 10, CH 20; rent (USC) CA 2, CH 4 per year. Target: 2 modules.
"""

from __future__ import annotations

import pytest

from planner import solve
from planner.core.data import load_tables
from tests.conftest import TINY_DATA, tiny

CHIP_ONLY = {"territorial": 0, "provider": 0, "chip": 1}


def mix(plan) -> dict[tuple[str, str, str], int]:
    final = plan.allocation[plan.allocation["period"] == plan.allocation["period"].max()]
    return {
        (r.country, r.provider, r.chip): int(r.modules) for r in final.itertuples() if r.modules > 0
    }


def test_budget_30_buys_one_home_chip_and_one_foreign_chip():
    plan = solve(tiny(budget=30))
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(5 / 6)
    assert plan.sovereignty["territorial"] == pytest.approx(1.0)
    assert plan.sovereignty["chip"] == pytest.approx(0.5)
    assert mix(plan) == {("HOM", "PUB", "CA"): 1, ("HOM", "PUB", "CH"): 1}
    assert plan.kpis["total_cost_musd"] == pytest.approx(30)


def test_budget_24_rents_the_second_module_in_the_allied_country():
    plan = solve(tiny(budget=24))
    assert plan.sovereignty["index"] == pytest.approx(0.75)
    assert mix(plan) == {("HOM", "PUB", "CH"): 1, ("ALY", "USC", "CH"): 1}


def test_no_budget_full_sovereignty_and_no_money_wasted():
    """Lexicographic tie-break: exactly two home modules, nothing over-built."""
    plan = solve(tiny())
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    assert mix(plan) == {("HOM", "PUB", "CH"): 2}
    assert plan.kpis["total_cost_musd"] == pytest.approx(40)


def test_more_budget_never_lowers_the_index():
    values = [solve(tiny(budget=b)).sovereignty["index"] for b in (8, 14, 24, 30, 40)]
    assert values == sorted(values)
    assert values[0] == pytest.approx(0.5)  # two rented CH modules in ALY
    assert values[-1] == pytest.approx(1.0)


def test_max_share_provider_forces_a_second_provider():
    plan = solve(tiny(limits={"max_share_provider": 0.5}))
    assert plan.sovereignty["index"] == pytest.approx(0.75)
    assert mix(plan) == {("HOM", "PUB", "CH"): 1, ("ALY", "USC", "CH"): 1}
    shares = plan.shares[plan.shares["dimension"] == "provider"]["share"]
    assert shares.max() <= 0.5 + 1e-9


def test_min_providers_two():
    plan = solve(tiny(limits={"min_providers": 2}))
    assert plan.sovereignty["index"] == pytest.approx(0.75)
    assert plan.kpis["providers_used"] == 2


def test_min_chip_designers_two():
    plan = solve(tiny(limits={"min_chip_designers": 2}))
    assert plan.sovereignty["index"] == pytest.approx(5 / 6)
    assert plan.kpis["chip_designers_used"] == 2


def test_territorial_floor_changes_the_cheapest_plan():
    """Only chips count: renting two CH modules (8) is enough without a floor."""
    free = solve(tiny(weights=CHIP_ONLY))
    assert free.sovereignty["index"] == pytest.approx(1.0)
    assert free.kpis["total_cost_musd"] == pytest.approx(8)
    floor = solve(tiny(weights=CHIP_ONLY, limits={"min_home_share": 0.5}))
    assert floor.sovereignty["index"] == pytest.approx(1.0)
    assert floor.kpis["total_cost_musd"] == pytest.approx(24)
    assert floor.kpis["home_share_min"] >= 0.5 - 1e-9


def test_resilience_requires_capacity_outside_each_foreign_jurisdiction():
    plan = solve(tiny(weights=CHIP_ONLY, limits={"resilience": 0.5}))
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    assert plan.kpis["total_cost_musd"] == pytest.approx(24)
    assert plan.resilience["kept_share_of_target"].min() >= 0.5 - 1e-9
    assert set(plan.resilience["jurisdiction"]) == {"ALY", "OTH"}


def test_resilience_infeasible_when_budget_too_small():
    plan = solve(tiny(budget=30, limits={"resilience": 1.0}))
    assert plan.status == "infeasible"
    assert plan.allocation.empty


def test_energy_cost_cap_limits_home_modules():
    """Home electricity at 1000 USD/MWh: a 1 MW module uses 8.76 GWh, 8.76 MUSD a year."""
    tables = load_tables(TINY_DATA)
    tables.countries.loc[tables.countries["iso3"] == "HOM", "electricity_price_usd_per_mwh"] = (
        1000.0
    )
    uncapped = solve(tiny(), tables=tables)
    assert uncapped.sovereignty["index"] == pytest.approx(1.0)
    assert uncapped.kpis["energy_cost_musd"] == pytest.approx(2 * 8.76)
    capped = solve(tiny(energy_cost_cap=10), tables=tables)
    assert capped.sovereignty["index"] == pytest.approx((1 + 5 / 6) / 2)
    assert mix(capped) == {("HOM", "PUB", "CH"): 1, ("ALY", "PUB", "CH"): 1}
    assert capped.kpis["energy_cost_musd"] <= 10 + 1e-9


def test_align_with_other_removes_options_that_mix_two_foreign_powers():
    hedge = solve(tiny(budget=24))
    assert hedge.sovereignty["index"] == pytest.approx(0.75)  # USC in ALY: depends on ALY and OTH
    aligned = solve(tiny(budget=24, strategy="align:OTH"))
    assert aligned.sovereignty["index"] == pytest.approx(2 / 3)
    # (1 + 1/3)/2 with USC in OTH ties with two home CA modules (2/3 each); the latter is cheaper
    assert mix(aligned) == {("HOM", "PUB", "CA"): 2}
    assert aligned.kpis["total_cost_musd"] == pytest.approx(20)
    chosen = solve(tiny(budget=24, strategy="align"))
    assert chosen.sovereignty["index"] == pytest.approx(2 / 3)


def test_supply_cap_of_one_module_per_year():
    tables = load_tables(TINY_DATA)
    tables.chips.loc[tables.chips["code"] == "CH", "supply_cap_units_per_year"] = 1000.0
    plan = solve(tiny(), tables=tables)
    assert plan.sovereignty["index"] == pytest.approx(5 / 6)
    assert mix(plan) == {("HOM", "PUB", "CA"): 1, ("HOM", "PUB", "CH"): 1}


def test_grid_power_limits_a_country():
    tables = load_tables(TINY_DATA)
    tables.countries.loc[tables.countries["iso3"] == "HOM", "grid_power_available_mw"] = 1.0
    plan = solve(tiny(), tables=tables)
    assert plan.sovereignty["index"] == pytest.approx((1 + 5 / 6) / 2)
    assert plan.allocation.groupby("country")["power_mw"].sum()["HOM"] <= 1.0 + 1e-9


def test_multi_period_buildout_pays_capex_once():
    """Hardware bought for 2026 stays in service in 2030; rent would be paid per year."""
    plan = solve(tiny(periods=[2026, 2030], target={2026: 1, 2030: 2}))
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    alloc = plan.allocation.set_index("period")
    assert alloc.loc[2026, "modules"] == 1
    assert alloc.loc[2030, "modules"] == 2
    assert plan.kpis["capex_musd"] == pytest.approx(40)
    assert plan.kpis["total_cost_musd"] == pytest.approx(40)


def test_strategy_none_ignores_diversification_limits():
    plan = solve(tiny(strategy="none", limits={"max_share_provider": 0.5}))
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    assert any("not enforced" in n for n in plan.notes)


def test_constraint_switch_turns_budget_off():
    plan = solve(tiny(budget=8, constraints={"budget": False}))
    assert plan.sovereignty["index"] == pytest.approx(1.0)


def test_lp_rounding_start_does_not_change_the_optimum():
    """The rounded-LP MIP start only speeds HiGHS up: same plan with and without it."""
    for fields in ({"budget": 30}, {"budget": 24}, {"limits": {"resilience": 0.5}}):
        with_start = solve(tiny(**fields))
        without = solve(tiny(**fields, solver={"time_limit": 20, "lp_start": False}))
        assert with_start.sovereignty["index"] == pytest.approx(without.sovereignty["index"])
        assert with_start.cost == pytest.approx(without.cost)
