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
