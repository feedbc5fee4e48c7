"""Supply shocks: how much of the target a plan keeps if one supplier cuts it off.

``stress(scenario, plan=None, replan=False) -> StressResult``. Three kinds of supplier:

- a **jurisdiction** other than the home's: cut off in every layer at once, i.e. every module
  on its territory, run by a provider headquartered there, or on a chip it controls is lost;
- a **provider**: every module it runs is lost;
- a **chip designer**: every module on its accelerators is lost.

For each supplier the plan depends on and each period, ``cuts`` gives the compute lost and
kept and ``kept_share`` = min(1, kept / target): the share of the period's target that still
runs (capacity built beyond the target can absorb a loss, hence the cap). Suppliers the plan
does not use keep 100% and are not listed.

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

from planner.errors import InputError
from planner.scenario import Scenario, load_scenario

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


def read_plan(plan: Any) -> tuple[pd.DataFrame, float | None, str]:
    """Allocation frame, cost and status from a Plan, its dict, or a plan.json path."""
    source = "<plan>"
    if isinstance(plan, str | Path):
        path = Path(plan)
        source = str(path)
        if not path.is_file():
            raise InputError(f"{path}: no such plan file (write one with `sovplan solve --out`)")
        try:
            plan = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not a readable plan JSON ({exc})") from exc
    if hasattr(plan, "allocation") and hasattr(plan, "status"):
        return plan.allocation.copy(), plan.cost, str(plan.status)
    if not isinstance(plan, dict):
        raise InputError(f"{source}: expected a plan (the JSON `sovplan solve --out` writes)")
    rows = plan.get("allocation")
    if not isinstance(rows, list):
        raise InputError(f"{source}: field 'allocation' missing or not a list")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError(f"{source}: allocation[{i}] is not a mapping")
        missing = [f for f in _PLAN_FIELDS if f not in row]
        if missing:
            raise InputError(f"{source}: allocation[{i}] lacks field(s) {missing}")
        for f in ("period", "modules", "compute_eflops"):
            v = row[f]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise InputError(f"{source}: allocation[{i}].{f}: {v!r} is not a finite number")
            if v < 0:
                raise InputError(f"{source}: allocation[{i}].{f}: {v!r} is negative")
    alloc = pd.DataFrame(rows, columns=list(_PLAN_FIELDS) + ["designer"])
    cost = plan.get("cost")
    cost = float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None
    return alloc, cost, str(plan.get("status", "unknown"))


# --- the shocks ---------------------------------------------------------------------------


def _suppliers(sc: Scenario, tables: Any, alloc: pd.DataFrame, source: str) -> pd.DataFrame:
    """The allocation with each row's jurisdictions (country, provider, chip) and designer."""
    from planner.inputs import resolve_home

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
    a["j_country"] = a["country"].map(cty["jurisdiction"])
    hq = a["provider"].map(prov["hq_iso3"])
    a["j_provider"] = hq.map(lambda h: None if h == "*" else cty.at[h, "jurisdiction"])
    a["j_chip"] = a["chip"].map(chp["jurisdiction"])
    a.attrs["home_jurisdictions"] = set(ctx.home_jurisdictions)
    return a


def _shocks(a: pd.DataFrame) -> list[tuple[str, str, pd.Series]]:
    """(kind, supplier, mask of the allocation rows lost)."""
    home = a.attrs.get("home_jurisdictions", set())
    used = a[a["modules"] > 0]
    out: list[tuple[str, str, pd.Series]] = []
    juris = sorted(
        {j for col in ("j_country", "j_provider", "j_chip") for j in used[col].dropna()} - home
    )
    for j in juris:
        out.append(
            ("jurisdiction", j, (a["j_country"] == j) | (a["j_provider"] == j) | (a["j_chip"] == j))
        )
    for p in sorted(set(used["provider"])):
        out.append(("provider", p, a["provider"] == p))
    for d in sorted(set(used["designer"].dropna())):
        out.append(("designer", d, a["designer"] == d))
    return out


def cut_table(a: pd.DataFrame, target: dict[int, float]) -> pd.DataFrame:
    """Compute lost and kept per shock and period."""
    rows = []
    total = a.groupby("period")["compute_eflops"].sum()
    for kind, supplier, lost_mask in _shocks(a):
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


def _without(sc: Scenario, tables: Any, kind: str, supplier: str) -> Scenario:
    """The scenario with one supplier removed from the candidate lists."""
    cty = tables.countries
    prov = tables.providers
    chp = tables.chips
    countries = list(sc.countries) if sc.countries is not None else list(cty["iso3"])
    providers = list(sc.providers) if sc.providers is not None else list(prov["code"])
    chips = list(sc.chips) if sc.chips is not None else list(chp["code"])
    jur_of = dict(zip(cty["iso3"], cty["jurisdiction"], strict=True))
    if kind == "jurisdiction":
        countries = [k for k in countries if jur_of.get(k) != supplier]
        hq = dict(zip(prov["code"], prov["hq_iso3"], strict=True))
        providers = [p for p in providers if jur_of.get(hq.get(p, "*")) != supplier]
        chip_j = dict(zip(chp["code"], chp["jurisdiction"], strict=True))
        chips = [c for c in chips if chip_j.get(c) != supplier]
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
    from planner.results import make_plan
    from planner.solve import optimise, prepare

    row: dict[str, Any] = {"kind": kind, "supplier": supplier}
    shocked = _without(sc, tables, kind, supplier)
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


def stress(
    scenario: Scenario | str | Path,
    plan: Any = None,
    replan: bool = False,
    time_limit: float | None = None,
    tables: Any = None,
) -> StressResult:
    """Share of each period's target kept if one supplier cuts the plan off (see module doc)."""
    from planner.data import load_tables

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    tables = tables if tables is not None else load_tables(sc.data)
    notes: list[str] = []
    source = str(plan) if isinstance(plan, str | Path) else "<plan>"
    if plan is None:
        from planner.solve import solve

        plan = solve(sc, time_limit=time_limit, tables=tables)
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
    cuts = cut_table(a, target)
    replans = None
    if replan:
        rows = [
            _replan(sc, tables, a, kind, supplier, mask, cost, time_limit)
            for kind, supplier, mask in _shocks(a)
        ]
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
