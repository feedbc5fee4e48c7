"""The robust study's extensive form on the planner side: futures -> one model, solved.

Each future's scenario becomes its inputs (``planner.core.inputs.build_inputs``, as ``solve``
builds them); a future's supply cut becomes bounds and rows on its block by the rule stress's
crisis plan uses (``planner.core.cuts``: lost at once, installed chips keep running minus
failures, nothing new of a cut chip); ``models.stochastic`` puts the blocks in one model and
``HighsModel`` holds it. Solving is lexicographic like ``solve``: the robust objective, then
(max-min only) the expected index with the worst held, then the expected cost with both
held, then an LP pass with the modules fixed so each future's counted compute is the best
its modules allow.

The same object evaluates a first stage fixed from elsewhere (the deterministic plan's, or
one future's own optimum): the here-and-now columns get that plan's module counts as bounds
and each future re-plans its recourse (value of the stochastic solution, regret).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from models.inputs import ModelInputs
from models.stochastic import FutureCut, OptionKey, build_extensive
from planner.core import deadline as clock
from planner.core.data import Tables
from planner.core.errors import InputError
from planner.core.face import max_index_face
from planner.core.futures import ScenarioFuture
from planner.core.highs_backend import (
    TIE_BREAK_OPTIONS,
    HighsModel,
    LpRelaxation,
    SolveOutcome,
)
from planner.core.inputs import build_inputs
from planner.core.prepare import Prepared
from planner.core.results import Plan, make_plan
from planner.core.scenario import Scenario
from planner.core.solve import LEXICOGRAPHIC_TOLERANCE
from planner.core.support import judged_by_lp_bound

#: a first stage: (option identity, period) -> modules in service
FirstStage = dict[tuple[OptionKey, int], int]


@dataclass
class Extensive:
    """Every future's inputs, their blocks in one model, and the live HiGHS holding it."""

    scenario: Scenario
    futures: list[ScenarioFuture]
    tables: Tables
    inputs: list[ModelInputs]
    contexts: list[Any]
    model: pyo.ConcreteModel
    highs: HighsModel
    here_and_now: list[int]
    #: names of the futures whose target may be under-delivered after their cut (``build``)
    relaxed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def probabilities(self) -> list[float]:
        return [f.probability for f in self.futures]

    def size(self) -> dict[str, int]:
        h = self.highs
        return {
            "futures": len(self.futures),
            "rows": int(h.base_rows),
            "columns": len(h.columns),
            "integer_columns": int(h.integer.sum()),
            "nonzeros": int(h.nnz),
        }


def check_cut(fut: ScenarioFuture, ctx: Any) -> None:
    """Raise InputError (file, future, field) when the future cuts a jurisdiction that is
    not a foreign one of the home (``ctx``, the future's home context)."""
    if fut.cut is None:
        return
    foreign = set(getattr(ctx, "foreign", []) or [])
    for j in fut.cut.jurisdictions:
        if j not in foreign:
            raise InputError(
                f"{fut.scenario._source or '<scenario>'}: future '{fut.name}': field "
                f"'cut.jurisdictions': '{j}' is not a foreign jurisdiction of this home "
                f"(choose from {', '.join(sorted(foreign))})"
            )


