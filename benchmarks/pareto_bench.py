"""Pareto benchmark: three ways to trace cost vs sovereignty on a 21-value ε grid (run by hand).

    /work/venv/bin/python -m benchmarks.pareto_bench [--points 21] [--time-limit 15]

(a) plain ε-constraint, the Pyomo model rebuilt and handed to HiGHS for every grid value:
    max sovereignty s.t. cost <= ε (no augmentation, so points may be only weakly efficient);
(b) the same on ONE persistent HiGHS model, the previous grid value's plan as MIP start (the
    grid is walked from tight to loose, so that plan is feasible);
(c) ``planner.studies.pareto``: lexicographic payoff table, a lexicographic solve at each grid
    point (the index, then cost with the index held; until issue 29 a slack-augmented
    objective), AUGMECON-R bypass and early exit, persistent model, best known feasible plan
    as MIP start, the
    looser neighbours' dual bound as a cap on the main objective; one process (workers=1);
(d) the same as (c) with one worker process per core, as ``sovplan pareto`` and the app run it
    (the other three use one process, HiGHS with its default threads).

Every ε solve of the three runs with ``CAP_BOUND_OPTIONS`` (what (c) uses at its grid points),
so the comparison is of methods, not of solver settings.

(a) and (b) take the cost range from min cost and the cheapest max-sovereignty plan (three
solves), so all three methods put their 21 ε values at the same costs; ``--naive-range`` uses
plain max sovereignty instead (textbook, wider range, half the grid spent on one level).
Reported per method: wall time, solver calls, distinct points, non-dominated points, and how
the point sets compare. Writes benchmarks/results/pareto.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from planner.core.highs_backend import CAP_BOUND_OPTIONS
from planner.core.prepare import prepare
from planner.core.scenario import load_scenario
from planner.studies.pareto import pareto

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The quick-start EU scenario cut to its 2030 period: 47 options, ε solves of a few seconds.
SCENARIO = ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml"
OVERRIDES = ["periods=[2030]", "target={2030: 200}"]


def _single(h, expr, sense, limit, gap, start=None, options=None):
    h.set_objective(expr, sense)
    return h.solve(time_limit=limit, mip_gap=gap, start=start, options=options)


def plain(
    sc, points: int, limit: float, gap: float, persistent: bool, exact_range: bool = True
) -> dict:
    """Plain ε-constraint: (a) rebuild per point, or (b) one model with warm starts."""
    t0 = time.perf_counter()
    calls = 0
    prep = prepare(sc)
    h, m = prep.highs, prep.model
    lo = _single(h, m.total_cost.expr, pyo.minimize, limit, gap)
    hi = _single(h, m.sovereignty.expr, pyo.maximize, limit, gap)
    calls += 2
    c_lo = h.evaluate(m.total_cost.expr, lo.x)
    c_hi = h.evaluate(m.total_cost.expr, hi.x)
    if exact_range:  # the cheapest max-sovereignty plan ends the range, as in (c)'s payoff
        h.set_row("eps_sov", m.sovereignty.expr, lower=hi.objective - 1e-7)
        top = _single(h, m.total_cost.expr, pyo.minimize, limit, gap, start=hi.x)
        h.relax_row("eps_sov")
        calls += 1
        c_hi = h.evaluate(m.total_cost.expr, top.x)
    grid = np.linspace(c_lo, c_hi, points)
    found = []
    statuses: dict[str, int] = {}
    start = lo.x
    for eps in grid:  # tight (cheap) to loose
        if not persistent:
            prep = prepare(sc)
            h, m = prep.highs, prep.model
            start = None
        h.set_row("eps", m.total_cost.expr, upper=float(eps))
        # the solver setting (c) uses at its ε points, so the methods differ in method only
        out = _single(
            h, m.sovereignty.expr, pyo.maximize, limit, gap, start=start, options=CAP_BOUND_OPTIONS
        )
        calls += 1
        statuses[out.status] = statuses.get(out.status, 0) + 1
        if out.x is not None:
            found.append(
                (h.evaluate(m.total_cost.expr, out.x), h.evaluate(m.sovereignty.expr, out.x))
            )
            start = out.x
    return {
        "wall_s": time.perf_counter() - t0,
        "solver_calls": calls,
        "points": found,
        "statuses": statuses,
    }


def full(sc, points: int, limit: float, gap: float, workers: int = 1) -> dict:
    t0 = time.perf_counter()
    res = pareto(
        sc, x="cost", y="sovereignty", points=points, time_limit_per_solve=limit, mip_gap=gap,
        workers=workers,
    )  # fmt: skip
    pts = list(zip(res.table["cost"], res.table["sovereignty"], strict=True))
    return {
        "wall_s": time.perf_counter() - t0,
        "solver_calls": res.stats["solver_calls"],
        "points": pts,
        "stats": {k: v for k, v in res.stats.items() if k != "seconds"},
        "statuses": res.table["status"].value_counts().to_dict(),
        "knee": res.knee,
    }


def distinct(points, tol_c: float, tol_s: float):
    out = []
    for c, s in sorted(points):
        if not any(abs(c - c2) <= tol_c and abs(s - s2) <= tol_s for c2, s2 in out):
            out.append((c, s))
    return out


def efficient(points, tol_c: float, tol_s: float):
    return [
        p
        for p in points
        if not any(
            o[0] <= p[0] + tol_c
            and o[1] >= p[1] - tol_s
            and (o[0] < p[0] - tol_c or o[1] > p[1] + tol_s)
            for o in points
        )
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=21)
    ap.add_argument("--time-limit", type=float, default=15.0, help="seconds per solve")
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--naive-range", action="store_true", help="(a)/(b): non-lexicographic range")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "pareto.json")
    ap.add_argument("--seed", type=int, default=None, help="HiGHS random_seed (search path)")
    args = ap.parse_args()
    seed = [] if args.seed is None else [f"solver.random_seed={args.seed}"]
    sc = load_scenario(SCENARIO, OVERRIDES + seed)
    runs = {}
    for key, fn in (
        ("a_plain_rebuild", lambda: plain(sc, args.points, args.time_limit, args.mip_gap, False, not args.naive_range)),
        ("b_plain_persistent_warm", lambda: plain(sc, args.points, args.time_limit, args.mip_gap, True, not args.naive_range)),
        ("c_augmecon_r", lambda: full(sc, args.points, args.time_limit, args.mip_gap)),
        ("d_augmecon_r_workers", lambda: full(sc, args.points, args.time_limit, args.mip_gap, os.cpu_count() or 1)),
    ):  # fmt: skip
        runs[key] = fn()
        print(key, f"{runs[key]['wall_s']:.1f} s", runs[key]["solver_calls"], "calls", flush=True)
    allp = [p for r in runs.values() for p in r["points"]]
    span_c = max(p[0] for p in allp) - min(p[0] for p in allp)
    tol_c, tol_s = 1e-6 * max(span_c, 1.0), 1e-6
    eff_c = distinct(runs["c_augmecon_r"]["points"], tol_c, tol_s)
    summary = {}
    for key, r in runs.items():
        d = distinct(r["points"], tol_c, tol_s)
        e = efficient(d, tol_c, tol_s)
        weak = [p for p in d if any(o[0] < p[0] - tol_c and o[1] >= p[1] - tol_s for o in eff_c)]
        same = [
            p
            for p in e
            if any(abs(p[0] - o[0]) <= tol_c and abs(p[1] - o[1]) <= tol_s for o in eff_c)
        ]
        summary[key] = {
            "wall_s": round(r["wall_s"], 2),
            "solver_calls": r["solver_calls"],
            "distinct_points": len(d),
            "non_dominated_points": len(e),
            "points_weakly_dominated_by_c": len(weak),
            "non_dominated_points_also_found_by_c": len(same),
            "grid_statuses": r["statuses"],
            "sovereignty_levels": sorted({round(p[1], 5) for p in d}),
        }  # fmt: skip
        r["points"] = [[round(c, 4), round(s, 6)] for c, s in sorted(r["points"])]
    ratio = summary["c_augmecon_r"]["wall_s"] / summary["a_plain_rebuild"]["wall_s"]
    ratio_d = summary["d_augmecon_r_workers"]["wall_s"] / summary["a_plain_rebuild"]["wall_s"]
    payload = {
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "overrides": OVERRIDES + seed,
        "points": args.points,
        "time_limit_s": args.time_limit,
        "mip_gap": args.mip_gap,
        "plain_range": "naive" if args.naive_range else "lexicographic",
        "summary": summary,
        "c_over_a_wall_time": round(ratio, 3),
        "d_over_a_wall_time": round(ratio_d, 3),
        "workers_d": os.cpu_count() or 1,
        "runs": runs,
        "meta": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_avg_at_end": os.getloadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
        },
    }
    args.out.write_text(json.dumps(payload, indent=1, default=float))
    print(json.dumps(summary, indent=1))
    print(f"(c)/(a) wall time: {ratio:.2f}; (d)/(a): {ratio_d:.2f}; wrote {args.out}")


if __name__ == "__main__":
    main()
