"""Worked examples in Markdown, checked against (or regenerated from) real solves.

The README and ``docs/scenarios.md`` quote numbers and supplier names from plans; when the
model or the data change, prose drifts (a README naming AWS where ``solve`` gives GCP).
Here each quoted value is tagged in the Markdown, invisibly when rendered:

    <!--example ken-hedge: data/scenarios/kenya-2030.yaml --set strategy=hedge-->
    | Kenya | hedge | <!--x:ken-hedge.index-->0.766<!--/x--> | ...

An ``example`` comment names a scenario (relative to the repository root) and its ``--set``
overrides; each ``x`` tag names an example and a fact (``FACTS``). ``check_file`` solves
every example once and lists the tags whose text differs from what the code returns;
``update_file`` rewrites them. So after a merge that moves the numbers,
``sovplan docs --examples README.md --examples docs/scenarios.md --update`` is the one
command that brings the text back in line (the prose around the tags still needs reading).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.reports.ranges_text import input_label

EXAMPLE = re.compile(r"<!--example ([\w.-]+):\s*(.*?)\s*-->")
TAG = re.compile(r"<!--x:([\w.-]+)\.(\w+)-->(.*?)<!--/x-->", re.S)


def _final(plan: Any) -> Any:
    alloc = plan.allocation
    return alloc[alloc["period"] == alloc["period"].max()]


def _mix(plan: Any, column: str, joiner: str = " + ") -> str:
    """The final period's counted compute by ``column``: 'PUBLIC 70% + COREWEAVE 30%'."""
    final = _final(plan)
    by = final.groupby(column)["counted_eflops"].sum()
    total = float(by.sum()) or 1.0
    shares = sorted(
        ((str(k), round(float(v) / total, 2)) for k, v in by.items() if v / total >= 0.005),
        key=lambda kv: (-kv[1], kv[0]),  # largest first, equal shares by name: stable text
    )
    return joiner.join(f"{k} {v:.0%}" for k, v in shares)


def _kept(plan: Any) -> str:
    return f"{plan.kpis['worst_case_n_minus_1_share']:.0%}"


#: fact -> how it is written from a plan (what a tag may name)
FACTS: dict[str, Callable[[Any], str]] = {
    "status": lambda p: p.status,
    "index": lambda p: f"{p.sovereignty['index']:.3f}",
    "territorial": lambda p: f"{p.sovereignty['territorial']:.2f}",
    "provider": lambda p: f"{p.sovereignty['provider']:.2f}",
    "chip": lambda p: f"{p.sovereignty['chip']:.2f}",
    "cost": lambda p: f"{p.cost:,.0f}",
    "per_year": lambda p: f"{p.kpis['cost_per_year_final_musd']:,.0f}",
    "budget_share": lambda p: f"{p.cost / p.context['budget_musd']:.0%}",
    "kept": _kept,
    "providers": lambda p: _mix(p, "provider"),
    "countries": lambda p: _mix(p, "country"),
    "designers": lambda p: _mix(p, "designer"),
    "chips": lambda p: _mix(p, "chip"),
    # the plan's range across the default futures (planner.studies.ranges)
    "cost_p10": lambda p: f"{p.ranges['cost_musd']['p10']:,.0f}",
    "cost_p90": lambda p: f"{p.ranges['cost_musd']['p90']:,.0f}",
    "driver": lambda p: input_label(p.ranges["driver"]["input"]),
}


@dataclass
class Mismatch:
    """A tagged value that differs from what the code returns now."""

    file: str
    example: str
    fact: str
    written: str
    actual: str

    def __str__(self) -> str:
        return f"{self.file}: {self.example}.{self.fact} says '{self.written}', the code gives '{self.actual}'"


def examples(text: str, file: str = "") -> dict[str, tuple[str, list[str]]]:
    """The examples a Markdown text defines: name -> (scenario path, overrides)."""
    out: dict[str, tuple[str, list[str]]] = {}
    for name, command in EXAMPLE.findall(text):
        words = shlex.split(command)
        if not words:
            raise InputError(f"{file}: example '{name}' names no scenario")
        overrides = [w for i, w in enumerate(words[1:]) if i % 2 == 1]
        flags = [w for i, w in enumerate(words[1:]) if i % 2 == 0]
        if any(f != "--set" for f in flags) or len(flags) != len(overrides):
            raise InputError(f"{file}: example '{name}': only '--set KEY=VALUE' may follow")
        out[name] = (words[0], overrides)
    return out