def future_cut(
    fut: ScenarioFuture, inp: ModelInputs, ctx: Any, tables: Tables, soft: bool
) -> FutureCut | None:
    """The bounds and rows a future's supply cut puts on its block (None: no cut).

    The rule is ``planner.core.cuts`` read as stress's crisis plan reads it
    (``planner.studies.stress.option_rows``/``masks``): from the cut year Y, in every period
    that runs after Y, options on the cut jurisdictions' territory or run by their providers
    hold nothing; options whose chip depends on them keep the modules installed before Y (in
    service in the period itself if it began before Y, else in the last period that began
    before Y; an existing system if it entered service before Y) and count κ(L) of their
    compute. ``soft``: the target of those periods may be under-delivered (what is not
    delivered scores nothing in the index).

    Why soft by default (``build``): stress's crisis plan relaxes the limits only when the cut
    leaves them unmeetable, after the fact; here the same future must also take first stages
    fixed from elsewhere (the deterministic plan's, another future's), and a cut that leaves
    the target unmeetable for one of them would make VSS and regret "not a number" instead
    of the index that first stage really keeps. The study says which futures under-deliver.
    """
    from planner.core.cuts import cut_rule, jurisdiction_masks
    from planner.studies.stress import option_rows

    cut = fut.cut
    if cut is None:
        return None
    sc = fut.scenario
    check_cut(fut, ctx)
    year = float(cut.from_year)
    rule = cut_rule(sc)
    opt = inp.options
    every = option_rows(sc, tables, ctx, opt)
    lost = pd.Series(False, index=every.index)
    chip = pd.Series(False, index=every.index)
    for j in cut.jurisdictions:
        lo, ch = jurisdiction_masks(every, j)
        lost |= lo
        chip |= ch
    chip &= ~lost
    out = FutureCut()
    periods = list(rule.periods)
    before = rule.before(year)
    existing = every["existing"].astype(bool).to_numpy()
    since = every["since"].astype(float).to_numpy()
    spares = every["spares"].astype(float).to_numpy()
    for t in periods:
        if not rule.affected(t, year):
            continue
        years = rule.unsupported_years(t, year)
        for a in opt.index:
            if lost[a]:
                out.zero.append((a, t))
            elif chip[a]:
                kappa = float(rule.survival(years, spares[a]))
                if existing[a]:
                    if since[a] < year:
                        out.kappa[a, t] = kappa
                    else:
                        out.zero.append((a, t))
                elif t < year:
                    out.kappa[a, t] = kappa  # the period began before the cut: its fleet stands
                elif before is None:
                    out.zero.append((a, t))
                else:
                    out.hold.append((a, t, before))
                    out.kappa[a, t] = kappa
        if soft:
            out.soft_target.append(t)
    for i in range(len(periods) - 1):
        if rule.affected(periods[i + 1], year):
            out.shrink.extend((int(a), i) for a in opt.index[lost.to_numpy()])
    return out


def build(
    sc: Scenario,
    futures: list[ScenarioFuture],
    tables: Tables,
    here_and_now: list[int],
    *,
    soft: bool = True,
    inputs: list[tuple[ModelInputs, Any]] | None = None,
) -> Extensive:
    """The extensive form of ``futures`` (each future's inputs built as ``solve`` builds
    them, or passed in ``inputs`` to reuse them), held by HiGHS. ``soft``: a future's target
    from its cut may be under-delivered (``future_cut``). Both keyword-only: the study's
    inputs once went into ``soft`` and every future's inputs were built again."""
    unc = sc.uncertainty
    t0 = time.perf_counter()
    built = inputs if inputs is not None else [build_inputs(f.scenario, tables) for f in futures]
    t1 = time.perf_counter()
    cuts = [
        future_cut(f, inp, ctx, tables, soft) for f, (inp, ctx) in zip(futures, built, strict=True)
    ]
    model = build_extensive(
        [inp for inp, _ in built],
        [f.probability for f in futures],
        here_and_now,
        objective=unc.objective if unc else "expected",
        alpha=unc.risk.alpha if unc else 0.1,
        weight=unc.risk.weight if unc else 0.0,
        budget=unc.budget if unc else "per_future",
        cuts=cuts,
    )
    t2 = time.perf_counter()
    highs = HighsModel(model, threads=sc.solver.threads, random_seed=sc.solver.random_seed)
    for name in ("robust_objective", "expected_index", "expected_cost"):
        highs.linear(getattr(model, name).expr)  # fix the column set before any solve
    for s in model.F:
        for name in ("sovereignty", "sovereignty_index", "total_cost", "territorial"):
            highs.linear(getattr(model.future[s], name).expr)
    t3 = time.perf_counter()
    relaxed = [f.name for f, c in zip(futures, cuts, strict=True) if c is not None and soft]
    timings = {"inputs_s": t1 - t0, "build_s": t2 - t1, "handoff_s": t3 - t2}
    return Extensive(
        sc,
        futures,
        tables,
        [inp for inp, _ in built],
        [ctx for _, ctx in built],
        model,
        highs,
        here_and_now,
        relaxed,
        timings,
    )


def _now_columns(ext: Extensive) -> list[tuple[tuple[OptionKey, int], int]]:
    m, h = ext.model, ext.highs
    return [((m.option_keys[i], t), h.col_of[id(m.now[i, t])]) for i, t in m.NOW]


def first_stage(ext: Extensive, x: np.ndarray) -> FirstStage:
    """The here-and-now modules of a solution, by option identity (zeros left out)."""
    out: FirstStage = {}
    for key, col in _now_columns(ext):
        v = int(round(float(x[col])))
        if v:
            out[key] = v
    return out


