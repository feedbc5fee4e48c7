"""The model's mathematics as Markdown, generated from the code (``sovplan docs``).

Everything here is read from the formulation itself, so the documentation cannot drift
from it (``tests/test_docs.py`` regenerates ``docs/model.md`` and compares):

- sets and variables from the ``pyo.Set``/``pyo.Var`` calls in ``models/`` (their ``doc``,
  domain and bounds), found by parsing the source;
- each constraint family from its ``add_<family>`` function: the docstring is the formula,
  the ``if`` around its call in ``models.build.build`` says when it is active, the
  ``inp.<field>`` tests inside it say which rows are optional, and ``SCENARIO_KEYS`` below
  says which scenario key sets each of those fields;
- the objectives from ``models.objectives`` and the option rules from ``planner.core.inputs``;
- a link to the source lines of each item.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

#: Where a ModelInputs field comes from in a scenario (planner.core.inputs sets them).
SCENARIO_KEYS: dict[str, str] = {
    "budget": "`budget` (with `constraints.budget`)",
    "energy_cost_cap": "`energy_cost_cap` (with `constraints.energy_cost`)",
    "max_avg_electricity_price": (
        "`max_avg_electricity_price_usd_per_mwh` (with `constraints.energy_cost`)"
    ),
    "emissions_cap": "`emissions_cap_kt` (with `constraints.energy_cost`)",
    "max_share_provider": "`limits.max_share_provider` (hedging, `constraints.diversification`)",
    "max_share_chip_designer": (
        "`limits.max_share_chip_designer` (hedging, `constraints.diversification`)"
    ),
    "max_share_foreign_jurisdiction": (
        "`limits.max_share_foreign_jurisdiction` (hedge strategy, `constraints.diversification`)"
    ),
    "min_home_share": "`limits.min_home_share` (with `constraints.territorial`)",
    "min_providers": "`limits.min_providers` (hedging, `constraints.diversification`)",
    "min_chip_designers": "`limits.min_chip_designers` (hedging, `constraints.diversification`)",
    "resilience": "`limits.resilience` (hedge strategy, `constraints.resilience`)",
    "align_allies": "`strategy: align` or `align:<JURISDICTION>`",
    "max_share_country": "`limits.max_share_country` (with `constraints.siting`)",
    "min_countries": "`limits.min_countries` (with `constraints.siting`)",
    "share_basis": (
        "`limits.share_basis` (`counted`, the default: shares of counted compute; "
        "`installed`: of installed capacity)"
    ),
    "min_blocs": "`strategy: hedge_blocs` (2 rival blocs, `constraints.diversification`)",
    "bloc_options": "`strategy: hedge_blocs` (options leaning on one foreign bloc alone)",
    "grid_power": "`constraints.grid_power`",
    "supply_caps": "`constraints.supply_caps` and chips.csv `supply_cap_units_per_year`",
    "tier2_cap_modules": "`export_regime: diffusion_rule` and `tier2_cap_accelerators`",
    "non_decreasing": "`buildout.non_decreasing` (with `constraints.buildout`)",
    "max_new_power_mw_per_year": (
        "`buildout.max_new_power_mw_per_year` (with `constraints.buildout`)"
    ),
    "retirable": "`existing` systems the plan may retire (`retirable`, default true)",
    "projects": "`projects` (projects.csv rows the plan may co-finance; `joined: false`)",
    "no_purchase": (
        "chips.csv `end_of_sale` (blank: `available_from` + 3) before the first period, for "
        "owned options; `economics.build_lead_time_years` sets when owned capacity may serve"
    ),
}

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Declared:
    """A ``pyo.Set`` or ``pyo.Var`` declared in the model's source."""

    name: str
    index: str
    domain: str
    bounds: str
    doc: str
    file: str
    line: int


def _rel(path: str | Path) -> str:
    return Path(path).resolve().relative_to(ROOT).as_posix()


