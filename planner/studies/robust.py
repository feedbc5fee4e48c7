"""A plan that holds across futures: ``robust(scenario) -> RobustResult`` (issue #25).

A minister commits to the first years of a plan before knowing which future comes. The
scenario's ``uncertainty:`` block lists the futures (``planner.core.futures``); this study
plans the here-and-now periods once for all of them and the later periods per future
(the extensive form, ``planner.studies.extensive``, reached progressively: see below), and says
what the hedge is worth:

- **here-and-now plan**: the modules in service in the periods decided now, the same in every
  future, and what they cost (expected over the futures);
- **recourse plans**: each future's plan (a ``Plan`` like ``solve``'s) and its index, cost and
  worst N-1 kept share; their distribution (P10/P50/P90 weighted by probability);
- **value of the stochastic solution** (VSS): the deterministic plan (``solve`` on the scenario
  without the block) has its here-and-now modules fixed and every future re-plans the rest;
  EEV is the robust objective of that, VSS = robust − EEV (≥ 0 up to the MIP gap; "not
  evaluable" when the deterministic commitments cannot be completed in some future);
- **expected value of perfect information** (EVPI): each future's own optimum, as if it were
  known now, combined by the same objective, minus the robust objective;
- **regret table**: each candidate first stage (the deterministic plan's and each future's
  own; with more than ``REGRET_LIMIT`` futures the own plans of the most likely ones) fixed
  and evaluated in every future with recourse, and the robust one.

How the plan is found (progressive, and honest about what is proven):

1. each future alone (a one-future model, solved as ``solve`` solves: LP support first):
   its own optimum and a proven bound on it (wait-and-see, EVPI), within ``OWN_SHARE`` of
   the study's time limit (the rest is kept so the deterministic commitments can still be
   re-planned in every future: a plan the study returns, "bound unknown" if nothing proves
   one); the cost tie-break only for the futures whose own plan is a candidate
   (``own_candidates``);
2. every candidate first stage evaluated in every future, first stage fixed (small recourse
   solves; cached: these are the regret table's rows, nothing is solved twice);
3. the best candidate by the study's objective, its per-future plans put together, is a plan
   of the whole problem and the extensive form's start;
   Steps 1 and 2 are one-future solves independent of one another: they run on a local
   pool of ``workers`` processes (``planner.studies.future_solves``), the extensive form
   being built here meanwhile; the pool runs a few solves ahead of the search's pruning,
   and what the search then skips is never used, so the report does not depend on the
   number of workers;
4. the objective grows with every future's index, so the futures' own bounds combined bound
   the best possible objective (with a budget per future): if the candidate is within the
   MIP gap of that bound it is optimal and the extensive form is not searched; otherwise the
   extensive form (``planner.studies.extensive``) is searched from it within the time limit,
   keeps the better plan, and its dual bound (or the wait-and-see one, the tighter) gives the
   proven gap the report states. A plan not proven is never called optimal.

Beyond ``SAA_THRESHOLD`` futures the extensive form is not built whole: sample-average
approximation solves ``replications`` extensive forms of ``draws`` futures drawn (seeded, by
probability) from the scenario's futures, evaluates each distinct candidate first stage on
every future of the scenario (one future at a time, first stage fixed), keeps the best, and
bounds its optimality gap: the replications' mean optimum estimates an upper bound on the
true optimum (maximising), the candidate's value is a lower bound; the gap's one-sided 95%
confidence bound adds t_{0.95,R−1}·s/√R of the replications' spread.

The index "I_s" the objective uses is each future's maximised objective (``sovereignty``: the
index, plus ω_res·r_min when the scenario values hedging).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.core import deadline as clock
from planner.core.data import Tables, load_tables
from planner.core.errors import InputError
from planner.core.futures import ScenarioFuture, futures_of, here_and_now
from planner.core.highs_backend import SolveOutcome
from planner.core.results import Plan
from planner.core.scenario import Scenario, load_scenario
from planner.core.uncertainty import check_here_and_now
from planner.studies import extensive as ef
from planner.studies.future_solves import (
    FutureJob,
    FutureSolve,
    FutureSolver,
    Study,
    future_inputs,
)

#: futures beyond which sample-average approximation replaces the whole extensive form
SAA_THRESHOLD = 20
#: futures drawn per SAA replication, and replications
SAA_DRAWS = 10
SAA_REPLICATIONS = 5
#: futures beyond which only the deterministic plan's and the most likely futures' own first
#: stages are candidates (REGRET_LIMIT candidates in all)
REGRET_LIMIT = 8
#: the share of the study's time left that the futures' own optima may use (when the study
#: has a time limit): the rest is kept for the deterministic plan and its commitments
#: re-planned in every future, a plan of the whole problem the study can then return even
#: when the own optima stop unproven (before, 20 EU futures' own optima could take the whole
#: limit and the study returned no plan)
OWN_SHARE = 0.5
#: futures beyond which a candidate's evaluation stops once it cannot beat the best so far
#: (its regret row then says "pruned" for the futures left)
PRUNE_ABOVE = 4

HOW_TO_ADD = (
    "add an `uncertainty:` block listing the futures, e.g.\n"
    "uncertainty:\n"
    "  futures:\n"
    "    - {name: as planned, probability: 0.6}\n"
    "    - {name: dear chips, probability: 0.4, set: {economics.chip_price_scale: 1.3}}\n"
    "  here_and_now: [<first period>]\n"
    "(see data/scenarios/uk-2030-20x-futures.yaml)"
)


@dataclass
class RobustResult:
    """What the robust study found (see the module doc)."""

    scenario_name: str
    status: str
    message: str
    objective: str
    here_and_now: list[int]
    futures: pd.DataFrame  # future, probability, index, cost, kept share, own optimum, ...
    first_stage: pd.DataFrame  # what to commit now
    plans: list[Plan] = field(default_factory=list)
    distribution: pd.DataFrame = field(default_factory=pd.DataFrame)
    regret: pd.DataFrame = field(default_factory=pd.DataFrame)
    robust_objective: float | None = None
    #: a proven upper bound on the best possible objective (the extensive form's dual bound
    #: or the futures' own optima, the tighter), and the plan's relative gap to it
    bound: float | None = None
    gap: float | None = None
    #: how the plan was found: the candidate first stages evaluated, whether the extensive
    #: form was searched, the seconds of each step
    search: dict[str, Any] = field(default_factory=dict)
    #: the model's own value of its objective row at the plan (equals robust_objective: a
    #: check on the CVaR and max-min linearisations)
    model_objective: float | None = None
    eev: float | None = None
    vss: float | None = None
    wait_and_see: float | None = None
    evpi: float | None = None
    deterministic: dict[str, Any] = field(default_factory=dict)
    saa: dict[str, Any] | None = None
    size: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reading: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, (np.floating, np.integer)):
                return clean(v.item())
            if isinstance(v, dict):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            return v

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return clean(df.astype(object).where(df.notna(), None).to_dict(orient="records"))

        return clean(
            {
                "scenario": self.scenario_name,
                "status": self.status,
                "message": self.message,
                "objective": self.objective,
                "here_and_now": self.here_and_now,
                "robust_objective": self.robust_objective,
                "bound": self.bound,
                "gap": self.gap,
                "search": self.search,
                "model_objective": self.model_objective,
                "eev": self.eev,
                "vss": self.vss,
                "wait_and_see": self.wait_and_see,
                "evpi": self.evpi,
                "deterministic": self.deterministic,
                "first_stage": records(self.first_stage),
                "futures": records(self.futures),
                "distribution": records(self.distribution),
                "regret": records(self.regret),
                "recourse": [
                    {"future": name, "allocation": records(p.allocation)}
                    for name, p in zip(self.futures.get("future", []), self.plans, strict=False)
                ],
                "saa": self.saa,
                "model_size": self.size,
                "notes": self.notes,
                "reading": self.reading,
                "seconds": self.seconds,
            }
        )


# --- objective of a vector of future indices -------------------------------------------------
def objective_of(sc: Scenario, idx: list[float], p: list[float]) -> float:
    """The robust objective the block names, for given per-future indices I_s."""
    unc = sc.uncertainty
    if unc is not None and unc.objective == "worst":
        return float(min(idx))
    value = float(np.dot(p, idx))
    weight = unc.risk.weight if unc is not None else 0.0
    if weight > 0:
        value -= weight * cvar([1.0 - i for i in idx], p, unc.risk.alpha)  # type: ignore[union-attr]
    return value


def cvar(loss: list[float], p: list[float], alpha: float) -> float:
    """CVaR_α of a discrete loss: the mean of its worst α of probability (Rockafellar–Uryasev
    at its optimal ζ, the α upper quantile)."""
    best = math.inf
    for z in loss:  # the minimum over ζ is reached at one of the losses
        best = min(
            best, z + sum(pi * max(0.0, li - z) for li, pi in zip(loss, p, strict=True)) / alpha
        )
    return float(best)


def weighted_quantile(values: list[float], p: list[float], q: float) -> float:
    """The smallest value whose cumulative probability reaches q."""
    order = np.argsort(values)
    cum = np.cumsum(np.asarray(p, dtype=float)[order])
    k = int(np.searchsorted(cum, q - 1e-12))
    return float(np.asarray(values, dtype=float)[order][min(k, len(order) - 1)])


def likeliest(p: list[float]) -> list[int]:
    """The futures whose own plans are candidate first stages above ``REGRET_LIMIT``
    futures: the ``REGRET_LIMIT - 1`` most likely (ties: listed first)."""
    return sorted(range(len(p)), key=lambda s: -p[s])[: REGRET_LIMIT - 1]


def own_candidates(p: list[float], plain: int | None) -> set[int]:
    """The futures whose own solve runs the cost tie-break: those whose own plan is a
    candidate first stage (all up to ``REGRET_LIMIT`` futures, else ``likeliest``) and the
    future that is the deterministic scenario (its plan is ``solve``'s).

    Why not all: another future's own solve gives the study its index and bound only (the
    wait-and-see bound, EVPI, the pruning); its first stage served at most as a shortcut
    for a candidate that commits the same, and that candidate's recourse solve in it gives
    the same index and the cheapest cost with those commitments. On the EU hedge the
    tie-break was most of each own solve (3.3 of 3.7 s in 'as planned')."""
    chosen = set(range(len(p))) if len(p) <= REGRET_LIMIT else set(likeliest(p))
    return chosen | ({plain} if plain is not None else set())


# --- the study --------------------------------------------------------------------------------
def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _check(sc: Scenario) -> None:
    if sc.uncertainty is None:
        raise InputError(f"{sc._source or '<scenario>'}: no futures to plan across: {HOW_TO_ADD}")
    try:
        check_here_and_now(sc.uncertainty, sc.periods)
    except ValueError as exc:
        raise InputError(f"{sc._source or '<scenario>'}: {exc}") from exc


def robust(
    scenario: Scenario | str | Path,
    time_limit: float | None = None,
    tables: Tables | None = None,
    replications: int = SAA_REPLICATIONS,
    draws: int = SAA_DRAWS,
    saa: bool | None = None,
    workers: int | None = 1,
) -> RobustResult:
    """Plan the here-and-now periods once for every future of the scenario's
    ``uncertainty:`` block (see the module doc). ``time_limit`` covers the whole study;
    ``saa`` forces (True) or forbids (False) sample-average approximation (default: beyond
    ``SAA_THRESHOLD`` futures); ``workers`` runs the one-future solves (each future alone,
    each candidate first stage in each future) or SAA's replications in that many local
    processes (None: one per core); the result does not depend on it."""
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise InputError(f"workers: {workers!r} must be a whole number >= 1")
    workers = workers if workers is not None else (os.cpu_count() or 1)
    time_limit = clock.check_time_limit(time_limit, "time_limit")
    sc = _as_scenario(scenario)
    _check(sc)
    futures = futures_of(sc)
    now = here_and_now(sc)
    t0 = time.perf_counter()
    with clock.scope(time_limit):
        tables = tables if tables is not None else load_tables(sc.data)
        use_saa = saa if saa is not None else len(futures) > SAA_THRESHOLD
        if use_saa:
            result = _saa(sc, futures, tables, now, replications, draws, workers or 1)
        else:
            result = _whole(sc, futures, tables, now, workers or 1)
    result.seconds = time.perf_counter() - t0
    return result


def _solve(sc: Scenario, futures, tables, now, built=None) -> tuple[ef.Extensive, Any, list[str]]:
    """Build and solve the extensive form of ``futures``."""
    ext = ef.build(sc, futures, tables, now, inputs=built)
    return ext, ef.optimise(ext), []


def _single(f: ScenarioFuture) -> ScenarioFuture:
    return dataclasses.replace(f, probability=1.0)


def _first_stage_of_plan(plan: Plan, now: list[int], keys: list) -> ef.FirstStage:
    """A solved plan's here-and-now modules by option identity (owned/rented read from the
    extensive form's keys: a provider either builds or rents)."""
    lookup = {(k, p, c, e): (k, p, c, o, e) for k, p, c, o, e in keys}
    out: ef.FirstStage = {}
    alloc = plan.allocation
    for r in alloc[alloc["period"].isin(now)].itertuples(index=False):
        if int(r.modules) <= 0:
            continue
        ident = (str(r.country), str(r.provider), str(r.chip), str(r.existing or ""))
        key = lookup.get(ident, (*ident[:3], True, ident[3]))
        out[key, int(r.period)] = out.get((key, int(r.period)), 0) + int(r.modules)
    return out


