"""Batches of solves for sensitivity analysis: grids, one-at-a-time, Morris and Sobol.

    from planner import load_scenario, sweep
    runs = sweep(load_scenario("data/scenarios/eu-2030-hedge.yaml"),
                 {"budget_scale": [0.8, 1.0, 1.2], "electricity_price_scale": [0.5, 1, 2]},
                 workers=2, out="runs.parquet")

A parameter is any scenario key by dotted path (as ``--set``: ``limits.max_share_provider``,
``weights.chip``, ``target.2030``) or one of the multipliers in :data:`ALIASES`. A design
(:func:`make_design`) turns the parameters into distinct runs; each run applies its values to
the raw scenario mapping, validates it and solves it, in its own process (local pool) or on
a Dask cluster (``scheduler=``). Runs are independent and deterministic, so identical points
are solved once, and ``resume=True`` skips every point already in ``out``.

Each finished run becomes one row (parameter values, status, objective, sovereignty index
and layers, cost split, key shares, times, error message) and the Parquet file is rewritten
atomically (temp file + rename) as runs finish, so an interrupted batch loses nothing it
had finished. A run that is invalid (status ``invalid``), infeasible, out of time or crashes
(``error``) is recorded and the batch goes on.

This module is the API; the parts live beside it: parameters (``sweep_params``), designs and
indices (``sweep_design``), one run (``sweep_runs``), the results file (``sweep_store``) and
execution (``sweep_exec``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.core.deadline import check_time_limit
from planner.core.errors import InputError
from planner.core.io import check_writable, exclusive_lock
from planner.core.scenario import Scenario, apply_overrides, read_yaml, scenario_from_mapping
from planner.studies.sweep_design import (  # noqa: F401  (the sweep API's names, one import)
    METHODS,
    Design,
    base_values,
    design_of,
    indices,
    make_design,
    outputs_by_row,
    run_key,
)
from planner.studies.sweep_exec import DASK_WORKER_WAIT, _Progress, execute  # noqa: F401
from planner.studies.sweep_params import (  # noqa: F401
    ALIASES,
    MAX_PARAM_VALUES,
    MAX_RUNS,
    ParamInfo,
    apply_point,
    load_grid,
    param_info,
    parse_param,
    parse_values,
)
from planner.studies.sweep_runs import (  # noqa: F401
    ALTERNATIVES_COLUMNS,
    LOST,
    OK_STATUSES,
    RESULT_COLUMNS,
    STUDIES,
    TIME_UP,
    RunTask,
    plan_row,
    run_one,
    run_time_limit,
)
from planner.studies.sweep_store import RunStore, read_runs, spec_fingerprint  # noqa: F401


def _raw_of(
    scenario: Scenario | str | Path, overrides: list[str] | dict[str, Any] | None
) -> tuple[dict[str, Any], Scenario, str]:
    """The raw mapping of the base scenario (overrides applied), validated once."""
    if isinstance(scenario, Scenario):
        raw = scenario.model_dump()
        source = f"scenario '{scenario.name}'"
        base_dir = None
    else:
        path = Path(scenario)
        raw = read_yaml(path)
        source = str(path)
        base_dir = path.resolve().parent
    if overrides:
        raw = apply_overrides(raw, overrides)
    sc = scenario_from_mapping(raw, source=source, base_dir=base_dir)
    raw["data"] = sc.data  # resolved against the scenario's folder
    return raw, sc, source


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def sweep(
    scenario: Scenario | str | Path,
    params: dict[str, Iterable[Any]],
    workers: int | None = None,
    scheduler: Any = None,
    out: str | Path | None = None,
    resume: bool = False,
    method: str = "grid",
    samples: int = 16,
    *,
    seed: int = 0,
    force: bool = False,
    overrides: list[str] | dict[str, Any] | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    objective: str = "sovereignty",
    tables: Any = None,
    progress: bool | Callable[[int, int], None] = False,
    study: str = "solve",
    study_options: dict[str, Any] | None = None,
    time_limit_per_solve: float | None = None,
) -> pd.DataFrame:
    """Solve the scenario at every point of a design; one row per distinct run.

    ``time_limit`` bounds the whole sweep: each run takes its part of what is left when it
    starts (what is left over the runs still queued on its worker); runs that would start
    after it are recorded ``lost`` (``--resume`` runs them). ``time_limit_per_solve`` bounds
    each run as well (default: the scenario's ``solver.time_limit`` per solve).

    ``params`` maps each parameter (a dotted scenario key or a name in :data:`ALIASES`) to
    its values; Morris and Sobol sample between the smallest and largest value. ``workers``
    processes run locally (default: the machine's cores); ``scheduler`` (``tcp://host:port``,
    a ``dask.distributed.Client`` or a cluster object) sends the runs to Dask instead.
    With ``out`` the rows are written to Parquet as runs finish; ``resume`` skips points
    already there. Each run uses one HiGHS thread unless the scenario sets
    ``solver.threads``: the runs themselves are the parallelism.

    ``study="alternatives"`` runs :func:`planner.studies.alternatives.alternatives` at each
    point instead of one solve (``study_options``: ``slack``, ``n``, ``metric``); the row is
    the optimum's, plus :data:`ALTERNATIVES_COLUMNS` (how many near-optimal alternatives
    keep the optimum's top country, provider and chip designer: a robustness measure).

    Returns a DataFrame with one row per distinct point of the design (in design order);
    ``.attrs["sweep"]`` describes the sweep (method, parameters, base, samples, seed), which
    :func:`planner.reports.sweep_report.indices` and the charts use.

    ``progress``: True draws a rich bar on stderr (runs done, failures, ETA); a callable is
    called ``progress(done, total)`` as runs finish (tqdm-style, e.g. the app's bar).
    """

    if out is not None:
        # before any work: a folder, a device or a read-only place fails now, not after the
        # first run; a link is resolved so the lock and the writes go to the file it names
        out = check_writable(out, force=True)
        if out.exists() and not (resume or force):
            raise InputError(
                f"{out}: already exists; pass --resume to continue that sweep or "
                "--force to overwrite it"
            )
    if not params:
        raise InputError("sweep: give at least one parameter (--param NAME=v1,v2 or --grid FILE)")
    params = {str(k): [_jsonable(v) for v in vals] for k, vals in params.items()}
    infos = {name: param_info(name) for name in params}
    for name, values in params.items():
        if not values:
            raise InputError(f"--param {name}: no values")
        if name in RESULT_COLUMNS:
            raise InputError(f"--param {name}: the name clashes with a result column")
    targets = [i.target for i in infos.values() if i.kind == "path"]
    if len(set(targets)) < len(targets):
        raise InputError(f"sweep: two parameters set the same scenario key ({targets})")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: must be at least 1")
    if method in ("morris", "sobol"):
        from planner.studies.sensitivity import check_seed, run_count

        seed = check_seed(seed)
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise InputError(f"--samples {samples!r}: must be a whole number >= 1")
        runs = run_count(method, samples, len(params))
    else:
        runs = math.prod(len(v) for v in params.values()) if method == "grid" else 0
        runs = max(runs, sum(len(v) for v in params.values()))
    if runs > MAX_RUNS:
        raise InputError(
            f"sweep: the {method} design has {runs:,} runs, more than {MAX_RUNS:,}; use fewer "
            "values or samples"
        )
    time_limit = check_time_limit(time_limit, "--time-limit")
    per_run = check_time_limit(time_limit_per_solve, "--time-limit-per-solve")
    end = None if time_limit is None else time.time() + time_limit
    study_options = _check_study(study, study_options, objective)
    raw, sc, source = _raw_of(scenario, overrides)
    if "budget_scale" in params and sc.budget is None:
        raise InputError(f"{source}: budget_scale needs a budget in the scenario")
    if sc.solver.threads is None:
        raw.setdefault("solver", {})
        raw["solver"] = {**(raw["solver"] or {}), "threads": 1}
    base = base_values(sc, params, infos)
    design = make_design(params, infos, method, base=base, samples=samples, seed=seed)
    spec = {
        "version": 1,
        "scenario": sc.name,
        "method": method,
        "params": params,
        "base": {k: _jsonable(v) for k, v in base.items()},
        "samples": samples,
        "seed": seed,
        "objective": objective,
        "study": study,
        "study_options": study_options,
        "scenario_hash": spec_fingerprint({k: v for k, v in raw.items() if k != "solver"}),
    }
    with exclusive_lock(out):
        return _sweep_locked(
            out, design, spec, raw, infos, source, sc, resume, force, tables, per_run,
            mip_gap, objective, progress, workers, scheduler, study, study_options, end,
        )  # fmt: skip


def _sweep_locked(
    out: str | Path | None,
    design: Design,
    spec: dict[str, Any],
    raw: dict[str, Any],
    infos: dict[str, ParamInfo],
    source: str,
    sc: Scenario,
    resume: bool,
    force: bool,
    tables: Any,
    time_limit: float | None,
    mip_gap: float | None,
    objective: str,
    progress: bool | Callable[[int, int], None],
    workers: int | None,
    scheduler: Any,
    study: str = "solve",
    study_options: dict[str, Any] | None = None,
    end: float | None = None,
) -> pd.DataFrame:
    """The sweep once ``out`` is locked against other writers (``time_limit``: per run;
    ``end``: the whole sweep's deadline, wall clock)."""
    from planner.core.data import load_tables

    store = RunStore(out, design.names, spec, resume=resume, force=force)
    done = store.keys()
    todo = [p for p in design.points if run_key(p, design.names) not in done]
    tables = tables if tables is not None else load_tables(sc.data)
    if workers is None:
        workers = os.cpu_count() or 1
    lanes = 1 if scheduler is not None else max(1, min(workers, len(todo)))
    tasks = [
        RunTask(
            p,
            raw,
            infos,
            source,
            time_limit=time_limit,
            mip_gap=mip_gap,
            objective=objective,
            study=study,
            study_options=study_options,
            end=end,
            parts=math.ceil((len(todo) - i) / lanes),
        )  # fmt: skip
        for i, p in enumerate(todo)
    ]
    bar = _Progress(len(tasks), progress)

    def on_result(row: dict[str, Any]) -> None:
        store.add(row)
        bar.advance(row.get("status") in OK_STATUSES)

    try:
        execute(tasks, tables, on_result, workers=workers, scheduler=scheduler)
    finally:
        bar.close()
        store.flush()
    frame = store.frame()
    keys = frame.apply(lambda r: run_key(r.to_dict(), design.names), axis=1) if len(frame) else []
    frame = frame.assign(_key=list(keys)).drop_duplicates("_key", keep="last").set_index("_key")
    wanted = [run_key(p, design.names) for p in design.points]
    result = frame.loc[[k for k in wanted if k in frame.index]].reset_index(drop=True)
    result.attrs["sweep"] = spec
    return result


def _check_study(study: str, options: dict[str, Any] | None, objective: str) -> dict[str, Any]:
    """Refuse an unknown study or bad alternatives options before any run starts."""
    if study not in STUDIES:
        raise InputError(f"--study '{study}': unknown; choose from {', '.join(STUDIES)}")
    options = dict(options or {})
    if study == "solve":
        if options:
            raise InputError(f"--study solve takes no study options (got {sorted(options)})")
        return options
    from planner.studies.alternatives import check_options

    unknown = set(options) - {"slack", "n", "metric"}
    if unknown:
        raise InputError(f"--study alternatives: unknown option(s) {sorted(unknown)}")
    options = {"slack": 0.05, "n": 3, "metric": "mix", **options}
    check_options(options["slack"], options["n"], options["metric"], objective)
    return options
