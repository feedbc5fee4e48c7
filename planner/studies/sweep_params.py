"""A sweep's parameters: what a name sets in the scenario, and the values it takes.

A parameter is a dotted scenario key (as ``--set``) or one of the multipliers in
:data:`ALIASES`; :func:`param_info` checks the name against the scenario schema before any
run starts, so a typo fails at once and names the keys that exist.
"""

from __future__ import annotations

import copy
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import numpy as np
from pydantic import BaseModel

from planner.core.errors import InputError
from planner.core.scenario import Scenario, apply_overrides, read_yaml

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
