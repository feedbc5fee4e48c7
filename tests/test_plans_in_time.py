"""Plans in time (issue #23): end of sale, lead times, existing systems as decisions, and
each member state its own operator. Hand-checked on the tiny instance, then metamorphic.

Tiny data (tests/conftest.py): 1 module = 1 EFLOP/s = 1 MW; building costs 10 (CA) or 20 (CH)
MUSD, renting a fifth of that a year; scores territory HOM 1, ALY 0.5, OTH 0; provider PUB 1,
USC 0; chip CH 1, CA 0; equal weights. USC rents in ALY and OTH only.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import solve
from tests.conftest import TINY_ECONOMICS, data_with_end_of_sale, tiny

EXACT = {"time_limit": 20, "mip_gap": 0.0, "tie_break_gap": 0.0}


def economics(**changes):
    return {**TINY_ECONOMICS, **changes}


def modules(plan, period, provider=None, chip=None, country=None):
    a = plan.allocation
    a = a[a["period"] == period]
    for col, val in (("provider", provider), ("chip", chip), ("country", country)):
        if val is not None:
            a = a[a[col] == val]
    return int(a["modules"].sum())


# --- hand-checked ---------------------------------------------------------------------------


def test_a_chip_past_its_end_of_sale_is_never_bought(tmp_path):
    # CH's sale ended in 2025: no PUB CH build in 2030. Best left: PUB CA at home, score
    # (1 + 1 + 0)/3 = 2/3, two modules at 10 = 20 MUSD (renting CH in ALY scores only 0.5).
    plan = solve(tiny(data=data_with_end_of_sale(tmp_path, CH=2025), solver=EXACT))
    assert plan.status == "optimal"
    assert modules(plan, 2030, provider="PUB", chip="CH") == 0
    assert plan.sovereignty["index"] == pytest.approx(2 / 3)
    assert plan.cost == pytest.approx(20.0)
    # renting the chip continues: with CA excluded, USC rents CH in ALY at 4 a module-year
    rent = solve(
        tiny(data=data_with_end_of_sale(tmp_path, CH=2025), exclude={"chips": ["CA"]}, solver=EXACT)
    )
    assert set(rent.allocation["provider"]) == {"USC"}
    assert rent.sovereignty["index"] == pytest.approx(0.5)
    assert rent.cost == pytest.approx(8.0)


def test_an_order_placed_while_on_sale_may_be_delivered_later_but_none_after_it(tmp_path):
    # Periods 2026 (now) and 2030, target 1 then 2, lead 2 years. CH on sale to 2027: it can
    # be ordered now for 2028-2030 delivery (a last-time buy), so index 1 with PUB CH only.
    # CH's sale ended in 2025, before now: no PUB CH in any period; 2026 is rented (nothing
    # owned serves before 2028), 2030 adds PUB CA.
    common = {
        "periods": [2026, 2030],
        "target": {2026: 1, 2030: 2},
        "economics": economics(build_lead_time_years=2),
        "solver": EXACT,
    }
    on_sale = solve(tiny(data=data_with_end_of_sale(tmp_path, CH=2027), **common))
    assert modules(on_sale, 2026, provider="PUB") == 0  # lead time
    assert modules(on_sale, 2030, provider="PUB", chip="CH") == 2
    ended = solve(tiny(data=data_with_end_of_sale(tmp_path, CH=2025), **common))
    a = ended.allocation
    assert a[(a["provider"] == "PUB") & (a["chip"] == "CH")].empty
    assert set(a.loc[a["period"] == 2026, "provider"]) == {"USC"}
    assert modules(ended, 2030, provider="PUB", chip="CA") >= 1


def test_a_lead_time_makes_a_first_period_owned_build_impossible_while_renting_works():
    # lead 2 years from 2030 (now): no owned module in 2030; USC rents CH in ALY, score
    # (0.5 + 0 + 1)/3 = 0.5, two modules at 4 = 8 MUSD. Without the lead: PUB CH, index 1.
    late = solve(tiny(economics=economics(build_lead_time_years=2), solver=EXACT))
    assert late.status == "optimal"
    assert set(late.allocation["provider"]) == {"USC"}
    assert late.sovereignty["index"] == pytest.approx(0.5)
    assert late.cost == pytest.approx(8.0)
    assert any("lead time" in n for n in late.notes)
    now = solve(tiny(economics=economics(build_lead_time_years=0), solver=EXACT))
    assert now.sovereignty["index"] == pytest.approx(1.0)
    # two periods 2 years apart: owned capacity serves from the second only
    two = solve(
        tiny(
            periods=[2030, 2032],
            target={2030: 2, 2032: 2},
            horizon_end=2032,
            economics=economics(build_lead_time_years=2),
            solver=EXACT,
        )
    )
    assert modules(two, 2030, provider="PUB") == 0
    assert modules(two, 2032, provider="PUB", chip="CH") == 2


OLD = {"name": "old", "country": "HOM", "provider": "PUB", "chip": "CA", "accelerators": 1000}


def test_retiring_an_idle_existing_system_lowers_cost_and_keeps_the_index():
    # Maintenance 10%/yr: a CH module costs 20 + 2 (one year's upkeep), the old CA system
    # 1 a year to keep (0.1 x 10). Index 1 needs two CH modules; the old system (score 2/3)
    # counts nothing either way. Retirable: retired, 44 MUSD; kept: 45 MUSD. Same index.
    eco = economics(maintenance_share_per_year=0.1)
    retire = solve(tiny(economics=eco, existing=[{**OLD, "since": 2020}], solver=EXACT))
    keep = solve(
        tiny(economics=eco, existing=[{**OLD, "since": 2020, "retirable": False}], solver=EXACT)
    )
    assert retire.sovereignty["index"] == pytest.approx(1.0)
    assert keep.sovereignty["index"] == pytest.approx(1.0)
    assert retire.cost == pytest.approx(44.0)
    assert keep.cost == pytest.approx(45.0)
    assert (retire.allocation["existing"] == "old").sum() == 0
    from planner.reports.plan_reading import read_plan

    assert "retired early" in read_plan(retire)
    assert "retirable: false" in read_plan(keep)


def test_an_existing_system_pays_only_for_its_years_in_service():
    # One period 2030 standing for 2030-2034 (5 years); the old system retires after 2030:
    # kept (not retirable), it pays 1 year of upkeep (1 MUSD), not 5.
    eco = economics(maintenance_share_per_year=0.1)
    plan = solve(
        tiny(
            economics=eco,
            horizon_end=2034,
            existing=[{**OLD, "since": 2020, "until": 2030, "retirable": False}],
            solver=EXACT,
        )
    )
    old = plan.allocation[plan.allocation["existing"] == "old"]
    assert float(old["opex_musd"].sum()) == pytest.approx(1.0)


def test_a_committed_system_counts_from_its_start_year_at_its_known_cost():
    # A contracted CH system (1 module) from 2032 at 15 MUSD capital: not in 2030, counted in
    # 2032 where it replaces one bought module (cash basis: 15 paid in 2032).
    committed = [
        {
            "name": "new",
            "country": "HOM",
            "provider": "PUB",
            "chip": "CH",
            "accelerators": 1000,
            "since": 2032,
            "capital_musd": 15.0,
        }
    ]
    plan = solve(
        tiny(
            periods=[2030, 2032],
            target={2030: 1, 2032: 2},
            horizon_end=2032,
            committed=committed,
            solver=EXACT,
        )
    )
    a = plan.allocation
    assert (a[(a["existing"] == "new") & (a["period"] == 2030)]["modules"].sum()) == 0
    assert (a[(a["existing"] == "new") & (a["period"] == 2032)]["modules"].sum()) == 1
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    assert plan.cost == pytest.approx(20.0 + 15.0)  # one CH in 2030, the contract in 2032


def test_two_member_states_operators_are_separate_under_a_provider_cap():
    # Home DUO = HOM + ALY. Cap 0.5 per provider, target 2: the French-state/German-state
    # case. With each state's PUB its own operator, one CH module in HOM (PUB:HOM) and one in
    # ALY (PUB:ALY) score 1 each: index 1. One national PUB would allow only 1 EFLOP/s; the
    # rest rented from USC (CH in ALY, 2/3): index 5/6.
    plan = solve(
        tiny(
            home=["DUO"],
            relationship_profile="HOM",
            countries=["HOM", "ALY"],
            limits={"max_share_provider": 0.5},
            solver=EXACT,
        )
    )
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    assert set(plan.allocation["operator"]) == {"PUB:HOM", "PUB:ALY"}
    # a single-country home is unchanged: one PUB, capped at half
    single = solve(tiny(countries=["HOM", "ALY"], limits={"max_share_provider": 0.5}))
    assert set(single.allocation["operator"]) <= {"PUB", "USC"}


# --- metamorphic ----------------------------------------------------------------------------

PERIODS = st.sampled_from(
    [([2030], {2030: 2}), ([2026, 2030], {2026: 1, 2030: 2}), ([2026, 2028], {2026: 1, 2028: 2})]
)


def in_periods(periods: tuple[list[int], dict[int, int]], **fields) -> dict:
    """Scenario fields for one draw of PERIODS (its years, target and horizon), solved
    exactly, plus ``fields``: what every metamorphic test below varies around."""
    years, target = periods
    return {
        "periods": years,
        "target": target,
        "horizon_end": years[-1],
        "solver": EXACT,
        **fields,
    }


def _index(sc) -> float | None:
    plan = solve(sc, diagnose=False)
    assert plan.status in {"optimal", "infeasible"}
    return plan.sovereignty["index"] if plan.status == "optimal" else None


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    periods=PERIODS,
    eos=st.integers(2024, 2031),
    later=st.integers(1, 4),
    chip=st.sampled_from(["CA", "CH"]),
    lead=st.sampled_from([0, 2]),
    budget=st.one_of(st.none(), st.integers(10, 50)),
)
def test_a_later_end_of_sale_never_lowers_the_index(
    periods, eos, later, chip, lead, budget, tmp_path_factory
):
    common = in_periods(periods, budget=budget, economics=economics(build_lead_time_years=lead))
    early = _index(
        tiny(data=data_with_end_of_sale(tmp_path_factory.mktemp("a"), **{chip: eos}), **common)
    )
    if early is not None:
        late = _index(
            tiny(
                data=data_with_end_of_sale(tmp_path_factory.mktemp("b"), **{chip: eos + later}),
                **common,
            )
        )
        assert late is not None and late >= early - 1e-6


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    periods=PERIODS,
    lead=st.integers(1, 4),
    shorter=st.integers(1, 4),
    budget=st.one_of(st.none(), st.integers(10, 50)),
    limits=st.fixed_dictionaries(
        {},
        optional={
            "max_share_provider": st.sampled_from([0.5, 1.0]),
            "min_home_share": st.sampled_from([0.0, 0.5]),
        },
    ),
)
def test_a_shorter_lead_time_never_lowers_the_index(periods, lead, shorter, budget, limits):

    def sc(years_to_build: int):
        return tiny(
            **in_periods(
                periods,
                budget=budget,
                limits=limits,
                economics=economics(build_lead_time_years=years_to_build),
            )
        )

    slow = _index(sc(lead))
    if slow is not None:
        fast = _index(sc(max(0, lead - shorter)))
        assert fast is not None and fast >= slow - 1e-6


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    periods=PERIODS,
    country=st.sampled_from(["HOM", "ALY"]),
    chip=st.sampled_from(["CA", "CH"]),
    maint=st.sampled_from([0.0, 0.1]),
    budget=st.one_of(st.none(), st.integers(10, 50)),
    limits=st.fixed_dictionaries(
        {},
        optional={
            "max_share_provider": st.sampled_from([0.5, 1.0]),
            "resilience": st.sampled_from([0.0, 0.5]),
        },
    ),
)
def test_adding_a_retirable_existing_system_never_raises_cost_at_the_same_index(
    periods, country, chip, maint, budget, limits
):
    common = in_periods(
        periods, budget=budget, limits=limits, economics=economics(maintenance_share_per_year=maint)
    )
    without = solve(tiny(**common), diagnose=False)
    system = {**OLD, "country": country, "chip": chip, "since": 2020}
    with_it = solve(tiny(existing=[system], **common), diagnose=False)
    if not without.ok:
        return
    assert with_it.ok
    assert with_it.sovereignty["index"] >= without.sovereignty["index"] - 1e-6
    if with_it.sovereignty["index"] <= without.sovereignty["index"] + 1e-6:
        assert with_it.cost <= without.cost + 1e-6


def test_exclude_and_align_say_they_keep_existing_systems():
    # The old system is a CA (A Corp, OTH) build: excluding its designer or aligning does not
    # retire it (they govern new purchases); the plan's notes name it.
    old = [{**OLD, "since": 2020}]
    plan = solve(tiny(existing=old, exclude={"designers": ["A Corp"]}))
    assert any("kept" in n and "old (chip CA)" in n for n in plan.notes), plan.notes
    rent = solve(tiny(existing=old, countries=["ALY", "OTH"], strategy="align:ALY"))
    assert any("aligning keeps existing systems" in n and "old" in n for n in rent.notes), (
        rent.notes
    )
