"""Supply shocks: how much of the target a plan keeps if one supplier cuts it off.

``stress(scenario, plan=None, replan=False) -> StressResult``. Three kinds of supplier:

- a **jurisdiction** other than the home's: cut off in every layer at once, i.e. every module
  on its territory, run by a provider headquartered there, on a chip it controls, or (unless
  ``constraints.fab_dependency`` is off) on a chip whose die its foundries make is lost: so
  ``--cut TWN`` is "Taiwan's fabs stop";
- a **provider**: every module it runs is lost;
- a **chip designer**: every module on its accelerators is lost.

For each supplier the plan depends on and each period, ``cuts`` gives the compute lost and
kept and ``kept_share`` = min(1, kept / target): the share of the period's target that still
runs (capacity built beyond the target can absorb a loss, hence the cap). Suppliers the plan
does not use keep 100% and are not listed, unless named in ``cut`` (only those are then
reported; an unknown name is an input error).

With ``replan=True`` each shock is also re-planned: the scenario is solved again with the
supplier removed (its countries, providers or chips taken out of the candidate lists) and
every surviving module of the plan kept as a lower bound (hardware already bought stays),
and ``replans`` reports the re-plan's status, sovereignty index, cost and extra cost over
the original plan (the re-plan's cost counts the surviving modules again, so the two costs
compare like for like).

``plan`` may be a ``Plan``, the dict ``Plan.to_dict()`` returns, or the path of a plan.json
written by ``sovplan solve --out``; without one, the scenario is solved first.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.core import deadline as clock
from planner.core.deadline import check_time_limit
from planner.core.eligibility import chip_fab_jurisdictions
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
    "status",
    "sovereignty_index",
    "total_cost_musd",
    "extra_cost_musd",
    "kept_modules",
    "message",
]


@dataclass
class StressResult:
    """Per supplier and period: compute kept after a cut-off; optionally each re-plan."""

    scenario_name: str
    plan_cost_musd: float | None
    cuts: pd.DataFrame
    replans: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

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
        def records(df: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if df is None:
                return None
            out = []
            for rec in df.to_dict(orient="records"):
                out.append(
                    {
                        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in rec.items()
                    }
                )
            return out

        return {
            "scenario": self.scenario_name,
            "plan_cost_musd": self.plan_cost_musd,
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


def read_plan(plan: Any) -> tuple[pd.DataFrame, float | None, str]:
    """Allocation frame, cost and status from a Plan, its dict, or a plan.json path.

    A file is read like every input (a regular file of bounded size: a FIFO is refused, not
    waited on) and each row is checked before use, so a hand-edited plan gives a message
    naming the file, the row and the field, never a TypeError from deep inside."""
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
    if hasattr(plan, "allocation") and hasattr(plan, "status"):
        return plan.allocation.copy(), plan.cost, str(plan.status)
    if not isinstance(plan, dict):
        raise InputError(f"{source}: expected a plan (the JSON `sovplan solve --out` writes)")
    rows = plan.get("allocation")
    if not isinstance(rows, list):
        raise InputError(f"{source}: field 'allocation' missing or not a list")
    for i, row in enumerate(rows):
        _check_row(row, i, source)
    alloc = pd.DataFrame(rows, columns=list(_PLAN_FIELDS) + ["designer"])
    alloc["period"] = alloc["period"].astype(float).astype(int)
    cost = _number(plan.get("cost"))
    status = plan.get("status", "unknown")
    if not isinstance(status, str):
        raise InputError(f"{source}: field 'status': expected text, got {type(status).__name__}")
    return alloc, cost, status


# --- the shocks ---------------------------------------------------------------------------


def _suppliers(sc: Scenario, tables: Any, alloc: pd.DataFrame, source: str) -> pd.DataFrame:
    """The allocation with each row's jurisdictions (country, provider, chip) and designer."""
    from planner.core.home import layer_jurisdictions, resolve_home

    ctx = resolve_home(sc, tables)
    cty = tables.countries.set_index("iso3")
    prov = tables.providers.set_index("code")
    chp = tables.chips.set_index("code")
    for col, index, file in (
        ("country", cty.index, "countries.csv"),
        ("provider", prov.index, "providers.csv"),
        ("chip", chp.index, "chips.csv"),
    ):
        unknown = sorted(set(alloc[col]) - set(index))
        if unknown:
            raise InputError(
                f"{source}: allocation uses {col}(s) {unknown} that are not in the scenario's "
                f"{file}; was the plan solved with other data?"
            )
    a = alloc.copy()
    a["designer"] = a["chip"].map(chp["designer"])
    # the same rule as the model's dependence groups (planner.core.home.layer_jurisdictions):
    # a home layer depends on nothing, every other layer on its (foreign) jurisdiction
    dep = layer_jurisdictions(a["country"], a["provider"], a["chip"], tables, ctx)
    a[["j_country", "j_provider", "j_chip"]] = dep
    fabs = chip_fab_jurisdictions(tables.chips) if sc.constraints.fab_dependency else {}
    a["j_fab"] = a["chip"].map(lambda c: ";".join(fabs.get(c, [])))
    a.attrs["home_jurisdictions"] = set(ctx.home_jurisdictions)
    a.attrs["home"] = set(ctx.home)
    return a


