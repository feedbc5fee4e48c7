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
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
import time
import types
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import numpy as np
import pandas as pd
from pydantic import BaseModel

from planner.core.deadline import TimeLimitReached, check_time_limit
from planner.core.errors import InputError, PlannerError
from planner.core.io import atomic_write, check_writable, exclusive_lock
from planner.core.progress import rich_progress
from planner.core.scenario import Scenario, apply_overrides, read_yaml, scenario_from_mapping
from planner.studies.workers import WorkerContext, become_worker, stop_pool

METHODS = ("grid", "oat", "morris", "sobol")

#: Multipliers and short names a sweep accepts besides dotted scenario paths.
ALIASES: dict[str, str] = {
    "budget_scale": "multiplies `budget` (the scenario must have one)",
    "target_scale": "multiplies every period's `target`",
    "electricity_price_scale": "economics.electricity_price_scale",
    "chip_price_scale": "economics.chip_price_scale",
    "carbon_price": "economics.carbon_price_usd_per_t (USD/t CO2e)",
}
_SHORT_PATHS = {
    "electricity_price_scale": "economics.electricity_price_scale",
    "chip_price_scale": "economics.chip_price_scale",
    "carbon_price": "economics.carbon_price_usd_per_t",
}
_SCALES = {"budget_scale": "budget", "target_scale": "target"}
_NOT_SWEEPABLE = {"data", "name", "description"}

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


# --- parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamInfo:
    """How a parameter name acts on the scenario."""

    name: str
    kind: str  # "path" (a dotted scenario key) or "scale" (a multiplier)
    target: str  # the dotted path it sets, or the key it multiplies
    integer: bool = False


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Annotated[...] / Optional[...] / unions."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(annotation):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [annotation]


def param_info(name: str) -> ParamInfo:
    """Check a parameter name and say how it applies; InputError if it names nothing."""
    if not isinstance(name, str) or not name.strip():
        raise InputError("--param: empty parameter name")
    name = name.strip()
    if name in _SCALES:
        return ParamInfo(name, "scale", _SCALES[name])
    path = _SHORT_PATHS.get(name, name)
    parts = path.split(".")
    if parts[0] in _NOT_SWEEPABLE:
        raise InputError(f"--param {name}: '{parts[0]}' cannot be swept")
    model: type[BaseModel] = Scenario
    for i, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            where = "a scenario key" if i == 0 else f"a key of '{'.'.join(parts[:i])}'"
            choices = sorted(fields) if i else sorted(set(fields) - _NOT_SWEEPABLE)
            extra = f" or one of {sorted(ALIASES)}" if i == 0 else ""
            raise InputError(
                f"--param {name}: '{part}' is not {where}; use a dotted scenario key from "
                f"{choices}{extra}"
            )
        kinds = _unwrap(fields[part].annotation)
        last = i == len(parts) - 1
        sub = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None)
        if last:
            if sub is not None:
                raise InputError(
                    f"--param {name}: '{path}' is a group of settings; name one of them, e.g. "
                    f"{path}.{next(iter(sub.model_fields))}"
                )
            integer = int in kinds and float not in kinds
            return ParamInfo(name, "path", path, integer=integer)
        if sub is not None:
            model = sub
            continue
        if any(get_origin(k) is dict for k in kinds) and i == len(parts) - 2:
            return ParamInfo(name, "path", path)  # e.g. target.2030, scores.USA
        raise InputError(f"--param {name}: '{'.'.join(parts[: i + 1])}' has no sub-keys")
    raise AssertionError("unreachable")  # pragma: no cover


def _parse_value(text: str) -> Any:
    import yaml

    from planner.core.scenario import load_yaml_text

    try:
        return load_yaml_text(text, f"--param value {text[:40]!r}")
    except yaml.YAMLError:
        return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _tidy(value: float) -> float:
    """12 significant digits: 0.1 + 0.2 steps print as 0.3, not 0.30000000000000004."""
    return float(f"{value:.12g}")


