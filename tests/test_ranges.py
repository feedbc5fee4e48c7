"""Ranges on every plan (issue #25 item 4): the fixed plan priced and scored in other futures.

Hand-checked instance: the tiny data (1 module = 1 EFLOP/s = 1 MW, CH module 20 MUSD to
build, CA 10; rent from USC a fifth of that per year) with electricity at 50 USD/MWh at home
and 100 in ALY, one year (2030), no discounting. Without a budget the plan is two home CH
modules: 40 MUSD of capital plus 2 x 8.76 GWh x 50 USD/MWh = 0.876 MUSD of energy.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.objectives import cost_coefficients
from planner.core.evaluate import evaluate_point, plan_point
from planner.core.futures import futures_of
from planner.core.inputs import build_inputs
from planner.core.prepare import prepare
from planner.core.reprice import Repricer, repriced_inputs
from planner.core.scenario import load_scenario
from planner.core.solve import solve_prepared
from planner.reports.ranges_text import range_line, range_sentence
from planner.studies.ranges import evaluate_future, plan_ranges
from tests.conftest import QUICK_START, TINY_DATA, tiny

ROOT = Path(__file__).resolve().parents[1]
ENERGY_MUSD = 8.76 * 50 / 1000  # one home module-year: 8.76 GWh at 50 USD/MWh


@pytest.fixture(scope="module")
def priced_data(tmp_path_factory) -> str:
    """The tiny data with electricity priced (HOM 50, ALY 100, OTH 80 USD/MWh)."""
    data = tmp_path_factory.mktemp("ranges") / "tiny"
    shutil.copytree(TINY_DATA, data)
    lines = (data / "countries.csv").read_text().splitlines()
    price = {"HOM": "50", "ALY": "100", "OTH": "80"}
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        cells[3] = price[cells[0]]
        lines[i] = ",".join(cells)
    (data / "countries.csv").write_text("\n".join(lines) + "\n")
    return str(data)


def solved(sc):
    prep = prepare(sc)
    plan = solve_prepared(prep, "sovereignty")
    assert plan.ok, plan.message
    return prep, plan


def with_futures(sc, futures):
    raw = sc.model_dump(mode="python", by_alias=True)
    raw["uncertainty"] = {"futures": futures}
    return type(sc).model_validate(raw)


def listed(prep, plan, futures):
    """The plan evaluated in hand-listed futures of its own scenario."""
    sc = with_futures(prep.scenario, futures)
    point = plan_point(plan.allocation, prep.inputs.periods, prep.inputs.target)
    return [evaluate_future(prep, point, plan.allocation, f) for f in futures_of(sc)]


def test_hand_checked_electricity_and_chip_prices(priced_data):
    prep, plan = solved(tiny(data=priced_data))
    assert plan.cost == pytest.approx(40 + 2 * ENERGY_MUSD)
    same, power, chips = listed(
        prep,
        plan,
        [
            {"name": "as given", "probability": 0.4},
            {
                "name": "power",
                "probability": 0.3,
                "set": {"economics.electricity_price_scale": 1.5},
            },
            {"name": "chips", "probability": 0.3, "set": {"economics.chip_price_scale": 1.25}},
        ],
    )
    assert same.cost_musd == pytest.approx(plan.cost, rel=1e-12)
    # electricity x1.5 raises the cost by exactly half the energy part
    assert power.cost_musd - plan.cost == pytest.approx(0.5 * 2 * ENERGY_MUSD, rel=1e-9)
    # chips x1.25: the 40 MUSD of hardware becomes 50
    assert chips.cost_musd - plan.cost == pytest.approx(10.0, rel=1e-9)
    assert same.index == power.index == chips.index == pytest.approx(1.0)


def test_trust_rescored_by_hand():
    """Budget 24: one home CH module and one CH rented from USC in ALY. USC@ALY/CH scores
    (ALY 0.5 + USC's OTH 0 + home chip 1)/3 = 1/2, so the index is (1 + 1/2)/2 = 0.75; with
    ALY trusted 0.8 it scores 1.8/3 = 0.6 and the index is 0.8. The cost does not move."""
    prep, plan = solved(tiny(budget=24))
    assert plan.sovereignty["index"] == pytest.approx(0.75)
    (more,) = listed(prep, plan, [{"name": "a", "probability": 1.0, "set": {"scores.ALY": 0.8}}])
    assert more.index == pytest.approx(0.8, rel=1e-12)
    assert more.cost_musd == pytest.approx(plan.cost, rel=1e-12)


@pytest.mark.parametrize(
    "sc",
    [
        tiny(budget=24, periods=[2028, 2030], target={2028: 1, 2030: 2}, horizon_end=2032),
        tiny(
            periods=[2026, 2030],
            target={2026: 1, 2030: 2},
            horizon_end=2034,
            economics={"discount_rate": 0.035, "cost_basis": "annualised"},
        ),
    ],
    ids=["rented-two-periods", "annualised-discounted"],
)
def test_own_future_reproduces_the_plan(sc):
    prep, plan = solved(sc)
    point = plan_point(plan.allocation, prep.inputs.periods, prep.inputs.target)
    out = evaluate_point(point, prep.inputs)
    assert out.cost_musd == pytest.approx(plan.cost, rel=1e-9, abs=1e-9)
    assert out.index == pytest.approx(plan.sovereignty["index"], rel=1e-9, abs=1e-9)
    assert out.meets_target and out.within_budget and not out.missing


def test_own_future_reproduces_a_bundled_plan(quick_start_plan):
    # the session's quick-start plan (read, not changed) on a freshly prepared model
    eu = load_scenario(QUICK_START)
    prep, plan = prepare(eu), quick_start_plan
    assert plan.ok, plan.message
    point = plan_point(plan.allocation, prep.inputs.periods, prep.inputs.target)
    out = evaluate_point(point, prep.inputs)
    assert out.cost_musd == pytest.approx(plan.cost, rel=1e-9)
    assert out.cost_musd == pytest.approx(plan.kpis["total_cost_model_musd"], rel=1e-9)
    assert out.index == pytest.approx(plan.sovereignty["index"], rel=1e-9)
    # its own futures (the scenario's block): the future that changes nothing is the plan
    own = plan_ranges(prep, plan)
    assert own is not None and own.source == "scenario" and len(own.outcomes) == 5
    assert own.outcomes[0].name == "as planned"
    assert own.outcomes[0].cost_musd == pytest.approx(plan.cost, rel=1e-9)
    # without the block, the default draws; the fast path (re-pricing the base inputs) equals
    # building the future's inputs anew
    prep = dataclasses.replace(prep, scenario=eu.model_copy(update={"uncertainty": None}))
    ranges = plan_ranges(prep, plan)
    assert ranges is not None and ranges.source == "default" and len(ranges.outcomes) == 50
    for future in futures_of(
        prep.scenario.model_copy(
            update={"uncertainty": _draws(prep)},
        )
    )[:3]:
        fast = repriced_inputs(prep.inputs, prep.scenario, prep.context, future.scenario)
        full, _ = build_inputs(future.scenario, prep.tables)
        a, b = evaluate_point(point, fast), evaluate_point(point, full)
        assert a.cost_musd == pytest.approx(b.cost_musd, rel=1e-9)
        assert a.index == pytest.approx(b.index, rel=1e-9)
    # the range prices each re-priced future from the base's columns (Repricer) without
    # building its inputs: the same numbers, to the last bit, as evaluate_point on them
    repricer = Repricer(prep.inputs, prep.scenario, prep.context)
    futures = futures_of(prep.scenario.model_copy(update={"uncertainty": _draws(prep)}))
    for future, out in zip(futures, ranges.outcomes, strict=True):
        inputs = repricer.inputs(future.scenario)
        capital, running, score = repricer.coefficients(future.scenario)
        want_capital, want_running = cost_coefficients(inputs)
        assert np.array_equal(capital, want_capital) and np.array_equal(running, want_running)
        assert np.array_equal(score, inputs.options["score"].to_numpy(float))
        slow = evaluate_point(point, inputs, future.name, future.probability)
        assert (out.cost_musd, out.index, out.meets_target, out.within_budget) == (
            slow.cost_musd,
            slow.index,
            slow.meets_target,
            slow.within_budget,
        )


def _draws(prep):
    from planner.studies.ranges import default_table, default_uncertainty

    return default_uncertainty(prep, default_table(None))


def test_dearer_chips_never_lower_the_cost(priced_data):
    prep, plan = solved(
        tiny(data=priced_data, budget=24, periods=[2028, 2030], target={2028: 1, 2030: 2})
    )
    scales = [0.5, 0.8, 1.0, 1.1, 1.5, 2.0, 3.0]
    outs = listed(
        prep,
        plan,
        [
            {
                "name": f"x{s}",
                "probability": 1 / len(scales),
                "set": {"economics.chip_price_scale": s},
            }
            for s in scales
        ],
    )
    costs = [o.cost_musd for o in outs]
    assert costs == sorted(costs) and costs[0] < costs[-1]
    assert outs[-1].within_budget is False  # three times the chip price breaks a 24 budget
    assert outs[0].within_budget is True


def test_the_range_is_seeded_and_reproducible(priced_data):
    prep, plan = solved(tiny(data=priced_data))
    first, again = plan_ranges(prep, plan), plan_ranges(prep, plan)
    assert first.to_dict()["per_future"] == again.to_dict()["per_future"]
    assert first.cost == again.cost
    c = first.cost
    assert c["min"] <= c["p10"] <= c["p50"] <= c["p90"] <= c["max"]
    # the chip price draws (x0.75-1.25 of 40 MUSD) outweigh energy (x0.7-1.5 of 0.876)
    assert first.driver["input"] == "economics.chip_price_scale"
    assert first.driver["cost_at_high_musd"] - first.driver["cost_at_low_musd"] == pytest.approx(
        20.0, rel=1e-9
    )


def test_a_future_without_a_used_chip_makes_the_plan_infeasible_there():
    prep, plan = solved(tiny(budget=30))  # one home CA, one home CH
    ok, banned = listed(
        prep,
        plan,
        [
            {"name": "as given", "probability": 0.5},
            {"name": "no CA", "probability": 0.5, "set": {"exclude.chips": ["CA"]}},
        ],
    )
    assert ok.feasible
    assert not banned.feasible and banned.cost_musd is None
    assert banned.missing == ["CA at PUB in HOM"]
    sc = with_futures(
        prep.scenario,
        [
            {"name": "as given", "probability": 0.5},
            {"name": "no CA", "probability": 0.5, "set": {"exclude.chips": ["CA"]}},
        ],
    )
    prep2 = prepare(sc)
    ranges = plan_ranges(prep2, plan)
    assert ranges.source == "scenario"
    assert ranges.infeasible == pytest.approx(0.5) and ranges.misses_target == 0.0
    assert "cannot be carried out in 50% of futures" in range_line(ranges.to_dict())


def test_a_cut_future_is_priced_and_its_kept_share_follows_the_cut_rule():
    """Budget 24: one home CH and one CH rented from USC (OTH-headquartered) in ALY; a cut of
    OTH loses the rented module at once: half the target is kept."""
    prep, plan = solved(tiny(budget=24))
    sc = with_futures(
        prep.scenario,
        [
            {"name": "calm", "probability": 0.8},
            {
                "name": "OTH cut",
                "probability": 0.2,
                "cut": {"jurisdictions": ["OTH"], "from": 2030},
            },
        ],
    )
    calm, cut = [
        evaluate_future(prep, plan_point(plan.allocation, [2030], {2030: 2.0}), plan.allocation, f)
        for f in futures_of(sc)
    ]
    assert calm.meets_target and cut.cost_musd == pytest.approx(plan.cost)
    assert cut.kept_share == pytest.approx(0.5) and not cut.meets_target


def test_cli_prints_the_range_and_json_carries_it(priced_data, tmp_path):
    from typer.testing import CliRunner

    from planner.cli import app

    path = tmp_path / "tiny.yaml"
    text = (
        (ROOT / "tests/fixtures/tiny.yaml")
        .read_text()
        .replace("data: tiny", f"data: {priced_data}")
    )
    path.write_text(text)
    runner = CliRunner()
    res = runner.invoke(app, ["solve", str(path)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    cost = next(i for i, line in enumerate(lines) if line.startswith("Total cost"))
    assert any(line.startswith("Range over 50 futures") for line in lines[cost : cost + 4])
    assert "moves the cost most is chip prices" in " ".join(res.output.split())
    res = runner.invoke(app, ["solve", str(path), "--json"])
    payload = json.loads(res.output)
    r = payload["ranges"]
    assert r["source"] == "default" and r["futures"] == 50 and len(r["per_future"]) == 50
    assert set(r["cost_musd"]) == {"min", "p10", "p50", "p90", "max"}
    assert r["driver"]["input"] == "economics.chip_price_scale"
    assert np.isfinite(r["cost_musd"]["p90"])


def test_no_time_left_gives_a_note_not_numbers(priced_data):
    from planner.core import deadline as clock

    prep, plan = solved(tiny(data=priced_data))
    with clock.scope(0.0):
        ranges = plan_ranges(prep, plan)
    assert ranges.outcomes == [] and not ranges.cost
    assert "time limit ran out after 0 of 50 futures" in ranges.notes[0]
    assert range_line(ranges.to_dict()).startswith("Range: none (the time limit ran out")


def test_a_bad_ranges_table_is_named_with_row_and_column(priced_data, tmp_path):
    from planner.studies.ranges import attach_ranges

    data = tmp_path / "tiny"
    shutil.copytree(priced_data, data)
    table = (ROOT / "data/uncertain_inputs.csv").read_text().replace(",times,", ",maybe,", 1)
    (data / "uncertain_inputs.csv").write_text(table)
    prep, plan = solved(tiny(data=str(data)))
    attach_ranges(plan, prep)
    assert plan.ranges["notes"] == [
        f"no range: {data / 'uncertain_inputs.csv'}: row 2, column 'how': 'maybe' is not "
        "times or plus"
    ]


def test_the_brief_shows_the_range_also_from_a_saved_plan(tmp_path):
    from typer.testing import CliRunner

    from planner.cli import app

    runner = CliRunner()
    tiny_yaml = ROOT / "tests/fixtures/tiny.yaml"
    plan_json = tmp_path / "plan.json"
    assert runner.invoke(app, ["solve", str(tiny_yaml), "--out", str(plan_json)]).exit_code == 0
    cost = json.loads(plan_json.read_text())["ranges"]["cost_musd"]
    want = f"{cost['p10']:,.0f}-{cost['p90']:,.0f} MUSD"
    for extra in ([], ["--plan", str(plan_json)]):
        out = tmp_path / f"brief{len(extra)}.html"
        res = runner.invoke(
            app, ["brief", str(tiny_yaml), "--alternatives", "0", "--out", str(out), *extra]
        )
        assert res.exit_code == 0, res.output
        text = out.read_text()
        assert "Cost P10-P90 across futures" in text and want in text
        assert "Range over 50 futures drawn from the default ranges" in text


def test_the_app_shows_the_range_under_the_cost(app):
    from tests.test_ui_app import plain, solve

    solve(app)
    captions = [plain(c.value) for c in app.caption]
    assert any(
        c.startswith("Range over 50 futures drawn from the default ranges") for c in captions
    )


def test_listed_futures_give_weighted_quantiles_and_name_the_future(priced_data):
    """Three listed futures: as given (0.5), power x1.5 (0.3), chips x1.25 (0.2). The P10 and
    P50 are the plan's own cost (half the probability), the P90 the chips future (the last
    20%), and that future moves the cost most."""
    sc = with_futures(
        tiny(data=priced_data),
        [
            {"name": "as given", "probability": 0.5},
            {
                "name": "power",
                "probability": 0.3,
                "set": {"economics.electricity_price_scale": 1.5},
            },
            {"name": "chips", "probability": 0.2, "set": {"economics.chip_price_scale": 1.25}},
        ],
    )
    prep, plan = solved(sc)
    ranges = plan_ranges(prep, plan)
    assert ranges.source == "scenario" and len(ranges.outcomes) == 3
    own = 40 + 2 * ENERGY_MUSD
    assert ranges.cost["p10"] == pytest.approx(own) and ranges.cost["p50"] == pytest.approx(own)
    assert ranges.cost["p90"] == pytest.approx(own + 10) == ranges.cost["max"]
    assert ranges.driver["input"] == "chips"
    assert ranges.driver["changes"] == {"economics.chip_price_scale": 1.25}
    assert "The future that moves the cost most is 'chips'" in range_sentence(ranges.to_dict())


def test_the_reading_names_the_scenarios_futures_where_the_plan_falls_short():
    """'misses the target in 10% of futures' names which of the scenario's futures, and points
    to `sovplan robust`; drawn futures (the default sample) are not named."""
    outcomes = [
        {"name": "as planned", "meets_target": True, "missing": []},
        {"name": "Taiwan cut", "meets_target": False, "missing": []},
        {"name": "ban", "meets_target": True, "missing": ["B200 at AWS in USA"]},
    ]
    cost = {"p10": 1.0, "p50": 2.0, "p90": 3.0, "min": 1.0, "max": 3.0}
    ranges = {"source": "scenario", "futures": 3, "cost_musd": cost, "per_future": outcomes,
              "share_missing_target": 0.1, "share_infeasible": 0.2}  # fmt: skip
    text = range_sentence(ranges)
    assert "It falls short in 'Taiwan cut', 'ban'; `sovplan robust`" in text
    assert "'as planned'" not in text
    assert "falls short" not in range_sentence({**ranges, "source": "default"})
    fine = [{**o, "meets_target": True, "missing": []} for o in outcomes]
    assert "falls short" not in range_sentence(
        {**ranges, "per_future": fine, "share_missing_target": 0, "share_infeasible": 0}
    )
