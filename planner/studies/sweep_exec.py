"""Where a sweep's runs execute: in this process, on a local process pool, or on a Dask
cluster; with a progress bar. Each path hands every finished row to ``on_result`` and
records runs the infrastructure lost (a dead worker, a cluster without workers) as ``lost``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from planner.core.errors import InputError, PlannerError
from planner.core.progress import rich_progress
from planner.studies.sweep_runs import RunTask, _failed_row, _init_worker, _lost_row, run_one
from planner.studies.workers import WorkerContext, stop_pool


def _run_serial(tasks: list[RunTask], tables: Any, on_result: Callable) -> None:
    for task in tasks:
        on_result(run_one(task, tables))


def _run_pool(tasks: list[RunTask], workers: int, tables: Any, on_result: Callable) -> None:
    """One process per run on this machine (spawned, so safe with HiGHS threads; started
    from this module, so a script without a ``__main__`` guard works; killed with us)."""
    ctx = WorkerContext()
    pending = list(tasks)
    crashes: dict[int, int] = {}
    while pending:
        broken: list[RunTask] = []
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(pending)),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(tables, os.getpid()),
        )
        try:
            futures = {pool.submit(run_one, t): t for t in pending}
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    row = fut.result()
                except (BrokenProcessPool, CancelledError):
                    broken.append(task)
                    continue
                except Exception as exc:
                    row = _failed_row(task, f"{type(exc).__name__}: {exc}")
                on_result(row)
        except BaseException:
            # Ctrl-C or a failure here: stop the workers at once; finished rows are kept
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        # A worker that died (out of memory, a crash, a kill) breaks the whole pool: retry
        # its runs once in a fresh pool; a run lost twice is recorded as lost (not an
        # error: the point may be fine), and --resume runs it again.
        pending = []
        for task in broken:
            crashes[id(task)] = crashes.get(id(task), 0) + 1
            if crashes[id(task)] >= 2:
                on_result(_lost_row(task, "the worker process died running this case twice"))
            else:
                pending.append(task)


#: Dask re-runs a task this many times when its worker dies (run_one itself never raises
#: for a bad point, so a failed task is always the infrastructure's fault)
DASK_RETRIES = 2

#: How long a Dask sweep waits for a worker: at the start, and whenever the cluster has none
#: left while runs are pending (its only worker died). Dask itself would wait forever; after
#: this the pending runs are recorded ``lost`` and ``--resume`` runs them again.
DASK_WORKER_WAIT = 120.0


def _dask_workers(client: Any) -> int:
    """How many workers the scheduler has now (a cheap query: no per-worker details)."""
    info = client.scheduler_info(n_workers=0)
    return int(info.get("n_workers", len(info.get("workers", {}))))


def _dask_row(task: RunTask, fut: Any, outcome: Any) -> dict:
    """The row of one finished Dask future, as ``as_completed(with_results=True,
    raise_errors=False)`` hands it over: the run's own row, or ``lost`` when the cluster
    failed it (KilledWorker after the retries, a cancellation, a lost connection)."""
    if fut.status == "error":
        exc = outcome[1] if isinstance(outcome, tuple) else outcome
    elif isinstance(outcome, BaseException):
        exc = outcome
    else:
        return outcome
    return _lost_row(task, f"lost on the cluster ({type(exc).__name__}: {exc})")


def _run_dask(tasks: list[RunTask], scheduler: Any, tables: Any, on_result: Callable) -> None:
    """The same runs on an existing Dask cluster (an address, a Client or a Cluster)."""
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    own = False
    if isinstance(scheduler, Client):
        client = scheduler
    else:
        address = getattr(scheduler, "scheduler_address", scheduler)
        try:
            client = Client(address, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"--scheduler {address}: cannot connect to a Dask scheduler ({exc})"
            ) from exc
        own = True
    wait = DASK_WORKER_WAIT
    futures: dict[str, RunTask] = {}
    submitted = []
    try:
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise PlannerError(
                f"the Dask cluster at {client.scheduler.address} has no worker (waited "
                f"{wait:g} s); start one with: dask worker {client.scheduler.address}"
            ) from None
        shared = client.scatter(tables, broadcast=True)
        batch = uuid.uuid4().hex[:8]
        for i, task in enumerate(tasks):
            fut = client.submit(
                run_one, task, shared, pure=False, key=f"sovplan-run-{batch}-{i}",
                retries=DASK_RETRIES,
            )  # fmt: skip
            futures[fut.key] = task
            submitted.append(fut)
        # with_results: the rows are fetched in the background, so this loop never blocks on
        # one. A finished run whose worker dies before its row is fetched has to be recomputed,
        # and a blocking ``fut.result()`` would wait forever for a worker that never comes.
        done = dask_completed(submitted, with_results=True, raise_errors=False)
        reported: set[str] = set()
        alone_since: float | None = None  # when the cluster was last seen without workers
        while not done.is_empty():
            ready = done.next_batch(block=False)
            for fut, outcome in ready:
                on_result(_dask_row(futures[fut.key], fut, outcome))
                reported.add(fut.key)
            if ready:
                continue
            if _dask_workers(client) > 0:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > wait:
                left = [f for f in submitted if f.key not in reported]
                client.cancel(left)
                for fut in left:
                    on_result(
                        _lost_row(
                            futures[fut.key],
                            f"lost on the cluster (no worker left for {wait:g} s)",
                        )
                    )
                break
            time.sleep(0.5)
    except BaseException:
        client.cancel(submitted)
        raise
    finally:
        if own:
            client.close()


class _Progress:
    """A rich progress bar on stderr: runs done, failures, elapsed time and ETA."""

    def __init__(self, total: int, enabled: bool | Callable[[int, int], None]) -> None:
        self.failed = 0
        self.bar = None
        self.total, self.done = total, 0
        #: a caller's ``progress(done, total)`` callback (tqdm-style), else the rich bar
        self.callback = enabled if callable(enabled) else None
        if not enabled or self.callback is not None:
            return
        self.bar = rich_progress("sweep", "[red]{task.fields[failed]} failed", transient=False)
        self.task = self.bar.add_task("runs", total=total, failed=0)
        self.bar.start()

    def advance(self, ok: bool) -> None:
        if not ok:
            self.failed += 1
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def execute(
    tasks: list[RunTask],
    tables: Any,
    on_result: Callable[[dict[str, Any]], None],
    workers: int | None = None,
    scheduler: Any = None,
) -> None:
    """Run ``tasks`` serially, on a local process pool, or on a Dask cluster."""
    if not tasks:
        return
    if scheduler is not None:
        _run_dask(tasks, scheduler, tables, on_result)
    elif (workers or 1) <= 1 or len(tasks) == 1:
        _run_serial(tasks, tables, on_result)
    else:
        _run_pool(tasks, workers, tables, on_result)
