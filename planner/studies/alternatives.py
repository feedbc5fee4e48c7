"""alternatives(scenario, slack, n, metric) -> AlternativesResult: near-optimal, different plans.

Modelling to generate alternatives (MGA), as PyPSA's ``optimize_mga`` or Calliope's SPORES:
a ministry rarely takes the single optimum, because it hinges on uncertain prices and trust
scores. It wants plans that are almost as good and as unlike the optimum as possible.

Method, on ONE persistent HiGHS model (the Pareto study's pattern: rows and objective change
in place, each re-solve starts from a plan already known to be feasible):

1. Plan 0 is the optimum: the normal lexicographic solve (the objective, then cost with the
   objective held), exactly what ``planner.solve`` returns.
2. The objective becomes a bound row ("slack" is relative): for a maximised objective
   f ≥ f* − slack·|f*| (sovereignty: index ≥ (1 − slack)·best), for a minimised one
   f ≤ f* + slack·|f*| (cost: ≤ (1 + slack)·optimum).
3. Groups g are the countries, providers and chip designers (``metric`` picks which:
   ``countries``, ``providers``, ``chips`` = chip designers, ``mix`` = all three). The share
   of group g is its counted compute in the final period over the final target,
   share_g = Σ_{a∈g} q[a,T] / D_T (linear; what the sovereignty index counts).
4. Plan k (k ≥ 1) minimises the SPORES penalty Σ_g w_g·share_g with w_g = Σ_{i<k} share_g(i),
   the use earlier plans made of g: capacity moves away from whatever the earlier plans
   relied on, most from what they relied on most. It is linear, so each alternative is one
   MIP re-solve with only the objective's coefficients changed.
5. Novelty is guaranteed, not hoped for: a binary u_g per group says "g is used"
   (D_T·u_g ≥ Σ_{a∈g} q[a,T] ≥ need_g·u_g, need_g = one module of g's smallest option,
   as the model's own provider/chip "used" rows), and a no-good cut per earlier plan i,
   Σ_{g∈S_i}(1 − u_g) + Σ_{g∉S_i} u_g ≥ 1, makes plan k's set of used groups differ from
   every earlier plan's S_i. The SPORES weights alone can return a plan already found (ties
   are common); with the cut, "infeasible" proves that no further distinct plan exists
   within the slack, and the study stops early with a note.
6. Cost tie-break: with the penalty held at its optimum (row Σ w·share ≤ p* + tol), total
   cost is minimised, as the main solve does, so an alternative never spends money that buys
   neither sovereignty nor difference. Every alternative also costs at most
   ``max_cost_increase`` (default 25%) more than the optimum (row ``alt_cost``): near-optimal
   in cost as well as in the objective.
7. The last LP pass of the main solve (``planner.core.solve.resplit``): modules fixed, the
   counted compute re-split by LP, so an alternative's reported index is the best its
   hardware reaches (HiGHS stops at its gap with any feasible split).

Time: ``time_limit`` bounds the whole study; each plan takes an equal part of what is left
when it starts (``planner.core.deadline.share``), so a slow optimum cannot starve every
alternative and an unused part passes on. A plan that the time limit stops ends the study
with every plan found so far, the optimum included.

"Different" therefore means: a different set of countries / providers / chip designers used
in the final period (each contributing at least one module's worth of counted compute).
The table also reports ``distance``: the share of final-period compute that sits elsewhere
than in the optimum (half the L1 distance of the share vectors, averaged over the metric's
dimensions; 0 = same mix, 1 = nothing in common).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py
from pyomo.core.expr.numeric_expr import LinearExpression

from models.objectives import SENSES
from planner.core import deadline as clock
from planner.core.data import Tables
from planner.core.deadline import check_time_limit
from planner.core.errors import InputError
from planner.core.highs_backend import INF, SolveOutcome
from planner.core.prepare import Prepared, prepare
from planner.core.progress import ProgressCallback, track
from planner.core.results import Plan, group_column, make_plan
from planner.core.scenario import Scenario, load_scenario
from planner.core.screens import screen, status_message
from planner.core.solve import model_size, optimise, resplit
from planner.studies.pareto import OBJECTIVES

#: metric -> the dimensions (allocation columns) it compares
METRICS: dict[str, tuple[str, ...]] = {
    "countries": ("country",),
    "providers": ("provider",),
    "chips": ("designer",),
    "mix": ("country", "provider", "designer"),
}
#: allocation column -> the word the reports use
DIMENSION_LABELS = {"country": "countries", "provider": "providers", "designer": "chip designers"}
#: Relative (and absolute, on [0, 1] shares) tolerance of the penalty held in the tie-break.
PENALTY_TOLERANCE = 1e-6
#: Absolute tolerance added to the objective bound, so the optimum itself stays feasible.
BOUND_TOLERANCE = 1e-7
#: A share change smaller than this is left out of the "how it differs" text.
DIFF_THRESHOLD = 0.05
#: Alternatives may cost at most this share more than the optimum (``max_cost_increase``):
#: a plan within 5% of the best index that costs twice as much is not a choice a ministry
#: weighs (without it the UK's second alternative cost +99%).
DEFAULT_MAX_COST_INCREASE = 0.25


@dataclass
class AlternativesResult:
    """The optimum and its near-optimal alternatives.

    ``plans[0]`` is the optimum; ``plans[k]`` the k-th alternative (each a full Plan).
    ``table``: one row per plan: ``alternative`` (0 = optimum), ``sovereignty`` (index),
    ``cost_musd``, ``objective`` (value of the study's objective), ``distance`` (share of
    final-period compute placed differently from the optimum, 0-1), ``countries``,
    ``providers``, ``designers`` (final-period top 3 with shares), ``differs`` (how it
    differs from the optimum, in percentage points of final-period compute), ``status``,
    ``gap``, ``seconds``.
    """

    scenario_name: str
    objective: str
    metric: str
    slack: float
    best: float | None
    bound: float | None
    table: pd.DataFrame
    plans: list[Plan]
    stats: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.plans) and self.plans[0].ok

    def __len__(self) -> int:
        return len(self.plans)

    def mix(self, by: str = "country") -> pd.DataFrame:
        """Final-period share of counted compute by ``by`` (country|provider|designer|chip)
        for each plan: columns ``alternative``, ``by``, ``share``."""
        frames = [
            pd.DataFrame({"alternative": i, by: s.index, "share": s.to_numpy()})
            for i, plan in enumerate(self.plans)
            if not (s := final_shares(plan, by)).empty
        ]
        if not frames:
            return pd.DataFrame(columns=["alternative", by, "share"])
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the settings, the table and every plan in full."""
        table = self.table.astype(object).where(self.table.notna(), None)
        return {
            "scenario": self.scenario_name,
            "objective": self.objective,
            "metric": self.metric,
            "slack": self.slack,
            "best": self.best,
            "bound": self.bound,
            "table": table.to_dict(orient="records"),
            "plans": [p.to_dict() for p in self.plans],
            "stats": self.stats,
            "notes": self.notes,
        }