def _solve_all(
    defined: dict[str, tuple[str, list[str]]], root: Path, wanted: set[str]
) -> dict[str, Any]:
    from planner.core.scenario import load_scenario
    from planner.studies.solving import solve_and_diagnose

    cache: dict[tuple[str, tuple[str, ...]], Any] = {}
    plans: dict[str, Any] = {}
    for name in sorted(wanted):
        path, overrides = defined[name]
        key = (path, tuple(overrides))
        if key not in cache:
            cache[key] = solve_and_diagnose(
                load_scenario(root / path, overrides), diagnose=False, ranges=True
            )
        plans[name] = cache[key]
    return plans


def _value(plan: Any, fact: str) -> str:
    if fact != "status" and not plan.ok:
        return plan.status
    return FACTS[fact](plan)


def _scan(path: Path, root: Path) -> tuple[str, list[tuple[re.Match[str], str, float]]]:
    text = path.read_text(encoding="utf-8")
    defined = examples(text, str(path))
    tags = list(TAG.finditer(text))
    for m in tags:
        if m.group(1) not in defined:
            raise InputError(f"{path}: tag '{m.group(1)}.{m.group(2)}' names no example")
        if m.group(2) not in FACTS:
            raise InputError(
                f"{path}: tag '{m.group(1)}.{m.group(2)}': unknown fact (one of {sorted(FACTS)})"
            )
    plans = _solve_all(defined, root, {m.group(1) for m in tags})
    return text, [(m, _value(plans[m.group(1)], m.group(2)), _gap(plans[m.group(1)])) for m in tags]


def _gap(plan: Any) -> float:
    """The relative gap the plan's cost tie-break stopped at (0 if unknown)."""
    gap = (plan.kpis or {}).get("cost_tie_break_gap")
    return float(gap) if isinstance(gap, int | float) and gap == gap else 0.0


#: facts that are money: the cost tie-break stops within its own gap (0.1% by default, more
#: when it runs out of time), so two runs of one scenario may differ by that much
MONEY = {"cost", "per_year", "budget_share", "cost_p10", "cost_p90"}


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return None


def same(fact: str, written: str, actual: str, rel_gap: float) -> bool:
    """Whether a written value is the code's, within what the solver can tell apart: money
    within the plan's cost tie-break gap (and the written rounding), everything else exact."""
    if written == actual:
        return True
    if fact not in MONEY:
        return False
    a, w = _number(actual), _number(written)
    if a is None or w is None:
        return False
    unit = 1.0  # values are written to the unit (MUSD, or percent)
    return abs(a - w) <= max(rel_gap, 1e-3) * abs(a) + unit


def check_file(path: Path, root: Path) -> list[Mismatch]:
    """Every tagged value in ``path`` that differs from a fresh solve of its example
    (money within the solve's tie-break gap counts as the same; see ``same``)."""
    _, found = _scan(path, root)
    return [
        Mismatch(str(path), m.group(1), m.group(2), m.group(3), actual)
        for m, actual, gap in found
        if not same(m.group(2), m.group(3), actual, gap)
    ]


def update_file(path: Path, root: Path) -> tuple[str, list[Mismatch]]:
    """The text of ``path`` with every tag rewritten from a fresh solve, and what changed."""
    text, found = _scan(path, root)
    changed: list[Mismatch] = []
    pieces: list[str] = []
    last = 0
    for m, actual, gap in found:
        start, end = m.span(3)
        if same(m.group(2), m.group(3), actual, gap):
            actual = m.group(3)  # within the solver's tolerance: no churn in the text
        else:
            changed.append(Mismatch(str(path), m.group(1), m.group(2), m.group(3), actual))
        pieces += [text[last:start], actual]
        last = end
    pieces.append(text[last:])
    return "".join(pieces), changed