def _link(file: str, start: int, end: int | None = None) -> str:
    span = f"L{start}" if end is None or end == start else f"L{start}-L{end}"
    return f"[{file}:{span.replace('L', '')}](../{file}#{span})"


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _declared(path: Path, kind: str) -> list[Declared]:
    """``m.<name> = pyo.<kind>(...)`` assignments in a source file, in order."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        call, target = node.value, node.targets[0]
        if not (
            isinstance(call.func, ast.Attribute)
            and call.func.attr == kind
            and isinstance(target, ast.Attribute)
        ):
            continue
        doc = _keyword(call, "doc")
        domain = _keyword(call, "domain")
        bounds = _keyword(call, "bounds")
        index = [ast.unparse(a) for a in call.args if kind == "Var"]
        found.append(
            Declared(
                name=target.attr,
                index=", ".join(i.removeprefix("m.") for i in index),
                domain=ast.unparse(domain).removeprefix("pyo.") if domain is not None else "",
                bounds=_bounds_text(bounds),
                doc=ast.literal_eval(doc) if isinstance(doc, ast.Constant) else "",
                file=_rel(path),
                line=node.lineno,
            )
        )
    return sorted(found, key=lambda d: d.line)


def _bounds_text(bounds: ast.expr | None) -> str:
    if bounds is None:
        return ""
    if isinstance(bounds, ast.Lambda):
        return ast.unparse(bounds.body)
    return ast.unparse(bounds)


def _family_calls() -> list[tuple[str, str]]:
    """(family function, the condition under which ``build`` adds it) in build order (the
    families are declared by ``populate``, which ``build`` and the extensive form call)."""
    import models.build as build_module

    tree = ast.parse(inspect.getsource(build_module.populate))
    calls: list[tuple[str, str]] = []

    def visit(node: ast.AST, conditions: list[str]) -> None:
        if isinstance(node, ast.If):
            test = ast.unparse(node.test)
            for child in node.body:
                visit(child, [*conditions, test])
            for child in node.orelse:
                visit(child, [*conditions, f"not ({test})"])
            return
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == "cf"
        ):
            calls.append((node.value.func.attr, " and ".join(conditions)))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, conditions)

    visit(tree, [])
    return calls


def _input_fields(source: str) -> list[str]:
    """The ``inp.<field>`` names that appear in ``if`` tests or conditional expressions."""
    fields: list[str] = []
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, ast.If | ast.IfExp):
            for sub in ast.walk(node.test):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "inp"
                    and sub.attr not in fields
                ):
                    fields.append(sub.attr)
    return fields


def _switches(fields: list[str]) -> str:
    keys = [SCENARIO_KEYS[f] for f in fields if f in SCENARIO_KEYS]
    return "; ".join(keys)


def _code(text: str) -> str:
    return "```text\n" + text.strip("\n") + "\n```"


def _section_sets_and_variables() -> list[str]:
    models_dir = ROOT / "models"
    sets = _declared(models_dir / "build.py", "Set")
    variables = [v for p in sorted(models_dir.glob("*.py")) for v in _declared(p, "Var")]
    lines = ["## Sets", "", "| set | meaning | source |", "|---|---|---|"]
    lines += [f"| `{s.name}` | {s.doc} | {_link(s.file, s.line)} |" for s in sets]
    lines += [
        "",
        "## Variables",
        "",
        "Units are those of `models/inputs.py` (compute EFLOP/s, money MUSD, power MW).",
        "",
        "| variable | index | domain | bounds | meaning | source |",
        "|---|---|---|---|---|---|",
    ]
    for v in variables:
        lines.append(
            f"| `{v.name}` | {v.index or '–'} | {v.domain or 'Reals'} | "
            f"{('`' + v.bounds + '`') if v.bounds else '–'} | {v.doc} | {_link(v.file, v.line)} |"
        )
    return lines


def _section_families() -> list[str]:
    from models import constraints as cf

    lines = [
        "## Constraint families",
        "",
        "In the order `models.build.build` adds them. *Active when* is the condition in "
        "`build`; *optional rows* are switched inside the family by the inputs named.",
    ]
    for name, condition in _family_calls():
        fn = getattr(cf, name)
        source, start = inspect.getsourcelines(fn)
        doc = inspect.getdoc(fn) or ""
        title = name.removeprefix("add_").replace("_", " ")
        cond_fields = _input_fields(f"if {condition}:\n    pass") if condition else []
        inner = [f for f in _input_fields("".join(source)) if f not in cond_fields]
        lines += ["", f"### {title}", "", _code(doc), ""]
        lines.append(
            f"- built by `{name}` ({_link(_rel(cf.__file__), start, start + len(source) - 1)})"
        )
        if condition:
            lines.append(f"- active when `{condition}`: {_switches(cond_fields) or 'see build'}")
        else:
            lines.append("- always active")
        if inner:
            lines.append(f"- optional rows: {_switches(inner) or ', '.join(inner)}")
    return lines


def _section_objectives() -> list[str]:
    from models import objectives

    source, start = inspect.getsourcelines(objectives.add_objectives)
    senses = ", ".join(
        f"`{k}` ({'max' if v == -1 else 'min'})" for k, v in objectives.SENSES.items()
    )
    return [
        "## Objectives",
        "",
        _code(inspect.getdoc(objectives.add_objectives) or ""),
        "",
        f"Named objectives and their sense: {senses}. The plan maximises `sovereignty`, then "
        "minimises `total_cost` with the index held at its optimum (lexicographic; "
        "`planner.core.solve.optimise`).",
        "",
        f"Source: {_link(_rel(objectives.__file__), start, start + len(source) - 1)}",
    ]


def _section_options() -> list[str]:
    from planner.core import costs, inputs, timeline

    lines = ["## Options and their coefficients", ""]
    for fn in (
        inputs.derive_options,
        inputs._coefficients,
        inputs.operators,
        inputs.end_of_sale_years,
        timeline.service,
        timeline.sale_and_lead_times,
        costs.discount_factors,
        costs.price_factor,
        costs.cost_arrays,
        costs.costs_of_columns,
        inputs.build_inputs,
    ):
        source, start = inspect.getsourcelines(fn)
        lines += [
            f"### `{fn.__name__}`",
            "",
            inspect.getdoc(fn) or "",
            "",
            f"Source: {_link(_rel(inspect.getsourcefile(fn) or ''), start, start + len(source) - 1)}",
            "",
        ]
    return lines


def _section_stochastic() -> list[str]:
    from models import stochastic

    source, start = inspect.getsourcelines(stochastic.build_extensive)
    return [
        "## The robust plan's extensive form (`sovplan robust`)",
        "",
        inspect.getdoc(stochastic) or "",
        "",
        f"Source: {_link(_rel(stochastic.__file__), start, start + len(source) - 1)}",
    ]


def model_markdown() -> str:
    """The whole document (deterministic: same code, same text)."""
    from models import inputs as model_inputs

    head = [
        "# The model",
        "",
        "<!-- Generated by `sovplan docs` from the code; do not edit by hand. -->",
        "",
        inspect.getdoc(model_inputs) or "",
        "",
        "Option coefficients (`ModelInputs.options`):",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    head += [f"| `{k}` | {v} |" for k, v in model_inputs.OPTION_COLUMNS.items()]
    parts = [
        head,
        [""],
        _section_sets_and_variables(),
        [""],
        _section_families(),
        [""],
        _section_objectives(),
        [""],
        _section_stochastic(),
        [""],
        _section_options(),
    ]
    return "\n".join(line for part in parts for line in part).rstrip() + "\n"
