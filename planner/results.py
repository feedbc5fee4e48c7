"""Plan: tidy pandas tables and KPIs read from a solved model.

Results are computed from the solution vector with vectorised pandas (no Python loop over
options) and from the same per-module coefficients the model used, so every number in a
plan can be recomputed from its allocation table by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from planner.highs_backend import SolveOutcome
    from planner.solve import Prepared

ALLOCATION_COLUMNS = [
    "period",
    "country",
    "provider",
    "chip",
    "designer",
    "modules",
    "accelerators",
    "compute_eflops",
    "counted_eflops",
    "power_mw",
    "capex_musd",
    "opex_musd",
    "energy_cost_musd",
    "carbon_cost_musd",
    "energy_gwh",
    "emissions_kt",
]


@dataclass
class Plan:
    """The answer to a scenario: status, sovereignty, allocation and KPIs."""

    scenario_name: str
    status: str
    objective_name: str
    objective: float | None
    gap: float | None
    bound: float | None
    sovereignty: dict[str, float]
    allocation: pd.DataFrame
    kpis: dict[str, Any]
    shares: pd.DataFrame
    resilience: pd.DataFrame
    limits: pd.DataFrame
    message: str = ""
    notes: list[str] = field(default_factory=list)
    diagnosis: Any = None
    timings: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in {"optimal", "feasible"}

    @property
    def cost(self) -> float | None:
        return self.kpis.get("total_cost_musd")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: status, objective, sovereignty, cost, allocation, kpis, ..."""

        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [clean(v) for v in value]
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return value

        return clean(
            {
                "scenario": self.scenario_name,
                "status": self.status,
                "objective_name": self.objective_name,
                "objective": self.objective,
                "gap": self.gap,
                "bound": self.bound,
                "sovereignty": self.sovereignty,
                "cost": self.cost,
                "allocation": self.allocation.to_dict(orient="records"),
                "kpis": self.kpis,
                "shares": self.shares.to_dict(orient="records"),
                "resilience": self.resilience.to_dict(orient="records"),
                "limits": self.limits.to_dict(orient="records"),
                "message": self.message,
                "notes": self.notes,
                "diagnosis": self.diagnosis,
                "timings": self.timings,
                "model_size": self.model_size,
            }
        )


def _solution_frame(prep: Prepared, x: np.ndarray) -> pd.DataFrame:
    """n[a,t] and q[a,t] for every option and period, as a long frame."""
    m, h = prep.model, prep.highs
    keys = list(m.n.keys())
    n_cols = np.fromiter(
        (h.col_of.get(id(m.n[k]), -1) for k in keys), dtype=np.int64, count=len(keys)
    )
    q_cols = np.fromiter(
        (h.col_of.get(id(m.q[k]), -1) for k in keys), dtype=np.int64, count=len(keys)
    )
    xx = np.append(x, 0.0)  # index -1 -> 0 for variables HiGHS never saw
    frame = pd.DataFrame(keys, columns=["option", "period"])
    frame["modules"] = np.rint(xx[n_cols])
    frame["counted_eflops"] = np.maximum(xx[q_cols], 0.0)
    return frame


def allocation_table(prep: Prepared, x: np.ndarray) -> pd.DataFrame:
    """One row per (period, country, provider, chip) with modules > 0, costs over the period."""
    inp = prep.inputs
    sol = _solution_frame(prep, x)
    opt = inp.options
    sol = sol.sort_values(["option", "period"]).reset_index(drop=True)
    prev = sol.groupby("option")["modules"].shift(1, fill_value=0.0)
    sol["added"] = np.maximum(sol["modules"] - prev, 0.0)
    o = opt.loc[sol["option"]].reset_index(drop=True)
    years = sol["period"].map(inp.years).to_numpy(float)
    disc = sol["period"].map(inp.discount).to_numpy(float)
    n = sol["modules"].to_numpy(float)
    table = pd.DataFrame(
        {
            "period": sol["period"].astype(int),
            "country": o["country"],
            "provider": o["provider"],
            "chip": o["chip"],
            "designer": o["designer"],
            "modules": n.astype(int),
            "accelerators": (n * inp.module_size).astype(int),
            "compute_eflops": n * o["compute"].to_numpy(float),
            "counted_eflops": sol["counted_eflops"].to_numpy(float),
            "power_mw": n * o["power_mw"].to_numpy(float),
            "capex_musd": disc * sol["added"].to_numpy(float) * o["capex"].to_numpy(float),
            "opex_musd": disc * years * n * o["opex"].to_numpy(float),
            "energy_cost_musd": disc * years * n * o["energy_cost"].to_numpy(float),
            "carbon_cost_musd": disc * years * n * o["carbon_cost"].to_numpy(float),
            "energy_gwh": years * n * o["energy_gwh"].to_numpy(float),
            "emissions_kt": years * n * o["emissions_kt"].to_numpy(float),
        }
    )
    keep = (table["modules"] > 0) | (table["capex_musd"] > 0)
    table = table[keep].sort_values(["period", "country", "provider", "chip"])
    return table[ALLOCATION_COLUMNS].reset_index(drop=True)


