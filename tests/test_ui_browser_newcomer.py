"""Real-browser checks of issue 28's app items: the map frames every country with compute,
and Solve stays in view in a long sidebar (headless Chromium, as tests/test_ui_browser.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.reports.maps import _polygon_boxes, world_geojson
from tests.test_ui_browser import ROOT, _solve_and_read, needs_chromium, served_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: the plotly figures on the page: (layout.geo ranges or null, locations of each trace)
FIGURES_JS = """
return Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
  geo: gd.layout && gd.layout.geo ? [gd.layout.geo.lonaxis.range, gd.layout.geo.lataxis.range]
                                   : null,
  locations: (gd.data || []).map(t => t.locations || null),
  names: (gd.data || []).map(t => t.name || '')
}));
"""


@needs_chromium
def test_map_frames_every_country_and_solve_stays_in_view(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml", scenarios)
    with served_app(tmp_path, scenarios) as (driver, _url):
        wait = WebDriverWait(driver, 240)
        _solve_and_read(driver, wait)
        maps = [f for f in driver.execute_script(FIGURES_JS) if f["geo"]]
        assert maps, "no map on the page"
        (lon0, lon1), (lat0, lat1) = maps[0]["geo"]
        shown = [
            c
            for locs, name in zip(maps[0]["locations"], maps[0]["names"], strict=True)
            if locs and name == "compute"  # the plan's countries (the grey world is unnamed)
            for c in locs
        ]
        assert len(shown) >= 2, shown
        geo = {f["id"]: f for f in world_geojson()["features"]}
        for iso in shown:
            for b in _polygon_boxes(geo[iso]["geometry"]):
                assert lon0 <= b[0] and b[2] <= lon1 and lat0 <= b[1] and b[3] <= lat1, iso
        driver.execute_script(
            "const s = document.querySelector('[data-testid=stSidebarContent]');"
            "s.scrollTop = s.scrollHeight;"
        )
        solve = driver.find_element(By.XPATH, "//button[.//p[normalize-space()='Solve']]")
        rect = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "return [r.top, r.bottom, window.innerHeight];",
            solve,
        )
        assert rect[0] >= 0 and rect[1] <= rect[2], rect
        driver.save_screenshot(str(Path(tmp_path) / "scrolled.png"))
