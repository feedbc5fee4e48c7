"""A plan's N-1 and dependence tables skip the foreign jurisdictions it does not touch
(issue 28 #9: 0.4 s of every solve went to masks and group-bys of jurisdictions in no row).
These check that the shortcut is the rule itself: for every foreign jurisdiction, touched or
not, the tables equal the rule applied to that jurisdiction alone (tiny fixture: OTH designs
a chip the plan uses, ALY is in no row)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner import solve
from planner.core.cuts import (
    cut_rule,
    involved_jurisdictions,
    jurisdiction_masks,
    kept_table,
    plan_rows,
)
from planner.core.prepare import prepare
from planner.core.results import resilience_table, shares_table, with_options


@pytest.fixture
def solved(tiny_scenario):
    """The prepared tiny model and its plan's allocation (one CA and one CH module)."""
    plan = solve(tiny_scenario(budget=30))
    assert plan.ok
    return prepare(tiny_scenario(budget=30)), plan.allocation


def test_both_kinds_of_jurisdiction_are_exercised(solved):
    prep, alloc = solved
    rows = plan_rows(prep.scenario, prep.tables, alloc, prep.context)
    present = involved_jurisdictions(rows)
    foreign = set(prep.inputs.foreign_jurisdictions)
    assert foreign & present and foreign - present, (foreign, present)


def test_n_minus_1_table_is_the_rule_for_every_jurisdiction(solved):
    prep, alloc = solved
    table = resilience_table(prep, alloc)
    rows = plan_rows(prep.scenario, prep.tables, alloc, prep.context)
    rule = cut_rule(prep.scenario)
    target = {int(t): float(v) for t, v in prep.scenario.target.items()}
    for j in prep.inputs.foreign_jurisdictions:
        lost, chip = jurisdiction_masks(rows, j)
        want = kept_table(rows, lost, chip, rule, target)
        got = table[table["jurisdiction"] == j].reset_index(drop=True)
        assert list(got["kept_eflops"]) == list(want["kept_eflops"]), j
        assert list(got["kept_share_of_target"]) == list(want["kept_share"]), j


def test_dependence_shares_are_the_group_sums_for_every_jurisdiction(solved):
    prep, alloc = solved
    shares = shares_table(prep, alloc)
    target = alloc["period"].map(prep.inputs.target).astype(float)
    keyed = with_options(prep, alloc.assign(share=alloc["counted_eflops"] / target), [])
    for j in prep.inputs.foreign_jurisdictions:
        mask = keyed["option"].isin(prep.inputs.by_dependency.get(j, []))
        want = keyed[mask].groupby("period")["counted_eflops"].sum()
        got = shares[(shares["dimension"] == "foreign_jurisdiction") & (shares["key"] == j)]
        assert len(got) == alloc["period"].nunique(), j
        for period, value in zip(got["period"], got["counted_eflops"], strict=True):
            assert value == pytest.approx(float(want.get(period, 0.0)), abs=1e-12), (j, period)
        assert pd.api.types.is_integer_dtype(got["period"]), j