def _fixed_costs(prep: Prepared, alloc: pd.DataFrame) -> dict[str, float]:
    inp = prep.inputs
    used_k = sorted(set(alloc.loc[alloc["modules"] > 0, "country"]))
    used_p = sorted(set(alloc.loc[alloc["modules"] > 0, "provider"]))
    used_c = sorted(set(alloc.loc[alloc["modules"] > 0, "chip"]))
    return {
        "site_fixed_musd": float(inp.countries.loc[used_k, "site_fixed_cost"].sum()),
        "onboarding_musd": float(inp.providers.loc[used_p, "onboarding_cost"].sum()),
        "platform_musd": float(inp.chips.loc[used_c, "platform_cost"].sum()),
    }


def shares_table(prep: Prepared, alloc: pd.DataFrame) -> pd.DataFrame:
    """Shares of each period's counted compute (Σ = target) by provider, designer, country,
    foreign jurisdiction (dependence in any layer) and home soil: the quantities the
    diversification limits bound. ``compute_eflops`` is the built capacity behind them."""
    inp = prep.inputs
    cols = ["period", "dimension", "key", "compute_eflops", "counted_eflops", "share"]
    if alloc.empty:
        return pd.DataFrame(columns=cols)
    target = alloc["period"].map(inp.target).astype(float)
    base = alloc.assign(share=alloc["counted_eflops"] / target.where(target > 0, 1.0))
    keyed = base.merge(
        inp.options[["country", "provider", "chip", "j_country", "j_provider", "j_chip"]],
        on=["country", "provider", "chip"],
        how="left",
    )
    keyed["home"] = keyed["country"].isin(prep.context.home).map({True: "home", False: "abroad"})
    frames = []
    for dim, column in (
        ("provider", "provider"),
        ("designer", "designer"),
        ("country", "country"),
        ("home", "home"),
    ):
        g = keyed.groupby(["period", column], as_index=False)[
            ["compute_eflops", "counted_eflops", "share"]
        ].sum()
        frames.append(g.rename(columns={column: "key"}).assign(dimension=dim))
    periods = pd.Index(sorted(keyed["period"].unique()), name="period")
    for j in inp.foreign_jurisdictions:
        mask = (keyed["j_country"] == j) | (keyed["j_provider"] == j) | (keyed["j_chip"] == j)
        g = (
            keyed[mask]
            .groupby("period")[["compute_eflops", "counted_eflops", "share"]]
            .sum()
            .reindex(periods, fill_value=0.0)
            .reset_index()
        )
        frames.append(g.assign(dimension="foreign_jurisdiction", key=j))
    out = pd.concat(frames, ignore_index=True)[cols]
    home_rows = out[(out["dimension"] == "home")]
    missing = [
        {
            "period": t,
            "dimension": "home",
            "key": "home",
            "compute_eflops": 0.0,
            "counted_eflops": 0.0,
            "share": 0.0,
        }
        for t in periods
        if not ((home_rows["period"] == t) & (home_rows["key"] == "home")).any()
    ]
    if missing:
        out = pd.concat([out, pd.DataFrame(missing)], ignore_index=True)
    out = out[~((out["dimension"] == "home") & (out["key"] == "abroad"))]
    return out.sort_values(
        ["period", "dimension", "share"], ascending=[True, True, False]
    ).reset_index(drop=True)


def resilience_table(prep: Prepared, shares: pd.DataFrame) -> pd.DataFrame:
    """Share of each period's target kept if one foreign jurisdiction cuts off (N-1)."""
    inp = prep.inputs
    rows = []
    for t in inp.periods:
        target = inp.target[t]
        total = float(
            shares[(shares["period"] == t) & (shares["dimension"] == "provider")][
                "compute_eflops"
            ].sum()
        )
        for j in inp.foreign_jurisdictions:
            sel = shares[
                (shares["period"] == t)
                & (shares["dimension"] == "foreign_jurisdiction")
                & (shares["key"] == j)
            ]
            dep = float(sel["compute_eflops"].sum())
            kept = total - dep
            rows.append(
                {
                    "period": t,
                    "jurisdiction": j,
                    "kept_eflops": kept,
                    # keeping more than the target is keeping all of it
                    "kept_share_of_target": min(1.0, kept / target) if target > 0 else 1.0,
                }
            )
    return pd.DataFrame(
        rows, columns=["period", "jurisdiction", "kept_eflops", "kept_share_of_target"]
    )


