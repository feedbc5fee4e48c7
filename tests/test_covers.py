"""Issue #27: the capacity_outside rows (``models.covers``) never cut off a plan.

Each row is an aggregate of rows the model has (target_met, a share row, counted_le_built),
so: every plan the solver returns meets every such row; adding all of them leaves the LP
relaxation's value where it was; and the optimum (best index, cheapest cost at that index)
with every row added, with only the binding ones (as ``solve`` does) and with none is the
same, exactly, on tiny instances whose targets are not whole modules (so the rows do cut off
fractional points there).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import planner.core.solve as solve_mod
from models.covers import cover_expression, share_cap_covers
from planner.core.cover_rows import COVER_PREFIX
from planner.core.highs_backend import INF
from planner.core.prepare import prepare
from tests.conftest import tiny
from tests.test_speed_formulation import EXACT, RANDOM_TINY_SETTINGS, _agree, optimum

CAPPED = [
    {"max_share_provider": 0.5},
    {"max_share_provider": 0.75, "max_share_chip_designer": 0.5, "min_providers": 2},
    {"max_share_foreign_jurisdiction": 0.5, "min_home_share": 0.5},
    {"max_share_country": 0.5, "resilience": 0.5},
]


def capped_case(limits: dict, target: float = 2.5, budget: float | None = 60):
    return tiny(countries=["HOM", "ALY", "OTH"], target={2030: target}, budget=budget,
                limits=limits, solver=EXACT)  # fmt: skip


random_capped = st.builds(
    capped_case,
    limits=st.fixed_dictionaries(
        {"max_share_provider": st.sampled_from([0.4, 0.5, 0.75])},
        optional={
            "max_share_chip_designer": st.sampled_from([0.5, 0.7]),
            "max_share_foreign_jurisdiction": st.sampled_from([0.5, 0.8]),
            "max_share_country": st.sampled_from([0.5, 0.6]),
            "min_home_share": st.sampled_from([0.0, 0.3]),
            "min_providers": st.integers(0, 2),
        },
    ),
    target=st.sampled_from([1.5, 2.5, 3.3]),
    budget=st.one_of(st.none(), st.integers(20, 80)),
)


def _with(monkeypatch, sc, which: str):
    """The optimum with ``which`` capacity_outside rows: "all", "none" or "binding" (as now)."""
    with monkeypatch.context() as mp:
        if which == "all":
            mp.setattr(solve_mod, "binding_covers", lambda prep, x: share_cap_covers(prep.inputs))
        elif which == "none":
            mp.setattr(solve_mod, "binding_covers", lambda prep, x: [])
        return optimum(sc)


@pytest.mark.parametrize("limits", CAPPED)
def test_every_plan_meets_every_cover(limits):
    prep = prepare(capped_case(limits))
    out, _ = solve_mod.optimise(prep)
    assert out.x is not None
    h, m, inp = prep.highs, prep.model, prep.inputs
    covers = share_cap_covers(inp)
    assert covers  # the case has a cap below 1
    x = h.pad(out.x)
    for cover in covers:
        assert h.evaluate(cover_expression(m, inp, cover), x) >= cover.rhs - 1e-6, cover.name


@pytest.mark.parametrize("limits", CAPPED)
def test_covers_leave_the_lp_relaxation_as_it_was(limits):
    """An aggregate of the LP's own rows cuts off no LP point either: the LP value of both
    stages' objectives is unchanged with every row added."""
    prep = prepare(capped_case(limits))
    h, m = prep.highs, prep.model
    import pyomo.core as pyo

    before = []
    for expr, sense in ((m.sovereignty.expr, pyo.maximize), (m.total_cost.expr, pyo.minimize)):
        h.set_objective(expr, sense)
        before.append(h.lp_relaxation()[1])
    names = solve_mod.add_covers(prep, share_cap_covers(prep.inputs))
    assert names
    for (expr, sense), value in zip(
        ((m.sovereignty.expr, pyo.maximize), (m.total_cost.expr, pyo.minimize)), before, strict=True
    ):
        h.set_objective(expr, sense)
        assert h.lp_relaxation()[1] == pytest.approx(value, rel=1e-9, abs=1e-9)


