"""pareto(scenario, x, y) -> ParetoResult: the efficient frontier of the planning MIP.

Method: the ε-constraint method with a lexicographic solve at every grid point and the grid
bookkeeping of AUGMECON-R (Nikas et al. 2020), on ONE persistent HiGHS model per process.

1. Payoff table by lexicographic optimisation: each objective is optimised first, then the
   others in turn with the earlier ones held at their optima. Its rows are efficient points
   (the exact endpoints of a two-objective frontier) and give each constrained objective's
   range [nadir, ideal]. When the pair is sovereignty and cost, the best-sovereignty end
   point is ``solve``'s own plan, found by ``solve``'s code on the same model (ties at the
   same index and cost go the same way in both).
2. ``y`` is the main objective; ``x`` (and ``z``) are constrained. In "larger is better" form
   g = ±f, each constrained objective gets the row  g_k ≥ e_k. At each grid point stage 1
   maximises g_y; stage 2 holds g_y at that value and maximises g_x (then g_z with g_x held
   too): the point is the best in x among the plans best in y, so it is efficient, never
   merely weakly efficient, and with x = cost it is the cheapest plan at its index. Every
   stage is proven within ``mip_gap`` on its own objective (``Engine.point`` says why this
   replaced AUGMECON2's augmented objective g_y + δ·Σ slack: a relative gap on that sum hid
   cost savings thousands of times larger than the gap).
3. The grid e_k runs from the nadir (loose) to the ideal (tight) in ``points`` steps.
   Bypass: a point with slack s_k = g_k − e_k is also the answer at the next ⌊s_k/step_k⌋
   tighter grid values (it is feasible there, and tightening can only lower the best g_y),
   so those are not solved. Early exit: when a grid point is infeasible, every grid point
   tighter in all constrained objectives is too. With two constrained objectives (``z``)
   both rules act on the whole grid (AUGMECON-R's flag array).
4. Re-solves move only the ε rows' bounds (``HighsModel.set_row``); each solve starts from
   the best plan already known that is feasible at the new grid point (a MIP start), and
   stage 2 from stage 1's plan.
5. Neighbour cap: tightening ε can only lower the best main objective, so the dual bound of
   stage 1 at a looser grid point (looser in every constrained objective) caps g_y at a
   tighter one: the row  g_y ≤ bound  (``pareto_main_cap``), taken from the adjacent looser
   points (``GridSweep.main_cap``). It cuts no plan the tighter point could take, and hands
   HiGHS a bound it would otherwise have to prove (pareto_bench's 19 ε solves, serial,
   seeds 0-2: 52.6/45.3/68.3 s without, 40.9/41.5/54.9 s with, on the augmented objective).

6. Solvers (``workers``): the parent and workers − 1 spawned processes, each with its own
   persistent model. The parent solves what fixes the grid (the best-y end, and the first
   stage of the best-x end); the best-x end's later stages and the grid points then go one
   at a time, loosest first, to whichever solver is free (the parent's in a thread of its
   own). A point in flight that another answer bypasses is cancelled (rule 3 applied to
   work already started); the parent makes each point's last LP pass and plan whenever its
   model is free. None of this changes a row: the same grid, the same lexicographic solve
   at each point (``tests/test_pareto_speed.py``).

``points=None`` (CLI ``--points 0``, two objectives only) lists every efficient point: after
each solution the next ε is placed just past it, so no efficient point can lie between two.

Exactness is up to the solver's relative MIP gap (``mip_gap``, default the scenario's) in
each stage; the end point taken from ``solve`` has ``solve``'s cost tie-break gap
(``solver.tie_break_gap``). A row's ``gap`` is the larger of its stages' gaps. Points from
solves stopped by the time limit carry status "feasible"; a final filter removes any point
another point dominates.

Knee: with every objective scaled to [0, 1] over the frontier (1 = best), the point with the
largest sum of scaled objectives. For two objectives this is the point farthest above the
chord joining the two endpoints; a frontier with no point above the chord has no knee.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from models.objectives import SENSES
from planner.core import deadline as clock
from planner.core.deadline import check_time_limit
from planner.core.errors import InputError
from planner.core.highs_backend import CAP_BOUND_OPTIONS, INF, TIE_BREAK_OPTIONS, SolveOutcome
from planner.core.progress import ProgressCallback, track
from planner.core.results import Plan, group_column, make_plan
from planner.core.scenario import Scenario, load_scenario
from planner.studies.workers import WorkerContext, become_worker, stop_pool

#: Objective names accepted by ``pareto`` -> the model expression they stand for.
OBJECTIVES: dict[str, str] = {
    "sovereignty": "sovereignty",
    "territorial": "territorial",
    "provider": "provider",
    "chip": "chip",
    "cost": "total_cost",
    "total_cost": "total_cost",
    "energy_cost": "energy_cost",
    "emissions": "emissions",
    "resilience": "resilience",
}

#: Units of each objective column (the units of the plan KPIs).
UNITS: dict[str, str] = {
    "sovereignty": "index 0-1",
    "territorial": "index 0-1",
    "provider": "index 0-1",
    "chip": "index 0-1",
    "cost": "MUSD",
    "total_cost": "MUSD",
    "energy_cost": "MUSD",
    "emissions": "kt CO2e",
    "resilience": "share of target kept (N-1)",
}

#: What a frontier point's mix shares are of: the compute counted towards the target, as the
#: share limits read it. Capacity would mislead: on the EU scenario the max-index plan holds
#: PUBLIC at its 40% cap of counted compute but owns 46% of the capacity (JUPITER and the
#: modules rounded up count in capacity, not all in the target).
SHARE_OF = "counted_eflops"
#: Relative tolerance when holding an objective at its optimum (lexicographic stages).
LEX_TOLERANCE = 1e-7
#: Two points are the same when every objective differs by less than this share of its range.
SAME_POINT = 1e-6
#: Relative room above a neighbour's dual bound in the main-objective cap (HiGHS's bound
#: carries its LP tolerances; 1e-6 is far below any MIP gap the planner uses).
MAIN_CAP_TOLERANCE = 1e-6


# --- the engine: one persistent HiGHS model ------------------------------------------------
@dataclass
class Found:
    """One solved grid point (or payoff row): objective values and the plan's vector."""

    values: np.ndarray  # natural units, in the order of ``names``
    x: np.ndarray
    status: str
    gap: float | None
    source: str  # "payoff:<order>" or "grid:<i,j>"
    seconds: float = 0.0
    #: the solve's dual bound on what it maximised (g form; None: none known)
    bound: float | None = None
    #: already re-read by ``solve``'s last LP pass (the end point that is ``solve``'s plan)
    final: bool = False


