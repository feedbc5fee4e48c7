"""The speed-ups of issue #15 leave the optimum where it was.

Each formulation strengthening can be switched back to the plain formulation (monkeypatched
here): the best index and the cheapest cost at that index must agree, exactly on the tiny
instance (gaps 0) and within the default gaps on the bundled scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models.constraints as cf
from planner.core.prepare import prepare
from planner.core.screens import screen
from planner.core.solve import optimise, solve
from tests.conftest import tiny

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
EU = ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml"
EXACT = {"time_limit": 20, "mip_gap": 0.0, "tie_break_gap": 0.0}


def _plain_share_caps(inp, groups):
    """The formulation before issue #15: counted links with M = D_t (σ_g = 1)."""
    return {key: 1.0 for key in groups}


_supplier_links = cf.add_supplier_links


def _plain_supplier_links(m, inp):
    """The model before issue #15 round 4: no aggregate module counts n_pc (their defining
    rows are switched off; n_pc is then in no row and HiGHS drops it)."""
    _supplier_links(m, inp)
    m.modules_by_provider_chip.deactivate()


#: Each strengthening, and how to switch it back to the plain formulation.
PLAIN = {
    "share_caps": ("_share_caps", _plain_share_caps),
    "provider_chip_counts": ("add_supplier_links", _plain_supplier_links),
}


@dataclass(frozen=True)
class Optimum:
    """What the comparisons read of a solve: its status, index and cost (the model's own
    expressions at the solution; the plan's tables are not built, as nothing here reads
    them: on the tiny instance they were a third of each solve)."""

    status: str
    index: float | None = None
    cost: float | None = None


def optimum(sc) -> Optimum:
    """Solve as ``planner.core.solve.solve`` does (screens, both stages, the LP re-split)."""
    prep = prepare(sc)
    if screen(prep):
        return Optimum("infeasible")
    out, _ = optimise(prep)
    if out.x is None:
        return Optimum(out.status)
    h, m = prep.highs, prep.model
    x = h.pad(out.x)
    return Optimum(
        out.status, h.evaluate(m.sovereignty_index.expr, x), h.evaluate(m.total_cost.expr, x)
    )


#: the optimum with the code as it is, per scenario (the same scenario is compared with
#: several switched-off changes, here and in tests/test_speed_tiebreak.py)
_NOW: dict[str, Optimum] = {}


def optimum_now(sc) -> Optimum:
    key = sc.model_dump_json() if not isinstance(sc, str) else sc
    if key not in _NOW:
        _NOW[key] = optimum(sc)
    return _NOW[key]


def _both(monkeypatch, sc, change: str = "share_caps"):
    """The optimum with the strengthened and with the plain formulation."""
    strong = optimum_now(sc)
    with monkeypatch.context() as mp:
        mp.setattr(cf, *PLAIN[change])
        plain = optimum(sc)
    return strong, plain


def _read(result) -> Optimum:
    if isinstance(result, Optimum):
        return result
    if not result.ok:
        return Optimum(result.status)
    return Optimum(result.status, result.sovereignty["index"], result.cost)


def _agree(strong, plain, index_tol: float, cost_rel: float) -> None:
    """Same status, index and cost (of two ``Optimum`` or two plans)."""
    strong, plain = _read(strong), _read(plain)
    assert strong.status == plain.status
    if strong.status not in ("optimal", "feasible"):
        return
    assert strong.index == pytest.approx(plain.index, abs=index_tol)
    assert strong.cost == pytest.approx(plain.cost, rel=cost_rel, abs=1e-6)


def test_share_caps_read_the_share_rows():
    sc = tiny(
        countries=["HOM", "ALY", "OTH"],
        limits={"max_share_provider": 0.5, "max_share_chip_designer": 0.75},
    )
    from planner.core.prepare import prepare

    inp = prepare(sc).inputs
    caps = cf._share_caps(inp, inp.by_provider)
    assert set(caps.values()) == {0.5}
    chips = cf._share_caps(inp, inp.by_chip)
    assert set(chips.values()) == {0.75}  # every chip has one designer
    sites = cf._share_caps(inp, inp.by_country)
    # no site cap, but HOM hosts only public builds (provider cap 0.5); ALY/OTH host two
    assert sites == {"HOM": 0.5, "ALY": 1.0, "OTH": 1.0}


#: Hand-picked limits for the tiny instance: each exercises a share cap or count the speed-ups
#: touch (shared with tests/test_speed_tiebreak.py).
LIMIT_CASES = [
    {"max_share_provider": 0.5},
    {"max_share_provider": 0.5, "min_providers": 2, "max_share_chip_designer": 0.5},
    {"max_share_foreign_jurisdiction": 0.5, "min_home_share": 0.5},
    {"max_share_country": 0.5, "resilience": 1.0},
]


