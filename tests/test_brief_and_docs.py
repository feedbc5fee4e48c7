"""The plan brief (``sovplan brief``), the checked worked examples of the README and
docs/scenarios.md (``sovplan docs --examples``), and the map's view (issue 28)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.reports.doc_examples import check_file, same, update_file
from planner.reports.maps import _polygon_boxes, _view, world_geojson
from tests.conftest import TINY_YAML

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
RUNNER = CliRunner()


def _doc(tmp_path: Path, index: str, providers: str) -> Path:
    md = tmp_path / "doc.md"
    md.write_text(
        f"<!--example t: {TINY_YAML.relative_to(ROOT)}-->\n"
        f"Index <!--x:t.index-->{index}<!--/x--> with "
        f"<!--x:t.providers-->{providers}<!--/x--> at <!--x:t.cost-->30<!--/x--> MUSD.\n"
    )
    return md


def test_examples_are_checked_and_updated_in_one_command(tmp_path):
    md = _doc(tmp_path, "0.500", "NOBODY 100%")
    drift = {(m.fact, m.written) for m in check_file(md, ROOT)}
    assert drift == {("index", "0.500"), ("providers", "NOBODY 100%")}
    out = RUNNER.invoke(app, ["docs", "--examples", str(md), "--update"])
    assert out.exit_code == 0, out.output
    assert check_file(md, ROOT) == []
    assert "<!--x:t.index-->0.833<!--/x-->" in md.read_text()
    assert RUNNER.invoke(app, ["docs", "--examples", str(md)]).exit_code == 0


def test_money_within_the_tie_break_gap_is_the_same_answer():
    assert same("cost", "10,055", "10,060", 0.001)
    assert not same("cost", "10,055", "10,300", 0.001)
    assert not same("providers", "AWS 20%", "GCP 20%", 0.5)


def test_a_tag_naming_no_example_is_an_input_error(tmp_path):
    md = tmp_path / "bad.md"
    md.write_text("<!--x:nothing.index-->1<!--/x-->\n")
    out = RUNNER.invoke(app, ["docs", "--examples", str(md)])
    assert out.exit_code == 2 and "names no example" in out.output


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["README.md", "docs/scenarios.md"])
def test_readme_and_scenario_docs_match_the_code(doc):
    """Every tagged number and supplier in the text is what the code returns now; after a
    change that moves them: `sovplan docs --examples README.md --examples docs/scenarios.md
    --update`, then read the prose around the tags."""
    drift = check_file(ROOT / doc, ROOT)
    assert not drift, "\n".join(map(str, drift))


def test_update_keeps_values_within_tolerance(tmp_path):
    md = _doc(tmp_path, "0.833", "USC 100%")
    text, changed = update_file(md, ROOT)
    assert "<!--x:t.cost-->30<!--/x-->" in text
    assert all(m.fact != "cost" for m in changed)


@pytest.mark.parametrize("countries", [["USA", "DEU"], ["FIN", "ROU", "PRT"], ["JPN", "AUS"]])
def test_map_view_contains_every_country_with_compute(countries):
    """No cropped Alaska or eastern Europe: every sizeable polygon is inside the view."""
    geo = world_geojson()
    view = _view(geo, countries)
    (lon0, lon1), (lat0, lat1) = view["lonaxis_range"], view["lataxis_range"]
    for f in geo["features"]:
        if f["id"] in countries:
            for b in _polygon_boxes(f["geometry"]):
                assert lon0 <= b[0] and b[2] <= lon1 and lat0 <= b[1] and b[3] <= lat1, f["id"]
    if "USA" in countries:
        assert lon0 <= -165  # Alaska


def test_map_never_draws_compute_in_the_none_grey():
    import pandas as pd

    from planner.reports.maps import NONE_GREY, world_map

    by = pd.DataFrame(
        {
            "iso3": ["FRA", "FIN"],
            "name": ["France", "Finland"],
            "compute_eflops": [16.0, 64.0],
            "power_mw": [1.0, 1.0],
            "accelerators": [1, 1],
        }
    )
    fig = world_map(by, 2030)
    scale = fig.layout.coloraxis.colorscale
    assert all(c.lower() != NONE_GREY for _, c in scale)
    assert fig.layout.coloraxis.cmin == 0


def test_brief_command_writes_one_self_contained_page(tmp_path):
    out = tmp_path / "brief.html"
    res = RUNNER.invoke(app, ["brief", str(TINY_YAML), "--out", str(out), "--alternatives", "1"])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    for section in ("The question", "Where the compute sits", "The mix by layer",
                    "Cost against the budget", "What binds", "The worst supply cut",
                    "Alternatives"):  # fmt: skip
        assert section in text
    assert "<script src=" not in text  # plotly.js is inline: nothing to fetch
    assert "topojsonURL" in text  # the map's base layer is the inline stub


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_brief_renders_offline_and_prints_to_pdf(tmp_path):
    """Headless Chromium with every network request sent to a dead proxy: the brief's
    charts and map still draw, and it prints to a PDF."""
    brief = tmp_path / "brief.html"
    made = subprocess.run(
        [sys.executable, "-m", "planner.cli", "brief", str(TINY_YAML), "--out", str(brief)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    flags = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=15000",
    ]  # fmt: skip
    dom = subprocess.run(
        [*flags, "--dump-dom", brief.as_uri()], capture_output=True, text=True, timeout=180
    )
    html = dom.stdout
    assert html.count('class="main-svg"') >= 9, html[-2000:]  # map, mix and cost drawn
    assert "choroplethlocation" in html  # the countries of the map
    pdf = tmp_path / "brief.pdf"
    subprocess.run(
        [*flags, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", brief.as_uri()],
        capture_output=True, timeout=180,
    )  # fmt: skip
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 20_000


def test_brief_from_a_saved_plan_matches_the_plan(tmp_path):
    plan_json = tmp_path / "plan.json"
    assert RUNNER.invoke(app, ["solve", str(TINY_YAML), "--out", str(plan_json)]).exit_code == 0
    out = tmp_path / "brief.html"
    res = RUNNER.invoke(
        app,
        ["brief", str(TINY_YAML), "--plan", str(plan_json), "--alternatives", "0",
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "0.833" in text and "30 MUSD" in text  # the saved plan's index and cost
