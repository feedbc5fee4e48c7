"""Near-optimal alternatives (planner.studies.alternatives), checked against brute force.

The tiny instance (tests/conftest.py) at budget 30: two 1-EFLOP/s modules meet the target.
``SCORES`` holds each option's sovereignty score and module cost, by hand (as in
test_core_handchecked.py).

The brute force below enumerates every pair of modules within the budget, so the set of
near-optimal plans (and how many distinct ones each metric allows) is known without the
model.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from planner import alternatives
from planner.core.errors import InputError
from tests.conftest import tiny

#: (country, provider, chip) -> (sovereignty score, cost of one module in MUSD)
#: score = mean of territorial (HOM 1, ALY 1/2, OTH 0), provider (PUB 1, USC 0: an OTH
#: cloud), chip (CH 1: designed at home, CA 0); cost: build CA 10 / CH 20, rent CA 2 / CH 4.
SCORES = {
    ("HOM", "PUB", "CH"): (1.0, 20.0),
    ("HOM", "PUB", "CA"): (2 / 3, 10.0),
    ("ALY", "PUB", "CH"): (5 / 6, 20.0),
    ("ALY", "PUB", "CA"): (1 / 2, 10.0),
    ("OTH", "PUB", "CH"): (2 / 3, 20.0),
    ("OTH", "PUB", "CA"): (1 / 3, 10.0),
    ("ALY", "USC", "CH"): (1 / 2, 4.0),
    ("ALY", "USC", "CA"): (1 / 6, 2.0),
    ("OTH", "USC", "CH"): (1 / 3, 4.0),
    ("OTH", "USC", "CA"): (0.0, 2.0),
}
DESIGNER = {"CA": "A Corp", "CH": "H Corp"}
BUDGET = 30.0
COLUMN = {"countries": [0], "providers": [1], "chips": [2], "mix": [0, 1, 2]}


def brute_force(slack: float) -> tuple[float, float, list[tuple]]:
    """Best index, its least cost, and every pair of modules within budget and slack."""
    pairs = [
        p
        for p in itertools.combinations_with_replacement(SCORES, 2)
        if sum(SCORES[o][1] for o in p) <= BUDGET + 1e-9
    ]
    index = {p: sum(SCORES[o][0] for o in p) / 2 for p in pairs}
    best = max(index.values())
    cost = min(sum(SCORES[o][1] for o in p) for p in pairs if index[p] >= best - 1e-9)
    near = [p for p in pairs if index[p] >= (1 - slack) * best - 1e-9]
    return best, cost, near


def signature(options, metric: str) -> tuple[frozenset, ...]:
    """The sets of countries / providers / chip designers a plan uses, per metric."""
    out = []
    for col in COLUMN[metric]:
        out.append(frozenset(DESIGNER[o[2]] if col == 2 else o[col] for o in options))
    return tuple(out)


def plan_signature(plan, metric: str) -> tuple[frozenset, ...]:
    final = plan.allocation[plan.allocation["counted_eflops"] > 1e-6]
    cols = {0: "country", 1: "provider", 2: "designer"}
    return tuple(frozenset(final[cols[c]]) for c in COLUMN[metric])


def index_from_allocation(plan) -> float:
    """Sovereignty index recomputed from the allocation table and the hand scores."""
    a = plan.allocation
    total = sum(
        SCORES[(r.country, r.provider, r.chip)][0] * r.counted_eflops for r in a.itertuples()
    )
    return total / 2.0  # target 2 EFLOP/s


def cost_from_allocation(plan) -> float:
    rows = plan.allocation.itertuples()
    return sum(SCORES[(r.country, r.provider, r.chip)][1] * r.modules for r in rows)


@pytest.mark.parametrize("metric", ["mix", "countries", "providers", "chips"])
def test_tiny_alternatives_match_brute_force(metric):
    slack = 0.1
    best, best_cost, near = brute_force(slack)
    distinct = {signature(p, metric) for p in near}
    result = alternatives(tiny(budget=BUDGET), slack=slack, n=6, metric=metric)
    plans = result.plans
    # the first plan is the optimum (best index, then least cost)
    assert index_from_allocation(plans[0]) == pytest.approx(best)
    assert cost_from_allocation(plans[0]) == pytest.approx(best_cost)
    assert result.table.loc[0, "differs"] == "optimum"
    # every plan is within the slack and the budget, recomputed from its allocation
    for plan in plans:
        assert plan.ok
        assert index_from_allocation(plan) >= (1 - slack) * best - 1e-6
        assert cost_from_allocation(plan) <= BUDGET + 1e-6
        assert plan.sovereignty["index"] == pytest.approx(index_from_allocation(plan))
    # pairwise different under the metric, and every distinct near-optimal plan is found
    sigs = [plan_signature(p, metric) for p in plans]
    assert len(set(sigs)) == len(sigs)
    assert set(sigs) == distinct
    assert len(plans) == len(distinct) < 6
    assert any("distinct plan" in note for note in result.notes)


def test_tiny_n_caps_the_number_of_plans_and_n1_is_the_optimum():
    result = alternatives(tiny(budget=BUDGET), slack=0.1, n=2, metric="mix")
    assert len(result) == 2
    assert result.plans[1].sovereignty["index"] < result.plans[0].sovereignty["index"]
    # {HOM CH, USC@ALY CH}: away from the only country, provider and designer mix used
    assert plan_signature(result.plans[1], "mix") == (
        frozenset({"HOM", "ALY"}),
        frozenset({"PUB", "USC"}),
        frozenset({"H Corp"}),
    )
    assert cost_from_allocation(result.plans[1]) == pytest.approx(24)
    assert result.table.loc[1, "differs"].startswith("moves 50% from Homeland to Allyland")
    only = alternatives(tiny(budget=BUDGET), slack=0.1, n=1)
    assert len(only) == 1 and only.table.loc[0, "distance"] == 0


def test_zero_slack_allows_only_plans_as_good_as_the_optimum():
    result = alternatives(tiny(budget=BUDGET), slack=0.0, n=3)
    assert len(result) == 1  # the optimum is the only index-5/6 plan within budget


def test_cost_objective_bounds_cost_not_index():
    result = alternatives(tiny(budget=BUDGET), slack=0.5, n=3, objective="cost")
    least = min(sum(SCORES[o][1] for o in p) for p in brute_force(1.0)[2])
    assert cost_from_allocation(result.plans[0]) == pytest.approx(least)
    for plan in result.plans:
        assert cost_from_allocation(plan) <= 1.5 * least + 1e-6


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"slack": -0.1}, "--slack"),
        ({"slack": 1.0}, "--slack"),
        ({"n": 0}, "--n"),
        ({"metric": "colour"}, "--metric"),
        ({"objective": "fun"}, "--objective"),
    ],
)
def test_bad_input_is_an_input_error(kwargs, word):
    with pytest.raises(InputError, match=word):
        alternatives(tiny(), **kwargs)


def test_infeasible_scenario_returns_only_the_infeasible_optimum():
    result = alternatives(tiny(budget=3), n=3)  # two modules cost at least 4
    assert not result.ok and len(result) == 1
    assert "no feasible plan" in result.notes[0]


EU = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "eu-2030-hedge.yaml"


def limits_met(plan, sc) -> None:
    """Every limit of the scenario holds, recomputed from the plan's allocation and shares."""
    a = plan.allocation
    final = a[a["period"] == a["period"].max()]
    used = final[final["counted_eflops"] > 1e-6]
    shares = plan.shares
    target = {int(t): float(v) for t, v in sc.target.items()}
    assert a.groupby("period")["counted_eflops"].sum().to_dict() == pytest.approx(target)
    assert plan.kpis["total_cost_musd"] <= sc.budget + 1e-6
    lim = sc.limits
    for dim, cap in (
        ("provider", lim.max_share_provider),
        ("designer", lim.max_share_chip_designer),
    ):
        assert shares[shares["dimension"] == dim]["share"].max() <= cap + 1e-6
    assert used["provider"].nunique() >= lim.min_providers
    assert used["designer"].nunique() >= lim.min_chip_designers
    assert not (plan.limits["slack"] < -1e-6).any(), plan.limits