def _depends_on(a: pd.DataFrame, j: str) -> pd.Series:
    """Rows that jurisdiction j can cut: its territory, providers, chips or foundries."""
    fab = a["j_fab"].map(lambda v: j in str(v).split(";")) if "j_fab" in a else False
    return (a["j_country"] == j) | (a["j_provider"] == j) | (a["j_chip"] == j) | fab


def _shocks(a: pd.DataFrame, only: list[tuple[str, str]] | None = None):
    """(kind, supplier, mask of the allocation rows lost); ``only``: just these suppliers."""
    if only is not None:
        masks = {
            "jurisdiction": _depends_on,
            "provider": lambda a, p: a["provider"] == p,
            "designer": lambda a, d: a["designer"] == d,
        }
        return [(kind, name, masks[kind](a, name)) for kind, name in only]
    home = a.attrs.get("home_jurisdictions", set())
    used = a[a["modules"] > 0]
    out: list[tuple[str, str, pd.Series]] = []
    fab_j = {j for v in used["j_fab"] for j in str(v).split(";") if j} if "j_fab" in a else set()
    juris = sorted(
        ({j for col in ("j_country", "j_provider", "j_chip") for j in used[col].dropna()} | fab_j)
        - home
    )
    for j in juris:
        out.append(("jurisdiction", j, _depends_on(a, j)))
    for p in sorted(set(used["provider"])):
        out.append(("provider", p, a["provider"] == p))
    for d in sorted(set(used["designer"].dropna())):
        out.append(("designer", d, a["designer"] == d))
    return out


def cut_table(
    a: pd.DataFrame, target: dict[int, float], only: list[tuple[str, str]] | None = None
) -> pd.DataFrame:
    """Compute lost and kept per shock and period."""
    rows = []
    total = a.groupby("period")["compute_eflops"].sum()
    for kind, supplier, lost_mask in _shocks(a, only):
        lost = a[lost_mask].groupby("period")["compute_eflops"].sum()
        for t in sorted(target):
            d = float(target[t])
            have = float(total.get(t, 0.0))
            gone = float(lost.get(t, 0.0))
            kept = have - gone
            rows.append(
                {
                    "kind": kind,
                    "supplier": supplier,
                    "period": int(t),
                    "target_eflops": d,
                    "compute_eflops": have,
                    "lost_eflops": gone,
                    "kept_eflops": kept,
                    "kept_share": min(1.0, kept / d) if d > 0 else 1.0,
                }
            )
    return pd.DataFrame(rows, columns=CUT_COLUMNS)


def _without(
    sc: Scenario, tables: Any, kind: str, supplier: str, home: set[str] | None = None
) -> Scenario:
    """The scenario with one supplier removed from the candidate lists.

    A cut-off jurisdiction takes its non-home countries, the providers headquartered in them
    and the chips it controls; home countries and home-headquartered providers stay (for home
    FRA, losing the EU keeps France), as in the model's dependence groups."""
    home = home or set()
    cty = tables.countries
    prov = tables.providers
    chp = tables.chips
    countries = list(sc.countries) if sc.countries is not None else list(cty["iso3"])
    providers = list(sc.providers) if sc.providers is not None else list(prov["code"])
    chips = list(sc.chips) if sc.chips is not None else list(chp["code"])
    jur_of = dict(zip(cty["iso3"], cty["jurisdiction"], strict=True))
    if kind == "jurisdiction":
        countries = [k for k in countries if k in home or jur_of.get(k) != supplier]
        hq = dict(zip(prov["code"], prov["hq_iso3"], strict=True))
        providers = [
            p for p in providers if hq.get(p, "*") in home or jur_of.get(hq.get(p, "*")) != supplier
        ]
        chip_j = dict(zip(chp["code"], chp["jurisdiction"], strict=True))
        fab_j = chip_fab_jurisdictions(chp) if sc.constraints.fab_dependency else {}
        chips = [c for c in chips if chip_j.get(c) != supplier and supplier not in fab_j.get(c, [])]
    elif kind == "provider":
        providers = [p for p in providers if p != supplier]
    else:
        designer = dict(zip(chp["code"], chp["designer"], strict=True))
        chips = [c for c in chips if designer.get(c) != supplier]
    return sc.model_copy(update={"countries": countries, "providers": providers, "chips": chips})