#: Relative slack below which a limit binds whatever the solver's gaps (numerical noise).
BINDING_FLOOR = 1e-6


def binding_tolerance(limit: float, rel_gap: float = 0.0) -> float:
    """Slack up to which a limit counts as binding: ``max(gap, floor) * max(1, |limit|)``.

    HiGHS stops once the plan is within its relative MIP gap of the best bound (and the cost
    tie-break within its own gap), so a slack of that relative size is one the solve cannot
    tell from zero: with modules of fixed size a budget of 6,000 spent to 5,996 is binding.
    Relative to the limit so it means the same for MUSD budgets and 0-1 shares (a floor of 1
    keeps shares and counts on an absolute scale).
    """
    return max(rel_gap, BINDING_FLOOR) * max(1.0, abs(limit))


def same_within_gap(a: float, b: float, rel_gap: float = 0.0) -> bool:
    """Whether two solved values are indistinguishable at a solve's relative tolerance
    (e.g. the sovereignty index of two sweep runs: 0.819999 and 0.82 are the same answer)."""
    return abs(a - b) <= max(rel_gap, BINDING_FLOOR) * max(1.0, abs(a), abs(b))


def is_binding(limit: float, actual: float, kind: str, rel_gap: float = 0.0) -> bool:
    """Whether a ``max`` or ``min`` limit binds: its slack is within the tolerance, or the
    plan is past it by no more than that (the CLI, the API and the app all ask this)."""
    slack = (limit - actual) if kind == "max" else (actual - limit)
    return bool(abs(slack) <= binding_tolerance(limit, rel_gap))


def solve_tolerance(prep: Prepared, achieved_gap: float | None = None) -> float:
    """The relative tolerance of a solve: the larger of the MIP gap asked for, the gap
    reached (a plan stopped at its time limit), and the cost tie-break's gap."""
    solver = prep.scenario.solver
    gaps = [solver.mip_gap, achieved_gap or 0.0]
    if solver.tie_break == "lexicographic":
        gaps.append(solver.tie_break_gap)
    return float(max(g for g in gaps if g is not None and math.isfinite(g)))


def limits_table(
    prep: Prepared,
    kpis: dict[str, Any],
    shares: pd.DataFrame,
    res: pd.DataFrame,
    rel_gap: float = 0.0,
) -> pd.DataFrame:
    """Each enforced limit, the plan's value against it, and whether it binds
    (within ``rel_gap``, the solve's relative tolerance; see ``is_binding``)."""
    inp = prep.inputs
    rows: list[dict[str, Any]] = []

    def add(name: str, limit: float, actual: float, kind: str) -> None:
        slack = (limit - actual) if kind == "max" else (actual - limit)
        rows.append(
            {
                "limit": name,
                "kind": kind,
                "value": limit,
                "actual": actual,
                "slack": slack,
                "binding": is_binding(limit, actual, kind, rel_gap),
            }
        )

    def worst(dim: str, how: str = "max") -> float:
        sel = shares[shares["dimension"] == dim]["share"]
        if sel.empty:
            return 0.0
        return float(sel.max() if how == "max" else sel.min())

    if inp.budget is not None:
        add("budget", inp.budget, kpis["total_cost_musd"], "max")
    if inp.energy_cost_cap is not None:
        add("energy_cost_cap", inp.energy_cost_cap, kpis["energy_cost_musd"], "max")
    if inp.emissions_cap is not None:
        add("emissions_cap_kt", inp.emissions_cap, kpis["emissions_kt"], "max")
    if inp.max_avg_electricity_price is not None:
        add(
            "max_avg_electricity_price_usd_per_mwh",
            inp.max_avg_electricity_price,
            kpis["avg_electricity_price_usd_per_mwh"],
            "max",
        )
    if inp.max_share_provider is not None:
        add("max_share_provider", inp.max_share_provider, worst("provider"), "max")
    if inp.max_share_chip_designer is not None:
        add("max_share_chip_designer", inp.max_share_chip_designer, worst("designer"), "max")
    if inp.max_share_foreign_jurisdiction is not None:
        add(
            "max_share_foreign_jurisdiction",
            inp.max_share_foreign_jurisdiction,
            worst("foreign_jurisdiction"),
            "max",
        )
    if inp.min_home_share is not None:
        add("min_home_share", inp.min_home_share, worst("home", "min"), "min")
    if inp.min_providers:
        add("min_providers", inp.min_providers, kpis["providers_used"], "min")
    if inp.min_chip_designers:
        add("min_chip_designers", inp.min_chip_designers, kpis["chip_designers_used"], "min")
    if inp.resilience is not None and not res.empty:
        add("resilience", inp.resilience, float(res["kept_share_of_target"].min()), "min")
    return pd.DataFrame(rows, columns=["limit", "kind", "value", "actual", "slack", "binding"])