@pytest.mark.slow
def test_eu_three_alternatives_meet_every_limit_and_move_countries():
    from planner import load_scenario

    sc = load_scenario(EU)
    result = alternatives(sc, slack=0.05, n=3)
    assert len(result) == 3 and all(p.status == "optimal" for p in result.plans)
    best = result.best
    for plan in result.plans:
        limits_met(plan, sc)
        assert plan.sovereignty["index"] >= 0.95 * best - 1e-6
    countries = {frozenset(plan_signature(p, "countries")[0]) for p in result.plans}
    assert len(countries) >= 2
    assert (result.table["distance"].iloc[1:] > 0.2).all()


def test_sweep_runs_alternatives_per_point_and_reports_robustness():
    from planner import sweep

    runs = sweep(
        tiny(budget=BUDGET), {"budget_scale": [1.0, 4 / 3]}, workers=1,
        study="alternatives", study_options={"slack": 0.1, "n": 4},
    )  # fmt: skip
    assert list(runs["status"]) == ["optimal", "optimal"]
    at30, at40 = runs.iloc[0], runs.iloc[1]
    assert at30["sovereignty_index"] == pytest.approx(5 / 6)
    assert at30["alternatives_found"] == 2  # brute force: 3 distinct plans within 10%
    # budget 40: the optimum is two home CH modules (index 1); the one alternative within
    # 10% moves a module to ALY (index 11/12) and keeps the provider and chip designer
    assert at40["sovereignty_index"] == pytest.approx(1.0)
    assert at40["alternatives_found"] == 1
    assert at40["same_top_provider"] == 1 and at40["same_top_designer"] == 1
    assert at40["alternatives_min_index"] == pytest.approx(11 / 12)
    assert runs.attrs["sweep"]["study"] == "alternatives"