def _replan(
    sc: Scenario,
    tables: Any,
    a: pd.DataFrame,
    kind: str,
    supplier: str,
    lost_mask: pd.Series,
    plan_cost: float | None,
    time_limit: float | None,
) -> dict[str, Any]:
    from planner.core.prepare import prepare
    from planner.core.results import make_plan
    from planner.core.solve import optimise

    row: dict[str, Any] = {"kind": kind, "supplier": supplier}
    shocked = _without(sc, tables, kind, supplier, a.attrs.get("home"))
    try:
        prep = prepare(shocked, tables=tables)
    except InputError as exc:
        return {**row, "status": "no_option", "kept_modules": 0, "message": str(exc)}
    opt = prep.inputs.options
    index = {
        (k, p, c): i
        for i, (k, p, c) in enumerate(
            zip(opt["country"], opt["provider"], opt["chip"], strict=True)
        )
    }
    h = prep.highs
    kept = 0
    dropped = 0
    for r in a[~lost_mask & (a["modules"] > 0)].itertuples(index=False):
        i = index.get((r.country, r.provider, r.chip))
        var = prep.model.n[i, int(r.period)] if i is not None else None
        col = h.col_of.get(id(var)) if var is not None else None
        if col is None:
            dropped += 1
            continue
        ub = float(opt.at[i, "max_modules"])
        lb = min(float(r.modules), ub)
        h.h.changeColBounds(col, lb, ub)
        kept += int(lb)
    outcome, _ = optimise(prep, time_limit=time_limit)
    plan = make_plan(prep, outcome, "sovereignty")
    cost = plan.cost if plan.ok else None
    note = ""
    if plan.status == "infeasible":
        note = "no re-plan meets the scenario's limits with the surviving capacity kept"
    elif not plan.ok:
        note = plan.message
    if dropped:
        note = (note + "; " if note else "") + (
            f"{dropped} surviving allocation row(s) are no longer options and were not kept"
        )
    return {
        **row,
        "status": plan.status,
        "sovereignty_index": plan.sovereignty.get("index") if plan.ok else None,
        "total_cost_musd": cost,
        "extra_cost_musd": (cost - plan_cost)
        if cost is not None and plan_cost is not None
        else None,
        "kept_modules": kept,
        "message": note,
    }


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


def _not_replanned(kind: str, supplier: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "supplier": supplier,
        "status": "time_limit_no_solution",
        "message": "the time limit ran out before this re-plan",
    }


def stress(
    scenario: Scenario | str | Path,
    plan: Any = None,
    replan: bool = False,
    time_limit: float | None = None,
    tables: Any = None,
    cut: list[str] | None = None,
    time_limit_per_solve: float | None = None,
) -> StressResult:
    """Share of each period's target kept if one supplier cuts the plan off (see module doc).

    ``cut``: only these suppliers (jurisdiction codes, provider codes or designers), reported
    even if the plan does not use them (then 100% is kept). ``time_limit``: seconds for the
    whole study, shared out across its solves (the plan's, then each re-plan's, each an
    equal part of what is left); a re-plan the time limit leaves no time for is reported
    ``time_limit_no_solution``. ``time_limit_per_solve``: a bound on each solve as well.
    """
    time_limit = check_time_limit(time_limit, "time_limit")
    per_solve = check_time_limit(time_limit_per_solve, "time_limit_per_solve")
    with clock.scope(time_limit):
        return _stress(scenario, plan, replan, per_solve, tables, cut)