def limits_case(limits: dict):
    """The tiny instance with three countries, a 2 EFLOP/s target, a budget and ``limits``."""
    return tiny(countries=["HOM", "ALY", "OTH"], target={2030: 2}, budget=40, limits=limits,
                solver=EXACT)  # fmt: skip


@pytest.mark.parametrize("change", sorted(PLAIN))
@pytest.mark.parametrize("limits", LIMIT_CASES)
def test_tiny_optimum_unchanged(monkeypatch, limits, change):
    _agree(*_both(monkeypatch, limits_case(limits), change), index_tol=1e-6, cost_rel=1e-9)


limits_st = st.fixed_dictionaries(
    {},
    optional={
        "max_share_provider": st.sampled_from([0.5, 0.75, 1.0]),
        "max_share_chip_designer": st.sampled_from([0.5, 1.0]),
        "max_share_foreign_jurisdiction": st.sampled_from([0.5, 1.0]),
        "max_share_country": st.sampled_from([0.5, 1.0]),
        "min_home_share": st.sampled_from([0.0, 0.5]),
        "min_providers": st.integers(0, 2),
        "resilience": st.sampled_from([0.0, 0.5, 1.0]),
    },
)


#: Random tiny scenarios (countries, target, budget, limits), solved with exact gaps.
random_tiny = st.builds(
    lambda countries, target, budget, limits: tiny(
        countries=countries, target={2030: target}, budget=budget, limits=limits, solver=EXACT
    ),
    countries=st.sampled_from([["ALY", "OTH"], ["HOM", "OTH"], ["HOM", "ALY", "OTH"]]),
    target=st.integers(1, 3),
    budget=st.one_of(st.none(), st.integers(5, 60)),
    limits=limits_st,
)
#: Hypothesis settings of the random-tiny comparisons (each example solves twice).
RANDOM_TINY_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("change", sorted(PLAIN))
@RANDOM_TINY_SETTINGS
@given(sc=random_tiny)
def test_random_tiny_optimum_unchanged(monkeypatch, sc, change):
    _agree(*_both(monkeypatch, sc, change), index_tol=1e-6, cost_rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("change", sorted(PLAIN))
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_optimum_unchanged(monkeypatch, path, change):
    strong, plain = _both(monkeypatch, str(path), change)
    # within the default gaps: index (relative 1e-4), cost tie-break (relative 1e-3)
    _agree(strong, plain, index_tol=2e-4, cost_rel=2e-3)


def test_presolve_keeps_the_provider_chip_counts():
    """The aggregate counts n_pc help only if HiGHS branches on them: its presolve
    "aggregator" would substitute them out again. With ``CAP_BOUND_OPTIONS`` the presolved
    EU model keeps more columns than with HiGHS's default rules; a HiGHS release that
    renumbers its presolve rules fails here."""
    from planner.core.highs_backend import CAP_BOUND_OPTIONS
    from planner.core.prepare import prepare

    prep = prepare(str(EU))
    h = prep.highs.h
    n_pc = sum(v.name.startswith("n_pc[") for v in prep.highs.columns)
    assert n_pc >= 20
    # a (provider, chip) pair with one option (e.g. a member state's own operator in its one
    # country) has n_pc = that option's n, which presolve substitutes under any rules: count
    # the pairs that aggregate several options
    groups = prep.inputs.new_by_provider_chip
    aggregating = sum(len(idx) > 1 for idx in groups.values()) * len(prep.inputs.periods)
    assert aggregating >= 20
    h.presolve()
    default = h.getPresolvedLp().num_col_
    for key, value in CAP_BOUND_OPTIONS.items():
        h.setOptionValue(key, value)
    h.presolve()
    kept = h.getPresolvedLp().num_col_
    assert kept >= default + aggregating // 2


@pytest.mark.parametrize(
    ("name", "budget", "capped", "proof", "index"),
    [
        ("eu-2030-hedge", None, False, True, None),
        ("eu-2030-hedge", 10000.0, True, False, None),
        pytest.param("eu-2030-hedge", 10000.0, True, True, 0.76683, marks=pytest.mark.slow),
        pytest.param("kenya-2030", None, True, True, 0.72073, marks=pytest.mark.slow),
    ],
)
def test_cap_bound_options_go_to_solves_that_spend_to_the_budget(
    monkeypatch, name, budget, capped, proof, index
):
    """The EU scenario's own budget (21,640 MUSD) does not bind, 10,000 does (the best plan
    costs 10,523 since issue 24's largest-band prices): only then do both stages get
    ``CAP_BOUND_OPTIONS``. Kenya spends nearly its whole budget (545 of 550 MUSD) and since issue 24's data
    (no provider builds in Kenya without a sourced presence) the LP support no longer settles
    its first stage, so both stages get them too.

    Without ``proof`` the capped first stage gets 3 s (its proof is ~10 s of search that
    reads the same options; the slow case runs it and checks the optimum)."""
    import planner.core.solve as solve_mod
    from planner.core.highs_backend import (
        CAP_BOUND_OPTIONS,
        TIE_BREAK_OPTIONS,
        HighsModel,
        SolveOutcome,
    )
    from planner.core.scenario import load_scenario

    sc = load_scenario(ROOT / "data" / "scenarios" / f"{name}.yaml")
    sc = sc.model_copy(update={"solver": sc.solver.model_copy(update={"time_limit": 600})})
    if budget is not None:
        sc = sc.model_copy(update={"budget": budget})
    seen = []
    real = HighsModel.solve
    attempt = {"inside": False, "declined": []}
    real_without = solve_mod.without_caps

    def without(*args, **kwargs):
        # the lifted-cap attempt (``solve.without_caps``) solves without the caps: its
        # solves are not the capped stages this test reads
        attempt["inside"] = True
        try:
            out = real_without(*args, **kwargs)
        finally:
            attempt["inside"] = False
        attempt["declined"].append(out is None)
        return out

    def spy(self, *args, **kwargs):
        options = dict(kwargs.get("options") or {})
        if attempt["inside"]:
            return real(self, *args, **kwargs)
        seen.append(options)
        if set(TIE_BREAK_OPTIONS) <= set(options):
            # the tie-break's options are what this test reads; its proof (most of a
            # bundled solve's time) is the same search either way: skipped, and the plan
            # is then stage 1's (``optimise`` keeps it when the tie-break has no plan)
            return SolveOutcome("time_limit_no_solution", None, None, None, 0.0, None)
        if options and not proof:
            kwargs["time_limit"] = min(kwargs.get("time_limit") or 3.0, 3.0)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(HighsModel, "solve", spy)
    monkeypatch.setattr(solve_mod, "without_caps", without)
    plan = solve(sc)
    assert plan.status == "optimal" if proof else plan.ok
    # a binding budget: the attempt was made and declined (the capped tie-break found no
    # plan at the uncapped index), and the capped stages ran as before
    assert attempt["declined"] == ([True] if capped else [])
    full = [o for o in seen if o]  # the support stages run without options
    key = next(iter(CAP_BOUND_OPTIONS))
    assert all((key in o) == capped for o in full) and len(full) >= 1
    if capped:
        assert len(full) == 2  # the full first stage and the tie-break
        assert plan.cost <= sc.budget
    if index is not None:
        assert plan.sovereignty["index"] == pytest.approx(index, abs=2e-4)


def test_plain_links_switch_off_the_counts(monkeypatch):
    """The comparison above really solves without n_pc: its rows are inactive, and n_pc
    reaches HiGHS in no row."""
    from planner.core.prepare import prepare

    monkeypatch.setattr(cf, "add_supplier_links", _plain_supplier_links)
    prep = prepare(limits_case({"max_share_provider": 0.5}))
    assert len(prep.model.modules_by_provider_chip)
    assert not any(c.active for c in prep.model.modules_by_provider_chip.values())
    assert not any(v.name.startswith("n_pc[") for v in prep.highs.columns)


@pytest.mark.slow
def test_default_search_on_the_large_benchmark_is_certified_by_an_outside_lp(tmp_path):
    """The large benchmark with the LP start on (users' default) is proven in seconds where the
    plain MIP takes ~50 s (benchmarks/README.md). Certified without sovplan's search: the
    exported model, read by highspy with integrality dropped, has an LP optimum (an upper
    bound on any plan's index) that the plan's index reaches within the scenario's gap."""
    import highspy
    import numpy as np

    from planner.core.scenario import load_scenario
    from planner.core.solve import export

    sc = load_scenario(ROOT / "benchmarks" / "scenarios" / "large.yaml", ["solver.lp_start=true"])
    plan = solve(sc)
    assert plan.status == "optimal"
    mps = tmp_path / "large.mps"
    export(sc, str(mps))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(mps))
    lp = h.getLp()
    h.changeColsIntegrality(
        lp.num_col_, np.arange(lp.num_col_, dtype=np.int32),
        np.zeros(lp.num_col_, dtype=np.uint8),
    )  # fmt: skip
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    lp_bound = h.getInfo().objective_function_value
    assert plan.objective >= lp_bound - sc.solver.mip_gap * abs(lp_bound) - 1e-9
    assert plan.objective <= lp_bound + 1e-9