@pytest.mark.parametrize(
    ("study", "options", "word"),
    [
        ("robust", None, "--study"),
        ("alternatives", {"slack": 2}, "--slack"),
        ("alternatives", {"colour": 1}, "unknown option"),
        ("solve", {"slack": 0.1}, "no study options"),
    ],
)
def test_sweep_refuses_bad_study_settings(study, options, word):
    from planner import sweep

    with pytest.raises(InputError, match=word):
        sweep(tiny(), {"budget_scale": [1.0]}, workers=1, study=study, study_options=options)


# --- issue 26: alternatives that never crash, bounded in cost, re-split, told in words ------
def _stopping_solve(monkeypatch, stop_at: int, status: str):
    """HighsModel.solve as usual, except the ``stop_at``-th solve of the alternatives loop
    (counted once the ``alt_objective`` row exists) and every later one report ``status``:
    "feasible" keeps the plan (no bound), anything else drops it."""
    from planner.core.highs_backend import HighsModel, SolveOutcome

    real = HighsModel.solve
    calls = {"n": 0}

    def solve(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        if "alt_objective" not in self.extra_rows:
            return out
        calls["n"] += 1
        if calls["n"] < stop_at:
            return out
        if status == "feasible":
            return SolveOutcome("feasible", out.objective, None, 0.5, out.seconds, out.x, "stopped")
        return SolveOutcome(status, None, None, None, out.seconds, None, "Time limit reached")

    monkeypatch.setattr(HighsModel, "solve", solve)


def test_an_alternative_stopped_with_a_plan_is_kept_not_a_crash(monkeypatch):
    """`sovplan alternatives kenya --time-limit 30` died with "unexpected TypeError" when an
    alternative's solve stopped at its limit with a plan (no bound to print)."""
    _stopping_solve(monkeypatch, 1, "feasible")
    result = alternatives(tiny(budget=BUDGET), slack=0.1, n=3)
    assert len(result) == 3 and result.plans[0].status == "optimal"
    assert [p.status for p in result.plans[1:]] == ["feasible", "feasible"]
    assert all("time limit" in p.message for p in result.plans[1:])


def test_a_later_time_out_keeps_the_optimum_and_every_finished_plan(monkeypatch):
    _stopping_solve(monkeypatch, 3, "time_limit_no_solution")  # alternative 2's first solve
    result = alternatives(tiny(budget=BUDGET), slack=0.1, n=4)
    assert len(result) == 2 and result.ok and result.plans[1].ok
    assert any("time limit" in n and "kept" in n for n in result.notes), result.notes
    assert not any("distinct plan" in n for n in result.notes)


def test_a_time_out_before_the_optimum_is_not_called_infeasible(monkeypatch):
    from planner.core.highs_backend import HighsModel, SolveOutcome

    def solve(self, *args, **kwargs):
        return SolveOutcome("time_limit_no_solution", None, None, None, 0.0, None, "Time limit")

    monkeypatch.setattr(HighsModel, "solve", solve)
    result = alternatives(tiny(budget=BUDGET), slack=0.1, n=3)
    assert not result.ok and result.plans[0].status == "time_limit_no_solution"
    assert "time limit" in " ".join(result.notes)
    assert "infeasible" not in " ".join(result.notes)


def test_alternatives_cost_at_most_max_cost_increase_more_than_the_optimum():
    """Maximising the chip layer, the optimum rents (8 MUSD); unbounded, the alternatives
    build at 30 MUSD (+275%); with the default bound (25%) none costs more than 10."""
    sc = tiny(budget=100)
    loose = alternatives(sc, slack=0.5, n=4, objective="chip", max_cost_increase=None)
    assert loose.table["cost_musd"].max() > 1.25 * loose.table.loc[0, "cost_musd"]
    bounded = alternatives(sc, slack=0.5, n=4, objective="chip")
    cost0 = bounded.table.loc[0, "cost_musd"]
    assert len(bounded) > 1
    assert (bounded.table["cost_musd"] <= 1.25 * cost0 + 1e-6).all()
    for plan in bounded.plans:
        assert cost_from_allocation(plan) <= 1.25 * cost0 + 1e-6


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "a"])
def test_a_bad_max_cost_increase_is_an_input_error(bad):
    with pytest.raises(InputError, match="max-cost-increase"):
        alternatives(tiny(budget=BUDGET), max_cost_increase=bad)


