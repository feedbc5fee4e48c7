"""The compute-sovereignty planner's Python API.

    from planner import load_scenario, solve, pareto, sweep
    sc = load_scenario("data/scenarios/eu-2030-hedge.yaml")
    plan = solve(sc, time_limit=60)

The API names are resolved lazily so that ``import planner`` (and ``sovplan --help``) stays
fast. ``solve``, ``pareto`` and ``sweep`` are both functions and the names of the modules
that define them; Python binds a submodule onto its package when it is first imported,
which would make ``planner.solve`` the module. The package's class therefore exposes each
API name as a property that always returns the function (the submodule stays reachable as
``sys.modules["planner.solve"]`` and through ``from planner.solve import ...``).
"""

from __future__ import annotations

import sys
import types
from importlib import import_module

_EXPORTS = {
    "load_scenario": "planner.scenario",
    "Scenario": "planner.scenario",
    "solve": "planner.solve",
    "Plan": "planner.results",
    "load_tables": "planner.data",
    "pareto": "planner.pareto",
    "sweep": "planner.sweep",
    "stress": "planner.stress",
    "PlannerError": "planner.errors",
    "InputError": "planner.errors",
}

__all__ = sorted(_EXPORTS)


def _api(name: str, module: str) -> property:
    def get(self: types.ModuleType):
        return getattr(import_module(module), name)

    def ignore(self: types.ModuleType, value: object) -> None:
        """The import system binds the submodule of the same name here: keep the function."""

    return property(get, ignore)


class _Package(types.ModuleType):
    """The planner package, with the API names as properties."""


for _name, _module in _EXPORTS.items():
    setattr(_Package, _name, _api(_name, _module))

sys.modules[__name__].__class__ = _Package
