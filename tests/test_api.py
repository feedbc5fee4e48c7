"""The documented Python API: `from planner import load_scenario, solve, pareto, sweep`."""

from __future__ import annotations

import importlib

import pytest

from tests.conftest import TINY_YAML


def test_api_names_are_functions_even_after_their_modules_are_imported():
    importlib.import_module("planner.core.solve")
    importlib.import_module("planner.studies.pareto")
    importlib.import_module("planner.studies.sweep")
    from planner import load_scenario, pareto, solve, sweep

    for fn in (load_scenario, solve, pareto, sweep):
        assert callable(fn)
    import planner.studies.sweep as sweep_module

    assert hasattr(sweep_module, "sweep")  # the module form still works


def test_solve_from_python_as_in_the_readme():
    from planner import load_scenario, solve

    sc = load_scenario(TINY_YAML)
    plan = solve(sc, time_limit=30)
    assert plan.status == "optimal"
    assert plan.sovereignty["index"] == pytest.approx(5 / 6)
    assert set(plan.sovereignty) == {"index", "territorial", "provider", "chip"}
    assert {"period", "country", "provider", "chip", "modules"} <= set(plan.allocation.columns)
