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
    st.sampled_from(
        [
            "",
            "nan",
            "inf",
            "-inf",
            "1e308",
            "-1",
            "0",
            "1",
            "true",
            "1e-308",
            "NaN",
            "  3 ",
            "\ufeff",
            '"',
            ",",
            "\n",
            "1,5",
            "0x10",
        ]
    ),  # fmt: skip
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
CLI_FAST, CLI_SLOW = _profile(15, 400)


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


@CLI_FAST
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
@CLI_SLOW
@given(st.data())
def test_fuzz_cli_arguments_slow(data) -> None:
    check_cli(data)


# --- issue 26: path fields of any YAML type, alias bombs, plan files, side tables, and the
# options of every verb --------------------------------------------------------------------

#: ``SOVPLAN_FUZZ_CASES=N`` sets the examples of each issue-26 fuzzer in the slow run
#: (default 1,500 for the cheap ones; the CLI one runs a tenth of it)
SLOW_CASES = int(os.environ.get("SOVPLAN_FUZZ_CASES", "1500"))
ROOT = TINY_YAML.parents[2]


def _fuzz_files() -> dict[str, Path]:
    """Files the issue-26 fuzzers point at, made once in TMP: a folder, a FIFO, links, a
    solved tiny plan, a data folder with side tables."""
    import json
    import shutil

    files = {"dir": TMP / "dir", "fifo": TMP / "fifo", "side": TMP / "side"}
    if files["side"].exists():
        return files
    files["dir"].mkdir()
    os.mkfifo(files["fifo"])
    (TMP / "out.json").write_text("{}")
    (TMP / "link.json").symlink_to(TMP / "out.json")
    (TMP / "dangling.json").symlink_to(TMP / "nowhere" / "x.json")
    from planner import solve
    from planner.core.scenario import load_scenario

    plan = solve(load_scenario(TINY_YAML)).to_dict()
    (TMP / "plan.json").write_text(json.dumps(plan, default=str))
    shutil.copytree(TINY_DATA, files["side"])
    for name in ("market_share.csv", "report_facts.csv"):
        shutil.copy(ROOT / "data" / name, files["side"] / name)
    return files


FILES = _fuzz_files()

#: ``data:`` of every YAML type: bytes (written as !!binary), numbers, lists, mappings,
#: dates, and text naming folders inside and outside what an upload may read
path_values = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"/etc", str(TINY_DATA).encode(), b"../tests/fixtures/tiny", b"\x00"]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.lists(st.sampled_from(["/etc", str(TINY_DATA), "tiny"]), max_size=3),
    st.dictionaries(st.sampled_from(["path", "data"]), st.sampled_from(["/etc", "tiny"])),
    st.sampled_from(["/etc", "/", "~", "", ".", "..", str(TINY_DATA), "../tests/fixtures/tiny",
                     "tiny", "a\x00b", str(ROOT / "data"), "data", str(FILES["fifo"])]),
    st.text(max_size=12),
)  # fmt: skip


def check_path_fields(data) -> None:
    """Every path a scenario names (``data``), of any YAML type: the upload is confined (a
    refusal names no server path), the file loader accepts only text."""
    from planner.core.data import BUNDLED_DATA
    from planner.core.scenario import load_scenario
    from ui.support import build_scenario

    raw = yaml.safe_load(TINY_YAML.read_text())
    raw["data"] = data.draw(path_values)
    text = yaml.safe_dump(raw, allow_unicode=True)
    try:
        sc = build_scenario(parse_yaml_text(text.encode(), "upload.yaml"), "upload.yaml", None, {})
    except InputError as exc:
        message = str(exc)
        assert str(ROOT) not in message and "/etc" not in message, message
    else:
        allowed = sc.data is None or Path(sc.data).resolve() == BUNDLED_DATA.resolve()
        assert allowed, sc.data  # no SOVPLAN_DATA_DIRS here: only the bundled data
    CASES["path_field_upload"] += 1
    path = TMP / "paths.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        sc = load_scenario(path)
        load_tables(sc.data)
    except InputError:
        pass
    else:
        assert sc.data is None or isinstance(sc.data, str)
    CASES["path_field_file"] += 1


