"""Supply shocks on a hand-built plan for the tiny instance: exact retained shares.

Jurisdictions: HOM (home), ALY, OTH. Provider USC is headquartered in OTH; PUB is the home
public build. Chip CA is designed by A Corp (OTH), CH by H Corp (HOM).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.core.errors import InputError
from planner.studies.stress import stress
from tests.conftest import TINY_YAML, tiny
from tests.conftest import tiny_row as row

PLAN = {
    "status": "optimal",
    "cost": 50.0,
    "allocation": [
        row(2028, "HOM", "PUB", "CH", 1),
        row(2030, "HOM", "PUB", "CH", 1),
        row(2030, "ALY", "USC", "CA", 1),
        row(2030, "OTH", "USC", "CH", 1),
    ],
}
SCENARIO = {"periods": [2028, 2030], "target": {2028: 1, 2030: 2}}


def kept(result):
    return {
        (r.kind, r.supplier, r.period): r.kept_share for r in result.cuts.itertuples(index=False)
    }


def test_hand_built_plan_retained_shares_are_exact():
    res = stress(tiny(**SCENARIO), plan=PLAN)
    assert kept(res) == {
        # ALY: only the ALY-sited module is lost; 2 of 3 EFLOP/s remain >= target 2
        ("jurisdiction", "ALY", 2028): 1.0,
        ("jurisdiction", "ALY", 2030): 1.0,
        # OTH: USC (OTH-headquartered) in ALY and OTH, and the OTH-designed CA: 1 of 3 left
        ("jurisdiction", "OTH", 2028): 1.0,
        ("jurisdiction", "OTH", 2030): 0.5,
        ("provider", "PUB", 2028): 0.0,
        ("provider", "PUB", 2030): 1.0,
        ("provider", "USC", 2028): 1.0,
        ("provider", "USC", 2030): 0.5,
        ("designer", "A Corp", 2028): 1.0,
        ("designer", "A Corp", 2030): 1.0,
        # H Corp's chips cannot be bought from the cut on; the CH module at home installed in
        # 2028 keeps running minus a year of failures (9%): (1 + 0.91) / 2
        ("designer", "H Corp", 2028): 0.0,
        ("designer", "H Corp", 2030): pytest.approx(0.955),
    }
    oth = res.cuts[(res.cuts["supplier"] == "OTH") & (res.cuts["period"] == 2030)].iloc[0]
    assert (oth.compute_eflops, oth.lost_eflops, oth.kept_eflops) == (3.0, 2.0, 1.0)
    worst = res.worst()
    assert set(worst[worst["worst_kept_share"] == 0.0]["supplier"]) == {"PUB", "H Corp"}


def test_plan_json_file_and_errors(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN))
    assert kept(stress(tiny(**SCENARIO), plan=path)) == kept(stress(tiny(**SCENARIO), plan=PLAN))
    with pytest.raises(InputError, match="no such plan file"):
        stress(tiny(**SCENARIO), plan=tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not a readable plan JSON"):
        stress(tiny(**SCENARIO), plan=bad)
    wrong = dict(PLAN, allocation=[row(2030, "XXX", "PUB", "CH", 1)])
    with pytest.raises(InputError, match=r"country\(s\) \['XXX'\]"):
        stress(tiny(**SCENARIO), plan=wrong)
    with pytest.raises(InputError, match="period"):
        stress(tiny(), plan=PLAN)  # 2028 is not a period of the plain tiny scenario
    nan = dict(PLAN, allocation=[dict(row(2030, "HOM", "PUB", "CH", 1), modules="many")])
    with pytest.raises(InputError, match="modules"):
        stress(tiny(**SCENARIO), plan=nan)


def test_replan_after_each_shock():
    """Budget 24: the optimum is HOM/PUB/CH (20) + ALY/USC/CH rented (4); one period, so each
    cut comes at its start and nothing installed before it survives."""
    res = stress(tiny(budget=24), replan=True)
    rp = res.replans.set_index("supplier")
    # without OTH: no USC, no CA; the second module must be a 20 MUSD CH build. The crisis
    # plan raises the budget (a relative loosening of 2/3) rather than give up half of the
    # target (penalised ten times as much)
    assert rp.loc["OTH", "status"] == "crisis_plan"
    assert "raise budget from 24 MUSD to 40 MUSD" in rp.loc["OTH", "relaxed"]
    assert rp.loc["OTH", "total_cost_musd"] == pytest.approx(40.0)
    assert rp.loc["OTH", "extra_cost_musd"] == pytest.approx(16.0)
    # without H Corp: two CA builds at home cost 20, 4 less than the plan: the extra cost is
    # 0, never negative, and the saving is the cost change
    assert rp.loc["H Corp", "status"] == "optimal" and rp.loc["H Corp", "relaxed"] == ""
    assert rp.loc["H Corp", "extra_cost_musd"] == 0.0
    assert rp.loc["H Corp", "cost_change_musd"] == pytest.approx(-4.0)
    # without ALY (cut at the start of the only period: nothing is bought yet) the best
    # index, 2/3, is also reached by two CA builds at home for 20
    assert rp.loc["ALY", "sovereignty_index"] == pytest.approx(2 / 3)
    assert rp.loc["ALY", "total_cost_musd"] == pytest.approx(20.0)
    assert (res.replans["extra_cost_musd"].dropna() >= 0).all()


def test_cli_stress_json_and_out(tmp_path):
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(dict(PLAN, allocation=PLAN["allocation"][1:])))
    runner = CliRunner()
    out = tmp_path / "cuts.csv"
    args = ["stress", str(TINY_YAML), "--plan", str(plan_path), "--out", str(out)]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {r["supplier"] for r in data["cuts"]} == {"ALY", "OTH", "PUB", "USC", "A Corp", "H Corp"}
    assert out.read_text().startswith("kind,supplier,period")
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.output
    bad = runner.invoke(app, ["stress", str(TINY_YAML), "--plan", str(tmp_path / "none.json")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_a_cut_of_a_providers_technology_reaches_its_capacity():
    """S3NS is Thales-controlled (France) on Google's technology (providers.csv
    ``technology_jurisdiction`` USA): a US cut stops it like a chip cut (installed capacity
    runs on), as the model's N-1 reads it; before, the cut rule ignored the technology."""
    import pandas as pd

    from planner.core.cuts import jurisdiction_masks, plan_rows
    from planner.core.data import load_tables
    from planner.core.scenario import load_scenario
    from tests.conftest import QUICK_START

    sc = load_scenario(QUICK_START)
    tables = load_tables(sc.data)
    # a Chinese-designed chip at S3NS in France: only the provider's technology is American
    alloc = pd.DataFrame([{**row(2030, "FRA", "S3NS", "ASCEND950", 1), "existing": ""}])
    rows = plan_rows(sc, tables, alloc)
    lost, chip = jurisdiction_masks(rows, "USA")
    assert not bool(lost.iloc[0]) and bool(chip.iloc[0])
    lost, chip = jurisdiction_masks(rows, "DEU")
    assert not bool(lost.iloc[0]) and not bool(chip.iloc[0])
