"""Fuzzing that reaches every input: CSV tables (values, headers, encodings), scenario
files, CLI arguments, sweep grids and the app's upload and table edits.

The pass mark is zero tracebacks: every case ends in ``InputError`` (exit 2 on the CLI) or
a result. The default run is small (about 150 cases, a few seconds); ``-m slow`` runs
10,000+ cases in all (counted in ``CASES``; ``pytest -s`` prints them).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app
from planner.core.data import load_tables, parse_table
from planner.core.datadict import TABLES
from planner.core.errors import InputError
from planner.studies.sweep import load_grid, parse_param
from tests.conftest import TINY_DATA, TINY_YAML
from ui.support import apply_table_edits, parse_yaml_text

CASES: Counter = Counter()
TMP = Path(tempfile.mkdtemp(prefix="sovplan-fuzz-"))
TINY_TABLES = load_tables(TINY_DATA)
BY_NAME = {t.name: t for t in TABLES}

cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "nan", "inf", "-inf", "1e308", "-1", "0", "1", "true", "1e-308",
                     "NaN", "  3 ", "\ufeff", '"', ",", "\n", "1,5", "0x10"]),  # fmt: skip
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


def _profile(fast: int, slow: int):
    return settings(
        max_examples=fast, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    ), settings(
        max_examples=slow, deadline=None, suppress_health_check=list(HealthCheck),
    )  # fmt: skip


def _csv_case(data, name: str) -> tuple[str, bytes]:
    table = BY_NAME[name]
    frame = getattr(TINY_TABLES, name).astype(str)
    header = list(frame.columns)
    rows = frame.to_numpy().tolist()
    action = data.draw(st.sampled_from(["cell", "header", "encoding", "rows", "raw"]))
    if action == "cell" and rows:
        i = data.draw(st.integers(0, len(rows) - 1))
        j = data.draw(st.integers(0, len(header) - 1))
        rows[i][j] = data.draw(cells)
    elif action == "header":
        j = data.draw(st.integers(0, len(header) - 1))
        header[j] = data.draw(st.one_of(st.sampled_from(header), st.text(max_size=8)))
    elif action == "rows":
        rows = rows + data.draw(st.lists(st.lists(cells, max_size=len(header) + 1), max_size=3))
    # rows may be ragged on purpose (a fuzzed table): csv.writer keeps them as drawn
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    body = ",".join(header) + "\n" + text
    raw = body.encode()
    if action == "encoding":
        enc = data.draw(st.sampled_from(["utf-8-sig", "utf-16", "latin-1", "cp1252"]))
        raw = body.encode(enc, errors="replace")
    if action == "raw":
        raw = data.draw(st.binary(max_size=200))
    return table.name, raw


def check_csv(data, tmp: Path) -> None:
    name, raw = _csv_case(data, data.draw(st.sampled_from(sorted(BY_NAME))))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    try:
        if text is not None:
            parse_table(text, BY_NAME[name], f"{name}.csv")
        CASES["csv"] += 1
    except InputError:
        CASES["csv"] += 1


def check_upload_edit(data) -> None:
    name = data.draw(st.sampled_from(sorted(BY_NAME)))
    frame = getattr(TINY_TABLES, name).copy().astype(object)
    if len(frame):
        i = data.draw(st.integers(0, len(frame) - 1))
        col = data.draw(st.sampled_from(list(frame.columns)))
        frame.loc[frame.index[i], col] = data.draw(
            st.one_of(cells, st.none(), st.floats(allow_nan=True, allow_infinity=True))
        )
    with contextlib.suppress(InputError):
        apply_table_edits(TINY_TABLES, {name: frame})
    CASES["app_table_edit"] += 1


scalars = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40), st.text(max_size=10),
)  # fmt: skip
values = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=3),
                      st.dictionaries(st.text(max_size=6), c, max_size=3)), max_leaves=6)  # fmt: skip
KEYS = ["name", "home", "periods", "target", "budget", "weights", "limits", "countries",
        "strategy", "economics", "solver", "constraints", "scores", "horizon_end", "data"]  # fmt: skip


def check_upload(data) -> None:
    raw = yaml.safe_load(TINY_YAML.read_text())
    raw["data"] = str(TINY_DATA)
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.sampled_from(KEYS))] = data.draw(values)
    text = yaml.safe_dump(raw, allow_unicode=True)
    if data.draw(st.booleans()):
        text = text + data.draw(st.text(max_size=30))
    blob = text.encode(data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])))
    from ui.support import build_scenario

    try:
        mapping = parse_yaml_text(blob, "upload.yaml")
        build_scenario(mapping, "upload.yaml", None, {})
    except InputError:
        pass
    CASES["app_upload"] += 1


def check_grid(data, tmp: Path) -> None:
    text = data.draw(st.one_of(
        st.text(max_size=30),
        st.builds(lambda n, v: f"{n}={v}", st.sampled_from(
            ["budget_scale", "weights.chip", "target.2030", "carbon_price", "nope", ""]),
            st.one_of(st.text(max_size=15), st.sampled_from(["0:1:3", "1:0:0", "0:1:1e9", "nan",
                                                              "1,2,", ":::", "1e308:1e309:2"]))),
    ))  # fmt: skip
    with contextlib.suppress(InputError):
        parse_param(text)
    grid = tmp / "grid.yaml"
    grid.write_text(yaml.safe_dump({"budget_scale": data.draw(values)}))
    with contextlib.suppress(InputError):
        load_grid(grid)
    CASES["sweep_grid"] += 1


ARGS = st.lists(st.one_of(
    st.sampled_from(["--time-limit", "--set", "--out", "--json", "--mip-gap", "--force",
                     "budget=", "nan", "-1", "0", "inf", "1e308", "budget=true",
                     "weights.chip=1e308", str(TINY_YAML), "/dev/null", "/nonexistent/x.json",
                     "countries=[ZZZ]", "--param", "budget_scale=1,2", "--workers", "1"]),
    st.text(max_size=10),
), max_size=6)  # fmt: skip


def check_cli(data) -> None:
    command = data.draw(st.sampled_from(["solve", "validate", "sweep"]))
    args = [command, str(TINY_YAML), *data.draw(ARGS)]
    cwd = os.getcwd()
    os.chdir(TMP)  # '--out -1' writes a file named -1 here, not in the repository
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(cwd)
    assert "Traceback" not in result.output, (args, result.output)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError((args, repr(result.exception)))
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    # sovplan's last-resort handler ("Error: unexpected OverflowError: ..."); click's own
    # "Got unexpected extra argument" is a usage error and fine
    assert "error: unexpected" not in result.output.lower(), (args, result.output)
    CASES["cli"] += 1


FAST, SLOW = _profile(40, 4000)


@FAST
@given(st.data())
def test_fuzz_csv_tables(data) -> None:
    check_csv(data, TMP)


@FAST
@given(st.data())
def test_fuzz_app_upload_and_edits(data) -> None:
    check_upload(data)
    check_upload_edit(data)


@FAST
@given(st.data())
def test_fuzz_sweep_grids(data) -> None:
    check_grid(data, TMP)


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_cli_arguments(data) -> None:
    check_cli(data)


@pytest.mark.slow
@SLOW
@given(st.data())
def test_fuzz_csv_tables_slow(data) -> None:
    check_csv(data, TMP)


@pytest.mark.slow
@SLOW
@given(st.data())
def test_fuzz_app_upload_and_edits_slow(data) -> None:
    check_upload(data)
    check_upload_edit(data)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_sweep_grids_slow(data) -> None:
    check_grid(data, TMP)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_cli_arguments_slow(data) -> None:
    check_cli(data)


def teardown_module() -> None:
    print("\nfuzz cases:", dict(CASES), "total", sum(CASES.values()))
    assert not math.isnan(float(sum(CASES.values())))
