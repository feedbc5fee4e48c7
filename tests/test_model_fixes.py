"""Regression tests for issue #11's model bugs, with hand-checked expectations.

Tiny data (tests/conftest.py): 1 module = 1 EFLOP/s; building costs 10 MUSD (chip CA,
designed in OTH) or 20 MUSD (chip CH, designed at home); USC (an OTH cloud in ALY and OTH)
rents for a fifth of that per year; one period of one year. Trust HOM 1, ALY 0.5, OTH 0,
equal weights.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner import solve
from planner.core.scenario import load_scenario
from tests.conftest import tiny

ROOT = Path(__file__).resolve().parents[1]
FRANCE = ROOT / "data" / "scenarios" / "france-2030.yaml"


def _n1_only(budget: float):
    """Home excluded, target 1, full N-1: one module must stay uncounted."""
    return tiny(countries=["ALY", "OTH"], target={2030: 1}, limits={"resilience": 1}, budget=budget)


@pytest.mark.parametrize("budget", [30, 50])
def test_capacity_held_for_n_minus_1_need_not_deliver(budget):
    """By hand: build (ALY, PUB, CH) for 20 (score (0.5 + 1 + 1)/3 = 5/6), counted; rent
    (OTH, USC, CA) for 2 and hold it only so that losing ALY keeps 1 EFLOP/s. Cutting OTH
    keeps the ALY module, cutting ALY keeps the OTH one. 22 MUSD, index 5/6. A second CH
    build in OTH (40 MUSD) reaches the same index and must not be chosen."""
    plan = solve(_n1_only(budget))
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(5 / 6, abs=1e-6)
    assert plan.cost == pytest.approx(22.0, abs=1e-6)
    alloc = plan.allocation.set_index(["country", "provider", "chip"])
    assert alloc.loc[("ALY", "PUB", "CH"), "counted_eflops"] == pytest.approx(1.0)
    assert alloc.loc[("OTH", "USC", "CA"), "modules"] == 1
    assert alloc.loc[("OTH", "USC", "CA"), "counted_eflops"] == pytest.approx(0.0, abs=1e-9)
    assert plan.kpis["worst_case_n_minus_1_share"] == pytest.approx(1.0)


def test_min_providers_still_needs_delivery():
    """min_providers counts only suppliers that deliver a module's worth of the target, so an
    idle rented module cannot satisfy it. By hand, home excluded, target 2: without the rule
    two CH builds in ALY give 5/6. With two delivering providers, USC must count 1 module:
    its best is CH rented in ALY, (0.5 + 0 + 1)/3 = 1/2; PUB counts the other (5/6):
    index (1/2 + 5/6)/2 = 2/3."""
    sc = tiny(countries=["ALY", "OTH"], target={2030: 2}, limits={"min_providers": 2}, budget=60)
    plan = solve(sc)
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(2 / 3, abs=1e-6)
    assert plan.kpis["providers_delivering"] == 2
    row = plan.limits.set_index("limit").loc["min_providers"]
    assert row["actual"] == 2 and row["binding"]


def test_delivers_binaries_exist_only_with_minimum_counts():
    from models.build import build
    from planner.core.data import load_tables
    from planner.core.inputs import build_inputs

    sc = tiny()
    inp, _ = build_inputs(sc, load_tables(sc.data))
    m = build(inp)
    assert not hasattr(m, "delivers_provider") and not hasattr(m, "delivers_designer")
    sc = tiny(limits={"min_providers": 2, "min_chip_designers": 2})
    inp, _ = build_inputs(sc, load_tables(sc.data))
    m = build(inp)
    assert len(m.delivers_provider) == len(m.P) and len(m.delivers_designer) == len(m.D)


@pytest.mark.slow
def test_france_without_diversification_reaches_0_835():
    """Issue #11: sovplan proved 0.83246 while 0.835 is feasible."""
    sc = load_scenario(FRANCE, ["constraints.diversification=false"])
    plan = solve(sc)
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] >= 0.835 - 2e-6


def test_average_electricity_price_is_the_one_the_limit_bounds():
    """The cap bounds discounted energy cost over discounted energy; the report must show the
    same quantity (at a 5% rate, dividing by undiscounted GWh read ~10% low)."""
    sc = load_scenario(
        FRANCE,
        [
            "countries=[FRA,DEU,SWE]",
            "economics.discount_rate=0.05",
            "max_avg_electricity_price_usd_per_mwh=80",
            "limits={}",
        ],
    )
    plan = solve(sc)
    assert plan.status == "optimal"
    alloc = plan.allocation
    disc = {t: 1.05 ** -(t - 2026) for t in (2026, 2028, 2030)}
    weighted_gwh = (alloc["period"].map(disc) * alloc["energy_gwh"]).sum()
    expected = alloc["energy_cost_musd"].sum() * 1000.0 / weighted_gwh
    reported = plan.kpis["avg_electricity_price_usd_per_mwh"]
    assert reported == pytest.approx(expected, rel=1e-9)
    assert reported <= 80.0 + 1e-6
    undiscounted = alloc["energy_cost_musd"].sum() * 1000.0 / alloc["energy_gwh"].sum()
    assert undiscounted < reported - 1.0  # the old report, visibly different
    row = plan.limits.set_index("limit").loc["max_avg_electricity_price_usd_per_mwh"]
    assert row["actual"] == pytest.approx(reported)


