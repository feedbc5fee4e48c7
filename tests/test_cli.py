"""sovplan end to end: the installed entry point, exit codes and messages.

``sovplan(...)`` runs the command in a new process (the entry point as a user runs it);
``run_in_process(...)`` invokes the same typer app here (``CliRunner``: argument parsing,
the command, its messages and exit code, without the interpreter's start and imports).
Each behaviour keeps at least one case through a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import highspy
import pytest

from planner import solve
from tests.conftest import QUICK_START, TINY_DATA, TINY_YAML, tiny

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))[0]


def sovplan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
    )


def run_in_process(*args: str) -> subprocess.CompletedProcess:
    """``sovplan *args`` through ``CliRunner``, in the shape ``sovplan`` returns."""
    from typer.testing import CliRunner

    from planner.cli import app

    result = CliRunner().invoke(app, list(args))
    return subprocess.CompletedProcess(
        ["sovplan", *args], result.exit_code, result.stdout, result.stderr
    )


def test_solve_default_scenario_json_is_optimal(quick_start_json):
    assert DEFAULT == QUICK_START
    run = quick_start_json
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert plan["status"] == "optimal"
    assert 0 <= plan["sovereignty"]["index"] <= 1
    assert set(plan) >= {"status", "objective", "sovereignty", "cost", "allocation", "kpis"}
    assert plan["allocation"], "an optimal plan allocates compute"


def test_solve_tiny_human_output_and_out_file(tmp_path):
    out = tmp_path / "plan.json"
    run = sovplan("solve", str(TINY_YAML), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "Sovereignty index 0.833" in run.stdout
    assert json.loads(out.read_text())["cost"] == pytest.approx(30)
    again = sovplan("solve", str(TINY_YAML), "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr


def test_allocation_table_shows_built_and_counted_compute():
    """Whole modules: 3 one-EFLOP/s modules for a 2.5 target. The table says so per row,
    and fits an 80-column terminal."""
    run = subprocess.run(
        [sys.executable, "-m", "planner.cli", "solve", str(TINY_YAML), "--set",
         "target={2030: 2.5}", "--set", "budget=null"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "built" in run.stdout and "counted" in run.stdout
    row = next(line for line in run.stdout.splitlines() if "PUB" in line and "CH" in line)
    cells = [c.strip() for c in row.strip("│┃ ").split("│")]
    assert cells[:4] == ["HOM", "PUB", "CH", "3"]
    assert cells[5:7] == ["3.00", "2.50"], cells
    assert max(len(line) for line in run.stdout.splitlines()) <= 80
    assert "…" not in run.stdout


def test_set_override_changes_the_plan():
    run = run_in_process("solve", str(TINY_YAML), "--json", "--set", "budget=40")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["sovereignty"]["index"] == pytest.approx(1.0)


def test_infeasible_exits_1():
    run = run_in_process("solve", str(TINY_YAML), "--set", "budget=3")
    assert run.returncode == 1
    assert "infeasible" in run.stdout + run.stderr


BAD = {
    "empty": "",
    "broken_yaml": "name: x\nhome: [HOM\n",
    "not_a_mapping": "- just\n- a list\n",
    "negative_budget": None,
    "unknown_code": None,
    "share_above_one": None,
    "typo_key": None,
}


def _bad_file(tmp_path: Path, kind: str) -> tuple[Path, str]:
    base = TINY_YAML.read_text().replace("data: tiny", f"data: {TINY_DATA}")
    text = {
        "negative_budget": base.replace("budget: 30", "budget: -5"),
        "unknown_code": base.replace("home: [HOM]", "home: [XYZ]"),
        "share_above_one": base + "limits: {max_share_provider: 1.5}\n",
        "typo_key": base.replace("budget: 30", "budgte: 30"),
    }.get(kind, BAD[kind])
    expect = {
        "empty": "empty",
        "broken_yaml": "not valid YAML",
        "not_a_mapping": "expected a mapping",
        "negative_budget": "'budget'",
        "unknown_code": "XYZ",
        "share_above_one": "limits.max_share_provider",
        "typo_key": "budgte",
    }[kind]
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    return path, expect


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_exits_2_with_a_message_and_no_traceback(tmp_path, kind):
    path, expect = _bad_file(tmp_path, kind)
    # one kind through a new process, the others in this one (the same code path)
    run = (sovplan if kind == "broken_yaml" else run_in_process)("solve", str(path))
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert expect in run.stderr
    assert str(path) in run.stderr or kind == "unknown_code"
    assert "Traceback" not in run.stderr + run.stdout


def test_missing_file_exits_2():
    run = sovplan("validate", "no/such/scenario.yaml")
    assert run.returncode == 2
    assert "no such file" in run.stderr


def test_validate_and_schema():
    run = sovplan("validate", str(TINY_YAML))
    assert run.returncode == 0 and "valid" in run.stdout
    schema = json.loads(run_in_process("schema").stdout)
    assert schema["additionalProperties"] is False
    assert "budget" in schema["properties"]


def test_exported_mps_solved_by_highs_alone_gives_the_same_objective(tmp_path):
    """The file is exactly what the planner hands HiGHS (sovereignty objective, stage 1)."""
    path = tmp_path / "model.mps"
    run = sovplan("export", str(TINY_YAML), str(path))
    assert run.returncode == 0, run.stderr
    assert "presolve_rule_off" not in run.stdout  # solver internals are not the reader's
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    alone = h.getInfo().objective_function_value
    plan = solve(tiny(budget=30, solver={"time_limit": 20, "tie_break": "none"}))
    assert alone == pytest.approx(plan.objective, abs=1e-7)
    assert alone == pytest.approx(5 / 6, abs=1e-7)


def test_solve_names_the_worst_cut_shows_every_period_and_the_budget_used():
    run = sovplan("solve", str(ROOT / "data" / "scenarios" / "france-2030.yaml"))
    assert run.returncode == 0, run.stderr
    text = " ".join(run.stdout.split())
    assert "of a 10,000 MUSD budget" in text and "% used" in text
    # jurisdictions that tie are all named: in 2026 Alibaba's Ascend 910B rented in Germany
    # depends on China (provider and designer) and on the EU (territory, foreign for FRA);
    # losing either keeps the rest of 2026 (68%); in 2028 the committed Alice Recoque counts
    # as installed, so the US/Taiwan cut at 2028's start is no longer the worst
    assert (
        "worst N-1 cut: losing CHN or EU (cut at the start of 2026) keeps 68% of the 2026 "
        "target" in text
    )
    for period in (2026, 2028, 2030):
        assert f"Allocation in {period}" in text


def test_sweep_help_keeps_bracketed_text():
    run = sovplan("sweep", "--help")
    assert run.returncode == 0, run.stderr
    assert "NAME: [values]" in run.stdout


def test_stress_replan_shows_the_replans_index():
    run = run_in_process("stress", str(TINY_YAML), "--replan")
    assert run.returncode == 0, run.stderr
    assert "Crisis plans" in run.stdout
    # losing PUB: rent from USC in ALY with home-designed chips: (0.5 + 0 + 1) / 3 = 0.5
    assert "0.500" in run.stdout
    # losing OTH: the budget (30) is relaxed to the 40 two home CH builds cost, never a bare
    # "infeasible"
    text = " ".join(run.stdout.split())
    assert "raise budget from 30 MUSD to 40 MUSD" in text and "infeasible" not in text