def _fix(ext: Extensive, fixed: FirstStage) -> tuple[list, str | None]:
    """Bound the here-and-now columns to ``fixed``; returns what to restore, and why the
    first stage cannot be taken (an option no future offers) or None."""
    h = ext.highs.h
    lp = h.getLp()
    lower = np.asarray(lp.col_lower_, dtype=float)
    upper = np.asarray(lp.col_upper_, dtype=float)
    cols = _now_columns(ext)
    offered = set(ext.model.option_keys)
    # a key offered but not among the here-and-now columns is data in every future (an
    # existing or committed system with nothing to decide): its count is not a commitment
    missing = [(key, t) for (key, t), v in fixed.items() if v and key not in offered]
    saved = []
    for key, col in cols:
        v = float(fixed.get(key, 0))
        saved.append((col, lower[col], upper[col]))
        h.changeColBounds(col, v, v)
    if missing:
        (k, p, c, _, e), t = missing[0]
        what = e or f"{c} at {p} in {k}"
        where = "this future does not offer" if len(ext.futures) == 1 else "no future offers"
        return saved, f"it commits to {what} in {t}, which {where}"
    return saved, None


def _restore(ext: Extensive, saved: list) -> None:
    for col, lo, up in saved:
        ext.highs.h.changeColBounds(col, lo, up)


def optimise(
    ext: Extensive,
    time_limit: float | None = None,
    fixed: FirstStage | None = None,
    start: np.ndarray | None = None,
    tie_break: bool = True,
) -> SolveOutcome:
    """Solve the extensive form (robust objective, then tie-breaks), optionally with the
    here-and-now modules fixed, from a known feasible point ``start`` if given (the MIP keeps
    the better of it and what the LP support finds); never raises for infeasibility or
    limits. ``tie_break``: False skips the cost tie-break (the scenario's
    ``solver.tie_break`` otherwise decides)."""
    sc = ext.scenario
    m, h = ext.model, ext.highs
    limit = clock.cap(time_limit if time_limit is not None else sc.solver.time_limit)
    deadline = time.perf_counter() + limit
    saved: list = []
    try:
        if fixed is not None:
            saved, why = _fix(ext, fixed)
            if why is not None:
                return SolveOutcome("infeasible", None, None, None, 0.0, None, why)
        h.set_objective(m.robust_objective.expr, pyo.maximize)
        given = start
        first, start, options, known, lp1 = lp_support(
            ext, pyo.maximize, limit, sc.solver.mip_gap, given=given
        )
        if first is None:
            obj = m.robust_objective.expr
            # a plan passed in beats the rounded LP (which may break a limit), and beats the
            # support's plan when it is better
            if given is not None and (
                not known or start is None or h.evaluate(obj, h.pad(given)) > h.evaluate(obj, start)
            ):
                start = h.pad(given)
            left = max(deadline - time.perf_counter(), 0.05)
            first = h.solve(
                time_limit=left, mip_gap=sc.solver.mip_gap, start=start, options=options
            )
        if first.x is None or first.objective is None:
            return first
        x = first.x
        stages = [(m.robust_objective.expr, pyo.maximize)]
        held = []
        if sc.uncertainty is not None and sc.uncertainty.objective == "worst":
            stages.append((m.expected_index.expr, pyo.maximize))
        if tie_break and sc.solver.tie_break == "lexicographic":
            stages.append((m.expected_cost.expr, pyo.minimize))
        # the later stages hold the robust objective within LEXICOGRAPHIC_TOLERANCE of its
        # best (row robust_hold_1, held to the end): stage 1's LP duals say where every such
        # plan lies (planner.core.face, as solve's cost tie-break reads them), so those
        # columns are held there and HiGHS's presolve drops what cannot count
        face = None
        if lp1 is not None and len(stages) > 1:
            best1 = h.evaluate(m.robust_objective.expr, x)
            face = max_index_face(lp1.duals, best1, LEXICOGRAPHIC_TOLERANCE, h.integer)
        for k, (expr, sense) in enumerate(stages[1:], start=1):
            prev, prev_sense = stages[k - 1]
            best = h.evaluate(prev, x)
            name = f"robust_hold_{k}"
            if prev_sense == pyo.maximize:
                h.set_row(name, prev, lower=best - LEXICOGRAPHIC_TOLERANCE)
            else:
                h.set_row(name, prev, upper=best + 1e-6 * max(1.0, abs(best)))
            held.append(name)
            h.set_objective(expr, sense)
            cost_stage = sense == pyo.minimize
            left = deadline - time.perf_counter()
            if cost_stage:  # as in solve: the cost tie-break gets its share of the limit
                left = min(left, limit * sc.solver.tie_break_time_share)
            stage_end = time.perf_counter() + left
            if left <= 0.05:
                break
            stage_gap = sc.solver.tie_break_gap if cost_stage else sc.solver.mip_gap
            with h.held(face):
                nxt = _later_stage(ext, expr, sense, x, left, stage_end, stage_gap, cost_stage)
            if nxt.x is None:
                break
            x = nxt.x
        for name in held:
            h.relax_row(name)
        polished = h.fixed_integer_lp(h.pad(x), stages)
        if polished is not None:
            x = polished
        return SolveOutcome(
            status=first.status,
            objective=h.evaluate(m.robust_objective.expr, x),
            bound=first.bound,
            gap=first.gap,
            seconds=time.perf_counter() - (deadline - limit),
            x=x,
            message=first.message,
        )
    finally:
        _restore(ext, saved)


