"""Issue 14: limits that hold, signals that stop, sweeps that never lose a row.

Each numbered problem of the issue is a regression test here; the slow ones (the large
benchmark, Dask, real process kills on the EU scenario) are marked ``slow``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.core import deadline
from planner.core.errors import InputError
from planner.core.io import exclusive_lock, write_output
from planner.studies.sweep import LOST, read_runs, sweep

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny.yaml"
EU = ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml"
LARGE = ROOT / "benchmarks" / "scenarios" / "large.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
SOVPLAN = [sys.executable, "-m", "planner.cli"]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SOVPLAN, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout
    )


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for kid in kids.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- 1. time limits -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "-inf"])
def test_time_limit_must_be_finite_and_positive(value: str) -> None:
    commands = (
        ["solve", str(TINY)],
        ["sweep", str(TINY), "--param", "budget_scale=1"],
        ["pareto", str(TINY)],
        ["alternatives", str(TINY)],  # accepted nan (= no limit) after the merge
        ["stress", str(TINY)],
    )
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--time-limit", value])
        assert result.exit_code == 2, (command, result.output)
        assert "finite number of seconds above 0" in result.output


def test_time_limit_checked_in_the_api() -> None:
    from planner import alternatives, pareto, solve

    for run in (solve, pareto, alternatives):
        with pytest.raises(InputError, match="time_limit"):
            run(str(TINY), time_limit=float("nan"))


def test_deadline_scopes_nest_and_cap() -> None:
    assert deadline.remaining() is None
    with deadline.scope(10):
        with deadline.scope(100):
            assert deadline.remaining() <= 10
        assert deadline.cap(50) <= 10
        assert deadline.cap(None) <= 10
    assert deadline.remaining() is None


def test_hard_phase_stopped_by_the_deadline() -> None:
    t0 = time.monotonic()
    with (
        pytest.raises(deadline.TimeLimitReached, match="spinning"),
        deadline.scope(0.3),
        deadline.hard_phase("spinning"),
    ):
        while time.monotonic() - t0 < 5:
            pass
    assert time.monotonic() - t0 < 1.5


@pytest.mark.slow
@pytest.mark.parametrize("limit", [5, 30])
def test_wall_time_bound_on_the_large_benchmark(limit: int) -> None:
    t0 = time.monotonic()
    result = run_cli("solve", str(LARGE), "--time-limit", str(limit), timeout=limit * 3 + 60)
    wall = time.monotonic() - t0
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert wall <= limit * 1.1 + 2, wall


@pytest.mark.slow
def test_wall_time_bound_when_infeasible_with_diagnosis() -> None:
    limit = 20
    t0 = time.monotonic()
    result = run_cli(
        "solve", str(LARGE), "--set", "budget=2000", "--time-limit", str(limit), timeout=200
    )
    wall = time.monotonic() - t0
    assert result.returncode == 1, result.stderr
    assert wall <= limit * 1.1 + 2, wall


# --- 2. signals -----------------------------------------------------------------------------


def _signal_after(args: list[str], sig: int, after: float) -> tuple[int, float, str]:
    proc = subprocess.Popen(
        [*SOVPLAN, *args], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(after)
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, time.monotonic() - sent, err


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_the_diagnosis_within_a_second(sig: int, code: int) -> None:
    # large with a 2 bn budget: build ~6 s, then the solve and a long diagnosis
    args = ["solve", str(LARGE), "--set", "budget=2000", "--time-limit", "120"]
    rc, took, err = _signal_after(args, sig, 16)
    assert rc == code, err
    assert "interrupted" in err
    assert took < 1.0, took  # the README: "within a second" (was 1.4-4.4 s: the teardown)


@pytest.mark.slow
def test_sigterm_stops_a_sweep_and_keeps_finished_runs(tmp_path: Path) -> None:
    out = tmp_path / "runs.parquet"
    # 121 runs: enough that the sweep is still running when the signal comes (13 runs once
    # were, and now finish in about 6 s)
    args = ["sweep", str(EU), "--param", "budget_scale=0.8:1.4:121", "--workers", "2",
            "--out", str(out)]  # fmt: skip
    rc, took, err = _signal_after(args, signal.SIGTERM, 12)
    assert rc == 143, err
    assert "resume with: sovplan sweep" in err and "--resume" in err
    assert took < 5
    assert out.exists()
    runs = read_runs(out)
    assert 0 < len(runs) < 121
    assert runs["status"].isin(["optimal", "feasible", "infeasible"]).all()


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_a_pareto_pool_and_its_workers(sig: int, code: int) -> None:
    """The frontier's workers (started before the payoff table) stop with the parent; so
    does the parent's own solver thread (the command exits within seconds)."""
    proc = subprocess.Popen(
        [*SOVPLAN, "pareto", str(EU), "--points", "11", "--workers", "2"], cwd=ROOT, env=ENV,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    kids: list[int] = []
    t_end = time.monotonic() + 60
    while time.monotonic() < t_end and len(kids) < 2:
        time.sleep(0.5)
        kids = children_of(proc.pid)
    time.sleep(8)  # payoff table done, the workers are solving grid points
    kids = children_of(proc.pid)
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    t_end = time.monotonic() + 10
    while time.monotonic() < t_end and any(alive(k) for k in kids):
        time.sleep(0.2)
    survivors = [k for k in kids if alive(k)]
    for k in survivors:
        os.kill(k, signal.SIGKILL)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert took < 5, took
    assert len(kids) >= 2 and not survivors, (kids, survivors)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["sweep", "pareto"])