#: Most values one parameter may take, and most runs a design may hold: far beyond any
#: sweep that finishes (a run is a MIP solve), and small enough that building the design
#: cannot exhaust memory (``lo:hi:1e9`` or ``--samples 1e9`` used to).
MAX_PARAM_VALUES = 10_000
MAX_RUNS = 100_000


def parse_values(name: str, text: str) -> list[Any]:
    """``v1,v2,...`` (each read as YAML) or ``lo:hi:n`` (n evenly spaced numbers)."""
    text = text.strip()
    if not text:
        raise InputError(f"--param {name}: no values")
    parts = text.split(":")
    if len(parts) == 3 and all(_is_number(_parse_value(p)) for p in parts):
        lo, hi, n = (_parse_value(p) for p in parts)
        if not float(n).is_integer() or n < 1:
            raise InputError(f"--param {name}={text}: n in lo:hi:n must be a whole number >= 1")
        if n > MAX_PARAM_VALUES:
            raise InputError(f"--param {name}={text}: n in lo:hi:n is at most {MAX_PARAM_VALUES:,}")
        if n == 1:
            return [_tidy(float(lo))]
        return [_tidy(v) for v in np.linspace(float(lo), float(hi), int(n))]
    return [_parse_value(v.strip()) for v in text.split(",") if v.strip() != ""]


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``NAME=v1,v2,...`` or ``NAME=lo:hi:n`` -> (name, values)."""
    if "=" not in text:
        raise InputError(
            f"--param {text!r}: expected NAME=v1,v2,... or NAME=lo:hi:n "
            "(e.g. budget_scale=0.8,1,1.2 or carbon_price=0:200:5)"
        )
    name, values = text.split("=", 1)
    name = name.strip()
    param_info(name)
    return name, parse_values(name, values)


def load_grid(path: str | Path) -> dict[str, list[Any]]:
    """A YAML file mapping parameter names to a list of values, or to ``"lo:hi:n"``."""
    path = Path(path)
    raw = read_yaml(path)
    out: dict[str, list[Any]] = {}
    for name, spec in raw.items():
        name = str(name)
        try:
            param_info(name)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from exc
        if isinstance(spec, list):
            values = spec
        elif isinstance(spec, str):
            values = parse_values(name, spec)
        else:
            values = [spec]
        if not values:
            raise InputError(f"{path}: parameter '{name}' has no values")
        out[name] = values
    if not out:
        raise InputError(f"{path}: no parameters")
    return out


def _get(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(int(part) if part.isdigit() and int(part) in node else part)
        else:
            node = getattr(node, part, None)
        if node is None:
            return None
    return node


def apply_point(
    raw: dict[str, Any], point: dict[str, Any], infos: dict[str, ParamInfo]
) -> dict[str, Any]:
    """The raw scenario mapping with one run's parameter values applied (input untouched)."""
    paths = {infos[n].target: v for n, v in point.items() if infos[n].kind == "path"}
    out = apply_overrides(raw, paths) if paths else copy.deepcopy(raw)
    for name, value in point.items():
        info = infos[name]
        if info.kind != "scale":
            continue
        if not _is_number(value):
            raise InputError(f"{name}={value!r}: a multiplier must be a number")
        if info.target == "budget":
            if out.get("budget") is None:
                raise InputError(f"{name}: the scenario has no budget to scale")
            out["budget"] = float(out["budget"]) * float(value)
        elif info.target == "target":
            out["target"] = {k: float(v) * float(value) for k, v in out["target"].items()}
    return out


# --- designs --------------------------------------------------------------------------------