def _stress(
    scenario: Scenario | str | Path,
    plan: Any,
    replan: bool,
    per_solve: float | None,
    tables: Any,
    cut: list[str] | None,
) -> StressResult:
    """``stress`` inside its deadline."""
    from planner.core.data import load_tables

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    tables = tables if tables is not None else load_tables(sc.data)
    only = resolve_cuts(tables, list(cut)) if cut else None
    notes: list[str] = []
    source = str(plan) if isinstance(plan, str | Path) else "<plan>"
    if plan is None:
        from planner.studies.diagnose import solve_and_diagnose as solve

        # the re-plans are not known before the plan: it takes at most half when there are any
        parts = 2 if replan else 1
        plan = solve(sc, time_limit=clock.lesser(per_solve, clock.share(parts)), tables=tables)
        if not plan.ok:
            raise InputError(
                f"scenario '{sc.name}' has no plan to stress (status {plan.status}): "
                + str((plan.diagnosis or {}).get("summary", plan.message))
            )
    alloc, cost, status = read_plan(plan)
    if status not in ("optimal", "feasible"):
        raise InputError(f"{source}: the plan's status is '{status}'; there is nothing to stress")
    periods = set(int(p) for p in alloc["period"])
    unknown = sorted(periods - set(sc.periods))
    if unknown:
        raise InputError(
            f"{source}: the plan has period(s) {unknown} that the scenario does not "
            f"({sc.periods}); stress a plan with the scenario it was solved for"
        )
    a = _suppliers(sc, tables, alloc, source)
    target = {int(t): float(v) for t, v in sc.target.items()}
    cuts = cut_table(a, target, only)
    replans = None
    if replan:
        shocks = _shocks(a, only)
        rows = []
        for i, (kind, supplier, mask) in enumerate(shocks):
            limit = clock.lesser(per_solve, clock.share(len(shocks) - i))
            if limit is not None and limit <= 0.05:
                rows.append(_not_replanned(kind, supplier))
                continue
            try:
                rows.append(_replan(sc, tables, a, kind, supplier, mask, cost, limit))
            except clock.TimeLimitReached:  # the deadline passed while the model was built
                rows.append(_not_replanned(kind, supplier))
        if any(r["status"] == "time_limit_no_solution" for r in rows):
            notes.append("the time limit ran out before every re-plan was solved")
        replans = pd.DataFrame(rows, columns=REPLAN_COLUMNS)
    return StressResult(sc.name, cost, cuts, replans, notes)


def print_stress(result: StressResult, console: Any = None) -> None:
    """Terminal report: per supplier, the share of the target kept in each period."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    cuts = result.cuts
    if cuts.empty:
        con.print(f"{result.scenario_name}: the plan has no capacity; nothing to stress")
        return
    periods = sorted(cuts["period"].unique())
    table = Table(title=f"{result.scenario_name}: share of the target kept after a cut-off")
    table.add_column("supplier")
    table.add_column("kind")
    for t in periods:
        table.add_column(str(t), justify="right")
    if result.replans is not None:
        table.add_column("re-plan", justify="left")
        table.add_column("re-plan index", justify="right")
        table.add_column("extra cost (MUSD)", justify="right")
        rp = result.replans.set_index(["kind", "supplier"])
    worst = result.worst()
    for w in worst.itertuples(index=False):
        sel = cuts[(cuts["kind"] == w.kind) & (cuts["supplier"] == w.supplier)]
        shares = dict(zip(sel["period"], sel["kept_share"], strict=True))
        cells = [f"{shares[t]:.0%}" if t in shares else "" for t in periods]
        if result.replans is not None:
            r = rp.loc[(w.kind, w.supplier)]
            extra = r["extra_cost_musd"]
            index = r["sovereignty_index"]
            cells += [
                str(r["status"]),
                f"{index:.3f}" if isinstance(index, float) and math.isfinite(index) else "-",
                f"{extra:+,.0f}" if isinstance(extra, float) and math.isfinite(extra) else "-",
            ]
        table.add_row(w.supplier, w.kind, *cells)
    con.print(table)
    first = worst.iloc[0]
    con.print(
        f"Worst case: losing {first['supplier']} ({first['kind']}) keeps "
        f"{first['worst_kept_share']:.0%} of the {int(first['period'])} target."
    )
    for note in result.notes:
        con.print(f"note: {note}")
