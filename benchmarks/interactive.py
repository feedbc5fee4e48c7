"""Interactive-speed benchmark (issue #15): every bundled scenario and the EU frontier.

    python -m benchmarks.interactive [--points 11] [--ui-points 7] [--seeds 0,1,2]
                                     [--label after] [--readme]

Every measurement is repeated for each HiGHS random seed (``solver.random_seed``; HiGHS alone
gets the same seed): the optimum does not depend on it, the search path and its time do (one
EU frontier point takes 7-35 s depending on the path), so the table reports the median and
the range over the seeds, never one path.

Per bundled scenario (data/scenarios/*.yaml), in one run (the machine is shared: compare
ratios from the same run only):
- ``sovplan solve --json`` in a fresh process: wall time, status, index, cost, the HiGHS time
  inside sovplan, and whether the cost tie-break stopped at its limit;
- HiGHS alone on the same exported models, each in a fresh process (``readModel`` + ``run``,
  same gap, time limit and threads): stage 1 (max sovereignty) and stage 2 (min cost with the
  index held at stage 1's optimum, the exact row sovplan adds); the ratio sovplan wall /
  HiGHS alone (stage 1 + stage 2), and node counts.
The app's re-solves (issue 27), per scenario in one Python process as the app runs them
(``--no-edits`` skips them): the scenario solved twice (cold, then again with every import
warm), then edited and re-solved with the previous plan's ``warm_start`` (reused when the
edit only narrowed the model, else a MIP start; ``planner.core.warm``) and, for comparison,
the same edit without it. Edits: ``budget`` lowered from 1.10x to 1.02x the optimum's cost
(the plan still fits: a narrowing), and the issue's ``limits.max_share_provider=0.5``. Each
edited model is exported and solved by HiGHS alone (stage 1 + stage 2) in the same run.
Then ``sovplan pareto <EU> --x cost --y sovereignty --points 11`` (and 7, the UI's default)
in a fresh process: wall time, points, solver calls, and the HiGHS time inside (``--json``).
Results: results/interactive[-label].json; ``--readme`` writes the table into README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
from pathlib import Path

from benchmarks.run import HIGHS_ALONE, PYTHON, RESULTS, ROOT, SOVPLAN, run_child

SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
EU = ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml"
START, END = "<!-- interactive:start -->", "<!-- interactive:end -->"

EXPORT_STAGES = r"""
import json, sys
import pyomo.environ as pyo
from planner.core.prepare import prepare
from planner.core.screens import screen
from planner.core.solve import LEXICOGRAPHIC_TOLERANCE, optimise
from planner.core.scenario import load_scenario
path, s1, s2 = sys.argv[1:4]
prep = prepare(load_scenario(path, sys.argv[4:]))
h, m, sc = prep.highs, prep.model, prep.scenario
h.write(s1)
out = {"gap": sc.solver.mip_gap, "tie_break_gap": sc.solver.tie_break_gap,
       "time_limit": sc.solver.time_limit, "threads": sc.solver.threads, "stage2": False}
if not screen(prep):
    _, stages = optimise(prep, tie_break=False)
    if stages[0].x is not None and sc.solver.tie_break == "lexicographic":
        h.set_row("lexicographic", m.sovereignty.expr,
                  lower=stages[0].objective - LEXICOGRAPHIC_TOLERANCE)
        h.set_objective(m.total_cost.expr, pyo.minimize)
        h._named = False
        h.write(s2)
        out["stage2"] = True
print(json.dumps(out))
"""


EDITS = r"""
import json, math, sys, time
from planner.core.scenario import load_scenario
from planner.studies.solving import solve_and_diagnose as solve
path, seed = sys.argv[1], int(sys.argv[2])
base = [f"solver.random_seed={seed}"]
def run(sets, warm=None):
    t = time.perf_counter()
    plan = solve(load_scenario(path, base + sets), warm=warm)
    return plan, time.perf_counter() - t
def row(case, sets, plan, s, cold_s=None):
    return {"case": case, "sets": sets, "seconds": s, "cold_s": cold_s, "status": plan.status,
            "index": (plan.sovereignty or {}).get("index"), "cost": plan.cost,
            "reused": "the previous plan" in (plan.message or "")}
rows = []
first, s0 = run([])
rows.append(row("first solve in the process", [], first, s0))
again, s1 = run([])
rows.append(row("same scenario again (imports warm)", [], again, s1))
if first.ok:
    wide = [f"budget={math.ceil(first.cost * 1.10)}"]
    prev, _ = run(wide)
    narrow = [f"budget={math.ceil(first.cost * 1.02)}"]
    plan, s = run(narrow, warm=prev.warm_start)
    _, c = run(narrow)
    rows.append(row("budget 1.10x -> 1.02x cost", narrow, plan, s, c))
