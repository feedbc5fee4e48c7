"""The Streamlit app, driven headless by streamlit.testing.v1.AppTest on the tiny fixture.

The tiny scenario (tests/fixtures/tiny.yaml) is hand-checkable: at budget 30 MUSD its optimum
is index 5/6 at cost 30; at 40 MUSD it reaches 1.0; capping any provider at 50 % forces a
rented second module abroad (index 0.75, cost 24). The app reads its scenario folder from
SOVPLAN_SCENARIO_DIR, so these tests point it at tests/fixtures/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import load_scenario
from planner import solve as planner_solve

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
FIXTURES = ROOT / "tests" / "fixtures"
TINY_DATA = FIXTURES / "tiny"


def key(at: AppTest, name: str, prefix: str = "in:") -> str:
    """The widget key of a sidebar input in the app's current generation (ui.inputs)."""
    state = "inputs_generation" if prefix == "in:" else "tables_generation"
    try:
        generation = at.session_state[state]
    except KeyError:
        generation = 0
    return f"{prefix}{generation}:{name}"


def plain(markdown: str) -> str:
    """What a user reads: the app escapes user text for Markdown (ui.safe_text)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors(at: AppTest) -> str:
    return " ".join(plain(e.value) for e in at.error)


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
    assert app.number_input(key=key(app, "budget")).value == 30.0
    assert not app.error
    assert [t.label for t in app.tabs][:4] == ["Plan", "Data tables", "Trade-offs", "Sensitivity"]


def test_solve_shows_metrics_and_allocation(app):
    solve(app)
    assert metric(app, "Sovereignty index") == "0.833"
    assert metric(app, "Total cost") == "30"
    assert metric(app, "Worst-case N-1 kept (%)") == "50.0 %"
    # the plan's one worst case, in the words of the CLI header, the reading and stress
    captions = [c.value for c in app.caption]
    assert any(
        "Worst N-1 cut: losing OTH (cut at the start of 2030) keeps 50% of the 2030 target." in c
        for c in captions
    ), captions
    alloc = next(d.value for d in app.dataframe if "compute_eflops" in d.value.columns)
    assert alloc["compute_eflops"].sum() == pytest.approx(2.0)
    assert set(alloc["chip"]) == {"CA", "CH"}
    labels = {b.label for b in app.get("download_button")}
    assert {"Download allocation (CSV)", "Download plan (Excel)"} <= labels


def test_changing_the_budget_resolves(app):
    solve(app)
    assert metric(app, "Sovereignty index") == "0.833"
    app.number_input(key=key(app, "budget")).set_value(40.0).run()
    assert any("inputs changed" in i.value for i in app.info)
    solve(app)
    assert metric(app, "Sovereignty index") == "1.000"
    assert metric(app, "Total cost") == "40"


def test_changing_a_share_limit_resolves(app):
    app.checkbox(key=key(app, "on:max_share_provider")).check().run()
    app.slider(key=key(app, "limits.max_share_provider")).set_value(0.5).run()
    solve(app)
    # no provider above 50 %: one module rented abroad from the foreign cloud
    assert metric(app, "Sovereignty index") == "0.750"
    assert metric(app, "Total cost") == "24"
    limits = next(d.value for d in app.dataframe if "limit" in d.value.columns)
    assert set(limits["limit"]) == {"budget", "max_share_provider"}


def test_reset_restores_the_file_values(app):
    app.number_input(key=key(app, "budget")).set_value(40.0).run()
    app.button(key="reset").click().run()
    assert app.number_input(key=key(app, "budget")).value == 30.0


def test_invalid_weights_show_an_error_not_a_traceback(app):
    for layer in ("territorial", "provider", "chip"):
        app.number_input(key=key(app, f"weights.{layer}")).set_value(0.0)
    app.run()
    assert not app.exception
    text = errors(app)
    assert "weights" in text and "sum to 0" in text
    assert not app.get("download_button")  # no scenario to download while it is invalid


def test_invalid_table_edit_shows_the_row_and_column(monkeypatch):
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(APP, default_timeout=120)
    # Seed the countries editor's edit state: PUE 0.5 in the second row (minimum is 1).
    at.session_state["ed:0:countries"] = {
        "edited_rows": {1: {"pue": 0.5}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = errors(at)
    assert "countries table: row 2, column 'pue': 0.5 is below the minimum 1" in text
    solve(at)  # solving is refused with a message, not attempted
    assert not at.metric
    assert any("Fix the edited data tables" in w.value for w in at.warning)


def test_valid_table_edit_changes_the_plan(monkeypatch):
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(APP, default_timeout=120)
    # Chip CH (home-designed) at the CA price: the budget now buys two CH modules.
    at.session_state["ed:0:chips"] = {
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
    use_uploads(app)
    app.file_uploader(key="scenario_upload").set_value(
        ("broken.yaml", b"name: [unclosed", "text/yaml")
    )
    app.run()
    assert not app.exception
    assert "broken.yaml: not valid YAML" in errors(app)


def test_pareto_frontier_in_the_tradeoffs_tab(app):
    # cost vs sovereignty on tiny: 3 grid points, from the cheapest plan to the optimum at 30
    app.number_input(key="pareto_points").set_value(3)
    app.button(key="pareto_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    trade = app.tabs[2]
    front = next(d.value for d in trade.dataframe if "knee" in d.value.columns)
    assert front["cost"].max() == pytest.approx(30.0)
    assert front["sovereignty"].max() == pytest.approx(5 / 6, abs=5e-4)  # shown to 3 dp
    assert front["sovereignty"].is_monotonic_increasing
    assert len(trade.get("plotly_chart")) >= 2  # frontier and mix along it
    # the selected point (the knee by default) opens as a plan with its metrics
    knee = int(front.index[front["knee"]][0])
    assert app.selectbox(key="pareto_point").value == knee
    assert trade.metric[0].value == f"{front.loc[knee, 'sovereignty']:.3f}"


# --- scenario switching and reset (issue 13) -------------------------------------------------

SCENARIOS = ROOT / "data" / "scenarios"


def expected_inputs(path: Path) -> dict[str, object]:
    """Every sidebar input's value as the scenario file gives it (widget name -> value)."""
    from ui.inputs import COUNT_LIMITS, LAYERS, SHARE_LIMITS

    sc = load_scenario(path)
    out: dict[str, object] = {f"target.{t}": float(v) for t, v in sc.target.items()}
    out["budget"] = sc.budget
    out["energy_cost_cap"] = sc.energy_cost_cap
    out["emissions_cap_kt"] = sc.emissions_cap_kt
    out["solver.time_limit"] = float(sc.solver.time_limit)
    for name in SHARE_LIMITS:
        value = getattr(sc.limits, name)
        out[f"on:{name}"] = value is not None
        if value is not None:
            out[f"limits.{name}"] = value
    for name in COUNT_LIMITS:
        out[f"limits.{name}"] = getattr(sc.limits, name)
    out["strategy"] = sc.strategy
    for layer in LAYERS:
        out[f"weights.{layer}"] = getattr(sc.weights, layer)
    out["weights.resilience"] = sc.weights.resilience
    for name in type(sc.constraints).model_fields:
        out[f"constraints.{name}"] = getattr(sc.constraints, name)
    return out