# --- shares and differences, from the allocation tables (what an analyst can recompute) ----
def final_shares(plan: Plan, by: str) -> pd.Series:
    """Share of the final period's counted compute by ``by``, largest first (empty if none)."""
    alloc = plan.allocation
    if alloc.empty:
        return pd.Series(dtype=float)
    final = alloc[alloc["period"] == alloc["period"].max()]
    g = final.groupby(group_column(final, by))["counted_eflops"].sum()
    total = g.sum()
    if total <= 0:
        return pd.Series(dtype=float)
    g = g[g > 1e-9 * total] / total
    return g.sort_values(ascending=False, kind="stable")


def used_sets(plan: Plan, metric: str) -> tuple[frozenset, ...]:
    """The groups a plan uses in the final period, one set per dimension of ``metric``."""
    return tuple(frozenset(final_shares(plan, by).index) for by in METRICS[metric])


def distance(a: Plan, b: Plan, metric: str) -> float:
    """Share of final-period compute placed differently (half L1), mean over the dimensions."""
    out = []
    for by in METRICS[metric]:
        sa, sb = final_shares(a, by), final_shares(b, by)
        both = sa.index.union(sb.index)
        diff = sa.reindex(both, fill_value=0.0) - sb.reindex(both, fill_value=0.0)
        out.append(0.5 * float(diff.abs().sum()))
    return float(np.mean(out)) if out else 0.0