edit = ["limits.max_share_provider=0.5"]
plan, s = run(edit, warm=first.warm_start)
_, c = run(edit)
rows.append(row("max_share_provider=0.5", edit, plan, s, c))
print(json.dumps(rows))
"""


def bench_edits(path: Path, seed: int) -> list[dict]:
    """The app's re-solves of one scenario (see the module docstring), each edited model
    also solved by HiGHS alone."""
    r = run_child([PYTHON, "-c", EDITS, str(path), str(seed)], timeout=1800)
    rows = json.loads(r["stdout"].strip().splitlines()[-1])
    for row in rows:
        row.update(scenario=path.stem, seed=seed)
        if not row["sets"]:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            s1, s2 = f"{tmp}/s1.mps", f"{tmp}/s2.mps"
            sets = [f"solver.random_seed={seed}", *row["sets"]]
            e = run_child([PYTHON, "-c", EXPORT_STAGES, str(path), s1, s2, *sets])
            info = json.loads(e["stdout"].strip().splitlines()[-1])
            a1 = highs_alone(s1, info["time_limit"], info["gap"], info["threads"], seed)
            alone = a1["run_s"]
            if info["stage2"]:
                a2 = highs_alone(
                    s2, info["time_limit"], info["tie_break_gap"], info["threads"], seed
                )
                alone += a2["run_s"]
            row["highs_alone_s"] = alone
    return rows


def highs_alone(path: str, limit: float, gap: float, threads, seed: int) -> dict:
    r = run_child(
        [PYTHON, "-c", HIGHS_ALONE, path, str(limit), str(gap), str(threads or "none"), str(seed)]
    )
    return json.loads(r["stdout"].strip().splitlines()[-1])


def bench_scenario(path: Path, seed: int) -> dict:
    cmd = [SOVPLAN, "solve", str(path), "--json", "--set", f"solver.random_seed={seed}"]
    r = run_child(cmd, timeout=600)
    plan = json.loads(r["stdout"]) if r["stdout"].strip().startswith("{") else {}
    row = {
        "scenario": path.stem,
        "seed": seed,
        "wall_s": r["wall_s"],
        "cpu_s": r["cpu_s"],
        "status": plan.get("status"),
        "index": (plan.get("sovereignty") or {}).get("index"),
        "cost": plan.get("cost"),
        "message": plan.get("message"),
        "highs_in_sovplan_s": (plan.get("timings") or {}).get("solve_s"),
        "diagnose_s": (plan.get("timings") or {}).get("diagnose_s"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        s1, s2 = f"{tmp}/s1.mps", f"{tmp}/s2.mps"
        e = run_child([PYTHON, "-c", EXPORT_STAGES, str(path), s1, s2])
        info = json.loads(e["stdout"].strip().splitlines()[-1])
        a1 = highs_alone(s1, info["time_limit"], info["gap"], info["threads"], seed)
        row.update(alone_s1_s=a1["run_s"], alone_s1_nodes=a1["nodes"], alone_s1=a1["status"])
        if info["stage2"]:
            limit2 = info["time_limit"]
            a2 = highs_alone(s2, limit2, info["tie_break_gap"], info["threads"], seed)
            row.update(alone_s2_s=a2["run_s"], alone_s2_nodes=a2["nodes"], alone_s2=a2["status"])
    alone = row["alone_s1_s"] + row.get("alone_s2_s", 0.0)
    row["highs_alone_s"] = alone
    row["ratio"] = row["wall_s"] / alone if alone > 0 else None
    return row


def bench_pareto(points: int, workers: int | None, seed: int) -> dict:
    cmd = [SOVPLAN, "pareto", str(EU), "--x", "cost", "--y", "sovereignty"]
    cmd += ["--points", str(points), "--set", f"solver.random_seed={seed}"]
    if workers:
        cmd += ["--workers", str(workers)]
    r = run_child(cmd, timeout=900, env={"COLUMNS": "400"})
    text = " ".join(r["stdout"].split())
    pts = re.search(r"(\d+) efficient points; (\d+) solver calls", text)
    wk = re.search(r"with (\d+) worker", text)
    return {
        "what": f"EU frontier, {points} points",
        "seed": seed,
        "wall_s": r["wall_s"],
        "cpu_s": r["cpu_s"],
        "points": int(pts.group(1)) if pts else None,
        "solver_calls": int(pts.group(2)) if pts else None,
        "workers": int(wk.group(1)) if wk else None,
        "stopped_by_limit": "stopped by the time limit" in text,
    }


def _spread(values: list[float], fmt: str = ".2f") -> str:
    """Median [min-max] of a list (one value: the value)."""
    if len(values) == 1:
        return format(values[0], fmt)
    med = statistics.median(values)
    return f"{med:{fmt}} [{min(values):{fmt}}-{max(values):{fmt}}]"


def _load(avg) -> str:
    return "/".join(f"{v:.1f}" for v in avg) if avg else "?"


def table(res: dict) -> str:
    seeds = sorted({r["seed"] for r in res["scenarios"] + res.get("edits", []) + res["pareto"]})
    load = res.get("load_avg_at_start"), res.get("load_avg_at_end")
    lines = [
        f"Seeds {', '.join(map(str, seeds))}: median [min-max] over the seeds. Load average "
        f"(1, 5, 15 min) at start {_load(load[0])}, at end {_load(load[1])}.",
        "",
        "| scenario | index | cost | `sovplan solve` wall s | CPU s | HiGHS in sovplan s | "
        "HiGHS alone s1 + s2 s | wall / HiGHS alone | statuses |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by_name: dict[str, list[dict]] = {}
    for r in res["scenarios"]:
        by_name.setdefault(r["scenario"], []).append(r)
    for name, rows in by_name.items():
        idx = {f"{r['index']:.4f}" for r in rows if r["index"] is not None} or {"–"}
        cost = {f"{r['cost']:,.1f}" for r in rows if r["cost"] is not None} or {"–"}
        ratios = [r["ratio"] for r in rows if r["ratio"]]
        statuses = ", ".join(sorted({str(r["status"]) for r in rows}))
        lines.append(
            f"| {name} | {' / '.join(sorted(idx))} | {' / '.join(sorted(cost))} | "
            f"{_spread([r['wall_s'] for r in rows])} | "
            f"{_spread([r.get('cpu_s') or 0.0 for r in rows])} | "
            f"{_spread([r['highs_in_sovplan_s'] for r in rows])} | "
            f"{_spread([r['highs_alone_s'] for r in rows])} | "
            f"{_spread(ratios) if ratios else '–'} | {statuses} |"
        )
    if res.get("edits"):
        lines += [
            "",
            "| scenario | re-solve in one process | s | same edit without the warm start s | "
            "reused | HiGHS alone s1 + s2 s | index | cost |",
            "|---|---|---|---|---|---|---|---|",
        ]
        by_case: dict[tuple, list[dict]] = {}
        for r in res["edits"]:
            by_case.setdefault((r["scenario"], r["case"]), []).append(r)
        for (name, case), rows in by_case.items():
            colds = [r["cold_s"] for r in rows if r.get("cold_s") is not None]
            alone = [r["highs_alone_s"] for r in rows if r.get("highs_alone_s") is not None]
            idx = {f"{r['index']:.4f}" for r in rows if r["index"] is not None} or {"–"}
            cost = {f"{r['cost']:,.1f}" for r in rows if r["cost"] is not None} or {"–"}
            lines.append(
                f"| {name} | {case} | {_spread([r['seconds'] for r in rows])} | "
                f"{_spread(colds) if colds else '–'} | "
                f"{'/'.join(sorted({'yes' if r['reused'] else 'no' for r in rows}))} | "
                f"{_spread(alone) if alone else '–'} | {' / '.join(sorted(idx))} | "
                f"{' / '.join(sorted(cost))} |"
            )
    lines += [
        "",
        "| frontier | wall s | CPU s | points | solver calls | workers | stopped by limit |",
    ]
    lines.append("|---|---|---|---|---|---|---|")
    by_what: dict[str, list[dict]] = {}
    for p in res["pareto"]:
        by_what.setdefault(p["what"], []).append(p)
    for what, rows in by_what.items():
        lines.append(
            f"| {what} | {_spread([p['wall_s'] for p in rows], '.1f')} | "
            f"{_spread([p.get('cpu_s') or 0.0 for p in rows], '.1f')} | "
            f"{'/'.join(sorted({str(p['points']) for p in rows}))} | "
            f"{'/'.join(sorted({str(p['solver_calls']) for p in rows}))} | "
            f"{'/'.join(sorted({str(p['workers']) for p in rows}))} | "
            f"{any(p['stopped_by_limit'] for p in rows)} |"
        )
    return "\n".join(lines)


def update_readme(text: str, label: str) -> None:
    readme = Path(__file__).resolve().parent / "README.md"
    body = readme.read_text()
    block = f"{START}\n{text}\n{END}"
    if START in body and END in body:
        head, rest = body.split(START, 1)
        _, tail = rest.split(END, 1)
        readme.write_text(f"{head}{block}{tail}")
    else:
        readme.write_text(body.rstrip() + f"\n\n## Interactive speed ({label})\n\n{block}\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=11)
    parser.add_argument("--ui-points", type=int, default=7)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--label", default="")
    parser.add_argument("--readme", action="store_true")
    parser.add_argument("--no-pareto", action="store_true")
    parser.add_argument("--no-scenarios", action="store_true")
    parser.add_argument("--no-edits", action="store_true")
    parser.add_argument("--seeds", default="0,1,2", help="HiGHS random seeds, comma-separated")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    res: dict = {"scenarios": [], "edits": [], "pareto": [], "load_avg_at_start": os.getloadavg()}
    for seed in seeds:
        for path in [] if args.no_scenarios else SCENARIOS:
            row = bench_scenario(path, seed)
            res["scenarios"].append(row)
            print(json.dumps(row), flush=True)
        for path in [] if args.no_edits else SCENARIOS:
            rows = bench_edits(path, seed)
            res["edits"] += rows
            print(json.dumps(rows), flush=True)
        for points in [] if args.no_pareto else (args.points, args.ui_points):
            p = bench_pareto(points, args.workers, seed)
            res["pareto"].append(p)
            print(json.dumps(p), flush=True)
    res["load_avg_at_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    name = "interactive" + (f"-{args.label}" if args.label else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=2))
    text = table(res)
    print(text)
    if args.readme:
        update_readme(text, args.label or "latest")


if __name__ == "__main__":
    main()
