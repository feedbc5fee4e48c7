"""One future solved alone, here or in a worker process, with the same answer either way.

The robust study (``planner.studies.robust``) solves each future alone (its own optimum) and
each candidate first stage fixed in each future (the regret table): many small solves that
do not depend on one another, which on Kenya with 20 futures took most of the study's time
one after another. ``FutureSolver`` runs them on the local process pool the study's other
solves use (``planner.studies.workers``), or in this process when there is one worker.

What crosses the process boundary: the study (scenario, futures, tables, periods decided
now) once per worker, and per solve a ``FutureJob`` out and a ``FutureSolve`` back (numbers,
the first stage, the solution by column name); a model never does (Pyomo and HiGHS objects
are not picklable). Each process builds a future's one-future model the first time it needs
it and keeps it; before every solve the model is put back to its state after building, with
no basis or solution left (``HighsModel.restore``), so a solve's result depends only on the
future and the first stage fixed, never on which process ran it or what it ran before: one
or two workers give the same report (tested).
"""

from __future__ import annotations

import dataclasses
import os
import time
from concurrent.futures import Future as PoolFuture
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from planner.core import deadline as clock
from planner.core.data import Tables
from planner.core.futures import ScenarioFuture
from planner.core.results import Plan
from planner.core.scenario import Scenario
from planner.studies import extensive as ef


@dataclass(frozen=True)
class Study:
    """What every solve of one robust study shares (sent once to each worker)."""

    scenario: Scenario
    futures: list[ScenarioFuture]
    tables: Tables
    here_and_now: list[int]


@dataclass(frozen=True)
class FutureJob:
    """Solve future ``s`` alone, with the here-and-now modules ``fixed`` (None: free, its
    own optimum); ``plan``: also return the future's Plan (as ``solve`` reads one);
    ``tie_break``: also minimise cost with the index held (as ``solve`` does)."""

    s: int
    fixed: ef.FirstStage | None = None
    plan: bool = False
    #: run the cost tie-break (False: the index stage only; its first stage is then one of
    #: the future's index-optimal ones, not the cheapest)
    tie_break: bool = True


@dataclass
class FutureSolve:
    """A one-future solve's outcome, picklable: status and bounds as ``SolveOutcome`` has
    them, the future's index (the maximised ``sovereignty``) and cost at the plan, its
    here-and-now modules, and the plan's values by column name inside the future's block
    (what ``extensive.assemble`` puts together across futures)."""

    status: str
    message: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    index: float | None = None
    cost: float | None = None
    first: ef.FirstStage | None = None
    block: dict[str, float] | None = None
    option_keys: list = field(default_factory=list)
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        """A plan was found."""
        return self.index is not None


def future_inputs(study: Study, s: int, cache: dict[str, Any]) -> tuple[Any, Any]:
    """Future ``s``'s model inputs and home context: the scenario's own (built once into
    ``cache``) re-priced when the future changes only prices, rates or trust (its cut, if
    any, is applied later by ``extensive.build``), as a plan's ranges derive theirs
    (``planner.core.reprice``, tested equal to building anew); else built in full.

    Why: building inputs takes most of a second on the EU scenario, once per future in the
    study and again in every worker; most futures differ in a price only."""
    from planner.core.home import rescored
    from planner.core.inputs import build_inputs
    from planner.core.reprice import Repricer, repriceable

    f = study.futures[s]
    if not repriceable(f.overrides):
        return build_inputs(f.scenario, study.tables)
    if "base" not in cache:
        base_sc = study.scenario.model_copy(update={"uncertainty": None})
        inp, ctx = build_inputs(base_sc, study.tables)
        # one Repricer for every future: it reads the base's option columns once
        cache["base"] = (base_sc, inp, ctx, Repricer(inp, base_sc, ctx))
    base_sc, inp, ctx, repricer = cache["base"]
    if not f.overrides:
        return dataclasses.replace(inp), ctx
    fut_ctx = ctx if f.scenario.scores == base_sc.scores else rescored(ctx, f.scenario.scores)
    return repricer.inputs(f.scenario), fut_ctx


