"""How long a plan's range takes (issue #25 item 4): ``python -m benchmarks.ranges_bench``.

    python -m benchmarks.ranges_bench [--repeat 3] [SCENARIO ...]

For each scenario (default: every bundled one) the plan is solved once, then its range
(``planner.studies.ranges.plan_ranges``: 50 default futures plus two swings per drawn input,
no re-solve) is computed ``--repeat`` times. Prints wall and CPU seconds (median and range):
on a shared machine the wall time follows the load, the CPU time much less, so compare CPU
times across runs and wall times within one run only.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(path: Path, repeat: int) -> dict[str, object]:
    from planner.core.prepare import prepare
    from planner.core.solve import solve_prepared
    from planner.studies.ranges import plan_ranges

    prep = prepare(str(path))
    plan = solve_prepared(prep, "sovereignty")
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = plan_ranges(prep, plan)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    evaluated = len(result.outcomes) if result is not None else 0
    swings = len((result.driver or {}).get("all", [])) * 2 if result is not None else 0
    return {
        "scenario": path.name,
        "options": len(prep.inputs.options),
        "futures": evaluated + swings,
        "wall": walls,
        "cpu": cpus,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    paths = args.scenarios or sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
    print(
        "| scenario | options | futures priced | wall s (median, range) | CPU s (median, range) |"
    )
    print("|---|---:|---:|---|---|")
    for path in paths:
        r = measure(path, args.repeat)
        wall, cpu = r["wall"], r["cpu"]
        print(
            f"| {r['scenario']} | {r['options']} | {r['futures']} | "
            f"{statistics.median(wall):.2f} ({min(wall):.2f}-{max(wall):.2f}) | "
            f"{statistics.median(cpu):.2f} ({min(cpu):.2f}-{max(cpu):.2f}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