def shown_inputs(at: AppTest) -> dict[str, object]:
    """Every sidebar input the page shows now (widget name -> value)."""
    prefix = key(at, "")
    out: dict[str, object] = {}
    for kind in ("number_input", "slider", "checkbox", "selectbox", "toggle"):
        for widget in at.get(kind):
            if str(widget.key or "").startswith(prefix):
                out[widget.key[len(prefix) :]] = widget.value
    return out


def assert_inputs_are_the_files(at: AppTest, path: Path) -> None:
    want = expected_inputs(path)
    shown = shown_inputs(at)
    # the slider of a limit that is off shows a fallback value and is not used
    unused = {f"limits.{n[3:]}" for n, on in want.items() if n.startswith("on:") and not on}
    assert set(shown) - unused == set(want), sorted(set(shown) ^ set(want))
    for name, value in want.items():
        assert (
            shown[name] == pytest.approx(value)
            if isinstance(value, float)
            else (shown[name] == value)
        ), f"{name}: page shows {shown[name]!r}, file says {value!r}"


@pytest.fixture
def bundled(monkeypatch) -> AppTest:
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(SCENARIOS))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_switching_scenario_shows_the_files_values_and_solves_like_the_cli(bundled):
    at = bundled
    first = at.selectbox(key="scenario_file").value
    assert first.name == "eu-2030-hedge.yaml"
    assert_inputs_are_the_files(at, first)
    # an edit of the first scenario must not leak into the next one
    at.number_input(key=key(at, "budget")).set_value(123456.0).run()
    france = SCENARIOS / "france-2030.yaml"
    at.selectbox(key="scenario_file").set_value(france).run()
    assert not at.exception, [e.value for e in at.exception]
    assert_inputs_are_the_files(at, france)
    solve(at)
    # the inputs survive the rerun that the Solve click makes (the browser resends them)
    assert_inputs_are_the_files(at, france)
    # the app solved exactly the file's scenario (what `sovplan solve` solves; the same
    # solve function, so the same plan: a second France solve here would only repeat it)
    solved = at.session_state["solved"]
    assert solved["tables"] is None
    assert solved["scenario"].model_dump() == load_scenario(france).model_dump()
    shown = solved["snapshot"]
    assert metric(at, "Sovereignty index") == f"{shown['index']:.3f}"
    assert metric(at, "Total cost") == f"{shown['total_cost_musd']:,.0f}"
    assert any(m.value.startswith("France 2030") for m in at.markdown)


