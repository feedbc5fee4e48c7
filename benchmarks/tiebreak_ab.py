"""The cost tie-break with and without the max-index face, and a slack budget with and without
``without_caps`` (issue #27, round 12): both in one process, alternating, per seed.

    python -m benchmarks.tiebreak_ab [--seeds 0,1,2] [--scenarios eu-2030-hedge,uk-2030-20x]
                                     [--budget-case uk-2030-20x:6380] [--label r12]

For each bundled scenario and HiGHS seed: ``planner.core.solve.optimise`` on a freshly
prepared model with the face (as shipped) and with ``max_index_face`` returning None (as
before), in alternating order; the seconds of each stage, the index and the cost. For each
``--budget-case`` SCENARIO:BUDGET: the same with ``without_caps`` as shipped and switched off.
The machine is shared: only the ratios within one run compare. The load average is recorded
before and after. Results: results/tiebreak-ab[-label].json (a table is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from benchmarks.run import RESULTS, ROOT

SCENARIOS = [
    "eu-ai-continent-2030",
    "eu-2030-hedge",
    "france-2030",
    "kenya-2030",
    "uk-2030-20x",
    "uk-2030-20x-futures",
]


def _one(path: str, sets: list[str], seed: int, switch: str, on: bool) -> dict:
    import planner.core.solve as solve_mod
    from planner.core.prepare import prepare
    from planner.core.scenario import load_scenario

    real = getattr(solve_mod, switch)
    if not on:
        setattr(solve_mod, switch, lambda *a, **k: None)
    try:
        prep = prepare(load_scenario(path, [*sets, f"solver.random_seed={seed}"]))
        t0 = time.perf_counter()
        out, stages = solve_mod.optimise(prep)
        wall = time.perf_counter() - t0
    finally:
        setattr(solve_mod, switch, real)
    h, m = prep.highs, prep.model
    x = h.pad(out.x) if out.x is not None else None
    return {
        "on": on,
        "seed": seed,
        "wall_s": wall,
        "stages_s": [s.seconds for s in stages],
        "status": out.status,
        "tie_break_status": out.tie_break_status,
        "index": None if x is None else h.evaluate(m.sovereignty_index.expr, x),
        "cost": None if x is None else h.evaluate(m.total_cost.expr, x),
    }


def compare(name: str, sets: list[str], seeds: list[int], switch: str) -> dict:
    path = str(ROOT / "data" / "scenarios" / f"{name}.yaml")
    runs = []
    for seed in seeds:
        order = (False, True) if seed % 2 == 0 else (True, False)
        runs += [_one(path, sets, seed, switch, on) for on in order]

    def med(on: bool, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["on"] == on)

    same = all(
        abs(a["index"] - b["index"]) <= 1e-6 and abs(a["cost"] - b["cost"]) <= 1e-3 * a["cost"]
        for a in runs
        for b in runs
        if a["index"] is not None and b["index"] is not None
    )
    return {
        "scenario": name,
        "sets": sets,
        "switch": switch,
        "runs": runs,
        "off_wall_s": med(False, "wall_s"),
        "on_wall_s": med(True, "wall_s"),
        "same_optimum": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--budget-case", action="append", default=None)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    load0 = os.getloadavg()[0]
    rows = [compare(n, [], seeds, "max_index_face") for n in args.scenarios.split(",") if n]
    for case in args.budget_case or ["uk-2030-20x:6380"]:
        name, budget = case.split(":")
        rows.append(compare(name, [f"budget={budget}"], seeds, "without_caps"))
    load1 = os.getloadavg()[0]
    out = {"load": [load0, load1], "seeds": seeds, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    label = f"-{args.label}" if args.label else ""
    (RESULTS / f"tiebreak-ab{label}.json").write_text(json.dumps(out, indent=1))
    print(f"load {load0:.1f} -> {load1:.1f}; medians over seeds {seeds}")
    print("| scenario | edit | switched | off s | on s | off/on | same optimum | statuses on |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        on = [f"{x['status']}/{x['tie_break_status']}" for x in r["runs"] if x["on"]]
        print(
            f"| {r['scenario']} | {' '.join(r['sets']) or '-'} | {r['switch']} | "
            f"{r['off_wall_s']:.2f} | {r['on_wall_s']:.2f} | "
            f"{r['off_wall_s'] / r['on_wall_s']:.2f} | {r['same_optimum']} | {sorted(set(on))} |"
        )


if __name__ == "__main__":
    main()
