"""The uncertainty block: futures listed or drawn, each a validated scenario (issue #25)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.core.errors import InputError
from planner.core.futures import AS_GIVEN, futures_of, here_and_now
from planner.core.scenario import read_yaml, scenario_from_mapping

UK = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "uk-2030-20x.yaml"


def _with(block: dict) -> object:
    raw = read_yaml(UK)
    raw["uncertainty"] = block
    return scenario_from_mapping(raw, "uk.yaml")


def test_no_block_is_one_future_the_scenario_itself():
    sc = scenario_from_mapping(read_yaml(UK), "uk.yaml")
    (only,) = futures_of(sc)
    assert only.name == AS_GIVEN and only.probability == 1.0 and only.scenario is sc
    assert here_and_now(sc) == sc.periods[:1]


def test_listed_futures_apply_their_overrides_and_keep_the_rest():
    sc = _with(
        {
            "futures": [
                {"name": "base", "probability": 0.5},
                {"name": "dear", "probability": 0.5, "set": {"economics.chip_price_scale": 1.3}},
            ],
            "here_and_now": [2026, 2028],
        }
    )
    base, dear = futures_of(sc)
    assert base.scenario.economics.chip_price_scale == 1.0
    assert dear.scenario.economics.chip_price_scale == 1.3
    assert dear.scenario.target == sc.target and dear.scenario.budget == sc.budget
    assert dear.scenario.uncertainty is None
    assert here_and_now(sc) == [2026, 2028]


def test_draws_are_seeded_in_range_equally_likely_and_round_integer_keys():
    block = {
        "samples": 20,
        "seed": 7,
        "ranges": {
            "economics.electricity_price_scale": {"low": 0.7, "high": 1.5},
            "economics.build_lead_time_years": {"low": 1, "high": 3},
            "scores.USA": {"low": 0.2, "high": 0.8, "distribution": "triangular", "mode": 0.6},
        },
    }
    first, again = futures_of(_with(block)), futures_of(_with(block))
    assert [f.overrides for f in first] == [f.overrides for f in again]
    assert sum(f.probability for f in first) == pytest.approx(1.0)
    for f in first:
        e = f.scenario.economics
        assert 0.7 <= e.electricity_price_scale <= 1.5
        assert e.build_lead_time_years in (1, 2, 3)
        assert 0.2 <= f.scenario.scores["USA"] <= 0.8
    assert len({f.overrides["economics.electricity_price_scale"] for f in first}) == 20
    other = futures_of(_with({**block, "seed": 8}))
    assert [f.overrides for f in other] != [f.overrides for f in first]


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ({"futures": [{"name": "a", "probability": 0.6}]}, "add up to 0.6"),
        ({"futures": [{"name": "a", "probability": 0.5}] * 2}, "two futures are named 'a'"),
        ({"samples": 3}, "needs `ranges`"),
        ({"futures": [{"name": "a", "probability": 1}], "here_and_now": [2030]}, "first period"),
        ({"samples": 2, "ranges": {"budget": {"low": 2, "high": 1}}}, "low 2 is above high 1"),
    ],
)
def test_a_bad_block_names_the_field_and_the_reason(block, words):
    with pytest.raises(InputError, match="uk.yaml") as err:
        futures_of(_with(block))
    assert words in str(err.value)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"economics.chip_price_scale": -1}, "field 'economics.chip_price_scale'"),
        ({"economics.chip_price_scael": 1}, "unknown key"),
        ({"periods": [2030]}, "periods cannot differ between futures"),
        ({"home": ["FRA"]}, "home cannot differ"),
    ],
)
def test_a_bad_future_names_the_future_and_the_field(override, words):
    sc = _with({"futures": [{"name": "odd one", "probability": 1.0, "set": override}]})
    with pytest.raises(InputError, match=r"uk.yaml: uncertainty.futures\[0\] 'odd one'") as err:
        futures_of(sc)
    assert words in str(err.value)


def test_copy_mapping_copies_like_deepcopy_and_keeps_aliases_shared():
    """``copy_mapping`` (what each future's and each ``--set``'s copy of the scenario uses
    instead of ``copy.deepcopy``): equal to deepcopy's copy, nothing shared with the original
    but immutable values, and a value reached twice (a YAML alias) shared in the copy as
    deepcopy shares it, so an override through one alias shows through the other alike."""
    import copy
    import datetime

    from planner.core.scenario import apply_overrides, copy_mapping

    shared = {"x": [1, {"y": 2.5}], "on": True}
    raw = {"p": shared, "q": shared, "t": (1, [2]), "s": "text", "d": datetime.date(2030, 1, 1)}
    out = copy_mapping(raw)
    assert out == copy.deepcopy(raw)
    assert out["p"] is out["q"] and out["p"] is not shared
    assert out["t"][1] is not raw["t"][1]
    out["p"]["x"][1]["y"] = 3.0
    assert shared["x"][1]["y"] == 2.5 and out["q"]["x"][1]["y"] == 3.0
    for via in (copy_mapping, copy.deepcopy):  # the same override, the same result
        assert apply_overrides(raw, {"p.on": False}) == via(
            {**raw, "p": {**shared, "on": False}, "q": {**shared, "on": False}}
        )
