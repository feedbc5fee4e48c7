"""solve(scenario) -> Plan: build the model, hand it to HiGHS, read the plan back.

Infeasibility that needs no solve (``planner.core.screens``) skips the solve. The sovereignty
index is maximised first; then, unless ``solver.tie_break`` is ``none``,
total cost is minimised with the index held at its optimum (a lexicographic solve), so a
plan never spends money that buys no sovereignty. Both stages run on one persistent HiGHS
model: the second only swaps the objective and adds one row. Both also get the
capacity_outside rows (``models.covers``) of the share caps the LP relaxation (stage 1) or
stage 1's plan (stage 2) spends up to: rows every plan meets, on which HiGHS's rounding cuts
close most of the cost tie-break's gap (issue 27); they are relaxed when the solve ends.

Explaining an infeasible plan is a study built on this (``planner.studies.diagnose``); the
public ``planner.solve`` runs it after solving, nothing here calls it.
"""

from __future__ import annotations

import time

import numpy as np
import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from models.objectives import SENSES
from planner.core import deadline as clock
from planner.core.cover_rows import add_covers, binding_covers, relax_covers
from planner.core.data import Tables
from planner.core.errors import InputError
from planner.core.face import max_index_face
from planner.core.highs_backend import (
    CAP_BOUND_OPTIONS,
    INF,
    TIE_BREAK_OPTIONS,
    SolveOutcome,
)
from planner.core.prepare import Prepared, prepare
from planner.core.results import Plan, make_plan
from planner.core.scenario import Scenario
from planner.core.screens import screen, status_message
from planner.core.support import support_stage
from planner.core.warm import WarmStart, mapped, meets_rows, record, tightened

#: the rows ``without_caps`` lifts, and the share of the time limit it may use
#: the caps a scenario may set: the model's row (also the input's field), the expression
#: it caps, and how a message names it
CAPS = {
    "budget": ("total_cost", "the budget"),
    "energy_cost_cap": ("energy_cost", "the energy-cost cap"),
    "emissions_cap": ("emissions", "the emissions cap"),
}
CAPS_FREE_SHARE = 0.25

#: Sovereignty may fall this much (absolute, index in [0,1]) in the cost tie-break stage.
LEXICOGRAPHIC_TOLERANCE = 1e-6


def optimise(
    prep: Prepared,
    objective: str = "sovereignty",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    tie_break: bool | None = None,
    warm: WarmStart | None = None,
) -> tuple[SolveOutcome, list[SolveOutcome]]:
    """Solve the prepared model for ``objective``, then (optionally) break ties on cost.

    Returns the outcome whose solution is the plan, and every stage's outcome. ``warm``: what
    a previous solve of the same scenario before an edit left (``planner.core.warm``): its
    plan is reused when the edit only tightened the model and the plan still meets it, else
    it is a MIP start for the stages it meets. The capacity_outside rows the stages add are
    relaxed however the solve ends (the diagnosis moves share rows' bounds on this model
    afterwards; a row derived from a share cap must not outlive the cap).
    """
    try:
        return _optimise(prep, objective, time_limit, mip_gap, tie_break, warm)
    finally:
        relax_covers(prep)


