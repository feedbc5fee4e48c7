"""Supply shocks: how much of the target a plan keeps if one supplier cuts it off from a year.

``stress(scenario, plan=None, replan=False, cut=None, from_year=None) -> StressResult``.
Three kinds of supplier:

- a **jurisdiction** other than the home's: its territory and the providers headquartered
  there are lost at once; chips it designs or (unless ``constraints.fab_dependency`` is off)
  whose die its foundries make can no longer be bought, and those installed before the cut
  keep running without vendor support, losing a share to failures each year (unless spares
  were bought, ``economics.spares_share``): so ``--cut TWN`` is "Taiwan's fabs stop";
- a **provider**: every module it runs is lost at once;
- a **chip designer**: its chips can no longer be bought; installed ones keep running, minus
  failures.

The rule is ``planner.core.cuts`` (the one the model's N-1 rows and the plan's resilience
table use). ``from_year`` Y: the cut starts in year Y, and every period is read against that
one cut; without it, each period is cut at its own start (N-1, as the model and ``solve``
read it), so ``stress`` and ``solve`` print the same worst case: the plan's own
(``worst_case``, computed once in the core from the plan, never recomputed here unless a
plan.json predates it).

For each supplier the plan depends on and each period, ``cuts`` gives the compute lost and
kept and ``kept_share`` = min(1, kept / target). Suppliers the plan does not use keep 100%
and are not listed, unless named in ``cut`` (only those are then reported; an unknown name is
an input error).

With ``replan=True`` each shock gets a **crisis plan**: the periods before the cut keep the
plan's modules, what the cut takes is gone from its year, installed chips of the cut keep
running (minus failures) and cannot be added to, and the rest is re-planned. If the
scenario's limits cannot all hold any more, they are relaxed to what is still possible (an
elastic solve on the same model: each limit a variable, the target per period the last thing
given up) and ``replans`` says which were relaxed and to what; the crisis plan is then the
best index under the relaxed limits (cost tie-break as in ``solve``). Its cost is compared
with the plan's: ``extra_cost_musd`` is what the crisis adds (never negative; a crisis plan
that pays less because lost rented services stop being paid says so in ``cost_change_musd``).

``plan`` may be a ``Plan``, the dict ``Plan.to_dict()`` returns, or the path of a plan.json
written by ``sovplan solve --out``; without one, the scenario is solved first.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.core import deadline as clock
from planner.core.cuts import (
    cut_rule,
    jurisdiction_masks,
    kept_table,
    plan_rows,
    resilience_table,
    worst_case,
    worst_case_sentence,
)
from planner.core.deadline import check_time_limit
from planner.core.errors import InputError
from planner.core.scenario import Scenario, load_scenario

CUT_COLUMNS = [
    "kind",
    "supplier",
    "period",
    "target_eflops",
    "compute_eflops",
    "lost_eflops",
    "kept_eflops",
    "kept_share",
]
REPLAN_COLUMNS = [
    "kind",
    "supplier",
    "cut_year",
    "status",
    "sovereignty_index",
    "total_cost_musd",
    "extra_cost_musd",
    "cost_change_musd",
    "delivered_share_min",
    "relaxed",
    "message",
]


@dataclass
class StressResult:
    """Per supplier and period: compute kept after a cut-off; optionally each crisis plan."""

    scenario_name: str
    plan_cost_musd: float | None
    cuts: pd.DataFrame
    replans: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    #: the cut's first year; None = each period cut at its own start (N-1)
    cut_year: int | None = None
    #: the plan's one worst N-1 case (``planner.core.cuts.worst_case``), as ``solve`` prints it
    worst_case: dict[str, Any] = field(default_factory=dict)

    def worst(self) -> pd.DataFrame:
        """One row per supplier: its smallest kept share over the periods."""
        if self.cuts.empty:
            return pd.DataFrame(columns=["kind", "supplier", "worst_kept_share", "period"])
        idx = self.cuts.groupby(["kind", "supplier"])["kept_share"].idxmin()
        w = self.cuts.loc[idx, ["kind", "supplier", "kept_share", "period"]]
        return (
            w.rename(columns={"kept_share": "worst_kept_share"})
            .sort_values(["worst_kept_share", "kind", "supplier"])
            .reset_index(drop=True)
        )

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if hasattr(v, "item") and not isinstance(v, list | dict | str):
                return clean(v.item())
            return v

        def records(df: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if df is None:
                return None
            return [{k: clean(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")]

        return {
            "scenario": self.scenario_name,
            "plan_cost_musd": self.plan_cost_musd,
            "cut_year": self.cut_year,
            "worst_case": self.worst_case,
            "worst_case_sentence": worst_case_sentence(self.worst_case),
            "cuts": records(self.cuts),
            "worst": records(self.worst()),
            "replans": records(self.replans),
            "notes": list(self.notes),
        }


# --- reading a plan -----------------------------------------------------------------------

_PLAN_FIELDS = ("period", "country", "provider", "chip", "modules", "compute_eflops")
#: fields of an allocation row that hold codes (text), and the numbers with their bounds
_PLAN_CODES = ("country", "provider", "chip")
_PLAN_NUMBERS = {"period": (2000, 2100), "modules": (0, 1e12), "compute_eflops": (0, 1e12)}
#: largest plan.json read (a plan of the large benchmark is well under 1 MB)
MAX_PLAN_BYTES = 50_000_000


def _number(value: Any) -> float | None:
    """A finite number from JSON, or None (a boolean, text, list, mapping, or an integer too
    large for a float is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _check_row(row: Any, i: int, source: str) -> None:
    """One allocation row: codes are text, numbers finite and within range (else InputError
    naming the file, the row and the field)."""
    if not isinstance(row, dict):
        raise InputError(f"{source}: allocation[{i}] is not a mapping")
    missing = [f for f in _PLAN_FIELDS if f not in row]
    if missing:
        raise InputError(f"{source}: allocation[{i}] lacks field(s) {missing}")
    for f in _PLAN_CODES:
        if not isinstance(row[f], str) or not row[f].strip():
            raise InputError(
                f"{source}: allocation[{i}].{f}: expected a code (text), got "
                f"{type(row[f]).__name__}"
            )
    designer = row.get("designer")
    if designer is not None and not isinstance(designer, str):
        raise InputError(f"{source}: allocation[{i}].designer: expected text or null")
    existing = row.get("existing")
    if existing is not None and not isinstance(existing, str):
        raise InputError(f"{source}: allocation[{i}].existing: expected text or null")
    for f, (lo, hi) in _PLAN_NUMBERS.items():
        v = _number(row[f])
        if v is None:
            raise InputError(
                f"{source}: allocation[{i}].{f}: {str(row[f])[:40]!r} is not a finite number"
            )
        if v < 0:
            raise InputError(f"{source}: allocation[{i}].{f}: {v:g} is negative")
        if not lo <= v <= hi:
            raise InputError(f"{source}: allocation[{i}].{f}: {v:g} is outside {lo:g} to {hi:g}")
        if f == "period" and v != int(v):
            raise InputError(f"{source}: allocation[{i}].period: {v:g} is not a year")


def open_plan(plan: Any) -> tuple[Any, str]:
    """A Plan or plan dict as given, or the dict a plan.json path holds; and its source name.

    A file is read like every input (a regular file of bounded size: a FIFO is refused, not
    waited on)."""
    from planner.core.files import read_input_text

    source = "<plan>"
    if isinstance(plan, str | Path):
        path = Path(plan)
        source = str(path)
        if not path.exists():
            raise InputError(f"{path}: no such plan file (write one with `sovplan solve --out`)")
        text = read_input_text(path, "plan JSON file", MAX_PLAN_BYTES)
        try:
            plan = json.loads(text)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            raise InputError(f"{path}: not a readable plan JSON ({str(exc)[:200]})") from None
    return plan, source


def read_plan(plan: Any, source: str | None = None) -> tuple[pd.DataFrame, float | None, str]:
    """Allocation frame, cost and status from a Plan, its dict, or a plan.json path.

    Each row is checked before use, so a hand-edited plan gives a message naming the file,
    the row and the field, never a TypeError from deep inside."""
    plan, opened = open_plan(plan)
    source = source or opened
    if hasattr(plan, "allocation") and hasattr(plan, "status"):
        return plan.allocation.copy(), plan.cost, str(plan.status)
    if not isinstance(plan, dict):
        raise InputError(f"{source}: expected a plan (the JSON `sovplan solve --out` writes)")
    rows = plan.get("allocation")
    if not isinstance(rows, list):
        raise InputError(f"{source}: field 'allocation' missing or not a list")
    for i, row in enumerate(rows):
        _check_row(row, i, source)
    alloc = pd.DataFrame(rows, columns=list(_PLAN_FIELDS) + ["designer", "existing"])
    alloc["period"] = alloc["period"].astype(float).astype(int)
    cost = _number(plan.get("cost"))
    status = plan.get("status", "unknown")
    if not isinstance(status, str):
        raise InputError(f"{source}: field 'status': expected text, got {type(status).__name__}")
    return alloc, cost, status


def plan_worst_case(plan: Any, sc: Scenario, tables: Any, alloc: pd.DataFrame) -> dict[str, Any]:
    """The plan's one worst case: the object ``solve`` computed (a ``Plan``'s ``worst_case``,
    a plan.json's ``worst_case``); a plan.json written before it existed gets the same core
    function applied to its allocation."""
    found = getattr(plan, "worst_case", None)
    if found is None and isinstance(plan, dict):
        found = plan.get("worst_case")
    if isinstance(found, dict) and "period" in found:
        return found
    from planner.core.home import resolve_home

    ctx = resolve_home(sc, tables)
    return worst_case(resilience_table(sc, tables, alloc, list(ctx.foreign), ctx))


# --- the shocks ---------------------------------------------------------------------------


def _rows(sc: Scenario, tables: Any, alloc: pd.DataFrame, source: str) -> pd.DataFrame:
    """The allocation as the cut rule's rows (``planner.core.cuts.plan_rows``), after checking
    that every code it uses is in the scenario's data."""
    for col, index, file in (
        ("country", set(tables.countries["iso3"]), "countries.csv"),
        ("provider", set(tables.providers["code"]), "providers.csv"),
        ("chip", set(tables.chips["code"]), "chips.csv"),
    ):
        unknown = sorted(set(alloc[col]) - index)
        if unknown:
            raise InputError(
                f"{source}: allocation uses {col}(s) {unknown} that are not in the scenario's "
                f"{file}; was the plan solved with other data?"
            )
    return plan_rows(sc, tables, alloc)


def masks(rows: pd.DataFrame, kind: str, name: str) -> tuple[pd.Series, pd.Series]:
    """(lost at once, chip cut) over ``rows`` for one shock (see the module doc)."""
    none = pd.Series(False, index=rows.index)
    if kind == "jurisdiction":
        return jurisdiction_masks(rows, name)
    if kind == "provider":
        return (rows["provider"] == name), none
    return none, (rows["designer"] == name)


def _shocks(rows: pd.DataFrame, only: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(kind, supplier) of every shock to report: ``only``, or every supplier the plan uses
    (foreign jurisdictions in any layer, providers, chip designers)."""
    if only is not None:
        return list(only)
    used = rows[rows["modules"] > 0]
    fab_j = {j for v in used["j_fab"] for j in str(v).split(";") if j}
    juris = sorted(
        {j for col in ("j_country", "j_provider", "j_chip") for j in used[col].dropna()} | fab_j
    )
    out = [("jurisdiction", j) for j in juris]
    out += [("provider", p) for p in sorted(set(used["provider"]))]
    out += [("designer", d) for d in sorted(set(used["designer"].dropna()))]
    return out


def cut_table(
    sc: Scenario,
    rows: pd.DataFrame,
    only: list[tuple[str, str]] | None = None,
    cut_year: int | None = None,
) -> pd.DataFrame:
    """Compute lost and kept per shock and period (``planner.core.cuts.kept_table``)."""
    rule = cut_rule(sc)
    target = {int(t): float(v) for t, v in sc.target.items()}
    frames = []
    cache: dict = {}
    for kind, supplier in _shocks(rows, only):
        lost, chip = masks(rows, kind, supplier)
        table = kept_table(rows, lost, chip, rule, target, cut_year, cache)
        frames.append(
            table.assign(kind=kind, supplier=supplier, target_eflops=table["period"].map(target))
        )
    if not frames:
        return pd.DataFrame(columns=CUT_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CUT_COLUMNS]


def resolve_cuts(tables: Any, names: list[str]) -> list[tuple[str, str]]:
    """Name -> (kind, name): a jurisdiction code, a provider code or a chip designer.

    An unknown name is an input error that lists what may be cut.
    """
    juris = set(tables.jurisdictions["code"])
    providers = set(tables.providers["code"])
    designers = set(tables.chips["designer"])
    out: list[tuple[str, str]] = []
    for name in names:
        if name in juris:
            out.append(("jurisdiction", name))
        elif name in providers:
            out.append(("provider", name))
        elif name in designers:
            out.append(("designer", name))
        else:
            raise InputError(
                f"--cut {name}: not a jurisdiction, provider or chip designer in the data "
                f"(jurisdictions: {', '.join(sorted(juris))}; providers: "
                f"{', '.join(sorted(providers))}; designers: {', '.join(sorted(designers))})"
            )
    return out


def _not_replanned(kind: str, supplier: str, year: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "supplier": supplier,
        "cut_year": int(year),
        "status": "time_limit_no_solution",
        "message": "the time limit ran out before this re-plan",
    }


# --- the crisis plan ----------------------------------------------------------------------

#: Penalty per unit of a period's target given up in the elastic solve, against 1 per unit
#: of relative loosening of a policy limit: the target is the last thing a crisis gives up.
TARGET_PENALTY = 10.0


def _crisis_model(sc: Scenario, tables: Any) -> tuple[Any, float | None]:
    """The scenario's model as the infeasibility diagnosis builds it (budget as one row,
    plain supplier links), so that relaxing a limit's rows relaxes the limit."""
    from planner.core.prepare import prepare
    from planner.studies.diagnose import BUDGET_ROW

    budget = sc.budget if sc.constraints.budget else None
    base = sc
    if budget is not None:
        base = sc.model_copy(deep=True)
        base.constraints.budget = False
    prep = prepare(base, tables=tables, link_share_caps=False)
    if budget is not None:
        prep.highs.set_row(BUDGET_ROW, prep.model.total_cost.expr, upper=float(budget))
    return prep, budget


def option_rows(sc: Scenario, tables: Any, ctx: Any, opt: pd.DataFrame) -> pd.DataFrame:
    """Every option of a model as a row of the cut rule (``planner.core.cuts.plan_rows``),
    indexed like ``opt``: what a shock takes from each option, its spares and, for an
    existing or committed system, its year in service. The crisis plan and the robust
    study's futures under a cut read the rule from these rows."""
    names = (
        opt["existing_name"].fillna("").astype(str)
        if "existing_name" in opt.columns
        else pd.Series("", index=opt.index)
    )
    return plan_rows(
        sc,
        tables,
        pd.DataFrame(
            {
                "period": 0,
                "country": opt["country"],
                "provider": opt["provider"],
                "chip": opt["chip"],
                "modules": 0,
                "compute_eflops": 0.0,
                "existing": names,
            }
        ),
        ctx,
    )


def _apply_cut(
    prep: Any, sc: Scenario, rows: pd.DataFrame, kind: str, name: str, year: int
) -> None:
    """Bounds for the crisis: before the cut the plan stands; from it, what is lost is gone,
    installed chips of the cut keep running (their counted compute scaled by survival κ)
    and none can be added; every other option may be re-planned."""
    import numpy as np

    from planner.core.cuts import installed_before

    rule = cut_rule(sc)
    m, hm = prep.model, prep.highs
    h = hm.h
    opt = prep.inputs.options
    every = option_rows(sc, prep.tables, prep.context, opt)
    lost, chip = masks(every, kind, name)
    chip = chip & ~lost
    key_of = dict(zip(every.index, every["option"], strict=True))
    plan_n = rows.groupby(["option", "period"])["modules"].sum().to_dict()
    spares = dict(zip(every["option"], every["spares"], strict=True))

    def fix(a: int, t: int, value: float) -> None:
        col = hm.col_of.get(id(m.n[a, t]))
        if col is not None:
            h.changeColBounds(col, float(value), float(value))

    for t in rule.periods:
        affected = rule.affected(t, year)
        installed = installed_before(rows, rule, t, year) if affected else pd.Series(dtype=float)
        inst = dict(zip(rows.loc[installed.index, "option"], installed, strict=True))
        kappa_years = rule.unsupported_years(t, year)
        for a in opt.index:
            key = key_of[a]
            planned = float(plan_n.get((key, t), 0.0))
            if not affected:
                fix(a, t, planned)  # the past stands
            elif lost[a]:
                fix(a, t, 0.0)
            elif chip[a]:
                n_old = float(inst.get(key, 0.0))
                fix(a, t, n_old)
                kappa = float(rule.survival(kappa_years, spares[key]))
                row = hm.row_of.get(id(m.counted_le_built[a, t]))
                col = hm.col_of.get(id(m.n[a, t]))
                if row is not None and col is not None:
                    h.changeCoeff(row, col, -kappa * float(opt.at[a, "compute"]))
            elif t < year:
                fix(a, t, planned)  # the period began before the cut: its fleet was in place
    # what is lost leaves the fleet: build-out may shrink for those options at the cut
    if hasattr(m, "non_decreasing"):
        periods = list(m.T)
        for (a, i), con in m.non_decreasing.items():
            if lost[a] and rule.affected(periods[i + 1], year):
                row = hm.row_of.get(id(con))
                if row is not None:
                    h.changeRowBounds(row, -np.inf, np.inf)


def _elastic_columns(lab: Any, limits: list[Any]) -> list[tuple[Any, list, float, float, float]]:
    """(limit or period, entries, lower, upper, cost): one relaxation variable per policy
    limit (penalised per unit of relative loosening) and per period's target."""
    from planner.studies.diagnose import INF

    cols = []
    for lim in limits:
        if lim.field == "target":
            total = sum(lab.prep.inputs.target.values()) or 1.0
            for row, idx in lab._rows("target_met"):
                t = lab._period(idx)
                d = float(lab.prep.inputs.target[t])
                if d > 0:
                    weight = TARGET_PENALTY * d / total
                    cols.append((("target", t), [(row, d, "=")], 0.0, 1.0, -weight))
            continue
        entries = lab.entries(lim)
        if not entries:
            continue
        cur = float(lim.current)
        if lim.unit == "installed_share":
            # excess installed capacity (EFLOP/s) over the cap, priced per largest target;
            # the cap it implies is measured on the solution (``_relax_installed``)
            eflops = max(1.0, max(lab.prep.inputs.target.values()))
            cols.append((lim, entries, 0.0, INF, 1.0 / eflops))
        elif lim.loosen == "up":
            scale = 1.0 if lim.unit == "share" else max(abs(cur), 1e-6)
            cols.append((lim, entries, cur, lim.upper, 1.0 / scale))
        else:
            scale = 1.0 if lim.unit == "share" else max(abs(cur), 1.0)
            low = 0.0 if lim.unit != "count" else -INF
            cols.append((lim, entries, low, cur, -1.0 / scale))
    return cols


def _relax_rows(lab: Any, entries: list, theta: float) -> None:
    """Set a limit's rows to ``body ⋚ θ·c_r`` (a hair looser, so the solve is not held by
    rounding)."""
    h = lab.h
    for row, c, sense in entries:
        bound = theta * c
        slack = 1e-7 * max(1.0, abs(bound))
        if sense == "<=":
            h.changeRowBounds(row, lab.lower0[row], bound + slack)
        elif sense == ">=":
            h.changeRowBounds(row, bound - slack, lab.upper0[row])
        else:
            h.changeRowBounds(row, bound, bound)


def _crisis(
    sc: Scenario,
    tables: Any,
    rows: pd.DataFrame,
    kind: str,
    supplier: str,
    year: int,
    plan_cost: float | None,
    time_limit: float | None,
) -> dict[str, Any]:
    """The crisis plan after one cut from ``year`` (see the module doc)."""
    from planner.core import deadline as clock
    from planner.core.results import make_plan
    from planner.core.solve import optimise
    from planner.studies.diagnose import FEASIBLE, _describe, _Lab, _limits

    out: dict[str, Any] = {"kind": kind, "supplier": supplier, "cut_year": int(year)}
    limit = float(clock.cap(time_limit if time_limit is not None else sc.solver.time_limit))
    t0 = time.perf_counter()
    prep, budget = _crisis_model(sc, tables)
    _apply_cut(prep, sc, rows, kind, supplier, year)
    lab = _Lab(prep, t0 + limit, sc.solver.mip_gap)
    limits = _limits(prep, budget)
    relaxed: list[str] = []
    base = lab.with_columns([], time_limit=limit / 4)
    if base is None or base.status not in FEASIBLE:
        columns = _elastic_columns(lab, limits)
        elastic = lab.with_columns([(e, lo, up, c) for _, e, lo, up, c in columns])
        if elastic is None or elastic.x is None:
            reason = "ran out of time" if elastic is None else elastic.status
            return {
                **out,
                "status": "no_crisis_plan",
                "relaxed": "",
                "message": (
                    f"even with every limit and the target free to relax, no crisis plan was "
                    f"found ({reason}); try a longer --time-limit"
                ),
            }
        for i, (what, entries, _, _, _) in enumerate(columns):
            theta = float(elastic.x[lab.ncols0 + i])
            if isinstance(what, tuple):
                t = what[1]
                if theta < 1 - 1e-6:
                    d = float(prep.inputs.target[t])
                    relaxed.append(
                        f"target {t}: deliver {theta:.0%} ({theta * d:,.4g} of {d:,.4g} EFLOP/s)"
                    )
                    _relax_rows(lab, entries, max(0.0, theta - 1e-9))
                continue
            cur = float(what.current)
            if what.unit == "installed_share":
                from planner.studies.diagnose import _Installed

                rows = _Installed(lab, what)
                theta = rows.largest_share(elastic.x)
                if theta > cur + 1e-6:
                    relaxed.append(_describe(what, what.current, round(theta, 3)))
                    rows.set_cap(theta + 1e-7)  # a hair looser, as _relax_rows
                continue
            if what.unit == "count":
                theta = float(math.floor(theta + 1e-6))
            moved = theta > cur + 1e-6 if what.loosen == "up" else theta < cur - 1e-6
            if moved:
                value = theta if what.unit != "count" else int(theta)
                shown = round(value, 3) if what.unit == "share" else value
                relaxed.append(_describe(what, what.current, shown))
                _relax_rows(lab, entries, theta)
    lab.restore_objective()
    left = max(0.05, limit - (time.perf_counter() - t0))
    outcome, _ = optimise(prep, time_limit=left)
    plan = make_plan(prep, outcome, "sovereignty")
    if not plan.ok:
        return {
            **out,
            "status": "no_crisis_plan",
            "relaxed": "; ".join(relaxed),
            "message": f"the crisis plan under the relaxed limits was not found ({plan.status})",
        }
    cost = plan.cost
    change = cost - plan_cost if cost is not None and plan_cost is not None else None
    alloc = plan.allocation
    delivered = alloc.groupby("period")["counted_eflops"].sum()
    shares = [float(delivered.get(t, 0.0)) / d for t, d in prep.inputs.target.items() if d > 0]
    note = "no limit had to be relaxed" if not relaxed else "relaxed to what is still possible"
    if change is not None and change < 0:
        note += (
            f"; it costs {-change:,.0f} MUSD less than the plan (what the cut took is no "
            "longer paid for, and only what is still possible is bought)"
        )
    return {
        **out,
        "status": "crisis_plan" if relaxed else plan.status,
        "sovereignty_index": plan.sovereignty.get("index"),
        "total_cost_musd": cost,
        "extra_cost_musd": max(0.0, change) if change is not None else None,
        "cost_change_musd": change,
        "delivered_share_min": min(1.0, min(shares)) if shares else 1.0,
        "relaxed": "; ".join(relaxed),
        "message": note,
    }


# --- the study ----------------------------------------------------------------------------


def stress(
    scenario: Scenario | str | Path,
    plan: Any = None,
    replan: bool = False,
    time_limit: float | None = None,
    tables: Any = None,
    cut: list[str] | None = None,
    time_limit_per_solve: float | None = None,
    from_year: int | None = None,
) -> StressResult:
    """Share of each period's target kept if one supplier cuts the plan off (see module doc).

    ``cut``: only these suppliers (jurisdiction codes, provider codes or designers), reported
    even if the plan does not use them (then 100% is kept). ``from_year``: the cut's first
    year (between the first period and the horizon end); None = N-1 (each period cut at its
    own start). ``time_limit``: seconds for the whole study, shared out across its solves (the
    plan's, then each crisis plan's, each an equal part of what is left); a crisis plan the
    time limit leaves no time for is reported ``time_limit_no_solution``.
    ``time_limit_per_solve``: a bound on each solve as well.
    """
    time_limit = check_time_limit(time_limit, "time_limit")
    per_solve = check_time_limit(time_limit_per_solve, "time_limit_per_solve")
    with clock.scope(time_limit):
        return _stress(scenario, plan, replan, per_solve, tables, cut, from_year)


def _stress(
    scenario: Scenario | str | Path,
    plan: Any,
    replan: bool,
    per_solve: float | None,
    tables: Any,
    cut: list[str] | None,
    from_year: int | None,
) -> StressResult:
    """``stress`` inside its deadline."""
    from planner.core.data import load_tables

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    tables = tables if tables is not None else load_tables(sc.data)
    only = resolve_cuts(tables, list(cut)) if cut else None
    if from_year is not None and not (sc.periods[0] <= from_year <= sc.horizon):
        raise InputError(
            f"--from {from_year}: the cut year must lie within the plan's horizon "
            f"({sc.periods[0]}-{sc.horizon})"
        )
    notes: list[str] = []
    plan, source = open_plan(plan)
    if plan is None:
        from planner.studies.solving import solve_and_diagnose as solve

        # the re-plans are not known before the plan: it takes at most half when there are any
        parts = 2 if replan else 1
        plan = solve(sc, time_limit=clock.lesser(per_solve, clock.share(parts)), tables=tables)
        if not plan.ok:
            raise InputError(
                f"scenario '{sc.name}' has no plan to stress (status {plan.status}): "
                + str((plan.diagnosis or {}).get("summary", plan.message))
            )
    alloc, cost, status = read_plan(plan, source)
    if status not in ("optimal", "feasible"):
        raise InputError(f"{source}: the plan's status is '{status}'; there is nothing to stress")
    periods = set(int(p) for p in alloc["period"])
    unknown = sorted(periods - set(sc.periods))
    if unknown:
        raise InputError(
            f"{source}: the plan has period(s) {unknown} that the scenario does not "
            f"({sc.periods}); stress a plan with the scenario it was solved for"
        )
    rows = _rows(sc, tables, alloc, source)
    cuts = cut_table(sc, rows, only, from_year)
    worst = plan_worst_case(plan, sc, tables, alloc)
    replans = None
    if replan:
        shocks = list(_shocks(rows, only))
        out = []
        for i, (kind, supplier) in enumerate(shocks):
            mine = cuts[(cuts["kind"] == kind) & (cuts["supplier"] == supplier)]
            if from_year is not None:
                year = int(from_year)
            else:  # N-1: the cut at the start of the period it hurts most (the earliest)
                year = int(mine.sort_values(["kept_share", "period"]).iloc[0]["period"])
            if (mine["lost_eflops"] <= 1e-12).all():
                out.append(
                    {
                        "kind": kind,
                        "supplier": supplier,
                        "cut_year": year,
                        "status": "unaffected",
                        "sovereignty_index": None,
                        "total_cost_musd": cost,
                        "extra_cost_musd": 0.0,
                        "cost_change_musd": 0.0,
                        "delivered_share_min": None,
                        "relaxed": "",
                        "message": "the cut takes nothing from the plan: no crisis plan needed",
                    }
                )
                continue
            limit = clock.lesser(per_solve, clock.share(len(shocks) - i))
            if limit is not None and limit <= 0.05:
                out.append(_not_replanned(kind, supplier, year))
                continue
            try:
                out.append(_crisis(sc, tables, rows, kind, supplier, year, cost, limit))
            except clock.TimeLimitReached:  # the deadline passed while the model was built
                out.append(_not_replanned(kind, supplier, year))
        if any(r["status"] == "time_limit_no_solution" for r in out):
            notes.append("the time limit ran out before every crisis plan was solved")
        replans = pd.DataFrame(out, columns=REPLAN_COLUMNS)
    if from_year is None:
        notes.append(
            "each period is cut at its own start (N-1, as solve reads it); --from YEAR cuts "
            "once from that year"
        )
    return StressResult(sc.name, cost, cuts, replans, notes, from_year, worst)


def print_stress(result: StressResult, console: Any = None) -> None:
    """Terminal report: per supplier, the share of the target kept in each period; the plan's
    one worst case; and each crisis plan with what it had to relax."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    cuts = result.cuts
    if cuts.empty:
        con.print(f"{result.scenario_name}: the plan has no capacity; nothing to stress")
        return
    periods = sorted(cuts["period"].unique())
    when = (
        f"cut from {result.cut_year}"
        if result.cut_year is not None
        else "each period cut at its start (N-1)"
    )
    table = Table(title=f"{result.scenario_name}: share of the target kept ({when})")
    table.add_column("supplier")
    table.add_column("kind")
    for t in periods:
        table.add_column(str(t), justify="right")
    worst = result.worst()
    for w in worst.itertuples(index=False):
        sel = cuts[(cuts["kind"] == w.kind) & (cuts["supplier"] == w.supplier)]
        shares = dict(zip(sel["period"], sel["kept_share"], strict=True))
        cells = [f"{shares[t]:.0%}" if t in shares else "" for t in periods]
        table.add_row(w.supplier, w.kind, *cells)
    con.print(table)
    con.print("Plan's " + worst_case_sentence(result.worst_case) + ".")
    if result.replans is not None:
        rp = Table(title="Crisis plans (re-planned after the cut)")
        for col in ("supplier", "cut from", "status", "index", "cost (MUSD)", "extra cost"):
            rp.add_column(col, justify="left" if col in ("supplier", "status") else "right")
        for r in result.replans.itertuples(index=False):
            index = r.sovereignty_index
            total = r.total_cost_musd
            extra = r.extra_cost_musd
            rp.add_row(
                str(r.supplier),
                str(r.cut_year),
                str(r.status),
                f"{index:.3f}" if _finite(index) else "-",
                f"{total:,.0f}" if _finite(total) else "-",
                f"{extra:,.0f}" if _finite(extra) else "-",
            )
        con.print(rp)
        for r in result.replans.itertuples(index=False):
            text = f"{r.supplier} from {r.cut_year}: {r.message}"
            if r.relaxed:
                text += f"; relaxed: {r.relaxed}"
            con.print(text)
    for note in result.notes:
        con.print(f"note: {note}")


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))
