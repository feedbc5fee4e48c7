"""prepare(scenario) -> Prepared: a scenario turned into a Pyomo model held by a live HiGHS.

Kept apart from ``solve`` so that results, screens and studies can name the prepared model
without depending on how it is solved.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from models.build import build
from models.inputs import ModelInputs
from models.objectives import SENSES
from planner.core.data import Tables, load_tables
from planner.core.deadline import hard_phase
from planner.core.highs_backend import HighsModel
from planner.core.home import HomeContext
from planner.core.inputs import build_inputs
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


@contextlib.contextmanager
def _quiet_pyomo() -> Iterator[None]:
    """Pyomo logs "Rule failed ..." when the deadline stops a constraint rule; the
    TimeLimitReached message already says what happened."""
    log = logging.getLogger("pyomo.core")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def prepare(
    scenario: Scenario | str, tables: Tables | None = None, link_share_caps: bool = True
) -> Prepared:
    """Validate inputs, build the Pyomo model and pass it to HiGHS (no solve yet).

    ``link_share_caps=False`` builds the counted links with M = D_t (the diagnosis relaxes
    share rows in place, so no other row may repeat their caps)."""
    sc = _as_scenario(scenario)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with hard_phase("loading the data tables"):
        tables = tables if tables is not None else load_tables(sc.data)
        inp, ctx = build_inputs(sc, tables)
    inp.link_share_caps = link_share_caps
    timings["inputs_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    with (
        hard_phase(f"building the model ({len(inp.options)} options; no plan yet)"),
        _quiet_pyomo(),
    ):
        model = build(inp)
    timings["build_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    with hard_phase("passing the model to HiGHS (no plan yet)"):
        highs = HighsModel(model, threads=sc.solver.threads, random_seed=sc.solver.random_seed)
        register_objectives(highs, model)
    timings["handoff_s"] = time.perf_counter() - t2
    return Prepared(sc, tables, inp, ctx, model, highs, timings)


def register_objectives(highs: HighsModel, model: pyo.ConcreteModel) -> None:
    """Give HiGHS a column for every variable a named objective uses, before any solve.

    Why: an objective may name a column no row uses (on the UK scenario, ``use_chip`` of two
    chips enters only ``total_cost``'s fixed costs); ``HighsModel.linear`` appends such a column
    the first time the expression is read. Read only after a solve (the results read cost
    even when ``solver.tie_break`` is ``none``), the solution vector was shorter than the
    columns and evaluating cost on it failed. Reading every objective here fixes the column
    set before the first solve, so every solution covers every column an objective names.
    """
    for name in SENSES:
        highs.linear(getattr(model, name).expr)
