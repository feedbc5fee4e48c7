"""ui.support: the planner-side helpers of the web app (no Streamlit needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.core.data import load_tables
from planner.core.errors import InputError
from planner.core.scenario import read_yaml
from ui import figures
from ui import support as u

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    raw = read_yaml(TINY)
    sc = u.build_scenario(raw, str(TINY), TINY.parent, {})
    return raw, sc, u.base_tables(sc)


def test_overrides_write_and_remove_keys(tiny):
    raw, _, _ = tiny
    sc = u.build_scenario(
        raw, "t", TINY.parent, {"budget": 40, "limits.max_share_provider": 0.5, "weights.chip": 0}
    )
    assert sc.budget == 40 and sc.limits.max_share_provider == 0.5 and sc.weights.chip == 0
    assert u.build_scenario(raw, "t", TINY.parent, {"budget": None}).budget is None
    assert raw["budget"] == 30  # the file's mapping is untouched


def test_validation_problems_name_the_field(tiny):
    raw, _, _ = tiny
    with pytest.raises(InputError) as err:
        u.build_scenario(raw, "t", TINY.parent, {"limits.max_share_provider": 1.5})
    fields = [f for f, _ in u.validation_problems(err.value)]
    assert fields == ["limits.max_share_provider"]


def test_table_edit_errors_count_rows_like_the_editor(tiny):
    _, _, tables = tiny
    countries = tables.countries.copy()
    countries.loc[2, "pue"] = 0.5
    with pytest.raises(InputError, match=r"countries table: row 3, column 'pue': 0.5 is below"):
        u.apply_table_edits(tables, {"countries": countries})
    providers = tables.providers.copy()
    providers.loc[1, "hq_iso3"] = "XXX"
    with pytest.raises(InputError, match=r"providers table: row 2, column 'hq_iso3': unknown"):
        u.apply_table_edits(tables, {"providers": providers})


def test_valid_edit_is_typed_and_changes_the_hash(tiny):
    _, _, tables = tiny
    chips = tables.chips.copy().astype(object)
    chips.loc[1, "price_usd"] = "10000"  # the editor may hand back text
    edited = u.apply_table_edits(tables, {"chips": chips})
    assert edited.chips["price_usd"].dtype == float
    assert u.edited_table_names(tables, {"chips": chips}) == ["chips"]
    assert u.edited_table_names(tables, {"chips": tables.chips}) == []
    assert u.tables_key(edited) != u.tables_key(tables)
    assert u.tables_key(tables.copy()) == u.tables_key(tables)


def test_marginal_value_of_one_more_billion(tiny):
    _, sc, _ = tiny
    mv = u.marginal_value(sc, "budget")
    # budget 30 -> 1030 MUSD: the index rises from 5/6 to 1 (two home-chip modules, 40 MUSD)
    assert mv["base_index"] == pytest.approx(5 / 6)
    assert mv["delta_index"] == pytest.approx(1 / 6)
    assert mv["relaxed_cost_musd"] == pytest.approx(40.0)


def test_relaxed_rejects_an_unset_limit(tiny):
    _, sc, _ = tiny
    with pytest.raises(InputError, match="not set"):
        u.relaxed(sc, "max_share_provider")


def test_exports_and_figure_data(tiny):
    _, sc, tables = tiny
    plan = u.solve_plan(sc)
    sheets = pd.read_excel(__import__("io").BytesIO(u.plan_to_excel(plan)), sheet_name=None)
    assert list(sheets) == ["allocation", "kpis", "shares", "resilience", "limits"]
    assert len(sheets["allocation"]) == len(plan.allocation)
    by_country = u.compute_by_country(plan, tables)
    assert by_country["compute_eflops"].sum() == pytest.approx(2.0)
    mix = u.mix_by_jurisdiction(plan, tables)
    # every layer partitions the period's counted compute (the target)
    assert mix.groupby("layer")["counted_eflops"].sum().tolist() == pytest.approx([2.0] * 3)
    chip = mix[mix["layer"] == "chip"].set_index("key")["share"]
    assert chip.to_dict() == pytest.approx({u.HOME_LABEL: 0.5, "OTH": 0.5})


def test_scenario_on_tables_round_trips(tiny):
    _, sc, tables = tiny
    with u.scenario_on_tables(sc, tables) as moved:
        again = load_tables(moved.data)
        assert u.tables_key(again) == u.tables_key(tables)
    assert not Path(moved.data).exists()


def test_list_scenarios_honours_the_env(monkeypatch, tmp_path):
    (tmp_path / "b.yaml").write_text("name: b")
    (tmp_path / "a.yml").write_text("name: a")
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(tmp_path))
    assert [p.name for p in u.list_scenarios()] == ["a.yml", "b.yaml"]
    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(tmp_path / "missing"))
    assert u.list_scenarios() == []


def test_mix_charts_show_counted_compute_so_a_capped_provider_sits_at_its_cap(quick_start_plan):
    """EU: EuroHPC JU holds more than its cap of 2028 capacity (JUPITER, LUMI-AI, Alice
    Recoque) but counts 40% of the target, its cap. The mix bars and their hover shares must agree with the cap and
    stack to the target; capacity stays on the map."""
    from planner.core.scenario import load_scenario

    eu = load_scenario(Path(__file__).resolve().parents[1] / "data/scenarios/eu-2030-hedge.yaml")
    plan = quick_start_plan  # u.solve_plan(eu) is the same solve (planner.solve, no tables)
    tables = load_tables(eu.data)
    for period, target in eu.target.items():
        providers = u.mix_by_period(plan, "provider")
        sel = providers[providers["period"] == period]
        assert sel["counted_eflops"].sum() == pytest.approx(target)
        assert sel["share"].max() <= 0.4 + 1e-6
        assert (sel["counted_eflops"] / target).to_numpy() == pytest.approx(sel["share"])
        mix = u.mix_by_jurisdiction(plan, tables)
        layers = mix[mix["period"] == period].groupby("layer")["counted_eflops"].sum()
        assert layers.tolist() == pytest.approx([target] * 3)
        # an EU27 home is one home in every layer, not "EU" on one bar and "home" on another
        assert "EU" not in set(mix["key"]), mix
    capacity = u.compute_by_country(plan, tables)["compute_eflops"].sum()
    assert capacity > eu.target[2030] + 1  # the map still shows what is built
    fig = figures.mix_bars(u.mix_by_period(plan, "provider"), "provider")
    assert fig.layout.yaxis.title.text == figures.COUNTED_LABEL


# --- issue 26: the app is a good neighbour (time cap, abandoned solves stop) ---------------
def test_the_server_caps_every_solve(tiny, monkeypatch):
    _, sc, _ = tiny
    monkeypatch.delenv(u.MAX_TIME_LIMIT_ENV, raising=False)
    assert u.max_time_limit() == u.DEFAULT_MAX_TIME_LIMIT == 120.0
    long = sc.model_copy(update={"solver": sc.solver.model_copy(update={"time_limit": 7200})})
    assert u.capped(long).solver.time_limit == 120.0 and long.solver.time_limit == 7200
    monkeypatch.setenv(u.MAX_TIME_LIMIT_ENV, "5")
    assert u.capped(long).solver.time_limit == 5.0

    seen = {}

    def fake_solve(scenario, tables=None, time_limit=None, ranges=False, warm=None):
        seen.update(per_solve=scenario.solver.time_limit, whole=time_limit, warm=warm)
        return "plan"

    monkeypatch.setattr("planner.studies.solving.solve_and_diagnose", fake_solve)
    assert u.solve_plan(long) == "plan"
    assert seen == {"per_solve": 5.0, "whole": 5.0, "warm": None}
    # the session's previous plan's warm start reaches the solve (planner.core.warm)
    assert u.solve_plan(long, warm="previous") == "plan" and seen["warm"] == "previous"


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "nan", "inf"])
def test_a_bad_server_cap_is_an_error_naming_the_variable(monkeypatch, bad):
    monkeypatch.setenv(u.MAX_TIME_LIMIT_ENV, bad)
    with pytest.raises(InputError, match=u.MAX_TIME_LIMIT_ENV):
        u.max_time_limit()


class SessionGone(BaseException):
    """What Streamlit raises in a script whose session reruns or disconnects."""


def _leaves_after(seconds: float):
    def on_wait(elapsed: float) -> None:
        if elapsed >= seconds:
            raise SessionGone

    return on_wait


def _solve_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "sovplan-solve" and t.is_alive()]


def test_a_session_that_goes_away_stops_its_work():
    """The work sees the deadline pass (what HiGHS's poll and every phase check) as soon as
    the waiting page raises; without it the work would run its full 60 s."""
    import time

    from planner.core import deadline

    def work():
        with deadline.scope(60):
            while not deadline.expired():
                time.sleep(0.01)
        return "done"

    t0 = time.monotonic()
    with pytest.raises(SessionGone):
        u.run_cancellable(work, _leaves_after(0.3), poll_seconds=0.05)
    assert time.monotonic() - t0 < 3
    assert not _solve_threads()
    # the result and the work's own errors come back when nothing stops it
    assert u.run_cancellable(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        u.run_cancellable(lambda: 1 / 0)


@pytest.mark.slow
def test_a_disconnected_sessions_solve_stops_within_seconds():
    """A real solve (the UK scenario at a budget it cannot meet: solve, then a diagnosis of
    a minute or more) abandoned after 4 s stops within a few seconds: HiGHS is cancelled."""
    import time

    from planner.core.scenario import load_scenario

    root = Path(__file__).resolve().parent.parent
    sc = load_scenario(root / "data" / "scenarios" / "uk-2030-20x.yaml", ["budget=1278"])
    stopped = {}

    def on_wait(elapsed: float) -> None:
        if elapsed >= 4:
            stopped["at"] = time.monotonic()
            raise SessionGone

    with pytest.raises(SessionGone):
        u.solve_plan(sc, on_wait=on_wait)
    deadline = time.monotonic() + 10
    while _solve_threads() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _solve_threads()
    assert time.monotonic() - stopped["at"] < 8  # generous: a loaded machine


def test_upload_data_naming_an_unknown_user_home_is_refused_cleanly(monkeypatch) -> None:
    """``data: ~0`` (the home of a user the server lacks) made ``expanduser`` raise a raw
    RuntimeError; it is refused as any other folder outside the allowed ones."""
    from planner.core.data import DATA_DIRS_ENV, confined_data_folder

    monkeypatch.delenv(DATA_DIRS_ENV, raising=False)
    with pytest.raises(InputError, match="field 'data'"):
        confined_data_folder("~no_such_user_sovplan", "upload.yaml")
