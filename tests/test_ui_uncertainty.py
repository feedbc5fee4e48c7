"""The app's Uncertainty tab (issue #25 item 6), driven headless by AppTest on the tiny futures
fixture, against ``planner.robust`` and ``sovplan robust --json`` on the same scenario; and
the tab's pieces without Streamlit: the futures table <-> the ``uncertainty:`` block, and the
tables and fan chart of ``planner.reports.robust_charts``.

tests/fixtures/futures/tiny-futures.yaml is the tiny data over 2028 and 2030 with two equally
likely futures, as planned or OTH cut from 2030: the robust plan commits CA and CH in 2028
(index 0.889 in both futures), the deterministic plan only CH (0.667 after the cut), so the
VSS is +0.1111 and the EVPI 0.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planner import load_scenario
from planner.core.errors import InputError
from planner.reports import robust_charts
from planner.studies.robust import robust
from ui import uncertainty_view as uv
from ui.result_cache import ResultCache

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
FUTURES_DIR = ROOT / "tests" / "fixtures" / "futures"
TINY_FUTURES = FUTURES_DIR / "tiny-futures.yaml"
FIXTURES = ROOT / "tests" / "fixtures"


def plain(markdown: str) -> str:
    """What a user reads: the app escapes user text for Markdown (ui.safe_text)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def metric(at: AppTest, label_start: str) -> str:
    for m in at.metric:
        if m.label.startswith(label_start):
            return m.value
    raise AssertionError(f"no metric {label_start!r}: {[m.label for m in at.metric]}")


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    for d in at.dataframe:
        if column in d.value.columns:
            return d.value
    raise AssertionError(f"no table with column {column!r}")


@pytest.fixture(scope="module")
def expected():
    """``planner.robust`` on the fixture, once for the module."""
    return robust(load_scenario(TINY_FUTURES))


@pytest.fixture(scope="module")
def cli_json() -> dict:
    """``sovplan robust FIXTURE --json`` in a new process, once for the module. One worker:
    the default (one per core) starts a process pool that costs more than the fixture's
    solves, and the result does not depend on it (tests/test_robust.py::
    test_the_study_on_two_workers_equals_one)."""
    command = ["robust", str(TINY_FUTURES), "--json", "--workers", "1"]
    out = subprocess.run(
        [sys.executable, "-m", "planner.cli", *command],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def futures_app(monkeypatch) -> AppTest:
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FUTURES_DIR))
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_tab_starts_from_the_scenarios_futures(futures_app):
    at = futures_app
    assert [t.label for t in at.tabs][4] == "Uncertainty"
    assert not at.error
    captions = " ".join(plain(c.value) for c in at.tabs[4].caption)
    assert "The 2 futures of the scenario's `uncertainty:` block" in captions
    assert not at.tabs[4].metric  # nothing is run before the button is pressed