def check_aliases(data) -> None:
    """Nested aliases of any depth and fan-out, and aliases that refer to themselves: a
    bounded error (or a scenario) at once, never a long expansion or a RecursionError."""
    from planner.core.scenario import parse_scenario_text, scenario_from_mapping

    depth = data.draw(st.integers(1, 12))
    fan = data.draw(st.integers(1, 12))
    lines = ["name: aliases", "home: [HOM]", "periods: [2030]", "target: {2030: 2}",
             f"data: {TINY_DATA}", "description: &a0 x"]  # fmt: skip
    for i in range(1, depth + 1):
        lines.append(f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    where = data.draw(st.sampled_from(["scores", "home", "countries", "weights", "x0"]))
    lines.append(f"{where}: *a{data.draw(st.integers(0, depth))}")
    if data.draw(st.integers(0, 4)) == 0:
        lines.append(data.draw(st.sampled_from(
            ["self: &s [*s]", "self: &s {k: *s}", "self: &s [1, [2, *s]]", "m: &m {<<: *m}"])))  # fmt: skip
    text = "\n".join(lines) + "\n"
    try:
        scenario_from_mapping(parse_scenario_text(text, "aliases.yaml"), "aliases.yaml")
    except InputError as exc:
        assert "aliases.yaml" in str(exc)
    CASES["alias"] += 1


plan_values = st.one_of(
    st.none(), st.booleans(), st.text(max_size=8),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers()),
    st.sampled_from(["HOM", "PUB", "CA", "USC", 2030, 1, 0, -1, 1e308]),
)  # fmt: skip


def check_plan_file(data) -> None:
    """``stress --plan``: a solved plan with any field of any row replaced or dropped, or any
    JSON at all: bad input (exit 2) or a result."""
    import json

    from planner.studies.stress import stress

    plan = json.loads((TMP / "plan.json").read_text())
    action = data.draw(st.sampled_from(["field", "drop", "top", "raw"]))
    rows = plan["allocation"]
    if action in ("field", "drop") and rows:
        row = rows[data.draw(st.integers(0, len(rows) - 1))]
        key = data.draw(st.sampled_from(sorted(row)))
        if action == "drop":
            del row[key]
        else:
            row[key] = data.draw(plan_values)
    elif action == "top":
        plan[data.draw(st.sampled_from(["allocation", "status", "cost"]))] = data.draw(plan_values)
    text = json.dumps(plan, default=str)
    if action == "raw":
        text = data.draw(st.one_of(st.text(max_size=40), st.just("[" * 100_000)))
    path = TMP / "fuzzplan.json"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(InputError):
        stress(TINY_YAML, plan=path)
    CASES["stress_plan"] += 1


def check_side_table(data) -> None:
    """``info --data``: the side tables with any cell, header or byte changed."""
    from planner.core.datadict import SIDE_TABLES
    from planner.reports.info import data_summary

    table = data.draw(st.sampled_from(SIDE_TABLES))
    original = (ROOT / "data" / table.file).read_text()
    header, *rows = list(csv.reader(io.StringIO(original)))
    action = data.draw(st.sampled_from(["cell", "header", "drop-column", "raw"]))
    if action == "cell":
        rows[data.draw(st.integers(0, len(rows) - 1))][
            data.draw(st.integers(0, len(header) - 1))
        ] = data.draw(cells)
    elif action == "header":
        header[data.draw(st.integers(0, len(header) - 1))] = data.draw(st.text(max_size=8))
    elif action == "drop-column":
        j = data.draw(st.integers(0, len(header) - 1))
        header, rows = header[:j] + header[j + 1 :], [r[:j] + r[j + 1 :] for r in rows]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    blob = out.getvalue().encode()
    if action == "raw":
        blob = data.draw(st.one_of(st.binary(max_size=120), st.just(b'a,"b\n1,"2\n')))
    path = FILES["side"] / table.file
    path.write_bytes(blob)
    try:
        data_summary(load_tables(FILES["side"]))
    except InputError:
        pass
    finally:
        path.write_text(original)
    CASES["info_side_table"] += 1


#: option values per verb; output paths stay in TMP (``--force`` may be drawn)
OUT_PATHS = ["out.json", "out.csv", "out.parquet", "front.html", "m.mps", "m.lp", "dir", "/dev/null",
             "fifo", "link.json", "dangling.json", "nodir/x.json", "", "plan.json.x", "report"]  # fmt: skip
IN_PATHS = ["plan.json", "fuzzplan.json", "fifo", "dir", "missing.json", "link.json", str(TINY_DATA),
            str(FILES["side"]), "/dev/null", str(TINY_YAML), "", "/"]  # fmt: skip
