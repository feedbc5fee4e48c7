"""Golden rows: every constraint family of ``models/`` as HiGHS holds it, in LP-like text.

Why: a change to a coefficient, a sign, a right-hand side or the set of rows of a family is
a change to the mathematics; the golden files under ``tests/golden/`` make each one show up
as a reviewed diff (Calliope's ``tests/math/lp_files`` idea, STYLE.md). The rows are read
from the live HiGHS model (``planner.core.highs_backend``), not Pyomo's expressions, so the
golden files also cover the hand-off (fixed columns folded into the right-hand side, rows
left without a column dropped). HiGHS's own LP writer drops the bracketed row names, hence
this renderer.

One file per family (``tests/golden/<family>.lp``), rendered from the first of ``INSTANCES``
(tiny scenarios, built, never solved) in which the family has a row. The families are
those declared in ``models/`` (every ``<block>.<name> = pyo.Constraint(...)`` there, read
from the source), so a new family needs no list to be edited here: it is rendered from an
instance that switches it on, or reported by name when none does.

Row format, one line per row, sorted by row name (numbers in names compared as numbers)::

    name: +c1 col1 +c2 col2 ... <= rhs      (also >=, =, and  lo <= ... <= up  if ranged)

Terms are sorted by column name and summed per column; coefficients and right-hand sides
are written with 12 significant digits, and compared with a relative tolerance of 1e-9, so
floating-point noise in how a coefficient is computed passes while a real change fails.
``name: (inactive)`` is a row the model switched off; ``name: (no column left: dropped)``
one whose columns were all fixed and which holds.

Regenerate after a deliberate change (and review the diff)::

    PYTHONPATH=$PWD python -m tests.golden_rows --regen
"""

from __future__ import annotations

import argparse
import ast
import atexit
import csv
import difflib
import functools
import math
import re
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
MODELS = ROOT / "models"
DOCS = ROOT / "docs" / "model.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: numbers within this relative tolerance (or ABS_TOL) are the same number
REL_TOL = 1e-9
ABS_TOL = 1e-12
#: comment prefix of the LP format
COMMENT = "\\ "
REGEN = "PYTHONPATH=$PWD python -m tests.golden_rows --regen"

# --- the families declared in models/ --------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """Where a family is declared: file, line and the function whose body declares it."""

    family: str
    path: str
    line: int
    function: str


def _is_constraint_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in ("Constraint", "ConstraintList")


def _visit(node: ast.AST, function: str, rel: str, found: dict, named: set, unnamed: list) -> None:
    """Record the families declared under ``node`` (``function``: the enclosing def)."""
    for child in ast.iter_child_nodes(node):
        fn = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
        if isinstance(child, ast.Assign) and _is_constraint_call(child.value):
            for target in child.targets:
                if isinstance(target, ast.Attribute):
                    named.add(id(child.value))
                    found.setdefault(target.attr, Declared(target.attr, rel, child.lineno, fn))
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr == "add_component"
            and len(child.args) == 2
            and _is_constraint_call(child.args[1])
        ):
            named.add(id(child.args[1]))
            name = child.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                found.setdefault(name.value, Declared(name.value, rel, child.lineno, fn))
            else:
                unnamed.append(f"{rel}:{child.lineno}")
        _visit(child, fn, rel, found, named, unnamed)


