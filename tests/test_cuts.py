"""Cuts that stop flows from a year (planner.core.cuts): hand-checked kept shares, spares,
the model's N-1 rows under the same rule, and the metamorphic "a later cut never keeps less".

Tiny data (tests/conftest.py): 1 module = 1 EFLOP/s; chip CA is designed in OTH, CH at home;
PUB is the home public build (10 MUSD per CA module, 20 per CH), USC an OTH cloud.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import solve
from planner.core.cuts import cut_rule, jurisdiction_masks, kept_table, plan_rows
from planner.core.data import load_tables
from planner.studies.stress import stress
from tests.conftest import TINY_DATA, TINY_ECONOMICS, tiny
from tests.conftest import tiny_row as row

EXACT = {"time_limit": 20, "mip_gap": 0.0, "tie_break_gap": 0.0}


#: periods 2026 (2026-27) and 2028 (2028-29); one CA module at home from 2026, two from 2028
TWO_PERIODS = {"periods": [2026, 2028], "target": {2026: 1, 2028: 2}, "horizon_end": 2029}
PLAN = {
    "status": "optimal",
    "cost": 20.0,
    "allocation": [row(2026, "HOM", "PUB", "CA", 1), row(2028, "HOM", "PUB", "CA", 2)],
}


def economics(rate: float, spares: float = 0.0) -> dict:
    return {
        **TINY_ECONOMICS,
        "accelerator_failure_rate_per_year": rate,
        "spares_share": spares,
    }


def oth(sc, year):
    res = stress(sc, plan=PLAN, cut=["OTH"], from_year=year)
    return dict(zip(res.cuts["period"], res.cuts["kept_share"], strict=True))


def test_a_cut_keeps_installed_capacity_minus_failures_and_spares_restore_it():
    sc = tiny(**TWO_PERIODS, economics=economics(0.1))
    # from 2028: 2026 untouched; in 2028 the module installed in 2026 keeps running without
    # support for the two years of the period, 0.9^2 = 0.81 of it; the 2028 purchase is lost
    assert oth(sc, 2028) == {2026: 1.0, 2028: pytest.approx(0.81 / 2)}
    # from 2027: the 2026 period (2026-27) keeps its module minus one year (0.9); 2028 keeps
    # the same module minus three years (0.729)
    assert oth(sc, 2027) == {2026: pytest.approx(0.9), 2028: pytest.approx(0.729 / 2)}
    # from 2026: nothing was installed before: everything on CA is lost
    assert oth(sc, 2026) == {2026: 0.0, 2028: 0.0}
    # spares of 19% of the module's accelerators replace the 19% that fail over two years
    spared = tiny(**TWO_PERIODS, economics=economics(0.1, spares=0.19))
    assert oth(spared, 2028) == {2026: 1.0, 2028: pytest.approx(0.5)}
    # a provider is lost at once: the territory and provider layers keep nothing
    res = stress(sc, plan=PLAN, cut=["PUB"], from_year=2028)
    assert list(res.cuts["kept_share"]) == [1.0, 0.0]


def test_spares_are_paid_with_owned_modules():
    """One CA module built at home costs 10; with 20% spares 12 (2 of spare chips)."""
    only = {"target": {2030: 1}, "chips": ["CA"], "countries": ["HOM"], "solver": EXACT}
    plain = solve(tiny(**only, economics=economics(0.1)))
    spared = solve(tiny(**only, economics=economics(0.1, 0.2)))
    assert plain.cost == pytest.approx(10.0) and spared.cost == pytest.approx(12.0)


#: two one-year periods; only home sites (PUB builds CA or CH); N-1 keeps 80% of each target
N1 = {
    "periods": [2029, 2030],
    "target": {2029: 1, 2030: 2},
    "horizon_end": 2030,
    "countries": ["HOM"],
    "limits": {"resilience": 0.8},
    "solver": EXACT,
}


def test_model_n_minus_1_counts_installed_chips_minus_failures():
    """By hand. 2029: the OTH cut at its start leaves only CH (nothing was installed before),
    so one CH module (20) is needed. 2030 needs 2 EFLOP/s of which 1.6 must survive: a CA
    module bought in 2029 (10) keeps 0.9 after a year without support: 1 + 0.9 = 1.9 ≥ 1.6
    for 30 MUSD; a CA module bought in 2030 would be lost (1 < 1.6) and two CH cost 40.
    Index: 2029 counts CH (1), 2030 CH + CA (1 + 2/3): (1 + 1 + 2/3) / 3 = 8/9."""
    plan = solve(tiny(**N1, budget=30, economics=economics(0.1)))
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(8 / 9)
    assert plan.cost == pytest.approx(30.0)
    a = plan.allocation
    assert set(a.loc[(a["period"] == 2029) & (a["modules"] > 0), "chip"]) == {"CA", "CH"}
    res = plan.resilience.set_index(["period", "jurisdiction"])["kept_share_of_target"]
    assert res[(2029, "OTH")] == pytest.approx(1.0)
    assert res[(2030, "OTH")] == pytest.approx(0.95)
    assert plan.worst_case["period"] == 2030 and plan.worst_case["jurisdictions"] == ["OTH"]
    # half the chips failing a year: 1 + 0.5 < 1.6, no plan within 30 MUSD
    assert solve(tiny(**N1, budget=30, economics=economics(0.5)), diagnose=False).status == (
        "infeasible"
    )
    # 20% spares: 1 + 0.7 ≥ 1.6 again, at 1.2 x (20 + 10) = 36 MUSD
    spared = solve(tiny(**N1, budget=36, economics=economics(0.5, 0.2)))
    assert spared.status == "optimal" and spared.cost == pytest.approx(36.0)
    assert spared.sovereignty["index"] == pytest.approx(8 / 9)
    # stress from 2030 reads the same rule as the model's N-1 row for 2030
    cut = stress(tiny(**N1, budget=36, economics=economics(0.5, 0.2)), plan=spared, cut=["OTH"])
    assert cut.cuts.set_index("period").loc[2030, "kept_share"] == pytest.approx(0.85)


# --- metamorphic: a later cut year never keeps less ---------------------------------------

OPTIONS = [("HOM", "PUB", "CA"), ("HOM", "PUB", "CH"), ("ALY", "USC", "CA"), ("OTH", "PUB", "CA")]
PERIODS = [2026, 2028, 2030]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    adds=st.lists(
        st.lists(st.integers(0, 2), min_size=len(PERIODS), max_size=len(PERIODS)),
        min_size=len(OPTIONS),
        max_size=len(OPTIONS),
    ),
    rate=st.sampled_from([0.0, 0.09, 0.3]),
    spares=st.sampled_from([0.0, 0.1]),
    who=st.sampled_from(["OTH", "ALY"]),
    years=st.tuples(st.integers(2026, 2032), st.integers(0, 6)),
)
def test_a_later_cut_year_never_lowers_the_kept_share(adds, rate, spares, who, years):
    sc = tiny(
        periods=PERIODS,
        target={2026: 1, 2028: 2, 2030: 3},
        horizon_end=2032,
        economics=economics(rate, spares),
    )
    tables = load_tables(TINY_DATA)
    alloc = []
    for (k, p, c), per in zip(OPTIONS, adds, strict=True):
        total = 0
        for t, extra in zip(PERIODS, per, strict=True):
            total += extra  # build-out never decreases
            if total:
                alloc.append(row(t, k, p, c, total))
    if not alloc:
        return
    import pandas as pd

    rows = plan_rows(sc, tables, pd.DataFrame(alloc))
    lost, chip = jurisdiction_masks(rows, who)
    rule = cut_rule(sc)
    early, late = years[0], min(2032, years[0] + years[1])
    kept_early = kept_table(rows, lost, chip, rule, sc.target, early)
    kept_late = kept_table(rows, lost, chip, rule, sc.target, late)
    assert (kept_late["kept_eflops"] >= kept_early["kept_eflops"] - 1e-9).all()
    # and a cut never keeps more than the plan has
    assert (kept_early["kept_eflops"] <= kept_early["compute_eflops"] + 1e-9).all()
    # the N-1 table's path (masks as arrays, one cache over many calls) keeps every bit
    from planner.core.cuts import _MaskReader

    reader, cache = _MaskReader(rows), {}
    for year in (early, late, None):
        pd.testing.assert_frame_equal(
            kept_table(rows, *reader.arrays(who), rule, sc.target, year, cache),
            kept_table(rows, *reader(who), rule, sc.target, year),
            check_exact=True,
        )


def test_crisis_plan_keeps_installed_chips_minus_failures_and_relaxes_what_it_must():
    """PLAN cut by OTH from 2028: 2026 stands (one CA module, 10); in 2028 the CA module
    installed in 2026 keeps 0.81 and no CA can be bought, so two CH builds (40) are needed:
    0.81 + 2 ≥ 2. Index (2/3 for 2026's CA + 2 for 2028's CH) / 3 = 8/9; cost 50, 30 more
    than the plan's 20. With a budget of 45 the crisis plan raises it to 50 (a loosening of
    1/9) rather than deliver 1.81 of 2 EFLOP/s (penalised ten times per unit)."""
    sc = tiny(**TWO_PERIODS, economics=economics(0.1), solver=EXACT)
    res = stress(sc, plan=PLAN, cut=["OTH"], from_year=2028, replan=True)
    crisis = res.replans.iloc[0]
    assert crisis["status"] == "optimal" and crisis["relaxed"] == ""
    assert crisis["sovereignty_index"] == pytest.approx(8 / 9)
    assert crisis["total_cost_musd"] == pytest.approx(50.0)
    assert crisis["extra_cost_musd"] == pytest.approx(30.0)
    tight = tiny(**TWO_PERIODS, economics=economics(0.1), solver=EXACT, budget=45)
    crisis = stress(tight, plan=PLAN, cut=["OTH"], from_year=2028, replan=True).replans.iloc[0]
    assert crisis["status"] == "crisis_plan"
    assert "raise budget from 45 MUSD to 50 MUSD" in crisis["relaxed"]
    assert crisis["total_cost_musd"] == pytest.approx(50.0)


def test_n_minus_1_carries_only_modules_still_in_service_when_capacity_may_shrink():
    """Without non-decreasing build-out a module counts as installed before the cut only if
    it serves both periods (``carried`` ≤ n[t−1], ≤ n[t]): the hand-checked optimum above
    keeps its 2029 CA module in 2030, so it is the same plan."""
    plan = solve(
        tiny(**N1, budget=30, economics=economics(0.1), buildout={"non_decreasing": False})
    )
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(8 / 9)
    assert plan.cost == pytest.approx(30.0)
    a = plan.allocation
    ca = a[(a["chip"] == "CA") & (a["modules"] > 0)]
    assert sorted(ca["period"]) == [2029, 2030]


COMMITTED_CA = {
    "name": "contract",
    "country": "HOM",
    "provider": "PUB",
    "chip": "CA",
    "accelerators": 1000,
    "since": 2027,
    "capital_musd": 5.0,
}


@pytest.mark.parametrize(("spares", "committed"), [(0.0, []), (0.2, []), (0.0, [COMMITTED_CA])])
def test_the_models_kept_capacity_is_the_plans_n_minus_1_table(spares, committed):
    """One rule: the model's kept[j,t] (add_cut_survivors) equals what planner.core.cuts
    computes from the plan's allocation, for every foreign jurisdiction and period. A
    committed system is installed from its start year like an existing one (the plan's table
    once read it as never installed: the UK's 2030 worst case said 3% where the model kept
    20%)."""
    from planner.core.prepare import prepare
    from planner.core.results import make_plan
    from planner.core.solve import optimise

    sc = tiny(
        periods=[2026, 2028, 2030],
        target={2026: 1, 2028: 2, 2030: 3},
        horizon_end=2031,
        budget=60,
        limits={"resilience": 0.5},
        economics=economics(0.1, spares),
        committed=committed,
        solver=EXACT,
    )
    prep = prepare(sc)
    outcome, _ = optimise(prep)
    plan = make_plan(prep, outcome, "sovereignty")
    assert plan.ok
    table = plan.resilience.set_index(["period", "jurisdiction"])["kept_eflops"]
    cols = prep.highs.col_of
    for (j, t), var in prep.model.kept.items():
        assert outcome.x[cols[id(var)]] == pytest.approx(table[(t, j)], abs=1e-6)
    if committed:  # the contract's chips are in the kept capacity of some cut
        assert (plan.allocation["existing"] == "contract").any()
