"""The compute-sovereignty planner's Python API.

    from planner import load_scenario, solve, pareto, sweep, alternatives
    sc = load_scenario("data/scenarios/eu-2030-hedge.yaml")
    plan = solve(sc, time_limit=60)

The package shows its pipeline in its folders (docs/architecture.md):

- ``planner.core``: scenario schema, data tables, the bridge to ``models``, HiGHS, solve,
  results, output files: everything one plan needs;
- ``planner.studies``: what is built on solving (diagnosis, Pareto frontier, sweeps and
  global sensitivity, supply-shock stress tests);
- ``planner.reports``: charts and the text/HTML/CSV reports of plans and studies;
- ``planner.cli`` (and ``ui/``): the faces.

The API names are resolved lazily (PEP 562) so that ``import planner`` (and
``sovplan --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> (module, attribute)
_EXPORTS = {
    "load_scenario": ("planner.core.scenario", "load_scenario"),
    "Scenario": ("planner.core.scenario", "Scenario"),
    "solve": ("planner.studies.solving", "solve_and_diagnose"),
    "Plan": ("planner.core.results", "Plan"),
    "load_tables": ("planner.core.data", "load_tables"),
    "pareto": ("planner.studies.pareto", "pareto"),
    "alternatives": ("planner.studies.alternatives", "alternatives"),
    "sweep": ("planner.studies.sweep", "sweep"),
    "stress": ("planner.studies.stress", "stress"),
    "robust": ("planner.studies.robust", "robust"),
    "RobustResult": ("planner.studies.robust", "RobustResult"),
    "PlannerError": ("planner.core.errors", "PlannerError"),
    "InputError": ("planner.core.errors", "InputError"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'planner' has no attribute '{name}'") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