class Engine:
    """The objectives of a prepared model, its ε rows and lexicographic rows, and counters.

    ``names`` = (x, y) or (x, y, z); y is the main objective, the others are constrained.
    """

    def __init__(self, prep, names: list[str], time_limit: float, mip_gap: float) -> None:
        self.prep = prep
        self.names = list(names)
        self.time_limit = time_limit
        self.mip_gap = mip_gap
        h, m = prep.highs, prep.model
        self.h = h
        self.exprs = [getattr(m, OBJECTIVES[n]).expr for n in names]
        self.signs = np.array(
            [1.0 if SENSES[OBJECTIVES[n]] == pyo.maximize else -1.0 for n in names]
        )
        #: g_k = sign_k * f_k as Pyomo expressions (plain float coefficients)
        self.g = [float(s) * e for s, e in zip(self.signs, self.exprs, strict=True)]
        self.main = 1
        self.constrained = [0] if len(names) == 2 else [0, 2]
        self.calls = 0
        self.solve_seconds = 0.0
        #: solves this engine expects to run (its share of a study-wide time limit is what is
        #: left over the solves still to come; 0: each solve may take all that is left)
        self.planned = 0
        #: status of the last lexicographic stage that found no plan (time-out or proof)
        self.failed_status: str | None = None
        #: HiGHS seconds of the grid points' stages: [stage 1 (main), later stages]
        self.point_seconds = [0.0, 0.0]
        self._lin = [h.linear(e) for e in self.exprs]
        # the ε rows g_k >= e_k and the rows that hold an objective at its optimum: all start
        # free (non-binding) and are moved by their bounds only
        for j, k in enumerate(self.constrained):
            h.set_row(f"pareto_eps_{j}", self.g[k])
        for k in range(len(names)):
            h.set_row(f"pareto_lex_{k}", self.g[k])
        h.set_row("pareto_main_cap", self.g[self.main])
        self._objective: tuple | None = None

    # objective values ---------------------------------------------------------------------
    def values(self, x: np.ndarray) -> np.ndarray:
        """Natural-unit values of the objectives at ``x``."""
        return np.array([c + (v @ x[i] if len(i) else 0.0) for i, v, c in self._lin])

    def better(self, values: np.ndarray) -> np.ndarray:
        """Values in "larger is better" form (g = ±f)."""
        return self.signs * values

    # solving ------------------------------------------------------------------------------
    def _solve(self, start: np.ndarray | None, options: dict | None = None) -> SolveOutcome:
        limit = clock.lesser(self.time_limit, clock.share(self.planned - self.calls))
        out = self.h.solve(time_limit=limit, mip_gap=self.mip_gap, start=start, options=options)
        self.calls += 1
        self.solve_seconds += out.seconds
        return out

    def _set_objective(self, key: tuple, expr) -> None:
        if self._objective != key:
            self.h.set_objective(expr, pyo.maximize)
            self._objective = key

    def relax(self) -> None:
        """Make every ε and lexicographic row non-binding."""
        for j in range(len(self.constrained)):
            self.h.relax_row(f"pareto_eps_{j}")
        for k in range(len(self.names)):
            self.h.relax_row(f"pareto_lex_{k}")
        self.h.relax_row("pareto_main_cap")

    def lexicographic(
        self,
        order: list[int],
        start: np.ndarray | None = None,
        held: tuple[tuple[int, float], ...] = (),
    ) -> Found | None:
        """Optimise the objectives in ``order``, each with the earlier ones held at their optima.

        ``held``: (objective, value in g form) pairs optimised before, elsewhere, and held at
        those values here: the last stages of a payoff row run in a worker process while the
        parent already hands out grid points (``_frontier``)."""
        self.relax()
        before = [k for k, _ in held]
        for k, g in held:
            self.hold_value(k, g)
        t0 = time.perf_counter()
        out = None
        status, gap = "optimal", 0.0
        for pos, k in enumerate(order):
            self._set_objective(("single", k), self.g[k])
            out = self._solve(start, self._stage_options(before + order[:pos]))
            if out.x is None:
                self.failed_status = out.status
                self.relax()
                return None
            if out.status != "optimal":
                status = out.status
            if gap is not None:  # the row's gap: the largest of its stages' gaps
                gap = max(gap, out.gap) if out.gap is not None else None
            start = out.x
            if pos < len(order) - 1:
                self.hold(k, out.x)
        self.relax()
        order_name = ",".join(self.names[k] for k in before + order)
        return Found(
            self.values(out.x), out.x, status, gap, f"payoff:{order_name}", time.perf_counter() - t0
        )

    def _stage_options(self, held: list[int]) -> dict[str, object] | None:
        """HiGHS options of a lexicographic stage with the objectives ``held`` at their optima:
        none for the first; a later stage is a tie-break (``TIE_BREAK_OPTIONS``, as in
        ``solve``), and a held spending objective (cost, energy cost, emissions: minimised)
        is a cap (``CAP_BOUND_OPTIONS``, as at the grid points)."""
        if not held:
            return None
        options = dict(TIE_BREAK_OPTIONS)
        if any(self.signs[k] < 0 for k in held):
            options.update(CAP_BOUND_OPTIONS)
        return options

    def hold(self, k: int, x: np.ndarray) -> float:
        """Hold objective ``k`` at least as good as at ``x`` (``LEX_TOLERANCE``, relative):
        the row of a later lexicographic stage. Returns the held value (g form)."""
        g = float(self.signs[k] * self.values(x)[k])
        self.hold_value(k, g)
        return g

    def hold_value(self, k: int, g: float) -> None:
        """Hold objective ``k`` at least at ``g`` (g form), less ``LEX_TOLERANCE`` relative."""
        tol = LEX_TOLERANCE * max(1.0, abs(g))
        self.h.set_row(f"pareto_lex_{k}", None, lower=g - tol, upper=INF)

    def point(
        self,
        e: np.ndarray,
        start: np.ndarray | None,
        main_cap: float | None = None,
    ) -> SolveOutcome:
        """The efficient point at grid value ``e`` (g form, one per constrained objective):
        a lexicographic solve with the ε rows g_k ≥ e_k in place.

        Stage 1 maximises the main objective g_y. Stage 2 holds g_y at stage 1's value and
        maximises the constrained objective (with ``z``: x, then z with x held too), so the
        point is the best in x among the plans best in y: with x = cost, the cheapest plan at
        its index. Why stages and not one augmented objective g_y + δ·slack: with any usable
        δ a relative MIP gap on that sum hides whole cost levels (EU, δ = 10^-3 of the index
        range: a MUSD of slack was worth 5e-8 index, so a 1e-4 gap hid up to ~1,600 MUSD,
        and a row cost 9 MUSD above the cheapest plan at its index, issue 29). Each stage
        here is proven within ``mip_gap`` on its own objective, as ``solve``'s tie-break is.

        Every stage runs with ``CAP_BOUND_OPTIONS`` (an ε row on cost is a budget: the
        search setting for budgets took the EU frontier's grid from 69 s to 25-28 s, serial,
        issue 15 round 4); the later stages add ``TIE_BREAK_OPTIONS``, as in ``solve``.
        Stage 1's plan starts stage 2. ``main_cap``: a dual bound from a looser point
        (module doc, 5), or None.

        Returns stage 1's status, gap and dual bound on g_y (what the neighbour cap reads)
        and the last stage's plan; the status is "feasible" when any stage stopped at its
        limit, and ``tie_break_gap`` is the largest later stage's gap.
        """
        for j, _ in enumerate(self.constrained):
            self.h.set_row(f"pareto_eps_{j}", None, lower=float(e[j]), upper=INF)
        if main_cap is None or not math.isfinite(main_cap):
            self.h.relax_row("pareto_main_cap")
        else:
            slack = MAIN_CAP_TOLERANCE * max(1.0, abs(main_cap))
            self.h.set_row("pareto_main_cap", None, lower=-INF, upper=main_cap + slack)
        self._set_objective(("single", self.main), self.g[self.main])
        first = self._solve(start, CAP_BOUND_OPTIONS)
        self.point_seconds[0] += first.seconds
        if first.x is None:
            return first
        x, status, seconds, later_gap = first.x, first.status, first.seconds, 0.0
        held = [self.main]
        for k in self.constrained:
            self.hold(held[-1], x)  # the stage just solved; earlier holds stay in place
            self._set_objective(("single", k), self.g[k])
            out = self._solve(x, {**TIE_BREAK_OPTIONS, **CAP_BOUND_OPTIONS})
            seconds += out.seconds
            self.point_seconds[1] += out.seconds
            if out.x is None:  # no plan at all (time limit): keep the last stage's
                status = "feasible"
                later_gap = None
                break
            if out.status != "optimal":
                status = "feasible"
            x = out.x
            if later_gap is not None:
                later_gap = max(later_gap, out.gap if out.gap is not None else math.inf)
            held.append(k)
        for k in held:
            self.h.relax_row(f"pareto_lex_{k}")
        return SolveOutcome(
            status,
            float(self.signs[self.main] * self.values(x)[self.main]),
            first.bound,
            first.gap,
            seconds,
            x,
            first.message,
            tie_break_gap=later_gap,
        )


