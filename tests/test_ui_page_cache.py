"""The app's page work is cached and lazy (issue 28 #9): what it shows must not change.

A plan's figures and its reading are built once per plan content (``ui.plan_view``'s
``plan_figure`` and ``plan_reading``, keyed by ``ui.support.plan_fingerprint``), only the
open mix tab's chart is drawn, the scenario is built once per (file, widget values), and an
unedited data tab skips the cell-by-cell comparison. These tests drive the app headless
(AppTest, tiny fixture) and compare every chart it sends with one built afresh from the
planner's own plan, before and after the inputs change, and across two sessions. Not timed:
the time is measured by ``benchmarks/app_page.py``.
"""

from __future__ import annotations

import json

import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from planner import load_scenario
from planner import solve as planner_solve
from planner.core.data import load_tables
from planner.reports.plan_reading import read_plan
from tests.test_ui_app import APP, FIXTURES, key, metric, plain, solve
from ui import figures
from ui import support as ui_support
from ui.plan_view import MIX_TABS

TINY = FIXTURES / "tiny.yaml"


def charts(at: AppTest) -> dict[str, dict]:
    """The plan tab's charts as the page sends them: key suffix ('map', 'bars', a mix kind)
    -> the figure's JSON."""
    out = {}
    for chart in at.tabs[0].get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out[spec_kind(spec)] = spec
    return out


def spec_kind(spec: dict) -> str:
    """Which of the plan's figures a sent spec is (by its title)."""
    title = spec["layout"]["title"]["text"]
    if title.startswith("Compute by country"):
        return "map"
    if title.startswith("By country"):
        return "bars"
    if title.startswith("Mix by jurisdiction"):
        return "jurisdiction"
    if title == "Mix by provider":
        return "provider"
    if title == "Mix by chip designer":
        return "designer"
    raise AssertionError(f"unknown chart {title!r}")


def fresh(kind: str, plan, tables) -> dict:
    """The figure built now from the planner's plan, with no cache, serialised as
    ``st.plotly_chart`` serialises it."""
    by_country = ui_support.compute_by_country(plan, tables)
    last = int(plan.allocation["period"].max())
    fig = {
        "map": lambda: figures.world_map(by_country, last),
        "bars": lambda: figures.country_bars(by_country, last),
        "provider": lambda: figures.mix_bars(
            ui_support.mix_by_period(plan, "provider"), "provider"
        ),
        "designer": lambda: figures.mix_bars(
            ui_support.mix_by_period(plan, "designer"), "designer"
        ),
        "jurisdiction": lambda: figures.jurisdiction_bars(
            ui_support.mix_by_jurisdiction(plan, tables)
        ),
    }[kind]()
    return json.loads(pio.to_json(fig.to_dict(), validate=False))


def reading(at: AppTest) -> str:
    """The plan in words, as shown under its subheader (the one paragraph that says what
    the plan delivers)."""
    texts = [plain(m.value) for m in at.tabs[0].markdown]
    (found,) = [t for t in texts if "the plan delivers" in t]
    return found


def api_plan(*sets: str):
    plan = planner_solve(load_scenario(TINY, list(sets)), ranges=True)  # as the app solves
    assert plan.ok
    return plan


@pytest.fixture
def tiny_tables():
    return load_tables(load_scenario(TINY).data)


def test_charts_and_reading_equal_fresh_ones_before_and_after_an_edit(app, tiny_tables):
    """Each chart the page sends is the one built afresh from the API's plan, and after an
    edit and a re-solve the new plan's (a cache keyed by anything less than the plan's
    content would show the old map)."""
    for budget, sets in ((30.0, ()), (40.0, ("budget=40",))):
        if budget != 30.0:
            app.number_input(key=key(app, "budget")).set_value(budget).run()
        solve(app)
        plan = api_plan(*sets)
        assert metric(app, "Sovereignty index") == f"{plan.sovereignty['index']:.3f}"
        shown = charts(app)
        # lazy mix tabs: the map, the bars and the open (first) mix tab only
        assert set(shown) == {"map", "bars", MIX_TABS[0][1]}, sorted(shown)
        for kind, spec in shown.items():
            assert spec == fresh(kind, plan, tiny_tables), (budget, kind)
        assert reading(app) == plain(read_plan(plan, face="app"))
        # a rerun with nothing changed (the cache's hits) shows the same
        app.run()
        assert charts(app) == shown


def test_each_mix_tab_draws_its_own_chart_when_opened(app, tiny_tables):
    solve(app)
    plan = api_plan()
    for label, kind in MIX_TABS:
        app.session_state["plan-mix"] = label  # what clicking the tab does
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        shown = charts(app)
        assert set(shown) == {"map", "bars", kind}, (label, sorted(shown))
        assert shown[kind] == fresh(kind, plan, tiny_tables)


def test_a_second_session_shows_the_first_sessions_plan_identically(app, monkeypatch):
    solve(app)
    first = charts(app), reading(app), [(m.label, m.value) for m in app.metric]
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    other = AppTest.from_file(APP, default_timeout=120).run()
    solve(other)  # the server's plan cache and figure cache answer
    assert (charts(other), reading(other), [(m.label, m.value) for m in other.metric]) == first


def test_an_edited_table_changes_the_charts_of_the_same_plan(monkeypatch, tiny_tables):
    """A country renamed in the data tab: same plan (the name is not in the model), so only
    the table columns in the fingerprint tell the two maps apart."""
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(APP, default_timeout=120).run()
    solve(at)
    before = charts(at)
    row = int(tiny_tables.countries.index[tiny_tables.countries["iso3"] == "HOM"][0])
    at.session_state["ed:0:countries"] = {
        "edited_rows": {row: {"name": "Homeland renamed"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    solve(at)
    after = charts(at)
    assert "Homeland renamed" not in json.dumps(before["bars"])
    assert "Homeland renamed" in json.dumps(after["bars"])
    assert "Homeland renamed" in json.dumps(after["map"])


def test_unedited_reads_the_editor_states():
    empty = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}
    assert ui_support.unedited([empty, dict(empty)])
    assert ui_support.unedited([])
    assert not ui_support.unedited([empty, {**empty, "edited_rows": {0: {"pue": 1.2}}}])
    assert not ui_support.unedited([{**empty, "added_rows": [{}]}])
    assert not ui_support.unedited([{**empty, "deleted_rows": [3]}])
    assert not ui_support.unedited([None])  # no state: compared cell by cell
    assert not ui_support.unedited([{**empty, "something_new": 1}])


def test_the_fingerprint_follows_the_plan_and_the_shown_columns(tiny_tables):
    plan = api_plan()
    same = api_plan()
    same.timings = {"total_s": 123.0}  # the time of a solve is not what a view shows
    assert ui_support.plan_fingerprint(plan, tiny_tables) == ui_support.plan_fingerprint(
        same, tiny_tables
    )
    other = api_plan("budget=40")
    assert ui_support.plan_fingerprint(other, tiny_tables) != ui_support.plan_fingerprint(
        plan, tiny_tables
    )
    renamed = tiny_tables.copy()
    renamed.countries = renamed.countries.assign(name=renamed.countries["name"] + " (edited)")
    assert ui_support.plan_fingerprint(plan, renamed) != ui_support.plan_fingerprint(
        plan, tiny_tables
    )
