"""What a ``sovplan solve`` process imports (issue 27: every CLI solve starts a new process,
and with ``PYTHONDONTWRITEBYTECODE`` each project module it imports is compiled again).

The diagnosis of an infeasible scenario (``planner.studies.diagnose``) is imported only when
the plan is infeasible; a feasible solve never loads it. Each case runs the command in a new
interpreter and reads its ``sys.modules`` after the command, so an import anywhere on the
path (module level or inside a function) counts. Fails on the old code, where the solve
command imported ``solve_and_diagnose`` from the diagnosis module itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import TINY_YAML

ROOT = Path(__file__).resolve().parent.parent

#: run the typer app in this interpreter, then report the command's exit code, the project
#: modules it loaded and its output
_PROBE = """
import contextlib, io, json, sys
out = io.StringIO()
sys.argv = ["sovplan", *json.loads(sys.argv[1])]
with contextlib.redirect_stdout(out):
    try:
        from planner.cli import app
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code
mods = sorted(m for m in sys.modules if m.split(".")[0] in ("planner", "models"))
print(json.dumps({"code": code, "modules": mods, "stdout": out.getvalue()}))
"""


def probe(*args: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_feasible_solve_does_not_import_the_diagnosis():
    found = probe("solve", str(TINY_YAML))
    assert found["code"] == 0, found["stdout"]
    assert "planner.studies.solving" in found["modules"]
    assert "planner.studies.diagnose" not in found["modules"]
    assert "Sovereignty index" in found["stdout"]


def test_an_infeasible_solve_still_gets_its_diagnosis():
    found = probe("solve", str(TINY_YAML), "--set", "budget=1")
    assert found["code"] == 1, found["stdout"]
    assert "planner.studies.diagnose" in found["modules"]
    # the diagnosis's own words (``planner.studies.diagnose.attach``), not the solve's
    assert "Shown infeasible before solving" in found["stdout"]
    assert "alone does not help" in found["stdout"]