def _optimise(
    prep: Prepared,
    objective: str,
    time_limit: float | None,
    mip_gap: float | None,
    tie_break: bool | None,
    warm: WarmStart | None,
    caps_relaxed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[SolveOutcome, list[SolveOutcome]]:
    sc = prep.scenario
    if objective not in SENSES:
        raise InputError(f"objective: unknown '{objective}'; choose from {sorted(SENSES)}")
    limit = clock.cap(time_limit if time_limit is not None else sc.solver.time_limit)
    gap = mip_gap if mip_gap is not None else sc.solver.mip_gap
    if tie_break is None:
        tie_break = sc.solver.tie_break == "lexicographic"
    m, h = prep.model, prep.highs
    deadline = time.perf_counter() + limit

    h.relax_row("lexicographic")
    h.set_objective(getattr(m, objective).expr, SENSES[objective])
    settings = warm_settings(prep, objective, gap, tie_break)
    reused, previous = _from_warm(prep, warm, settings)
    if reused is not None:
        # no resplit: the plan is the previous resplit's optimum over a superset of the
        # new fixed-module LP's points, so it is that LP's optimum too
        return reused, [reused]
    start = None
    first = None
    lp1 = None  # stage 1's LP relaxation: its duals describe the max-index face
    options: dict[str, object] = {}
    t_lp = time.perf_counter()
    if sc.solver.lp_start and limit > 0.05:
        # the LP start may use at most half the time: the MIP needs the rest
        lp = lp1 = h.lp_relaxation(time_limit=limit / 2)
        if lp is not None:
            # a knapsack against a cap: searched with CAP_BOUND_OPTIONS, in both stages, if
            # the LP support does not settle stage 1 (when it does, as on Kenya and France,
            # the default search was faster for the tie-break: 2.0-2.8 s against 2.8-4.1 s)
            if spends_to_a_cap(prep, lp[0]):
                if caps_relaxed is None and objective == "sovereignty":
                    done = without_caps(prep, limit * CAPS_FREE_SHARE, gap, tie_break, lp[1])
                    if done is not None:
                        return done
                    h.relax_row("lexicographic")
                    h.set_objective(getattr(m, objective).expr, SENSES[objective])
                options = dict(CAP_BOUND_OPTIONS)
            # the share caps the LP spends up to: their capacity_outside rows (models.covers)
            # for the MIP; kept through the tie-break, relaxed at the end (``optimise``)
            add_covers(prep, binding_covers(prep, lp[0]))
            start = h.rounded_lp_start(lp=lp)
            if previous is not None and (start is None or not meets_rows(h, start)):
                start = previous  # the previous plan meets the edited rows; rounding does not
            # the restricted MIP gets a short leash: two LP times, at least a second (it proves
            # in well under a second on every bundled scenario; on a large model that it
            # cannot prove it must not eat the full MIP's time)
            lp_s = time.perf_counter() - t_lp
            sub_limit = min(limit / 4, max(1.0, 2.0 * lp_s))
            first = support_stage(prep, lp, SENSES[objective], sub_limit, gap)
            if first is not None and first.status != "optimal":
                start, first = first.x, None  # not proven: a feasible plan, the full MIP's start
    lp_seconds = time.perf_counter() - t_lp
    if first is None and start is None:
        start = previous
    if first is None:
        first = h.solve(
            time_limit=max(limit - lp_seconds, 0.05), mip_gap=gap, start=start, options=options
        )
    else:
        options = {}
    first.seconds += lp_seconds
    stages = [first]
    if not tie_break or first.x is None or objective == "total_cost":
        return resplit(prep, first, objective, tie_break), stages
    share = sc.solver.tie_break_time_share
    if caps_relaxed is not None:
        # ``without_caps``: stage 1 ran without the caps; the tie-break has them back, so
        # its plan (if any) meets them. The attempt's whole time is the tie-break's, since
        # only a proven cheapest plan settles it
        h.h.changeRowsBounds(len(caps_relaxed[0]), *caps_relaxed)
        share = 1.0
    remaining = min(deadline - time.perf_counter(), limit * share)
    if remaining <= 0.05:
        return resplit(prep, first, objective, tie_break), stages
    best = first.objective
    sense = SENSES[objective]
    if sense == pyo.maximize:
        h.set_row("lexicographic", getattr(m, objective).expr, lower=best - LEXICOGRAPHIC_TOLERANCE)
    else:
        h.set_row("lexicographic", getattr(m, objective).expr, upper=best + LEXICOGRAPHIC_TOLERANCE)
    h.set_objective(m.total_cost.expr, pyo.minimize)
    t2 = time.perf_counter()
    add_covers(prep, binding_covers(prep, first.x))
    # the face after the covers: binding_covers reads the share rows' bounds as built
    face = None
    if lp1 is not None:
        face = max_index_face(lp1.duals, best, LEXICOGRAPHIC_TOLERANCE, h.integer)
    with h.held(face):
        second = _tie_break(prep, first, previous, options, remaining, t2)
    stages.append(second)
    h.relax_row("lexicographic")
    if second.x is None:
        return resplit(prep, first, objective, tie_break), stages
    # The plan is the second stage's solution; its status is the weaker of the two.
    # Status describes the primary objective; the tie-break's own gap is reported beside it.
    merged = SolveOutcome(
        status=first.status,
        objective=h.evaluate(getattr(m, objective).expr, second.x),
        bound=first.bound,
        gap=first.gap,
        seconds=first.seconds + second.seconds,
        x=second.x,
        message=f"{first.message}; cost tie-break: {second.message}",
        tie_break_gap=second.gap if second.gap is not None else None,
        tie_break_status=second.status,
    )
    return resplit(prep, merged, objective, tie_break), stages


def without_caps(
    prep: Prepared, time_limit: float, gap: float, tie_break: bool, capped_lp: float | None = None
) -> tuple[SolveOutcome, list[SolveOutcome]] | None:
    """The solve whose first stage lifts the budget, energy-cost and emissions caps, when the
    cost tie-break (with the caps back) finds a plan at that index; else None (the caller
    solves with the caps from the start).

    Why: an analyst sets a budget somewhat above what the best plan costs, and the LP
    relaxation then spends to it (it has no reason not to), which makes the MIP a knapsack
    against the cap: the UK scenario with a budget 2% above its optimum's cost had no proven
    plan after 60 s (0.8726 found, 0.874 possible); this way it is proven in seconds.
    Exact: the capped model is the uncapped one with rows added, so the uncapped stage 1's
    bound bounds the capped optimum too, and a plan that reaches it within the gap and meets
    the caps is a capped optimum; the tie-break searches exactly the capped plans at that
    index. Both stages must be proven; anything less (the tie-break finds the caps leave no
    plan at that index, or runs out of time) and the caller solves as before, having spent
    at most ``time_limit``. The caps' rows are restored however this ends.

    ``capped_lp``: the capped LP relaxation's bound (maximised). When lifting the caps raises
    the LP's bound, the caps bind the relaxation and almost surely the plans too: the attempt
    is not made (Kenya, whose budget binds, lost 0.2-0.5 s to it). A guess that decides only
    whether to try, never what the answer is."""
    m, h = prep.model, prep.highs
    present = [
        name
        for name in CAPS
        if getattr(m, name, None) is not None and id(getattr(m, name)) in h.row_of
    ]
    rows = [h.row_of[id(getattr(m, name))] for name in present]
    if not rows or time_limit <= 0.5:
        return None
    idx = np.asarray(rows, dtype=np.int32)
    _, _, lower, upper, _ = h.h.getRows(len(idx), idx)
    if not tie_break:
        return None  # without the tie-break nothing puts the caps back
    saved = (idx, np.asarray(lower), np.asarray(upper))
    try:
        h.h.changeRowsBounds(len(idx), idx, np.full(len(idx), -INF), np.full(len(idx), INF))
        if capped_lp is not None:
            free = h.lp_relaxation(time_limit=time_limit / 4)
            if free is None or free.objective > capped_lp + 1e-9 * max(1.0, abs(capped_lp)):
                return None
        out, stages = _optimise(
            prep, "sovereignty", time_limit, gap, tie_break, None, caps_relaxed=saved
        )
    finally:
        h.h.changeRowsBounds(len(idx), idx, np.asarray(lower), np.asarray(upper))
    proven = out.status == "optimal" and out.tie_break_status == "optimal"
    if out.x is None or not proven or not meets_rows(h, h.pad(out.x)):
        return None
    names = " and ".join(CAPS[name][1] for name in present)
    out.message = f"{out.message} ({names} did not bind: the best plan without it fits it)"
    return out, stages


def _tie_break(
    prep: Prepared,
    first: SolveOutcome,
    previous: np.ndarray | None,
    options: dict[str, object],
    remaining: float,
    t2: float,
) -> SolveOutcome:
    """Stage 2: the cheapest plan with the index held (by the ``lexicographic`` row and the
    face the caller holds), from stage 1's plan, the restriction to the cost LP's support or
    the previous plan, whichever is cheapest."""
    sc, m, h = prep.scenario, prep.model, prep.highs
    # total_cost may name a column no row uses (added when its expression was first read):
    # stage 1's plan is padded at that column's lower bound so it stays a valid start
    start, second = h.pad(first.x), None
    if sc.solver.lp_start:
        # the same restriction as stage 1, on the tie-break's own LP relaxation: it is
        # rarely proven at the (weak) cost LP bound, but its plan is a much cheaper start
        # than stage 1's (Kenya: 399 -> 330 against 356 for the full stage 1's plan)
        lp = h.lp_relaxation(time_limit=remaining / 4)
        if lp is None and h.lp_infeasible:
            # no plan at this index (only with lifted caps put back, ``without_caps``): the
            # MIP's proof of that took 0.2-0.5 s on Kenya, the LP's a few milliseconds
            return SolveOutcome(
                "infeasible", None, None, None, time.perf_counter() - t2, None,
                "Infeasible (the tie-break's LP relaxation has no plan)",
            )  # fmt: skip
        if lp is not None:
            lp_s = time.perf_counter() - t2
            sub_limit = min(remaining / 4, max(1.0, 2.0 * lp_s))
            cand = support_stage(prep, lp, pyo.minimize, sub_limit, sc.solver.tie_break_gap)
            if cand is not None and cand.status == "optimal":
                second = cand
            elif cand is not None and h.evaluate(m.total_cost.expr, cand.x) < h.evaluate(
                m.total_cost.expr, start
            ):
                start = cand.x
    if (
        second is None
        and previous is not None
        and meets_rows(h, previous)  # the lexicographic row included
        and h.evaluate(m.total_cost.expr, previous) < h.evaluate(m.total_cost.expr, start)
    ):
        start = previous
    pre_seconds = time.perf_counter() - t2
    if second is None:
        second = h.solve(
            time_limit=max(remaining - pre_seconds, 0.05),
            mip_gap=sc.solver.tie_break_gap,
            start=start,
            options={**TIE_BREAK_OPTIONS, **options},
        )
    second.seconds += pre_seconds
    return second


def warm_settings(prep: Prepared, objective: str, gap: float, tie_break: bool) -> tuple:
    """What a solve asks for, as ``planner.core.warm`` compares it between two solves."""
    return (objective, bool(tie_break), float(gap), float(prep.scenario.solver.tie_break_gap))


def _warm_objectives(prep: Prepared) -> dict[str, object]:
    return {name: getattr(prep.model, name).expr for name in ("sovereignty", "total_cost")}


def _from_warm(
    prep: Prepared, warm: WarmStart | None, settings: tuple
) -> tuple[SolveOutcome | None, np.ndarray | None]:
    """(the previous outcome, when it is still optimal after the edit; the previous plan
    on the new columns, when it meets the new rows: a MIP start), see ``planner.core.warm``."""
    h = prep.highs
    if warm is None or h.trivially_infeasible is not None:
        return None, None
    x = mapped(h, warm)
    if x is None or not meets_rows(h, x):
        return None, None
    old = warm.outcome
    proven = old.status == "optimal" and (not settings[1] or old.tie_break_status == "optimal")
    if proven and tightened(h, _warm_objectives(prep), warm, settings):
        objective = settings[0]
        return SolveOutcome(
            status="optimal",
            objective=h.evaluate(getattr(prep.model, objective).expr, x),
            bound=old.bound,
            gap=old.gap,
            seconds=0.0,
            x=x,
            message="Optimal (the previous plan: the edit only narrowed bounds and the plan "
            "still meets them, so the previous proof holds)",
            tie_break_gap=old.tie_break_gap,
            tie_break_status=old.tie_break_status,
        ), x
    return None, x


def remember(prep: Prepared, outcome: SolveOutcome, settings: tuple) -> WarmStart | None:
    """The warm start this solve leaves for the next (``planner.core.warm``)."""
    return record(prep.highs, _warm_objectives(prep), outcome, settings)


def spends_to_a_cap(prep: Prepared, x) -> bool:
    """Whether ``x`` (the LP relaxation's optimum) spends up to a cap the scenario sets:
    the budget, the energy-cost cap or the emissions cap. Such solves are knapsacks over
    near-identical options; unless the LP support settles them they get
    ``CAP_BOUND_OPTIONS`` (a search setting: the optimum and the proof are the same either
    way)."""
    m, h, inp = prep.model, prep.highs, prep.inputs
    for row, (expr, _) in CAPS.items():
        cap = getattr(inp, row)
        if cap is None or not hasattr(m, row):
            continue
        if h.evaluate(getattr(m, expr).expr, x) >= float(cap) - 1e-6 * max(1.0, abs(float(cap))):
            return True
    return False


def resplit_stages(
    m: pyo.ConcreteModel, objective: str, tie_break: bool = True
) -> list[tuple[object, int]]:
    """What the last LP pass optimises, in order: the solve's objective, then the
    sovereignty index (when it was not the objective), then total cost (the tie-break; with
    modules fixed it moves only continuous cost columns such as ``build``)."""
    stages = [(getattr(m, objective).expr, SENSES[objective])]
    if objective != "sovereignty":
        stages.append((m.sovereignty.expr, pyo.maximize))
    if tie_break and objective != "total_cost":
        stages.append((m.total_cost.expr, pyo.minimize))
    return stages


def resplit(
    prep: Prepared, outcome: SolveOutcome, objective: str, tie_break: bool = True
) -> SolveOutcome:
    """The last LP pass: modules fixed at the MIP's (rounded) values, counted compute
    re-split by LP so the reported index is the best those modules reach (HiGHS stops at
    its gap with any feasible split). Keeps the outcome as it was if the LP fails."""
    if outcome.x is None:
        return outcome
    m, h = prep.model, prep.highs
    t0 = time.perf_counter()
    x = h.fixed_integer_lp(outcome.x, resplit_stages(m, objective, tie_break))
    if x is None:
        return outcome
    outcome.x = x
    outcome.objective = h.evaluate(getattr(m, objective).expr, x)
    outcome.seconds += time.perf_counter() - t0
    return outcome


def solve_prepared(
    prep: Prepared,
    objective: str = "sovereignty",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    screens: list[str] | None = None,
    warm: WarmStart | None = None,
) -> Plan:
    """Solve a prepared model and read its plan; ``screens`` (proofs of infeasibility found
    before solving, ``planner.core.screens``) skip the solve. Timings cover what ran here.
    ``warm``: a previous plan's ``Plan.warm_start`` (``optimise``); the new plan carries its
    own for the next solve."""
    t0 = time.perf_counter()
    screens = screen(prep) if screens is None else screens
    if screens:
        outcome = SolveOutcome("infeasible", None, None, None, 0.0, None, "; ".join(screens))
        stages = [outcome]
    else:
        outcome, stages = optimise(
            prep, objective, time_limit=time_limit, mip_gap=mip_gap, warm=warm
        )
    t1 = time.perf_counter()
    plan = make_plan(prep, outcome, objective)
    if not screens:
        sc = prep.scenario
        gap = mip_gap if mip_gap is not None else sc.solver.mip_gap
        tie_break = sc.solver.tie_break == "lexicographic"
        plan.warm_start = remember(prep, outcome, warm_settings(prep, objective, gap, tie_break))
    plan.message = status_message(plan, time_limit or prep.scenario.solver.time_limit)
    timings = dict(prep.timings)
    timings["solve_s"] = sum(s.seconds for s in stages)
    timings["results_s"] = time.perf_counter() - t1
    timings["total_s"] = sum(prep.timings.values()) + time.perf_counter() - t0
    plan.timings = timings
    plan.model_size = model_size(prep)
    return plan


def solve(
    scenario: Scenario | str,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    objective: str = "sovereignty",
    tables: Tables | None = None,
) -> Plan:
    """Solve a scenario (a Scenario or a path to its YAML) and return the Plan, without
    explaining infeasibility (``planner.solve`` adds the diagnosis)."""
    time_limit = clock.check_time_limit(time_limit, "time_limit")
    with clock.scope(time_limit):
        prep = prepare(scenario, tables=tables)
        return solve_prepared(prep, objective, time_limit=time_limit, mip_gap=mip_gap)


def model_size(prep: Prepared) -> dict[str, int]:
    """Rows, columns, integer columns and nonzeros of the model HiGHS holds."""
    h = prep.highs
    return {
        "options": len(prep.inputs.options),
        "rows": int(h.base_rows),
        "columns": len(h.columns),
        "integer_columns": int(h.integer.sum()),
        "nonzeros": int(h.nnz),
    }


def export(scenario: Scenario | str, path: str, tables: Tables | None = None) -> dict[str, int]:
    """Write the exact model HiGHS solves (sovereignty objective) to .mps or .lp."""
    prep = prepare(scenario, tables=tables)
    prep.highs.write(str(path))
    return model_size(prep)
