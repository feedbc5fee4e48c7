"""Robust-plan benchmark (issue #25): the extensive form against the number of futures.

    python -m benchmarks.robust_bench [--scenario data/scenarios/kenya-2030.yaml]
                                      [--futures 1,2,5,10] [--label r1] [--readme]
                                      [--stories] [--workers 1,2] [--time-limit S]

For each futures count N, in a fresh process: the bundled scenario with an ``uncertainty:``
block of N equally likely futures drawn (seed 0) from chip prices 0.75-1.25x (the spread
``economics.chip_price_range`` uses) and electricity prices 0.8-1.5x (an assumption), here
and now the first period. ``--stories`` keeps the scenario's own block instead (N = 0: its
futures as listed; N > 0: its K listed futures, each cut or regime kept, repeated to N
futures, future i being story i mod K with chip and electricity prices drawn as above and
the story's probability shared equally among its copies), so the larger sets keep the
scenario's supply cut and export regime (the EU hedge's Taiwan cut and US rule). For each
``--workers`` count in turn: the whole study as ``sovplan robust`` runs it (``planner.robust``:
each future alone, the candidate first stages evaluated in every future, the extensive form
searched from the best only while it is not proven; VSS, EVPI and the regret table
included), with the seconds of each step, its status and proven gap. Then the extensive
form (.mps, stage 1: expected index) exported and solved by HiGHS alone in another fresh
process (``readModel`` + ``run``, same gap, time limit and threads), with the ratio sovplan
(the whole study) / HiGHS alone (run, stage 1 only). ``--time-limit``: seconds for the
study and for HiGHS alone (default: the scenario's solver.time_limit). The load average
before and after each run is recorded (the machine is shared).

Results: results/robust[-label].json; ``--readme`` writes the table into README.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks.run import HIGHS_ALONE, PYTHON, RESULTS, ROOT, run_child

DEFAULT = ROOT / "data" / "scenarios" / "kenya-2030.yaml"
START, END = "<!-- robust:start -->", "<!-- robust:end -->"

CHILD = r"""
import json, sys, time
import numpy as np
from planner.core.scenario import load_scenario, scenario_from_mapping
from planner.core.data import load_tables
from planner.core.futures import futures_of, here_and_now
from planner.studies import extensive as ef
from planner.studies.robust import robust
path, n, mps, workers, stories = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
limit = None if sys.argv[6] == "none" else float(sys.argv[6])
sc = load_scenario(path)
raw = sc.model_dump(mode="python", by_alias=True)
if not stories:
    raw["uncertainty"] = {"samples": n, "seed": 0, "ranges": {
        "economics.chip_price_scale": {"low": 0.75, "high": 1.25},
        "economics.electricity_price_scale": {"low": 0.8, "high": 1.5}}}
elif n > 0:
    listed = raw["uncertainty"]["futures"]
    k = len(listed)
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        story = dict(listed[i % k])
        copies = len(range(i % k, n, k))
        chips, power = float(rng.uniform(0.75, 1.25)), float(rng.uniform(0.8, 1.5))
        story["set"] = {**(story.get("set") or {}), "economics.chip_price_scale": round(
            chips * (story.get("set") or {}).get("economics.chip_price_scale", 1.0), 4),
            "economics.electricity_price_scale": round(power, 4)}
        story["name"] = f"{story['name']} #{i // k + 1}"
        story["probability"] = story["probability"] / copies
        out.append(story)
    total = sum(f["probability"] for f in out)
    for f in out:
        f["probability"] = f["probability"] / total
    raw["uncertainty"]["futures"] = out
sc = scenario_from_mapping(raw, source=path)
tables = load_tables(sc.data)
t0 = time.perf_counter()
r = robust(sc, tables=tables, workers=workers, time_limit=limit)
t1 = time.perf_counter()
futures = futures_of(sc)
if mps != "none":
    ext = ef.build(sc, futures, tables, here_and_now(sc))
    ext.highs.write(mps)
    size = ext.size()
else:
    size = r.size
print(json.dumps({"futures": len(futures), "workers": workers, "size": size, "timings": {
    "study_s": t1 - t0, **{k: v for k, v in r.search.items() if k.endswith("_s")}},
    "search": {k: v for k, v in r.search.items() if not k.endswith("_s")},
    "status": r.status, "objective": r.robust_objective, "bound": r.bound, "gap": r.gap,
    "vss": r.vss, "evpi": r.evpi,
    "time_limit": limit if limit is not None else sc.solver.time_limit,
    "mip_gap": sc.solver.mip_gap, "threads": sc.solver.threads}))
