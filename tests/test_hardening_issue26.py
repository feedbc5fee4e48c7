"""Issue 26: inputs that still escaped as "unexpected" errors, hangs or unbounded work.

One regression test per item (each failed on the code before its fix): alias bombs and
self-referencing aliases in scenario YAML, output paths checked (symlinks resolved) before
any work, plan files for ``stress``, the Morris seed, and the side tables ``info`` reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from planner.cli import app
from planner.core.errors import InputError
from planner.core.scenario import MAX_YAML_VALUES, load_scenario, parse_scenario_text
from tests.conftest import TINY_YAML
from ui.support import parse_yaml_text

ROOT = Path(__file__).resolve().parents[1]
HEAD = TINY_YAML.read_text()


def alias_bomb(depth: int, fan: int = 10) -> str:
    """``a{i}: &a{i} [*a{i-1}, ... ×fan]`` nested ``depth`` times, used by ``scores``."""
    lines = ["x0: &a0 [x]"]
    for i in range(1, depth + 1):
        lines.append(f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    return "\n".join([*lines, f"scores: *a{depth}"])


@pytest.mark.parametrize("depth", [6, 8, 30])
def test_alias_bomb_is_refused_before_anything_is_built(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(HEAD + alias_bomb(depth))
    with pytest.raises(InputError, match=r"bomb\.yaml: line \d+: the YAML expands to more than"):
        load_scenario(path)
    # the app's upload goes through the same loader
    with pytest.raises(InputError, match="expands to more than"):
        parse_yaml_text(path.read_bytes(), "bomb.yaml")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "bomb.yaml" in result.output and "unexpected" not in result.output


def test_aliases_within_the_bound_still_work() -> None:
    raw = parse_scenario_text("a: &x [1, 2]\nb: [*x, *x]\n", "ok.yaml")
    assert raw == {"a": [1, 2], "b": [[1, 2], [1, 2]]}
    assert MAX_YAML_VALUES >= 10_000  # far above any real scenario


@pytest.mark.parametrize(
    "text",
    ["name: &a [*a]", "name: &a {k: *a}", "name: &a [1, [2, *a]]", "&top {a: *top}"],
)
def test_self_referencing_alias_is_bad_input(tmp_path: Path, text: str) -> None:
    path = tmp_path / "self.yaml"
    path.write_text(text + "\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "refers to the value that contains it" in result.output
    assert "self.yaml" in result.output


def test_alias_bomb_in_a_set_value_is_refused() -> None:
    value = "[" + ", ".join(["&a0 [x]"] + ["*a0"] * 9) + "]"
    assert yaml.safe_load(value)  # a plain alias list is fine
    bomb = "{" + ", ".join(
        [f"k{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    )
    bomb = "{k0: &a0 [x], " + bomb[1:] + "}"
    with pytest.raises(InputError, match="expands to more than"):
        load_scenario(TINY_YAML, [f"scores={bomb}"])


# --- output paths: resolved and checked before any work (items 6 and 7) -------------------


def _no_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any solve fail the test: the checks must come before the first run."""
    import planner.studies.sweep as sweep_module

    def refuse(*args, **kwargs):
        raise AssertionError("a run started before the output path was checked")

    monkeypatch.setattr(sweep_module, "execute", refuse)


@pytest.mark.parametrize("where", ["folder", "device", "read-only", "missing-folder"])
def test_sweep_out_is_checked_before_the_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from planner.studies.sweep import sweep

    _no_runs(monkeypatch)
    out = {
        "folder": tmp_path,
        "device": Path("/dev/null"),
        "read-only": tmp_path / "ro" / "runs.parquet",
        "missing-folder": tmp_path / "no" / "runs.parquet",
    }[where]
    if where == "read-only":
        out.parent.mkdir()
        out.parent.chmod(0o500)
        if __import__("os").access(out.parent, __import__("os").W_OK):
            pytest.skip("running as root: permissions do not bind")
    with pytest.raises(InputError, match="folder|regular file|does not exist|not writable"):
        sweep(TINY_YAML, {"budget_scale": [1.0]}, out=out, force=True, workers=1)
    assert not Path("/dev/null.lock").exists()
    assert not list(tmp_path.glob("*.lock"))


