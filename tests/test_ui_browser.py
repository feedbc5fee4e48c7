"""Real-browser smoke test: `sovplan ui` served, driven by headless Chromium via Selenium.

Starts the app on a free port with the tiny fixture scenario (SOVPLAN_SCENARIO_DIR), loads
it at laptop width, clicks Solve, waits for the results and checks what a user sees: the
sovereignty index and its value, the cost with its unit, the world map and the mix charts,
and no exception box. Screenshots are saved under the test's tmp_path. Needs Debian's
chromium and chromium-driver (.ci/run installs them); skipped with a reason otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


@pytest.mark.skipif(
    not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver "
    "(apt-get install -y chromium chromium-driver)",
)
def test_solve_in_a_real_browser(tmp_path):
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {**os.environ, "SOVPLAN_SCENARIO_DIR": str(ROOT / "tests" / "fixtures")}
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
        metrics = {
            m.find_element(By.CSS_SELECTOR, '[data-testid="stMetricLabel"]').text: m.find_element(
                By.CSS_SELECTOR, '[data-testid="stMetricValue"]'
            ).text
            for m in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]')
        }
        assert metrics.get("Sovereignty index (0-1)") == "0.833", metrics
        assert metrics.get("Total cost (MUSD)") == "30", metrics
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "status optimal" in body
        # a tall window shows the whole plan page for the record (map, mix, limits, table)
        driver.set_window_size(1366, 2600)
        time.sleep(1.5)
        driver.save_screenshot(str(tmp_path / "plan-page.png"))
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
