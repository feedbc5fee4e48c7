"""Real-browser tests: `sovplan ui` served, driven by headless Chromium via Selenium.

1. The tiny fixture scenario (SOVPLAN_SCENARIO_DIR): load at laptop width, click Solve,
   check what a user sees: the index, the cost with its unit, the map and the mix charts,
   and no exception box.
2. The bundled scenarios, as a new user clicks: open the page (first scenario), switch to
   france-2030, check the sidebar shows that file's values, solve and compare the index and
   cost with `sovplan solve --json`; edit the budget, Reset, check the file's budget is back
   and the re-solve gives the CLI's numbers again. Only a real browser catches stale widget
   values: it keeps each widget's last value and resends it, which AppTest does not model.

Screenshots go to the test's tmp_path (on failure too). Needs Debian's chromium and
chromium-driver (.ci/run installs them); skipped with a reason otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"sovplan ui exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"sovplan ui did not answer within {timeout:.0f} s:\n{log.read_text()}")


def _sovplan() -> list[str]:
    script = Path(sys.executable).with_name("sovplan")
    if script.exists():
        return [str(script)]
    found = shutil.which("sovplan")
    return [found] if found else [sys.executable, "-m", "planner.cli"]


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver "
    "(apt-get install -y chromium chromium-driver)",
)


@contextlib.contextmanager
def served_app(tmp_path: Path, scenario_dir: Path) -> Iterator[tuple[Any, str]]:
    """`sovplan ui` on a free port and a headless Chromium at laptop size: (driver, url)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {**os.environ, "SOVPLAN_SCENARIO_DIR": str(scenario_dir)}
    with log.open("w") as out:
        server = subprocess.Popen(
            [*_sovplan(), "ui", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    driver = None
    try:
        _wait_healthy(url, server, log)
        opts = webdriver.ChromeOptions()
        opts.binary_location = str(CHROMIUM)
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1366,900",  # a laptop screen
        ):
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
        driver.get(url)
        yield driver, url
    except BaseException:
        if driver is not None:
            driver.save_screenshot(str(tmp_path / "failure.png"))
        raise
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def _metrics(driver) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    return {
        m.find_element(By.CSS_SELECTOR, '[data-testid="stMetricLabel"]').text: m.find_element(
            By.CSS_SELECTOR, '[data-testid="stMetricValue"]'
        ).text
        for m in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]')
    }


def _find_number_input(driver, label: str):
    """The <input> of the number input with this label, or None (yet)."""
    from selenium.webdriver.common.by import By

    for box in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stNumberInput"]'):
        if box.text.splitlines() and box.text.splitlines()[0].strip() == label:
            return box.find_element(By.TAG_NAME, "input")
    return None


def _number_input(driver, label: str):
    found = _find_number_input(driver, label)
    assert found is not None, f"no number input {label!r}"
    return found


def _value_is(label: str, value: str):
    """A wait condition: the number input shows this value."""

    def check(driver) -> bool:
        found = _find_number_input(driver, label)
        return found is not None and found.get_attribute("value") == value

    return check


def _busy(driver) -> bool:
    """The app is running: status widget, a spinner, or elements marked stale."""
    from selenium.webdriver.common.by import By

    return bool(
        driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        or driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSpinner"]')
        or driver.find_elements(By.CSS_SELECTOR, '[data-stale="true"]')
    )


def _wait_idle(driver, wait) -> None:
    """Until the app has finished its run, idle in two checks a second apart (the status
    widget shows only after a short delay, so one check can come before the run starts)."""
    time.sleep(1.0)
    for _ in range(2):
        wait.until(lambda d: not _busy(d))
        time.sleep(1.0)
    wait.until(lambda d: not _busy(d))