def _first_stage_table(first: ef.FirstStage, plans: list[Plan], p: list[float]) -> pd.DataFrame:
    """What to commit now, with its expected capital and running cost over the futures."""
    rows = []
    for ((k, prov, c, owned, e), t), n in sorted(
        first.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        capex = opex = compute = 0.0
        for plan, pi in zip(plans, p, strict=True):
            a = plan.allocation
            sel = a[
                (a["period"] == t)
                & (a["country"] == k)
                & (a["provider"] == prov)
                & (a["chip"] == c)
                & (a["existing"].fillna("") == e)
            ]
            capex += pi * float(sel["capex_musd"].sum())
            opex += pi * float(sel["opex_musd"].sum())
            compute = float(sel["compute_eflops"].sum()) or compute
        rows.append(
            {
                "period": t,
                "country": k,
                "provider": prov,
                "chip": c,
                "delivery": "existing" if e else ("owned" if owned else "rented"),
                "existing": e,
                "modules": n,
                "compute_eflops": compute,
                "expected_capex_musd": capex,
                "expected_opex_musd": opex,
            }
        )
    cols = ["period", "country", "provider", "chip", "delivery", "existing", "modules",
            "compute_eflops", "expected_capex_musd", "expected_opex_musd"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _distribution(futures: pd.DataFrame, p: list[float]) -> pd.DataFrame:
    rows = []
    for col, label in (
        ("index", "sovereignty index"),
        ("cost_musd", "total cost (MUSD)"),
        ("worst_kept_share", "worst N-1 kept share"),
    ):
        vals = [float(v) for v in futures[col]]
        rows.append(
            {
                "measure": label,
                "expected": float(np.dot(p, vals)),
                "p10": weighted_quantile(vals, p, 0.1),
                "p50": weighted_quantile(vals, p, 0.5),
                "p90": weighted_quantile(vals, p, 0.9),
                "min": min(vals),
                "max": max(vals),
            }
        )
    return pd.DataFrame(rows)


def _describe_first(first: ef.FirstStage) -> str:
    """The fleet in service at the end of the here-and-now periods, largest first."""
    if not first:
        return "nothing new"
    last = max(t for _, t in first)
    fleet = sorted(((k, n) for (k, t), n in first.items() if t == last), key=lambda kv: -kv[1])
    parts = []
    for (k, prov, c, owned, e), n in fleet[:3]:
        kind = "owned" if owned else "rented"
        parts.append(
            f"{e} (existing)" if e else f"{n} {kind} {c} module{'s' * (n != 1)} at {prov} in {k}"
        )
    more = len(fleet) - 3
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "") + f" in service in {last}"


def _whole(
    sc: Scenario,
    futures: list[ScenarioFuture],
    tables: Tables,
    now: list[int],
    workers: int = 1,
) -> RobustResult:
    """The progressive search (module doc): each future alone, candidate first stages
    evaluated in every future, the best of them as the extensive form's start, and the
    extensive form only while the candidate is not proven within the MIP gap. The
    one-future solves run on ``workers`` local processes (``future_solves``); the report
    does not depend on how many."""
    from planner.core.solve import solve as core_solve

    unc = sc.uncertainty
    assert unc is not None
    p = [f.probability for f in futures]
    names = [f.name for f in futures]
    m_count = len(futures)
    gap_tol = sc.solver.mip_gap
    notes: list[str] = []
    # the one-future solves (own optima, candidates fixed in each future) run on the pool
    # (``future_solves``); the extensive form is built here meanwhile (it is needed only
    # after them); with one worker they run here, lazily; every process's models share the
    # inputs built here
    plain = next((s for s, f in enumerate(futures) if not f.overrides and f.cut is None), None)
    study = Study(sc, futures, tables, now)
    workers = max(1, min(workers, m_count))  # no more processes than futures
    cache: dict[str, Any] = {}
    # every future's inputs first (re-priced where it can: cheap), so a bad future is an
    # input error here, before any worker starts
    built = [future_inputs(study, s, cache) for s in range(m_count)]
    for f, (_, ctx) in zip(futures, built, strict=True):
        ef.check_cut(f, ctx)
    with FutureSolver(study, workers, inputs=built) as runner:
        t0 = time.perf_counter()
        # (a) each future alone: its own optimum (wait-and-see) and a bound on it, within
        # OWN_SHARE of the time left; the cost tie-break only where the study reads the
        # plan's first stage or cost (own_candidates)
        left = clock.remaining()
        own_end = None if left is None else time.time() + OWN_SHARE * max(left, 0.0)
        tie_broken = own_candidates(p, plain)
        own_jobs = [
            runner.submit(
                FutureJob(s, None, plan=s == plain, tie_break=s in tie_broken), end=own_end
            )
            for s in range(m_count)
        ]
        ext = ef.build(sc, futures, tables, now, inputs=built)
        t_build = time.perf_counter()
        own_out = [job.result() for job in own_jobs]
        t_own = time.perf_counter()
        own_idx: list[float | None] = [o.index for o in own_out]
        own_bound: list[float | None] = [None] * m_count
        # a first stage found without the tie-break is not the future's own plan as solve
        # finds it: neither a candidate nor a shortcut for one
        own_first: list[ef.FirstStage | None] = [
            o.first if s in tie_broken else None for s, o in enumerate(own_out)
        ]
        for s, o in enumerate(own_out):
            if o.ok and o.bound is not None and math.isfinite(o.bound):
                own_bound[s] = max(float(o.bound), float(own_idx[s]))  # type: ignore[arg-type]
        keys = sorted({k for o in own_out for k in o.option_keys})

        # the deterministic plan: the scenario without the block; a future that changes
        # nothing (no override, no cut) is that scenario, and its own plan was just solved
        # the way solve solves it (LP support, then the MIP, then the cost tie-break): not
        # solved twice
        if plain is not None and own_out[plain].plan is not None:
            det = own_out[plain].plan
        else:
            base = sc.model_copy(update={"uncertainty": None})
            det = core_solve(base, tables=tables)
        det_first = _first_stage_of_plan(det, now, keys) if det.ok else None
        t_det = time.perf_counter()
        recourse_solves = 0

        # (b) candidate first stages, each evaluated in every future with recourse (cached:
        # the evaluations are the regret table's rows)
        labelled: list[tuple[str, ef.FirstStage | None]] = [("deterministic", det_first)]
        labelled += [(f"own plan of '{f.name}'", own_first[s]) for s, f in enumerate(futures)]
        if m_count > REGRET_LIMIT:
            # the deterministic plan and the own plans of the most likely futures
            kept = [labelled[0]] + [labelled[1 + s] for s in sorted(likeliest(p))]
            notes.append(
                f"{m_count} futures: candidate first stages are the deterministic plan's and "
                f"the own plans of the {REGRET_LIMIT - 1} most likely futures (the regret table "
                "shows those)"
            )
            labelled = kept
        visit = sorted(range(m_count), key=lambda s: -p[s])  # likeliest first: prunes soonest
        # every recourse solve the search may need, in the order it visits them: the pool
        # runs a few ahead of the search (a solve the search then skips is wasted, never
        # used, so the report is the same with any number of workers)
        queue: list[tuple[str, int]] = []
        seen: set[tuple] = set()
        for label, fs in labelled:
            if fs is None or tuple(sorted(fs.items())) in seen:
                continue
            seen.add(tuple(sorted(fs.items())))
            queue += [(label, s) for s in visit if not (own_first[s] == fs and own_out[s].ok)]
        fixed_of = dict(labelled)
        jobs: dict[tuple[str, int], Any] = {}
        skipped: set[str] = set()
        ahead = 0

        consumed: set[tuple[str, int]] = set()

        def fetch(label: str, s: int) -> FutureSolve:
            """The solve of (label, s); the next ones of the queue start meanwhile."""
            nonlocal ahead
            if (label, s) not in jobs:
                jobs[label, s] = runner.submit(FutureJob(s, fixed_of[label]))
            consumed.add((label, s))
            while ahead < len(queue) and runner.workers > sum(
                1 for k in jobs if k not in consumed and k[0] not in skipped
            ):
                key = queue[ahead]
                ahead += 1
                if key[0] not in skipped and key not in jobs:
                    jobs[key] = runner.submit(FutureJob(key[1], fixed_of[key[0]]))
            return jobs[label, s].result()

        evaluated: dict[str, tuple[list, list, list]] = {}  # label -> per future idx, cost, status
        points: dict[str, list] = {}  # label -> per future solution by column name, or None
        done: dict[tuple, str] = {}  # a first stage already evaluated -> its label
        best_label: str | None = None
        best_value = -math.inf
        pruned_total = 0
        bounded = all(b is not None for b in own_bound)
        for label, fs in labelled:
            if fs is None:
                evaluated[label] = ([None] * m_count, [None] * m_count, ["no plan"] * m_count)
                points[label] = [None] * m_count
                continue
            ident = tuple(sorted(fs.items()))
            if ident in done:  # the same commitments as another candidate: copy its row
                evaluated[label] = evaluated[done[ident]]
                points[label] = points[done[ident]]
                continue
            done[ident] = label
            ix: list = [None] * m_count
            cx: list = [None] * m_count
            st: list = ["not evaluated"] * m_count
            pts: list = [None] * m_count
            # above PRUNE_ABOVE futures a candidate (not the deterministic one: VSS needs it
            # whole) stops as soon as it cannot beat the best so far, its futures not yet
            # evaluated counted at their own bound (the objective grows with each future's
            # index)
            prune = m_count > PRUNE_ABOVE and label != "deterministic" and bounded
            for s in visit:
                if prune and best_label is not None:
                    optimistic = [v if v is not None else own_bound[k] for k, v in enumerate(ix)]
                    if objective_of(sc, optimistic, p) <= best_value + 1e-12:
                        st = [x if v is not None else "pruned" for x, v in zip(st, ix, strict=True)]
                        break
                if own_first[s] == fs and own_out[s].ok:
                    o = own_out[s]  # this future's own plan commits exactly this: no re-solve
                else:
                    o = fetch(label, s)
                    recourse_solves += 1
                if not o.ok:
                    st[s] = o.message or o.status
                    if prune:  # cannot be completed in this future: not a plan of the whole
                        st = [
                            x if (v is not None or k == s) else "pruned"
                            for k, (x, v) in enumerate(zip(st, ix, strict=True))
                        ]
                        break
                    continue
                ix[s] = o.index
                cx[s] = o.cost
                st[s] = o.status
                pts[s] = o.block
            skipped.add(label)  # what the pool started ahead for it is not needed
            for key, job in jobs.items():
                if key[0] == label and key not in consumed:
                    job.cancel()
            evaluated[label] = (ix, cx, st)
            points[label] = pts
            # (c) the best candidate by the study's objective: a plan of the whole problem
            if all(v is not None for v in ix):
                value = objective_of(sc, ix, p)
                if value > best_value + 1e-12:
                    best_label, best_value = label, value
            pruned_total += sum(1 for x in st if x == "pruned")

    t_eval = time.perf_counter()
    # (d) the extensive form (built above), started from the best candidate, while it is
    # not proven
    start = None
    if best_label is not None:
        best_first = dict(labelled)[best_label]
        start = ef.assemble(ext, points[best_label], best_first)  # type: ignore[arg-type]
    # wait-and-see bounds the objective from above when each future keeps its own budget
    # (the objective grows with every future's index); a budget in expectation lets one
    # future spend another's money, so only the extensive form's bound counts then
    ws_bound = None
    if unc.budget != "expected" and all(b is not None for b in own_bound):
        ws_bound = objective_of(sc, own_bound, p)  # type: ignore[arg-type]

    def proven_gap(value: float, bound: float | None) -> float | None:
        if bound is None:
            return None
        return max(bound - value, 0.0) / max(abs(value), 1e-12)

    cand_value = (
        ext.highs.evaluate(ext.model.robust_objective.expr, start) if start is not None else None
    )
    cand_gap = proven_gap(cand_value, ws_bound) if cand_value is not None else None
    if start is not None and cand_gap is not None and cand_gap <= gap_tol + 1e-9:
        out = SolveOutcome(
            "optimal", cand_value, ws_bound, cand_gap, 0.0, start,
            f"optimal: the first stage of {best_label} is within the MIP gap of the "
            "futures' own optima (wait-and-see bound)",
        )  # fmt: skip
        searched = False
    else:
        # each future's index is at most its own proven bound whatever is committed now
        # (with a budget per future): rows that cut off none of the extensive form's plans
        # but tighten its LP relaxation, so the search proves its plan sooner
        # (a one-future model maximises the index itself unless a CVaR term is weighed in)
        plain_index = unc.objective == "worst" or unc.risk.weight == 0
        held = _hold_own_bounds(ext, own_bound) if ws_bound is not None and plain_index else []
        try:
            out = ef.optimise(ext, start=start)
        finally:
            for name in held:
                ext.highs.relax_row(name)
        searched = True
        if start is not None and (
            out.x is None or out.objective is None or out.objective < cand_value - 1e-9  # type: ignore[operator]
        ):
            # the search found nothing better within its time: the candidate stands
            out = dataclasses.replace(
                out,
                objective=cand_value,
                x=start,
                message=f"the first stage of {best_label}, re-planned in every future; the "
                f"extensive form's search found nothing better in its time ({out.message})",
            )
        if out.x is not None and out.objective is not None:
            bounds = [b for b in (out.bound, ws_bound) if b is not None and math.isfinite(b)]
            bound = min(bounds) if bounds else None
            gap = proven_gap(out.objective, bound)
            status = "optimal" if gap is not None and gap <= gap_tol + 1e-9 else "feasible"
            out = dataclasses.replace(out, status=status, bound=bound, gap=gap)
    t_ext = time.perf_counter()
    search = {
        "candidates": len(done),
        "best_candidate": best_label,
        "best_candidate_objective": cand_value,
        "wait_and_see_bound": ws_bound,
        "extensive_form_searched": searched,
        "recourse_solves": recourse_solves,
        "evaluations_pruned": pruned_total,
        "workers": workers,
        "extensive_build_s": t_build - t0,
        "own_optima_s": t_own - t0,
        "deterministic_s": t_det - t_own,
        "candidates_s": t_eval - t_det,
        "extensive_form_s": t_ext - t_eval,
    }
    empty = pd.DataFrame()
    if out.x is None:
        return RobustResult(
            sc.name, out.status,
            (
                f"no plan found across the {len(futures)} futures within the time limit "
                f"({out.message}); raise solver.time_limit (or --time-limit) or list fewer "
                "futures"
                if out.status == "time_limit_no_solution"
                else f"no plan holds across the futures ({out.status}: {out.message}); solve "
                "each future alone (sovplan solve --set ...) to see which one is infeasible"
            ),
            unc.objective, now, pd.DataFrame({"future": names, "probability": p}), empty,
            notes=notes, size=ext.size(), search=search,
        )  # fmt: skip
    plans = ef.plans(ext, out)
    for f, pl, inp in zip(futures, plans, ext.inputs, strict=True):
        short = ef.shortfall(pl, inp.target)
        if f.cut is not None and short:
            notes.append(
                f"future '{f.name}': after its cut the plan delivers less than the target "
                f"({short}): within the limits, meeting it would give up more index than "
                "the shortfall costs, or is impossible (stress --replan relaxes a crisis plan "
                "the same way, target last)"
            )
    idx = ef.indices(ext, out.x)
    first = ef.first_stage(ext, out.x)
    rp = objective_of(sc, idx, p)

    det_idx, det_cost, det_status = evaluated["deterministic"]
    det_ok = det_first is not None and all(v is not None for v in det_idx)
    eev = objective_of(sc, det_idx, p) if det_ok else None
    if det_first is not None and not det_ok:
        bad = [
            f"'{n}' ({st})"
            for n, v, st in zip(names, det_idx, det_status, strict=True)
            if v is None
        ]
        notes.append(
            "the deterministic plan's here-and-now commitments cannot be completed within the "
            f"limits in {', '.join(bad)}: its VSS is not a number; the hedge is what keeps "
            "the plan feasible there"
        )
    if not det_ok:
        det_idx = None
        det_cost = None

    # the regret table: the robust plan as found jointly, and every candidate's evaluations
    evaluated = {"robust": (idx, ef.costs(ext, out.x), [out.status] * m_count), **evaluated}
    # a future's own optimum is at least every plan found for it (a solve stopped at its time
    # limit may have missed one the evaluations found)
    raised = []
    for s, name in enumerate(names):
        found = [ix[s] for ix, _, _ in evaluated.values() if ix[s] is not None]
        if found and (own_idx[s] is None or max(found) > own_idx[s] + 1e-9):
            own_idx[s] = max(found)
            raised.append(name)
    if raised:
        notes.append(
            f"own optimum of {', '.join(map(repr, raised))} raised to the best plan found for it "
            "in the regret evaluation (its own solve stopped at the time limit)"
        )
    ws = objective_of(sc, own_idx, p) if all(v is not None for v in own_idx) else None  # type: ignore[arg-type]
    regret_rows = []
    order = ["deterministic", "robust"] + [
        k for k in evaluated if k not in ("deterministic", "robust")
    ]
    for label in order:
        ix, cx, status = evaluated[label]
        for s, name in enumerate(names):
            own = own_idx[s]
            regret_rows.append(
                {
                    "first_stage": label,
                    "future": name,
                    "index": ix[s],
                    "cost_musd": cx[s],
                    "regret": (own - ix[s]) if (ix[s] is not None and own is not None) else None,
                    "status": status[s],
                }
            )
    regret = pd.DataFrame(regret_rows)

    table = pd.DataFrame(
        {
            "future": names,
            "probability": p,
            "index": [pl.sovereignty.get("index") for pl in plans],
            "objective_index": idx,
            "cost_musd": [pl.kpis.get("total_cost_musd") for pl in plans],
            "worst_kept_share": [pl.kpis.get("worst_case_n_minus_1_share") for pl in plans],
            "own_optimum_index": own_idx,
            "deterministic_first_stage_index": det_idx
            if det_idx is not None
            else [None] * len(names),
            "cut": [
                f"{','.join(f.cut.jurisdictions)} from {f.cut.from_year}" if f.cut else ""
                for f in futures
            ],
            "overrides": [", ".join(f"{k}={v}" for k, v in f.overrides.items()) for f in futures],
        }
    )
    vss = rp - eev if eev is not None else None
    evpi = ws - rp if ws is not None else None
    deterministic = {
        "status": det.status,
        "index": det.sovereignty.get("index") if det.ok else None,
        "cost_musd": det.cost,
        "first_stage": [
            {"option": list(k), "period": t, "modules": n}
            for (k, t), n in (det_first or {}).items()
        ],
        "expected_cost_musd": float(np.dot(p, det_cost)) if det_cost is not None else None,
    }
    result = RobustResult(
        sc.name, out.status, out.message, unc.objective, now, table,
        _first_stage_table(first, plans, p), plans, _distribution(table, p), regret,
        robust_objective=rp, model_objective=out.objective, eev=eev, vss=vss, wait_and_see=ws, evpi=evpi,
        deterministic=deterministic, size=ext.size(), notes=notes, bound=out.bound, gap=out.gap,
        search=search,
    )  # fmt: skip
    result.reading = reading(result, first, det_first, det_idx, det_cost)
    return result


#: slack on a future's own bound when it becomes a row of the extensive form (HiGHS's
#: bounds hold to its feasibility tolerance; the row must never cut off a plan)
OWN_BOUND_SLACK = 1e-7


def _hold_own_bounds(ext: ef.Extensive, own_bound: list[float | None]) -> list[str]:
    """Rows ``sovereignty_s <= own bound of s`` on the extensive form; their names."""
    names = []
    for s, b in enumerate(own_bound):
        if b is None or not math.isfinite(b):
            continue
        name = f"own_bound_{s}"
        upper = b + OWN_BOUND_SLACK * max(1.0, abs(b))
        ext.highs.set_row(name, ext.model.future[s].sovereignty.expr, upper=upper)
        names.append(name)
    return names


def _within(gap: float | None, bound: float | None) -> str:
    """How close a plan is proven to be to the best possible, in words."""
    if gap is None or bound is None:
        return (
            "a plan of every future, but its bound is unknown: no bound on the best possible "
            "objective was proven within the time limit"
        )
    return f"within {gap:.2%} of the best possible (proven bound {bound:.4f})"


def reading(
    r: RobustResult,
    first: ef.FirstStage,
    det_first: ef.FirstStage | None,
    det_idx: list[float] | None,
    det_cost: list[float] | None,
) -> str:
    """The study in words: what to commit now, what the hedge costs and what it keeps."""
    p = list(r.futures["probability"])
    idx = [float(v) for v in r.futures["objective_index"]]
    cost = float(np.dot(p, [float(v) for v in r.futures["cost_musd"]]))
    m = len(p)
    years = ", ".join(map(str, r.here_and_now))
    text = f"Commit now ({years}): {_describe_first(first)}."
    if r.status == "optimal":
        text += " This plan is optimal across the futures (within the MIP gap)."
    else:
        text += f" This plan is not proven optimal: it is {_within(r.gap, r.bound)}."
    if det_first is not None and det_first == first:
        text += " This is what the deterministic plan commits too: the hedge changes nothing now."
    det_plan_index = r.deterministic.get("index")
    if det_idx is not None and det_cost is not None and det_plan_index is not None:
        z = float(det_plan_index)
        kept = sum(1 for v in idx if v >= z - 1e-6)
        kept_det = sum(1 for v in det_idx if v >= z - 1e-6)
        extra = cost - float(np.dot(p, det_cost))
        more = (
            f"costs {extra:,.0f} MUSD more"
            if extra >= 0.5
            else (f"costs {-extra:,.0f} MUSD less" if extra <= -0.5 else "costs the same")
        )
        text += (
            f" Committing to it {more} in expectation than the deterministic plan's commitments "
            f"and keeps the index at or above the deterministic forecast {z:.3f} in {kept} of "
            f"{m} futures (the deterministic commitments: {kept_det} of {m})."
        )  # fmt: skip
    elif det_first is not None:
        text += (
            " The deterministic plan's commitments cannot be completed in every future: the "
            "hedge is what keeps the plan feasible."
        )
    if r.vss is not None:
        text += f" Value of the stochastic solution: {r.vss:+.4f} index points."
    if r.evpi is not None:
        text += f" Knowing the future now would be worth {r.evpi:.4f} (EVPI)."
    text += (
        f" Index across futures: {min(idx):.3f} to {max(idx):.3f} "
        f"(probability-weighted mean {np.dot(p, idx):.3f})."
    )
    return text


# --- sample-average approximation -----------------------------------------------------------
def _draw(futures: list[ScenarioFuture], n: int, rng: np.random.Generator) -> list[ScenarioFuture]:
    """n futures drawn by probability (with replacement), equally weighted; a future drawn
    twice is one future with twice the weight."""
    p = np.asarray([f.probability for f in futures], dtype=float)
    picks = rng.choice(len(futures), size=n, p=p / p.sum())
    counts = np.bincount(picks, minlength=len(futures))
    return [
        dataclasses.replace(futures[i], probability=float(c) / n)
        for i, c in enumerate(counts)
        if c > 0
    ]


def _replication(
    sc: Scenario,
    sample: list[ScenarioFuture],
    tables: Tables,
    now: list[int],
    seconds: float | None,
) -> tuple[float | None, ef.FirstStage | None, dict[str, int]]:
    """One SAA replication: the extensive form of one sample of futures, solved; its
    objective and first stage (None, None when it found no plan). Runs in a worker process
    or here, under what is left of the study's time limit (``seconds``)."""
    with clock.scope(seconds):
        ext, out, _ = _solve(sc, sample, tables, now)
        size = ext.size()
        if out.x is None or out.objective is None:
            return None, None, size
        return float(out.objective), ef.first_stage(ext, out.x), size


def _replications(
    sc: Scenario,
    samples: list[list[ScenarioFuture]],
    tables: Tables,
    now: list[int],
    workers: int,
) -> list[tuple[float | None, ef.FirstStage | None, dict[str, int]]]:
    """Every replication's result, in sample order: in this process, or on a local pool of
    spawned workers (the replications are independent, the sweep's and frontier's pool
    rules apply: workers die with us, Ctrl-C stops them)."""
    if workers <= 1 or len(samples) <= 1:
        return [_replication(sc, smp, tables, now, clock.remaining()) for smp in samples]
    from concurrent.futures import ProcessPoolExecutor

    from planner.studies.workers import WorkerContext, become_worker, stop_pool

    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(samples)),
        mp_context=WorkerContext(),
        initializer=become_worker,
        initargs=(os.getpid(),),
    )
    try:
        jobs = [
            pool.submit(_replication, sc, smp, tables, now, clock.remaining()) for smp in samples
        ]
        results = [job.result() for job in jobs]
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _saa(
    sc: Scenario,
    futures: list[ScenarioFuture],
    tables: Tables,
    now: list[int],
    replications: int,
    draws: int,
    workers: int = 1,
) -> RobustResult:
    from scipy import stats

    from planner.core.inputs import build_inputs

    unc = sc.uncertainty
    assert unc is not None
    if replications < 2:
        raise InputError("replications: at least 2, to bound the optimality gap")
    rng = np.random.default_rng(unc.seed + 1)
    p = [f.probability for f in futures]
    optima: list[float] = []
    candidates: list[ef.FirstStage] = []
    # every sample drawn first, in order: the same futures whether solved here or in workers
    samples = [_draw(futures, draws, rng) for _ in range(replications)]
    results = _replications(sc, samples, tables, now, workers)
    size = results[-1][2] if results else {}
    for objective, fs, _ in results:
        if objective is None or fs is None:
            continue
        optima.append(objective)
        if fs not in candidates:
            candidates.append(fs)
    if not optima:
        return RobustResult(
            sc.name, "infeasible", "no replication found a plan across its futures",
            unc.objective, now, pd.DataFrame(), pd.DataFrame(), notes=[], size=size,
        )  # fmt: skip
    # evaluate every distinct candidate on every future, one future at a time
    values = [[math.nan] * len(futures) for _ in candidates]
    plans_of: list[list[Plan | None]] = [[None] * len(futures) for _ in candidates]
    for s, f in enumerate(futures):
        built = [build_inputs(f.scenario, tables)]
        ext1 = ef.build(sc, [_single(f)], tables, now, inputs=built)
        for c, fs in enumerate(candidates):
            o = ef.optimise(ext1, fixed=fs)
            if o.x is not None:
                values[c][s] = ef.indices(ext1, o.x)[0]
                plans_of[c][s] = ef.plans(ext1, o)[0]
        del ext1
    scores = [
        objective_of(sc, v, p) if all(math.isfinite(x) for x in v) else -math.inf for v in values
    ]
    best = int(np.argmax(scores))
    r = len(optima)
    mean = float(np.mean(optima))
    sd = float(np.std(optima, ddof=1)) if r > 1 else 0.0
    t = float(stats.t.ppf(0.95, r - 1)) if r > 1 else math.inf
    lower = scores[best]
    gap = mean - lower if math.isfinite(lower) else None
    saa = {
        "replications": r,
        "draws": draws,
        "candidates": len(candidates),
        "upper_bound_mean": mean,
        "upper_bound_sd": sd,
        "upper_bound_ci95": [
            mean - float(stats.t.ppf(0.975, r - 1)) * sd / math.sqrt(r),
            mean + float(stats.t.ppf(0.975, r - 1)) * sd / math.sqrt(r),
        ]
        if r > 1
        else None,  # fmt: skip
        "candidate_value": lower if math.isfinite(lower) else None,
        "gap": gap,
        "gap_upper_95": gap + t * sd / math.sqrt(r) if gap is not None else None,
        "evaluated_on": len(futures),
    }
    chosen = plans_of[best]
    ok = all(pl is not None for pl in chosen)
    names = [f.name for f in futures]
    table = pd.DataFrame(
        {
            "future": names,
            "probability": p,
            "index": [pl.sovereignty.get("index") if pl else None for pl in chosen],
            "objective_index": values[best],
            "cost_musd": [pl.kpis.get("total_cost_musd") if pl else None for pl in chosen],
            "worst_kept_share": [pl.kpis.get("worst_case_n_minus_1_share") if pl else None for pl in chosen],
        }
    )  # fmt: skip
    notes = [
        f"{len(futures)} futures: sample-average approximation ({r} replications of {draws} "
        f"draws; {len(candidates)} distinct first stages evaluated on all {len(futures)} futures)"
    ]
    result = RobustResult(
        sc.name, "feasible" if ok else "infeasible",
        "sample-average approximation" if ok else "no candidate first stage holds in every future",
        unc.objective, now, table,
        _first_stage_table(candidates[best], [pl for pl in chosen if pl], p) if ok else pd.DataFrame(),
        [pl for pl in chosen if pl] if ok else [],
        _distribution(table, p) if ok else pd.DataFrame(),
        robust_objective=lower if math.isfinite(lower) else None,
        saa=saa, size=size, notes=notes,
    )  # fmt: skip
    if ok:
        result.reading = (
            f"Commit now ({', '.join(map(str, now))}): {_describe_first(candidates[best])}. "
            f"Its objective over the {len(futures)} futures is {lower:.4f}; the optimum is at "
            f"most {mean:.4f} on average over replications, so the gap is {gap:.4f} "
            f"(95% bound {saa['gap_upper_95']:.4f})."
        )
    return result