def test_sigkill_of_a_pool_parent_leaves_no_child(tmp_path: Path, command: str) -> None:
    if command == "sweep":
        args = ["sweep", str(EU), "--param", "budget_scale=0.9,1,1.1,1.2", "--workers", "2",
                "--out", str(tmp_path / "k.parquet")]  # fmt: skip
    else:
        args = ["pareto", str(EU), "--points", "11", "--workers", "2"]
    proc = subprocess.Popen(
        [*SOVPLAN, *args], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    # the workers and the resource tracker: a sweep's 2 workers, a frontier's 1 (with
    # --workers 2 the parent is the other solver, planner.studies.pareto._pareto)
    expected = 3 if command == "sweep" else 2
    kids: list[int] = []
    t_end = time.monotonic() + 60
    while time.monotonic() < t_end and len(kids) < expected:
        time.sleep(0.5)
        kids = children_of(proc.pid)
    assert len(kids) >= 2, kids
    time.sleep(2)  # the workers are solving
    kids = children_of(proc.pid)
    proc.kill()
    proc.wait(timeout=10)
    t_end = time.monotonic() + 10
    while time.monotonic() < t_end and any(alive(k) for k in kids):
        time.sleep(0.2)
    survivors = [k for k in kids if alive(k)]
    for k in survivors:  # do not leave them behind even if the test fails
        os.kill(k, signal.SIGKILL)
    assert not survivors


# --- 3. one writer per results file; --resume continues only the same sweep -----------------


def test_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    with exclusive_lock(out):
        result = CliRunner().invoke(
            app, ["sweep", str(TINY), "--param", "budget_scale=1,2", "--workers", "1",
                  "--out", str(out), "--resume"],
        )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"process {os.getpid()}" in result.output
    runs = sweep(TINY, {"budget_scale": [1, 2]}, workers=1, out=out)  # the lock is released
    assert len(runs) == 2


@pytest.mark.slow
def test_two_concurrent_sweeps_second_refused_first_intact(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    first = subprocess.Popen(
        [*SOVPLAN, "sweep", str(EU), "--param", "budget_scale=0.9,1,1.1", "--workers", "1",
         "--out", str(out)],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lock = out.with_name(out.name + ".lock")
    t_end = time.monotonic() + 60
    while time.monotonic() < t_end and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.2)
    second = run_cli("sweep", str(EU), "--param", "budget_scale=1.2,1.3,1.4", "--workers", "1",
                     "--out", str(out), "--resume")  # fmt: skip
    assert second.returncode == 2, second.stderr
    assert f"process {first.pid}" in second.stderr
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    runs = read_runs(out)
    assert sorted(runs["budget_scale"]) == [0.9, 1, 1.1]


def test_resume_refuses_another_scenario(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    sweep(TINY, {"budget_scale": [1]}, workers=1, out=out)
    other = tmp_path / "other.yaml"
    other.write_text(TINY.read_text().replace("name: tiny", "name: other") + "\n")
    with pytest.raises(InputError, match="another sweep"):
        sweep(TINY, {"budget_scale": [1, 2]}, workers=1, out=out, resume=True,
              overrides=["budget=50"])  # fmt: skip
    with pytest.raises(InputError, match="another sweep"):
        sweep(TINY, {"budget_scale": [1]}, workers=1, out=out, resume=True, method="oat")
    # the same sweep resumes
    assert len(sweep(TINY, {"budget_scale": [1, 2]}, workers=1, out=out, resume=True)) == 2


# --- 4. runs lost to the infrastructure are retried, never final errors ----------------------


def test_lost_runs_are_rerun_by_resume(tmp_path: Path) -> None:
    out = tmp_path / "l.parquet"
    sweep(TINY, {"budget_scale": [1, 2]}, workers=1, out=out)
    frame = read_runs(out)
    frame.loc[frame["budget_scale"] == 2, "status"] = LOST
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = pq.read_schema(out).metadata
    pq.write_table(table.replace_schema_metadata(meta), out)
    runs = sweep(TINY, {"budget_scale": [1, 2]}, workers=1, out=out, resume=True)
    assert list(runs["status"]) == ["optimal", "optimal"]
    assert (read_runs(out)["status"] != LOST).all()
    assert len(read_runs(out)) == 2


def test_a_worker_that_dies_twice_is_lost_not_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.studies.sweep_exec as sw

    rows: list[dict] = []
    task = sw.RunTask({"budget_scale": 1}, {}, {}, "x")
    monkeypatch.setattr(sw, "run_one", _die)
    sw._run_pool([task, task], 2, None, rows.append)
    assert {r["status"] for r in rows} == {LOST}


def _die(task, tables=None):  # a worker crash (module level: picklable)
    os._exit(3)


def test_sweep_run_out_of_time_before_a_plan_is_not_an_error() -> None:
    """A run whose deadline passes while its model is built has no plan for lack of time,
    like a run HiGHS stopped empty-handed: ``time_limit_no_solution``, not ``error``."""
    runs = sweep(TINY, {"budget_scale": [1.0, 1.1]}, workers=1, time_limit_per_solve=1e-6)
    assert list(runs["status"]) == ["time_limit_no_solution"] * 2, runs[["status", "error"]]
    assert runs["error"].str.contains("time limit ran out").all()


@pytest.mark.slow
def test_dask_worker_killed_mid_sweep_every_run_ends_optimal(tmp_path: Path) -> None:
    from dask.distributed import Client, LocalCluster

    out = tmp_path / "d.parquet"
    params = {"budget_scale": [0.9, 1.0, 1.1, 1.2], "weights.chip": [0.2, 0.5]}
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, Client(cluster) as client:  # fmt: skip
        import threading

        def kill_one() -> None:
            time.sleep(6)
            pids = list(client.run(os.getpid).values())
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_one, daemon=True)
        killer.start()
        runs = sweep(EU, params, scheduler=client, out=out)
        killer.join()
        if not runs["status"].isin(["optimal"]).all():
            runs = sweep(EU, params, scheduler=client, out=out, resume=True)
    assert len(runs) == 8
    assert (runs["status"] == "optimal").all(), runs[["status", "error"]]


def _start_dask_worker(address: str) -> subprocess.Popen:
    """One ``dask worker`` without a nanny (nothing restarts it when it is killed)."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "distributed.cli.dask_worker", address, "--no-nanny",
            "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
        ],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@contextlib.contextmanager
def _empty_dask_cluster(monkeypatch: pytest.MonkeyPatch, scattered: bool):
    """A local Dask cluster with no worker yet, and its client. ``scattered=False`` makes the
    client's scatter hand the data back, so each run carries the tables itself (what a
    cluster that refuses scatter leaves the sweep with)."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=0, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster, Client(cluster) as client:  # fmt: skip
        if not scattered:
            monkeypatch.setattr(client, "scatter", lambda data, **kw: data)
        yield cluster, client


@pytest.mark.slow
@pytest.mark.parametrize("scattered", [True, False])
def test_dask_sweep_whose_only_worker_dies_ends_lost_then_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scattered: bool
) -> None:
    """The only worker killed mid-sweep: the sweep ends in bounded time with the pending runs
    ``lost`` and --resume runs them. With the tables scattered, Dask cancels the pending runs
    when the worker holding them dies; without (``scattered=False``), Dask alone would wait
    forever for a worker, and the sweep gives up after DASK_WORKER_WAIT."""
    import planner.studies.sweep_exec as sweep_module

    monkeypatch.setattr(sweep_module, "DASK_WORKER_WAIT", 3.0)
    out = tmp_path / "d.parquet"
    params = {"budget_scale": [0.9, 1.0, 1.1], "weights.chip": [0.2, 0.5]}
    with _empty_dask_cluster(monkeypatch, scattered) as (cluster, client):
        worker = _start_dask_worker(cluster.scheduler_address)
        try:
            client.wait_for_workers(1, timeout=60)
            killer = subprocess.Popen(["sh", "-c", f"sleep 4; kill -9 {worker.pid}"])
            t0 = time.monotonic()
            runs = sweep(EU, params, scheduler=client, out=out)
            waited = time.monotonic() - t0
            killer.wait(timeout=10)
        finally:
            worker.kill()
            worker.wait(timeout=10)
        assert len(runs) == 6
        assert waited < 60, waited
        assert set(runs["status"]) <= {"optimal", LOST}, runs[["status", "error"]]
        assert (runs["status"] == LOST).any(), "the worker was killed after every run ended"
        if not scattered:
            assert "no worker left for 3 s" in " ".join(runs["error"].dropna())
        worker = _start_dask_worker(cluster.scheduler_address)
        try:
            runs = sweep(EU, params, scheduler=client, out=out, resume=True)
        finally:
            worker.kill()
            worker.wait(timeout=10)
    assert len(runs) == 6
    assert (runs["status"] == "optimal").all(), runs[["status", "error"]]


