"""A fixed plan priced and scored in another future, without re-solving.

A plan is its module counts per option and period. In another future (other prices, trust
scores, export regime, a supply cut) the same modules cost and score differently, and may no
longer meet the target or the budget. This module answers that with the model's own
coefficients: the cost is Σ W·added + Σ R·n + fixed costs with (W, R) from
``models.objectives.cost_coefficients``, the arrays ``add_objectives`` builds the model's
``total_cost`` from, and the index is Σ s_a·q[a,t] / Σ D_t with the future's option scores.

Options are matched by identity (country, provider, chip, existing system), not by row
number: a future's inputs may hold other options. A plan using an option the future does not
offer (an export regime that excludes its chip, a provider excluded) is infeasible there,
and the outcome names what is missing rather than pricing the rest.

Counted compute q: the plan counts the same compute it counted when solved, re-scored with
the future's trust; when the future's targets differ, each period's counted compute is
recounted, highest-scoring modules first, up to the future's target.

A future with a supply cut (``uncertainty`` ``cut:``) is evaluated with the cut rule of
``planner.core.cuts`` (the rule ``sovplan stress`` uses): cost and index are those of the
plan as bought, and its kept share is what the cut leaves; below 1 the plan misses the
target in that future.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.inputs import ModelInputs
from models.objectives import cost_coefficients, fixed_cost
from planner.core.data import Tables
from planner.core.home import HomeContext

#: Relative slack within which a plan still meets its target or budget in a future (solver
#: tolerances: a plan solved to a 1e-6 gap is not "over budget" by 1e-9 of it).
TOLERANCE = 1e-6
#: Columns naming an option: the plan's allocation and every future's options carry them.
KEY = ("country", "provider", "chip", "existing")


def option_keys(opt: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """(country, provider, chip, existing system name or '') of every option, in row order."""
    names = (
        opt["existing_name"].fillna("").astype(str)
        if "existing_name" in opt.columns
        else pd.Series("", index=opt.index)
    )
    return list(
        zip(
            opt["country"].astype(str),
            opt["provider"].astype(str),
            opt["chip"].astype(str),
            names,
            strict=True,
        )
    )


@dataclass(frozen=True)
class PlanPoint:
    """A solved plan as the evaluation needs it: per option it uses (by identity), modules
    and counted compute (EFLOP/s) in each period."""

    periods: tuple[int, ...]
    keys: tuple[tuple[str, str, str, str], ...]
    modules: np.ndarray  # (len(keys), len(periods))
    counted: np.ndarray  # (len(keys), len(periods))
    target: dict[int, float]


def plan_point(alloc: pd.DataFrame, periods: list[int], target: dict[int, float]) -> PlanPoint:
    """The plan's allocation table (``Plan.allocation``) as a PlanPoint."""
    rows = alloc.assign(existing=alloc["existing"].fillna("").astype(str))
    keys = sorted({tuple(str(v) for v in r) for r in rows[list(KEY)].itertuples(index=False)})
    at = {k: i for i, k in enumerate(keys)}
    col = {t: i for i, t in enumerate(periods)}
    n = np.zeros((len(keys), len(periods)))
    q = np.zeros_like(n)
    for r in rows.itertuples(index=False):
        i, j = at[(str(r.country), str(r.provider), str(r.chip), str(r.existing))], col[r.period]
        n[i, j] += float(r.modules)
        q[i, j] += float(r.counted_eflops)
    return PlanPoint(tuple(periods), tuple(keys), n, q, {int(t): float(target[t]) for t in periods})


@dataclass
class FutureOutcome:
    """The fixed plan in one future."""

    name: str
    probability: float
    cost_musd: float | None
    index: float | None
    meets_target: bool
    within_budget: bool
    missing: list[str] = field(default_factory=list)
    kept_share: float | None = None
    note: str = ""

    @property
    def feasible(self) -> bool:
        """The plan can be carried out in this future and meets its target and budget."""
        return not self.missing and self.meets_target and self.within_budget

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "probability": self.probability,
            "cost_musd": self.cost_musd,
            "index": self.index,
            "meets_target": self.meets_target,
            "within_budget": self.within_budget,
            "missing": list(self.missing),
            "kept_share": self.kept_share,
            "note": self.note,
        }


def _label(key: tuple[str, str, str, str]) -> str:
    country, provider, chip, existing = key
    return existing or f"{chip} at {provider} in {country}"


def _recount(n: np.ndarray, compute: np.ndarray, score: np.ndarray, target: float) -> np.ndarray:
    """Counted compute of one period: highest-scoring capacity first, up to the target."""
    cap = n * compute
    q = np.zeros_like(cap)
    left = target
    for i in np.argsort(-score, kind="stable"):
        take = min(cap[i], max(left, 0.0))
        q[i] = take
        left -= take
    return q


def point_rows(point: PlanPoint, inp: ModelInputs) -> np.ndarray | list[str]:
    """The option row of each of the plan's options in ``inp``, or the labels of those
    ``inp`` does not offer (a list of str) when any is missing."""
    index_of = {k: a for a, k in enumerate(option_keys(inp.options))}
    missing = [_label(k) for k in point.keys if k not in index_of]
    if missing:
        return missing
    return np.array([index_of[k] for k in point.keys], dtype=int)


@dataclass(frozen=True)
class PlacedPoint:
    """A plan laid on one option set: everything of its evaluation that the coefficients do
    not move (module counts by option row, additions as the model charges them, fixed costs,
    capacity against each target). A future that only re-prices or re-scores the same options
    (``planner.core.reprice``) shares it with the base inputs; ``price_placed`` finishes it."""

    periods: tuple[int, ...]
    n: np.ndarray  # modules per (option, period) of the inputs' option set
    counted: np.ndarray  # counted compute per (option, period), as the plan counted it
    added: np.ndarray  # modules added per (option, period), as the model charges them
    fixed: float  # fixed costs of the sites, providers and chip platforms the plan opens
    compute: np.ndarray  # EFLOP/s per module of each option
    target: dict[int, float]  # the inputs' targets (EFLOP/s per period)
    plan_target: dict[int, float]  # the targets the plan was counted against
    meets_target: bool
    budget: float | None


