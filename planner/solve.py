"""solve(scenario) -> Plan: build the model, hand it to HiGHS, read the plan back.

The sovereignty index is maximised first; then, unless ``solver.tie_break`` is ``none``,
total cost is minimised with the index held at its optimum (a lexicographic solve), so a
plan never spends money that buys no sovereignty. Both stages run on one persistent HiGHS
model: the second only swaps the objective and adds one row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyomo.environ as pyo

from models.build import build
from models.inputs import ModelInputs
from models.objectives import SENSES
from planner.data import Tables, load_tables
from planner.errors import InputError
from planner.highs_backend import HighsModel, SolveOutcome
from planner.inputs import HomeContext, build_inputs
from planner.results import Plan, make_plan
from planner.scenario import Scenario, load_scenario

#: Sovereignty may fall this much (absolute, index in [0,1]) in the cost tie-break stage.
LEXICOGRAPHIC_TOLERANCE = 1e-6


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


def prepare(scenario: Scenario | str, tables: Tables | None = None) -> Prepared:
    """Validate inputs, build the Pyomo model and pass it to HiGHS (no solve yet)."""
    sc = _as_scenario(scenario)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tables = tables if tables is not None else load_tables(sc.data)
    inp, ctx = build_inputs(sc, tables)
    timings["inputs_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = build(inp)
    timings["build_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    highs = HighsModel(model, threads=sc.solver.threads)
    timings["handoff_s"] = time.perf_counter() - t2
    return Prepared(sc, tables, inp, ctx, model, highs, timings)


def optimise(
    prep: Prepared,
    objective: str = "sovereignty",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    tie_break: bool | None = None,
) -> tuple[SolveOutcome, list[SolveOutcome]]:
    """Solve the prepared model for ``objective``, then (optionally) break ties on cost.

    Returns the outcome whose solution is the plan, and every stage's outcome.
    """
    sc = prep.scenario
    if objective not in SENSES:
        raise InputError(f"objective: unknown '{objective}'; choose from {sorted(SENSES)}")
    limit = time_limit if time_limit is not None else sc.solver.time_limit
    gap = mip_gap if mip_gap is not None else sc.solver.mip_gap
    if tie_break is None:
        tie_break = sc.solver.tie_break == "lexicographic"
    m, h = prep.model, prep.highs
    deadline = time.perf_counter() + limit

    h.relax_row("lexicographic")
    h.set_objective(getattr(m, objective).expr, SENSES[objective])
    start = None
    t_lp = time.perf_counter()
    if sc.solver.lp_start:
        start = h.rounded_lp_start(time_limit=limit)
    lp_seconds = time.perf_counter() - t_lp
    first = h.solve(time_limit=max(limit - lp_seconds, 0.05), mip_gap=gap, start=start)
    first.seconds += lp_seconds
    stages = [first]
    if not tie_break or first.x is None or objective == "total_cost":
        return resplit(prep, first, objective, tie_break), stages
    remaining = min(deadline - time.perf_counter(), limit * sc.solver.tie_break_time_share)
    if remaining <= 0.05:
        return resplit(prep, first, objective, tie_break), stages
    best = first.objective
    sense = SENSES[objective]
    if sense == pyo.maximize:
        h.set_row("lexicographic", getattr(m, objective).expr, lower=best - LEXICOGRAPHIC_TOLERANCE)
    else:
        h.set_row("lexicographic", getattr(m, objective).expr, upper=best + LEXICOGRAPHIC_TOLERANCE)
    h.set_objective(m.total_cost.expr, pyo.minimize)
    second = h.solve(time_limit=remaining, mip_gap=sc.solver.tie_break_gap, start=first.x)
    stages.append(second)
    h.relax_row("lexicographic")
    if second.x is None:
        return resplit(prep, first, objective, tie_break), stages
    # The plan is the second stage's solution; its status is the weaker of the two.
    # Status describes the primary objective; the tie-break's own gap is reported beside it.
    merged = SolveOutcome(
        status=first.status,
        objective=h.evaluate(getattr(m, objective).expr, second.x),
        bound=first.bound,
        gap=first.gap,
        seconds=first.seconds + second.seconds,
        x=second.x,
        message=f"{first.message}; cost tie-break: {second.message}",
        tie_break_gap=second.gap if second.gap is not None else None,
    )
    return resplit(prep, merged, objective, tie_break), stages


def resplit_stages(
    m: pyo.ConcreteModel, objective: str, tie_break: bool = True
) -> list[tuple[object, int]]:
    """What the last LP pass optimises, in order: the solve's objective, then the
    sovereignty index (when it was not the objective), then total cost (the tie-break; with
    modules fixed it moves only continuous cost columns such as ``build``)."""
    stages = [(getattr(m, objective).expr, SENSES[objective])]
    if objective != "sovereignty":
        stages.append((m.sovereignty.expr, pyo.maximize))
    if tie_break and objective != "total_cost":
        stages.append((m.total_cost.expr, pyo.minimize))
    return stages


def resplit(
    prep: Prepared, outcome: SolveOutcome, objective: str, tie_break: bool = True
) -> SolveOutcome:
    """The last LP pass: modules fixed at the MIP's (rounded) values, counted compute
    re-split by LP so the reported index is the best those modules reach (HiGHS stops at
    its gap with any feasible split). Keeps the outcome as it was if the LP fails."""
    if outcome.x is None:
        return outcome
    m, h = prep.model, prep.highs
    t0 = time.perf_counter()
    x = h.fixed_integer_lp(outcome.x, resplit_stages(m, objective, tie_break))
    if x is None:
        return outcome
    outcome.x = x
    outcome.objective = h.evaluate(getattr(m, objective).expr, x)
    outcome.seconds += time.perf_counter() - t0
    return outcome


def solve(
    scenario: Scenario | str,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    objective: str = "sovereignty",
    tables: Tables | None = None,
    diagnose: bool = True,
) -> Plan:
    """Solve a scenario (a Scenario or a path to its YAML) and return the Plan.

    An infeasible plan carries ``plan.diagnosis`` (see planner.diagnose) unless ``diagnose``
    is False; infeasibility provable without solving (screens) skips the solve.
    """
    from planner import diagnose as dg

    t0 = time.perf_counter()
    prep = prepare(scenario, tables=tables)
    screens = dg.screen(prep)
    if screens:
        outcome = SolveOutcome("infeasible", None, None, None, 0.0, None, "; ".join(screens))
        stages = [outcome]
    else:
        outcome, stages = optimise(prep, objective, time_limit=time_limit, mip_gap=mip_gap)
    t1 = time.perf_counter()
    plan = make_plan(prep, outcome, objective)
    plan.message = dg.status_message(plan, time_limit or prep.scenario.solver.time_limit)
    if diagnose:
        dg.attach(plan, prep, screens, time_limit)
    timings = dict(prep.timings)
    timings["solve_s"] = sum(s.seconds for s in stages)
    timings["results_s"] = time.perf_counter() - t1
    timings["total_s"] = time.perf_counter() - t0
    plan.timings = timings
    plan.model_size = model_size(prep)
    return plan


def model_size(prep: Prepared) -> dict[str, int]:
    """Rows, columns, integer columns and nonzeros of the model HiGHS holds."""
    h = prep.highs
    return {
        "options": len(prep.inputs.options),
        "rows": int(h.base_rows),
        "columns": len(h.columns),
        "integer_columns": int(h.integer.sum()),
        "nonzeros": int(h.nnz),
    }


def export(scenario: Scenario | str, path: str, tables: Tables | None = None) -> dict[str, int]:
    """Write the exact model HiGHS solves (sovereignty objective) to .mps or .lp."""
    prep = prepare(scenario, tables=tables)
    prep.highs.write(str(path))
    return model_size(prep)
