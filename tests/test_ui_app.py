"""The Streamlit app, driven headless by streamlit.testing.v1.AppTest on the tiny fixture.

The tiny scenario (tests/fixtures/tiny.yaml) is hand-checkable: at budget 30 MUSD its optimum
is index 5/6 at cost 30; at 40 MUSD it reaches 1.0; capping any provider at 50 % forces a
rented second module abroad (index 0.75, cost 24). The app reads its scenario folder from
SOVPLAN_SCENARIO_DIR, so these tests point it at tests/fixtures/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_start: str) -> str:
    for m in at.metric:
        if m.label.startswith(label_start):
            return m.value
    raise AssertionError(f"no metric {label_start!r}: {[m.label for m in at.metric]}")


def solve(at: AppTest) -> AppTest:
    at.button(key="solve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_loads_with_the_fixture_scenario(app):
    assert app.title[0].value == "Compute sovereignty planner"
    assert app.selectbox(key="scenario_file").value.name == "tiny.yaml"
    assert app.number_input(key="in:budget").value == 30.0
    assert not app.error
    assert [t.label for t in app.tabs][:4] == ["Plan", "Data tables", "Trade-offs", "Sensitivity"]


def test_solve_shows_metrics_and_allocation(app):
    solve(app)
    assert metric(app, "Sovereignty index") == "0.833"
    assert metric(app, "Total cost") == "30"
    assert metric(app, "Worst-case N-1 kept (%)") == "50.0 %"
    alloc = next(d.value for d in app.dataframe if "compute_eflops" in d.value.columns)
    assert alloc["compute_eflops"].sum() == pytest.approx(2.0)
    assert set(alloc["chip"]) == {"CA", "CH"}
    labels = {b.label for b in app.get("download_button")}
    assert {"Download allocation (CSV)", "Download plan (Excel)"} <= labels


def test_changing_the_budget_resolves(app):
    solve(app)
    assert metric(app, "Sovereignty index") == "0.833"
    app.number_input(key="in:budget").set_value(40.0).run()
    assert any("inputs changed" in i.value for i in app.info)
    solve(app)
    assert metric(app, "Sovereignty index") == "1.000"
    assert metric(app, "Total cost") == "40"


def test_changing_a_share_limit_resolves(app):
    app.checkbox(key="in:on:max_share_provider").check().run()
    app.slider(key="in:limits.max_share_provider").set_value(0.5).run()
    solve(app)
    # no provider above 50 %: one module rented abroad from the foreign cloud
    assert metric(app, "Sovereignty index") == "0.750"
    assert metric(app, "Total cost") == "24"
    limits = next(d.value for d in app.dataframe if "limit" in d.value.columns)
    assert set(limits["limit"]) == {"budget", "max_share_provider"}


def test_reset_restores_the_file_values(app):
    app.number_input(key="in:budget").set_value(40.0).run()
    app.button(key="reset").click().run()
    assert app.number_input(key="in:budget").value == 30.0


def test_invalid_weights_show_an_error_not_a_traceback(app):
    for layer in ("territorial", "provider", "chip"):
        app.slider(key=f"in:weights.{layer}").set_value(0.0)
    app.run()
    assert not app.exception
    text = " ".join(e.value for e in app.error)
    assert "weights" in text and "sum to 0" in text
    assert not app.get("download_button")  # no scenario to download while it is invalid


def test_invalid_table_edit_shows_the_row_and_column(monkeypatch):
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(APP, default_timeout=120)
    # Seed the countries editor's edit state: PUE 0.5 in the second row (minimum is 1).
    at.session_state["ed:countries"] = {
        "edited_rows": {1: {"pue": 0.5}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(e.value for e in at.error)
    assert "countries table: row 2, column 'pue': 0.5 is below the minimum 1" in text
    solve(at)  # solving is refused with a message, not attempted
    assert not at.metric
    assert any("Fix the edited data tables" in w.value for w in at.warning)


def test_valid_table_edit_changes_the_plan(monkeypatch):
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(APP, default_timeout=120)
    # Chip CH (home-designed) at the CA price: the budget now buys two CH modules.
    at.session_state["ed:chips"] = {
        "edited_rows": {1: {"price_usd": 10000.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.error
    solve(at)
    assert metric(at, "Sovereignty index") == "1.000"
    assert metric(at, "Total cost") == "20"


def test_tradeoff_and_sensitivity_tabs_render(app):
    trade = app.tabs[2]
    assert trade.subheader[0].value == "Pareto frontier"
    assert any(s.value == "Compare two strategies" for s in trade.subheader)
    sens = app.tabs[3]
    assert sens.subheader[0].value == "Run a small sweep"
    assert not app.exception


def test_no_scenarios_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("no scenario YAML files" in i.value for i in at.info)


def test_bad_upload_is_reported(app):
    app.file_uploader(key="scenario_upload").set_value(
        ("broken.yaml", b"name: [unclosed", "text/yaml")
    )
    app.run()
    assert not app.exception
    assert any("broken.yaml: not valid YAML" in e.value for e in app.error)


def test_pareto_frontier_in_the_tradeoffs_tab(app):
    # cost vs sovereignty on tiny: 3 grid points, from the cheapest plan to the optimum at 30
    app.number_input(key="pareto_points").set_value(3)
    app.button(key="pareto_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    trade = app.tabs[2]
    front = next(d.value for d in trade.dataframe if "knee" in d.value.columns)
    assert front["cost"].max() == pytest.approx(30.0)
    assert front["sovereignty"].max() == pytest.approx(5 / 6)
    assert front["sovereignty"].is_monotonic_increasing
    assert len(trade.get("plotly_chart")) >= 2  # frontier and mix along it
    # the selected point (the knee by default) opens as a plan with its metrics
    knee = int(front.index[front["knee"]][0])
    assert app.selectbox(key="pareto_point").value == knee
    assert trade.metric[0].value == f"{front.loc[knee, 'sovereignty']:.3f}"