def _france():
    from planner.core.data import load_tables
    from planner.core.inputs import build_inputs

    sc = load_scenario(FRANCE)
    tables = load_tables(sc.data)
    inp, ctx = build_inputs(sc, tables)
    return sc, tables, inp, ctx


def test_france_home_treats_the_eu_as_foreign_in_caps_and_n_minus_1():
    """One rule for "foreign": EU territory scores 0.85 for France, so the EU is a foreign
    jurisdiction in the share cap and N-1 groups too; France itself and OVHcloud (HQ FRA)
    depend on it in no layer."""
    _, _, inp, ctx = _france()
    assert "EU" in ctx.foreign and "EU" not in ctx.home_jurisdictions
    opt = inp.options
    eu = set(inp.by_dependency["EU"])
    deu = set(opt.index[opt["country"] == "DEU"])
    fra_ovh = set(opt.index[(opt["country"] == "FRA") & (opt["provider"] == "OVH")])
    assert deu and deu <= eu
    assert fra_ovh and not (fra_ovh & eu)
    hetzner = set(opt.index[opt["provider"] == "HETZNER"])  # HQ DEU: provider layer is EU
    assert hetzner <= eu
    # index and groups agree: a layer scores below 1 exactly when it has a foreign jurisdiction
    for layer, col in (("territorial", "j_country"), ("provider", "j_provider")):
        foreign_layer = opt[col].notna()
        assert (opt.loc[~foreign_layer, f"score_{layer}"] == 1.0).all()
    assert opt.loc[list(deu), "score_territorial"].tolist() == pytest.approx([0.85] * len(deu))


def test_france_stress_cuts_the_eu_but_keeps_france():
    from planner.studies.stress import stress

    sc, tables, _, _ = _france()

    def r(country, provider, chip, modules):
        return {
            "period": 2030,
            "country": country,
            "provider": provider,
            "chip": chip,
            "modules": modules,
            "compute_eflops": float(modules),
        }

    plan = {
        "status": "optimal",
        "cost": 1.0,
        "allocation": [r("FRA", "OVH", "H100", 40), r("DEU", "HETZNER", "H100", 20)],
    }
    res = stress(sc, plan=plan, tables=tables)
    eu = res.cuts[(res.cuts["kind"] == "jurisdiction") & (res.cuts["supplier"] == "EU")]
    eu = eu[eu["period"] == 2030].iloc[0]
    assert eu["lost_eflops"] == pytest.approx(20.0) and eu["kept_eflops"] == pytest.approx(40.0)


def test_last_lp_pass_resplits_counted_compute_for_the_chosen_modules():
    """Take the N-1 plan, move its counted compute onto the held OTH module (a feasible but
    poor split: index (0 + 0 + 0)/3 = 0), and hand it to the last LP pass: with the modules
    fixed it must return the best split, index 5/6, and leave the model as it was."""
    import numpy as np

    from planner.core.solve import optimise, prepare, resplit

    prep = prepare(_n1_only(30))
    outcome, _ = optimise(prep)
    m, h = prep.model, prep.highs
    opt = prep.inputs.options
    key = {(r.country, r.provider, r.chip): i for i, r in opt.iterrows()}
    aly = h.col_of[id(m.q[key[("ALY", "PUB", "CH")], 2030])]
    oth = h.col_of[id(m.q[key[("OTH", "USC", "CA")], 2030])]
    x = outcome.x.copy()
    x[aly], x[oth] = 0.0, 1.0
    assert h.evaluate(m.sovereignty.expr, x) == pytest.approx(0.0, abs=1e-9)
    poor = type(outcome)(**{**outcome.__dict__, "x": x})
    better = resplit(prep, poor, "sovereignty")
    assert better.objective == pytest.approx(5 / 6, abs=1e-9)
    assert better.x[aly] == pytest.approx(1.0) and better.x[oth] == pytest.approx(0.0, abs=1e-9)
    ints = np.flatnonzero(h.integer)
    assert np.array_equal(better.x[ints], np.rint(outcome.x[ints]))
    # integrality and bounds restored: the MIP solves again to the same optimum
    import pyomo.environ as pyo

    h.set_objective(m.sovereignty.expr, pyo.maximize)
    again = h.solve()
    assert again.status == "optimal" and again.objective == pytest.approx(5 / 6, abs=1e-6)
    lp = h.h.getLp()
    assert [int(lp.integrality_[i]) for i in ints] == [1] * len(ints)


@pytest.mark.slow
def test_france_reports_the_best_index_for_its_modules():
    """Issue #11: France reported 0.7809526 where the same modules reach 0.781 (0.77253 since
    issue #23: lead times, end of sale, per-chip prices, Alice Recoque committed)."""
    plan = solve(load_scenario(FRANCE))
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] >= 0.7725294 - 2e-6