@pytest.mark.slow
@pytest.mark.parametrize("scattered", [True, False])
def test_dask_rows_finished_before_the_only_worker_dies_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scattered: bool
) -> None:
    """The race: runs finish on the only worker, which dies before the sweep has read their
    rows. Read one by one, the rows were lost with the worker (tables scattered: Dask cancels
    the runs) or the sweep hung (not scattered: a blocking ``result()`` waits for the runs to be
    recomputed on a worker that never comes). The rows are fetched as runs finish, so the sweep
    keeps them. The first row's callback waits until every run has finished, then kills the
    worker."""
    import threading

    import planner.studies.sweep as sweep_module
    import planner.studies.sweep_exec as sweep_exec

    monkeypatch.setattr(sweep_exec, "DASK_WORKER_WAIT", 3.0)
    real_execute = sweep_module.execute
    holder: dict[str, subprocess.Popen] = {}

    def execute_killing_after_first_row(tasks, tables, on_result, **kw):  # noqa: ANN001, ANN003
        def first_row_kills(row: dict) -> None:
            if "killed" not in holder:
                holder["killed"] = holder["worker"]
                time.sleep(4)  # the other tiny runs finish on the worker meanwhile
                holder["worker"].kill()
                holder["worker"].wait(timeout=10)
            on_result(row)

        real_execute(tasks, tables, first_row_kills, **kw)

    monkeypatch.setattr(sweep_module, "execute", execute_killing_after_first_row)
    out = tmp_path / "race.parquet"
    result: dict[str, object] = {}
    with _empty_dask_cluster(monkeypatch, scattered) as (cluster, client):
        holder["worker"] = _start_dask_worker(cluster.scheduler_address)
        client.wait_for_workers(1, timeout=60)
        params = {"budget_scale": [0.9, 1.0, 1.1, 1.2]}
        thread = threading.Thread(
            target=lambda: result.update(runs=sweep(TINY, params, scheduler=client, out=out)),
            daemon=True,
        )
        thread.start()
        thread.join(timeout=90)
        holder["worker"].kill()
        assert not thread.is_alive(), "the sweep hung on the row of a run whose worker died"
    runs = result["runs"]
    assert len(runs) == 4
    assert (runs["status"] == "optimal").all(), runs[["status", "error"]]


