"""Issue 14, problem 6: inputs that used to slip through (each a regression test)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.core.data import load_tables, parse_table
from planner.core.datadict import TABLES
from planner.core.errors import InputError
from planner.core.scenario import load_scenario
from tests.conftest import TINY_DATA, TINY_YAML
from ui.support import parse_yaml_text

ROOT = Path(__file__).resolve().parents[1]
EU = ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml"


def _budget_of_one(scenario: Path) -> str:
    """``sovplan solve SCENARIO --set budget=1``: exits 1 and says what budget is needed."""
    result = CliRunner().invoke(app, ["solve", str(scenario), "--set", "budget=1"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())  # rich wraps lines
    assert "budget 1 MUSD cannot pay" in text
    assert "costs at least" in text and "lower bound" in text
    # the cost-minimising solve behind the relaxation says what the least plan costs
    assert "the least a plan meeting every other limit costs" in text
    return text


def test_tiny_budget_is_infeasible_with_the_budget_needed() -> None:
    text = _budget_of_one(TINY_YAML)
    # tiny by hand: two rented CA modules at 2 MUSD a year each are the cheapest plan
    assert "any plan costs at least 4 MUSD" in text
    assert "raise budget from 1 MUSD to 4 MUSD" in text


@pytest.mark.slow
def test_tiny_budget_on_the_quick_start_is_infeasible_with_the_budget_needed() -> None:
    """The same on the EU scenario (~7 s of relaxation solves, so slow): the default run
    keeps the message and the diagnosis on the tiny fixture (the test above, and
    tests/test_diagnose.py::test_budget_below_the_cheapest_plan_is_screened_and_fixed)."""
    _budget_of_one(EU)


@pytest.mark.parametrize("override", ["budget=true", "weights.chip=false", "target.2030=true"])
def test_booleans_are_not_numbers(override: str) -> None:
    with pytest.raises(InputError, match="boolean"):
        load_scenario(TINY_YAML, [override])


def test_every_numeric_column_has_bounds() -> None:
    for table in TABLES:
        for col in table.columns:
            if col.dtype in ("float", "int"):
                assert col.min is not None and col.max is not None, (table.name, col.name)


def test_huge_number_in_a_table_names_file_column_and_row() -> None:
    table = next(t for t in TABLES if t.name == "countries")
    text = (TINY_DATA / "countries.csv").read_text()
    header, first, *rest = text.splitlines()
    cols = header.split(",")
    cells = first.split(",")
    cells[cols.index("grid_power_available_mw")] = "1e308"
    with pytest.raises(InputError, match=r"countries.csv: row 2, column 'grid_power_available_mw'"):
        parse_table("\n".join([header, ",".join(cells), *rest]), table, "countries.csv")


def test_weights_cannot_overflow() -> None:
    with pytest.raises(InputError, match="weights"):
        load_scenario(TINY_YAML, ["weights.chip=1e308", "weights.provider=1e308"])


def test_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(InputError, match="not a regular file"):
        load_scenario(fifo)
    data = tmp_path / "data"
    data.mkdir()
    for f in TINY_DATA.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    (data / "chips.csv").unlink()
    os.mkfifo(data / "chips.csv")
    with pytest.raises(InputError, match="chips.csv: not a regular file"):
        load_tables(data)
    assert time.monotonic() - t0 < 5


def test_duplicate_headers_refused_and_bom_accepted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for f in TINY_DATA.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    chips = (TINY_DATA / "chips.csv").read_bytes()
    (data / "chips.csv").write_bytes(b"\xef\xbb\xbf" + chips)  # Excel's "CSV UTF-8"
    assert len(load_tables(data).chips) == len(load_tables(TINY_DATA).chips)
    lines = chips.decode().splitlines()
    first = lines[0].split(",")[0]
    lines[0] = lines[0] + "," + first
    lines[1:] = [line + ",x" for line in lines[1:]]
    (data / "chips.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"chips.csv: column\(s\) \['{first}'\] appear more"):
        load_tables(data)


def test_app_upload_rejects_duplicate_keys_like_the_cli() -> None:
    with pytest.raises(InputError, match="duplicate key 'budget'"):
        parse_yaml_text(b"name: x\nbudget: 1\nbudget: 2\n", "upload.yaml")


def test_messages_after_loading_name_the_file() -> None:
    result = CliRunner().invoke(app, ["validate", str(TINY_YAML), "--set", "home=[XXX]"])
    assert result.exit_code == 2
    assert str(TINY_YAML) in result.output and "XXX" in result.output


#: seconds a two-million-item answer may take: a guard against a hang or a per-item blowup
#: (minutes), not a speed target: on the shared 2-core machine under load (~6-17), with the
#: suite on two workers, the two answers took 5.9-13 s and failed the former 5 s bound
LARGE_INPUT_S = 30


def test_two_million_countries_answer_fast_and_short(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    text = TINY_YAML.read_text() + "\ncountries: [" + ", ".join(["ZZZ"] * 2_000_000) + "]\n"
    path.write_text(text)
    t0 = time.monotonic()
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert time.monotonic() - t0 < LARGE_INPUT_S
    assert result.exit_code == 2
    assert len(result.output) < 1000, len(result.output)
    t0 = time.monotonic()
    with pytest.raises(InputError) as info:
        load_scenario(TINY_YAML, {"countries": [f"Z{i}" for i in range(2_000_000)]})
    assert time.monotonic() - t0 < LARGE_INPUT_S
    assert len(str(info.value)) < 1000


def test_an_output_path_that_is_a_device_is_refused_even_with_force():
    """`--out /dev/null --force` must not rename a temporary file over the device (as root
    that replaces /dev/null with a regular file for the whole machine)."""
    from planner.core.io import write_output

    with pytest.raises(InputError, match="not a regular file"):
        write_output(Path("/dev/null"), "x", force=True)
    assert Path("/dev/null").is_char_device()