class _Models:
    """One process's one-future models of a study, built on first use and kept."""

    def __init__(self, study: Study, inputs: list | None = None) -> None:
        self.study = study
        self.inputs = inputs
        self.models: dict[int, tuple[ef.Extensive, Any, dict[str, int]]] = {}
        self.cache: dict[str, Any] = {}

    def get(self, s: int) -> tuple[ef.Extensive, dict[str, int]]:
        hit = self.models.get(s)
        if hit is not None and hit[0].highs.restore(hit[1]):
            return hit[0], hit[2]
        st = self.study
        one = dataclasses.replace(st.futures[s], probability=1.0)
        given = [self.inputs[s] if self.inputs is not None else future_inputs(st, s, self.cache)]
        ext = ef.build(st.scenario, [one], st.tables, st.here_and_now, inputs=given)
        snap = ext.highs.snapshot()
        names = ef.block_columns(ext, 0)
        self.models[s] = (ext, snap, names)
        return ext, names

    def run(self, job: FutureJob, end: float | None) -> FutureSolve:
        """Solve ``job`` before the wall-clock deadline ``end`` (None: none)."""
        seconds = None if end is None else max(end - time.time(), 0.0)
        with clock.scope(seconds):
            ext, names = self.get(job.s)
            o = ef.optimise(ext, fixed=job.fixed, tie_break=job.tie_break)
            keys = list(ext.model.option_keys)
            if o.x is None:
                return FutureSolve(
                    o.status, o.message, o.objective, o.bound, o.gap, o.seconds, option_keys=keys
                )
            x = ext.highs.pad(o.x)
            return FutureSolve(
                o.status, o.message, o.objective, o.bound, o.gap, o.seconds,
                index=ef.indices(ext, o.x)[0],
                cost=ef.costs(ext, o.x)[0],
                first=ef.first_stage(ext, o.x),
                block={name: float(x[col]) for name, col in names.items()},
                option_keys=keys,
                plan=ef.plans(ext, o)[0] if job.plan else None,
            )  # fmt: skip


#: the study's models in a worker process (set by ``_start_worker``)
_WORKER: _Models | None = None


def _start_worker(parent: int, study: Study, inputs: list | None) -> None:
    from planner.studies.workers import become_worker

    global _WORKER
    become_worker(parent)
    _WORKER = _Models(study, inputs)


def _run_in_worker(job: FutureJob, end: float | None) -> FutureSolve:
    assert _WORKER is not None, "worker not started"
    return _WORKER.run(job, end)


class _Later:
    """A solve in this process, run when its result is first asked for (so a solve the
    search decides to skip costs nothing)."""

    def __init__(self, models: _Models, job: FutureJob, end: float | None = None) -> None:
        self._models, self._job, self._end = models, job, end
        self._result: FutureSolve | None = None

    def result(self) -> FutureSolve:
        if self._result is None:
            end = clock.wall_end()
            if self._end is not None:
                end = self._end if end is None else min(end, self._end)
            self._result = self._models.run(self._job, end)
        return self._result

    def cancel(self) -> bool:
        return True


class FutureSolver:
    """Runs ``FutureJob``s on ``workers`` local processes (spawned, dying with this one,
    as the sweep's) or, with one worker, here and lazily. Use as a context manager: the
    pool stops on leaving, whatever is still running.

    ``inputs``: every future's model inputs and home context already built here (sent
    once to each worker, so no process builds them again)."""

    def __init__(self, study: Study, workers: int = 1, inputs: list | None = None) -> None:
        self.study = study
        self.workers = max(1, int(workers))
        self._local = _Models(study, inputs) if self.workers == 1 else None
        self._pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            from planner.studies.workers import WorkerContext

            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=WorkerContext(),
                initializer=_start_worker,
                initargs=(os.getpid(), study, inputs),
            )

    def submit(self, job: FutureJob, end: float | None = None) -> PoolFuture[FutureSolve] | _Later:
        """Start ``job`` (on the pool) or hold it until its result is asked for (here);
        the study's deadline, as now, binds it wherever it runs, and ``end`` (wall-clock
        time, ``time.time()``), if given and earlier."""
        if self._pool is None:
            assert self._local is not None
            return _Later(self._local, job, end)
        study_end = clock.wall_end()
        if end is not None:
            study_end = end if study_end is None else min(study_end, end)
        return self._pool.submit(_run_in_worker, job, study_end)

    def close(self) -> None:
        if self._pool is not None:
            from planner.studies.workers import stop_pool

            stop_pool(self._pool)
            self._pool = None

    def __enter__(self) -> FutureSolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