@pytest.mark.slow
def test_dask_cluster_without_workers_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from dask.distributed import LocalCluster

    import planner.studies.sweep_exec as sweep_module

    monkeypatch.setattr(sweep_module, "DASK_WORKER_WAIT", 1.0)
    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        res = CliRunner().invoke(
            app, ["sweep", str(TINY), "--param", "budget_scale=1,1.1", "--scheduler",
                  cluster.scheduler_address],
        )  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "has no worker (waited 1 s)" in " ".join(res.output.split())
    assert "Traceback" not in res.output


# --- 5. the README's Python sweep runs as a plain script ------------------------------------


def readme_python_sweep() -> str:
    text = (ROOT / "README.md").read_text()
    block = text.split("```python\nfrom planner import load_scenario, solve, pareto, sweep")[1]
    block = block.split("```")[0]
    return "from planner import load_scenario, solve, pareto, sweep" + block


def test_readme_python_sweep_runs_as_a_script(tmp_path: Path) -> None:
    code = readme_python_sweep()
    assert "workers=2" in code and "__main__" not in code
    # the tour solves the EU scenario several times; the sweep line is what hung, so run
    # the tour's imports and its sweep line as written, on the tiny fixture for speed
    sweep_line = next(line for line in code.splitlines() if line.startswith("runs = sweep("))
    script = tmp_path / "tour.py"
    script.write_text(
        "from planner import load_scenario, sweep\n"
        f"sc = load_scenario({str(TINY)!r})\n" + sweep_line + "\nprint('rows', len(runs))\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=ENV, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "rows 6" in result.stdout


@pytest.mark.slow
def test_readme_python_tour_runs_as_written(tmp_path: Path) -> None:
    script = tmp_path / "tour.py"
    script.write_text(textwrap.dedent(readme_python_sweep()))
    result = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=ENV, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


# --- 6. inputs ------------------------------------------------------------------------------


def test_output_pipe_closed_early_is_quiet() -> None:
    cmd = f"{sys.executable} -m planner.cli solve {TINY} | head -1; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(
        ["bash", "-c", cmd], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120
    )
    assert result.returncode in (0, 141), result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("tiny: status")


# --- 7. output paths ------------------------------------------------------------------------


def test_unwritable_folder_is_exit_2_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == folder else real(p, mode))
    with pytest.raises(InputError, match="not writable"):
        write_output(folder / "x.json", "{}", force=False)
    result = CliRunner().invoke(app, ["solve", str(TINY), "--out", str(folder / "p.json")])
    assert result.exit_code == 2
    assert str(folder) in result.output
    assert "status" not in result.output  # refused before solving


def test_failed_write_cleanup_does_not_hide_the_error(tmp_path: Path) -> None:
    def write(tmp: Path) -> None:
        raise PermissionError(13, "Permission denied")

    from planner.core.io import atomic_write

    with pytest.raises(InputError, match="cannot be written"):
        atomic_write(tmp_path / "x.json", write, force=False)
