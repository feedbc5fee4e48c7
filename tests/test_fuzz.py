"""Fuzz the scenario loader and the CLI: any input ends in a clear error or a plan.

Every generated case must end in ``InputError`` (exit 2 with ``error: ...`` on the CLI) or a
solved plan (exit 0/1), never another exception or a traceback. The default run is small
(150 loader cases, 30 CLI runs); ``-m slow`` runs a bigger variant. Counts of what each run
saw are printed (``pytest -s``) and kept in ``STATS``.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app
from planner.core.data import load_tables
from planner.core.errors import InputError
from planner.core.inputs import build_inputs
from planner.core.scenario import load_scenario
from tests.conftest import TINY_DATA

STATS: dict[str, Counter] = {"loader": Counter(), "cli": Counter()}

BASE: dict[str, Any] = {
    "name": "fuzz",
    "data": str(TINY_DATA),
    "home": ["HOM"],
    "periods": [2030],
    "target": {2030: 2},
    "budget": 30,
    "economics": {"module_size": 1000, "utilisation": 1.0, "maintenance_share_per_year": 0.0},
    "solver": {"time_limit": 5},
}

KEYS = [
    "name", "data", "home", "periods", "target", "target.2030", "target.2029", "budget",
    "energy_cost_cap", "emissions_cap_kt", "max_avg_electricity_price_usd_per_mwh", "limits",
    "limits.max_share_provider", "limits.max_share_chip_designer", "limits.min_home_share",
    "limits.max_share_foreign_jurisdiction", "limits.min_providers", "limits.min_chip_designers",
    "limits.resilience", "strategy", "weights", "weights.territorial", "weights.chip", "scores",
    "scores.OTH", "countries", "providers", "chips", "horizon_end", "export_regime",
    "economics.module_size", "economics.utilisation", "economics.discount_rate",
    "economics.electricity_price_scale", "economics.chip_price_scale", "buildout",
    "buildout.max_new_power_mw_per_year", "buildout.non_decreasing", "constraints.budget",
    "solver.time_limit", "solver.mip_gap", "solver.threads", "relationship_profile", "typo_key",
    "limits.typo",
]  # fmt: skip

numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 2030, 1e-300, 1e300, 1e6, 2.5, 1000]),
)
codes = st.sampled_from(["HOM", "ALY", "OTH", "XXX", "", "USC", "PUB", "CA", "CH", "DUO"])
scalars = st.one_of(
    st.none(), st.booleans(), numbers, codes, st.text(max_size=12),
    st.sampled_from(["hedge", "none", "align", "align:OTH", "align:", "2", "1e3", "nan"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(codes, st.integers(1990, 2110), st.text(max_size=5)), inner,
                        max_size=4),
    ),
    max_leaves=8,
)  # fmt: skip


def set_path(raw: dict[str, Any], dotted: str, value: Any) -> None:
    node = raw
    parts = dotted.split(".")
    for part in parts[:-1]:
        key = int(part) if part.isdigit() else part
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    last = parts[-1]
    node[int(last) if last.isdigit() else last] = value


@st.composite
def scenarios(draw) -> Any:
    """A mutated tiny scenario, or (1 in 8) a random YAML structure."""
    if draw(st.integers(0, 7)) == 0:
        return draw(values)
    raw = yaml.safe_load(yaml.safe_dump(BASE))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(KEYS))
        if draw(st.booleans()) and "." not in key and key in raw:
            del raw[key]
        else:
            set_path(raw, key, draw(values))
    return raw


def dump(raw: Any) -> str:
    try:
        return yaml.safe_dump(raw, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return str(raw)


def check_loader(path: Path, text: str, stats: Counter) -> None:
    path.write_text(text, encoding="utf-8")
    try:
        sc = load_scenario(path)
        build_inputs(sc, load_tables(sc.data))
    except InputError as exc:
        assert str(exc).strip(), "an InputError needs a message"
        stats["input_error"] += 1
        return
    stats["valid"] += 1


def loader_case(tmp_path_factory, raw: Any, stats: Counter) -> None:
    folder = tmp_path_factory.mktemp("fuzz", numbered=True)
    check_loader(folder / "s.yaml", dump(raw), stats)
    stats["cases"] += 1


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=scenarios())
def test_fuzz_loader(tmp_path_factory, raw):
    loader_case(tmp_path_factory, raw, STATS["loader"])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=200))
def test_fuzz_loader_raw_text(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("raw", numbered=True)
    check_loader(folder / "s.yaml", text, STATS["loader"])
    STATS["loader"]["cases"] += 1


# --- CLI ----------------------------------------------------------------------------------

set_values = st.one_of(
    st.sampled_from(["1", "0", "-5", "1e400", "nan", "inf", "[]", "{}", "[1, 2]", "{a: 1}",
                     "null", "true", "x", "'2'", "0.5", "2030", "[HOM]", "{2030: 1}", "", "]["]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6),
)  # fmt: skip
set_keys = st.one_of(st.sampled_from([*KEYS, "", ".", "name.x", "target.", "limits..x"]))


@st.composite
def cli_args(draw, scenario_file: str) -> list[str]:
    command = draw(st.sampled_from(["validate", "validate", "solve", "stress", "export"]))
    args = [command, scenario_file]
    if command == "export":
        args.append(draw(st.sampled_from(["model.mps", "model.lp", "model.txt", "nodir/m.mps"])))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(set_keys)
        args += ["--set", f"{key}={draw(set_values)}" if draw(st.integers(0, 9)) else key]
    if command == "solve" and draw(st.booleans()):
        args += ["--time-limit", draw(st.sampled_from(["5", "0", "-1", "nan", "abc", "1e9"]))]
    if command in ("solve", "stress") and draw(st.booleans()):
        args.append("--json")
    if command == "stress" and draw(st.booleans()):
        args += ["--plan", draw(st.sampled_from(["missing.json", "s.yaml"]))]
    if command in ("solve", "stress") and draw(st.booleans()):
        args += ["--out", draw(st.sampled_from(["s.yaml", "out.json", "nodir/out.json"]))]
    return args


def run_cli(folder: Path, args: list[str], stats: Counter) -> None:
    runner = CliRunner()
    import os

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = runner.invoke(app, args)
    finally:
        os.chdir(cwd)
    output = result.output
    assert "Traceback" not in output, (args, output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, output)
    assert "unexpected" not in output, (args, output)
    if result.exit_code == 2:
        assert "error" in output.lower(), (args, output)  # ours: "error: ..."; click: usage box
    stats[f"exit_{result.exit_code}"] += 1
    stats["cases"] += 1


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "s.yaml").write_text(yaml.safe_dump(BASE))
    return folder


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_cli(cli_folder, data):
    args = data.draw(cli_args("s.yaml"))
    run_cli(cli_folder, args, STATS["cli"])
    (cli_folder / "s.yaml").write_text(yaml.safe_dump(BASE))  # --out s.yaml --force guard


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=scenarios())
def test_fuzz_loader_big(tmp_path_factory, raw):
    loader_case(tmp_path_factory, raw, STATS["loader"])


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_cli_big(cli_folder, data):
    args = data.draw(cli_args("s.yaml"))
    run_cli(cli_folder, args, STATS["cli"])
    (cli_folder / "s.yaml").write_text(yaml.safe_dump(BASE))


def test_fuzz_counts_report():
    """Runs last in this file: print what the fuzzers saw (visible with -s)."""
    for name, counter in STATS.items():
        print(f"fuzz {name}: {dict(counter)}")
    if STATS["loader"]["cases"]:
        assert STATS["loader"]["cases"] >= 1
    assert not any(math.isnan(v) for c in STATS.values() for v in c.values())