def test_run_robust_plan_shows_what_planner_robust_and_the_cli_give(
    futures_app, expected, cli_json
):
    at = futures_app
    at.button(key="unc_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    # the same numbers as planner.robust in-process and `sovplan robust --json`
    assert expected.vss == pytest.approx(cli_json["vss"], abs=1e-9)
    assert expected.evpi == pytest.approx(cli_json["evpi"], abs=1e-9)
    assert metric(at, "Value of the stochastic solution") == f"{cli_json['vss']:+.4f}" == "+0.1111"
    assert metric(at, "Expected value of perfect information") == f"{cli_json['evpi']:.4f}"
    assert metric(at, "Robust objective (expected)") == f"{cli_json['robust_objective']:.4f}"
    # the here-and-now plan: what to commit now, as the study says
    fs = frame_with(at, "owned or rented")
    cli_fs = pd.DataFrame(cli_json["first_stage"])
    assert list(fs["period"]) == list(cli_fs["period"]) == [2028, 2028]
    assert list(fs["chip"]) == list(cli_fs["chip"]) == ["CA", "CH"]
    assert list(fs["modules"]) == list(cli_fs["modules"])
    # each future: probability, index, cost, kept share
    fut = frame_with(at, "sovereignty index (0-1)")
    for shown, row in zip(fut.to_dict(orient="records"), cli_json["futures"], strict=True):
        assert shown["future"] == row["future"]
        assert shown["probability"] == pytest.approx(row["probability"])
        assert shown["sovereignty index (0-1)"] == pytest.approx(row["index"], abs=5e-4)
        assert shown["total cost (MUSD)"] == pytest.approx(row["cost_musd"], abs=0.5)
        assert shown["worst N-1 kept share (0-1)"] == pytest.approx(
            row["worst_kept_share"], abs=5e-4
        )
    # VSS and EVPI in words, the reading, the fan chart and the regret table
    text = " ".join(plain(m.value) for m in at.markdown)
    assert "Value of the stochastic solution (VSS): +0.1111 index points" in text
    assert "from 0.7778 to 0.8889" in text
    assert any(plain(i.value).startswith("Commit now (2028)") for i in at.info)
    assert at.get("plotly_chart")
    regret = frame_with(at, "first stage")
    assert list(regret["first stage"])[:2] == ["deterministic", "robust"]
    assert regret.loc[0, "OTH cut"] == "0.667 (regret 0.222)"


def test_probabilities_adding_up_to_08_give_a_message_not_a_traceback(monkeypatch):
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FUTURES_DIR))
    at = AppTest.from_file(APP, default_timeout=120)
    key = uv.state_key(load_scenario(TINY_FUTURES)) + ":futures"
    at.session_state[key] = {
        "edited_rows": {1: {uv.PROB: 0.3}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(plain(e.value) for e in at.error)
    assert "the futures' probabilities add up to 0.8, not 1" in text, text
    assert "Traceback" not in text
    assert at.button(key="unc_run").disabled
    assert not at.tabs[4].metric


def test_a_scenario_without_futures_starts_from_the_example(monkeypatch):
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(plain(c.value) for c in at.tabs[4].caption)
    assert "has no `uncertainty:` block" in captions
    assert not at.button(key="unc_run").disabled


# --- the futures table <-> the uncertainty block ---------------------------------------------
SPECS = [
    {"name": "as planned", "probability": 0.4},
    {
        "name": "everything",
        "probability": 0.6,
        "set": {
            uv.CHIP_KEY: 1.25,
            uv.POWER_KEY: 1.5,
            "scores.USA": 0.4,
            uv.REGIME_KEY: "none",
            "economics.price_performance_trend": 0.0,
            "target.2030": 40,
        },
        "cut": {"jurisdictions": ["TWN", "CHN"], "from": 2028},
    },
]


def test_the_table_gives_back_the_futures_it_was_made_from():
    frame = uv.futures_frame(SPECS)
    row = frame.iloc[1]
    assert row[uv.CHIP] == 1.25 and row[uv.POWER] == 1.5
    assert row[uv.SCORE_OF] == "USA" and row[uv.SCORE] == 0.4
    assert row[uv.REGIME] == "none" and row[uv.CUT] == "TWN, CHN" and row[uv.CUT_FROM] == 2028
    assert row[uv.OTHER] == "economics.price_performance_trend=0.0; target.2030=40"
    assert uv.futures_from_frame(frame) == SPECS


def test_the_scenarios_block_round_trips_through_the_table():
    sc = load_scenario(TINY_FUTURES)
    specs, _ = uv.starting_futures(sc)
    block = {"futures": uv.futures_from_frame(uv.futures_frame(specs))}
    again = uv.with_futures(sc, block, "test")
    assert again.uncertainty.futures == sc.uncertainty.futures


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (uv.CUT, "OTH", "row 2, column 'cut from (year)': give the first year without OTH"),
        (uv.SCORE_OF, "USA", "row 2, column 'trust score (0-1)': give the trust score of USA"),
        (uv.OTHER, "budget 40", "row 2, column 'other overrides': 'budget 40' is not KEY=VALUE"),
        (uv.NAME, "", "row 2, column 'future': give the future a name"),
        (uv.CUT_FROM, 2028.5, "row 2, column 'cut (jurisdictions)': name the jurisdictions"),
    ],
)
def test_an_unreadable_cell_is_named_by_row_and_column(column, value, message):
    frame = uv.futures_frame(SPECS[:1] + [{"name": "b", "probability": 0.6}])
    frame.loc[1, column] = value
    with pytest.raises(
        InputError, match="Futures table: " + message.replace("(", r"\(").replace(")", r"\)")
    ):
        uv.futures_from_frame(frame)


def test_a_future_that_sets_an_unknown_key_names_the_future_and_field():
    sc = load_scenario(TINY_FUTURES)
    block = {
        "futures": [
            {"name": "a", "probability": 0.5},
            {"name": "b", "probability": 0.5, "set": {"economics.chip_price_scal": 2}},
        ]
    }
    with pytest.raises(InputError, match=r"uncertainty\.futures\[1\] 'b'.*chip_price_scal"):
        uv.with_futures(sc, block, "test")


# --- planner.reports.robust_charts -----------------------------------------------------------
def test_paths_and_fan_follow_the_per_future_plans(expected):
    paths = robust_charts.period_paths(expected)
    assert set(paths["future"]) == {"as planned", "OTH cut"}
    for name, plan in zip(expected.futures["future"], expected.plans, strict=True):
        mine = paths[paths["future"] == name].set_index("period")
        by = plan.allocation.groupby("period")
        assert mine["delivered_eflops"].to_dict() == pytest.approx(
            by["counted_eflops"].sum().to_dict()
        )
        spend = sum(float(plan.allocation[c].sum()) for c in robust_charts.SPEND_COLUMNS)
        assert mine["cumulative_spend_musd"].iloc[-1] == pytest.approx(spend)
    # both futures deliver the target: 1 EFLOP/s in 2028, 2 in 2030
    fan = robust_charts.fan_table(paths, "delivered_eflops").set_index("period")
    assert fan.loc[2028, "p50"] == pytest.approx(1.0) and fan.loc[2030, "p50"] == pytest.approx(2.0)
    assert (fan["min"] <= fan["p10"]).all() and (fan["p90"] <= fan["max"]).all()
    fig = robust_charts.fan_figure(expected)
    names = {t.name for t in fig.data}
    assert {"as planned (p 0.50)", "OTH cut (p 0.50)", "P10-P90 (by probability)"} <= names