def _canon(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if _is_number(value):
        f = float(value)
        if math.isnan(f):
            return None
        return 0.0 if f == 0 else f
    return str(value)


def run_key(point: dict[str, Any], names: list[str]) -> str:
    """Identity of a run: its parameter values (numbers compared as floats)."""
    return json.dumps([_canon(point.get(n)) for n in names])


@dataclass
class Design:
    """The runs of a sweep: distinct points, and the key of every design row."""

    method: str
    names: list[str]
    points: list[dict[str, Any]]
    keys: list[str]  # one per design row (rows of ``x`` for Morris/Sobol)
    base: dict[str, Any] = field(default_factory=dict)
    x: np.ndarray | None = None
    problem: dict[str, Any] | None = None


def base_values(
    scenario: Scenario, params: dict[str, list[Any]], infos: dict[str, ParamInfo]
) -> dict[str, Any]:
    """Centre of a one-at-a-time design: the scenario's own value (multipliers: 1).

    When the scenario leaves a key unset (e.g. an absent limit), the middle of the given
    values is used instead.
    """
    base: dict[str, Any] = {}
    for name, values in params.items():
        info = infos[name]
        value = 1.0 if info.kind == "scale" else _get(scenario, info.target)
        if value is None or isinstance(value, BaseModel | dict | list):
            ordered = sorted(values) if all(_is_number(v) for v in values) else list(values)
            value = ordered[(len(ordered) - 1) // 2]
        base[name] = value
    return base


def make_design(
    params: dict[str, list[Any]],
    infos: dict[str, ParamInfo],
    method: str = "grid",
    base: dict[str, Any] | None = None,
    samples: int = 16,
    seed: int = 0,
) -> Design:
    """The runs for ``method`` (grid | oat | morris | sobol)."""
    names = list(params)
    if method not in METHODS:
        raise InputError(f"--method {method}: choose from {list(METHODS)}")
    x = prob = None
    if method == "grid":
        rows = [
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*params.values())
        ]
    elif method == "oat":
        base = base or {}
        rows = [dict(base)]
        for name in names:
            for value in params[name]:
                if _canon(value) != _canon(base[name]):
                    rows.append({**base, name: value})
    else:
        from planner.studies import sensitivity

        bounds = []
        for name in names:
            values = params[name]
            if not all(_is_number(v) for v in values):
                raise InputError(
                    f"--param {name}: {method} needs numbers (a range lo:hi:n or values), "
                    f"got {values}"
                )
            bounds.append((float(min(values)), float(max(values))))
        prob = sensitivity.problem(names, bounds)
        x = sensitivity.sample(method, prob, samples, seed)
        rows = []
        for row in x:
            point = {}
            for name, v in zip(names, row, strict=True):
                point[name] = int(round(float(v))) if infos[name].integer else float(v)
            rows.append(point)
    keys = [run_key(p, names) for p in rows]
    points: list[dict[str, Any]] = []
    seen: set[str] = set()
    for key, point in zip(keys, rows, strict=True):
        if key not in seen:
            seen.add(key)
            points.append(point)
    return Design(method, names, points, keys, base=dict(base or {}), x=x, problem=prob)


# --- one run --------------------------------------------------------------------------------


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
    from planner.studies.diagnose import solve_and_diagnose as solve

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


def spec_fingerprint(raw: dict[str, Any]) -> str:
    """A short hash of the base scenario mapping (what ``--resume`` checks it continues)."""
    text = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the results file -----------------------------------------------------------------------

META_KEY = b"sovplan.sweep"


def _frame(rows: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    """Rows -> DataFrame with parameter columns first; mixed-type columns become text."""
    extra = [c for r in rows for c in r if c not in names and c not in RESULT_COLUMNS]
    columns = names + RESULT_COLUMNS + list(dict.fromkeys(extra))
    frame = pd.DataFrame(rows, columns=columns)
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        kinds = {
            type(v)
            for v in frame[col]
            if v is not None and not (isinstance(v, float) and math.isnan(v))
        }
        if len(kinds) > 1 and not kinds <= {int, float}:
            frame[col] = frame[col].map(lambda v: None if v is None or v != v else str(v))
    return frame


def read_runs(path: str | Path) -> pd.DataFrame:
    """Read a sweep's Parquet file; ``.attrs["sweep"]`` holds the sweep's description."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    frame = table.to_pandas()
    meta = table.schema.metadata or {}
    if META_KEY in meta:
        frame.attrs["sweep"] = json.loads(meta[META_KEY])
    return frame


class RunStore:
    """Rows of finished runs, rewritten atomically to Parquet (temp file + rename)."""

    def __init__(
        self,
        path: str | Path | None,
        names: list[str],
        spec: dict[str, Any],
        resume: bool = False,
        force: bool = False,
        min_interval: float = 1.0,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.names = names
        self.spec = spec
        self.rows: list[dict[str, Any]] = []
        self.min_interval = min_interval
        self._last = 0.0
        self._dirty = False
        if self.path is None:
            return
        if self.path.parent and not self.path.parent.exists():
            raise InputError(f"{self.path}: folder {self.path.parent} does not exist")
        if self.path.exists():
            if resume:
                old = read_runs(self.path)
                missing = [n for n in names if n not in old.columns]
                if missing:
                    varied = [c for c in old.columns if c not in RESULT_COLUMNS]
                    raise InputError(
                        f"{self.path}: its runs vary {varied}, not {missing}; resume with the "
                        "same parameters, or write to another --out"
                    )
                self._check_same_sweep(old.attrs.get("sweep") or {})
                # lost runs are not results: they are run again
                self.rows = [r for r in old.to_dict(orient="records") if r.get("status") != LOST]
                self._dirty = len(self.rows) != len(old)
            elif not force:
                raise InputError(
                    f"{self.path}: already exists; pass --resume to continue that sweep or "
                    "--force to overwrite it"
                )

    def _check_same_sweep(self, old: dict[str, Any]) -> None:
        """Refuse to resume a file written by another sweep (scenario, method, design)."""
        new = self.spec
        fields = ["scenario", "scenario_hash", "method", "objective"]
        if new.get("method") in ("morris", "sobol"):
            fields += ["params", "samples", "seed"]
        diffs = [
            f"{k} {old.get(k)!r} in the file, {new.get(k)!r} now"
            for k in fields
            if k in old and old.get(k) != new.get(k)
        ]
        if sorted(old.get("params", {})) != sorted(new.get("params", {})) and old:
            diffs.append(
                f"parameters {sorted(old.get('params', {}))} in the file, "
                f"{sorted(new.get('params', {}))} now"
            )
        if diffs:
            raise InputError(
                f"{self.path}: --resume refused, the file belongs to another sweep ("
                + "; ".join(diffs)
                + "); resume with the same scenario and parameters, or write to another --out"
            )

    def keys(self) -> set[str]:
        return {run_key(r, self.names) for r in self.rows if r.get("status") != LOST}

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self._dirty = True
        if time.monotonic() - self._last >= self.min_interval:
            self.flush()

    def frame(self) -> pd.DataFrame:
        return _frame(self.rows, self.names)

    def flush(self) -> None:
        """Write every row (the file's old rows and the new ones) atomically."""
        if self.path is None or not self._dirty:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self.frame(), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[META_KEY] = json.dumps(self.spec).encode()
        table = table.replace_schema_metadata(meta)
        atomic_write(self.path, lambda tmp: pq.write_table(table, tmp), force=True)
        self._last = time.monotonic()
        self._dirty = False


# --- execution ------------------------------------------------------------------------------


def _run_serial(tasks: list[RunTask], tables: Any, on_result: Callable) -> None:
    for task in tasks:
        on_result(run_one(task, tables))


def _run_pool(tasks: list[RunTask], workers: int, tables: Any, on_result: Callable) -> None:
    """One process per run on this machine (spawned, so safe with HiGHS threads; started
    from this module, so a script without a ``__main__`` guard works; killed with us)."""
    ctx = WorkerContext()
    pending = list(tasks)
    crashes: dict[int, int] = {}
    while pending:
        broken: list[RunTask] = []
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(pending)),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(tables, os.getpid()),
        )
        try:
            futures = {pool.submit(run_one, t): t for t in pending}
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    row = fut.result()
                except (BrokenProcessPool, CancelledError):
                    broken.append(task)
                    continue
                except Exception as exc:
                    row = _failed_row(task, f"{type(exc).__name__}: {exc}")
                on_result(row)
        except BaseException:
            # Ctrl-C or a failure here: stop the workers at once; finished rows are kept
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        # A worker that died (out of memory, a crash, a kill) breaks the whole pool: retry
        # its runs once in a fresh pool; a run lost twice is recorded as lost (not an
        # error: the point may be fine), and --resume runs it again.
        pending = []
        for task in broken:
            crashes[id(task)] = crashes.get(id(task), 0) + 1
            if crashes[id(task)] >= 2:
                on_result(_lost_row(task, "the worker process died running this case twice"))
            else:
                pending.append(task)


#: Dask re-runs a task this many times when its worker dies (run_one itself never raises
#: for a bad point, so a failed task is always the infrastructure's fault)
DASK_RETRIES = 2

#: How long a Dask sweep waits for a worker: at the start, and whenever the cluster has none
#: left while runs are pending (its only worker died). Dask itself would wait forever; after
#: this the pending runs are recorded ``lost`` and ``--resume`` runs them again.
DASK_WORKER_WAIT = 120.0


def _dask_workers(client: Any) -> int:
    """How many workers the scheduler has now (a cheap query: no per-worker details)."""
    info = client.scheduler_info(n_workers=0)
    return int(info.get("n_workers", len(info.get("workers", {}))))


def _dask_row(task: RunTask, fut: Any, outcome: Any) -> dict:
    """The row of one finished Dask future, as ``as_completed(with_results=True,
    raise_errors=False)`` hands it over: the run's own row, or ``lost`` when the cluster
    failed it (KilledWorker after the retries, a cancellation, a lost connection)."""
    if fut.status == "error":
        exc = outcome[1] if isinstance(outcome, tuple) else outcome
    elif isinstance(outcome, BaseException):
        exc = outcome
    else:
        return outcome
    return _lost_row(task, f"lost on the cluster ({type(exc).__name__}: {exc})")


def _run_dask(tasks: list[RunTask], scheduler: Any, tables: Any, on_result: Callable) -> None:
    """The same runs on an existing Dask cluster (an address, a Client or a Cluster)."""
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    own = False
    if isinstance(scheduler, Client):
        client = scheduler
    else:
        address = getattr(scheduler, "scheduler_address", scheduler)
        try:
            client = Client(address, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"--scheduler {address}: cannot connect to a Dask scheduler ({exc})"
            ) from exc
        own = True
    wait = DASK_WORKER_WAIT
    futures: dict[str, RunTask] = {}
    submitted = []
    try:
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise PlannerError(
                f"the Dask cluster at {client.scheduler.address} has no worker (waited "
                f"{wait:g} s); start one with: dask worker {client.scheduler.address}"
            ) from None
        shared = client.scatter(tables, broadcast=True)
        batch = uuid.uuid4().hex[:8]
        for i, task in enumerate(tasks):
            fut = client.submit(
                run_one, task, shared, pure=False, key=f"sovplan-run-{batch}-{i}",
                retries=DASK_RETRIES,
            )  # fmt: skip
            futures[fut.key] = task
            submitted.append(fut)
        # with_results: the rows are fetched in the background, so this loop never blocks on
        # one. A finished run whose worker dies before its row is fetched has to be recomputed,
        # and a blocking ``fut.result()`` would wait forever for a worker that never comes.
        done = dask_completed(submitted, with_results=True, raise_errors=False)
        reported: set[str] = set()
        alone_since: float | None = None  # when the cluster was last seen without workers
        while not done.is_empty():
            ready = done.next_batch(block=False)
            for fut, outcome in ready:
                on_result(_dask_row(futures[fut.key], fut, outcome))
                reported.add(fut.key)
            if ready:
                continue
            if _dask_workers(client) > 0:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > wait:
                left = [f for f in submitted if f.key not in reported]
                client.cancel(left)
                for fut in left:
                    on_result(
                        _lost_row(
                            futures[fut.key],
                            f"lost on the cluster (no worker left for {wait:g} s)",
                        )
                    )
                break
            time.sleep(0.5)
    except BaseException:
        client.cancel(submitted)
        raise
    finally:
        if own:
            client.close()


class _Progress:
    """A rich progress bar on stderr: runs done, failures, elapsed time and ETA."""

    def __init__(self, total: int, enabled: bool | Callable[[int, int], None]) -> None:
        self.failed = 0
        self.bar = None
        self.total, self.done = total, 0
        #: a caller's ``progress(done, total)`` callback (tqdm-style), else the rich bar
        self.callback = enabled if callable(enabled) else None
        if not enabled or self.callback is not None:
            return
        self.bar = rich_progress("sweep", "[red]{task.fields[failed]} failed", transient=False)
        self.task = self.bar.add_task("runs", total=total, failed=0)
        self.bar.start()

    def advance(self, ok: bool) -> None:
        if not ok:
            self.failed += 1
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def execute(
    tasks: list[RunTask],
    tables: Any,
    on_result: Callable[[dict[str, Any]], None],
    workers: int | None = None,
    scheduler: Any = None,
) -> None:
    """Run ``tasks`` serially, on a local process pool, or on a Dask cluster."""
    if not tasks:
        return
    if scheduler is not None:
        _run_dask(tasks, scheduler, tables, on_result)
    elif (workers or 1) <= 1 or len(tasks) == 1:
        _run_serial(tasks, tables, on_result)
    else:
        _run_pool(tasks, workers, tables, on_result)


# --- the API --------------------------------------------------------------------------------


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


def design_of(runs: pd.DataFrame, spec: dict[str, Any] | None = None) -> Design:
    """Rebuild the design a sweep used, from its description (``runs.attrs["sweep"]``)."""
    spec = spec or runs.attrs.get("sweep")
    if not spec:
        raise InputError("these runs carry no sweep description (read them with read_runs)")
    params = spec["params"]
    infos = {name: param_info(name) for name in params}
    return make_design(
        params,
        infos,
        spec["method"],
        base=spec.get("base"),
        samples=int(spec.get("samples", 16)),
        seed=int(spec.get("seed", 0)),
    )


def outputs_by_row(runs: pd.DataFrame, design: Design, output: str) -> np.ndarray:
    """The output of every design row (NaN where the run is missing or has no value)."""
    if output not in runs.columns:
        raise InputError(f"output '{output}': not a column of the runs")
    values: dict[str, float] = {}
    for r in runs.to_dict(orient="records"):
        v = r.get(output)
        values[run_key(r, design.names)] = float(v) if _is_number(v) else math.nan
    return np.array([values.get(k, math.nan) for k in design.keys], dtype=float)


def indices(
    runs: pd.DataFrame,
    output: str = "sovereignty_index",
    fill_failed: float | None = None,
    spec: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Morris or Sobol indices of ``output`` for each parameter of a global sweep.

    ``fill_failed`` replaces the output of runs without a plan (e.g. 0.0 for the
    sovereignty index of an infeasible point); by default every run must have a value.
    """
    from planner.studies import sensitivity

    spec = spec or runs.attrs.get("sweep")
    design = design_of(runs, spec)
    if design.method not in ("morris", "sobol"):
        raise InputError(f"indices need a morris or sobol sweep, not '{design.method}'")
    y = outputs_by_row(runs, design, output)
    failed = int((~np.isfinite(y)).sum())
    if fill_failed is not None:
        y = np.where(np.isfinite(y), y, fill_failed)
    frame = sensitivity.analyse(
        design.method, design.problem, design.x, y, seed=int(spec.get("seed", 0))
    )
    frame.insert(1, "method", design.method)
    frame.insert(2, "output", output)
    frame["runs"] = len(y)
    frame["failed_runs"] = failed
    return frame
