"""Sweeps on the tiny fixture (1 module = 1 EFLOP/s = 1 MW; budget 30 gives index 5/6, cost 30).

Most tests run serially in-process (workers=1) for speed; the process pool and Dask paths
are compared against it in the slow tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import planner.studies.sweep as sw
import planner.studies.sweep_exec as sweep_exec
from planner.cli import app
from planner.core.errors import InputError
from planner.reports.sweep_report import (
    heatmap_figure,
    indices_figure,
    oat_table,
    tornado_figure,
    write_report,
)
from planner.studies.sweep import param_info, parse_param, read_runs, run_key, sweep

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"
RESULT_FIELDS = [
    "status",
    "sovereignty_index",
    "territorial",
    "provider",
    "chip",
    "total_cost_musd",
]


@pytest.fixture(scope="module")
def grid_runs() -> pd.DataFrame:
    return sweep(TINY, {"budget_scale": [1, 2], "weights.chip": [0.2, 1.0]}, workers=1)


def test_grid_2x2_has_one_row_per_combination(grid_runs: pd.DataFrame) -> None:
    assert len(grid_runs) == 4
    combos = set(zip(grid_runs["budget_scale"], grid_runs["weights.chip"], strict=True))
    assert combos == {(1, 0.2), (1, 1.0), (2, 0.2), (2, 1.0)}
    assert (grid_runs["status"] == "optimal").all()
    # budget 60 buys two home-built CH modules (40 MUSD): every layer scores 1
    doubled = grid_runs[grid_runs["budget_scale"] == 2]
    np.testing.assert_allclose(doubled["sovereignty_index"], 1.0)
    np.testing.assert_allclose(doubled["total_cost_musd"], 40.0)
    assert grid_runs.attrs["sweep"]["method"] == "grid"


def test_budget_scale_up_never_lowers_the_index() -> None:
    scales = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
    runs = sweep(TINY, {"budget_scale": scales}, workers=1)
    runs = runs.sort_values("budget_scale")
    assert list(runs["budget_scale"]) == scales
    index = runs["sovereignty_index"].to_numpy(float)
    assert np.all(np.diff(index) >= -1e-9), index
    assert index[scales.index(1.0)] == pytest.approx(5 / 6)


def test_failing_runs_are_recorded_and_the_batch_goes_on() -> None:
    runs = sweep(
        TINY,
        {"target_scale": [1.0, 50.0], "limits.max_share_provider": [1.0, 1.5]},
        workers=1,
    )
    assert len(runs) == 4
    by = {
        (r["target_scale"], r["limits.max_share_provider"]): r
        for r in runs.to_dict(orient="records")
    }
    assert by[(1.0, 1.0)]["status"] == "optimal"
    assert by[(50.0, 1.0)]["status"] == "infeasible"  # 100 modules on a 30 MUSD budget
    for scale in (1.0, 50.0):
        bad = by[(scale, 1.5)]
        assert bad["status"] == "invalid"
        assert "limits.max_share_provider" in bad["error"]


def test_resume_runs_each_point_exactly_once(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "runs.parquet"
    params = {"budget_scale": [0.5, 1.0, 2.0], "weights.chip": [0.2, 1.0]}
    first = sweep(TINY, {"budget_scale": [0.5, 1.0], "weights.chip": [0.2]}, workers=1, out=out)
    assert len(first) == 2
    with pytest.raises(InputError, match="already exists"):
        sweep(TINY, params, workers=1, out=out)

    calls: list[str] = []
    real = sw.run_one

    def counting(task, tables=None):
        calls.append(run_key(task.point, list(params)))
        return real(task, tables)

    monkeypatch.setattr(sweep_exec, "run_one", counting)
    runs = sweep(TINY, params, workers=1, out=out, resume=True)
    assert len(calls) == 4  # 6 points, 2 already in the file
    assert len(set(calls)) == 4
    assert len(runs) == 6
    stored = read_runs(out)
    keys = [run_key(r, list(params)) for r in stored.to_dict(orient="records")]
    assert len(keys) == len(set(keys)) == 6
    # a second resume has nothing left to do
    calls.clear()
    sweep(TINY, params, workers=1, out=out, resume=True)
    assert calls == []


def test_interrupted_sweep_keeps_finished_runs(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "runs.parquet"
    params = {"budget_scale": [0.5, 1.0, 1.5, 2.0]}
    real = sw.run_one
    calls = {"n": 0}

    def interrupt_third(task, tables=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(task, tables)

    monkeypatch.setattr(sweep_exec, "run_one", interrupt_third)
    with pytest.raises(KeyboardInterrupt):
        sweep(TINY, params, workers=1, out=out)
    assert len(read_runs(out)) == 2
    monkeypatch.setattr(sweep_exec, "run_one", real)
    runs = sweep(TINY, params, workers=1, out=out, resume=True)
    assert sorted(runs["budget_scale"]) == [0.5, 1.0, 1.5, 2.0]
    assert (runs["status"] == "optimal").all()


def test_resume_with_other_parameters_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "runs.parquet"
    sweep(TINY, {"budget_scale": [1.0]}, workers=1, out=out)
    with pytest.raises(InputError, match="carbon_price"):
        sweep(TINY, {"carbon_price": [0, 10]}, workers=1, out=out, resume=True)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("budgte", "not a scenario key"),
        ("economics.foo", "not a key of 'economics'"),
        ("weights", "group of settings"),
        ("budget.x", "has no sub-keys"),
        ("data", "cannot be swept"),
    ],
)
def test_invalid_parameter_names_are_input_errors(name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        param_info(name)
    with pytest.raises(InputError, match=message):
        sweep(TINY, {name: [1]}, workers=1)


def test_parameter_names_and_values() -> None:
    assert param_info("carbon_price").target == "economics.carbon_price_usd_per_t"
    assert param_info("budget_scale").kind == "scale"
    assert param_info("limits.min_providers").integer
    assert param_info("target.2030").target == "target.2030"
    assert parse_param("carbon_price=0:100:3") == ("carbon_price", [0.0, 50.0, 100.0])
    assert parse_param("weights.chip=0.1:0.3:3")[1] == [0.1, 0.2, 0.3]
    assert parse_param("strategy=hedge,align:OTH") == ("strategy", ["hedge", "align:OTH"])
    with pytest.raises(InputError, match="NAME=v1"):
        parse_param("budget_scale")


def test_oat_design_and_tornado_table(tmp_path: Path) -> None:
    runs = sweep(
        TINY, {"budget_scale": [0.5, 1.0, 2.0], "carbon_price": [0, 100]}, method="oat", workers=1
    )
    # base (1, 0) + budget 0.5 and 2 + carbon 100
    assert len(runs) == 4
    table = oat_table(runs)
    assert list(table["parameter"]) == ["budget_scale", "carbon_price"]  # by swing
    top = table.iloc[0]
    assert top["output_base"] == pytest.approx(5 / 6)
    assert top["output_high"] == pytest.approx(1.0)
    files = write_report(runs, tmp_path / "report")
    names = {p.name for p in files}
    assert {"tornado_sovereignty_index.html", "oat.csv", "runs.csv"} <= names
    with pytest.raises(InputError, match="already exist"):
        write_report(runs, tmp_path / "report")


def test_heatmap_of_two_parameter_grid(grid_runs: pd.DataFrame) -> None:
    fig = heatmap_figure(grid_runs, "budget_scale", "weights.chip")
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (2, 2)
    np.testing.assert_allclose(z[:, 1], 1.0)  # budget_scale 2 column


@pytest.mark.parametrize(("method", "samples"), [("morris", 2), ("sobol", 2)])
def test_global_methods_give_indices_for_every_parameter(method: str, samples: int) -> None:
    params = {"budget_scale": [0.5, 2.0], "carbon_price": [0, 200]}
    runs = sweep(TINY, params, method=method, samples=samples, workers=1)
    idx = sw.indices(runs)
    assert list(idx["parameter"]) == list(params)
    main = "mu_star" if method == "morris" else "ST"
    assert np.isfinite(idx[main]).all()
    assert (idx["failed_runs"] == 0).all()
    fig = indices_figure(idx)
    assert len(fig.data) == 2


def test_sobol_needs_a_power_of_two() -> None:
    with pytest.raises(InputError, match="power of 2"):
        sweep(TINY, {"budget_scale": [0.5, 2.0]}, method="sobol", samples=6, workers=1)


def test_cli_end_to_end(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "runs.parquet"
    report = tmp_path / "report"
    grid = tmp_path / "grid.yaml"
    grid.write_text("budget_scale: [1, 2]\n")
    args = ["sweep", str(TINY), "--grid", str(grid), "--param", "carbon_price=0,50"]
    result = runner.invoke(
        app, [*args, "--workers", "1", "--out", str(out), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "4 runs" in result.output
    assert (report / "heatmap_sovereignty_index.html").exists()
    assert len(read_runs(out)) == 4
    again = runner.invoke(app, [*args, "--workers", "1", "--out", str(out)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    resumed = runner.invoke(app, [*args, "--workers", "1", "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert len(read_runs(out)) == 4
    bad = runner.invoke(app, ["sweep", str(TINY), "--param", "budgte=1,2"])
    assert bad.exit_code == 2
    assert "budgte" in bad.output


@pytest.mark.slow
def test_process_pool_and_dask_give_the_same_rows(grid_runs: pd.DataFrame) -> None:
    from dask.distributed import Client, LocalCluster

    params = {"budget_scale": [1, 2], "weights.chip": [0.2, 1.0]}
    pooled = sweep(TINY, params, workers=2)
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1) as cluster,
        Client(cluster),
    ):
        dasked = sweep(TINY, params, scheduler=cluster.scheduler_address)
    cols = list(params) + RESULT_FIELDS
    for frame in (pooled, dasked):
        pd.testing.assert_frame_equal(
            frame[cols].reset_index(drop=True), grid_runs[cols].reset_index(drop=True)
        )


def test_tornado_shows_no_bar_for_differences_below_the_solver_tolerance() -> None:
    # electricity moves the index by 1e-6 (rounding noise), budget by 0.05 (a real effect)
    runs = pd.DataFrame(
        {
            "budget_scale": [1.0, 0.8, 1.2, 1.0, 1.0],
            "electricity_price_scale": [1.0, 1.0, 1.0, 0.5, 2.0],
            "status": ["optimal"] * 5,
            "sovereignty_index": [0.82, 0.77, 0.87, 0.819999, 0.8200004],
        }
    )
    spec = {
        "method": "oat",
        "params": {"budget_scale": [0.8, 1.0, 1.2], "electricity_price_scale": [0.5, 1.0, 2.0]},
        "base": {"budget_scale": 1.0, "electricity_price_scale": 1.0},
    }
    table = oat_table(runs, spec=spec).set_index("parameter")
    assert table.loc["electricity_price_scale", "swing"] == 0.0
    assert table.loc["budget_scale", "swing"] == pytest.approx(0.1)
    fig = tornado_figure(runs, spec=spec)
    bars = {trace.name: dict(zip(trace.y, trace.x, strict=True)) for trace in fig.data}
    assert bars["low value"]["electricity_price_scale"] == 0.0
    assert bars["high value"]["electricity_price_scale"] == 0.0
    assert bars["low value"]["budget_scale"] == pytest.approx(-0.05)
