"""Benchmark of `planner.studies.sweep`: 16 runs serial vs a 2-process pool vs a 2-worker Dask cluster.

Run by hand (not part of the test suite):

    /work/venv/bin/python benchmarks/sweep_bench.py [--out benchmarks/results/sweep.json] [--force]

The workload is the bundled EU quick-start scenario with the cost tie-break switched off
(``solver.tie_break=none``: about 1-3 s per solve on one core), on a 4 x 4 grid of
``budget_scale`` x ``electricity_price_scale``: 16 independent runs, one HiGHS thread each.

- serial: ``workers=1``, in this process (already warmed up: imports and one solve done);
- pool: ``workers=2``, spawned processes, timed from the call (includes their start-up);
- dask: a ``LocalCluster(n_workers=2, processes=True, threads_per_worker=1)``; the sweep is
  timed with the cluster already up, its start-up is reported apart.

The three modes must return identical rows (status and sovereignty index). The machine's
load average is recorded before and after each mode, since the 2 cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml"
OVERRIDES = ["solver.tie_break=none"]
PARAMS = {
    "budget_scale": [0.8, 0.9, 1.0, 1.2],
    "electricity_price_scale": [0.5, 1.0, 1.5, 2.0],
}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _timed(label: str, fn) -> dict:
    before = _load()
    t0 = time.perf_counter()
    runs = fn()
    wall = time.perf_counter() - t0
    after = _load()
    ok = int(runs["status"].isin(["optimal", "feasible"]).sum())
    cpu = float(runs["cpu_s"].mean())
    print(
        f"{label:>6}: {wall:7.2f} s  ({ok}/{len(runs)} solved, {cpu:.2f} s CPU per run, "
        f"load {before} -> {after})"
    )
    return {
        "wall_s": round(wall, 3),
        "runs": len(runs),
        "solved": ok,
        "mean_run_wall_s": round(float(runs["wall_s"].mean()), 3),
        "mean_run_cpu_s": round(float(runs["cpu_s"].mean()), 3),
        "loadavg_before": before,
        "loadavg_after": after,
        "_rows": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/sweep.json")
    parser.add_argument("--force", action="store_true", help="overwrite --out")
    parser.add_argument(
        "--modes", default="serial,pool,dask", help="comma-separated: serial,pool,dask"
    )
    args = parser.parse_args()
    if args.out.exists() and not args.force:
        print(f"{args.out}: already exists; pass --force to overwrite", file=sys.stderr)
        return 2

    from planner.studies.solving import solve_and_diagnose as solve
    from planner.studies.sweep import sweep

    modes = args.modes.split(",")
    solve(str(ROOT / "tests/fixtures/tiny.yaml"))  # warm-up: imports and HiGHS
    common = {"overrides": OVERRIDES}
    results: dict[str, dict] = {}
    if "serial" in modes:
        results["serial"] = _timed("serial", lambda: sweep(SCENARIO, PARAMS, workers=1, **common))
    if "pool" in modes:
        results["pool"] = _timed("pool", lambda: sweep(SCENARIO, PARAMS, workers=2, **common))
    if "dask" in modes:
        from dask.distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(2)
            startup = time.perf_counter() - t0
            results["dask"] = _timed(
                "dask", lambda: sweep(SCENARIO, PARAMS, scheduler=client, **common)
            )
            results["dask"]["cluster_startup_s"] = round(startup, 3)
            print(f"  (cluster start-up {startup:.2f} s, not included)")

    cols = ["budget_scale", "electricity_price_scale", "status", "sovereignty_index"]
    frames = {k: v.pop("_rows")[cols].round(9).reset_index(drop=True) for k, v in results.items()}
    first = next(iter(frames.values()))
    same = all(f.equals(first) for f in frames.values())
    print(f"identical rows across modes: {same}")
    serial = results.get("serial", {}).get("wall_s")
    for key, res in results.items():
        if serial and key != "serial":
            res["speedup_vs_serial"] = round(serial / res["wall_s"], 2)
            print(f"{key} speedup vs serial: {res['speedup_vs_serial']}x")
    payload = {
        "benchmark": "sweep_bench",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "overrides": OVERRIDES,
        "params": PARAMS,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "identical_rows": same,
        "modes": results,
    }
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