def test_sweep_out_device_via_the_cli_exits_2_without_a_lock_file() -> None:
    result = CliRunner().invoke(
        app,
        ["sweep", str(TINY_YAML), "--param", "budget_scale=1", "--out", "/dev/null", "--force"],
    )
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.output
    assert not Path("/dev/null.lock").exists()


def test_a_symlinked_out_shares_the_lock_of_the_file_it_names(tmp_path: Path) -> None:
    from planner.core.io import exclusive_lock

    real = tmp_path / "real.parquet"
    real.write_bytes(b"")
    link = tmp_path / "link.parquet"
    link.symlink_to(real)
    with (
        exclusive_lock(real),
        pytest.raises(InputError, match="another sweep is writing"),
        exclusive_lock(link),
    ):
        pass
    assert not (tmp_path / "link.parquet.lock").exists()


def test_a_sweep_through_a_symlink_writes_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    from planner.core.io import write_output

    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_output(link, "new", force=True)
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize("verb", ["export", "report"])
def test_other_output_options_are_checked_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb: str
) -> None:
    _no_runs(monkeypatch)
    import planner.core.scenario as scenario_module

    if verb == "export":
        # the scenario is not even loaded when the output cannot be written
        monkeypatch.setattr(
            scenario_module, "load_scenario", lambda *a, **k: pytest.fail("scenario loaded")
        )
        (tmp_path / "model.mps").mkdir()
        args = ["export", str(TINY_YAML), str(tmp_path / "model.mps"), "--force"]
    else:
        (tmp_path / "report").write_text("a file, not a folder")
        args = ["sweep", str(TINY_YAML), "--param", "budget_scale=1", "--report"]
        args += [str(tmp_path / "report")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "folder" in result.output


# --- item 8: plan files, the Morris seed, the side tables of `info` -----------------------


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import json

    out = tmp_path_factory.mktemp("plan") / "plan.json"
    result = CliRunner().invoke(app, ["solve", str(TINY_YAML), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


PLAN_EDITS = {
    "list-code": ("country", ["HOM"]),
    "mapping-code": ("chip", {"a": 1}),
    "number-code": ("provider", 7),
    "huge-int": ("modules", 10**400),
    "huge-period": ("period", 10**30),
    "text-number": ("compute_eflops", "2"),
    "list-number": ("modules", [1]),
}


@pytest.mark.parametrize("kind", sorted(PLAN_EDITS))
def test_a_malformed_plan_file_for_stress_is_bad_input(
    tmp_path: Path, tiny_plan: dict, kind: str
) -> None:
    import copy
    import json

    field_name, value = PLAN_EDITS[kind]
    plan = copy.deepcopy(tiny_plan)
    plan["allocation"][0][field_name] = value
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(plan))
    result = CliRunner().invoke(app, ["stress", str(TINY_YAML), "--plan", str(path)])
    assert result.exit_code == 2, result.output
    assert f"edited.json: allocation[0].{field_name}" in result.output


def test_a_fifo_plan_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["stress", str(TINY_YAML), "--plan", str(fifo)])
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.output


@pytest.mark.parametrize("seed", ["-1", str(2**32), str(2**70)])
def test_an_out_of_range_morris_seed_is_bad_input(seed: str) -> None:
    args = ["sweep", str(TINY_YAML), "--method", "morris", "--param", "budget_scale=0.5:1.5:3"]
    result = CliRunner().invoke(app, [*args, "--samples", "2", "--seed", seed])
    assert result.exit_code == 2, result.output
    assert "--seed" in result.output and "whole number from 0" in result.output


def _edit_side(folder: Path, kind: str) -> str:
    """Break one side table of a copy of the bundled data; returns the file name broken."""
    import os

    import pandas as pd

    share, facts = folder / "market_share.csv", folder / "report_facts.csv"
    if kind == "missing-column":
        pd.read_csv(share).drop(columns=["share_of_all"]).to_csv(share, index=False)
        return "market_share.csv: missing column(s) ['share_of_all']"
    if kind == "text-in-number":
        df = pd.read_csv(share, dtype=str)
        df.loc[2, "h100e"] = "lots"
        df.to_csv(share, index=False)
        return "market_share.csv: row 4, column 'h100e': 'lots' is not a number"
    if kind == "broken-quote":
        facts.write_text(facts.read_text() + 'broken,"12,unit,desc\n')
        return "report_facts.csv: cannot be read as CSV"
    if kind == "fact-not-a-number":
        df = pd.read_csv(facts, dtype=str)
        df.loc[df["fact_id"] == "countries_training_capable", "value"] = "twenty"
        df.to_csv(facts, index=False)
        return "report_facts.csv: row 9, column 'value': 'twenty' is not a whole number"
    if kind == "fifo":
        share.unlink()
        os.mkfifo(share)
        return "market_share.csv: not a regular file"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["missing-column", "text-in-number", "broken-quote", "fact-not-a-number", "fifo"]
)
def test_info_with_a_malformed_side_table_is_bad_input(tmp_path: Path, kind: str) -> None:
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data", folder, ignore=shutil.ignore_patterns("scenarios", "build"))
    expected = _edit_side(folder, kind)
    result = CliRunner().invoke(app, ["info", "--data", str(folder)])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())


