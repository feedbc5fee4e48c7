"""A cancel stops only the solve it was meant for (``highs_backend.clear_stale_interrupts``).

highspy never clears the interrupt flag it sets: before this, every solve on a model after
one cancelled solve stopped at once ("Interrupted by user" in 0.03 s on Kenya), so a
deadline in one stage silently cut short the last LP pass, a robust future's re-plans or a
study's re-solves on the same model.
"""

from __future__ import annotations

from pathlib import Path

import pyomo.core as pyo

from planner.core import deadline as clock
from planner.core.prepare import prepare
from tests.conftest import CancelFromSecondAsk

ROOT = Path(__file__).resolve().parents[1]


def test_a_cancelled_solve_leaves_the_next_one_on_the_same_model_free():
    # Kenya's first stage is a knapsack against its budget: over a second of branching,
    # so the cancel lands inside it
    prep = prepare(ROOT / "data" / "scenarios" / "kenya-2030.yaml")
    h, m = prep.highs, prep.model
    h.set_objective(m.sovereignty.expr, pyo.maximize)
    with clock.cancellable(CancelFromSecondAsk()):  # type: ignore[arg-type]
        cancelled = h.solve(time_limit=60, mip_gap=1e-4)
    assert cancelled.status != "optimal"
    again = h.solve(time_limit=60, mip_gap=1e-4)
    assert again.status == "optimal", again.message
