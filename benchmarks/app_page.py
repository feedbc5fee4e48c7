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

``--browser``: the same page served by ``streamlit run`` and driven by headless Chromium
(Debian's chromium and chromium-driver, as tests/test_ui_browser.py): per repeat, a fresh
page, a budget edit, Solve, another budget edit. Solve is timed from the click to the page
idle with every chart drawn, minus the "solved in" seconds the page prints (the planner's
own time); the edit from the keystroke to the same state. This includes what the browser
does (receiving and drawing the charts), which AppTest cannot see.

Results: ``results/app_page[-label].json`` (``app_page-browser[-label].json``).
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


def browser_sessions(repeats: int, port: int) -> list[dict[str, float]]:
    """``--browser``: see the module docstring. Needs /usr/bin/chromium and chromedriver."""
    import re
    import subprocess
    import urllib.request

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", APP, "--server.headless", "true",
         "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def busy(d) -> bool:
        return any(
            d.find_elements(By.CSS_SELECTOR, sel)
            for sel in (
                '[data-testid="stStatusWidget"]',
                '[data-testid="stSpinner"]',
                '[data-stale="true"]',
            )
        )

    def done(d, t0: float, ready: str, timeout: float = 300.0) -> float:
        """Seconds from t0 until the page shows what this step must show (the JavaScript
        condition ``ready``), is idle (no status widget, spinner or stale element) and has
        drawn every chart. ``ready`` tells a finished run from one not yet started: a fast
        rerun can come and go between two polls without the status widget ever showing."""
        while time.perf_counter() - t0 < timeout:
            if not busy(d) and d.execute_script(
                f"if (!({ready})) return false;"
                "const c = [...document.querySelectorAll('[data-testid=stPlotlyChart]')];"
                "return c.every(e => e.querySelector('.main-svg'));"
            ):
                return time.perf_counter() - t0
            time.sleep(0.05)
        raise TimeoutError("the page did not settle")

    text = "document.body.innerText.includes"
    page_ready = f"{text}('Set the inputs in the sidebar')"
    solved_ready = f"{text}('solved in') && !{text}('The inputs changed since')"
    stale_ready = f"{text}('The inputs changed since this plan was solved')"

    def budget_box(d):
        for box in d.find_elements(By.CSS_SELECTOR, '[data-testid="stNumberInput"]'):
            lines = box.text.splitlines()
            if lines and lines[0].strip() == "Budget (MUSD over the horizon)":
                return box.find_element(By.TAG_NAME, "input")
        return None

    def type_budget(d, value: float) -> None:
        box = budget_box(d)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(f"{value:g}", Keys.ENTER)

    rows = []
    driver = None
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-dev-shm-usage",
                     "--window-size=1366,900"):  # fmt: skip
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        for i in range(repeats + 1):  # the first is a warm-up (imports, first figures)
            budget = 20000.0 + 1000 * i  # a new plan each repeat: the server caches plans
            driver.get(f"http://127.0.0.1:{port}")
            t0 = time.perf_counter()
            while budget_box(driver) is None:
                time.sleep(0.05)
            done(driver, t0, page_ready)
            type_budget(driver, budget)
            time.sleep(1.0)  # no plan yet: nothing on the page tells this rerun has ended
            done(driver, time.perf_counter(), page_ready)
            solve = driver.find_element(By.XPATH, "//button[.//p[normalize-space()='Solve']]")
            t0 = time.perf_counter()
            solve.click()
            wall = done(driver, t0, solved_ready)
            said = re.search(
                r"solved in ([0-9.]+) s", driver.find_element(By.TAG_NAME, "body").text
            )
            solved_in = float(said.group(1)) if said else 0.0
            type_budget(driver, budget + 500)
            edit = done(driver, time.perf_counter(), stale_ready)
            row = {"solve_wall_s": wall, "solved_in_s": solved_in,
                   "solve_page_s": wall - solved_in, "edit_s": edit}  # fmt: skip
            print(f"browser repeat {i}{' (warm-up)' if i == 0 else ''}: {row}", flush=True)
            if i > 0:
                rows.append(row)
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(15)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="eu-2030-hedge")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget-edit", type=float, default=20000.0)
    parser.add_argument("--label", default="")
    parser.add_argument("--browser", action="store_true", help="headless Chromium instead")
    parser.add_argument("--port", type=int, default=8599)
    args = parser.parse_args(argv)

    os.environ["SOVPLAN_SCENARIO_DIR"] = str(ROOT / "data" / "scenarios")
    sys.path.insert(0, str(ROOT))
    # the bundled folder lists scenarios by name; the first is the one the page opens on
    first = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))[0].stem
    if args.scenario != first:
        raise SystemExit(f"the page opens on {first}; only that scenario is benchmarked here")

    if args.browser:
        load_before = os.getloadavg()[0]
        rows = browser_sessions(args.repeats, args.port)
        load_after = os.getloadavg()[0]
        medians = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        RESULTS.mkdir(exist_ok=True)
        name = "app_page-browser" + (f"-{args.label}" if args.label else "") + ".json"
        out = {"load_1min_before": load_before, "load_1min_after": load_after,
               "medians": medians, "runs": rows}  # fmt: skip
        (RESULTS / name).write_text(json.dumps(out, indent=2))
        print(f"load {load_before:.2f} -> {load_after:.2f}; medians {medians}")
        return 0

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
