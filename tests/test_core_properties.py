"""Property tests: every returned plan obeys every limit, recomputed from its allocation alone."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import solve
from tests.conftest import tiny

TOL = 1e-5  # HiGHS MIP feasibility tolerance is 1e-6 on scaled rows

limits_st = st.fixed_dictionaries(
    {},
    optional={
        "max_share_provider": st.sampled_from([0.5, 0.6, 0.75, 1.0]),
        "max_share_chip_designer": st.sampled_from([0.5, 0.75, 1.0]),
        "max_share_foreign_jurisdiction": st.sampled_from([0.25, 0.5, 1.0]),
        "min_home_share": st.sampled_from([0.0, 0.25, 0.5]),
        "min_providers": st.integers(0, 2),
        "min_chip_designers": st.integers(0, 2),
        "resilience": st.sampled_from([0.0, 0.25, 0.5]),
    },
)
weights_st = st.fixed_dictionaries(
    {
        "territorial": st.sampled_from([0.0, 0.2, 0.5, 1.0]),
        "provider": st.sampled_from([0.0, 0.3, 1.0]),
        "chip": st.sampled_from([0.1, 0.5, 1.0]),
    }
)


def check_plan(plan, scenario) -> None:
    """Recompute every limit from plan.allocation (not from the solver's variables)."""
    alloc = plan.allocation
    limits = scenario.limits
    assert 0.0 - TOL <= plan.sovereignty["index"] <= 1.0 + TOL
    for key in ("territorial", "provider", "chip"):
        assert 0.0 - TOL <= plan.sovereignty[key] <= 1.0 + TOL
    for t, target in scenario.target.items():
        rows = alloc[alloc["period"] == t]
        assert rows["compute_eflops"].sum() >= target - TOL
        assert rows["counted_eflops"].sum() == pytest.approx(target, abs=1e-5)
        counted = rows["counted_eflops"]
        assert (counted <= rows["compute_eflops"] + TOL).all()
        if limits.max_share_provider is not None:
            assert (
                rows.groupby("provider")["counted_eflops"].sum()
                <= limits.max_share_provider * target + TOL
            ).all()
        if limits.max_share_chip_designer is not None:
            assert (
                rows.groupby("designer")["counted_eflops"].sum()
                <= limits.max_share_chip_designer * target + TOL
            ).all()
        if limits.min_home_share is not None:
            assert counted[rows["country"] == "HOM"].sum() >= limits.min_home_share * target - TOL
        # dependence: on OTH = located in OTH, a USC provider (HQ OTH) or chip CA (designed in OTH)
        dep_oth = (rows["country"] == "OTH") | (rows["provider"] == "USC") | (rows["chip"] == "CA")
        dep_aly = rows["country"] == "ALY"
        if limits.max_share_foreign_jurisdiction is not None:
            for dep in (dep_oth, dep_aly):
                assert counted[dep].sum() <= limits.max_share_foreign_jurisdiction * target + TOL
        if limits.resilience is not None:
            cap = rows["compute_eflops"]
            for dep in (dep_oth, dep_aly):
                assert cap[~dep].sum() >= limits.resilience * target - TOL
    final = alloc[alloc["period"] == max(scenario.periods)]
    if limits.min_providers:
        assert final["provider"].nunique() >= limits.min_providers
    if limits.min_chip_designers:
        assert final["designer"].nunique() >= limits.min_chip_designers
    if scenario.budget is not None:
        assert plan.kpis["total_cost_musd"] <= scenario.budget + 1e-6
        assert plan.kpis["total_cost_model_musd"] == pytest.approx(
            plan.kpis["total_cost_musd"], abs=1e-6
        )


#: what the random plans of the two properties below are drawn from
EVERY_PLAN = dict(
    budget=st.one_of(st.none(), st.integers(5, 60)),
    target=st.integers(1, 4),
    limits=limits_st,
    weights=weights_st,
    strategy=st.sampled_from(["hedge", "none", "align", "align:OTH"]),
)
MORE_BUDGET = dict(
    budget=st.integers(5, 50),
    extra=st.integers(1, 30),
    limits=limits_st,
    periods=st.sampled_from([([2030], {2030: 2}), ([2026, 2030], {2026: 1, 2030: 2})]),
)
# Each property runs on a few random tiny scenarios by default and on many with -m slow
# (the ``_many`` twins), as in tests/test_brute_force.py.


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**EVERY_PLAN)
def test_every_plan_satisfies_every_limit(budget, target, limits, weights, strategy):
    _every_plan(budget, target, limits, weights, strategy)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**EVERY_PLAN)
def test_every_plan_satisfies_every_limit_many(budget, target, limits, weights, strategy):
    _every_plan(budget, target, limits, weights, strategy)


def _every_plan(budget, target, limits, weights, strategy):
    if sum(weights.values()) == 0:
        return
    sc = tiny(
        budget=budget, target={2030: target}, limits=limits, weights=weights, strategy=strategy
    )
    plan = solve(sc)
    assert plan.status in {"optimal", "infeasible"}
    if plan.status == "optimal":
        check_plan(
            plan, sc if strategy in {"hedge"} else sc.model_copy(update={"limits": _enforced(sc)})
        )


def _enforced(sc):
    """Limits that still apply under the scenario's strategy (none/align relax some)."""
    limits = sc.limits.model_copy()
    if sc.strategy == "none":
        return type(limits)(min_home_share=limits.min_home_share)
    if sc.strategy.startswith("align"):
        return limits.model_copy(
            update={"max_share_foreign_jurisdiction": None, "resilience": None}
        )
    return limits


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**MORE_BUDGET)
def test_more_budget_never_lowers_the_optimal_index(budget, extra, limits, periods):
    _more_budget(budget, extra, limits, periods)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**MORE_BUDGET)
def test_more_budget_never_lowers_the_optimal_index_many(budget, extra, limits, periods):
    _more_budget(budget, extra, limits, periods)


def _more_budget(budget, extra, limits, periods):
    years, target = periods
    # compared by status and index only: no diagnosis of an infeasible low budget
    low = solve(tiny(budget=budget, limits=limits, periods=years, target=target), diagnose=False)
    high = solve(
        tiny(budget=budget + extra, limits=limits, periods=years, target=target), diagnose=False
    )
    if low.status == "optimal":
        assert high.status == "optimal"
        assert high.sovereignty["index"] >= low.sovereignty["index"] - 1e-6
