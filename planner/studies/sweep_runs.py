"""One run of a sweep: a picklable task, solved in a worker, turned into one result row.

A run never raises for a bad point: an invalid scenario, an infeasible plan, a time limit or
a crash each become the row's status and message, so one bad point never stops a batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.core.deadline import TimeLimitReached
from planner.core.errors import InputError, PlannerError
from planner.core.scenario import Scenario, scenario_from_mapping
from planner.studies.sweep_params import ParamInfo, apply_point
from planner.studies.workers import become_worker

#: Plan KPIs copied into a run's row as they are (plan.kpis keys).
_COST_KPIS = [
    "total_cost_musd",
    "capex_musd",
    "opex_musd",
    "energy_cost_musd",
    "carbon_cost_musd",
    "site_fixed_musd",
    "onboarding_musd",
    "platform_musd",
    "emissions_kt",
    "energy_gwh",
    "compute_final_eflops",
]
_SUPPLY_KPIS = [
    "worst_case_n_minus_1_share",
    "providers_used",
    "chip_designers_used",
    "countries_used",
]
_KPI_COLUMNS = _COST_KPIS + _SUPPLY_KPIS
#: Columns of a run's row after its parameter values.
RESULT_COLUMNS = [
    "status",
    "error",
    "objective",
    "sovereignty_index",
    "territorial",
    "provider",
    "chip",
    *_COST_KPIS,
    "home_share_final",
    "top_provider",
    "top_provider_share",
    "top_designer",
    "top_designer_share",
    "top_foreign_jurisdiction",
    "top_foreign_share",
    *_SUPPLY_KPIS,
    "gap",
    "solve_s",
    "wall_s",
    "cpu_s",
]
#: Statuses of runs that produced a plan.
OK_STATUSES = ("optimal", "feasible")
#: A run left less than this of the sweep's time limit is not started: it is recorded
#: ``lost`` with :data:`TIME_UP`, and ``--resume`` runs it.
MIN_RUN_SECONDS = 0.05
#: Why such a run was not started.
TIME_UP = "the sweep's time limit ran out before this run started"
#: A run lost to the infrastructure (a worker that died, a cancelled future) after its
#: retries: not a result of the point, so ``--resume`` runs it again.
LOST = "lost"


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to solve one point (picklable)."""

    point: dict[str, Any]
    raw: dict[str, Any]
    infos: dict[str, ParamInfo]
    source: str
    time_limit: float | None = None
    mip_gap: float | None = None
    objective: str = "sovereignty"
    #: "solve" (one plan per run) or "alternatives" (the optimum and near-optimal plans)
    study: str = "solve"
    study_options: dict[str, Any] = field(default_factory=dict)
    #: the whole sweep's deadline (wall clock, ``time.time()``; None: none) and the runs
    #: expected to start, one worker's queue, from this one on: the run takes that part of
    #: what is left (``sweep``'s ``time_limit`` bounds the sweep, not each run)
    end: float | None = None
    parts: int = 1


#: Per-run studies a sweep can run instead of a plain solve.
STUDIES = ("solve", "alternatives")
#: Columns an ``alternatives`` run adds: how robust the optimum's choices are.
ALTERNATIVES_COLUMNS = [
    "alternatives_found",
    "same_top_country",
    "same_top_provider",
    "same_top_designer",
    "alternatives_min_index",
    "alternatives_max_cost_musd",
    "alternatives_max_distance",
]


_WORKER_TABLES: Any = None


def _init_worker(tables: Any, parent: int | None = None) -> None:
    """Process-pool initializer: die with the parent, leave Ctrl-C to the parent (which
    stops the pool), keep the data tables once per worker process."""
    global _WORKER_TABLES
    become_worker(parent)
    _WORKER_TABLES = tables


def _final_share(shares: pd.DataFrame, period: int, dimension: str) -> tuple[Any, float | None]:
    sel = shares[(shares["period"] == period) & (shares["dimension"] == dimension)]
    if sel.empty:
        return None, None
    top = sel.loc[sel["share"].idxmax()]
    return str(top["key"]), float(top["share"])


