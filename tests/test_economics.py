"""Cost basis, existing systems, effective compute, availability and the price trend.

Hand-checked on the tiny data (tests/fixtures/tiny): a 1000-chip module is 1 EFLOP/s peak,
1 MW, and costs 10 MUSD (chip CA, 0.5 effective) or 20 MUSD (chip CH, 0.8 effective) to own;
energy is free and buildings cost nothing, so the capital is all hardware.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from pydantic import ValidationError

from planner import solve
from planner.core.data import load_tables
from planner.core.errors import InputError
from planner.core.inputs import build_inputs
from planner.core.scenario import Scenario
from tests.conftest import TINY_DATA, TINY_ECONOMICS, tiny


def eco(**changes):
    return {**TINY_ECONOMICS, **changes}


def option(inp, provider: str, chip: str, country: str = "HOM") -> int:
    o = inp.options
    sel = o[(o["provider"] == provider) & (o["chip"] == chip) & (o["country"] == country)]
    sel = sel[~sel["existing"]]
    assert len(sel) == 1
    return int(sel.index[0])


def test_annualised_cost_of_one_owned_module_by_hand():
    # Two CH modules at home (the sovereign choice), 5% over a 5-year life, one period that
    # stands for 2030-2034 (5 years; the crude per-period discounting puts δ = 1 on it).
    sc = tiny(
        horizon_end=2034,
        economics=eco(cost_basis="annualised", discount_rate=0.05, hardware_life_years=5),
    )
    crf = 0.05 / (1 - 1.05**-5)  # 0.2309748
    assert crf == pytest.approx(0.2309748, abs=1e-7)
    plan = solve(sc)
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    # 2 modules x 20 MUSD x CRF x 5 years of service
    assert plan.kpis["capex_musd"] == pytest.approx(2 * 20 * crf * 5)
    assert plan.kpis["total_cost_musd"] == pytest.approx(2 * 20 * crf * 5)
    assert plan.kpis["cost_basis"] == "annualised"
    assert plan.kpis["horizon_end"] == 2034
    # per year of the final fleet: 2 x 20 x CRF
    assert plan.kpis["cost_per_year_final_musd"] == pytest.approx(2 * 20 * crf)


def test_a_module_year_costs_the_same_whatever_the_period_it_was_bought_in():
    sc = tiny(
        periods=[2026, 2028, 2030],
        target={2026: 1, 2028: 1, 2030: 2},
        horizon_end=2034,
        economics=eco(
            cost_basis="annualised", discount_rate=0.035, maintenance_share_per_year=0.05
        ),
    )
    inp, _ = build_inputs(sc, load_tables(sc.data))
    disc = np.array([inp.discount[t] for t in inp.periods])
    yrs = np.array([inp.years[t] for t in inp.periods])
    tail = np.cumsum((disc * yrs)[::-1])[::-1]  # discounted years of service from t on
    a = option(inp, "PUB", "CH")
    per_year = inp.capital[a] / tail
    crf = 0.035 / (1 - 1.035**-5.0)
    assert per_year == pytest.approx([20 * (crf + 0.05)] * 3)
    # while the cash basis charges the whole price in the period of purchase
    cash = tiny(**{**sc.model_dump(exclude={"economics", "data"}), "economics": eco()})
    inp_cash, _ = build_inputs(cash, load_tables(sc.data))
    assert inp_cash.capital[option(inp_cash, "PUB", "CH")][-1] == pytest.approx(20.0)


def test_existing_capacity_meeting_the_target_costs_only_running_costs():
    sc = tiny(
        existing=[
            {
                "name": "old",
                "country": "HOM",
                "provider": "public",
                "chip": "CH",
                "accelerators": 2000,
                "since": 2020,
            }
        ],
        economics=eco(maintenance_share_per_year=0.1),
    )
    plan = solve(sc)
    assert plan.status == "optimal"
    alloc = plan.allocation
    assert set(alloc["existing"]) == {"old"}  # nothing new is built or rented
    assert alloc["accelerators"].sum() == 2000
    assert plan.kpis["capex_musd"] == pytest.approx(0.0)
    # upkeep only: 10% of 2000 x 20,000 USD = 4 MUSD for the one year of the horizon
    assert plan.kpis["total_cost_musd"] == pytest.approx(4.0)
    assert plan.sovereignty["index"] == pytest.approx(1.0)


def test_existing_system_retires_and_the_plan_replaces_it():
    sc = tiny(
        periods=[2026, 2030],
        target={2026: 1, 2030: 1},
        existing=[
            {"country": "HOM", "chip": "CH", "accelerators": 1000, "since": 2020, "until": 2027}
        ],
    )
    plan = solve(sc)
    alloc = plan.allocation
    new_2030 = alloc[(alloc["period"] == 2030) & (alloc["existing"] == "")]
    assert alloc[(alloc["period"] == 2026)]["existing"].tolist() == ["CH x 1000 in HOM"]
    assert new_2030["compute_eflops"].sum() == pytest.approx(1.0)


def test_effective_compute_is_peak_times_achieved_efficiency():
    peak, _ = build_inputs(tiny(), load_tables(str(TINY_DATA)))
    eff, _ = build_inputs(
        tiny(economics=eco(compute_basis="effective")), load_tables(str(TINY_DATA))
    )
    for chip, e in (("CA", 0.5), ("CH", 0.8)):
        assert peak.options.at[option(peak, "PUB", chip), "compute"] == pytest.approx(1.0)
        assert eff.options.at[option(eff, "PUB", chip), "compute"] == pytest.approx(1.0 * e)


def test_a_chip_is_not_bought_before_it_is_available(tmp_path):
    data = tmp_path / "tiny"
    shutil.copytree(TINY_DATA, data)
    text = (data / "chips.csv").read_text().splitlines()
    text[2] = text[2].replace(",0.8,2024,", ",0.8,2028,")  # CH from 2028
    (data / "chips.csv").write_text("\n".join(text) + "\n")
    plan = solve(tiny(data=str(data), periods=[2026, 2030], target={2026: 1, 2030: 2}))
    alloc = plan.allocation
    assert set(alloc.loc[alloc["period"] == 2026, "chip"]) == {"CA"}
    assert "CH" in set(alloc.loc[alloc["period"] == 2030, "chip"])  # the sovereign chip later


def test_announced_chips_keep_their_price_and_only_a_placeholder_follows_the_trend(tmp_path):
    # trend 20%/yr. CA is an announced chip: 10 MUSD a module whenever bought (no per-chip
    # decay). CH marked next_generation_placeholder, available from 2024, prices of 2025
    # (PRICE_YEAR): bought in 2027 it costs 20 x 0.8^2 = 12.8 MUSD, in 2025 20 MUSD.
    data = tmp_path / "tiny"
    shutil.copytree(TINY_DATA, data)
    lines = (data / "chips.csv").read_text().splitlines()
    lines[0] += ",next_generation_placeholder"
    lines[1] += ",false"
    lines[2] += ",true"
    (data / "chips.csv").write_text("\n".join(lines) + "\n")
    sc = tiny(
        data=str(data),
        periods=[2025, 2027],
        target={2025: 1, 2027: 2},
        horizon_end=2027,
        economics=eco(price_performance_trend=0.2),
    )
    inp, _ = build_inputs(sc, load_tables(sc.data))
    assert inp.cash[option(inp, "PUB", "CA")].tolist() == pytest.approx([10.0, 10.0])
    assert inp.cash[option(inp, "PUB", "CH")].tolist() == pytest.approx([20.0, 12.8])
    # rent re-prices with the trend for the placeholder only: USC rents at price/5 per year
    assert inp.opex_by_period[option(inp, "USC", "CA", "ALY")].tolist() == pytest.approx([2.0, 2.0])
    assert inp.opex_by_period[option(inp, "USC", "CH", "ALY")].tolist() == pytest.approx(
        [4.0, 2.56]
    )


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"economics": {"cost_basis": "accrual"}}, "economics.cost_basis"),
        ({"economics": {"compute_basis": "nominal"}}, "economics.compute_basis"),
        ({"economics": {"price_performance_trend": 1.5}}, "economics.price_performance_trend"),
        ({"economics": {"price_performance_trend": -0.1}}, "economics.price_performance_trend"),
        ({"economics": {"discount_rate": -0.01}}, "economics.discount_rate"),
        ({"horizon_end": 2020}, "horizon_end"),
        (
            {"existing": [{"country": "HOM", "chip": "CH", "accelerators": 0, "since": 2024}]},
            "existing.0.accelerators",
        ),
        (
            {
                "existing": [
                    {
                        "country": "HOM",
                        "chip": "CH",
                        "accelerators": 5,
                        "since": 2024,
                        "until": 2023,
                    }
                ]
            },
            "existing.0",
        ),
        ({"existing": [{"country": "HOM", "chip": "CH", "accelerators": 5}]}, "existing.0.since"),
        (
            {
                "existing": [
                    {
                        "country": "HOM",
                        "chip": "CH",
                        "accelerators": 5,
                        "since": 2024,
                        "colour": "red",
                    }
                ]
            },
            "existing.0.colour",
        ),
    ],
)
def test_new_keys_are_validated(patch, field):
    raw = {"name": "t", "home": ["HOM"], "periods": [2030], "target": {2030: 1}, **patch}
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(raw)
    locs = {".".join(str(p) for p in e["loc"]) for e in info.value.errors()}
    named = any(loc == field or loc.startswith(field + ".") for loc in locs)
    assert named or (locs == {""} and field in str(info.value)), (locs, str(info.value))


@pytest.mark.parametrize("key, value", [("country", "XXX"), ("chip", "NOPE"), ("provider", "ACME")])
def test_existing_rows_must_name_known_codes(key, value):
    row = {"country": "HOM", "chip": "CH", "accelerators": 1000, "since": 2020, key: value}
    sc = tiny(existing=[row])
    with pytest.raises(InputError, match=f"existing.0.{key}"):
        build_inputs(sc, load_tables(sc.data))


def test_defaults_are_documented_public_sector_figures():
    e = Scenario.model_fields["economics"].default_factory()
    assert (
        e.discount_rate == 0.035
        and "Green Book" in type(e).model_fields["discount_rate"].description
    )
    assert e.cost_basis == "annualised" and e.compute_basis == "effective"
    sc = Scenario.model_validate(
        {"name": "t", "home": ["HOM"], "periods": [2026, 2030], "target": {2026: 1, 2030: 1}}
    )
    assert sc.horizon == 2034


def test_an_existing_system_beside_a_new_option_of_the_same_kind_is_reported_once():
    """Regression: an existing (HOM, PUB, CH) system and the new (HOM, PUB, CH) option are two
    options; joining allocation rows to options by (country, provider, chip) alone counted the
    system's compute twice in the shares (France showed PUBLIC at 57% under a 50% cap) and
    charged a contract for it that the model never pays."""
    from planner.core.prepare import prepare
    from planner.core.results import make_plan
    from planner.core.solve import optimise

    sc = tiny(
        target={2030: 3},
        limits={"max_share_provider": 0.5},
        existing=[
            {"country": "HOM", "provider": "PUB", "chip": "CH", "accelerators": 1000, "since": 2020}
        ],
    )
    prep = prepare(sc)
    outcome, _ = optimise(prep)
    plan = make_plan(prep, outcome, "sovereignty")
    alloc = plan.allocation
    assert ((alloc["provider"] == "PUB") & (alloc["chip"] == "CH")).sum() >= 1
    shares = plan.shares[plan.shares["dimension"] == "provider"]
    assert shares["counted_eflops"].sum() == pytest.approx(3.0)  # Σ counted = target, once
    assert shares["share"].max() <= 0.5 + 1e-9
    model_cost = prep.highs.evaluate(prep.model.total_cost.expr, outcome.x)
    assert plan.kpis["total_cost_musd"] == pytest.approx(model_cost, rel=1e-9, abs=1e-9)


def test_screens_count_systems_already_in_service():
    """Regression: the grid screen compared the target with new grid headroom only and the
    budget screen priced the whole target at the cheapest option's rate as if an existing
    system (free of capital, one module) could be repeated. Both are valid bounds only if
    existing systems count as what they are: capacity that needs no grid and no capital."""
    from planner.core.prepare import prepare
    from planner.core.screens import screen

    tables = load_tables(str(TINY_DATA))
    tables.countries["grid_power_available_mw"] = 1.0  # one new module per country at most
    old = {"country": "HOM", "provider": "PUB", "chip": "CH", "accelerators": 2000,
           "since": 2020}  # fmt: skip
    # target 5 EFLOP/s: 3 new modules (one per country) + the 2-module existing system
    sc = tiny(target={2030: 5}, budget=None, existing=[old])
    assert screen(prepare(sc, tables=tables)) == []
    plan = solve(sc, tables=tables)
    assert plan.status == "optimal"
    # the budget screen: the existing system (free here) covers 2 of 4 EFLOP/s; the other 2
    # cost at least 2 x 2 MUSD (a rented CA module for the one year), so 3 MUSD is provably
    # short; priced as if the free system could be repeated, the bound was 0 and said nothing
    sc = tiny(target={2030: 4}, budget=3, existing=[old])
    found = screen(prepare(sc))
    assert any("budget 3 MUSD cannot pay" in s and "at least 4 MUSD" in s for s in found), found
    assert solve(sc).status == "infeasible"
    assert solve(tiny(target={2030: 4}, budget=4, existing=[old])).status == "optimal"
