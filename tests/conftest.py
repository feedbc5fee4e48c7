"""Shared fixtures: the hand-checkable tiny instance (tests/fixtures/tiny)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from planner.core.scenario import Scenario, scenario_from_mapping
from planner.core.table_cache import CACHE_ENV

# The parsed-tables cache (planner.core.table_cache) of this test run: a folder of its own,
# so the suite neither reads nor fills the user's ~/.cache (CLI subprocesses inherit it).
os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="sovplan-test-cache-")
atexit.register(shutil.rmtree, os.environ[CACHE_ENV], True)

FIXTURES = Path(__file__).parent / "fixtures"
TINY_DATA = FIXTURES / "tiny"
TINY_YAML = FIXTURES / "tiny.yaml"
#: the README's quick start: the bundled default scenario
QUICK_START = FIXTURES.parents[1] / "data" / "scenarios" / "eu-2030-hedge.yaml"


#: The tiny instance pins the accounting that keeps its optima hand-checkable: capital paid
#: when bought, datasheet (peak) compute, no discounting, today's prices, no lead time for owned
#: capacity, and the horizon ending with the last period. Tests of the other bases set them
#: explicitly.
TINY_ECONOMICS: dict[str, Any] = {
    "module_size": 1000,
    "utilisation": 1.0,
    "maintenance_share_per_year": 0.0,
    "cost_basis": "cash",
    "compute_basis": "peak",
    "discount_rate": 0.0,
    "price_performance_trend": 0.0,
    "build_lead_time_years": 0,
}


def tiny(**fields: Any) -> Scenario:
    """The tiny scenario (home HOM, one period, target 2 EFLOP/s) with fields replaced.

    Data: 1 module = 1 EFLOP/s = 1 MW. Building a module costs 10 MUSD (chip CA, designed in
    OTH) or 20 MUSD (chip CH, designed at home); renting from USC (an OTH cloud, regions in
    ALY and OTH) costs a fifth of that per year. Trust: HOM 1, ALY 0.5, OTH 0. Energy is free.
    """
    raw: dict[str, Any] = {
        "name": "tiny",
        "data": str(TINY_DATA),
        "home": ["HOM"],
        "periods": [2030],
        "target": {2030: 2},
        "horizon_end": 2030,
        "economics": TINY_ECONOMICS,
        "solver": {"time_limit": 20},
    }
    raw.update(fields)
    return scenario_from_mapping(raw, source="<tiny>")


def tiny_row(period: int, country: str, provider: str, chip: str, modules: int) -> dict[str, Any]:
    """One allocation row of a hand-built plan for the tiny data, where 1 module = 1 EFLOP/s:
    the stress and cut tests build their plans from these."""
    return {
        "period": period,
        "country": country,
        "provider": provider,
        "chip": chip,
        "modules": modules,
        "compute_eflops": float(modules),
    }


def data_with_end_of_sale(tmp_path: Path, **end_of_sale: int) -> str:
    """A copy of the tiny data (in ``tmp_path``) with the given chips' last sale year: the
    end-of-sale tests and the brute-force check of ended chips both edit chips.csv this way."""
    data = tmp_path / "tiny"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(TINY_DATA, data)
    lines = (data / "chips.csv").read_text().splitlines()
    for i, line in enumerate(lines[1:], start=1):
        code = line.split(",")[0]
        if code in end_of_sale:
            lines[i] = line.rsplit(",", 1)[0] + f",{end_of_sale[code]}"
    (data / "chips.csv").write_text("\n".join(lines) + "\n")
    return str(data)


@pytest.fixture
def tiny_scenario():
    return tiny


@pytest.fixture
def app(monkeypatch):
    """The Streamlit app (ui/app.py) driven headless by AppTest, its scenario folder the
    fixtures folder, so it opens on the tiny scenario."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SOVPLAN_SCENARIO_DIR", str(FIXTURES))
    at = AppTest.from_file(str(FIXTURES.parents[1] / "ui" / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


#: session fixtures that solve the quick-start scenario (one EU solve each per process)
QUICK_START_FIXTURES = frozenset({"quick_start_plan", "quick_start_json"})


#: Modules holding the default run's longest tests (5-25 s each on two loaded cores, measured
#: 2026-12-08 with ``--durations``), longest first. xdist hands tests out in collection order,
#: two at a time, so a long test collected last keeps one worker busy while the other idles:
#: these modules run first and the many short tests fill the end of both workers' queues.
#: A module keeps its tests together (its module fixtures are set up once per worker).
LONG_FIRST = (
    "test_ui_uncertainty.py",
    "test_warm.py",
    "test_pareto.py",
    "test_covers.py",
    "test_ui_page_cache.py",
    "test_robust.py",
    "test_worst_case.py",
    "test_plans_in_time.py",
    "test_rentals.py",
    "test_core_properties.py",
    "test_fuzz_inputs.py",
    "test_speed_tiebreak.py",
    "test_speed_formulation.py",
    "test_share_basis.py",
    "test_brute_force.py",
)


def _uses_own_module_fixture(item) -> bool:
    """Whether the test reads a module-scoped fixture of its own module (a solve or study
    shared by the module's tests): such tests run on one worker, or each worker would set
    the fixture up again."""
    info = getattr(item, "_fixtureinfo", None)
    module = getattr(item, "module", None)
    if info is None or module is None:
        return False
    for name in item.fixturenames:
        defs = info.name2fixturedefs.get(name) or ()
        if defs and defs[-1].scope == "module" and defs[-1].func.__module__ == module.__name__:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups
def pytest_collection_modifyitems(config, items):
    """Tests sharing a session's quick-start solve run on one xdist worker (``--dist
    loadgroup`` in pytest's addopts), so the EU scenario is solved once, not once on each
    worker (issue 27); so do a module's tests that share one of its module-scoped fixtures
    (one group per module). The modules of ``LONG_FIRST`` are collected first (stable sort:
    the order within a module and among the other modules stays)."""
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    for item in items:
        if QUICK_START_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("quick_start"))
        elif _uses_own_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


@pytest.fixture(scope="session")
def quick_start_json() -> subprocess.CompletedProcess:
    """``sovplan solve <quick start> --json`` run once per session in a new process (the
    README's first command); the tests that read its plan share it."""
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", "solve", str(QUICK_START), "--json"],
        capture_output=True,
        text=True,
        cwd=FIXTURES.parents[1],
        timeout=600,
    )


@pytest.fixture(scope="session")
def quick_start_plan():
    """``planner.solve`` of the quick-start scenario, solved once per session (tests read it
    and must not change it)."""
    from planner import solve

    return solve(QUICK_START)


class CancelFromSecondAsk:
    """An event that reads as set from its second ``is_set`` on: the solve starts (the first
    ask is the time left before HiGHS runs) and is cancelled at HiGHS's first 50 ms poll.
    The cancel tests (``planner.core.deadline.cancellable``) stop a solve inside it with it."""

    def __init__(self) -> None:
        self.asked = 0
        self.lock = threading.Lock()

    def is_set(self) -> bool:
        with self.lock:
            self.asked += 1
            return self.asked > 1