"""


def bench(
    scenario: Path, n: int, workers: list[int], stories: bool, limit: float | None
) -> list[dict]:
    """One row per worker count for N futures; HiGHS alone once, on the first's model."""
    import os

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mps = str(Path(tmp) / "extensive.mps")
        for i, w in enumerate(workers):
            load_before = os.getloadavg()
            r = run_child(
                [PYTHON, "-c", CHILD, str(scenario), str(n), mps if i == 0 else "none", str(w),
                 "1" if stories else "0", "none" if limit is None else str(limit)]
            )  # fmt: skip
            if r["returncode"] != 0:
                raise SystemExit(f"robust bench failed at {n} futures:\n{r['stderr'][-3000:]}")
            res = json.loads(r["stdout"].strip().splitlines()[-1])
            res["wall_s"] = r["wall_s"]
            res["maxrss_mb"] = r["maxrss_mb"]
            res["load_before"] = list(load_before)
            res["load_after"] = list(os.getloadavg())
            rows.append(res)
        alone = run_child(
            [PYTHON, "-c", HIGHS_ALONE, mps, str(rows[0]["time_limit"]),
             str(rows[0]["mip_gap"]), str(rows[0]["threads"] or "none")]
        )  # fmt: skip
        if alone["returncode"] != 0:
            raise SystemExit(f"HiGHS alone failed:\n{alone['stderr'][-3000:]}")
    for res in rows:
        res["highs_alone"] = json.loads(alone["stdout"].strip().splitlines()[-1])
        res["sovplan_s"] = res["timings"]["study_s"]
        res["ratio"] = res["sovplan_s"] / max(res["highs_alone"]["run_s"], 1e-9)
    return rows


def _f(v) -> str:
    return "-" if v is None or not (abs(v) < 1e30) else f"{v:.6f}"


def table(rows: list[dict], scenario: str, stories: bool = False) -> str:
    how = (
        "its own futures (listed; above their count, repeated with chip prices 0.75-1.25x and "
        "electricity 0.8-1.5x drawn with seed 0)"
        if stories
        else "futures drawn with seed 0 (chip prices 0.75-1.25x, electricity 0.8-1.5x)"
    )
    lines = [
        f"Scenario `{scenario}`, {how}, here and now as the scenario says (default the "
        "first period); the whole `robust` study (VSS, EVPI, regret included) on `workers` "
        "processes against HiGHS alone on the extensive form's stage 1; load average "
        "(1 min) before and after each run.",
        "",
        "| futures | workers | rows | integer | nonzeros | own optima (s) | deterministic (s) | "
        "candidates (s): distinct, recourse solves, pruned | extensive form (s): searched | "
        "study (s) | status, proven gap | HiGHS alone run (s), status | ratio | "
        "objective (sovplan / alone) | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s, t, a, q = r["size"], r["timings"], r["highs_alone"], r["search"]
        gap = "-" if r["gap"] is None else f"{r['gap']:.2%}"
        lines.append(
            f"| {r['futures']} | {r.get('workers', 1)} | {s['rows']:,} | {s['integer_columns']:,} | "
            f"{s['nonzeros']:,} | {t['own_optima_s']:.1f} | {t['deterministic_s']:.1f} | "
            f"{t['candidates_s']:.1f}: {q['candidates']}, {q['recourse_solves']}, "
            f"{q['evaluations_pruned']} | {t['extensive_form_s']:.1f}: "
            f"{'yes' if q['extensive_form_searched'] else 'no'} | {r['sovplan_s']:.1f} | "
            f"{r['status']}, {gap} | {a['run_s']:.1f}, {a['status']} | {r['ratio']:.2f} | "
            f"{_f(r['objective'])} / {_f(a['objective'])} | "
            f"{r['load_before'][0]:.1f} → {r['load_after'][0]:.1f} |"
        )
    return "\n".join(lines)


def update_readme(text: str, label: str) -> None:
    readme = Path(__file__).with_name("README.md")
    body = readme.read_text()
    block = f"{START}\n{text}\n{END}"
    if START in body and END in body:
        head, rest = body.split(START, 1)
        readme.write_text(head + block + rest.split(END, 1)[1])
    else:
        readme.write_text(
            body.rstrip() + f"\n\n### Robust plan: extensive form ({label})\n\n{block}\n"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=DEFAULT)
    ap.add_argument("--futures", default="1,2,5,10")
    ap.add_argument("--label", default="robust")
    ap.add_argument("--readme", action="store_true")
    ap.add_argument(
        "--stories", action="store_true", help="keep the scenario's own futures (see above)"
    )
    ap.add_argument("--workers", default="1", help="worker counts to run, e.g. 1,2")
    ap.add_argument("--time-limit", type=float, default=None)
    args = ap.parse_args(argv)
    scenario = args.scenario.resolve()
    workers = [int(x) for x in args.workers.split(",")]
    rows = []
    for n in [int(x) for x in args.futures.split(",")]:
        for row in bench(scenario, n, workers, args.stories, args.time_limit):
            rows.append(row)
            keys = ("futures", "workers", "size", "sovplan_s", "ratio", "status", "gap")
            print(json.dumps({k: row[k] for k in keys}), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"robust-{args.label}.json").write_text(json.dumps(rows, indent=2))
    text = table(rows, str(scenario.relative_to(ROOT)), args.stories)
    print(text)
    if args.readme:
        update_readme(text, args.label)


if __name__ == "__main__":
    main()
