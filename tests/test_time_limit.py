"""Time limits, solver failures and Ctrl-C: a status and a sentence, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner import solve
from planner.cli import app
from planner.core.highs_backend import HighsModel, SolveOutcome
from tests.conftest import TINY_YAML, tiny

ROOT = Path(__file__).resolve().parent.parent


def fake_solve(status: str):
    def run(self, time_limit=None, mip_gap=None, start=None, options=None):
        if status == "interrupt":
            raise KeyboardInterrupt
        return SolveOutcome(status, None, None, None, 0.01, None, "HiGHS says no")

    return run


def test_no_incumbent_at_the_time_limit_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(HighsModel, "solve", fake_solve("time_limit_no_solution"))
    plan = solve(tiny(budget=30), time_limit=2)
    assert plan.status == "time_limit_no_solution" and not plan.ok
    assert "stopped at the time limit (2 s) before finding any plan" in plan.message
    assert plan.diagnosis is None
    res = CliRunner().invoke(app, ["solve", str(TINY_YAML), "--time-limit", "2"])
    assert res.exit_code == 1
    assert "time limit" in res.output and "Traceback" not in res.output


def test_solver_error_is_a_message_not_a_traceback(monkeypatch):
    monkeypatch.setattr(HighsModel, "solve", fake_solve("error"))
    res = CliRunner().invoke(app, ["solve", str(TINY_YAML)])
    assert res.exit_code == 1
    assert "The solver failed (HiGHS says no)" in " ".join(res.output.split())
    assert "Traceback" not in res.output


def test_ctrl_c_exits_130_with_a_message(monkeypatch):
    monkeypatch.setattr(HighsModel, "solve", fake_solve("interrupt"))
    res = CliRunner().invoke(app, ["solve", str(TINY_YAML)])
    assert res.exit_code == 130
    assert "interrupted" in res.output


@pytest.mark.parametrize("limit", ["1e308", "1e9"])
def test_a_time_limit_beyond_the_timer_is_no_limit(limit):
    """SIGALRM's timer holds ~2**31 s: ``--time-limit 1e308`` used to fail with an
    "unexpected OverflowError" and leave that deadline behind for every later call in the
    process (in the test suite, later solves failed the same way)."""
    from planner.core import deadline

    res = CliRunner().invoke(app, ["solve", str(TINY_YAML), "--time-limit", limit])
    assert res.exit_code == 0, res.output
    assert "status optimal" in res.output
    assert deadline.remaining() is None


def test_a_failing_deadline_scope_restores_the_outer_one(monkeypatch):
    """Whatever fails while a scope is set up, the deadline before it is back afterwards."""
    from planner.core import deadline

    calls = []

    def arm_fails_once():
        calls.append(1)
        if len(calls) == 1:
            raise OverflowError("timer")

    monkeypatch.setattr(deadline, "_arm", arm_fails_once)
    with pytest.raises(OverflowError), deadline.scope(5):
        pass
    assert deadline.remaining() is None


@pytest.mark.slow
def test_one_second_on_the_large_benchmark():
    """A 1 s limit on the large synthetic instance. The limit bounds the whole call (issue 14),
    and building 13,000 options takes longer: a clear no-plan error, exit 1 in the CLI. Given
    1 s for HiGHS alone (model built first): feasible with a gap and bound, or a clear no-plan
    message."""
    from benchmarks.generate import SIZES, scenario
    from planner.core.deadline import TimeLimitReached
    from planner.core.prepare import prepare
    from planner.core.scenario import scenario_from_mapping
    from planner.core.solve import solve_prepared

    raw = scenario("large", SIZES["large"])
    raw["data"] = str(ROOT / "benchmarks" / "data_large")
    sc = scenario_from_mapping(raw)
    with pytest.raises(TimeLimitReached, match="no plan yet"):
        solve(sc, time_limit=1)
    plan = solve_prepared(prepare(sc), time_limit=1)
    assert plan.status in {"feasible", "optimal", "time_limit_no_solution"}
    if plan.status == "feasible":
        assert plan.gap is not None and plan.gap > 0 and plan.bound is not None
        assert "within" in plan.message
    elif plan.status == "time_limit_no_solution":
        assert "time limit (1 s)" in plan.message
    print(f"large, 1 s: status {plan.status}, gap {plan.gap}, timings {plan.timings}")
