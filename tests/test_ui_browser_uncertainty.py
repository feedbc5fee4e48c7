"""Real-browser check of the Uncertainty tab (issue #25 item 6): on the tiny futures fixture,
open the tab, press Run robust plan, and read the VSS, EVPI and robust objective the page
shows against `sovplan robust --json` on the same file (headless Chromium, as
tests/test_ui_browser.py). The study runs inside the served app, in its worker thread with
the line counting seconds, which AppTest does not exercise the same way."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.test_ui_browser import ROOT, _metrics, _sovplan, _wait_idle, needs_chromium, served_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FUTURES_DIR = ROOT / "tests" / "fixtures" / "futures"


@needs_chromium
def test_robust_plan_in_a_real_browser_matches_the_cli(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    run = subprocess.run(
        [*_sovplan(), "robust", str(FUTURES_DIR / "tiny-futures.yaml"), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    cli = json.loads(run.stdout)
    with served_app(tmp_path, FUTURES_DIR) as (driver, _):
        wait = WebDriverWait(driver, 240)
        tab = wait.until(
            lambda d: next(
                (t for t in d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                 if t.text.strip() == "Uncertainty"), None,
            )
        )  # fmt: skip
        tab.click()
        button = wait.until(
            lambda d: next(
                (b for b in d.find_elements(By.XPATH,
                 "//button[.//p[normalize-space()='Run robust plan']]") if b.is_displayed()),
                None,
            )
        )  # fmt: skip
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        _wait_idle(driver, wait)
        wait.until(lambda d: "Value of the stochastic solution (VSS)" in _metrics(d))
        driver.save_screenshot(str(tmp_path / "robust.png"))
        metrics = _metrics(driver)
        assert metrics["Value of the stochastic solution (VSS)"] == f"{cli['vss']:+.4f}", metrics
        assert metrics["Expected value of perfect information (EVPI)"] == (f"{cli['evpi']:.4f}"), (
            metrics
        )
        assert metrics["Robust objective (expected)"] == f"{cli['robust_objective']:.4f}"
        assert driver.find_elements(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"]')
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        driver.set_window_size(1366, 3000)  # the whole section, for the record
        driver.save_screenshot(str(tmp_path / "robust-page.png"))