def test_each_alternative_gets_the_last_lp_pass(monkeypatch):
    """Each alternative is re-split by the final LP (as the main plan is), so its reported
    index is the best its modules reach: the pass never lowers the objective."""
    import planner.studies.alternatives as alt_mod

    seen = []
    real = alt_mod.resplit

    def spy(prep, outcome, objective, tie_break=True):
        before = outcome.objective
        out = real(prep, outcome, objective, tie_break)
        seen.append((before, out.objective))
        return out

    monkeypatch.setattr(alt_mod, "resplit", spy)
    result = alternatives(tiny(budget=BUDGET), slack=0.1, n=3)
    assert len(seen) == len(result) - 1 >= 1
    assert all(after >= before - 1e-9 for before, after in seen)
    for plan in result.plans:
        assert plan.sovereignty["index"] == pytest.approx(index_from_allocation(plan))


def test_the_difference_reads_as_moves_and_swaps():
    import pandas as pd

    from planner.studies.alternatives import describe_difference

    class P:
        def __init__(self, rows):
            self.allocation = pd.DataFrame(
                rows, columns=["period", "country", "provider", "designer", "counted_eflops"]
            )

    optimum = P([(2030, "FRA", "GCP", "NVIDIA", 60), (2030, "SWE", "GCP", "NVIDIA", 40)])
    plan = P(
        [
            (2030, "FRA", "AWS", "NVIDIA", 20),
            (2030, "SWE", "AWS", "NVIDIA", 50),
            (2030, "SWE", "AZURE", "NVIDIA", 30),
        ]
    )
    names = {"FRA": "France", "SWE": "Sweden", "AWS": "AWS", "AZURE": "Azure", "GCP": "GCP"}
    assert describe_difference(plan, optimum, "mix", names) == (
        "moves 40% from France to Sweden; AWS and Azure instead of GCP"
    )
    assert describe_difference(optimum, optimum, "mix", names) == "same mix"


def test_the_cli_takes_max_cost_increase_and_refuses_a_bad_one(tmp_path):
    from typer.testing import CliRunner

    from planner.cli import app
    from tests.conftest import TINY_YAML

    out = tmp_path / "alts.csv"
    args = ["alternatives", str(TINY_YAML), "--slack", "0.1", "--n", "3"]
    ok = CliRunner().invoke(app, [*args, "--max-cost-increase", "0", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    import pandas as pd

    table = pd.read_csv(out)
    assert (table["cost_musd"] <= table.loc[0, "cost_musd"] + 1e-6).all()
    bad = CliRunner().invoke(app, [*args, "--max-cost-increase", "-1"])
    assert bad.exit_code == 2 and "max-cost-increase" in bad.output


def test_an_alternative_whose_part_of_the_time_ran_out_gets_what_is_left(monkeypatch):
    """Kenya with --time-limit 30 stopped after 14 s: alternative 1's part found no plan
    and the study ended with half its time unused. Now that plan is tried again with all
    that is left, and the study goes on."""
    from planner.core import deadline
    from planner.core.highs_backend import HighsModel, SolveOutcome

    real = HighsModel.solve
    limits: list[float] = []

    def solve(self, time_limit=None, *args, **kwargs):
        if "alt_objective" not in self.extra_rows:
            return real(self, time_limit, *args, **kwargs)
        limits.append(deadline.cap(time_limit))
        if len(limits) == 1:  # alternative 1's first try: its part ran out, no plan
            return SolveOutcome("time_limit_no_solution", None, None, None, 0.0, None, "Time")
        return real(self, time_limit, *args, **kwargs)

    monkeypatch.setattr(HighsModel, "solve", solve)
    result = alternatives(
        tiny(budget=BUDGET), slack=0.1, n=4, time_limit=100, time_limit_per_solve=100
    )
    assert len(result) >= 2 and result.plans[1].ok
    assert limits[1] > 2 * limits[0] - 1e-6  # the retry had what was left, not another part