def _later_stage(
    ext: Extensive,
    expr: Any,
    sense: int,
    x: np.ndarray,
    left: float,
    stage_end: float,
    gap: float,
    cost_stage: bool,
) -> SolveOutcome:
    """One tie-break stage (the previous stages held by rows): proven on its LP support, or
    the full MIP from the better of the support's plan and the previous stage's ``x``."""
    h = ext.highs
    nxt, start, options, known, _ = lp_support(ext, sense, left, gap)
    if nxt is not None:
        return nxt
    better = (
        known
        and start is not None
        and (
            (h.evaluate(expr, start) < h.evaluate(expr, h.pad(x)))
            if cost_stage
            else (h.evaluate(expr, start) > h.evaluate(expr, h.pad(x)))
        )
    )
    return h.solve(
        time_limit=max(stage_end - time.perf_counter(), 0.05),
        mip_gap=gap,
        start=start if better else h.pad(x),
        options={**TIE_BREAK_OPTIONS, **options},
    )


def lp_support(
    ext: Extensive, sense: int, limit: float, gap: float, given: np.ndarray | None = None
) -> tuple[SolveOutcome | None, np.ndarray | None, dict[str, object], bool, LpRelaxation | None]:
    """The stage proven optimal on its LP relaxation's support (``solve.support_stage``, the
    same restriction ``solve`` tries first); else None with a start for the full MIP (the
    support's plan, or the LP rounded up as ``solve`` starts) and the HiGHS options ``solve``
    uses when the LP spends to a budget (``CAP_BOUND_OPTIONS``), and whether that start is
    a known plan (the support's) or only the rounded LP (which may break a limit), and the
    LP relaxation itself (None if not solved: its duals give the later stages' face).

    Why: the extensive form is many copies of a model on which HiGHS's own search spends
    most of its time finding a first good plan; the LP support finds it in a fraction.

    ``given``: a known plan (the robust study's best candidate). The restriction is then the
    union of its support and the LP's, started from it: never worse than the plan, and it
    holds the LP support's plans too (on the UK example the LP support alone was infeasible
    in one run and found a better first stage than every candidate in another)."""
    from types import SimpleNamespace

    from planner.core.highs_backend import CAP_BOUND_OPTIONS
    from planner.core.support import support_stage

    if not ext.scenario.solver.lp_start or limit <= 0.1:
        return None, None, {}, False, None
    h, m = ext.highs, ext.model
    t0 = time.perf_counter()
    lp = h.lp_relaxation(time_limit=limit / 2)
    if lp is None:
        return None, None, {}, False, None
    options: dict[str, object] = {}
    for s, inp in enumerate(ext.inputs):
        b = inp.budget
        if b is not None and h.evaluate(m.future[s].total_cost.expr, lp[0]) >= b - 1e-6 * max(
            1.0, abs(b)
        ):
            options = dict(CAP_BOUND_OPTIONS)
            break
    sub = min(limit / 4, max(1.0, 2.0 * (time.perf_counter() - t0)))
    if given is not None:
        given = h.pad(given)
        union = (np.asarray(lp[0]) + np.abs(given), lp[1])
        out = _union_support(h, union, given, sense, limit / 4, gap)
    else:
        out = support_stage(SimpleNamespace(highs=h), lp, sense, sub, gap)  # type: ignore[arg-type]
    if out is not None and out.status == "optimal":
        return out, None, {}, True, lp
    if out is not None and out.x is not None:
        return None, out.x, options, True, lp
    return None, h.rounded_lp_start(lp=lp), options, False, lp