def test_binding_covers_read_the_plan():
    """Only the caps a plan spends up to are added (the public operator at its cap here)."""
    prep = prepare(capped_case({"max_share_provider": 0.5}))
    out, _ = solve_mod.optimise(prep, tie_break=False)
    h, m, inp = prep.highs, prep.model, prep.inputs
    chosen = solve_mod.binding_covers(prep, out.x)
    for cover in share_cap_covers(inp):
        t = cover.period
        inside = sum(out.x[h.col_of[id(m.q[a, t])]] for a in cover.inside)
        assert (cover in chosen) == (inside >= cover.cap * inp.target[t] - 1e-6)
    assert solve_mod.binding_covers(prep, None) == []


@pytest.mark.parametrize("limits", CAPPED)
@pytest.mark.parametrize("which", ["all", "none"])
def test_tiny_optimum_unchanged(monkeypatch, limits, which):
    sc = capped_case(limits)
    _agree(optimum(sc), _with(monkeypatch, sc, which), index_tol=1e-6, cost_rel=1e-9)


@RANDOM_TINY_SETTINGS
@given(sc=random_capped)
def test_random_tiny_optimum_unchanged(monkeypatch, sc):
    now = optimum(sc)
    _agree(now, _with(monkeypatch, sc, "none"), index_tol=1e-6, cost_rel=1e-9)
    _agree(now, _with(monkeypatch, sc, "all"), index_tol=1e-6, cost_rel=1e-9)


def test_covers_are_relaxed_when_the_solve_ends(monkeypatch):
    """The diagnosis moves share rows' bounds on the same model after a solve: no row derived
    from a share cap may stay binding, however the solve ends (here: interrupted in stage 2)."""
    prep = prepare(capped_case({"max_share_provider": 0.5}))
    h = prep.highs

    real, calls = solve_mod.binding_covers, []

    def interrupted(prep, x):  # stage 1's covers are in place when stage 2 is interrupted
        calls.append(x)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(prep, x)

    monkeypatch.setattr(solve_mod, "binding_covers", interrupted)
    with pytest.raises(KeyboardInterrupt):
        solve_mod.optimise(prep)
    names = [n for n in h.extra_rows if n.startswith(COVER_PREFIX)]
    assert names
    lp = h.h.getLp()
    for name in names:
        row = h.extra_rows[name][0]
        assert lp.row_lower_[row] == -INF and lp.row_upper_[row] == INF


def test_no_cover_from_a_row_a_study_has_moved():
    """Stress's crisis plan delivers less than the target, or loosens a cap, on the prepared
    model and then solves it: a cover derived from the row as built would cut off the plans
    it allows. Such a row gives no cover; the rows left as built still do."""
    prep = prepare(capped_case({"max_share_provider": 0.5}))
    out, _ = solve_mod.optimise(prep, tie_break=False)
    h, m = prep.highs, prep.model
    binding = solve_mod.binding_covers(prep, out.x)
    assert binding
    row = h.row_of[id(m.target_met[2030])]
    h.h.changeRowBounds(row, 0.5 * h.row_lower0[row], h.row_upper0[row])  # deliver half
    assert solve_mod.binding_covers(prep, out.x) == []
    h.h.changeRowBounds(row, h.row_lower0[row], h.row_upper0[row])
    assert solve_mod.binding_covers(prep, out.x) == binding
    cover = binding[0]
    share = h.row_of[id(getattr(m, cover.share_row)[cover.key, cover.period])]
    h.h.changeRowBounds(share, h.row_lower0[share], 1.5 * h.row_upper0[share])  # a looser cap
    assert cover not in solve_mod.binding_covers(prep, out.x)


def test_no_cover_under_installed_caps():
    """Under share_basis installed the counted-compute share rows the proof needs are not in
    the model (``models.constraints.add_installed_shares`` replaces them)."""
    sc = capped_case({"max_share_provider": 0.5, "share_basis": "installed"})
    assert share_cap_covers(prepare(sc).inputs) == []