# --- grid sweep (also run inside worker processes) -----------------------------------------
@dataclass
class Grid:
    """ε values per constrained objective (g form), loosest first."""

    values: list[np.ndarray]

    @property
    def steps(self) -> np.ndarray:
        return np.array([(v[1] - v[0]) if len(v) > 1 else 0.0 for v in self.values])

    def at(self, idx: tuple[int, ...]) -> np.ndarray:
        return np.array([self.values[j][i] for j, i in enumerate(idx)])


def _order(grid: Grid, outer: list[int]) -> list[tuple[int, ...]]:
    """Grid indices of one worker: outer index (last objective) major, loose to tight."""
    if len(grid.values) == 1:
        return [(i,) for i in outer]
    return [(i, o) for o in outer for i in range(len(grid.values[0]))]


def _warm_start(engine: Engine, known: list[Found], e: np.ndarray) -> np.ndarray | None:
    """The known plan feasible at ``e`` with the best main objective (a valid MIP start)."""
    best, best_key = None, None
    for f in known:
        g = engine.better(f.values)
        cons = g[engine.constrained]
        if np.all(cons >= e - 1e-9 * np.maximum(1.0, np.abs(e))):
            key = (g[engine.main], float(np.sum(cons - e)))
            if best_key is None or key > best_key:
                best, best_key = f.x, key
    return best