def _union_support(
    h: HighsModel, lp: tuple, given: np.ndarray, sense: int, limit: float, gap: float
) -> SolveOutcome | None:
    """The MIP restricted to ``lp``'s support (the LP's and the given plan's union), from
    ``given``; proven optimal for the full model when it reaches the LP bound (as
    ``solve.support_stage`` decides)."""
    x_union, bound = lp
    out = h.support_mip(x_union, time_limit=limit, mip_gap=gap, start=given)
    return judged_by_lp_bound(
        out, bound, sense, gap, "on the support of the LP and the best candidate"
    )


def indices(ext: Extensive, x: np.ndarray) -> list[float]:
    """Each future's maximised index (``sovereignty``) at ``x``."""
    return [ext.highs.evaluate(ext.model.future[s].sovereignty.expr, x) for s in ext.model.F]


def costs(ext: Extensive, x: np.ndarray) -> list[float]:
    """Each future's total cost (MUSD) at ``x``."""
    return [ext.highs.evaluate(ext.model.future[s].total_cost.expr, x) for s in ext.model.F]


def plans(ext: Extensive, outcome: SolveOutcome) -> list[Plan]:
    """One Plan per future, read from the joint solution as ``solve`` reads its own."""
    out = []
    for s, fut in enumerate(ext.futures):
        prep = Prepared(
            fut.scenario,
            ext.tables,
            ext.inputs[s],
            ext.contexts[s],
            ext.model.future[s],
            ext.highs,
            {},
        )
        x = outcome.x
        per = SolveOutcome(
            outcome.status,
            ext.highs.evaluate(ext.model.future[s].sovereignty.expr, x) if x is not None else None,
            None,
            outcome.gap,
            outcome.seconds,
            x,
            outcome.message,
        )
        plan = make_plan(prep, per, "sovereignty")
        short = shortfall(plan, ext.inputs[s].target)
        if fut.name in ext.relaxed and short:
            plan.notes.append(
                f"after the cut of {', '.join(fut.cut.jurisdictions)} from "  # type: ignore[union-attr]
                f"{fut.cut.from_year} this future delivers less than its target ({short}): "
                "what is not delivered scores nothing in the index"
            )
        out.append(plan)
    return out


def shortfall(plan: Plan, target: dict[int, float]) -> str:
    """The periods a plan delivers less than its target in, as "2030: 80%" (empty if none)."""
    if not plan.ok:
        return ""
    got = plan.allocation.groupby("period")["counted_eflops"].sum()
    out = []
    for t, d in target.items():
        share = float(got.get(t, 0.0)) / d if d > 0 else 1.0
        if share < 1 - 1e-6:
            out.append(f"{t}: {share:.0%}")
    return ", ".join(out)


def block_columns(ext: Extensive, s: int) -> dict[str, int]:
    """Future s's columns by their name inside its block (the same in any model built from
    the same inputs: a one-future model's ``future[0]`` and the extensive form's
    ``future[s]``)."""
    prefix = f"future[{s}]."
    out = {}
    for col, v in enumerate(ext.highs.columns):
        name = v.getname(fully_qualified=True)
        if name.startswith(prefix):
            out[name[len(prefix) :]] = col
    return out


def assemble(ext: Extensive, parts: list[dict[str, float]], fixed: FirstStage) -> np.ndarray | None:
    """A point of the extensive form put together from one plan per future, each solved
    alone (``parts[s]``: its solution by column name inside its one-future model's block,
    ``block_columns``; all with the here-and-now modules ``fixed``), completed by an LP with its modules fixed (the CVaR and max-min
    columns, the tie-break) so it is a plan of the extensive form; None if it is not one.

    Why: a first stage evaluated in every future is a feasible plan of the whole problem;
    it is the extensive form's start and, if nothing better is proven, the answer."""
    h, m = ext.highs, ext.model
    x = np.zeros(len(h.columns))
    lower = np.asarray(h.h.getLp().col_lower_, dtype=float)
    x[:] = np.where(np.isfinite(lower), lower, 0.0)
    for col, v in enumerate(h.columns):
        name = v.getname(fully_qualified=True)
        if not name.startswith("future["):
            continue
        s_text, _, inner = name[len("future[") :].partition("].")
        value = parts[int(s_text)].get(inner) if s_text.isdigit() else None
        if value is not None:
            x[col] = value
    for key, col in _now_columns(ext):
        x[col] = float(fixed.get(key, 0))
    stages = [(m.robust_objective.expr, pyo.maximize)]
    unc = ext.scenario.uncertainty
    if unc is not None and unc.objective == "worst":
        stages.append((m.expected_index.expr, pyo.maximize))
    if ext.scenario.solver.tie_break == "lexicographic":
        stages.append((m.expected_cost.expr, pyo.minimize))
    return h.fixed_integer_lp(x, stages)