def plan_row(plan: Any) -> dict[str, Any]:
    """The result columns of a run from its Plan."""
    row: dict[str, Any] = {"status": plan.status, "objective": plan.objective, "gap": plan.gap}
    sov = plan.sovereignty or {}
    row["sovereignty_index"] = sov.get("index")
    for layer in ("territorial", "provider", "chip"):
        row[layer] = sov.get(layer)
    for col in _KPI_COLUMNS:
        row[col] = plan.kpis.get(col)
    if plan.ok and not plan.shares.empty:
        last = int(plan.shares["period"].max())
        _, row["home_share_final"] = _final_share(plan.shares, last, "home")
        row["top_provider"], row["top_provider_share"] = _final_share(plan.shares, last, "provider")
        row["top_designer"], row["top_designer_share"] = _final_share(plan.shares, last, "designer")
        row["top_foreign_jurisdiction"], row["top_foreign_share"] = _final_share(
            plan.shares, last, "foreign_jurisdiction"
        )
    if not plan.ok:
        row["error"] = plan.message or plan.status
    row["solve_s"] = plan.timings.get("solve_s")
    return row


def alternatives_row(result: Any) -> dict[str, Any]:
    """Robustness of a run's optimum: of the near-optimal alternatives found (the optimum
    excluded), how many keep its top country / provider / chip designer (final period)."""
    from planner.studies.alternatives import final_shares

    plans = [p for p in result.plans if p.ok]
    row: dict[str, Any] = {"alternatives_found": max(len(plans) - 1, 0)}
    if not plans:
        return row
    for by, col in (("country", "country"), ("provider", "provider"), ("designer", "designer")):
        tops = [final_shares(p, by).index[:1].tolist() for p in plans]
        row[f"same_top_{col}"] = sum(t == tops[0] for t in tops[1:])
    alts = result.table.iloc[1:]
    if len(alts):
        row["alternatives_min_index"] = float(alts["sovereignty"].min())
        row["alternatives_max_cost_musd"] = float(alts["cost_musd"].max())
        row["alternatives_max_distance"] = float(alts["distance"].max())
    return row


def run_time_limit(task: RunTask) -> float | None:
    """The seconds this run may take: its per-run limit, and its part of what is left of
    the sweep's time limit; 0 when nothing is left."""
    limit = task.time_limit
    if task.end is None:
        return limit
    part = max(task.end - time.time(), 0.0) / max(task.parts, 1)
    return part if limit is None else min(limit, part)


def _study_row(
    task: RunTask, sc: Scenario, tables: Any, limit: float | None = None
) -> dict[str, Any]:
    """The result columns of one run of the task's study (``limit``: the run's seconds)."""
    if task.study == "alternatives":
        from planner.studies.alternatives import alternatives

        result = alternatives(
            sc,
            time_limit=limit,
            mip_gap=task.mip_gap,
            objective=task.objective,
            tables=tables,
            **task.study_options,
        )
        row = plan_row(result.plans[0])
        row.update(alternatives_row(result))
        row["solve_s"] = result.stats.get("seconds")
        return row
    from planner.studies.solving import solve_and_diagnose as solve

    plan = solve(
        sc, time_limit=limit, mip_gap=task.mip_gap, objective=task.objective, tables=tables,
    )  # fmt: skip
    return plan_row(plan)


def run_one(task: RunTask, tables: Any = None) -> dict[str, Any]:
    """Solve one point; never raises for a bad point (the row says what went wrong)."""
    t0, c0 = time.perf_counter(), time.process_time()
    row: dict[str, Any] = dict(task.point)
    limit = run_time_limit(task)
    if limit is not None and limit <= MIN_RUN_SECONDS and task.end is not None:
        return _lost_row(task, TIME_UP)
    try:
        raw = apply_point(task.raw, task.point, task.infos)
        label = ", ".join(f"{k}={v}" for k, v in task.point.items())
        sc = scenario_from_mapping(raw, source=f"{task.source} [{label}]")
        row.update(_study_row(task, sc, tables if tables is not None else _WORKER_TABLES, limit))
    except InputError as exc:
        row.update(status="invalid", error=str(exc))
    except TimeLimitReached as exc:  # the run's deadline passed before HiGHS had a plan
        row.update(status="time_limit_no_solution", error=str(exc))
    except PlannerError as exc:
        row.update(status="error", error=str(exc))
    except Exception as exc:  # a crash in one run must not stop the batch
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
    row["wall_s"] = time.perf_counter() - t0
    row["cpu_s"] = time.process_time() - c0
    return row


def _failed_row(task: RunTask, message: str) -> dict[str, Any]:
    return {**task.point, "status": "error", "error": message}


def _lost_row(task: RunTask, message: str) -> dict[str, Any]:
    """A run the infrastructure lost (not the point's fault): ``--resume`` retries it."""
    return {**task.point, "status": LOST, "error": f"{message}; --resume runs it again"}
