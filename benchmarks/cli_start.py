"""`sovplan solve` in a fresh process, before and after a change (issue 27's CLI row).

    python -m benchmarks.cli_start [--before REV] [--repeats 3] [--scenarios a,b]
                                   [--label after]

Per bundled scenario (data/scenarios/*.yaml), in one run (the machine is shared: compare only
numbers from the same run): ``python -m planner.cli solve <scenario> --out <tmp>.json`` in a
new interpreter, once with the code of ``REV`` (a ``git archive`` copy in a temporary folder)
and once with this tree, alternating which goes first, ``--repeats`` times each. ``--out``
makes the process write the plan it printed, whose ``timings`` give the HiGHS seconds inside
it (``solve_s``: the stages' HiGHS runs) and the in-process total; so each row reports the
wall, the HiGHS seconds and **wall − HiGHS** (interpreter start, imports, scenario and tables,
model build, results, ranges and printing), each the median over the repeats, with the
1-minute load seen before each run. The printed text of the two versions is compared on every
run (``same output``). The parsed-tables cache (``planner.core.table_cache``) is primed by one
unrecorded run of each version first, as a user's second command finds it.

The goal row is the wall (process start and imports included): ≤ 2 s per scenario. Results:
results/cli_start[-label].json; the table is printed for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
from pathlib import Path

from benchmarks.run import PYTHON, RESULTS, ROOT, run_child

SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))


def archive(rev: str, into: Path) -> Path:
    """The tree of ``rev`` unpacked under ``into`` (code, data and all: a run reads both)."""
    dest = into / rev.replace("/", "_")
    dest.mkdir(parents=True)
    tar = into / "tree.tar"
    with open(tar, "wb") as fh:
        subprocess.run(["git", "archive", rev], cwd=ROOT, stdout=fh, check=True)
    with tarfile.open(tar) as t:
        t.extractall(dest, filter="data")
    tar.unlink()
    return dest


def compiled_copy(tree: Path, into: Path) -> Path:
    """A copy of ``tree``'s code and data with its modules compiled to bytecode (in the
    temporary folder only: the user's tree and environment are left as they are)."""
    dest = into / "tree"
    for part in ("planner", "models", "data"):
        shutil.copytree(tree / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([PYTHON, "-m", "compileall", "-q", "planner", "models"], cwd=dest, check=True)
    return dest


def solve_once(tree: Path, scenario: Path, out: Path) -> dict:
    """One fresh ``sovplan solve`` of ``scenario`` with the code and data of ``tree`` (run in
    ``tree``: ``python -m`` puts the working folder first on the path)."""
    load = os.getloadavg()[0]
    path = tree / "data" / "scenarios" / scenario.name  # each version reads its own data
    cmd = [PYTHON, "-m", "planner.cli", "solve", str(path), "--out", str(out), "--force"]
    run = run_child(cmd, env={"PYTHONPATH": str(tree)}, cwd=tree)
    row = {"wall_s": run["wall_s"], "cpu_s": run["cpu_s"], "load": load}
    row["returncode"] = run["returncode"]
    row["stdout"] = run["stdout"]
    if run["returncode"] not in (0, 1):
        raise SystemExit(f"{scenario.name} ({tree}): exit {run['returncode']}\n{run['stderr']}")
    plan = json.loads(out.read_text())
    timings = plan.get("timings") or {}
    row["highs_s"] = float(timings.get("solve_s", 0.0))
    row["in_process_s"] = float(timings.get("total_s", 0.0))
    row["status"] = plan.get("status")
    return row


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="55c59c2", help="git revision of the 'before' column")
    ap.add_argument(
        "--after", default="", help="git revision of the 'after' column (default: this tree)"
    )
    ap.add_argument(
        "--compiled",
        action="store_true",
        help="also run a copy of 'after' with its bytecode compiled (what "
        "PYTHONDONTWRITEBYTECODE costs: every other run compiles the project from source)",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    chosen = [s for s in SCENARIOS if not args.scenarios or s.stem in args.scenarios.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        after = archive(args.after, tmp_path / "a") if args.after else ROOT
        trees = {"before": archive(args.before, tmp_path / "b"), "after": after}
        if args.compiled:
            trees["compiled"] = compiled_copy(after, tmp_path / "c")
        out = tmp_path / "plan.json"
        for tree in trees.values():  # prime the tables cache; not recorded
            solve_once(tree, chosen[0], out)
        results = []
        for scenario in chosen:
            runs: dict[str, list[dict]] = {which: [] for which in trees}
            for r in range(args.repeats):
                order = list(trees) if r % 2 == 0 else list(reversed(trees))
                for which in order:
                    runs[which].append(solve_once(trees[which], scenario, out))
                    print(f"{scenario.stem} {which}: {runs[which][-1]['wall_s']:.2f} s", flush=True)
            # a long solve may stop a stage at its share of the time limit and print another
            # of the equally good plans: count the distinct texts of each version too
            texts = {which: {r["stdout"] for r in rs} for which, rs in runs.items()}
            row = {
                "scenario": scenario.stem,
                "same_output": texts["before"] == texts["after"],
                "distinct_texts": {which: len(t) for which, t in texts.items()},
                "repeats": args.repeats,
            }
            for which, rs in runs.items():
                row[which] = {
                    "wall_s": median(rs, "wall_s"),
                    "highs_s": median(rs, "highs_s"),
                    "wall_minus_highs_s": statistics.median(r["wall_s"] - r["highs_s"] for r in rs),
                    "cpu_s": median(rs, "cpu_s"),
                    "load": [min(r["load"] for r in rs), max(r["load"] for r in rs)],
                    "walls_s": [r["wall_s"] for r in rs],
                    "status": rs[-1]["status"],
                }
            results.append(row)
    RESULTS.mkdir(exist_ok=True)
    name = f"cli_start{'-' + args.label if args.label else ''}.json"
    meta = {"before": args.before, "after": args.after or "working tree", "rows": results}
    (RESULTS / name).write_text(json.dumps(meta, indent=2))
    print(table(results))


def same(row: dict) -> str:
    """'yes' when both versions printed the same text(s), else how many distinct texts each
    printed over its repeats."""
    if row["same_output"]:
        return "yes"
    n = row["distinct_texts"]
    return f"no (distinct texts: before {n['before']}, after {n['after']})"


def table(rows: list[dict]) -> str:
    lines = [
        "| scenario | wall s before → after | HiGHS s before → after | wall − HiGHS s before → "
        "after | load | same output | goal ≤ 2 s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b, a = r["before"], r["after"]
        lo = min(b["load"][0], a["load"][0])
        hi = max(b["load"][1], a["load"][1])
        lines.append(
            f"| {r['scenario']} | {b['wall_s']:.2f} → {a['wall_s']:.2f} | "
            f"{b['highs_s']:.2f} → {a['highs_s']:.2f} | "
            f"{b['wall_minus_highs_s']:.2f} → {a['wall_minus_highs_s']:.2f} | "
            f"{lo:.1f}-{hi:.1f} | {same(r)} | "
            f"{'met' if a['wall_s'] <= 2.0 else 'not met'} |"
            + (f" {r['compiled']['wall_s']:.2f} |" if "compiled" in r else "")
        )
    if any("compiled" in r for r in rows):
        lines[0] += " wall s after, bytecode compiled |"
        lines[1] += "---|"
    return "\n".join(lines)


if __name__ == "__main__":
    main()