def declared_families(models: Path = MODELS) -> tuple[dict[str, Declared], list[str]]:
    """(family -> where declared, and the places a constraint is created under a name the
    source does not spell out), read from the source of ``models/*.py``.

    A family is the attribute a ``pyo.Constraint`` is assigned to (``m.budget = ...``) or
    the literal name given to ``add_component``; both branches of a conditional declaration
    count once.
    """
    found: dict[str, Declared] = {}
    unnamed: list[str] = []
    for path in sorted(models.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        rel = path.relative_to(ROOT).as_posix()
        named: set[int] = set()
        _visit(tree, "<module>", rel, found, named, unnamed)
        for node in ast.walk(tree):
            if _is_constraint_call(node) and id(node) not in named:
                unnamed.append(f"{rel}:{node.lineno}")
    return found, sorted(set(unnamed))


@functools.cache
def _docs_lines() -> tuple[str, ...]:
    return tuple(DOCS.read_text().splitlines()) if DOCS.exists() else ()


#: docs/model.md states these families without their row name in front of the formula: the
#: text (verbatim from docs/model.md) of the formula they implement
FORMULA_TEXT = {
    "site_link": "without grid limits: Σ_{a∈k, a∉E} n[a,t] ≤ M_k·open[k]",
    "resilience_def": "resilience = r_min ≤ kept[j,t] / D_t  for all foreign j and t with D_t > 0",
    "worst_def": "worst:     max η,  η ≤ I_s for every s",
    "excess_def": "CVaR_α(L) = min_ζ ζ + (1/α)·Σ_s p_s·e_s,  e_s ≥ L_s − ζ,  e_s ≥ 0",
    "expected_budget": "dropped for Σ_s p_s·C_s ≤ Σ_s p_s·B_s (C_s = future[s].total_cost).",
    "cut_no_purchase": "of the cut keep running (n_s[a,t] ≤ n_s[a,t_before]) and count κ·f·n",
    "cut_counted": "of the cut keep running (n_s[a,t] ≤ n_s[a,t_before]) and count κ·f·n",
    "target_at_most": "may be under-delivered (Σ_a q ≤ D_t: the shortfall scores nothing",
}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def formula(family: str) -> str | None:
    """The text of docs/model.md that states ``family``'s formula: the first line naming it
    as ``family[...]:`` or ``family:`` with the more indented lines continuing it, else
    ``FORMULA_TEXT`` if docs/model.md still holds that text; None when it states neither."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(family)}(\[[^\]]*\])?:")
    lines = _docs_lines()
    for i, line in enumerate(lines):
        if pattern.search(line):
            out = [line.strip()]
            base = _indent(line)
            for more in lines[i + 1 :]:
                if not more.strip() or _indent(more) <= base:
                    break
                out.append(more[base:].rstrip())
            return "\n".join(out)
    text = FORMULA_TEXT.get(family)
    if text and any(text in line for line in lines):
        return text
    return None


# --- the tiny instances ----------------------------------------------------------------------


@dataclass
class Built:
    """One instance built and handed to HiGHS (no solve)."""

    name: str
    model: Any
    highs: Any
    #: the model inputs, one per block: ``inputs[s]`` for ``future[s]``; one for a plain model
    inputs: list[Any]
    #: the extensive form's option identities (``now[i,t]``), else None
    option_keys: list[Any] | None = None
    #: the HiGHS rows by constraint (``_rows``), read once
    index: Any = None


@dataclass(frozen=True)
class Instance:
    name: str
    #: what the instance is and which families it is there for (written in each header)
    about: str
    build: Callable[[], Built]
    #: families whose golden file also shows this instance's rows, though an earlier
    #: instance has some: another branch of the family's rule (e.g. its fallback form)
    shows: tuple[str, ...] = ()


_TMP: list[Path] = []


def _tmp_dir() -> Path:
    if not _TMP:
        path = Path(tempfile.mkdtemp(prefix="golden-rows-"))
        atexit.register(shutil.rmtree, path, True)
        _TMP.append(path)
    return _TMP[0]


def tiny_data_with(
    name: str,
    cells: dict[str, dict[tuple[str, str], Any]] | None = None,
    rows: dict[str, list[dict[str, Any]]] | None = None,
) -> str:
    """A copy of the tiny data (tests/fixtures/tiny) with table cells replaced and rows
    added, in a temporary folder: ``cells[file][(key, column)] = value`` where key is the
    row's first column; ``rows[file]`` are appended (missing columns empty)."""
    out = _tmp_dir() / name
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(FIXTURES / "tiny", out)
    for file in sorted(set(cells or {}) | set(rows or {})):
        path = out / file
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            table = list(reader)
        for (key, column), value in (cells or {}).get(file, {}).items():
            hit = [r for r in table if r[fields[0]] == key]
            if not hit or column not in fields:
                raise KeyError(f"{file}: no row {key!r} or column {column!r}")
            for r in hit:
                r[column] = str(value)
        table.extend({c: str(r.get(c, "")) for c in fields} for r in (rows or {}).get(file, []))
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(table)
    return str(out)


def prepared(sc) -> Built:
    from planner.core.prepare import prepare

    prep = prepare(sc)
    return Built(sc.name, prep.model, prep.highs, [prep.inputs])


def _extensive(sc) -> Built:
    from planner.core.data import load_tables
    from planner.core.futures import futures_of, here_and_now
    from planner.studies import extensive as ef

    ext = ef.build(sc, futures_of(sc), load_tables(sc.data), here_and_now(sc))
    return Built(sc.name, ext.model, ext.highs, list(ext.inputs), list(ext.model.option_keys))


#: an existing public system at home on the foreign chip CA (3,000 accelerators: 3 EFLOP/s)
OLD = {
    "name": "old",
    "country": "HOM",
    "provider": "PUB",
    "chip": "CA",
    "accelerators": 3000,
    "since": 2020,
    "retirable": False,
}


def installed_scenario():
    """Installed-basis share caps (provider 0.75, designer 0.6, foreign 0.5, country 0.6),
    HOM and ALY, target 2 in 2030, the existing system ``old`` and the project GF_H."""
    from tests.conftest import tiny

    return tiny(
        countries=["HOM", "ALY"],
        chips=["CA", "CH"],
        target={2030: 2},
        limits={
            "share_basis": "installed",
            "max_share_provider": 0.75,
            "max_share_chip_designer": 0.6,
            "max_share_foreign_jurisdiction": 0.5,
            "max_share_country": 0.6,
        },
        existing=[OLD],
        projects={"GF_H": {}},
    )


def _counted() -> Built:
    from tests.conftest import tiny

    return prepared(
        tiny(
            name="counted",
            countries=["HOM", "ALY"],
            chips=["CA", "CH"],
            target={2030: 2},
            budget=60,
            max_avg_electricity_price_usd_per_mwh=80,
            emissions_cap_kt=50,
            limits={
                "max_share_provider": 0.75,
                "max_share_chip_designer": 0.6,
                "max_share_foreign_jurisdiction": 0.5,
                "max_share_country": 0.75,
                "min_home_share": 0.5,
                "min_providers": 2,
                "min_chip_designers": 2,
                "min_countries": 2,
                "resilience": 0.5,
            },
            buildout={"max_new_power_mw_per_year": 5},
            existing=[OLD],
            projects={"GF_H": {}},
        )
    )


def _installed() -> Built:
    return prepared(installed_scenario())


def _two_periods_align() -> Built:
    from tests.conftest import tiny

    return prepared(
        tiny(
            name="two periods, align",
            countries=["HOM", "ALY"],
            chips=["CA", "CH"],
            periods=[2028, 2030],
            target={2028: 1, 2030: 2},
            strategy="align",
            constraints={"grid_power": False},
            existing=[{**OLD, "accelerators": 1000, "retirable": True}],
        )
    )


def _two_periods_shrinkable() -> Built:
    from tests.conftest import tiny

    return prepared(
        tiny(
            name="two periods, shrinkable",
            countries=["HOM"],
            chips=["CA"],
            periods=[2028, 2030],
            target={2028: 1, 2030: 2},
            buildout={"non_decreasing": False},
        )
    )


_FIXTURE = "test fixture: golden rows"


def _edited_data() -> Built:
    from tests.conftest import tiny

    chip = {
        "bf16_dense_tflops": 1000,
        "tdp_w": 1000,
        "server_overhead": 1,
        "system_cost_factor": 1,
        "platform_cost_musd": 0,
        "release_year": 2024,
        "achieved_efficiency": 0.5,
        "available_from": 2024,
        "end_of_sale": 2040,
        "source": _FIXTURE,
    }
    data = tiny_data_with(
        "edited",
        cells={
            "countries.csv": {
                ("HOM", "electricity_price_usd_per_mwh"): 50,
                ("HOM", "us_diffusion_tier"): 2,
            },
            "chips.csv": {("CA", "supply_cap_units_per_year"): 2000, ("CH", "end_of_sale"): 2025},
        },
        rows={
            "jurisdictions.csv": [{"code": "USA", "name": "Usland", "source": _FIXTURE}],
            "relationships.csv": [
                {"home": "HOM", "jurisdiction": "USA", "score": 0, "reasoning": _FIXTURE}
            ],
            "chips.csv": [
                {**chip, "code": "CU", "name": "Chip U", "designer": "U Corp",
                 "jurisdiction": "USA", "price_usd": 10000},
                {**chip, "code": "CY", "name": "Chip Y", "designer": "Y Corp",
                 "jurisdiction": "ALY", "price_usd": 15000},
            ],
        },
    )  # fmt: skip
    return prepared(
        tiny(
            name="edited data",
            data=data,
            countries=["HOM"],
            energy_cost_cap=5,
            strategy="hedge_blocs",
            export_regime="diffusion_rule",
            tier2_cap_accelerators=3000,
            limits={"max_share_foreign_jurisdiction": 0.5},
        )
    )


def _one_bloc() -> Built:
    from tests.conftest import tiny

    return prepared(tiny(name="one bloc", countries=["HOM"], strategy="hedge_blocs"))


def _no_home_option() -> Built:
    from tests.conftest import tiny

    return prepared(tiny(name="no home option", countries=["ALY"], limits={"min_home_share": 0.5}))


def _futures(**overrides: Any) -> Callable[[], Built]:
    def build() -> Built:
        from planner.core.scenario import load_scenario

        return _extensive(
            load_scenario(FIXTURES / "futures" / "tiny-futures.yaml", overrides=overrides)
        )

    return build


#: the instances, in the order a family's golden rows are taken from (the first with a row)
INSTANCES: list[Instance] = [
    Instance(
        "counted",
        "tiny, HOM and ALY, 2030 target 2 EFLOP/s; counted share caps (provider 0.75, "
        "designer 0.6, foreign 0.5, country 0.75), home floor 0.5, min 2 providers, designers "
        "and countries, N-1 resilience 0.5, budget 60 MUSD, average electricity price <= 80 "
        "USD/MWh, emissions <= 50 kt, ramp <= 5 MW/year, existing system old (HOM PUB CA, "
        "3,000 accelerators, not retirable) and project GF_H (HOM PUB CH, home share 1 module)",
        _counted,
    ),
    Instance(
        "installed",
        "as tests/test_share_basis.py's golden scenario: tiny, HOM and ALY, 2030 target 2; "
        "share caps on installed capacity (provider 0.75, designer 0.6, foreign 0.5, country "
        "0.6), existing system old and project GF_H",
        _installed,
    ),
    Instance(
        "two periods, align",
        "tiny, HOM and ALY, 2028 target 1 and 2030 target 2, strategy align (one ally among "
        "ALY and OTH), no grid limits (site_link), owned capacity non-decreasing, existing "
        "system old of 1,000 accelerators that the plan may retire",
        _two_periods_align,
        shows=("cut_kept",),  # w = n[a,t-1] for a new owned option, κ over 2 years
    ),
    Instance(
        "two periods, shrinkable",
        "tiny, HOM only, chip CA only, 2028 target 1 and 2030 target 2, "
        "buildout.non_decreasing false (every option may shrink: carried_now/carried_before)",
        _two_periods_shrinkable,
        shows=("cut_kept",),  # w = carried[a,t] for an option that may shrink
    ),
    Instance(
        "edited data",
        "tiny data edited (tiny_data_with): HOM electricity 50 USD/MWh and US diffusion tier "
        "2, CA supply cap 2,000 per year, CH end of sale 2025, chips CU (U Corp, USA, 10 "
        "MUSD/module) and CY (Y Corp, ALY, 15 MUSD/module) added; HOM only, 2030 target 2, "
        "energy cost cap 5 MUSD, strategy hedge_blocs, export regime diffusion_rule with 3,000 "
        "accelerators per tier-2 country, foreign share cap 0.5",
        _edited_data,
    ),
    Instance(
        "futures, CVaR",
        "tests/fixtures/futures/tiny-futures.yaml (2028 decided now, futures 'as planned' "
        "and 'OTH cut' from 2030, 0.5 each, budget 30.9) on HOM only (options PUB CA and "
        "PUB CH), with risk weight 1, alpha 0.5 and the budget in expectation",
        _futures(
            **{
                "countries": ["HOM"],
                "uncertainty.risk.weight": 1.0,
                "uncertainty.risk.alpha": 0.5,
                "uncertainty.budget": "expected",
            }
        ),  # fmt: skip
    ),
    Instance(
        "futures, worst",
        "tests/fixtures/futures/tiny-futures.yaml on HOM only, objective worst (max-min)",
        _futures(**{"countries": ["HOM"], "uncertainty.objective": "worst"}),
    ),
    # the fallback forms of two families: rows the rule writes when it cannot hold
    Instance(
        "one bloc",
        "tiny, HOM only, 2030 target 2, strategy hedge_blocs: only OTH's stack has options "
        "(PUB CA), fewer blocs than the 2 required",
        _one_bloc,
        shows=("min_blocs",),
    ),
    Instance(
        "no home option",
        "tiny, ALY only (no option at home), 2030 target 2, home floor 0.5",
        _no_home_option,
        shows=("home_floor",),
    ),
]


@functools.cache
def built(name: str) -> Built:
    """The instance ``name``, built once per process."""
    for inst in INSTANCES:
        if inst.name == name:
            return inst.build()
    raise KeyError(name)


# --- rendering -------------------------------------------------------------------------------


def _natural(text: str) -> list[Any]:
    """Sort key reading digit runs as numbers (n[2,2030] before n[10,2030])."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text)]


def num(v: float) -> str:
    """A stable number: 12 significant digits, integers without a point, no negative zero."""
    v = float(v)
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".12g")


def _signed(v: float) -> str:
    s = num(v)
    return s if s.startswith("-") else "+" + s


@dataclass
class _Rows:
    """The HiGHS rows of one built instance, by Pyomo constraint."""

    names: dict[int, str]
    rows_of: dict[int, list[int]]
    lower: Any
    upper: Any


def _built(instance: str | Built) -> Built:
    return built(instance) if isinstance(instance, str) else instance


def _rows(instance: str | Built) -> _Rows:
    import numpy as np

    from planner.core.highs_backend import _names

    b = _built(instance)
    if b.index is not None:
        return b.index
    rows_of: dict[int, list[int]] = {}
    for i, (con, _) in enumerate(b.highs._rows):
        rows_of.setdefault(id(con), []).append(i)
    lp = b.highs.h.getLp()
    b.index = _Rows(_names(b.model), rows_of, np.asarray(lp.row_lower_), np.asarray(lp.row_upper_))
    return b.index


def family_data(name: str | Built, family: str) -> list[Any]:
    """The constraint data objects of ``family`` in instance ``name`` (every block)."""
    import pyomo.core as pyo

    out = []
    for comp in _built(name).model.component_objects(pyo.Constraint, descend_into=True):
        if comp.local_name == family:
            out.extend(comp.values())
    return out


def has_rows(name: str | Built, family: str) -> bool:
    r = _rows(name)
    return any(id(c) in r.rows_of for c in family_data(name, family))


def family_rows(name: str | Built, family: str) -> list[str]:
    """One LP-like line per constraint of ``family`` in instance ``name`` (or a ``Built``
    model), sorted by name."""
    import numpy as np

    from planner.core.highs_backend import INF

    b, r = _built(name), _rows(name)
    h = b.highs.h
    lines = []
    for con in family_data(name, family):
        row_name = r.names.get(id(con), con.name)
        rows = r.rows_of.get(id(con))
        if not rows:
            state = "inactive" if not con.active else "no column left: dropped"
            lines.append((row_name, f"{row_name}: ({state})"))
            continue
        _, _, cols, vals = h.getRowsEntries(1, np.array([rows[0]], dtype=np.int32))
        terms: dict[str, float] = {}
        for c, v in zip(cols, vals, strict=True):
            col = r.names.get(id(b.highs.columns[c]), b.highs.columns[c].name)
            terms[col] = terms.get(col, 0.0) + float(v)
        body = " ".join(
            f"{_signed(v)} {n}" for n, v in sorted(terms.items(), key=lambda t: _natural(t[0]))
        )
        lo = max(float(r.lower[i]) for i in rows)
        up = min(float(r.upper[i]) for i in rows)
        if lo == up:
            text = f"{body} = {num(up)}"
        elif lo <= -INF:
            text = f"{body} <= {num(up)}"
        elif up >= INF:
            text = f"{body} >= {num(lo)}"
        else:
            text = f"{num(lo)} <= {body} <= {num(up)}"
        lines.append((row_name, f"{row_name}: {text}"))
    return [line for _, line in sorted(lines, key=lambda t: _natural(t[0]))]


#: option-indexed variables: their first index is the option a of ``inputs.options``
OPTION_VARIABLES = ("n", "q", "build", "carried", "join")
_OPTION_REF = re.compile(
    rf"(?<![\w.])(?:future\[(\d+)\]\.)?(?:{'|'.join(OPTION_VARIABLES)})\[(\d+)[,\]]"
)
_NOW_REF = re.compile(r"(?<![\w.])now\[(\d+),")


def _option_text(opt, a: int) -> str:
    row = opt.loc[a]
    kind = (
        f"existing {row['existing_name']}"
        if bool(row.get("existing", False)) and str(row.get("existing_name", ""))
        else "owned"
        if bool(row.get("owned", True))
        else "rented"
    )
    op = str(row.get("operator", row["provider"]))
    who = row["provider"] if op == row["provider"] else f"{row['provider']} ({op})"
    return (
        f"{row['country']} {who} {row['chip']} {kind}: f={num(row['compute'])} EFLOP/s, "
        f"P={num(row['power_mw'])} MW, max {num(row['max_modules'])} modules"
    )


def legend(name: str, lines: list[str]) -> list[str]:
    """Which option each option index in ``lines`` is (only those the rows name)."""
    b = built(name)
    refs: set[tuple[int, int]] = set()
    now: set[int] = set()
    for line in lines:
        for s, a in _OPTION_REF.findall(line):
            refs.add((int(s) if s else 0, int(a)))
        now.update(int(i) for i in _NOW_REF.findall(line))
    out = []
    block = len(b.inputs) > 1
    for s, a in sorted(refs):
        where = f"future[{s}] " if block else ""
        out.append(f"{where}a={a}: {_option_text(b.inputs[s].options, a)}")
    for i in sorted(now):
        k, p, c, owned, e = b.option_keys[i]
        out.append(f"now i={i}: {k} {p} {c} {'owned' if owned else 'rented'}{' ' + e if e else ''}")
    return out


def _quoted(prefix: str, text: str) -> list[str]:
    """``text``'s lines after ``prefix``, the continuation lines aligned under the first."""
    first, *rest = text.split("\n")
    return [prefix + first] + [" " * len(prefix) + line for line in rest]


def _section(family: str, instance: Instance) -> list[str]:
    rows = family_rows(instance.name, family)
    head = textwrap.wrap(f"instance '{instance.name}': {instance.about}", 92)
    names = legend(instance.name, rows)
    if names:
        head.append("options (f compute per module, P facility power per module):")
        head.extend(f"  {n}" for n in names)
    return [f"{COMMENT}{h}" for h in head] + rows


def render(family: str, instances: list[Instance], declared: Declared) -> str:
    """The golden file of ``family``: a header comment, then its rows in each instance
    (``instances_for``), each under its own instance comment."""
    head = [
        f"family {family}: {declared.function} in {declared.path}",
        *_quoted("docs/model.md: ", formula(family) or "(states no formula for this family)"),
        f"regenerate: {REGEN}",
    ]
    lines = [f"{COMMENT}{h}" for h in head]
    for inst in instances:
        lines += _section(family, inst)
    return "".join(f"{line}\n" for line in lines)


def instances_for(family: str) -> list[Instance]:
    """The instances ``family``'s golden file shows: the first in which it has a HiGHS row,
    then those that name it in ``shows`` (empty: no instance exercises it)."""
    first = instance_for(family)
    if first is None:
        return []
    return [first] + [i for i in INSTANCES if family in i.shows and i is not first]


def instance_for(family: str) -> Instance | None:
    """The first instance in which ``family`` has a HiGHS row."""
    for inst in INSTANCES:
        if has_rows(inst.name, family):
            return inst
    return None


def golden_path(family: str) -> Path:
    return GOLDEN / f"{family}.lp"


def _shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def expected_texts() -> tuple[dict[str, str], list[str]]:
    """(family -> golden text as the model renders it now, families no instance exercises)."""
    declared, _ = declared_families()
    texts, missing = {}, []
    for family in sorted(declared):
        instances = instances_for(family)
        if not instances:
            missing.append(family)
            continue
        texts[family] = render(family, instances, declared[family])
    return texts, missing


# --- comparing -------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def same_line(a: str, b: str) -> bool:
    """Equal, or equal but for numbers within REL_TOL/ABS_TOL of each other."""
    if a == b:
        return True
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    return all(
        math.isclose(float(x), float(y), rel_tol=REL_TOL, abs_tol=ABS_TOL)
        for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True)
    )


