"""The EU frontier, two code versions alternating (issue 27's frontier rows).

    python -m benchmarks.frontier_ab BEFORE_TREE AFTER_TREE [--runs 3] [--label r11]

Each tree is a checkout or a ``git archive`` of the code (used as ``PYTHONPATH``). For each
run, before and after alternate, each in a fresh process:
- ``sovplan pareto <EU> --x cost --y sovereignty --points 11`` (the CLI's default workers,
  one per core): the wall time of the whole command, process start and imports included;
- the app's frontier: ``planner.studies.pareto.pareto(EU, points=7, workers=cores)`` as
  ``ui/tradeoffs_view.py`` calls it, timed around the call only (the app's imports are
  already warm; its workers start cold on every call, as in the app).
Every row records the 1-minute load average before and after, and the frontier it found
(cost and index per point), so the two versions' frontiers can be compared point by point.
Results: results/frontier-ab[-label].json; the summary (medians) is printed.

Why alternating and not one version then the other: the machine is shared and its load moves
by several units within minutes; alternating puts both versions under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
EU = ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml"

APP_FRONTIER = r"""
import json, os, sys, time
from planner.studies.pareto import pareto
t0 = time.perf_counter()
r = pareto(sys.argv[1], x="cost", y="sovereignty", points=int(sys.argv[2]),
           workers=os.cpu_count() or 1)
wall = time.perf_counter() - t0
t = r.table
print(json.dumps({"wall_s": wall, "points": len(t), "statuses": sorted(set(t["status"])),
                  "frontier": t[["cost", "sovereignty"]].values.tolist(),
                  "gaps": t["gap"].tolist(), "solver_calls": r.stats.get("solver_calls")}))
"""


def _children_cpu() -> float:
    """User + system CPU seconds of every finished child process (and theirs)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    env["COLUMNS"] = "400"
    return env


def run_cli(tree: Path, points: int) -> dict:
    """``sovplan pareto`` in a fresh process: wall time and the frontier (``--out`` CSV)."""
    import pandas as pd

    load0 = os.getloadavg()[0]
    cpu0 = _children_cpu()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "frontier.csv"
        t0 = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-m", "planner.cli", "pareto", str(EU), "--x", "cost",
             "--y", "sovereignty", "--points", str(points), "--out", str(out)],
            env=_env(tree), capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        row = {"what": f"cli {points} points", "wall_s": wall, "load_before": load0}
        row["cpu_s"] = _children_cpu() - cpu0
        row["load_after"] = os.getloadavg()[0]
        if r.returncode != 0 or not out.exists():
            row["error"] = (r.stdout[-500:], r.stderr[-2000:])
            return row
        table = pd.read_csv(out)
    row["frontier"] = table[["cost", "sovereignty"]].values.tolist()
    row["statuses"] = sorted(set(table["status"]))
    row["points"] = len(table)
    return row


def run_app(tree: Path, points: int) -> dict:
    """The app's call of ``pareto`` in a fresh process, timed around the call."""
    load0 = os.getloadavg()[0]
    cpu0 = _children_cpu()
    r = subprocess.run(
        [sys.executable, "-c", APP_FRONTIER, str(EU), str(points)],
        env=_env(tree), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    row = {"what": f"app {points} points", "load_before": load0, "load_after": os.getloadavg()[0]}
    row["cpu_s"] = _children_cpu() - cpu0  # the whole process, imports included
    try:
        row.update(json.loads(r.stdout.strip().splitlines()[-1]))
    except (json.JSONDecodeError, IndexError):
        row["error"] = (r.stdout[-500:], r.stderr[-2000:])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    rows = []
    for run in range(args.runs):
        for name, tree in (("before", args.before), ("after", args.after)):
            for job in (lambda t: run_cli(t, 11), lambda t: run_app(t, 7)):
                row = job(tree) | {"version": name, "run": run}
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "frontier"}), flush=True)
    RESULTS.mkdir(exist_ok=True)
    label = f"-{args.label}" if args.label else ""
    (RESULTS / f"frontier-ab{label}.json").write_text(json.dumps(rows, indent=1))
    for what in sorted({r["what"] for r in rows}):
        for name in ("before", "after"):
            mine = [r for r in rows if r["what"] == what and r["version"] == name]
            walls = [r["wall_s"] for r in mine]
            cpus = [r["cpu_s"] for r in mine]
            loads = [r["load_before"] for r in mine]
            print(
                f"{what:16} {name:6} wall median {statistics.median(walls):6.1f} s "
                f"[{min(walls):.1f}-{max(walls):.1f}], CPU median {statistics.median(cpus):5.1f} s "
                f"[{min(cpus):.1f}-{max(cpus):.1f}], load {min(loads):.1f}-{max(loads):.1f}"
            )


if __name__ == "__main__":
    main()
