"""prepare(scenario) -> Prepared: a scenario turned into a Pyomo model held by a live HiGHS.

Kept apart from ``solve`` so that results, screens and studies can name the prepared model
without depending on how it is solved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyomo.environ as pyo

from models.build import build
from models.inputs import ModelInputs
from planner.core.data import Tables, load_tables
from planner.core.highs_backend import HighsModel
from planner.core.inputs import HomeContext, build_inputs
from planner.core.scenario import Scenario, load_scenario


@dataclass
class Prepared:
    """A scenario turned into a model and a live HiGHS instance, ready to solve (and re-solve)."""

    scenario: Scenario
    tables: Tables
    inputs: ModelInputs
    context: HomeContext
    model: pyo.ConcreteModel
    highs: HighsModel
    timings: dict[str, float]


def _as_scenario(scenario: Scenario | str) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def prepare(
    scenario: Scenario | str, tables: Tables | None = None, link_share_caps: bool = True
) -> Prepared:
    """Validate inputs, build the Pyomo model and pass it to HiGHS (no solve yet).

    ``link_share_caps=False`` builds the counted links with M = D_t (the diagnosis relaxes
    share rows in place, so no other row may repeat their caps)."""
    sc = _as_scenario(scenario)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tables = tables if tables is not None else load_tables(sc.data)
    inp, ctx = build_inputs(sc, tables)
    inp.link_share_caps = link_share_caps
    timings["inputs_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = build(inp)
    timings["build_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    highs = HighsModel(model, threads=sc.solver.threads)
    timings["handoff_s"] = time.perf_counter() - t2
    return Prepared(sc, tables, inp, ctx, model, highs, timings)
