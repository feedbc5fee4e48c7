"""docs/model.md is generated from the code (``sovplan docs``) and must match it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from models.inputs import ModelInputs
from planner.reports import model_doc

ROOT = Path(__file__).resolve().parents[1]


def test_committed_model_doc_is_current():
    committed = (ROOT / "docs" / "model.md").read_text()
    assert committed == model_doc.model_markdown(), (
        "docs/model.md is out of date: run `sovplan docs --out docs/model.md --force`"
    )


def test_every_family_built_is_documented_with_its_formula_and_source():
    text = model_doc.model_markdown()
    for name, _condition in model_doc._family_calls():
        assert f"built by `{name}`" in text
    assert "budget: total_cost ≤ B" in text
    assert "](../models/constraints.py#L" in text


def test_every_input_that_switches_a_family_names_its_scenario_key():
    from models import constraints as cf

    fields = {f.name for f in dataclasses.fields(ModelInputs)}
    assert set(model_doc.SCENARIO_KEYS) <= fields
    import inspect

    for name, condition in model_doc._family_calls():
        used = model_doc._input_fields(f"if {condition}:\n    pass") if condition else []
        used += model_doc._input_fields(inspect.getsource(getattr(cf, name)))
        unmapped = [f for f in used if f not in model_doc.SCENARIO_KEYS and f not in ("chips",)]
        assert unmapped == [], f"{name}: add {unmapped} to model_doc.SCENARIO_KEYS"


def test_sovplan_docs_prints_the_same_text():
    run = subprocess.run(
        [sys.executable, "-m", "planner.cli", "docs"], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == model_doc.model_markdown()
