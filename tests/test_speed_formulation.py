"""The speed-ups of issue #15 leave the optimum where it was.

Each formulation strengthening can be switched back to the plain formulation (monkeypatched
here): the best index and the cheapest cost at that index must agree, exactly on the tiny
instance (gaps 0) and within the default gaps on the bundled scenarios.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models.constraints as cf
from planner.core.solve import solve
from tests.conftest import tiny

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
EXACT = {"time_limit": 20, "mip_gap": 0.0, "tie_break_gap": 0.0}


def _plain_share_caps(inp, groups):
    """The formulation before issue #15: counted links with M = D_t (σ_g = 1)."""
    return {key: 1.0 for key in groups}


def _both(monkeypatch, sc):
    """(status, index, cost) with the strengthened and with the plain formulation."""
    strong = solve(sc)
    with monkeypatch.context() as mp:
        mp.setattr(cf, "_share_caps", _plain_share_caps)
        plain = solve(sc)
    return strong, plain


def _agree(strong, plain, index_tol: float, cost_rel: float) -> None:
    assert strong.status == plain.status
    if strong.status not in ("optimal", "feasible"):
        return
    assert strong.sovereignty["index"] == pytest.approx(plain.sovereignty["index"], abs=index_tol)
    assert strong.cost == pytest.approx(plain.cost, rel=cost_rel, abs=1e-6)


def test_share_caps_read_the_share_rows():
    sc = tiny(
        countries=["HOM", "ALY", "OTH"],
        limits={"max_share_provider": 0.5, "max_share_chip_designer": 0.75},
    )
    from planner.core.prepare import prepare

    inp = prepare(sc).inputs
    caps = cf._share_caps(inp, inp.by_provider)
    assert set(caps.values()) == {0.5}
    chips = cf._share_caps(inp, inp.by_chip)
    assert set(chips.values()) == {0.75}  # every chip has one designer
    sites = cf._share_caps(inp, inp.by_country)
    # no site cap, but HOM hosts only public builds (provider cap 0.5); ALY/OTH host two
    assert sites == {"HOM": 0.5, "ALY": 1.0, "OTH": 1.0}


#: Hand-picked limits for the tiny instance: each exercises a share cap or count the speed-ups
#: touch (shared with tests/test_speed_tiebreak.py).
LIMIT_CASES = [
    {"max_share_provider": 0.5},
    {"max_share_provider": 0.5, "min_providers": 2, "max_share_chip_designer": 0.5},
    {"max_share_foreign_jurisdiction": 0.5, "min_home_share": 0.5},
    {"max_share_country": 0.5, "resilience": 1.0},
]


def limits_case(limits: dict):
    """The tiny instance with three countries, a 2 EFLOP/s target, a budget and ``limits``."""
    return tiny(countries=["HOM", "ALY", "OTH"], target={2030: 2}, budget=40, limits=limits,
                solver=EXACT)  # fmt: skip


@pytest.mark.parametrize("limits", LIMIT_CASES)
def test_tiny_optimum_unchanged(monkeypatch, limits):
    _agree(*_both(monkeypatch, limits_case(limits)), index_tol=1e-6, cost_rel=1e-9)


limits_st = st.fixed_dictionaries(
    {},
    optional={
        "max_share_provider": st.sampled_from([0.5, 0.75, 1.0]),
        "max_share_chip_designer": st.sampled_from([0.5, 1.0]),
        "max_share_foreign_jurisdiction": st.sampled_from([0.5, 1.0]),
        "max_share_country": st.sampled_from([0.5, 1.0]),
        "min_home_share": st.sampled_from([0.0, 0.5]),
        "min_providers": st.integers(0, 2),
        "resilience": st.sampled_from([0.0, 0.5, 1.0]),
    },
)


#: Random tiny scenarios (countries, target, budget, limits), solved with exact gaps.
random_tiny = st.builds(
    lambda countries, target, budget, limits: tiny(
        countries=countries, target={2030: target}, budget=budget, limits=limits, solver=EXACT
    ),
    countries=st.sampled_from([["ALY", "OTH"], ["HOM", "OTH"], ["HOM", "ALY", "OTH"]]),
    target=st.integers(1, 3),
    budget=st.one_of(st.none(), st.integers(5, 60)),
    limits=limits_st,
)
#: Hypothesis settings of the random-tiny comparisons (each example solves twice).
RANDOM_TINY_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@RANDOM_TINY_SETTINGS
@given(sc=random_tiny)
def test_random_tiny_optimum_unchanged(monkeypatch, sc):
    _agree(*_both(monkeypatch, sc), index_tol=1e-6, cost_rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_optimum_unchanged(monkeypatch, path):
    strong, plain = _both(monkeypatch, str(path))
    # within the default gaps: index (relative 1e-4), cost tie-break (relative 1e-3)
    _agree(strong, plain, index_tol=2e-4, cost_rel=2e-3)
