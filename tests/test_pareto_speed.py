"""The frontier's speed-ups change no row (issue 27).

What the faster frontier does differently (``planner.studies.pareto``): the best-cost end's
second stage runs in a worker beside the grid points, with the grid spaced from its first
stage's cost; a grid point in flight that another answer bypasses is cancelled and its answer
ignored; after a cancelled solve a worker's HiGHS must solve the next point normally; the
parent makes each point's plan while the workers solve. The checks: the sweep's bookkeeping
of a superseded point (no solver), a cancelled solve followed by a normal one (EU), the
tiny frontier through the pool against brute force, and (slow) the EU frontier against the
rows the code before these changes (55c59c2) found, none dominated.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from planner.core import deadline as clock
from planner.core.highs_backend import clear_stale_interrupts
from planner.core.prepare import prepare
from planner.core.scenario import load_scenario
from planner.studies.pareto import Engine, Found, Grid, GridSweep, pareto
from tests.conftest import CancelFromSecondAsk, tiny
from tests.test_pareto import enumerate_plans, frontier, non_dominated

EU = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "eu-2030-hedge.yaml"

#: The EU frontier, 7 points (the app's default), as the code before the speed-ups found it
#: (55c59c2, 1 and 2 workers, 2026-12-08): (cost MUSD, index). The best-index end is
#: ``solve``'s plan (tie-break gap 1e-3); the other rows are proven within the 1e-4 gap.
EU_7_BEFORE = [
    (9740.336578, 0.741111),
    (9857.771080, 0.764325),
    (9947.219718, 0.766825),
    (10082.107472, 0.767540),
    (10191.556110, 0.767968),
    (10522.662212, 0.768857),
]


def _sweep_stub() -> SimpleNamespace:
    """What ``GridSweep`` reads of an engine: x = cost (g = -cost) constrained, y main."""
    signs = np.array([-1.0, 1.0])
    return SimpleNamespace(better=lambda v: signs * np.asarray(v), constrained=[0], main=1)


def test_a_point_in_flight_that_an_answer_bypasses_is_superseded_and_its_answer_ignored():
    """Two points handed out at once (as in the pool): the looser one's answer bypasses the
    tighter one, so the tighter one's solve is no longer needed (it is cancelled) and
    whatever it returns later is ignored; the counts are those of a sweep that never handed
    it out (solved 1, bypassed 1), and the next point to hand out skips it."""
    grid = Grid([np.array([-10.0, -9.0, -8.0, -7.0])])  # cost <= 10, 9, 8, 7
    sweep = GridSweep(_sweep_stub(), grid, [1, 2], [])
    assert sweep.next_point() == (1,)
    sweep.take((1,))
    assert sweep.next_point() == (2,)
    sweep.take((2,))
    assert sweep.pending == {(1,), (2,)}
    # the answer at cost <= 9 costs 7.5: also the answer at cost <= 8 (grid point 2)
    sweep.record((1,), "optimal", Found(np.array([7.5, 0.9]), np.zeros(1), "optimal", 0.0, "a"))
    assert sweep.superseded == {(2,)}
    assert sweep.flags[(2,)] == "same"
    assert sweep.stats["solved"] == 1 and sweep.stats["bypassed"] == 1
    late = Found(np.array([7.5, 0.9]), np.ones(1), "feasible", None, "late", bound=0.95)
    sweep.record((2,), "feasible", late)
    assert [f.source for f in sweep.found] == ["a"]
    assert (2,) not in sweep.bounds and not sweep.pending
    assert sweep.next_point() is None


def test_an_answer_that_does_not_reach_a_point_in_flight_leaves_it_to_run():
    grid = Grid([np.array([-10.0, -9.0, -8.0, -7.0])])
    sweep = GridSweep(_sweep_stub(), grid, [1, 2], [])
    sweep.take((1,))
    sweep.take((2,))
    sweep.record((1,), "optimal", Found(np.array([8.5, 0.9]), np.zeros(1), "optimal", 0.0, "a"))
    assert not sweep.superseded and sweep.pending == {(2,)}
    sweep.record((2,), "optimal", Found(np.array([7.9, 0.8]), np.zeros(1), "optimal", 0.0, "b"))
    assert [f.source for f in sweep.found] == ["a", "b"]
    assert sweep.stats["solved"] == 2 and sweep.stats["bypassed"] == 0


def test_after_a_cancelled_solve_the_next_solve_on_the_same_model_runs_normally():
    """highspy interrupts HiGHS through a flag nothing clears: without
    ``clear_stale_interrupts`` every later solve on a worker's model stopped at once (the
    next EU grid point returned its MIP start as "feasible" in 0.1 s). The loosest EU grid
    points take over a second, so the cancel lands inside the first solve."""
    sc = load_scenario(EU)
    sc = sc.model_copy(update={"solver": sc.solver.model_copy(update={"threads": 1})})
    engine = Engine(prepare(sc), ["cost", "sovereignty"], time_limit=120, mip_gap=1e-4)
    assert clear_stale_interrupts(engine.h.h)
    with clock.cancellable(CancelFromSecondAsk()):  # type: ignore[arg-type]
        cancelled = engine.point(np.array([-10366.2]), None)
    assert cancelled.status != "optimal"  # stopped inside stage 1
    out = engine.point(np.array([-9818.6]), None)  # a tight point: a short proof
    assert out.status == "optimal", out
    assert engine.values(out.x)[0] <= 9818.6 + 1e-6


@pytest.mark.parametrize("points", [11])
def test_tiny_frontier_through_the_pool_equals_one_process_and_brute_force(points):
    """With 2 workers the best-cost end's second stage and the grid points share the pool
    (answers in any order, superseded points dropped); the table is the one the serial
    sweep finds, and every row is a brute-force efficient point."""
    one = pareto(tiny(budget=30), points=points, workers=1, mip_gap=0)
    two = pareto(tiny(budget=30), points=points, workers=2, mip_gap=0)
    assert two.stats["workers"] == 2
    cols = ["cost", "sovereignty", "status", "knee", "structure_change", "providers", "chips"]
    pd.testing.assert_frame_equal(one.table[cols], two.table[cols])
    pd.testing.assert_frame_equal(one.payoff, two.payoff)
    assert list(two.payoff.index) == ["sovereignty,cost", "cost,sovereignty"]
    efficient = set(non_dominated(enumerate_plans(tiny(budget=30))))
    assert set(frontier(two)) <= efficient
    assert len(two.plans) == len(two.table)
    for plan, row in zip(two.plans, two.table.itertuples(), strict=True):
        assert plan.kpis["total_cost_musd"] == pytest.approx(row.cost, rel=1e-9, abs=1e-9)


def dominated(row: tuple[float, float, float], other: tuple[float, float]) -> bool:
    """Whether ``other`` (cost, index) beats ``row`` (cost, index, gap) by more than the gap:
    as cheap and a higher index, or as high an index and cheaper."""
    cost, index, gap = row
    tol_c, tol_i = gap * cost + 1e-6, gap * index + 1e-9
    cheaper = other[0] < cost - tol_c and other[1] >= index - tol_i
    higher = other[1] > index + tol_i and other[0] <= cost + tol_c
    return cheaper or higher


def test_domination_check_catches_a_dominated_row():
    row = (10_100.0, 0.7675, 1e-4)
    assert dominated(row, (10_082.1, 0.767540))  # cheaper by 18 MUSD at the same index
    assert dominated(row, (10_100.0, 0.7690))  # higher index at the same cost
    assert not dominated(row, (10_099.5, 0.7675))  # within the gap
    assert not dominated(row, (10_191.6, 0.767968))  # a trade-off, not better in both


@pytest.mark.slow
def test_eu_frontier_rows_are_those_before_the_speed_ups_and_none_dominated():
    result = pareto(EU, x="cost", y="sovereignty", points=7, workers=2, time_limit=900)
    t = result.table
    assert (t["status"] == "optimal").all(), t
    rows = list(zip(t["cost"], t["sovereignty"], t["gap"], strict=True))
    assert len(rows) == len(EU_7_BEFORE)
    for (cost, index, gap), (old_cost, old_index) in zip(rows, EU_7_BEFORE, strict=True):
        assert cost == pytest.approx(old_cost, rel=gap, abs=1e-5)
        assert index == pytest.approx(old_index, rel=1e-4, abs=1e-6)
    for row, other in itertools.product(rows, [*EU_7_BEFORE, *[(c, i) for c, i, _ in rows]]):
        assert not dominated(row, other), (row, other)


def test_a_tighter_answer_that_came_first_is_dropped_when_a_looser_one_bypasses_it():
    """In the pool a tighter point can finish before a looser one; when the looser answer
    reaches it, the serial sweep would never have solved it, so its answer goes (a near-copy
    within the gaps would otherwise be an extra row, or a dominated one)."""
    grid = Grid([np.array([-10.0, -9.0, -8.0, -7.0])])
    sweep = GridSweep(_sweep_stub(), grid, [1, 2], [])
    sweep.take((1,))
    sweep.take((2,))
    near = Found(np.array([7.5, 0.89995]), np.zeros(1), "optimal", 1e-4, "tight", bound=0.9)
    sweep.record((2,), "optimal", near)
    sweep.record((1,), "optimal", Found(np.array([7.5, 0.9]), np.zeros(1), "optimal", 0.0, "a"))
    assert [f.source for f in sweep.found] == ["a"]
    assert sweep.superseded == {(2,)} and sweep.bounds[(2,)] == 0.9  # its proof still counts
    assert sweep.stats["solved"] == 1 and sweep.stats["bypassed"] == 1