def test_distribution_rows_keep_their_own_units(expected):
    dist = robust_charts.distribution_table(expected).set_index("measure")
    # one rounding per column would show the index as 1 (the column also holds MUSD)
    assert dist.loc["sovereignty index", "expected"] == "0.889"
    assert dist.loc["total cost (MUSD)", "P50"] == "31"
    assert dist.loc["worst N-1 kept share", "max"] == "100%"


def test_value_sentences_say_what_the_hedge_and_a_forecast_are_worth(expected):
    text = " ".join(robust_charts.value_sentences(expected))
    assert "+0.1111 index points" in text and "from 0.7778 to 0.8889" in text
    assert "EVPI): 0.0000" in text and "would not raise the index" in text
    assert math.isclose(expected.vss, 1 / 9, abs_tol=1e-6)


def test_the_study_runs_within_the_servers_time_cap(monkeypatch):
    """Like every solve the app runs: the scenario's time limit capped and the whole study
    given SOVPLAN_MAX_TIME_LIMIT (the fixture asks for 20 s per solve)."""
    import planner.studies.robust as study

    seen = {}

    def fake(scenario, time_limit=None, tables=None, **_):
        seen.update(limit=scenario.solver.time_limit, total=time_limit, tables=tables)
        return "result"

    monkeypatch.setattr(study, "robust", fake)
    monkeypatch.setenv("SOVPLAN_MAX_TIME_LIMIT", "7")
    assert uv.run_robust(load_scenario(TINY_FUTURES), None) == "result"
    assert seen == {"limit": 7.0, "total": 7.0, "tables": None}


def test_regret_cells_say_why_a_first_stage_has_no_index(expected):
    """A first stage that cannot be completed in a future reads 'cannot'; one that was never
    found (its future's own solve gave no plan) reads 'no plan', not 'cannot'."""
    import dataclasses

    rows = [
        {"first_stage": "robust", "future": "a", "index": 0.9, "cost_musd": 1.0,
         "regret": 0.0, "status": "optimal"},
        {"first_stage": "deterministic", "future": "a", "index": None, "cost_musd": None,
         "regret": None, "status": "it commits to X in 2028, which no future offers"},
        {"first_stage": "own plan of 'b'", "future": "a", "index": None, "cost_musd": None,
         "regret": None, "status": "no plan"},
    ]  # fmt: skip
    result = dataclasses.replace(expected, regret=pd.DataFrame(rows))
    table = robust_charts.regret_table(result).set_index("first stage")
    assert table.loc["robust", "a"] == "0.900 (regret 0.000)"
    assert table.loc["deterministic", "a"] == "cannot"
    assert table.loc["own plan of 'b'", "a"] == "no plan"


def test_drawn_futures_start_the_table_as_the_draws_the_planner_makes():
    from planner.core.futures import futures_of

    sc = load_scenario(
        TINY_FUTURES,
        {"uncertainty": {"samples": 3, "seed": 4,
                         "ranges": {"economics.chip_price_scale": {"low": 1.0, "high": 1.5}}}},
    )  # fmt: skip
    specs, where = uv.starting_futures(sc)
    assert "draws 3 futures from ranges (seed 4)" in where
    listed = uv.with_futures(sc, {"futures": uv.futures_from_frame(uv.futures_frame(specs))}, "t")
    drawn = futures_of(sc)
    assert [f.name for f in futures_of(listed)] == [f.name for f in drawn]
    for a, b in zip(futures_of(listed), drawn, strict=True):
        assert a.probability == pytest.approx(b.probability)
        assert a.scenario.economics.chip_price_scale == b.scenario.economics.chip_price_scale


def test_a_study_stopped_by_the_time_cap_says_so(futures_app, expected, monkeypatch):
    """A study the server's cap stopped (feasible, not proven optimal) is shown with a warning
    naming its status and the cap, not as if it were the optimum."""
    import dataclasses

    import planner.studies.robust as study

    stopped = dataclasses.replace(
        expected, status="feasible", message="Time limit reached", scenario_name="stopped"
    )
    monkeypatch.setattr(study, "robust", lambda *a, **k: stopped)
    monkeypatch.setattr(uv, "_RESULTS", ResultCache(uv.MAX_RESULTS))  # its own: nothing shared
    monkeypatch.delenv("SOVPLAN_MAX_TIME_LIMIT", raising=False)
    at = futures_app
    at.button(key="unc_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(plain(w.value) for w in at.warning)
    assert "status is feasible: Time limit reached" in text, text
    assert "stops a study at 120 s" in text
