"""Performance work must not change the model: the fast hand-off equals Pyomo's compiler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from models.build import build
from planner.core.data import load_tables
from planner.core.highs_backend import compile_model
from planner.core.inputs import build_inputs
from planner.core.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    ROOT / "tests" / "fixtures" / "tiny.yaml",
    ROOT / "data" / "scenarios" / "eu-2030-hedge.yaml",
    ROOT / "data" / "scenarios" / "kenya-2030.yaml",
    ROOT / "data" / "scenarios" / "eu-ai-continent-2030.yaml",  # with co-financed projects
]


def _canonical(columns, A, rows, rhs) -> dict:
    """{row name: (sorted (column name, coef), lower, upper)} with a sign convention."""
    names = [v.name for v in columns]
    A = A.tocsr()
    out = {}
    for i, (con, kind) in enumerate(rows):
        s, e = A.indptr[i], A.indptr[i + 1]
        terms = sorted(
            (names[j], float(c)) for j, c in zip(A.indices[s:e], A.data[s:e], strict=True)
        )
        lo = rhs[i] if kind in (-1, 0) else -np.inf
        up = rhs[i] if kind in (1, 0) else np.inf
        if terms and terms[0][1] < 0:  # a ≥ b may come out as -a ≤ -b
            terms = [(n, -c) for n, c in terms]
            lo, up = -up, -lo
        key = (con.name, kind if kind == 0 else "ineq", lo if np.isfinite(lo) else up)
        out[key] = (tuple((n, round(c, 9)) for n, c in terms), round(lo, 9), round(up, 9))
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_fast_handoff_equals_pyomo_standard_form(path):
    sc = load_scenario(path)
    inp, _ = build_inputs(sc, load_tables(sc.data))
    m = build(inp)
    ref = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
    fast = compile_model(m)
    assert len(fast.value) == ref.A.nnz
    assert _canonical(fast.columns, fast.A, fast.rows, fast.rhs) == _canonical(
        ref.columns, ref.A, ref.rows, np.asarray(ref.rhs)
    )


def test_fast_names_equal_pyomo_names():
    from planner.core.highs_backend import _names

    sc = load_scenario(SCENARIOS[1])
    inp, _ = build_inputs(sc, load_tables(sc.data))
    m = build(inp)
    import pyomo.environ as pyo

    names = _names(m)
    for ctype in (pyo.Var, pyo.Constraint):
        for data in m.component_data_objects(ctype):
            assert names[id(data)] == data.name
