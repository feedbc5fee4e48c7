"""A sweep's design: the distinct runs of a grid, one-at-a-time, Morris or Sobol study, and
the sensitivity indices read back from its runs.

A run's identity is its parameter values (:func:`run_key`): identical points are solved
once, and ``--resume`` recognises what a file already holds.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from planner.core.errors import InputError
from planner.core.scenario import Scenario
from planner.studies.sweep_params import ParamInfo, _get, _is_number, param_info

METHODS = ("grid", "oat", "morris", "sobol")


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