def test_reset_restores_the_file_after_an_edit_and_an_invalid_edit(app):
    tiny = FIXTURES / "tiny.yaml"
    app.number_input(key=key(app, "budget")).set_value(40.0).run()
    app.number_input(key=key(app, "target.2030")).set_value(5.0).run()
    app.button(key="reset").click().run()
    assert_inputs_are_the_files(app, tiny)
    # invalid: every weight 0; Reset brings back the file's weights and clears the error
    for layer in ("territorial", "provider", "chip"):
        app.number_input(key=key(app, f"weights.{layer}")).set_value(0.0)
    app.run()
    assert "sum to 0" in errors(app)
    app.button(key="reset").click().run()
    assert not app.exception
    assert_inputs_are_the_files(app, tiny)
    assert not errors(app)
    solve(app)
    assert metric(app, "Sovereignty index") == "0.833"


# --- uploads (issue 13) ---------------------------------------------------------------------


def use_uploads(at: AppTest) -> AppTest:
    """Switch the one source selector to uploads (the uploader is drawn only then)."""
    at.radio(key="scenario_source").set_value("Upload a YAML file").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, name: str, text: str) -> AppTest:
    use_uploads(at)
    at.file_uploader(key="scenario_upload").set_value((name, text.encode(), "text/yaml"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("error", "warning", "info", "markdown", "caption")
        for e in at.get(kind)
    ]
    return " ".join(plain(str(p)) for p in parts)


TINY_UPLOAD = """
name: tiny upload
home: [HOM]
periods: [2030]
target: {{2030: 2}}
budget: 30
horizon_end: 2030
economics: {{module_size: 1000, utilisation: 1.0, maintenance_share_per_year: 0.0,
            cost_basis: cash, compute_basis: peak, discount_rate: 0.0,
            price_performance_trend: 0.0, build_lead_time_years: 0}}
solver: {{time_limit: {time_limit}}}
data: {data}
"""


@pytest.mark.parametrize("where", ["absolute", "relative", "missing-inside-allowed"])
def test_upload_with_data_outside_the_allowed_folders_is_refused(app, monkeypatch, where):
    monkeypatch.delenv("SOVPLAN_DATA_DIRS", raising=False)
    data = str(TINY_DATA) if where == "absolute" else "../tests/fixtures/tiny"
    if where == "missing-inside-allowed":
        monkeypatch.setenv("SOVPLAN_DATA_DIRS", str(FIXTURES))
        data = "no-such-folder"
    upload(app, "sneaky.yaml", TINY_UPLOAD.format(time_limit=20, data=data))
    text = page_text(app)
    assert "SOVPLAN_DATA_DIRS" in text
    assert str(ROOT) not in text and "fixtures" not in text
    assert not app.metric
    assert not app.get("download_button")


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


#: ``data:`` written as every YAML type, each naming a folder of valid tables outside the
#: allowed folders (issue 26 #1: ``!!binary`` bytes became a path and the folder was read)
DATA_OF_ANY_TYPE = {
    "binary": f"!!binary {_b64(str(TINY_DATA))}",
    "binary-relative": f"!!binary {_b64('../tests/fixtures/tiny')}",
    "str-tag": f"!!str {TINY_DATA}",
    "list": f"[{TINY_DATA}]",
    "mapping": f"{{path: {TINY_DATA}}}",
    "int": "123",
    "float": "1.5",
    "bool": "true",
    "timestamp": "2030-01-01",
    "empty-string": "''",
}


@pytest.mark.parametrize("kind", sorted(DATA_OF_ANY_TYPE))
def test_upload_with_data_of_any_yaml_type_is_refused_without_a_server_path(app, monkeypatch, kind):
    monkeypatch.delenv("SOVPLAN_DATA_DIRS", raising=False)
    upload(app, "sneaky.yaml", TINY_UPLOAD.format(time_limit=20, data=DATA_OF_ANY_TYPE[kind]))
    text = page_text(app)
    assert "field 'data'" in text
    assert str(ROOT) not in text and "fixtures" not in text and "/etc" not in text
    assert not app.metric
    assert not app.dataframe  # the folder's tables are not shown (the Data tables tab)
    assert not app.get("download_button")


def test_upload_with_allowed_data_and_a_long_time_limit_solves(app, monkeypatch):
    monkeypatch.setenv("SOVPLAN_DATA_DIRS", str(FIXTURES))
    upload(app, "tiny-upload.yaml", TINY_UPLOAD.format(time_limit=7200, data="tiny"))
    assert not errors(app)
    assert app.number_input(key=key(app, "solver.time_limit")).value == 7200.0
    # the page says what this server allows, and that the upload's two hours are capped
    assert "stops any solve after 120 s" in page_text(app) and "capped" in page_text(app)
    solve(app)
    assert metric(app, "Sovereignty index") == "0.833"
    assert metric(app, "Total cost") == "30"


def test_scenario_name_is_shown_as_text_not_markdown(app, monkeypatch):
    monkeypatch.setenv("SOVPLAN_DATA_DIRS", str(FIXTURES))
    name = "![pixel](https://example.invalid/p.png) <b>bold</b>"
    text = TINY_UPLOAD.format(time_limit=20, data="tiny").replace("tiny upload", repr(name))
    upload(app, "named.yaml", text)
    solve(app)
    heading = next(m.value for m in app.markdown if "status" in m.value)
    assert "![" not in heading and "<b>" not in heading  # escaped: shown literally
    assert plain(heading).startswith(name)


def sidebar_captions(at: AppTest) -> str:
    return " ".join(plain(c.value).replace("**", "") for c in at.sidebar.caption)


def test_one_source_selector_and_the_active_scenario_beside_solve(app, monkeypatch):
    """Issue 28 #2: an upload silently overrode the picker (picking another file changed
    nothing). Now one selector chooses the source; Solve's caption names the active one."""
    monkeypatch.setenv("SOVPLAN_DATA_DIRS", str(FIXTURES))
    assert "Solving: tiny (tiny.yaml)" in sidebar_captions(app)
    text = TINY_UPLOAD.format(time_limit=20, data="tiny").replace("budget: 30", "budget: 25")
    upload(app, "mine.yaml", text)
    assert "Solving: tiny upload (mine.yaml)" in sidebar_captions(app)
    assert app.number_input(key=key(app, "budget")).value == 25.0
    # back to this server's scenarios: the file's values, whatever the uploader held
    app.radio(key="scenario_source").set_value("This server's scenarios").run()
    assert app.selectbox(key="scenario_file").value.name == "tiny.yaml"
    assert "Solving: tiny (tiny.yaml)" in sidebar_captions(app)
    assert app.number_input(key=key(app, "budget")).value == 30.0
    solve(app)
    assert metric(app, "Total cost") == "30"


def test_the_upload_box_states_the_scenario_limit(app):
    """Issue 28 #9: the box said "200MB per file" where scenarios are capped at 1 MB."""
    from planner.core.files import MAX_SCENARIO_BYTES

    use_uploads(app)
    box = app.file_uploader(key="scenario_upload")
    assert "1 MB" in box.label
    assert box.proto.max_upload_size_mb == 1 and MAX_SCENARIO_BYTES <= 1024 * 1024


def test_every_bundled_scenario_loads_into_the_sidebar(bundled):
    at = bundled
    for path in sorted(SCENARIOS.glob("*.yaml")):
        at.selectbox(key="scenario_file").set_value(path).run()
        assert not at.exception, (path.name, [e.value for e in at.exception])
        assert not errors(at), (path.name, errors(at))
        assert_inputs_are_the_files(at, path)


def test_strategy_comparison_shows_formatted_numbers(app):
    app.button(key="cmp_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    table = next(d.value for d in app.tabs[2].dataframe if "A: hedge" in d.value.columns)
    assert table.loc["sovereignty index (0-1)", "A: hedge"] == "0.833"
    assert table.loc["total cost (MUSD)", "A: hedge"] == "30"
    assert table.loc["providers used", "A: hedge"] == "1"


def test_eligibility_rules_in_the_sidebar_solve_like_the_api(app):
    """Excluding a chip in the sidebar (issue 12's eligibility rules) gives the plan that
    `exclude.chips` gives from Python, and the page names what was removed."""
    app.multiselect(key=key(app, "exclude.chips")).set_value(["CH"]).run()
    solve(app)
    want = planner_solve(load_scenario(FIXTURES / "tiny.yaml", ["exclude.chips=[CH]"]))
    assert want.status == "optimal"
    assert metric(app, "Sovereignty index") == f"{want.sovereignty['index']:.3f}"
    assert metric(app, "Total cost") == f"{want.cost:,.0f}"
    assert metric(app, "Sovereignty index") != "0.833"  # the plan without CH is another plan
    shown = " ".join(
        str(e.value) for kind in ("markdown", "text", "caption") for e in app.get(kind)
    )
    assert "CH" in shown and "exclu" in shown