def test_info_without_side_tables_still_works(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data", folder, ignore=shutil.ignore_patterns("scenarios", "build"))
    (folder / "market_share.csv").unlink()
    (folder / "report_facts.csv").unlink()
    result = CliRunner().invoke(app, ["info", "--data", str(folder), "--json"])
    assert result.exit_code == 0, result.output


# --- build item 6: the documentation says what the code does ------------------------------


def test_model_doc_and_schema_state_the_rules_an_outside_reader_needed() -> None:
    """docs/model.md (generated) and the schema state each rule a re-implementation had to
    read the code for; tests/test_docs.py keeps model.md equal to the generator's output."""
    from planner.core.scenario import json_schema

    doc = " ".join((ROOT / "docs" / "model.md").read_text().split())
    for phrase in (
        "δ_t = (1 + r)^-(t - t_1)",  # the discount factor
        "One module's worth",  # f_min in minimum counts and hedge_blocs
        "hedge_blocs",
        "``cost_markup`` times what owning it would cost that year",  # rent pricing
        "applies to its hardware part only",
        "Existing systems, in words: no capital",  # maintenance of existing systems
        "a chip with no recorded foundry",  # fab scoring
        "a foundry in a home jurisdiction scores 1",
        "``ai_regions`` > 0",  # where a renting provider serves
        "Aligning with existing systems",
    ):
        assert phrase in doc, phrase
    limits = json_schema()["$defs"]["Limits"]["properties"]
    assert "one module's worth" in limits["min_providers"]["description"]
    assert "with capacity in the final period" not in limits["min_providers"]["description"]


@pytest.mark.parametrize(
    "args",
    [
        ["--method", "morris", "--param", "budget_scale=0.5:1.5:3", "--samples", "1000000000"],
        ["--param", "budget_scale=0.5:1.5:100000000"],
        ["--method", "sobol", "--param", "budget_scale=0.5:1.5:3", "--samples", "0"],
    ],
)
def test_a_sweep_design_too_large_to_build_is_bad_input(args: list[str]) -> None:
    """Option values for sweep: a design of a billion runs exhausted memory before the
    first run (an "unexpected" MemoryError, or minutes of swapping)."""
    result = CliRunner().invoke(app, ["sweep", str(TINY_YAML), *args])
    assert result.exit_code == 2, result.output
    assert "unexpected" not in result.output
