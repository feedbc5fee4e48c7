"""`sovplan alternatives` end to end on the tiny scenario: output, files and exit codes.

One test runs the installed entry point in a new process; the others invoke the same typer
app in this process (``CliRunner``: the same code path from argument parsing to exit code,
without paying the interpreter's start and imports for each case)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app
from tests.conftest import TINY_YAML
from tests.test_cli import sovplan


def invoke(*args: str):
    """``sovplan *args`` in this process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_alternatives_prints_plans_and_writes_files(tmp_path):
    out, plot = tmp_path / "alts.csv", tmp_path / "alts.html"
    run = sovplan(
        "alternatives", str(TINY_YAML), "--slack", "0.1", "--n", "3",
        "--out", str(out), "--plot", str(plot),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "3 plans within 10% of the best sovereignty" in run.stdout.replace("\n", " ")
    assert "optimum" in run.stdout and "moves 50%" in run.stdout
    table = pd.read_csv(out)
    assert list(table["alternative"]) == [0, 1, 2]
    assert table.loc[0, "sovereignty"] == pytest.approx(5 / 6)
    assert (table["sovereignty"] >= 0.75 - 1e-6).all()
    assert "plotly" in plot.read_text()


def test_alternatives_json_holds_every_plan(tmp_path):
    out = tmp_path / "alts.json"
    code, _, err = invoke(
        "alternatives", str(TINY_YAML), "--slack", "0.1", "--n", "2", "--out", str(out)
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    assert len(data["plans"]) == 2 and data["plans"][1]["allocation"]
    assert data["table"][1]["differs"].startswith("moves 50% from Homeland to Allyland")


@pytest.mark.parametrize(
    "args",
    [
        ["--slack", "1"],
        ["--slack", "-0.1"],
        ["--n", "0"],
        ["--metric", "colour"],
        ["--out", "alts.txt"],
    ],
)
def test_alternatives_bad_input_exits_2(args, tmp_path):
    code, out, err = invoke("alternatives", str(TINY_YAML), *args)
    assert code == 2, out + err
    assert err.startswith("error: ") and "Traceback" not in err


def test_alternatives_bad_input_exits_2_from_the_entry_point():
    run = sovplan("alternatives", str(TINY_YAML), "--slack", "1")
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("error: ") and "Traceback" not in run.stderr


def test_alternatives_infeasible_exits_1():
    code, out, err = invoke("alternatives", str(TINY_YAML), "--set", "budget=3")
    assert code == 1, err
    assert "no feasible plan" in out
