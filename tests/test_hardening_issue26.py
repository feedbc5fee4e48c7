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