def same_text(a: str, b: str) -> bool:
    la, lb = a.splitlines(), b.splitlines()
    return len(la) == len(lb) and all(same_line(x, y) for x, y in zip(la, lb, strict=True))


def mismatch(family: str, text: str) -> str | None:
    """None when ``tests/golden/<family>.lp`` holds ``text`` (within tolerance), else a
    readable unified diff naming the family."""
    path = golden_path(family)
    if not path.exists():
        return f"{family}: no golden file {_shown(path)} (run {REGEN})"
    old = path.read_text()
    if same_text(old, text):
        return None
    diff = difflib.unified_diff(
        old.splitlines(),
        text.splitlines(),
        f"{_shown(path)} (golden)",
        f"{family} (as the model builds it now)",
        lineterm="",
    )
    return f"{family}: rows changed (review, then run {REGEN}):\n" + "\n".join(diff)


README = GOLDEN / "README.md"
TABLE_START = "<!-- family table: written by python -m tests.golden_rows --regen -->"
TABLE_END = "<!-- end of family table -->"


def family_table() -> str:
    """The README's table of every declared family: where it is declared, the instances its
    golden rows come from and how many rows they are (written by ``--regen``)."""
    declared, _ = declared_families()
    out = ["| family | declared in | instance | rows |", "|---|---|---|---|"]
    for family in sorted(declared, key=lambda f: (declared[f].path, declared[f].function, f)):
        d, shown = declared[family], instances_for(family)
        where = f"`{d.function}` ({d.path})"
        names = "; ".join(i.name for i in shown) or "**none**"
        rows = sum(len(family_rows(i.name, family)) for i in shown)
        out.append(f"| `{family}` | {where} | {names} | {rows} |")
    return "\n".join(out) + "\n"


