"""The compute-sovereignty planner's Python API.

    from planner import load_scenario, solve, pareto, sweep
    sc = load_scenario("data/scenarios/eu-2030-hedge.yaml")
    plan = solve(sc, time_limit=60)

Names are imported lazily so that ``import planner`` (and ``sovplan --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "load_scenario": "planner.scenario",
    "Scenario": "planner.scenario",
    "solve": "planner.solve",
    "Plan": "planner.results",
    "load_tables": "planner.data",
    "pareto": "planner.pareto",
    "sweep": "planner.sweep",
    "PlannerError": "planner.errors",
    "InputError": "planner.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
