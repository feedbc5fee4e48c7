"""Every constraint family of ``models/`` against its reviewed golden rows (tests/golden/).

Build only, no solve: the instances of ``tests.golden_rows.INSTANCES`` are built once per
process and each family is rendered from the first that gives it a row. A failure names the
family and shows a unified diff; after a deliberate change, review the diff and run
``PYTHONPATH=$PWD python -m tests.golden_rows --regen``.
"""

from __future__ import annotations

import pytest

from tests import golden_rows as gr

DECLARED, UNNAMED = gr.declared_families()


def test_every_constraint_of_models_is_a_named_family():
    """A constraint created under a name the source does not spell out could not be matched
    to a golden file."""
    assert not UNNAMED, f"pyo.Constraint without a literal family name at {UNNAMED}"
    # the parse finds the families this suite was written against (and more as they come)
    assert {"total_capacity", "budget", "installed_share_country", "now_link", "excess_def"} <= (
        set(DECLARED)
    )


def test_every_declared_family_has_a_row_in_some_instance():
    missing = [f for f in sorted(DECLARED) if gr.instance_for(f) is None]
    assert not missing, (
        f"families declared in models/ that no golden instance switches on: {missing}; "
        "add or extend an instance in tests/golden_rows.py INSTANCES, then regenerate"
    )


@pytest.mark.parametrize("family", sorted(DECLARED))
def test_family_rows_match_the_golden_file(family):
    instances = gr.instances_for(family)
    if not instances:
        pytest.fail(f"{family}: has a row in no golden instance (tests/golden_rows.py INSTANCES)")
    problem = gr.mismatch(family, gr.render(family, instances, DECLARED[family]))
    assert problem is None, problem


def test_the_readme_table_lists_every_family_and_its_instance():
    text = gr.README.read_text()
    assert gr.readme_with_table(text) == text, f"out of date: run {gr.REGEN}"


def test_an_instance_shows_only_families_it_has_rows_of():
    for inst in gr.INSTANCES:
        for family in inst.shows:
            assert family in DECLARED, f"{inst.name}: shows {family}, declared nowhere"
            assert gr.has_rows(inst.name, family), f"{inst.name}: shows {family}, has no row"


def test_no_golden_file_without_a_family():
    stale = sorted(p.name for p in gr.GOLDEN.glob("*.lp") if p.stem not in DECLARED)
    assert not stale, f"golden files of no declared family: {stale} (regenerate removes them)"


def test_the_formulas_quoted_for_unnamed_rows_are_still_in_the_docs():
    """Each header quotes the docs/model.md line of its family (compared with the rows, so a
    changed formula asks for a review); for the families docs/model.md states without their
    row name, ``FORMULA_TEXT`` holds the text, which must still be there."""
    lines = gr.DOCS.read_text()
    stale = {f: t for f, t in gr.FORMULA_TEXT.items() if t not in lines}
    assert not stale, f"FORMULA_TEXT no longer in docs/model.md: {stale}"
    assert all(gr.formula(f) for f in gr.FORMULA_TEXT if f in DECLARED)


# --- the comparison itself ------------------------------------------------------------------

ROW = "share_provider[PUB,2030]: +1 q[0,2030] +1 q[1,2030] <= 1.5"


def test_numbers_are_written_stably():
    assert gr.num(0.1 + 0.2) == "0.3"
    assert gr.num(-0.0) == "0"
    assert gr.num(3.0) == "3"
    assert gr.num(1 / 3) == "0.333333333333"
    assert gr.num(2.5e-7) == "2.5e-07"


def test_floating_point_noise_passes_and_a_real_change_fails():
    assert gr.same_line(ROW, ROW.replace("1.5", "1.5000000000004"))
    assert not gr.same_line(ROW, ROW.replace("1.5", "1.5001"))
    assert not gr.same_line(ROW, ROW.replace("1.5", "1.50000001"))
    assert not gr.same_line(ROW, ROW.replace("<=", ">="))
    assert not gr.same_line(ROW, ROW.replace("q[1,2030]", "q[2,2030]"))
    assert not gr.same_line(ROW, ROW.replace(" +1 q[1,2030]", ""))
    assert not gr.same_text(ROW + "\n", ROW + "\n" + ROW + "\n")


def test_a_changed_row_fails_with_a_diff_naming_the_family(monkeypatch, tmp_path):
    family = "total_capacity"
    text = gr.render(family, gr.instances_for(family), DECLARED[family])
    monkeypatch.setattr(gr, "GOLDEN", tmp_path)
    (tmp_path / f"{family}.lp").write_text(text.replace("-3 n[6,2030]", "-2 n[6,2030]"))
    problem = gr.mismatch(family, text)
    assert problem is not None
    assert problem.startswith("total_capacity: rows changed")
    assert "-total_capacity[2030]:" in problem and "+total_capacity[2030]:" in problem
    assert "-2 n[6,2030]" in problem and "-3 n[6,2030]" in problem
    (tmp_path / f"{family}.lp").unlink()
    assert "no golden file" in gr.mismatch(family, text)


def test_rows_switched_off_or_left_without_a_column_are_named():
    """A row the model deactivates (a future's own budget under a budget in expectation) and
    one whose body has no column left (the energy cost cap where energy is free) have no
    HiGHS row: they are rendered as such, not silently left out."""
    assert gr.family_rows("futures, CVaR", "budget") == [
        "future[0].budget: (inactive)",
        "future[1].budget: (inactive)",
    ]
    from tests.conftest import tiny

    free_energy = gr.prepared(tiny(energy_cost_cap=5))
    assert gr.family_rows(free_energy, "energy_cost_cap") == [
        "energy_cost_cap: (no column left: dropped)"
    ]
    assert not gr.has_rows(free_energy, "energy_cost_cap")


def test_each_kind_of_row_is_written_as_highs_holds_it():
    """Ranged rows with both bounds, equalities with '=', and a '≥' written by the model as
    HiGHS holds it (the compiler moves everything left: y ≥ 1 is -y ≤ -1)."""
    import pyomo.core as pyo

    from planner.core.highs_backend import HighsModel

    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.y = pyo.Var([1, 2, 10])
    m.ranged = pyo.Constraint(expr=pyo.inequality(1, m.x + 2 * m.y[10] + 0.1 * m.y[2], 3))
    m.equal = pyo.Constraint(expr=m.x + m.x == 0.5)
    m.at_least = pyo.Constraint(expr=m.y[1] >= 1)
    m.objective = pyo.Objective(expr=m.x)
    toy = gr.Built("toy", m, HighsModel(m), [])
    assert gr.family_rows(toy, "ranged") == ["ranged: 1 <= +1 x +0.1 y[2] +2 y[10] <= 3"]
    assert gr.family_rows(toy, "equal") == ["equal: +2 x = 0.5"]
    assert gr.family_rows(toy, "at_least") == ["at_least: -1 y[1] <= -1"]