def readme_with_table(text: str) -> str:
    """``text`` (the README) with the part between the table markers replaced."""
    head, sep, rest = text.partition(TABLE_START)
    _, sep2, tail = rest.partition(TABLE_END)
    if not sep or not sep2:
        raise ValueError(f"{_shown(README)}: the family table markers are missing")
    return f"{head}{TABLE_START}\n{family_table()}{TABLE_END}{tail}"


def regenerate() -> list[str]:
    """Rewrite the golden files that differ (beyond tolerance) and remove those of families
    no longer declared; returns what changed."""
    texts, missing = expected_texts()
    changed = []
    GOLDEN.mkdir(exist_ok=True)
    for family, text in texts.items():
        path = golden_path(family)
        if not path.exists() or not same_text(path.read_text(), text):
            path.write_text(text)
            changed.append(f"wrote {_shown(path)}")
    for path in sorted(GOLDEN.glob("*.lp")):
        if path.stem not in texts and path.stem not in missing:
            path.unlink()
            changed.append(f"removed {_shown(path)} (no such family)")
    if README.exists():
        text = README.read_text()
        new = readme_with_table(text)
        if new != text:
            README.write_text(new)
            changed.append(f"wrote the family table of {_shown(README)}")
    for family in missing:
        changed.append(f"NOT EXERCISED: {family} has a row in no instance (add one to INSTANCES)")
    for family in sorted(texts):
        if formula(family) is None:
            changed.append(
                f"no formula: docs/model.md names no '{family}[...]:' line (state it in the "
                "docstring of its add_* function, or quote the docs in FORMULA_TEXT)"
            )
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden_rows", description=__doc__)
    parser.add_argument("--regen", action="store_true", help="rewrite the golden files")
    args = parser.parse_args(argv)
    if args.regen:
        for line in regenerate() or ["golden files up to date"]:
            print(line)
        return 0
    texts, missing = expected_texts()
    problems = [m for f, t in texts.items() if (m := mismatch(f, t))]
    problems += [f"{f}: has a row in no instance" for f in missing]
    if README.exists() and readme_with_table(README.read_text()) != README.read_text():
        problems.append(f"{_shown(README)}: the family table is out of date")
    print("\n\n".join(problems) if problems else f"{len(texts)} families match their golden files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