def make_plan(prep: Prepared, outcome: SolveOutcome, objective: str) -> Plan:
    """Turn a solver outcome into a Plan (an empty one when there is no solution)."""
    sc = prep.scenario
    notes = list(prep.inputs.notes)
    empty = pd.DataFrame(columns=ALLOCATION_COLUMNS)
    if outcome.x is None:
        return Plan(
            scenario_name=sc.name,
            status=outcome.status,
            objective_name=objective,
            objective=None,
            gap=None,
            bound=outcome.bound,
            sovereignty={},
            allocation=empty,
            kpis={},
            shares=pd.DataFrame(
                columns=["period", "dimension", "key", "compute_eflops", "counted_eflops", "share"]
            ),
            resilience=pd.DataFrame(
                columns=["period", "jurisdiction", "kept_eflops", "kept_share_of_target"]
            ),
            limits=pd.DataFrame(columns=["limit", "kind", "value", "actual", "slack", "binding"]),
            message=outcome.message,
            notes=notes,
        )
    x = outcome.x
    h, m = prep.highs, prep.model
    alloc = allocation_table(prep, x)
    sov = {
        "index": h.evaluate(m.sovereignty.expr, x),
        "territorial": h.evaluate(m.territorial.expr, x),
        "provider": h.evaluate(m.provider.expr, x),
        "chip": h.evaluate(m.chip.expr, x),
    }
    fixed = _fixed_costs(prep, alloc)
    capex = float(alloc["capex_musd"].sum())
    opex = float(alloc["opex_musd"].sum())
    energy = float(alloc["energy_cost_musd"].sum())
    carbon = float(alloc["carbon_cost_musd"].sum())
    gwh = float(alloc["energy_gwh"].sum())
    total = capex + opex + energy + carbon + sum(fixed.values())
    last = prep.inputs.periods[-1]
    final = alloc[alloc["period"] == last]
    shares = shares_table(prep, alloc)
    res = resilience_table(prep, shares)
    undiscounted_energy = float((alloc["energy_cost_musd"]).sum())
    kpis: dict[str, Any] = {
        "sovereignty_index": sov["index"],
        "total_cost_musd": total,
        "capex_musd": capex,
        "opex_musd": opex,
        "energy_cost_musd": energy,
        "carbon_cost_musd": carbon,
        **fixed,
        "energy_gwh": gwh,
        "emissions_kt": float(alloc["emissions_kt"].sum()),
        "avg_electricity_price_usd_per_mwh": (undiscounted_energy * 1000.0 / gwh)
        if gwh > 0
        else 0.0,
        "compute_final_eflops": float(final["compute_eflops"].sum()),
        "target_final_eflops": prep.inputs.target[last],
        "accelerators_final": int(final["accelerators"].sum()),
        "power_final_mw": float(final["power_mw"].sum()),
        "countries_used": int(final.loc[final["modules"] > 0, "country"].nunique()),
        "providers_used": int(final.loc[final["modules"] > 0, "provider"].nunique()),
        "chip_platforms_used": int(final.loc[final["modules"] > 0, "chip"].nunique()),
        "chip_designers_used": int(final.loc[final["modules"] > 0, "designer"].nunique()),
        "home_share_min": float(shares[shares["dimension"] == "home"]["share"].min()),
        "worst_case_n_minus_1_share": float(res["kept_share_of_target"].min())
        if not res.empty
        else 1.0,
        "total_cost_model_musd": h.evaluate(m.total_cost.expr, x),
        "cost_tie_break_gap": outcome.tie_break_gap,
    }
    limits = limits_table(prep, kpis, shares, res, solve_tolerance(prep, outcome.gap))
    return Plan(
        scenario_name=sc.name,
        status=outcome.status,
        objective_name=objective,
        objective=outcome.objective,
        gap=outcome.gap,
        bound=outcome.bound,
        sovereignty=sov,
        allocation=alloc,
        kpis=kpis,
        shares=shares,
        resilience=res,
        limits=limits,
        message=outcome.message,
        notes=notes,
    )
