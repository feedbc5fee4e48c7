"""Page work of the web app on top of the solve (issue #28 item 9).

    python -m benchmarks.app_page [--scenario eu-2030-hedge] [--repeats 5] [--label L]

Drives ``ui/app.py`` headless with Streamlit's ``AppTest`` (the script runs in this process,
as the server would run it for one session) through one session's steps: open the page, press
Solve, rerun with nothing changed, edit the budget, press Solve on the edited inputs (a second,
new solve), edit the budget back (a plan solved before, from the server's plan cache). Each
step's wall time is split into the solve (``ui.support.solve_plan``, timed by wrapping it
here) and the rest: **page work** = step wall - solve seconds in that step. Every repeat starts
a fresh session with the server's plan cache and Streamlit's caches emptied, so each Solve
solves. Reported: the median and the range of each step's page work over the repeats, and the
1-minute load average before and after (the machine is shared: compare runs made one after
the other only).

``AppTest`` adds its own cost (it turns the page's messages into an element tree); it is the
same for the code before and after, so differences are the app's. What a browser adds
(drawing the charts) is not counted here.

Results: ``results/app_page[-label].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
APP = str(ROOT / "ui" / "app.py")


class SolveClock:
    """Wraps ``ui.support.solve_plan`` (every solve the app runs goes through it) and sums
    the seconds spent in it."""

    def __init__(self) -> None:
        import ui.support as support

        self.support = support
        self.original = support.solve_plan
        self.seconds = 0.0
        self.calls = 0

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1

        support.solve_plan = timed

    def take(self) -> tuple[float, int]:
        """Seconds and calls since the last take."""
        out = (self.seconds, self.calls)
        self.seconds, self.calls = 0.0, 0
        return out


def empty_caches() -> None:
    """A fresh server: no plan solved, nothing in Streamlit's caches."""
    import streamlit as st

    import ui.plan_view as plan_view

    with plan_view._PLANS_LOCK:
        plan_view._PLANS.clear()
    st.cache_data.clear()
    st.cache_resource.clear()


def one_session(clock: SolveClock, budget_edit: float) -> dict[str, dict[str, float]]:
    """One session's steps; per step: wall, solve seconds, solves and page work (s)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    out: dict[str, dict[str, float]] = {}

    def key(name: str) -> str:
        try:
            generation = at.session_state["inputs_generation"]
        except KeyError:
            generation = 0
        return f"in:{generation}:{name}"

    def step(label: str, action) -> None:
        clock.take()
        t0 = time.perf_counter()
        action()
        wall = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"{label}: {[e.value for e in at.exception]}")
        solve_s, solves = clock.take()
        out[label] = {
            "wall_s": wall,
            "solve_s": solve_s,
            "solves": solves,
            "page_s": wall - solve_s,
        }

    step("open", at.run)
    budget = at.number_input(key=key("budget")).value
    step("solve", lambda: at.button(key="solve").click().run())
    index = next(m.value for m in at.metric if m.label.startswith("Sovereignty index"))
    step("rerun, nothing changed", at.run)
    step("edit the budget", lambda: at.number_input(key=key("budget")).set_value(budget_edit).run())
    step("solve the edit", lambda: at.button(key="solve").click().run())
    step("edit the budget back", lambda: at.number_input(key=key("budget")).set_value(budget).run())
    step("solve again (cached plan)", lambda: at.button(key="solve").click().run())
    again = next(m.value for m in at.metric if m.label.startswith("Sovereignty index"))
    if again != index:
        raise RuntimeError(f"the cached plan shows {again}, the first solve {index}")
    out["_shown"] = {"index": index}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="eu-2030-hedge")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget-edit", type=float, default=20000.0)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)

    os.environ["SOVPLAN_SCENARIO_DIR"] = str(ROOT / "data" / "scenarios")
    sys.path.insert(0, str(ROOT))
    # the bundled folder lists scenarios by name; the first is the one the page opens on
    first = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))[0].stem
    if args.scenario != first:
        raise SystemExit(f"the page opens on {first}; only that scenario is benchmarked here")

    clock = SolveClock()
    load_before = os.getloadavg()[0]
    empty_caches()
    one_session(clock, args.budget_edit)  # warm-up: imports, the geojson, first-run costs
    runs = []
    for i in range(args.repeats):
        empty_caches()
        runs.append(one_session(clock, args.budget_edit))
        print(f"repeat {i}: " + ", ".join(
            f"{k} {v['page_s']:.2f}" for k, v in runs[-1].items() if not k.startswith("_")
        ), flush=True)  # fmt: skip
    load_after = os.getloadavg()[0]

    steps = [k for k in runs[0] if not k.startswith("_")]
    summary = {}
    for name in steps:
        page = [r[name]["page_s"] for r in runs]
        solve = [r[name]["solve_s"] for r in runs]
        summary[name] = {
            "page_s_median": statistics.median(page),
            "page_s_min": min(page),
            "page_s_max": max(page),
            "solve_s_median": statistics.median(solve),
            "solves": runs[0][name]["solves"],
        }
    result = {
        "scenario": args.scenario,
        "repeats": args.repeats,
        "load_1min_before": load_before,
        "load_1min_after": load_after,
        "index_shown": runs[0]["_shown"]["index"],
        "steps": summary,
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    name = "app_page" + (f"-{args.label}" if args.label else "") + ".json"
    (RESULTS / name).write_text(json.dumps(result, indent=2))
    print(f"\nload {load_before:.2f} -> {load_after:.2f}; index shown {result['index_shown']}")
    print("| step | page work s, median [min-max] | solve s (median) | solves |")
    print("|---|---|---|---|")
    for name, s in summary.items():
        print(
            f"| {name} | {s['page_s_median']:.2f} [{s['page_s_min']:.2f}-{s['page_s_max']:.2f}] "
            f"| {s['solve_s_median']:.2f} | {s['solves']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