def _top(shares: pd.Series, n: int = 3) -> str:
    parts = [f"{k} {v:.0%}" for k, v in shares.head(n).items()]
    if len(shares) > n:
        parts.append(f"+{len(shares) - n}")
    return ", ".join(parts)


def _join(words: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _flows(delta: pd.Series) -> list[tuple[str, str, float]]:
    """Share moved from each group that lost to each that gained (largest first, greedy):
    how capacity moved between the two plans, as (from, to, share) triples."""
    key = lambda k: (-round(abs(delta[k]), 9), k)  # noqa: E731 (largest first, then by name)
    losers = [[k, -float(delta[k])] for k in sorted(delta.index[delta < 0], key=key)]
    gainers = [[k, float(delta[k])] for k in sorted(delta.index[delta > 0], key=key)]
    out = []
    i = j = 0
    while i < len(losers) and j < len(gainers):
        amount = min(losers[i][1], gainers[j][1])
        out.append((losers[i][0], gainers[j][0], amount))
        losers[i][1] -= amount
        gainers[j][1] -= amount
        if losers[i][1] <= 1e-9:
            i += 1
        if gainers[j][1] <= 1e-9:
            j += 1
    return out


def _dimension_words(a: pd.Series, b: pd.Series, names: dict[str, str]) -> str:
    """One dimension's difference (``a`` the plan's shares, ``b`` the optimum's) in words.

    Whole swaps read "AWS and Azure instead of GCP" (the groups that leave are replaced by
    those that enter and nothing else moves); anything else reads as the moves between
    groups, "moves 40% from France to Sweden and 20% to Finland" (shares of the final
    period's compute, moves below ``DIFF_THRESHOLD`` left out)."""
    both = a.index.union(b.index)
    delta = a.reindex(both, fill_value=0.0) - b.reindex(both, fill_value=0.0)
    name = lambda k: names.get(k, k)  # noqa: E731
    entered = [k for k in a.index if k not in b.index]
    left = [k for k in b.index if k not in a.index]
    others = delta.drop(entered + left)
    if entered and left and (others.abs() < DIFF_THRESHOLD - 1e-9).all():
        return f"{_join([name(k) for k in entered])} instead of {_join([name(k) for k in left])}"
    flows = [f for f in _flows(delta) if f[2] >= DIFF_THRESHOLD - 1e-9]
    phrases: list[str] = []
    for src in dict.fromkeys(f[0] for f in flows):
        mine = [f for f in flows if f[0] == src]
        first = f"moves {mine[0][2]:.0%} from {name(src)} to {name(mine[0][1])}"
        rest = [f"{amount:.0%} to {name(dst)}" for _, dst, amount in mine[1:]]
        phrases.append(_join([first, *rest]))
    return ", ".join(phrases)


def describe_difference(
    plan: Plan,
    optimum: Plan,
    metric: str,
    names: dict[str, str] | None = None,
    compact: bool = False,
) -> str:
    """How ``plan`` differs from ``optimum`` in words a minister reads, one phrase per
    dimension of ``metric`` (countries, providers, chip designers), e.g. "moves 40% from
    France to Sweden; Amazon Web Services and Microsoft Azure instead of Google Cloud".
    Percentages are shares of the final period's compute. ``names``: code -> name
    (countries, providers); ``compact`` keeps the codes (narrow tables)."""
    names = {} if compact else (names or {})
    parts = [
        words
        for by in METRICS[metric]
        if (words := _dimension_words(final_shares(plan, by), final_shares(optimum, by), names))
    ]
    return "; ".join(parts) if parts else "same mix"


# --- the engine -------------------------------------------------------------------------------
class _Groups:
    """Share expressions and "used" binaries of every group of the metric, on the live model."""

    def __init__(self, prep: Prepared, metric: str) -> None:
        m, inp, h = prep.model, prep.inputs, prep.highs
        last = m.T.last()
        target = float(inp.target[last])
        if target <= 0:
            raise InputError("alternatives: the final period's target must be positive")
        f = inp.options["compute"].to_numpy(float)
        self.keys: list[tuple[str, str]] = []
        members: list[list[int]] = []
        for by in METRICS[metric]:
            for key, idx in inp.options.groupby(by, sort=True).groups.items():
                self.keys.append((by, str(key)))
                members.append(list(idx))
        m.alt_used = pyo.Var(range(len(self.keys)), domain=pyo.Binary)
        self.used = m.alt_used
        self.share = []
        for g, idx in enumerate(members):
            share = LinearExpression(
                constant=0.0,
                linear_coefs=[1.0 / target] * len(idx),
                linear_vars=[m.q[a, last] for a in idx],
            )
            self.share.append(share)
            need = min(float(f[idx].min()), target) / target
            h.set_row(f"alt_used_hi_{g}", share - self.used[g], upper=0.0)
            h.set_row(f"alt_used_lo_{g}", share - need * self.used[g], lower=0.0)
        self.h = h

    def free(self) -> None:
        """Lift the rows tying shares to the "used" binaries (for the last LP pass)."""
        for g in range(len(self.keys)):
            self.h.relax_row(f"alt_used_hi_{g}")
            self.h.relax_row(f"alt_used_lo_{g}")

    def link(self) -> None:
        """Put the rows tying shares to the "used" binaries back."""
        for g in range(len(self.keys)):
            self.h.set_row(f"alt_used_hi_{g}", None, upper=0.0)
            self.h.set_row(f"alt_used_lo_{g}", None, lower=0.0)

    def shares(self, x: np.ndarray) -> np.ndarray:
        return np.array([self.h.evaluate(s, x) for s in self.share])

    def exclude(self, name: str, shares: np.ndarray) -> None:
        """No-good cut: the used set must differ from the one of ``shares``."""
        used = shares > 1e-6
        expr = sum(((1 - self.used[g]) if used[g] else self.used[g]) for g in range(len(self.keys)))
        self.h.set_row(name, expr, lower=1.0)

    def penalty(self, weights: np.ndarray):
        nz = np.flatnonzero(weights > 0)
        return sum(float(weights[g]) * self.share[g] for g in nz) if len(nz) else 0.0


def check_options(
    slack: float, n: int, metric: str, objective: str, max_cost_increase: float | None = None
) -> str:
    """Refuse bad settings with a message naming the option; return the model objective."""
    if not (0 <= slack < 1):
        raise InputError(f"--slack {slack}: must be at least 0 and below 1 (0.05 = within 5%)")
    if n < 1:
        raise InputError(f"--n {n}: need at least 1 plan (the optimum)")
    if metric not in METRICS:
        raise InputError(f"--metric '{metric}': unknown; choose from {', '.join(METRICS)}")
    if objective not in OBJECTIVES:
        raise InputError(
            f"--objective '{objective}': unknown; choose from "
            + ", ".join(k for k in OBJECTIVES if k != "total_cost")
        )
    if max_cost_increase is not None and (
        isinstance(max_cost_increase, bool)
        or not isinstance(max_cost_increase, int | float)
        or not math.isfinite(max_cost_increase)
        or max_cost_increase < 0
    ):
        raise InputError(
            f"--max-cost-increase {max_cost_increase}: must be a finite share at least 0 "
            "(0.25 = at most 25% above the optimum's cost)"
        )
    return OBJECTIVES[objective]


def alternatives(
    scenario: Scenario | str | Path,
    slack: float = 0.05,
    n: int = 5,
    metric: str = "mix",
    objective: str = "sovereignty",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    tables: Tables | None = None,
    max_cost_increase: float | None = DEFAULT_MAX_COST_INCREASE,
    time_limit_per_solve: float | None = None,
    progress: ProgressCallback | None = None,
) -> AlternativesResult:
    """The optimum and up to ``n − 1`` near-optimal alternatives, each as unlike the earlier
    plans as possible (see the module doc for the method).

    slack: relative distance from the optimum allowed (0.05 = within 5% of the best index,
    or at most 5% above the least cost). n: plans wanted, the optimum included. metric:
    countries | providers | chips (chip designers) | mix. objective: as in ``pareto``
    (sovereignty, cost, ...). max_cost_increase: alternatives cost at most this share more
    than the optimum (0.25 = +25%; None = no bound), so they are near-optimal in cost too.
    time_limit: seconds for the whole study, shared out across its plans (each plan takes
    an equal part of what is left); time_limit_per_solve: a bound on each solve as well
    (default: the scenario's ``solver.time_limit``). mip_gap: per solve. progress:
    ``progress(done, total)`` as solves finish, against ``alternatives_solves``'s estimate.
    Fewer than ``n`` plans come back when no further distinct plan exists within the slack,
    or when the time runs out; every plan finished by then is kept (a note says why the
    study stopped).
    """
    name = check_options(slack, n, metric, objective, max_cost_increase)
    time_limit = check_time_limit(time_limit, "time_limit")
    per_solve = check_time_limit(time_limit_per_solve, "time_limit_per_solve")
    with clock.scope(time_limit), track(alternatives_solves(n), progress):
        return _alternatives(
            scenario, slack, n, metric, objective, name, per_solve, mip_gap, tables,
            max_cost_increase,
        )  # fmt: skip


def alternatives_solves(n: int) -> int:
    """Estimated solves of a study of ``n`` plans, for a progress bar: the optimum (the
    objective, then the cost tie-break) and two per alternative (distance, then cost)."""
    return 2 * max(int(n), 1)


def _alternatives(
    scenario: Scenario | str | Path,
    slack: float,
    n: int,
    metric: str,
    objective: str,
    name: str,
    per_solve: float | None,
    mip_gap: float | None,
    tables: Tables | None,
    max_cost_increase: float | None,
) -> AlternativesResult:
    """``alternatives`` inside its deadline scope."""
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    prep = prepare(sc, tables=tables)
    per_solve = float(per_solve if per_solve is not None else sc.solver.time_limit)
    gap = float(mip_gap if mip_gap is not None else sc.solver.mip_gap)
    tie_share = sc.solver.tie_break_time_share
    h, m = prep.highs, prep.model
    names = _names(prep)
    stats: dict[str, Any] = {"solver_calls": 0, "seconds_per_plan": []}
    notes: list[str] = []

    # 1. the optimum: the normal lexicographic solve, with its part of the time
    t1 = time.perf_counter()
    limit0 = clock.lesser(per_solve, clock.share(n))
    proofs = screen(prep)
    if proofs:
        outcome = SolveOutcome("infeasible", None, None, None, 0.0, None, "; ".join(proofs))
    else:
        outcome, stages = optimise(prep, name, time_limit=limit0, mip_gap=gap)
        stats["solver_calls"] += len(stages)
    optimum = _plan(prep, outcome, f"alternatives:{objective}", limit0)
    stats["seconds_per_plan"].append(time.perf_counter() - t1)
    if outcome.x is None:
        notes.append(_no_optimum(outcome))
        return _result(sc, objective, metric, slack, None, None, [optimum], names, stats, notes, t0)
    if outcome.status != "optimal":
        notes.append("the optimum was stopped by the time limit: the slack is measured from it")

    # 2. the objective becomes a bound row; the cost may rise at most max_cost_increase
    expr = getattr(m, name).expr
    best = h.evaluate(expr, outcome.x)
    width = slack * abs(best) + BOUND_TOLERANCE
    if SENSES[name] == pyo.maximize:
        bound = best - width
        h.set_row("alt_objective", expr, lower=bound, upper=INF)
    else:
        bound = best + width
        h.set_row("alt_objective", expr, lower=-INF, upper=bound)
    cost0 = h.evaluate(m.total_cost.expr, outcome.x)
    if max_cost_increase is not None and name != "total_cost":
        cap = cost0 + max_cost_increase * abs(cost0) + BOUND_TOLERANCE * max(1.0, abs(cost0))
        h.set_row("alt_cost", m.total_cost.expr, lower=-INF, upper=cap)

    # 3-6. alternatives: SPORES penalty, no-good cuts, cost tie-break, last LP pass
    groups = _Groups(prep, metric)
    plans = [optimum]
    found = [groups.shares(outcome.x)]
    start = outcome.x
    try:
        for k in range(1, n):
            t1 = time.perf_counter()
            # this plan's part of what is left: its penalty solve, then the tie-break
            plan_limit = clock.lesser(per_solve * (1 + tie_share), clock.share(n - k))
            if plan_limit is not None and plan_limit <= 0.05:
                notes.append(_stopped(k, "the time limit ran out before it started", len(plans)))
                break
            groups.exclude(f"alt_novel_{k - 1}", found[-1])
            weights = np.sum(found, axis=0)
            penalty = groups.penalty(weights)
            h.set_objective(penalty, pyo.minimize)
            t_first = time.perf_counter()
            first_limit = clock.lesser(
                per_solve, None if plan_limit is None else plan_limit / (1 + tie_share)
            )
            first = h.solve(time_limit=first_limit, mip_gap=gap, start=start)
            stats["solver_calls"] += 1
            left = clock.remaining()
            if (
                first.status == "time_limit_no_solution"
                and left is not None
                and first_limit is not None
                and left / (1 + tie_share) > 2 * first_limit
                and per_solve > first_limit
            ):
                # its part of the study's time found no plan, and much more is left: this
                # plan gets all of it (a plan found beats equal parts for plans not found)
                first_limit = clock.lesser(per_solve, left / (1 + tie_share))
                plan_limit = None if first_limit is None else first_limit * (1 + tie_share)
                first = h.solve(time_limit=first_limit, mip_gap=gap, start=start)
                stats["solver_calls"] += 1
            if first.x is None:
                if first.status == "infeasible":
                    notes.append(
                        f"only {k} distinct plan(s) within {slack:.0%} of the optimum"
                        + _cost_words(max_cost_increase, name)
                        + f" under metric '{metric}': no further set of {_dims(metric)} is "
                        "possible"
                    )
                elif first.status in ("time_limit_no_solution", "feasible"):
                    notes.append(
                        _stopped(k, "the time limit ran out before it found a plan", len(plans))
                    )
                else:
                    notes.append(_stopped(k, f"{first.status} ({first.message})", len(plans)))
                break
            x, plan_status = first.x, first.status
            p_star = h.evaluate(penalty, first.x)
            tol = PENALTY_TOLERANCE * max(1.0, abs(p_star))
            h.set_row(f"alt_penalty_{k}", penalty, lower=-INF, upper=p_star + tol)
            h.set_objective(m.total_cost.expr, pyo.minimize)
            used = time.perf_counter() - t_first
            second_limit = clock.lesser(
                per_solve * tie_share, None if plan_limit is None else plan_limit - used
            )
            second = h.solve(
                time_limit=max(second_limit, 0.05) if second_limit is not None else None,
                mip_gap=sc.solver.tie_break_gap,
                start=first.x,
            )
            stats["solver_calls"] += 1
            h.relax_row(f"alt_penalty_{k}")
            tie_gap = None
            if second.x is not None:
                x, tie_gap = second.x, second.gap
            # no bound: the solve bounded the penalty, not the study's objective
            merged = SolveOutcome(
                plan_status, h.evaluate(expr, x), None, first.gap, first.seconds + second.seconds, x,
                f"alternative {k}: {first.message}; cost tie-break: {second.message}",
                tie_break_gap=tie_gap,
            )  # fmt: skip
            # the study goes on from the plan HiGHS found (its used groups are the ones the
            # no-good cuts exclude); the plan reported is that hardware re-split by the last
            # LP pass, as for the main plan, free of the study's own "used" rows, so its
            # index is the best its modules reach
            found.append(groups.shares(x))
            start = x
            groups.free()
            try:
                merged = resplit(prep, merged, name, tie_break=True)
            finally:
                groups.link()
            plan = _plan(prep, merged, f"alternatives:{objective}", first_limit)
            plans.append(plan)
            stats["seconds_per_plan"].append(time.perf_counter() - t1)
    finally:
        h.relax_row("alt_objective")
        if "alt_cost" in h.extra_rows:
            h.relax_row("alt_cost")
    return _result(sc, objective, metric, slack, best, bound, plans, names, stats, notes, t0)


def _no_optimum(outcome: SolveOutcome) -> str:
    """Why there is no optimum to stay near, by the solve's status (a time-out is not an
    infeasible scenario)."""
    if outcome.status in ("infeasible", "infeasible_or_unbounded"):
        return "no feasible plan: the scenario has no optimum to stay near"
    if outcome.status == "time_limit_no_solution":
        return (
            "no plan: the time limit ran out before the optimum was found (a time-out, not "
            "a proof that no plan exists); give a larger --time-limit"
        )
    return f"no plan: the solver reports {outcome.status} ({outcome.message})"


def _stopped(k: int, why: str, kept: int) -> str:
    return f"alternative {k}: {why}; stopped, the {kept} plan(s) found are kept"


def _cost_words(max_cost_increase: float | None, name: str) -> str:
    if max_cost_increase is None or name == "total_cost":
        return ""
    return f" costing at most {max_cost_increase:.0%} more"


def _dims(metric: str) -> str:
    return " / ".join(DIMENSION_LABELS[by] for by in METRICS[metric])


def _plan(prep: Prepared, outcome: SolveOutcome, label: str, limit: float | None) -> Plan:
    plan = make_plan(prep, outcome, label)
    plan.message = status_message(plan, limit if limit is not None else float("nan"))
    plan.timings = {"solve_s": outcome.seconds}
    plan.model_size = model_size(prep)
    return plan


def _names(prep: Prepared) -> dict[str, str]:
    """Code -> name of the countries and providers (what the difference words use)."""
    out: dict[str, str] = {}
    for table, key in ((prep.tables.countries, "iso3"), (prep.tables.providers, "code")):
        if key in table.columns and "name" in table.columns:
            out.update(zip(table[key].astype(str), table["name"].astype(str), strict=True))
    return out


def _result(
    sc: Scenario,
    objective: str,
    metric: str,
    slack: float,
    best: float | None,
    bound: float | None,
    plans: list[Plan],
    names: dict[str, str],
    stats: dict[str, Any],
    notes: list[str],
    t0: float,
) -> AlternativesResult:
    rows = []
    optimum = plans[0]
    for i, plan in enumerate(plans):
        ok = plan.ok
        rows.append(
            {
                "alternative": i,
                "sovereignty": plan.sovereignty.get("index") if ok else None,
                "cost_musd": plan.cost if ok else None,
                "objective": plan.objective,
                "distance": distance(plan, optimum, metric) if ok else None,
                "countries": _top(final_shares(plan, "country")) if ok else "",
                "providers": _top(final_shares(plan, "provider")) if ok else "",
                "designers": _top(final_shares(plan, "designer")) if ok else "",
                "differs": (
                    ("optimum" if i == 0 else describe_difference(plan, optimum, metric, names))
                    if ok
                    else ""
                ),
                "status": plan.status,
                "gap": plan.gap,
                "seconds": stats["seconds_per_plan"][i]
                if i < len(stats["seconds_per_plan"])
                else None,
            }
        )
    stats["plans"] = len(plans)
    stats["seconds"] = time.perf_counter() - t0
    return AlternativesResult(
        sc.name, objective, metric, slack, best, bound, pd.DataFrame(rows), plans, stats, notes
    )
