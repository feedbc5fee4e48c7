"""One validated scenario per future of a scenario's ``uncertainty:`` block.

Everything downstream (the robust study's extensive form, a plan's ranges) needs each future
as a whole scenario, checked like a file a user wrote: a future that sets a chip price
negative or names an unknown key is an error naming the future and the field, not a model
that silently differs. A scenario without the block has one future, itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.core.errors import InputError
from planner.core.scenario import Scenario, apply_overrides, copy_mapping, scenario_from_mapping
from planner.core.uncertainty import Cut, Future, Uncertainty

#: the one future of a scenario without an uncertainty block
AS_GIVEN = "as given"
#: keys a future may not change: every future plans the same home over the same periods from
#: the same data, or its plan could not share the decisions made now with the others
FIXED_KEYS = frozenset(
    {"name", "description", "data", "home", "periods", "horizon_end", "uncertainty", "solver"}
)


@dataclass(frozen=True)
class ScenarioFuture:
    """A future as the planner uses it: its scenario with the overrides applied."""

    name: str
    probability: float
    scenario: Scenario
    overrides: dict[str, Any] = field(default_factory=dict)
    cut: Cut | None = None


def _value_at(raw: dict[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        key: Any = int(part) if part.isdigit() and int(part) in node else part
        node = node.get(key)
    return node


def sampled_futures(unc: Uncertainty, base: dict[str, Any]) -> list[Future]:
    """``unc.samples`` equally likely futures drawn from ``unc.ranges`` with ``unc.seed``.

    Keys are drawn in sorted order, one draw per key per future, so adding a future keeps the
    earlier ones. A key whose scenario value is an integer (a lead time in years) is rounded.
    """
    n = unc.samples or 0
    rng = np.random.default_rng(unc.seed)
    keys = sorted(unc.ranges)
    futures = []
    for i in range(n):
        values: dict[str, Any] = {}
        for key in keys:
            r = unc.ranges[key]
            if r.low == r.high:
                v = r.low
            elif r.distribution == "triangular":
                mode = r.mode if r.mode is not None else (r.low + r.high) / 2
                v = float(rng.triangular(r.low, mode, r.high))
            else:
                v = float(rng.uniform(r.low, r.high))
            current = _value_at(base, key)
            if isinstance(current, int) and not isinstance(current, bool):
                v = round(v)
            values[key] = v
        futures.append(Future(name=f"draw {i + 1}", probability=1.0 / n, set=values))
    return futures


def futures_of(sc: Scenario) -> list[ScenarioFuture]:
    """Each future of ``sc`` as a validated scenario (``sc`` itself if it has no block).

    Raises InputError naming the scenario file, the future and the field when a future's
    overrides do not make a valid scenario.
    """
    unc = sc.uncertainty
    if unc is None:
        return [ScenarioFuture(AS_GIVEN, 1.0, sc)]
    base = sc.model_dump(mode="python", exclude={"uncertainty"}, by_alias=True)
    source = sc._source or "<scenario>"
    specs = unc.futures if unc.futures else sampled_futures(unc, base)
    out = []
    for i, spec in enumerate(specs):
        where = f"{source}: uncertainty.futures[{i}] '{spec.name}'"
        fixed = sorted({k.split(".")[0] for k in spec.set} & FIXED_KEYS)
        if fixed:
            raise InputError(
                f"{where}: field 'set': {', '.join(fixed)} cannot differ between futures "
                "(every future plans the same home over the same periods from the same data)"
            )
        try:
            raw = apply_overrides(base, spec.set) if spec.set else copy_mapping(base)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from exc
        future_sc = scenario_from_mapping(raw, source=where)
        out.append(ScenarioFuture(spec.name, spec.probability, future_sc, dict(spec.set), spec.cut))
    return out


def here_and_now(sc: Scenario) -> list[int]:
    """Periods decided before the future is known: the block's, or the first period."""
    if sc.uncertainty is None:
        return sc.periods[:1]
    return sc.uncertainty.decided_now(sc.periods)
