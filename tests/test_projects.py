"""Co-financed projects (projects.csv, scenario ``projects``): a yes/no decision per project.

Hand-checked on the tiny data (tests/fixtures/tiny/projects.csv): 1 module = 1 EFLOP/s; a CH
module costs 20 MUSD to build (score 1 at home), a CA module 10 MUSD (designer in OTH, score
2/3 at home). GF_H is 2,000 CH at home for 20 MUSD, half public: the home's default share is
1,000 accelerators (one module) for 10 MUSD.
"""

from __future__ import annotations

import pytest

from planner import solve
from planner.core.data import load_tables
from planner.core.errors import InputError
from planner.core.inputs import build_inputs
from tests.conftest import TINY_DATA, TINY_ECONOMICS, tiny

LABEL = "Home gigafactory [GF_H]"


def _project_rows(plan, label: str):
    return plan.allocation[plan.allocation["existing"] == label]


def test_joining_changes_the_plan_and_the_budget_pays_the_public_share():
    # without the project: 1 CH + 1 CA at home = 30 MUSD, index (1 + 2/3)/2
    base = solve(tiny(budget=30))
    assert base.status == "optimal"
    assert base.sovereignty["index"] == pytest.approx(5 / 6)
    assert set(base.allocation["chip"]) == {"CA", "CH"}
    # with it: 1 CH (20) + the home's half of GF_H (0.5 x 20 = 10) = 30, index 1
    plan = solve(tiny(budget=30, projects={"GF_H": {}}))
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(1.0)
    assert set(plan.allocation["chip"]) == {"CH"}
    joined = _project_rows(plan, LABEL)
    assert joined["modules"].tolist() == [1]
    assert joined["capex_musd"].tolist() == pytest.approx([10.0])  # 0.5 x 20, nothing more
    assert plan.kpis["total_cost_musd"] == pytest.approx(30.0)


def test_a_dearer_share_is_not_worth_joining_above_the_budget():
    # paying 60% (12 MUSD) with a CH module (20) breaks the budget of 30: the plan takes the
    # project with a CA module (22 MUSD) instead, the same index as without it and cheaper
    plan = solve(tiny(budget=30, projects={"GF_H": {"cost_share": 0.6}}))
    assert plan.sovereignty["index"] == pytest.approx(5 / 6)
    assert plan.kpis["total_cost_musd"] == pytest.approx(22.0)
    assert _project_rows(plan, LABEL)["capex_musd"].tolist() == pytest.approx([12.0])


def test_home_share_sets_the_accelerators_counted():
    inp, _ = build_inputs(tiny(projects={"GF_H": {"home_share": 1.0}}), load_tables(TINY_DATA))
    (a,) = inp.projects
    assert inp.options.at[a, "accelerators"] == 2000
    assert inp.options.at[a, "compute"] == pytest.approx(2.0)
    assert inp.options.at[a, "energy_cost"] == 0.0  # the operator pays the power


def test_caps_and_n_minus_1_see_the_projects_country_provider_and_chip():
    inp, _ = build_inputs(tiny(projects={"GF_A": {}}), load_tables(TINY_DATA))
    (a,) = inp.projects
    assert a in inp.by_country["HOM"]
    assert a in inp.by_provider["PUB"]
    assert a in inp.by_designer["A Corp"]
    assert a in inp.by_dependency["OTH"]  # its chip's designer is in OTH
    # the free CA project plus one CH module would meet N-1 at 100% if the model read the
    # project as home-made; a cut of OTH loses it (not installed before 2030), so only two
    # CH modules (40 MUSD) keep the whole target: infeasible within 30
    assert solve(tiny(budget=30, projects={"GF_A": {}}, limits={"resilience": 1.0})).status == (
        "infeasible"
    )
    plan = solve(tiny(budget=30, projects={"GF_A": {"joined": True}}, limits={"resilience": 0.5}))
    assert plan.status == "optimal"
    n1 = plan.resilience
    kept = n1.loc[(n1["jurisdiction"] == "OTH") & (n1["period"] == 2030), "kept_eflops"]
    total = plan.allocation["compute_eflops"].sum()
    project = _project_rows(plan, "Home A-chip factory [GF_A]")["compute_eflops"].sum()
    assert project == pytest.approx(1.0)
    assert float(kept.iloc[0]) == pytest.approx(total - project)


def test_a_designer_cap_counts_the_project():
    # designer cap 0.5: the project's CA module and one CH module are each exactly at the
    # cap; at 0.4 two designers carry at most 80% of the target: the project's designer counts
    ok = solve(tiny(budget=30, projects={"GF_A": {"joined": True}},
                    limits={"max_share_chip_designer": 0.5}))  # fmt: skip
    assert ok.status == "optimal"
    bad = solve(tiny(budget=30, projects={"GF_A": {"joined": True}},
                     limits={"max_share_chip_designer": 0.4}))  # fmt: skip
    assert bad.status == "infeasible"


def test_a_project_after_the_last_period_is_named_and_idle():
    inp, _ = build_inputs(tiny(projects={"GF_LATE": {}}), load_tables(TINY_DATA))
    assert inp.projects == []
    assert any("serve in no planning period" in n and "GF_LATE" in n for n in inp.notes)


def test_unknown_project_and_foreign_public_operator_are_input_errors():
    with pytest.raises(InputError, match=r"projects.GF_X.*unknown project"):
        build_inputs(tiny(projects={"GF_X": {}}), load_tables(TINY_DATA))
    # ALY is not home: GF_H's PUBLIC operator would read as ALY's own public option
    with pytest.raises(InputError, match="only a home including HOM"):
        build_inputs(tiny(home=["ALY"], projects={"GF_H": {}}), load_tables(TINY_DATA))


@pytest.mark.slow
def test_eu_ai_continent_joins_sines_within_the_public_money():
    """The bundled EU AI Continent plan (docs/scenarios.md reads it): it co-finances the Sines
    bid alone (the cheapest public share per accelerator), within the programme's public
    EUR 8.2bn (8,872 MUSD)."""
    from pathlib import Path

    from planner.core.scenario import load_scenario

    root = Path(__file__).resolve().parents[1]
    plan = solve(load_scenario(root / "data" / "scenarios" / "eu-ai-continent-2030.yaml"))
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(0.85, abs=1e-3)
    names = set(plan.allocation["existing"].fillna(""))
    assert "Sines AI gigafactory bid [GF_PRT_SINES]" in names
    assert not {n for n in names if "GF_ESP_MORA" in n or "GF_ROU_BLACKSEA" in n}
    assert plan.kpis["total_cost_musd"] <= 8872 + 1e-6


def test_the_share_is_paid_once_when_the_project_enters_service_discounted():
    # two periods, 10% discounting, cash basis: GF_H (from 2030) charges its 10 MUSD share in
    # 2030 only, at δ = 1.1^-2; no running cost in any period (the operator pays them)
    eco = {**TINY_ECONOMICS, "discount_rate": 0.1}
    sc = tiny(periods=[2028, 2030], target={2028: 1, 2030: 2}, horizon_end=2031,
              economics=eco, projects={"GF_H": {}})  # fmt: skip
    inp, _ = build_inputs(sc, load_tables(TINY_DATA))
    (a,) = inp.projects
    assert inp.capital[a].tolist() == pytest.approx([0.0, 10.0 / 1.1**2])
    assert inp.opex_by_period[a].tolist() == [0.0, 0.0]
    assert inp.fixed_modules[(a, 2028)] == 0.0 and (a, 2030) not in inp.fixed_modules
