"""A range on every plan: the solved plan priced and scored across futures, no re-solve.

Every headline number of a plan is a point: one price path, one set of trust scores. This
study fixes the plan (its modules per option and period) and re-prices and re-scores it in
each future of the scenario's ``uncertainty:`` block, or, without one, in a small seeded
sample of the inputs nobody can pin down (``data/uncertain_inputs.csv``: electricity and chip
prices, the placeholder price trend, the discount rate, the trust scores of the main foreign
jurisdictions). It says how far the cost and index move, how often the plan misses its
target or budget, and which input moves the cost most.

Which input moves the cost most: one-at-a-time swings. Each drawn input is set to the low
and then the high end of its range with every other input at the scenario's value, and the
plan is priced at both; the input with the largest cost difference is named. Simple, and
honest about what it is (interactions between inputs are not measured). With futures
listed by hand there are no ranges to swing: the future whose cost is furthest from the
plan's own is named, with what it changes.

Quantiles: P10/P50/P90 are those of the futures' probability-weighted distribution (the
smallest cost at or above which lies the given share of probability: no interpolation).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.core import deadline as clock
from planner.core.data import read_side_table
from planner.core.errors import InputError, PlannerError
from planner.core.evaluate import (
    TOLERANCE,
    FutureOutcome,
    PlacedPoint,
    PlanPoint,
    evaluate_point,
    kept_under_cut,
    missing_outcome,
    place_point,
    plan_point,
    point_rows,
    price_placed,
)
from planner.core.futures import ScenarioFuture, futures_of
from planner.core.prepare import Prepared
from planner.core.reprice import Repricer, repriceable
from planner.core.results import Plan
from planner.core.uncertainty import Future, Range, Uncertainty

#: Draws of the default sample, and its seed: the same plan always gets the same range.
DEFAULT_SAMPLES = 50
DEFAULT_SEED = 2025
#: The bundled data folder, whose uncertain_inputs.csv serves a data folder without one.
BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"
TABLE = "uncertain_inputs"


@dataclass
class PlanRanges:
    """The plan across futures: distribution of cost and index, misses, and the driver."""

    source: str  # "scenario" (its uncertainty block) or "default" (uncertain_inputs.csv)
    outcomes: list[FutureOutcome]
    plan_cost: float
    plan_index: float
    cost: dict[str, float] = field(default_factory=dict)
    index: dict[str, float] = field(default_factory=dict)
    misses_target: float = 0.0
    misses_budget: float = 0.0
    infeasible: float = 0.0
    driver: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def index_moves(self) -> bool:
        return bool(self.index) and self.index["max"] - self.index["min"] > 1e-9

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "futures": len(self.outcomes),
            "plan_cost_musd": self.plan_cost,
            "plan_index": self.plan_index,
            "cost_musd": self.cost,
            "index": self.index,
            "index_moves": self.index_moves,
            "share_missing_target": self.misses_target,
            "share_over_budget": self.misses_budget,
            "share_infeasible": self.infeasible,
            "driver": self.driver,
            "ranges": self.ranges,
            "seconds": self.seconds,
            "notes": list(self.notes),
            "per_future": [o.to_dict() for o in self.outcomes],
        }


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value v with P(X <= v) >= q under the futures' probabilities."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order]) / weights.sum()
    i = int(np.searchsorted(cum, q - 1e-12, side="left"))
    return float(values[order][min(i, len(values) - 1)])


def _summary(values: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    return {
        "min": float(values.min()),
        "p10": weighted_quantile(values, weights, 0.1),
        "p50": weighted_quantile(values, weights, 0.5),
        "p90": weighted_quantile(values, weights, 0.9),
        "max": float(values.max()),
    }


def default_table(folder: str | Path | None) -> pd.DataFrame:
    """The uncertain inputs' ranges: the data folder's table, else the bundled one."""
    where = Path(folder) if folder is not None else BUNDLED_DATA
    table = read_side_table(where, TABLE)
    if table is None:
        where = BUNDLED_DATA
        table = read_side_table(where, TABLE)
    if table is None:  # pragma: no cover - the bundled table ships with the package
        raise InputError(f"{where / 'uncertain_inputs.csv'}: missing")
    bad = table[~table["how"].isin(["times", "plus"])]
    if not bad.empty:
        raise InputError(
            f"{where / 'uncertain_inputs.csv'}: row {int(bad.index[0]) + 2}, column 'how': "
            f"'{bad['how'].iloc[0]}' is not times or plus"
        )
    return table


def default_uncertainty(prep: Prepared, table: pd.DataFrame) -> Uncertainty:
    """The seeded default sample: each row's range around the scenario's own value.

    A score row is drawn only for a foreign jurisdiction (a home one scores 1); ``plus``
    values stay within [0, 1] (rates, trends and scores are shares)."""
    sc, ctx = prep.scenario, prep.context
    eco = sc.economics
    ranges: dict[str, Range] = {}
    for row in table.itertuples(index=False):
        key = str(row.key)
        if key.startswith("scores."):
            j = key.split(".", 1)[1]
            if j not in ctx.foreign:
                continue
            base = float(ctx.scores.get(j, 0.0))
        elif key.startswith("economics.") and hasattr(eco, key.split(".", 1)[1]):
            base = float(getattr(eco, key.split(".", 1)[1]))
        else:
            raise InputError(
                f"uncertain_inputs.csv: key '{key}': only economics.<field> and scores.<J> "
                "can be drawn"
            )
        if row.how == "times":
            low, high = base * float(row.low), base * float(row.high)
        else:
            low = min(max(base + float(row.low), 0.0), 1.0)
            high = min(max(base + float(row.high), 0.0), 1.0)
        ranges[key] = Range(low=round(low, 9), high=round(high, 9))  # 0.5, not 0.49999999999999994
    return Uncertainty(samples=DEFAULT_SAMPLES, seed=DEFAULT_SEED, ranges=ranges)


@dataclass
class Pricing:
    """What every future of one plan's range shares: the plan as a PlanPoint, its option
    rows in the base inputs, and (built on first use) the plan placed on the base options
    with the base's Repricer. A future that only re-prices or re-scores (``repriceable``)
    is then a few array operations, not a new input set (``planner.core.reprice``)."""

    prep: Prepared
    point: PlanPoint
    rows: np.ndarray | list[str]
    _placed: PlacedPoint | list[str] | None = None
    _repricer: Repricer | None = None

    @classmethod
    def of(cls, prep: Prepared, point: PlanPoint, rows=None) -> Pricing:
        return cls(prep, point, point_rows(point, prep.inputs) if rows is None else rows)

    def placed(self) -> PlacedPoint | list[str]:
        if self._placed is None:
            self._placed = place_point(self.point, self.prep.inputs, self.rows)
        return self._placed

    def repricer(self) -> Repricer:
        if self._repricer is None:
            p = self.prep
            self._repricer = Repricer(p.inputs, p.scenario, p.context)
        return self._repricer


def _repriced_outcome(pricing: Pricing, future: ScenarioFuture) -> FutureOutcome:
    """The plan in a re-priced future: ``evaluate_point`` on ``repriced_inputs`` to the last
    bit (tests/test_ranges.py), without building them."""
    capital, running, score = pricing.repricer().coefficients(future.scenario)
    placed = pricing.placed()  # after the coefficients: an input error is named first
    if isinstance(placed, list):
        return missing_outcome(future.name, future.probability, placed)
    return price_placed(placed, capital, running, score, future.name, future.probability)


def evaluate_future(
    prep: Prepared,
    point: PlanPoint,
    alloc: pd.DataFrame,
    future: ScenarioFuture,
    base_rows: np.ndarray | list[str] | None = None,
    pricing: Pricing | None = None,
) -> FutureOutcome:
    """The fixed plan in one future (an input error of the future makes it infeasible there,
    named in the outcome's note, not the whole range). ``base_rows``: ``point_rows`` of the
    base inputs, which a re-priced future shares; ``pricing``: what the range's futures
    share (made here when not given)."""
    repriced = repriceable(future.overrides)
    if repriced:  # the same options as the base inputs
        pricing = pricing or Pricing.of(prep, point, base_rows)
        try:
            out = _repriced_outcome(pricing, future)
        except InputError as exc:
            return FutureOutcome(
                future.name, future.probability, None, None, False, False, ["inputs"], str(exc)
            )
    else:
        from planner.core.inputs import build_inputs

        try:
            inp = build_inputs(future.scenario, prep.tables)[0]
        except InputError as exc:
            return FutureOutcome(
                future.name, future.probability, None, None, False, False, ["inputs"], str(exc)
            )
        out = evaluate_point(point, inp, future.name, future.probability)
    if out.missing:
        return out
    if future.cut is not None:
        out.kept_share = kept_under_cut(
            future.scenario,
            prep.tables,
            alloc,
            list(future.cut.jurisdictions),
            future.cut.from_year,
            prep.context,
        )
        out.meets_target = out.meets_target and out.kept_share >= 1 - TOLERANCE
        out.note = f"cut of {', '.join(future.cut.jurisdictions)} from {future.cut.from_year}"
    elif not repriced:
        from planner.core.cuts import resilience_table, worst_case

        res = resilience_table(
            future.scenario, prep.tables, alloc, list(inp.foreign_jurisdictions), prep.context
        )
        out.kept_share = float(worst_case(res)["kept_share"])
    return out


def _swing_futures(prep: Prepared, ranges: dict[str, Range]) -> list[ScenarioFuture]:
    """Two futures per drawn input: it at its low and its high end, the rest as given."""
    specs = []
    for key in sorted(ranges):
        r = ranges[key]
        specs += [
            Future(name=f"{key} low", probability=0.5 / len(ranges), set={key: r.low}),
            Future(name=f"{key} high", probability=0.5 / len(ranges), set={key: r.high}),
        ]
    sc = prep.scenario.model_copy(update={"uncertainty": Uncertainty(futures=specs)})
    return futures_of(sc)


def _driver_by_swings(
    prep: Prepared,
    point: PlanPoint,
    alloc: pd.DataFrame,
    ranges: dict[str, Range],
    pricing: Pricing,
) -> dict[str, Any]:
    swings = []
    futures = _swing_futures(prep, ranges)
    for low, high in zip(futures[::2], futures[1::2], strict=True):
        a = evaluate_future(prep, point, alloc, low, pricing=pricing)
        b = evaluate_future(prep, point, alloc, high, pricing=pricing)
        if a.cost_musd is None or b.cost_musd is None:
            continue
        key = low.name.removesuffix(" low")
        swings.append(
            {
                "input": key,
                "low": ranges[key].low,
                "high": ranges[key].high,
                "cost_at_low_musd": a.cost_musd,
                "cost_at_high_musd": b.cost_musd,
                "swing_musd": abs(b.cost_musd - a.cost_musd),
                "index_at_low": a.index,
                "index_at_high": b.index,
                "index_swing": abs(float(b.index or 0.0) - float(a.index or 0.0)),
            }
        )
    if not swings:
        return {}
    swings.sort(key=lambda s: -s["swing_musd"])
    by_index = max(swings, key=lambda s: s["index_swing"])
    index_driver = (
        {k: by_index[k] for k in ("input", "low", "high", "index_at_low", "index_at_high")}
        if by_index["index_swing"] > 1e-9
        else {}
    )
    return {
        "method": "one-at-a-time swings across each range",
        **swings[0],
        "index_driver": index_driver,
        "all": swings,
    }


def _driver_by_future(outcomes: list[FutureOutcome], futures, plan_cost: float) -> dict[str, Any]:
    priced = [(o, f) for o, f in zip(outcomes, futures, strict=True) if o.cost_musd is not None]
    if not priced:
        return {}
    o, f = max(priced, key=lambda pair: abs(pair[0].cost_musd - plan_cost))
    return {
        "method": "the listed future furthest from the plan's cost",
        "input": f.name,
        "changes": {str(k): v for k, v in f.overrides.items()},
        "cost_musd": o.cost_musd,
        "swing_musd": abs(o.cost_musd - plan_cost),
    }


def plan_ranges(prep: Prepared, plan: Plan) -> PlanRanges | None:
    """The plan's ranges over its scenario's futures (or the default sample); None for a plan
    without a solution. Stops at the command's deadline with a note (no partial numbers)."""
    if not plan.ok or plan.allocation.empty:
        return None
    t0 = time.perf_counter()
    sc = prep.scenario
    point = plan_point(plan.allocation, prep.inputs.periods, prep.inputs.target)
    if sc.uncertainty is not None:
        source, unc = "scenario", sc.uncertainty
        futures = futures_of(sc)
    else:
        source = "default"
        unc = default_uncertainty(prep, default_table(prep.tables.folder or None))
        futures = futures_of(sc.model_copy(update={"uncertainty": unc}))
    pricing = Pricing.of(prep, point)
    result = PlanRanges(
        source, [], float(plan.cost or 0.0), float(plan.sovereignty.get("index", 0.0))
    )
    for future in futures:
        if clock.expired():
            result.notes.append(
                f"the time limit ran out after {len(result.outcomes)} of {len(futures)} futures"
            )
            result.outcomes = []
            return result
        result.outcomes.append(
            evaluate_future(prep, point, plan.allocation, future, pricing=pricing)
        )
    priced = [o for o in result.outcomes if o.cost_musd is not None]
    w_all = np.array([o.probability for o in result.outcomes])
    total = float(w_all.sum()) or 1.0
    result.infeasible = sum(o.probability for o in result.outcomes if o.missing) / total
    # a future whose options are gone counts as infeasible, not also as a missed target
    result.misses_target = sum(o.probability for o in priced if not o.meets_target) / total
    result.misses_budget = (
        sum(o.probability for o in priced if not o.within_budget) / total
        if prep.inputs.budget is not None
        else 0.0
    )
    if priced:
        w = np.array([o.probability for o in priced])
        result.cost = _summary(np.array([o.cost_musd for o in priced]), w)
        result.index = _summary(np.array([o.index for o in priced]), w)
    if unc.samples and unc.ranges:
        result.ranges = {k: [r.low, r.high] for k, r in sorted(unc.ranges.items())}
        if not clock.expired():
            result.driver = _driver_by_swings(prep, point, plan.allocation, unc.ranges, pricing)
    else:
        result.driver = _driver_by_future(result.outcomes, futures, result.plan_cost)
    result.seconds = time.perf_counter() - t0
    return result


def attach_ranges(plan: Plan, prep: Prepared) -> None:
    """Put the plan's ranges on ``plan.ranges`` (a note instead when they cannot be had)."""
    try:
        found = plan_ranges(prep, plan)
    except PlannerError as exc:
        plan.ranges = {"notes": [f"no range: {exc}"]}
        return
    if found is not None:
        plan.ranges = found.to_dict()