NUMBERS = [
    "1",
    "0",
    "-1",
    "2",
    "0.5",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "1e-300",
    str(10**30),
    "abc",
    "",
]
OPTION_VALUES: dict[str, list[str]] = {
    "--out": OUT_PATHS, "--plot": OUT_PATHS, "--report": OUT_PATHS, "path": OUT_PATHS,
    "--plan": IN_PATHS, "--data": IN_PATHS, "--grid": IN_PATHS,
    "scenario": [str(TINY_YAML)] * 6 + ["fifo", "dir", "missing.yaml", "/dev/null", "link.json"],
    "--time-limit": ["5", "10", "0", "-1", "nan", "inf", "abc", "1e308", "0.001"],
    "--mip-gap": ["0.01", "0", "-1", "2", "nan", "abc"],
    "--set": ["budget=1", "budget=true", "weights.chip=1e308", "countries=[ZZZ]", "data=[1]",
              "data=!!binary L2V0Yw==", "scores=&a [*a]", "x", "=1", "target.2030=nan"],
    "--param": ["budget_scale=1", "budget_scale=0.5,1", "budget_scale=0:1:3", "x=1",
                "budget_scale=", "target.2030=1,2", "budget_scale=0:1:100000000"],
    "--method": ["grid", "oat", "morris", "sobol", "x"],
    "--samples": ["2", "4", "0", "-1", "1000000000", "abc"],
    "--seed": ["0", "1", "-1", str(2**40), "abc"],
    "--workers": ["1", "0", "-1", "abc"],
    "--points": ["2", "3", "0", "1", "-1", "abc"],
    "--n": ["1", "2", "0", "-1", "abc"],
    "--slack": ["0.05", "0", "1", "-1", "nan", "abc"],
    "--x": ["cost", "sovereignty", "resilience", "x", ""], "--y": ["sovereignty", "cost", "x"],
    "--z": ["resilience", "cost", "x"], "--metric": ["mix", "x"],
    "--objective": ["sovereignty", "x"], "--cut": ["OTH", "PUB", "A Corp", "ZZZ", ""],
    "--study": ["solve", "alternatives", "x"],
}  # fmt: skip
#: verbs fuzzed (``ui`` starts a server; ``--scheduler`` would dial out)
VERBS = ["solve", "validate", "export", "schema", "docs", "info", "sweep", "pareto",
         "alternatives", "stress"]  # fmt: skip


def _verb_params(verb: str) -> list[tuple[str, bool, bool]]:
    """(name, is_flag, is_argument) of a verb's parameters, read from the CLI itself."""
    import typer

    command = typer.main.get_command(app).commands[verb]
    out = []
    for param in command.params:
        name = param.opts[0] if param.param_type_name == "option" else param.name
        if name in ("--scheduler",):
            continue
        out.append(
            (name, bool(getattr(param, "is_flag", False)), param.param_type_name == "argument")
        )
    return out


def check_cli_verb(data) -> None:
    """Every verb with its own options drawn, paths of every kind (folder, device, FIFO,
    links, missing folders) and values out of range: exit 0/1/2, never "unexpected"."""
    verb = data.draw(st.sampled_from(VERBS))
    params = _verb_params(verb)
    args = [verb]
    for name, _, is_arg in params:
        if is_arg:
            args.append(data.draw(st.sampled_from(OPTION_VALUES.get(name, ["x"]))))
    options = [p for p in params if not p[2]]
    for name, is_flag, _ in (
        data.draw(st.lists(st.sampled_from(options), max_size=4)) if options else []
    ):
        if is_flag:
            args.append(name)
        else:
            args += [name, data.draw(st.sampled_from(OPTION_VALUES.get(name, NUMBERS)))]
    if verb in ("solve", "pareto", "alternatives", "stress") and "--time-limit" not in args:
        args += ["--time-limit", "20"]
    if verb == "sweep" and "--workers" not in args:
        args += ["--workers", "1"]
    cwd = os.getcwd()
    os.chdir(TMP)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(cwd)
    assert "Traceback" not in result.output, (args, result.output)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError((args, repr(result.exception)))
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "error: unexpected" not in result.output.lower(), (args, result.output)
    assert not Path("/dev/null.lock").exists(), args
    CASES[f"cli_{verb}"] += 1


FAST26, SLOW26 = _profile(25, SLOW_CASES)
VERB_FAST, VERB_SLOW = _profile(12, max(1, SLOW_CASES // 10))


#: the issue-26 input checks, each fuzzed on its own (fast) and all together (slow)
ISSUE26_CHECKS = {
    "path_fields_of_any_yaml_type": check_path_fields,
    "alias_depth": check_aliases,
    "stress_plan_files": check_plan_file,
    "info_side_tables": check_side_table,
}


@pytest.mark.parametrize("check", ISSUE26_CHECKS.values(), ids=ISSUE26_CHECKS.keys())
@FAST26
@given(st.data())
def test_fuzz_issue26_input(check, data) -> None:
    check(data)


@VERB_FAST
@given(st.data())
def test_fuzz_every_verb_and_option(data) -> None:
    check_cli_verb(data)


@pytest.mark.slow
@SLOW26
@given(st.data())
def test_fuzz_issue26_inputs_slow(data) -> None:
    for check in ISSUE26_CHECKS.values():
        check(data)


@pytest.mark.slow
@VERB_SLOW
@given(st.data())
def test_fuzz_every_verb_and_option_slow(data) -> None:
    check_cli_verb(data)


def teardown_module() -> None:
    print("\nfuzz cases:", dict(CASES), "total", sum(CASES.values()))
    assert not math.isnan(float(sum(CASES.values())))
