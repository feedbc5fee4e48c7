"""Issue #15, round 2: the search settings of the cost tie-break leave the optimum where it was.

``TIE_BREAK_OPTIONS`` (HiGHS options of the cost-minimising solves) only change how HiGHS
searches: with them and without them (HiGHS defaults, monkeypatched) the best index and the
cheapest cost at that index agree, exactly on the tiny instance (gaps 0) and within the
default gaps on the bundled scenarios.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner.core.solve as solve_mod
from planner.core.prepare import prepare
from planner.core.solve import solve
from tests.conftest import tiny
from tests.test_speed_formulation import EXACT, _agree, limits_st

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))


def _both(monkeypatch, sc):
    """(plan with the tie-break options, plan with HiGHS's defaults)."""
    tuned = solve(sc)
    with monkeypatch.context() as mp:
        mp.setattr(solve_mod, "TIE_BREAK_OPTIONS", {})
        plain = solve(sc)
    return tuned, plain


def test_options_apply_to_one_run_only():
    prep = prepare(tiny(solver=EXACT))
    h = prep.highs.h
    before = h.getOptionValue("mip_allow_restart")[1]
    out = prep.highs.solve(time_limit=10, mip_gap=0.0, options={"mip_allow_restart": not before})
    assert out.status == "optimal"
    assert h.getOptionValue("mip_allow_restart")[1] == before


@pytest.mark.parametrize(
    "limits",
    [
        {"max_share_provider": 0.5},
        {"max_share_provider": 0.5, "min_providers": 2, "max_share_chip_designer": 0.5},
        {"max_share_foreign_jurisdiction": 0.5, "min_home_share": 0.5},
        {"max_share_country": 0.5, "resilience": 1.0},
    ],
)
def test_tiny_optimum_unchanged(monkeypatch, limits):
    sc = tiny(countries=["HOM", "ALY", "OTH"], target={2030: 2}, budget=40, limits=limits,
              solver=EXACT)  # fmt: skip
    _agree(*_both(monkeypatch, sc), index_tol=1e-6, cost_rel=1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    countries=st.sampled_from([["ALY", "OTH"], ["HOM", "OTH"], ["HOM", "ALY", "OTH"]]),
    target=st.integers(1, 3),
    budget=st.one_of(st.none(), st.integers(5, 60)),
    limits=limits_st,
)
def test_random_tiny_optimum_unchanged(monkeypatch, countries, target, budget, limits):
    sc = tiny(countries=countries, target={2030: target}, budget=budget, limits=limits,
              solver=EXACT)  # fmt: skip
    _agree(*_both(monkeypatch, sc), index_tol=1e-6, cost_rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_optimum_unchanged(monkeypatch, path):
    tuned, plain = _both(monkeypatch, str(path))
    assert "time limit" not in (tuned.message or "").lower()
    # within the default gaps: index (relative 1e-4), cost tie-break (relative 1e-3)
    _agree(tuned, plain, index_tol=2e-4, cost_rel=2e-3)