def _solve_and_read(driver, wait) -> dict[str, str]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    solve = wait.until(
        ec.element_to_be_clickable((By.XPATH, "//button[.//p[normalize-space()='Solve']]"))
    )
    solve.click()
    _wait_idle(driver, wait)
    wait.until(lambda d: "Sovereignty index (0-1)" in _metrics(d))
    return _metrics(driver)


def _cli(path: Path, *sets: str) -> dict[str, Any]:
    args = [a for s in sets for a in ("--set", s)]
    run = subprocess.run(
        [*_sovplan(), "solve", str(path), "--json", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@needs_chromium
def test_switch_scenario_edit_reset_and_solve_match_the_cli(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from planner import load_scenario

    scenarios = ROOT / "data" / "scenarios"
    france = scenarios / "france-2030.yaml"
    first = load_scenario(sorted(scenarios.glob("*.yaml"))[0])  # what the page opens with
    fr = load_scenario(france)
    cli = _cli(france)
    # a budget 1% below the optimum's cost: the page must re-plan exactly as the CLI does
    tighter = int(cli["cost"] * 0.99)
    with served_app(tmp_path, ROOT / "data" / "scenarios") as (driver, _):
        wait = WebDriverWait(driver, 120)
        wait.until(lambda d: _find_number_input(d, "Budget (MUSD over the horizon)"))
        _wait_idle(driver, wait)
        assert _number_input(driver, "Target 2030 (EFLOP/s)").get_attribute("value") == (
            f"{first.target[2030]:.2f}"
        )
        # switch to france-2030 in the scenario picker
        picker = next(
            s
            for s in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSelectbox"]')
            if "Bundled scenario" in s.text
        )
        picker.find_element(By.CSS_SELECTOR, 'button[aria-label="Open"]').click()
        option = wait.until(
            lambda d: next(
                (
                    o
                    for o in d.find_elements(By.CSS_SELECTOR, '[role="option"]')
                    if o.text.strip() == "france-2030"
                ),
                None,
            )
        )
        option.click()
        _wait_idle(driver, wait)
        wait.until(_value_is("Target 2030 (EFLOP/s)", f"{fr.target[2030]:.2f}"))
        driver.save_screenshot(str(tmp_path / "1-switched.png"))
        shown = {
            label: _number_input(driver, label).get_attribute("value")
            for label in (
                "Target 2026 (EFLOP/s)",
                "Target 2028 (EFLOP/s)",
                "Target 2030 (EFLOP/s)",
                "Budget (MUSD over the horizon)",
                "Solver time limit (s)",
            )
        }
        assert shown == {
            **{f"Target {t} (EFLOP/s)": f"{v:.2f}" for t, v in fr.target.items()},
            "Budget (MUSD over the horizon)": f"{fr.budget:.2f}",
            "Solver time limit (s)": f"{fr.solver.time_limit:.2f}",
        }, shown
        metrics = _solve_and_read(driver, wait)
        driver.save_screenshot(str(tmp_path / "2-solved.png"))
        assert metrics["Sovereignty index (0-1)"] == f"{cli['sovereignty']['index']:.3f}", metrics
        assert metrics["Total cost (MUSD)"] == f"{cli['cost']:,.0f}", metrics
        assert _number_input(driver, "Target 2030 (EFLOP/s)").get_attribute("value") == (
            f"{fr.target[2030]:.2f}"
        )
        # edit the budget, then Reset: the file's budget is back, and solving matches the CLI
        budget = _number_input(driver, "Budget (MUSD over the horizon)")
        budget.send_keys(Keys.CONTROL, "a")
        budget.send_keys(str(tighter), Keys.ENTER)
        _wait_idle(driver, wait)
        edited = _cli(france, f"budget={tighter}")
        metrics = _solve_and_read(driver, wait)
        driver.save_screenshot(str(tmp_path / "3-edited.png"))
        assert metrics["Total cost (MUSD)"] == f"{edited['cost']:,.0f}", (metrics, edited["cost"])
        reset = driver.find_element(
            By.XPATH, '//button[.//p[normalize-space()="Reset to the file\'s values"]]'
        )
        # scrolled to the middle of the sidebar, as a person sees it: scrolled to the top edge
        # it sits under the sticky Solve bar, which would take the click
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", reset)
        reset.click()
        _wait_idle(driver, wait)
        wait.until(
            lambda d: (
                _number_input(d, "Budget (MUSD over the horizon)").get_attribute("value")
                == f"{fr.budget:.2f}"
            )
        )
        metrics = _solve_and_read(driver, wait)
        driver.save_screenshot(str(tmp_path / "4-reset-solved.png"))
        driver.set_window_size(1366, 2600)  # the whole plan page, for the record
        time.sleep(2.0)
        driver.save_screenshot(str(tmp_path / "5-plan-page.png"))
        assert metrics["Sovereignty index (0-1)"] == f"{cli['sovereignty']['index']:.3f}", metrics
        assert metrics["Total cost (MUSD)"] == f"{cli['cost']:,.0f}", metrics
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


@needs_chromium
def test_solve_in_a_real_browser(tmp_path):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with served_app(tmp_path, ROOT / "tests" / "fixtures") as (driver, _url):
        wait = WebDriverWait(driver, 90)
        solve = wait.until(
            ec.element_to_be_clickable((By.XPATH, "//button[.//p[normalize-space()='Solve']]"))
        )
        driver.save_screenshot(str(tmp_path / "before-solve.png"))
        solve.click()
        try:
            wait.until(
                lambda d: any(
                    "Sovereignty index" in m.text
                    for m in d.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]')
                )
            )
            # the charts draw after the metrics; give plotly a moment to render them
            wait.until(
                lambda d: (
                    len(d.find_elements(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"]')) >= 2
                )
            )
        except TimeoutException:
            driver.save_screenshot(str(tmp_path / "timeout.png"))
            raise
        time.sleep(2.0)
        driver.save_screenshot(str(tmp_path / "after-solve.png"))
        metrics = _metrics(driver)
        assert metrics.get("Sovereignty index (0-1)") == "0.833", metrics
        assert metrics.get("Total cost (MUSD)") == "30", metrics
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "status optimal" in body
        # a tall window shows the whole plan page for the record (map, mix, limits, table)
        driver.set_window_size(1366, 2600)
        time.sleep(1.5)
        driver.save_screenshot(str(tmp_path / "plan-page.png"))


@needs_chromium
def test_frontier_in_a_real_browser_matches_the_cli(tmp_path):
    """Trade-offs tab on the tiny scenario: the frontier computed by the page (its worker
    pool runs inside the Streamlit server) lists the same points as `sovplan pareto`, and
    the plan opened at a point shows that point's index and cost."""
    import csv

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    tiny_yaml = ROOT / "tests" / "fixtures" / "tiny.yaml"
    out = tmp_path / "front.csv"
    run = subprocess.run(
        [*_sovplan(), "pareto", str(tiny_yaml), "--points", "6", "--workers", "2",
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) >= 3  # a frontier worth comparing
    from planner.reports.numbers import objective_value

    # the CLI's rows in the words the page prints (objective_value: '24 MUSD', '0.833')
    expected = [
        f"total cost (MUSD) {objective_value('cost', float(r['cost']))}, sovereignty "
        f"index (0-1) {objective_value('sovereignty', float(r['sovereignty']))}"
        for r in rows
    ]
    with served_app(tmp_path, ROOT / "tests" / "fixtures") as (driver, _):
        wait = WebDriverWait(driver, 180)
        tab = wait.until(
            lambda d: next(
                (t for t in d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                 if t.text.strip() == "Trade-offs"), None,
            )
        )  # fmt: skip
        tab.click()
        points = wait.until(lambda d: _find_number_input(d, "points"))
        points.send_keys(Keys.CONTROL, "a")
        points.send_keys("6", Keys.ENTER)
        _wait_idle(driver, wait)
        driver.find_element(
            By.XPATH, "//button[.//p[normalize-space()='Compute frontier']]"
        ).click()
        _wait_idle(driver, wait)
        picker = wait.until(
            lambda d: next(
                (s for s in d.find_elements(By.CSS_SELECTOR, '[data-testid="stSelectbox"]')
                 if "Point to open" in s.text), None,
            )
        )  # fmt: skip
        driver.save_screenshot(str(tmp_path / "1-frontier.png"))
        picker.find_element(By.CSS_SELECTOR, 'button[aria-label="Open"]').click()
        options = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[role="option"]'))
        shown = [o.text.strip() for o in options]
        # "point i (knee): ..." -> the part after the colon, compared with the CLI's rows
        assert [s.split(": ", 1)[1] for s in shown] == expected, (shown, expected)
        # open the most sovereign point: its plan's KPIs are the CLI row's
        options[-1].click()
        _wait_idle(driver, wait)
        driver.save_screenshot(str(tmp_path / "2-point.png"))
        last = rows[-1]
        metrics = _metrics(driver)
        assert metrics["Sovereignty index (0-1)"] == f"{float(last['sovereignty']):.3f}", metrics
        assert metrics["Total cost (MUSD)"] == f"{float(last['cost']):,.0f}", metrics
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


@needs_chromium
def test_lazy_mix_tabs_and_downloads_built_on_click(tmp_path):
    """Issue 28 #9: only the open mix tab's chart is drawn (each tab draws its own when
    clicked), and the downloads are built when clicked, not at every rerun: the files a
    browser receives are the plan's (CSV equal to ``plan_to_csv``, a five-sheet workbook,
    the scenario YAML with the edited budget)."""
    import pandas as pd
    import yaml
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from planner import load_scenario
    from planner import solve as planner_solve
    from ui.support import plan_to_csv

    titles_js = (
        "return [...document.querySelectorAll('.js-plotly-plot')]"
        ".map(g => (g.layout && g.layout.title && g.layout.title.text) || '')"
    )
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with served_app(tmp_path, ROOT / "tests" / "fixtures") as (driver, _url):
        wait = WebDriverWait(driver, 120)
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        wait.until(lambda d: _find_number_input(d, "Budget (MUSD over the horizon)"))
        _wait_idle(driver, wait)
        budget = _number_input(driver, "Budget (MUSD over the horizon)")
        budget.send_keys(Keys.CONTROL, "a")
        budget.send_keys("40", Keys.ENTER)
        _wait_idle(driver, wait)
        _solve_and_read(driver, wait)
        for label in ("Mix by chip designer", "Mix by jurisdiction", "Mix by provider"):
            tab = next(
                t for t in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                if t.text.strip() == label
            )  # fmt: skip
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", tab)
            tab.click()
            _wait_idle(driver, wait)
            titles = driver.execute_script(titles_js)
            # the map, the bars and this tab's chart only (the theme may wrap titles in <b>)
            assert len(titles) == 3 and label in titles[2], (label, titles)
        for text in (
            "Download allocation (CSV)",
            "Download plan (Excel)",
            "Download scenario YAML",
        ):
            button = driver.find_element(By.XPATH, f"//button[.//p[normalize-space()='{text}']]")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
            button.click()
        names = {"tiny-allocation.csv", "tiny-plan.xlsx", "tiny.yaml"}
        wait.until(lambda d: names <= {f.name for f in downloads.iterdir()})
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    plan = planner_solve(load_scenario(ROOT / "tests" / "fixtures" / "tiny.yaml", ["budget=40"]))
    assert (downloads / "tiny-allocation.csv").read_bytes() == plan_to_csv(plan)
    assert len(pd.read_excel(downloads / "tiny-plan.xlsx", sheet_name=None)) == 5
    assert yaml.safe_load((downloads / "tiny.yaml").read_text())["budget"] == 40
