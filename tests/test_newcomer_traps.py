"""Issue 28's traps for a newcomer: wrong answers nobody could see.

Trap 1: a home with no row in relationships.csv scored every foreign partner 0 silently.
Trap 4: the budget screen's "needs at least" moved with the budget asked (4,866 MUSD for a
budget of 1, 3,480 for 3,000) and read as the budget needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.core.data import load_tables
from planner.core.home import resolve_home
from planner.core.prepare import prepare
from planner.core.profiles import BLOC_MEMBER_SCORE, NEUTRAL_SCORE, profiles_table
from planner.core.scenario import scenario_from_mapping
from planner.core.screens import screen
from tests.conftest import TINY_YAML, tiny

RUNNER = CliRunner()


def _home(home: list[str], **extra) -> object:
    raw = {"name": "t", "home": home, "periods": [2030], "target": {2030: 1}, **extra}
    return scenario_from_mapping(raw, source="<test>")


@pytest.fixture(scope="module")
def tables():
    return load_tables(None)


def test_home_without_row_gets_a_stated_profile(tables):
    """DEU inherits EU27's row (EU itself a partner, not home); JPN gets the neutral default;
    both say so; a curated home assumes nothing."""
    deu = resolve_home(_home(["DEU"]), tables)
    assert deu.profile == "EU27"
    assert deu.scores["USA"] == 0.5  # EU27's row
    assert deu.scores["EU"] == BLOC_MEMBER_SCORE  # other member states are not home
    assert "EU27" in deu.assumption and "DEU" in deu.assumption
    jpn = resolve_home(_home(["JPN"]), tables)
    assert jpn.scores["USA"] == NEUTRAL_SCORE and jpn.scores["CHN"] == NEUTRAL_SCORE
    assert jpn.scores["JPN"] == 1.0
    assert "neutral" in jpn.assumption
    # explicit scores still win over the assumed profile
    assert resolve_home(_home(["JPN"], scores={"USA": 0.7}), tables).scores["USA"] == 0.7
    assert resolve_home(_home(["FRA"]), tables).assumption == ""
    assert resolve_home(_home(["EU27"]), tables).assumption == ""


def test_validate_warns_and_profiles_are_listed(tmp_path, tables):
    path = tmp_path / "jpn.yaml"
    path.write_text("name: j\nhome: [JPN]\nperiods: [2030]\ntarget: {2030: 1}\n")
    out = RUNNER.invoke(app, ["validate", str(path)])
    assert out.exit_code == 0
    assert "warning: home JPN has no row" in out.output
    table = profiles_table(tables)
    assert set(table.loc[table["kind"] == "curated", "home"]) >= {"EU27", "FRA", "GBR"}
    assert table.set_index("home").loc["DEU", "profile"] == "EU27"
    assert table.set_index("home").loc["JPN", "kind"] == "neutral"


def test_unknown_profile_names_the_nearest(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        "name: j\nhome: [FRA]\nrelationship_profile: FRAA\nperiods: [2030]\ntarget: {2030: 1}\n"
    )
    out = RUNNER.invoke(app, ["validate", str(path)])
    assert out.exit_code == 2
    assert "nearest: FRA" in out.output


def _lower_bound(budget: float) -> float:
    sc = tiny(budget=budget, target={2030: 3})
    found = [s for s in screen(prepare(sc)) if s.startswith("budget")]
    assert found, f"the budget screen should fire for a budget of {budget}"
    assert "lower bound" in found[0]
    return float(re.search(r"at least ([\d,.]+) MUSD", found[0]).group(1).replace(",", ""))


def test_budget_screen_states_one_lower_bound():
    """Two budgets too small for the same target state the same lower bound, below what the
    cheapest plan really costs."""
    # a budget of 1 caps every option at one module, one of 5 at two: the old bound read
    # 8 and 6 MUSD; renting three CA modules at 2 MUSD each is the cheapest plan (6 MUSD)
    low, high = _lower_bound(1), _lower_bound(5)
    assert low == high == 6


def test_info_codes_lists_every_kind():
    out = RUNNER.invoke(app, ["info", "--codes", "--json"])
    assert out.exit_code == 0, out.output
    import json

    listing = json.loads(out.output)
    assert set(listing) == {
        "countries",
        "blocs",
        "providers",
        "chips",
        "designers",
        "jurisdictions",
        "profiles",
        "projects",
    }
    assert "B200" in {r["code"] for r in listing["chips"]}
    assert "EU27" in {r["code"] for r in listing["blocs"]}
    assert "GF_PRT_SINES" in {r["code"] for r in listing["projects"]}


@pytest.mark.parametrize(
    ("override", "hint"),
    [
        ("chips=[V100]", "nearest: H100"),
        ("home=[JPNN]", "nearest: JPN"),
        ("exclude.providers=[AWZ]", "nearest: AWS"),
        ("scores.UAS=0.5", "nearest: USA"),
    ],
)
def test_unknown_codes_name_the_nearest(override, hint):
    out = RUNNER.invoke(app, ["validate", "data/scenarios/france-2030.yaml", "--set", override])
    assert out.exit_code == 2
    assert hint in " ".join(out.output.split()), out.output


def test_plan_reads_short_in_a_repl_and_rounds_its_index():
    from planner import solve

    plan = solve(tiny(budget=30))
    text = repr(plan)
    assert text.startswith("<Plan 'tiny': optimal") and "0.833" in text
    assert len(text) < 400  # a summary, not screens of tables
    assert "<table>" in plan._repr_html_()
    assert plan.sovereignty["index"] == round(plan.sovereignty["index"], 9)
    failed = solve(tiny(budget=1))
    assert "infeasible" in repr(failed)


def test_words_and_numbers():
    import pandas as pd

    from planner import solve
    from planner.reports.numbers import limits_for_display, money_change, readable
    from planner.reports.plan_reading import read_plan

    assert money_change(-5.2) == "costs 5 MUSD less"
    assert money_change(0.1) == "costs the same"
    assert readable(10055.3654) == "10,055" and readable(0.8200000000000001) == "0.820"
    lim = pd.DataFrame(
        [{"limit": "budget", "kind": "max", "value": 30.0, "actual": 30.0,
          "slack": -1.11e-16, "binding": True}]
    )  # fmt: skip
    assert limits_for_display(lim)["slack"].iloc[0] == 0.0
    plan = solve(tiny(budget=30))
    assert "--set" not in read_plan(plan, face="app")


def test_studies_report_progress_in_solves():
    """The Python API takes a tqdm-style ``progress(done, total)`` callback; it ends at its
    total, counting worker processes' solves too."""
    from planner import alternatives, pareto

    seen: list[tuple[int, int]] = []
    alternatives(tiny(budget=30), slack=0.1, n=3, progress=lambda d, t: seen.append((d, t)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] and len(seen) > 3
    seen.clear()
    pareto(tiny(budget=30), points=3, workers=2, progress=lambda d, t: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == seen[-1][1]
    assert any(0 < d < seen[-1][1] for d in done)  # it moved before the end


def test_ui_port_honours_streamlit_server_port(monkeypatch):
    from planner.cli import ui_port

    monkeypatch.setenv("STREAMLIT_SERVER_PORT", "8123")
    assert ui_port(None) == 8123
    assert ui_port(9000) == 9000  # --port wins
    monkeypatch.delenv("STREAMLIT_SERVER_PORT")
    assert ui_port(None) == 8501


def test_readme_examples_write_into_out_and_do_not_collide():
    """Every output file a README command names lives under out/ (git-ignored), and no two
    examples write the same file."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|python)\n(.*?)```", text, flags=re.S)
    outs = []
    for block in blocks:
        outs += re.findall(r"--(?:out|plot|report) (\S+)", block)
        outs += re.findall(r'out="([^"]+)"', block)
    outs = [o.split("|")[0].rstrip("]") for o in outs if not o.startswith(("FILE", "DIR", "["))]
    assert outs, "the README names output files"
    assert all(o.startswith("out/") for o in outs), outs
    writes = [o for o in outs if "..." not in o]
    assert len(writes) == len(set(writes)), writes


def test_sensitivity_views_draw_constant_results_flat():
    import pandas as pd

    from planner.reports.sweep_report import heatmap_figure, tornado_figure

    runs = pd.DataFrame(
        {
            "a": [1, 1, 2, 2],
            "b": [1, 2, 1, 2],
            "status": ["optimal"] * 4,
            "sovereignty_index": [0.82, 0.8200000000000001, 0.82, 0.82],
            "total_cost_musd": [10055.0, 10060.0, 10055.0, 10051.0],  # within the 0.1% gap
        }
    )
    runs.attrs["sweep"] = {"method": "grid", "params": {"a": [1, 2], "b": [1, 2]}}
    fig = heatmap_figure(runs, "a", "b")
    assert fig.data[0].showscale is False  # one flat colour, no three-colour bar
    assert "0.820" in fig.layout.annotations[0].text
    cost = heatmap_figure(runs, "a", "b", "total_cost_musd")
    assert cost.data[0].showscale is False  # the tie-break's noise is not an effect
    oat = runs.iloc[[0, 1, 2]].copy()
    oat.attrs["sweep"] = {
        "method": "oat",
        "params": {"a": [1, 2], "b": [1, 2]},
        "base": {"a": 1, "b": 1},
    }
    empty = tornado_figure(oat, "sovereignty_index")
    assert "no parameter moves" in empty.layout.annotations[0].text


def test_solve_warns_about_an_assumed_profile():
    """The tiny data have a row for HOM only: home ALY gets the neutral default, and solve
    says so before anything else (and the plan's context carries it for the app)."""
    from planner import solve

    out = RUNNER.invoke(app, ["solve", str(TINY_YAML), "--set", "home=[ALY]"])
    text = " ".join(out.output.split())
    assert "warning: home ALY has no row in relationships.csv" in text
    plan = solve(tiny(budget=30, home=["ALY"]))
    assert "neutral default" in plan.context["profile_assumption"]


def test_app_offers_the_brief_after_solve(monkeypatch):
    """After Solve, the Plan tab offers 'Download brief' (its page is built on click)."""
    from streamlit.testing.v1 import AppTest

    from tests.test_ui_app import solve as app_solve

    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(Path(TINY_YAML).parent))
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[1] / "ui" / "app.py"), default_timeout=120
    )
    at.run()
    app_solve(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download brief" in labels, labels