class GridSweep:
    """AUGMECON-R's flag array over the grid points of ``outer``: which points are left to
    solve, and what each answer settles for the others.

    Bypass: a solution with slack s_k is also the answer at the next ⌊s_k/step_k⌋ tighter
    grid values. Early exit: every point tighter (in all constrained objectives) than an
    infeasible one is infeasible. One object serves the serial sweep and the process pool
    (``_sweep_pool``), so both skip exactly by these two rules. In the pool, a point already
    handed out that a later answer bypasses is ``superseded``: its solve is cancelled and its
    answer, whatever it is, ignored, or dropped if it came first (the bypassing point is the
    answer there, as in the serial sweep). EU, 7 points: the two loosest interior points ran side by side and gave
    the same plan; the second's 6.5 s after the first's answer were wasted.
    """

    def __init__(
        self,
        engine: Engine,
        grid: Grid,
        outer: list[int],
        seeds: list[Found],
        seeded: dict[tuple[int, ...], Found] | None = None,
    ) -> None:
        self.engine, self.grid = engine, grid
        self.order = _order(grid, outer)
        self._members = set(self.order)
        self.flags: dict[tuple[int, ...], str] = {}
        self.known = list(seeds)
        #: dual bound (g form) of each grid point solved here
        self.bounds: dict[tuple[int, ...], float] = {}
        self.found: list[Found] = []
        #: handed out, answer not yet recorded
        self.pending: set[tuple[int, ...]] = set()
        #: handed out, then bypassed by another point's answer (``_mark_same``)
        self.superseded: set[tuple[int, ...]] = set()
        #: the answer recorded at each grid point solved here
        self.answers: dict[tuple[int, ...], Found] = {}
        self.stats = {
            "grid_points": len(self.order),
            "solved": 0,
            "bypassed": 0,
            "infeasible_skipped": 0,
        }
        for idx, f in (seeded or {}).items():
            self.flags[idx] = "seed"
            if f.status == "optimal":
                self._mark_same(idx, f)

    def next_point(self) -> tuple[int, ...] | None:
        """The loosest grid point not yet solved, handed out or settled (None when done)."""
        return next((idx for idx in self.order if idx not in self.flags), None)

    def take(self, idx: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        """Hand out ``idx``: its grid value and the best known plan feasible there."""
        self.flags[idx] = "solved"
        self.stats["solved"] += 1
        self.pending.add(idx)
        e = self.grid.at(idx)
        return e, _warm_start(self.engine, self.known, e)

    def main_cap(self, idx: tuple[int, ...]) -> float | None:
        """A cap on the main objective at ``idx``: the least dual bound among its solved
        neighbours one grid step looser in one constrained objective (grid indices run loose
        to tight), or None. Any looser point's bound is valid; only the adjacent ones are used
        because a farther bound is too loose to help and only moves HiGHS's search path (EU
        frontier, 11 points on 2 workers, seeds 0-4, medians: every looser point's bound
        19.9 s, adjacent only 19.5 s, no cap 18.5 s: no gain there, within the noise; the
        gain is on dense serial grids, module doc, 5)."""
        caps = [
            b
            for other, b in self.bounds.items()
            if all(o <= i for o, i in zip(other, idx, strict=True))
            and sum(i - o for o, i in zip(other, idx, strict=True)) == 1
        ]
        return min(caps) if caps else None

    def record(self, idx: tuple[int, ...], status: str, found: Found | None) -> None:
        """Take in the answer at ``idx`` (``found`` None: no plan; ``status`` says why); an
        answer at a superseded point is ignored."""
        self.pending.discard(idx)
        if idx in self.superseded:
            return
        if found is not None and found.bound is not None and math.isfinite(found.bound):
            self.bounds[idx] = float(found.bound)
        if found is None:
            if status == "infeasible":
                self._mark_infeasible(idx)
            return
        self.found.append(found)
        self.known.append(found)
        self.answers[idx] = found
        if found.status == "optimal":
            self._mark_same(idx, found)

    def _mark_same(self, idx: tuple[int, ...], f: Found) -> None:
        steps = self.grid.steps
        slack = self.engine.better(f.values)[self.engine.constrained] - self.grid.at(idx)
        jumps = [
            int(math.floor(s / st + 1e-9)) if st > 0 else 0
            for s, st in zip(slack, steps, strict=True)
        ]
        ranges = [range(i, i + b + 1) for i, b in zip(idx, jumps, strict=True)]
        for other in itertools.product(*ranges):
            if other == idx or other not in self._members:
                continue
            if other in self.pending:  # handed out, still solving: its answer is this one
                self.superseded.add(other)
                self.pending.discard(other)
                self.stats["solved"] -= 1
            elif other in self.answers:
                # answered before this looser point (in the pool): the serial sweep would
                # have taken this answer there, so the earlier one goes (the same point
                # within the gaps, or a near-copy that the merge would keep as a row)
                dropped = self.answers.pop(other)
                self.found = [g for g in self.found if g is not dropped]
                self.superseded.add(other)
                self.stats["solved"] -= 1
            elif other in self.flags:
                continue
            self.flags[other] = "same"
            self.stats["bypassed"] += 1

    def _mark_infeasible(self, idx: tuple[int, ...]) -> None:
        for other in self.order:
            if other not in self.flags and all(o >= i for o, i in zip(other, idx, strict=True)):
                self.stats["infeasible_skipped"] += 1
                self.flags[other] = "infeasible"


def point_gap(out: SolveOutcome) -> float | None:
    """The gap a frontier point reports: the larger of its stages' relative gaps (stage 1 on
    the main objective, the later ones on the constrained objectives, ``Engine.point``)."""
    gaps = [out.gap, out.tie_break_gap]
    return max((g for g in gaps if g is not None), default=None)


def _found(engine: Engine, out: SolveOutcome, idx: tuple[int, ...], seconds: float) -> Found:
    source = "grid:" + ",".join(map(str, idx))
    return Found(
        engine.values(out.x), out.x, out.status, point_gap(out), source, seconds, out.bound
    )


def sweep_grid(
    engine: Engine,
    grid: Grid,
    outer: list[int],
    seeds: list[Found],
    seeded: dict[tuple[int, ...], Found] | None = None,
) -> tuple[list[Found], dict[str, int]]:
    """Solve the grid points of ``outer`` in this process, loosest first, with bypass and
    early exit (``GridSweep``); return the new points and the counters."""
    sweep = GridSweep(engine, grid, outer, seeds, seeded)
    while (idx := sweep.next_point()) is not None:
        e, start = sweep.take(idx)
        t0 = time.perf_counter()
        out = engine.point(e, start, main_cap=sweep.main_cap(idx))
        found = _found(engine, out, idx, time.perf_counter() - t0) if out.x is not None else None
        sweep.record(idx, out.status, found)
    return sweep.found, sweep.stats


def sweep_exact(engine: Engine, lo: float, hi: float, seeds: list[Found]) -> list[Found]:
    """Two objectives: every efficient point, stepping ε just past each one found."""
    found: list[Found] = []
    known = list(seeds)
    resolution = SAME_POINT * max(hi - lo, 1e-9)
    k = engine.constrained[0]
    start_pt = min(seeds, key=lambda f: engine.better(f.values)[k])
    e = engine.better(start_pt.values)[k] + resolution
    cap = None  # each ε is tighter than the last: its bound caps the next (module doc, 5)
    while e <= hi:
        ee = np.array([e])
        t0 = time.perf_counter()
        out = engine.point(ee, _warm_start(engine, known, ee), main_cap=cap)
        if out.x is None:
            break
        if out.bound is not None and math.isfinite(out.bound):
            cap = out.bound if cap is None else min(cap, out.bound)
        f = Found(
            engine.values(out.x), out.x, out.status, point_gap(out), f"exact:{e:.9g}",
            time.perf_counter() - t0,
        )  # fmt: skip
        found.append(f)
        known.append(f)
        e = max(engine.better(f.values)[k], e) + resolution
    return found


# --- worker processes ----------------------------------------------------------------------
#: This worker process's model (built once by ``_init_point_worker``, reused for every point).
_POINT_ENGINE: Engine | None = None
#: Its columns' digest (``_column_digest``), computed once.
_POINT_DIGEST = ""
#: What the worker was started with (scenario, names, time limit, gap, planned solves), to
#: build its model again if a cancelled solve left it unusable (``HighsModel.abandoned``).
_POINT_SETUP: tuple | None = None
#: One byte per grid task, shared with the parent: set when the parent no longer needs the
#: task's answer (``GridSweep.superseded``); the worker's solve is then cancelled.
_CANCEL: Any = None


class _CancelSlot:
    """A task's byte in the shared cancel array, read as an event (``deadline.cancellable``
    asks only ``is_set``): HiGHS is cancelled at its next 50 ms poll once it is set."""

    def __init__(self, flags: Any, slot: int) -> None:
        self.flags, self.slot = flags, slot

    def is_set(self) -> bool:
        return bool(self.flags[self.slot])


def _column_digest(engine: Engine) -> str:
    names = "\n".join(v.name for v in engine.h.columns)
    return hashlib.sha1(names.encode()).hexdigest()


def _init_point_worker(
    scenario: Scenario,
    names: list[str],
    time_limit: float,
    mip_gap: float,
    parent: int,
    end: float | None = None,
    planned: int = 0,
    cancel: Any = None,
) -> None:
    """Pool initializer: prepare the scenario once in this process (it then solves any
    number of grid points on the same persistent HiGHS model). ``end``: the study's
    deadline (wall clock), ``planned``: the grid points this worker expects to solve,
    ``cancel``: the shared cancel array (``_CANCEL``)."""
    global _POINT_SETUP, _CANCEL
    become_worker(parent)
    clock.adopt(end)
    _POINT_SETUP = (scenario, names, time_limit, mip_gap, planned)
    _CANCEL = cancel
    _build_point_engine()


def _build_point_engine() -> None:
    global _POINT_ENGINE, _POINT_DIGEST
    from planner.core.prepare import prepare

    assert _POINT_SETUP is not None
    scenario, names, time_limit, mip_gap, planned = _POINT_SETUP
    _POINT_ENGINE = Engine(prepare(scenario), names, time_limit, mip_gap)
    _POINT_ENGINE.planned = planned
    _POINT_DIGEST = _column_digest(_POINT_ENGINE)


def _worker_digest() -> str:
    """The worker's model columns, so the parent can check they are its own."""
    assert _POINT_ENGINE is not None
    return _POINT_DIGEST


def _worker_engine(digest: str) -> Engine:
    """The worker's engine, built again if a cancelled solve left HiGHS abandoned."""
    if _POINT_ENGINE is None or _POINT_ENGINE.h.abandoned:
        _build_point_engine()
    assert _POINT_ENGINE is not None
    if digest != _POINT_DIGEST:
        raise RuntimeError("internal: worker model columns differ from the parent's")
    return _POINT_ENGINE


def _solve_point(
    e: np.ndarray,
    start: np.ndarray | None,
    main_cap: float | None,
    slot: int | None,
    digest: str,
) -> dict[str, Any]:
    """Solve one grid point in a worker; the answer as plain data for the parent. ``slot``:
    the task's byte in the cancel array (``_CANCEL``)."""
    return _point_answer(_worker_engine(digest), e, start, main_cap, slot, _CANCEL)


def _solve_point_here(
    engine: Engine,
    e: np.ndarray,
    start: np.ndarray | None,
    main_cap: float | None,
    slot: int | None,
    cancel: Any,
    end: float | None,
) -> dict[str, Any]:
    """Solve one grid point on the parent's own model, in the parent's solver thread (the
    parent is one of the study's solvers: ``_pareto``). ``end``: the study's deadline as wall
    clock (deadlines are per thread, ``planner.core.deadline``)."""
    clock.adopt(end)
    return _point_answer(engine, e, start, main_cap, slot, cancel)


def _point_answer(
    engine: Engine,
    e: np.ndarray,
    start: np.ndarray | None,
    main_cap: float | None,
    slot: int | None,
    cancel: Any,
) -> dict[str, Any]:
    """``engine.point`` at ``e``, cancelled once the task's byte in ``cancel`` is set; the
    answer as plain data for the parent."""
    t0 = time.perf_counter()
    calls, stages = engine.calls, list(engine.point_seconds)
    if slot is not None and cancel is not None:
        with clock.cancellable(_CancelSlot(cancel, slot)):  # type: ignore[arg-type]
            out = engine.point(e, start, main_cap=main_cap)
    else:
        out = engine.point(e, start, main_cap=main_cap)
    values = engine.values(out.x) if out.x is not None else None
    return {
        "values": values,
        "x": out.x,
        "status": out.status,
        "gap": point_gap(out),
        "bound": out.bound,
        "seconds": time.perf_counter() - t0,
        "solve_seconds": out.seconds,
        "calls": engine.calls - calls,
        "stage_seconds": [a - b for a, b in zip(engine.point_seconds, stages, strict=True)],
    }


def _solve_tail(
    order: list[int], start: np.ndarray, held: tuple[tuple[int, float], ...], digest: str
) -> dict[str, Any]:
    """The later stages of a payoff row in a worker (``Engine.lexicographic`` with ``held``)."""
    return _tail_answer(_worker_engine(digest), order, start, held)


def _tail_here(
    engine: Engine,
    order: list[int],
    start: np.ndarray,
    held: tuple[tuple[int, float], ...],
    end: float | None,
) -> dict[str, Any]:
    """``_solve_tail`` on the parent's own model, in its solver thread."""
    clock.adopt(end)
    return _tail_answer(engine, order, start, held)


def _tail_answer(
    engine: Engine, order: list[int], start: np.ndarray, held: tuple[tuple[int, float], ...]
) -> dict[str, Any]:
    calls, seconds = engine.calls, engine.solve_seconds
    f = engine.lexicographic(order, start, held)
    return {
        "found": f,
        "status": engine.failed_status if f is None else f.status,
        "solve_seconds": engine.solve_seconds - seconds,
        "calls": engine.calls - calls,
    }


def worker_scenario(sc: Scenario, workers: int) -> Scenario:
    """The scenario a worker prepares: the cores shared out among the workers unless the
    scenario sets ``solver.threads``. Why: HiGHS takes every core by default, so W workers
    would each start that many threads (2 x 2 on 2 cores ran the EU frontier in 54 s
    against 35 s with one each)."""
    if sc.solver.threads is not None:
        return sc
    threads = max(1, (os.cpu_count() or 1) // workers)
    return sc.model_copy(update={"solver": sc.solver.model_copy(update={"threads": threads})})


def _grid_tasks(names: list[str], points: int | None) -> int:
    """Grid points the ε sweep may solve: the interior of a 2-objective grid, or all of it."""
    if not points:
        return 0
    return points - 2 if len(names) == 2 else points * points


def _start_pool(
    sc: Scenario,
    names: list[str],
    limit: float,
    gap: float,
    workers: int,
    points: int | None,
    processes: int | None = None,
):
    """Spawn ``processes`` (default ``workers``) processes that prepare the model while the
    parent solves the payoff table (each gets one warm-up call, which makes the pool start
    them all now); ``workers`` counts every solver, the parent's own included, and shares the
    cores and the grid among them. Returns the pool, the warm-up calls and the shared cancel
    array (one byte per grid task)."""
    processes = workers if processes is None else processes
    context = WorkerContext()
    cancel = context.RawArray("b", max(_grid_tasks(names, points), 1))
    pool = ProcessPoolExecutor(
        processes,
        mp_context=context,
        initializer=_init_point_worker,
        initargs=(
            worker_scenario(sc, workers),
            names,
            limit,
            gap,
            os.getpid(),
            clock.wall_end(),
            math.ceil(_grid_tasks(names, points) / workers),
            cancel,
        ),
    )
    ready = [pool.submit(_worker_digest) for _ in range(processes)]
    return pool, ready, cancel


class _Report:
    """The last LP pass (``_resplit``) and the Plan of each point, done once per point and
    kept, so the parent can do them while its workers solve (it would otherwise only wait;
    EU, 7 points: ``make_plan`` took 1.7 s of the 1.8 s after the sweep at load 5)."""

    def __init__(self, engine: Engine, y: str) -> None:
        self.engine, self.y = engine, y
        self.queue: list[Found] = []
        self._resplit: dict[int, tuple[Found, Found]] = {}
        self._plans: dict[int, tuple[Found, Plan]] = {}

    def add(self, f: Found) -> None:
        """A point to make ready when the parent is idle."""
        self.queue.append(f)

    def step(self) -> bool:
        """Make the oldest waiting point ready; False when none was waiting."""
        if not self.queue:
            return False
        self.plan(self.resplit(self.queue.pop(0)))
        return True

    def resplit(self, f: Found) -> Found:
        """``_resplit(engine, f)``, once per point."""
        hit = self._resplit.get(id(f))
        if hit is None or hit[0] is not f:
            hit = (f, _resplit(self.engine, f))
            self._resplit[id(f)] = hit
        return hit[1]

    def plan(self, f: Found) -> Plan:
        """The Plan of a re-split point, once per point."""
        hit = self._plans.get(id(f))
        if hit is None or hit[0] is not f:
            out = SolveOutcome(f.status, float(f.values[1]), None, f.gap, f.seconds, f.x, f.source)
            hit = (f, make_plan(self.engine.prep, out, f"pareto:{self.y}"))
            self._plans[id(f)] = hit
        return hit[1]


@dataclass
class PoolRun:
    """What ``_sweep_pool`` used and returned: solver calls and seconds of the workers,
    HiGHS seconds of the grid points by stage, and the payoff row's tail (``_solve_tail``)."""

    solver_calls: int = 0
    solve_seconds: float = 0.0
    stage_seconds: list[float] = field(default_factory=lambda: [0.0, 0.0])
    tail: dict[str, Any] | None = None
    #: the payoff row the tail completes (``_joined``), None when it found no plan
    tail_found: Found | None = None
    cancelled: int = 0


def _sweep_pool(
    pool: ProcessPoolExecutor,
    workers: int,
    sweep: GridSweep,
    digest: str,
    cancel: Any = None,
    tail: tuple | None = None,
    head: Found | None = None,
    report: _Report | None = None,
    local: ThreadPoolExecutor | None = None,
) -> PoolRun:
    """Hand grid points to the solvers one at a time, loosest first, at most ``workers`` in
    flight; each answer updates the flags before the next point is chosen.

    Why one at a time and not fixed chunks: ε solves differ by 10x or more in time (on the
    EU frontier 1-24 s), so fixed halves left one worker idle for most of the run.

    ``local``: the parent's solver thread (its own model, ``report.engine``), one of the
    ``workers`` solvers; the pool's processes are the others. ``tail``: (order, start,
    held) of the payoff row's later stages, handed out first (with two objectives, the
    best-x end's second stage: only its first stage, which fixes the grid, has to be known
    before the grid starts). ``cancel``: the shared cancel array; a point in flight that an
    answer supersedes (``GridSweep``) is cancelled through it. ``head``: the first stage the
    tail continues. ``report``: gets every point as it comes in and does its work while the
    parent's model is free and the parent would otherwise only wait (``_Report``).
    """
    in_flight: dict[Any, tuple[int, ...] | None] = {}
    slots: dict[tuple[int, ...], int] = {}
    run = PoolRun()
    here: list[Any] = []  # every future of the parent's thread, dropped ones included
    engine = report.engine if report is not None else None
    end = clock.wall_end()

    def local_free() -> bool:
        return local is not None and not any(f in in_flight for f in here)

    def submit(fn_here, fn_pool, args: tuple, cancel_args: tuple = ()) -> Any:
        """On the parent's thread when it is free, else in the pool."""
        if local_free():
            fut = local.submit(fn_here, engine, *args, *cancel_args, end)  # type: ignore[union-attr]
            here.append(fut)
            return fut
        return pool.submit(fn_pool, *args, digest)

    def room() -> bool:
        pool_used = sum(1 for f in in_flight if f not in here)
        return local_free() or pool_used < workers - (local is not None)

    if tail is not None:
        in_flight[submit(_tail_here, _solve_tail, tail)] = None
    while True:
        while room() and (idx := sweep.next_point()) is not None:
            e, start = sweep.take(idx)
            cap = sweep.main_cap(idx)
            slots[idx] = len(slots)
            slot = slots[idx] if cancel is not None and slots[idx] < len(cancel) else None
            args = (e, start, cap, slot)
            in_flight[submit(_solve_point_here, _solve_point, args, (cancel,))] = idx
        if not in_flight:
            return run
        done: set = set()
        while report is not None and not done and all(f.done() for f in here):
            done, _ = wait(in_flight, timeout=0, return_when=FIRST_COMPLETED)
            if not done and not report.step():
                break
        if not done:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for fut in done:
            idx = in_flight.pop(fut)
            r = fut.result()
            run.solve_seconds += r["solve_seconds"]
            run.solver_calls += r["calls"]
            if idx is None:
                run.tail = r
                if r["found"] is not None:
                    sweep.known.append(r["found"])
                    assert head is not None
                    run.tail_found = _joined(head, r["found"])
                    if report is not None:
                        report.add(run.tail_found)
                continue
            run.stage_seconds = [
                a + b for a, b in zip(run.stage_seconds, r["stage_seconds"], strict=True)
            ]
            found = None
            if r["x"] is not None:
                found = Found(
                    np.asarray(r["values"]),
                    np.asarray(r["x"]),
                    r["status"],
                    r["gap"],
                    "grid:" + ",".join(map(str, idx)),
                    r["seconds"],
                    r["bound"],
                )
            sweep.record(idx, r["status"], found)
            if found is not None and report is not None and idx not in sweep.superseded:
                report.add(found)
        for fut, where in list(in_flight.items()):
            if where is not None and where in sweep.superseded:
                # its answer is not needed: the solver stops within HiGHS's next poll (its
                # future is dropped; the pool's shutdown waits for it) and takes the next
                del in_flight[fut]
                run.cancelled += 1
                if cancel is not None and slots[where] < len(cancel):
                    cancel[slots[where]] = 1


# --- result --------------------------------------------------------------------------------
@dataclass
class ParetoResult:
    """The frontier: ``table`` (one row per efficient point) and ``plans`` (one Plan per row).

    ``table`` columns: ``point``; one column per objective named as asked (``cost`` in MUSD,
    ``sovereignty`` index, ... see ``UNITS``); ``status`` and ``gap`` of the solve behind the
    point; ``providers``, ``chips``, ``countries`` (final-period mix, top 3 with shares of
    the counted compute, i.e. of the target, as the share limits and ``sovplan solve``'s
    reading measure them; capacity built beyond the target is not a share);
    ``knee`` and ``structure_change`` (a provider or chip platform enters or leaves compared
    with the previous row). Rows are sorted by x, then y. ``plans[i]`` is row i's full Plan.
    """

    scenario_name: str
    names: list[str]
    table: pd.DataFrame
    plans: list[Plan]
    payoff: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.table.empty

    @property
    def knee(self) -> int | None:
        """Row index of the knee point (None when the frontier has none)."""
        rows = np.flatnonzero(self.table["knee"].to_numpy()) if self.ok else []
        return int(rows[0]) if len(rows) else None

    def __len__(self) -> int:
        return len(self.table)

    def mix(self, by: str = "provider") -> pd.DataFrame:
        """Final-period share of the counted compute (of the target) by ``by``
        (provider|chip|country|designer) per point: what the share limits bound."""
        frames = []
        for i, plan in enumerate(self.plans):
            alloc = plan.allocation
            if alloc.empty:
                continue
            final = alloc[alloc["period"] == alloc["period"].max()]
            g = final.groupby(group_column(final, by))[SHARE_OF].sum()
            total = g.sum()
            frames.append(
                pd.DataFrame(
                    {"point": i, by: g.index, "share": (g / total if total > 0 else g).to_numpy()}
                )
            )
        if not frames:
            return pd.DataFrame(columns=["point", by, "share"])
        return pd.concat(frames, ignore_index=True)


def _top(final: pd.DataFrame, col: str, n: int = 3) -> str:
    g = final.groupby(col)[SHARE_OF].sum().sort_values(ascending=False, kind="stable")
    total = g.sum()
    if total <= 0:
        return ""
    g = g[g > 0]
    parts = [f"{k} {v / total:.0%}" for k, v in g.head(n).items()]
    if len(g) > n:
        parts.append(f"+{len(g) - n}")
    return ", ".join(parts)


def _structure(plan: Plan) -> tuple[frozenset, frozenset]:
    used = plan.allocation[plan.allocation["modules"] > 0]
    return frozenset(used["provider"]), frozenset(used["chip"])


def knee_flags(g: np.ndarray) -> np.ndarray:
    """Knee per row of ``g`` (points × objectives, larger is better); see the module doc."""
    flags = np.zeros(len(g), dtype=bool)
    if len(g) < 3:
        return flags
    lo, hi = g.min(axis=0), g.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    score = ((g - lo) / span).sum(axis=1)
    # endpoints of the frontier: the best point in each objective; the knee must beat them
    base = max(score[int(np.argmax(g[:, k]))] for k in range(g.shape[1]))
    best = int(np.argmax(score))
    if score[best] > base + 1e-9:
        flags[best] = True
    return flags


def _merge(points: list[Found], engine: Engine, ranges: np.ndarray) -> tuple[list[Found], int]:
    """Drop duplicates (keeping the best-status one) and dominated points; deterministic."""
    scale = np.maximum(np.abs(ranges), 1e-9)
    rank = {"optimal": 0, "feasible": 1}
    pts = sorted(points, key=lambda f: (rank.get(f.status, 2), f.source))
    unique: list[Found] = []
    for f in pts:
        g = engine.better(f.values)
        if not any(
            np.all(np.abs(g - engine.better(u.values)) <= SAME_POINT * scale) for u in unique
        ):
            unique.append(f)
    tol = SAME_POINT * scale
    kept = []
    for f in unique:
        g = engine.better(f.values)
        dominated = any(
            np.all(engine.better(o.values) >= g - tol) and np.any(engine.better(o.values) > g + tol)
            for o in unique
            if o is not f
        )
        if not dominated:
            kept.append(f)
    return kept, len(unique) - len(kept)


# --- the API -------------------------------------------------------------------------------
def _check_names(x: str, y: str, z: str | None) -> list[str]:
    names = [x, y] + ([z] if z else [])
    for axis, name in zip(("x", "y", "z"), names, strict=False):
        if name not in OBJECTIVES:
            raise InputError(
                f"--{axis}: unknown objective '{name}'; choose from "
                + ", ".join(k for k in OBJECTIVES if k != "total_cost")
            )
    if len({OBJECTIVES[n] for n in names}) < len(names):
        raise InputError(f"objectives must differ; got {', '.join(names)}")
    return names


def pareto(
    scenario: Scenario | str | Path,
    x: str = "cost",
    y: str = "sovereignty",
    points: int | None = 21,
    z: str | None = None,
    workers: int = 1,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    time_limit_per_solve: float | None = None,
    progress: ProgressCallback | None = None,
) -> ParetoResult:
    """The efficient frontier of ``y`` (main objective) against ``x`` (and ``z``).

    scenario: a Scenario or the path of its YAML. x, y, z: objective names (``OBJECTIVES``:
    sovereignty, territorial, provider, chip, cost, energy_cost, emissions, resilience).
    points: ε grid values per constrained objective (z: points × points grid); None or 0:
    every efficient point (two objectives only). workers: processes sharing the grid (each
    builds its own model; the result does not depend on it). time_limit: seconds for the
    whole study, shared out across its solves (each takes an equal part of what is left over
    the solves still to come); time_limit_per_solve: a bound on each solve as well (default:
    the scenario's ``solver.time_limit``). mip_gap: per solve. progress: ``progress(done,
    total)`` as solves finish, worker processes included, against ``pareto_solves``'s
    estimate (``planner.core.progress``). Returns a ``ParetoResult``; its ``.table`` is the
    DataFrame.
    """
    names = _check_names(x, y, z)
    exact = not points
    if exact and z:
        raise InputError("--points 0 (every efficient point) needs two objectives; drop --z")
    if not exact and points < 2:
        raise InputError(f"--points: need at least 2 grid points, got {points}")
    if workers < 1:
        raise InputError(f"--workers: need at least 1, got {workers}")
    time_limit = check_time_limit(time_limit, "time_limit")
    per_solve = check_time_limit(time_limit_per_solve, "time_limit_per_solve")
    with clock.scope(time_limit), track(pareto_solves(points, z), progress):
        return _pareto(scenario, names, points, workers, per_solve, mip_gap)


def pareto_solves(points: int | None, z: str | None) -> int:
    """Estimated solves of a frontier, for a progress bar: the payoff table (about two per
    objective) and at most one per grid point (fewer when points are bypassed)."""
    k = 3 if z else 2
    grid = (points or 21) ** (2 if z else 1)
    return 2 * k + grid


def _pareto(
    scenario: Scenario | str | Path,
    names: list[str],
    points: int | None,
    workers: int,
    per_solve: float | None,
    mip_gap: float | None,
) -> ParetoResult:
    """``pareto`` after its checks, inside the study's deadline."""
    exact = not points
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    limit = float(per_solve if per_solve is not None else sc.solver.time_limit)
    gap = float(mip_gap if mip_gap is not None else sc.solver.mip_gap)
    t0 = time.perf_counter()
    # grid points the workers could share: the interior of a 2-objective grid, or all of it
    tasks = 0 if exact else (points - 2 if len(names) == 2 else points * points)
    n_workers = min(workers, tasks)
    pool, ready, cancel, local = (None, [], None, None)
    if n_workers > 1:
        # the parent is one of the solvers (its model is warm once the payoff table is
        # solved): one process fewer to start, and none competing with the parent's payoff
        # solves for the cores while it starts
        processes = n_workers - 1
        pool, ready, cancel = _start_pool(sc, names, limit, gap, n_workers, points, processes)
        local = ThreadPoolExecutor(1, thread_name_prefix="sovplan-pareto")
    try:
        return _frontier(sc, names, points, limit, gap, t0, pool, ready, n_workers, cancel, local)
    except BaseException:
        if cancel is not None:  # stop the parent's own solve too, at HiGHS's next poll
            cancel[:] = [1] * len(cancel)
        if pool is not None:
            stop_pool(pool)
            pool = None
        raise
    finally:
        if local is not None:
            local.shutdown(wait=True)
        if pool is not None:
            pool.shutdown(wait=True)


def _frontier(
    sc: Scenario,
    names: list[str],
    points: int | None,
    limit: float,
    gap: float,
    t0: float,
    pool: ProcessPoolExecutor | None,
    ready: list,
    n_workers: int,
    cancel: Any = None,
    local: ThreadPoolExecutor | None = None,
) -> ParetoResult:
    """``pareto`` after its checks: payoff table, grid sweep (here or in ``pool``), merge.

    With two objectives the grid needs only each end's value of the constrained objective x:
    the best-y end (y, then x) and the first stage of the best-x end (x alone). The best-x
    end's second stage (y with x held) is therefore solved beside the grid points: in a
    worker when there is a pool (EU: 1.8-4.9 s no longer before the first grid point), here
    right after its first stage otherwise. Either way the grid is spaced from that first
    stage's value of x, so the rows do not depend on the number of workers."""
    from planner.core.prepare import prepare

    exact = not points
    y = names[1]
    prep = prepare(sc)
    # before the engine adds its rows, so HiGHS holds exactly the model ``solve`` solves
    end = _solve_end_point(prep, names, limit, gap)
    engine = Engine(prep, names, limit, gap)
    d = len(names)
    # the study's time limit is shared over the payoff stages and this process's grid points
    share = 1 if pool is None else (n_workers if local is not None else 0)
    engine.planned = d * d + (math.ceil(_grid_tasks(names, points) / share) if share else 0)

    # 1. payoff table: each objective first, the others after it in cyclic order
    orders = [[1, 0], [0, 1]] if d == 2 else [[1, 0, 2], [0, 2, 1], [2, 1, 0]]
    payoff: list[Found] = []
    start = None
    head: Found | None = None  # the best-x end's first stage (two objectives)
    tail: tuple | None = None  # its later stages: (order, start, held)
    for order in orders:
        if end is not None and order == end[0]:
            out = end[1]
            order_name = ",".join(names[k] for k in order)
            f = Found(
                engine.values(out.x), out.x, out.status, point_gap(out),
                f"payoff:{order_name}", out.seconds, final=True,
            )  # fmt: skip
        elif d == 2 and order is orders[-1]:
            head = engine.lexicographic(order[:1], start)
            if head is None:
                return _empty(sc, names, engine, t0, _no_payoff(engine.failed_status))
            k = order[0]
            tail = (order[1:], head.x, ((k, float(engine.better(head.values)[k])),))
            if pool is not None:
                break  # solved in the pool, beside the grid points
            f = engine.lexicographic(*tail)
            if f is None:
                return _empty(sc, names, engine, t0, _no_payoff(engine.failed_status))
            f = _joined(head, f)
        else:
            f = engine.lexicographic(order, start)
        if f is None:
            return _empty(sc, names, engine, t0, _no_payoff(engine.failed_status))
        payoff.append(f)
        start = f.x
    # the grid's ends: the payoff rows, the best-x end by its first stage (two objectives)
    ends = payoff[:1] + [head] if head is not None else payoff
    G = np.array([engine.better(f.values) for f in ends])
    lo, hi = G.min(axis=0), G.max(axis=0)

    # 2. the ε grid (loosest first) and the sweep
    t_grid = time.perf_counter()
    t_calls = engine.calls
    stats: dict[str, Any] = {"payoff_solver_calls": t_calls, "payoff_seconds": t_grid - t0}
    found: list[Found] = []
    cons = engine.constrained
    stats["workers"] = 1
    used: PoolRun | None = None
    report = _Report(engine, y)
    if exact:
        found = sweep_exact(engine, float(lo[0]), float(hi[0]), payoff)
        stats.update(grid_points=None, solved=engine.calls - stats["payoff_solver_calls"])
        stats.update(bypassed=0, infeasible_skipped=0)
    else:
        grid = Grid(
            [np.linspace(lo[k], hi[k], points) if (hi - lo)[k] > 0 else lo[k : k + 1] for k in cons]
        )
        seeded: dict[tuple[int, ...], Found] = {}
        outer = list(range(len(grid.values[-1])))
        if d == 2:
            # the grid's ends are the payoff endpoints: loosest = best y, tightest = best x
            seeded[(0,)] = payoff[0]
            if len(payoff) > 1:
                seeded[(len(grid.values[0]) - 1,)] = payoff[1]
            outer = outer[1:-1] if len(outer) > 1 else []
        if pool is None:
            found, agg = sweep_grid(engine, grid, outer, payoff, seeded)
        else:
            sweep = GridSweep(engine, grid, outer, payoff, seeded)
            digests = {f.result() for f in ready}
            digest = _column_digest(engine)
            if digests != {digest}:
                raise RuntimeError("internal: worker model columns differ from the parent's")
            pool_tail = tail if len(payoff) < len(orders) else None
            for f in payoff:
                report.add(f)
            used = _sweep_pool(
                pool, n_workers, sweep, digest, cancel, pool_tail, head, report, local
            )
            found, agg = sweep.found, sweep.stats
            # every solve of the sweep, the parent's thread's included (not engine.calls)
            stats["worker_solver_calls"] = used.solver_calls
            stats["workers"] = n_workers
            stats["cancelled"] = used.cancelled
            if pool_tail is not None:
                assert used.tail is not None
                if used.tail_found is None:
                    return _empty(sc, names, engine, t0, _no_payoff(used.tail["status"]))
                payoff.append(used.tail_found)
                stats["payoff_solver_calls"] += used.tail["calls"]
        stats.update(agg)
    # HiGHS seconds of the grid points, by stage (summed over the workers)
    stages = used.stage_seconds if used is not None else engine.point_seconds
    stats["point_stage_seconds"] = [float(v) for v in stages]
    if used is not None:  # the parent's engine also counts its thread's solves: not twice
        stats["solver_calls"] = t_calls + used.solver_calls
    else:
        stats["solver_calls"] = engine.calls
    G = np.array([engine.better(f.values) for f in payoff])
    ranges = G.max(axis=0) - G.min(axis=0)
    payoff_index = [f.source[7:] for f in payoff]

    t_merge = time.perf_counter()
    stats["grid_seconds"] = t_merge - t_grid
    # 3. merge, re-split (last LP pass), sort, plans and the table
    kept, dropped = _merge(payoff + found, engine, ranges)
    kept, dropped_after = _merge([report.resplit(f) for f in kept], engine, ranges)
    dropped += dropped_after
    payoff_table = pd.DataFrame(
        [report.resplit(f).values for f in payoff], columns=names, index=payoff_index
    )
    notes = []
    if dropped:
        notes.append(f"{dropped} dominated point(s) dropped (from solves stopped early)")
    kept.sort(key=lambda f: (f.values[0], -engine.signs[1] * f.values[1], f.source))
    plans = [report.plan(f) for f in kept]
    table = _table(names, kept, plans, engine)
    end_t = time.perf_counter()
    stats.update(points=len(kept), report_seconds=end_t - t_merge, seconds=end_t - t0)
    if any(f.status != "optimal" for f in kept):
        notes.append("some points come from solves stopped by the time limit (status 'feasible')")
    return ParetoResult(sc.name, names, table, plans, payoff_table, stats, notes)


def _joined(head: Found, tail: Found) -> Found:
    """A payoff row from its first stage (``head``) and its later stages (``tail``): the
    tail's plan, the weaker status and the larger gap, as ``Engine.lexicographic`` gives
    for the whole row."""
    status = head.status if head.status != "optimal" else tail.status
    gaps = (head.gap, tail.gap)
    gap = None if None in gaps else max(gaps)  # type: ignore[type-var]
    return Found(tail.values, tail.x, status, gap, tail.source, head.seconds + tail.seconds)


def _no_payoff(status: str | None) -> str:
    """Why the payoff table has no plan: a proof of infeasibility, or a time-out (which
    proves nothing about the scenario)."""
    if status in ("infeasible", "infeasible_or_unbounded"):
        return "no feasible plan: the scenario is infeasible"
    if status in ("time_limit_no_solution", "feasible", None):
        return (
            "no plan: the time limit ran out before the payoff table was solved (a time-out, "
            "not a proof that no plan exists); give a larger --time-limit"
        )
    return f"no plan: the solver reports {status}"


def _solve_end_point(
    prep, names: list[str], limit: float, gap: float
) -> tuple[list[int], SolveOutcome] | None:
    """The frontier's best-sovereignty end point when the other objective is cost: ``solve``'s
    own plan, by ``solve``'s own code on the same model (``optimise``: the index maximised,
    then cost with the index held, its tolerance, tie-break gap and options). Why: among
    plans at the same index and cost (EU: AWS or GCP as the third provider) the end point
    must be the plan ``solve`` reports, and only the same search on the same model picks the
    same one. The cost tie-break runs even when the scenario sets ``tie_break: none`` (a
    frontier point must be efficient). Returns (payoff order, outcome), or None for other
    objectives or when no plan was found (the engine's lexicographic solve then decides)."""
    objs = [OBJECTIVES[n] for n in names]
    if len(names) != 2 or set(objs) != {"sovereignty", "total_cost"}:
        return None
    from planner.core.solve import optimise

    out, _ = optimise(prep, "sovereignty", time_limit=limit, mip_gap=gap, tie_break=True)
    if out.x is None:
        return None
    k = objs.index("sovereignty")
    return [k, 1 - k], out


def _resplit(engine: Engine, f: Found) -> Found:
    """A point re-read from its rounded modules: integer columns fixed at their rounded values
    and counted compute re-split by LP (``HighsModel.fixed_integer_lp``), every objective held
    at least as good as HiGHS's raw columns gave, then the main objective, the constrained
    ones and the sovereignty index maximised in turn. Rows and plans are reported from this
    point, so a Pareto row and ``solve`` agree on what the same modules reach. The end point
    taken from ``solve`` already had that pass and is kept as it is."""
    if f.final:
        return f
    m = engine.prep.model
    stages = [(engine.g[engine.main], pyo.maximize)]
    stages += [(engine.g[k], pyo.maximize) for k in engine.constrained]
    if "sovereignty" not in {OBJECTIVES[n] for n in engine.names}:
        stages.append((m.sovereignty.expr, pyo.maximize))
    hold = [(g, pyo.maximize) for g in engine.g]
    engine.relax()  # the ε rows hold the last grid point's values, not this point's
    x = engine.h.fixed_integer_lp(f.x, stages, time_limit=engine.time_limit, hold=hold)
    engine._objective = None  # the pass changed HiGHS's objective
    if x is None:
        return f
    return Found(engine.values(x), x, f.status, f.gap, f.source, f.seconds)


def _table(names: list[str], kept: list[Found], plans: list[Plan], engine: Engine) -> pd.DataFrame:
    rows = []
    prev = None
    for i, (f, plan) in enumerate(zip(kept, plans, strict=True)):
        alloc = plan.allocation
        final = alloc[alloc["period"] == alloc["period"].max()] if not alloc.empty else alloc
        struct = _structure(plan)
        row = {"point": i}
        row.update({n: float(v) for n, v in zip(names, f.values, strict=True)})
        row.update(
            status=f.status,
            gap=f.gap,
            providers=_top(final, group_column(final, "provider")),
            chips=_top(final, "chip"),
            countries=_top(final, "country"),
            structure_change=prev is not None and struct != prev,
        )
        prev = struct
        rows.append(row)
    table = pd.DataFrame(rows)
    g = np.array([engine.better(f.values) for f in kept]).reshape(len(kept), len(names))
    table.insert(len(table.columns) - 1, "knee", knee_flags(g))
    return table


def _empty(sc: Scenario, names, engine: Engine, t0: float, message: str) -> ParetoResult:
    cols = ["point", *names, "status", "gap", "providers", "chips", "countries"]
    table = pd.DataFrame(columns=[*cols, "knee", "structure_change"])
    stats = {"solver_calls": engine.calls, "points": 0, "seconds": time.perf_counter() - t0}
    return ParetoResult(sc.name, names, table, [], pd.DataFrame(), stats, [message])