def place_point(
    point: PlanPoint, inp: ModelInputs, rows: np.ndarray | list[str] | None = None
) -> PlacedPoint | list[str]:
    """``point`` on the options of ``inp`` (``rows``: ``point_rows(point, inp)`` when already
    known), or the labels of what ``inp`` lacks (["the same periods"] for other periods)."""
    found = point_rows(point, inp) if rows is None else rows
    if isinstance(found, list) and found:
        return found
    if list(point.periods) != list(inp.periods):
        return ["the same periods"]
    rows = np.asarray(found, dtype=int)
    n = np.zeros((len(inp.options), len(inp.periods)))
    q = np.zeros_like(n)
    n[rows] = point.modules
    q[rows] = point.counted
    # added[a,t] as the model charges it (models.objectives._added): build[a,t] >= the rise
    # for options whose count may fall (at the optimum, the rise where positive), else the
    # difference n[a,t] - n[a,t-1]
    prev = np.concatenate([np.zeros((n.shape[0], 1)), n[:, :-1]], axis=1)
    added = n - prev
    if inp.shrinkable:
        s = list(inp.shrinkable)
        added[s] = np.maximum(added[s], 0.0)
    opt = inp.options
    used_new = (n.sum(axis=1) > 0) & ~opt["existing"].to_numpy(bool)
    fixed = fixed_cost(
        inp,
        sorted(set(opt["country"].to_numpy()[used_new])),
        sorted(set(opt[inp.provider_column].to_numpy()[used_new])),
        sorted(set(opt["chip"].to_numpy()[used_new])),
    )
    compute = opt["compute"].to_numpy(float)
    meets = all(
        float((n[:, j] * compute).sum()) >= inp.target[t] * (1 - TOLERANCE) - 1e-12
        for j, t in enumerate(inp.periods)
    )
    return PlacedPoint(
        tuple(inp.periods),
        n,
        q,
        added,
        fixed,
        compute,
        dict(inp.target),
        point.target,
        meets,
        inp.budget,
    )


def price_placed(
    placed: PlacedPoint,
    capital: np.ndarray,
    running: np.ndarray,
    score: np.ndarray,
    name: str = "",
    probability: float = 1.0,
) -> FutureOutcome:
    """Cost, index and feasibility of a placed plan under the cost coefficients (W, R) of
    ``models.objectives.cost_coefficients`` and the options' weighted ``score``."""
    n = placed.n
    cost = float((capital * placed.added).sum() + (running * n).sum() + placed.fixed)
    q = placed.counted.copy()
    for j, t in enumerate(placed.periods):
        d = float(placed.target[t])
        built = n[:, j] * placed.compute
        if (
            abs(d - placed.plan_target.get(t, d)) > TOLERANCE * max(1.0, d)
            or (q[:, j] > built + TOLERANCE).any()
        ):
            q[:, j] = _recount(n[:, j], placed.compute, score, d)
    total_target = sum(placed.target.values())
    index = float((score[:, None] * q).sum() / total_target) if total_target > 0 else 0.0
    within = placed.budget is None or cost <= placed.budget * (1 + TOLERANCE)
    return FutureOutcome(name, probability, cost, index, placed.meets_target, within)


def missing_outcome(name: str, probability: float, missing: list[str]) -> FutureOutcome:
    """The outcome in a future that lacks some of the plan's options (or its periods)."""
    return FutureOutcome(
        name,
        probability,
        None,
        None,
        meets_target=False,
        within_budget=False,
        missing=missing,
        note="the plan uses options this future does not offer",
    )


def evaluate_point(
    point: PlanPoint,
    inp: ModelInputs,
    name: str = "",
    probability: float = 1.0,
    rows: np.ndarray | list[str] | None = None,
) -> FutureOutcome:
    """Cost, index and feasibility of the fixed plan ``point`` under inputs ``inp``
    (``rows``: ``point_rows(point, inp)`` when already known)."""
    placed = place_point(point, inp, rows)
    if isinstance(placed, list):
        return missing_outcome(name, probability, placed)
    capital, running = cost_coefficients(inp)
    return price_placed(
        placed, capital, running, inp.options["score"].to_numpy(float), name, probability
    )


def kept_under_cut(
    sc: Any,
    tables: Tables,
    alloc: pd.DataFrame,
    jurisdictions: list[str],
    from_year: int,
    ctx: HomeContext | None = None,
) -> float:
    """Smallest share of a period's target the plan keeps when ``jurisdictions`` cut it off
    from ``from_year`` on (``planner.core.cuts``: territory and providers lost at once,
    installed chips keep running minus failures); periods before the cut keep everything."""
    from planner.core.cuts import cut_rule, jurisdiction_masks, kept_table, plan_rows

    if alloc.empty:
        return 1.0
    rows = plan_rows(sc, tables, alloc, ctx)
    lost = pd.Series(False, index=rows.index)
    chip = pd.Series(False, index=rows.index)
    for j in jurisdictions:
        lost_j, chip_j = jurisdiction_masks(rows, j)
        lost, chip = lost | lost_j, chip | chip_j
    target = {int(t): float(v) for t, v in sc.target.items()}
    table = kept_table(rows, lost, chip, cut_rule(sc), target, cut_year=float(from_year))
    return float(table["kept_share"].min()) if not table.empty else 1.0
