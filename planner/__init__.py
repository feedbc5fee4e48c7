"""The compute-sovereignty planner's Python API.

    from planner import load_scenario, solve, pareto, sweep
    sc = load_scenario("data/scenarios/eu-2030-hedge.yaml")
    plan = solve(sc, time_limit=60)

The API names are resolved lazily so that ``import planner`` (and ``sovplan --help``) stays
fast. ``solve``, ``pareto``, ``sweep`` and ``stress`` are both functions and the names of the
modules that define them, and Python binds a submodule onto its package when it is first
imported, so ``planner.solve`` may be the module. Those modules are therefore made callable
(calling the module calls its function of the same name): ``from planner import solve`` then
``solve(sc)`` works however the module was imported first, and ``import planner.sweep as sw``
still gives the module with all its names.
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


#: modules whose name is also the name of their main function
_CALLABLE_MODULES = {"solve", "pareto", "sweep", "stress"}


class _CallableModule(types.ModuleType):
    """A module that, called, calls its function of the same name."""

    def __call__(self, *args, **kwargs):
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


def _api(name: str, module: str) -> property:
    def get(self: types.ModuleType):
        mod = import_module(module)
        if name in _CALLABLE_MODULES:
            mod.__class__ = _CallableModule
            return mod
        return getattr(mod, name)

    def ignore(self: types.ModuleType, value: object) -> None:
        """The import system binds the submodule of the same name here; the getter serves it."""

    return property(get, ignore)


class _Package(types.ModuleType):
    """The planner package, with the API names as properties."""


for _name, _module in _EXPORTS.items():
    setattr(_Package, _name, _api(_name, _module))

sys.modules[__name__].__class__ = _Package
