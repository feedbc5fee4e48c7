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

from planner.core.cuts import worst_case

if TYPE_CHECKING:  # pragma: no cover
    from planner.core.highs_backend import SolveOutcome
    from planner.core.prepare import Prepared

ALLOCATION_COLUMNS = [
    "period",
    "country",
    "provider",
    "operator",
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
    "existing",
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
    #: what a reader of the plan needs besides its tables: home, strategy, the jurisdiction
    #: and trust score behind each country, provider and chip used (``plan_context``)
    context: dict[str, Any] = field(default_factory=dict)
    #: the one worst N-1 cut (``planner.core.cuts.worst_case``): every face prints this
    worst_case: dict[str, Any] = field(default_factory=dict)
    #: the fixed plan priced and scored across futures (``planner.studies.ranges``): cost and
    #: index quantiles, misses, the input that moves the cost most; empty until attached
    ranges: dict[str, Any] = field(default_factory=dict)
    #: what the next solve of this scenario after an edit reuses (``planner.core.warm``):
    #: plain arrays, never printed or exported
    warm_start: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status in {"optimal", "feasible"}

    @property
    def cost(self) -> float | None:
        return self.kpis.get("total_cost_musd")

    def _headline(self) -> list[tuple[str, str]]:
        """The few facts a REPL or notebook shows: status, index, cost, where and who."""
        rows = [("status", self.status)]
        if not self.ok:
            rows.append(("message", self.message))
            return rows
        s = self.sovereignty
        rows.append(
            (
                "sovereignty",
                f"{s.get('index', 0.0):.3f} (territorial {s.get('territorial', 0.0):.3f}, "
                f"provider {s.get('provider', 0.0):.3f}, chip {s.get('chip', 0.0):.3f})",
            )
        )
        budget = self.context.get("budget_musd")
        cost = f"{self.cost or 0.0:,.0f} MUSD"
        rows.append(("cost", cost + (f" of a {budget:,.0f} MUSD budget" if budget else "")))
        if not self.allocation.empty:
            last = int(self.allocation["period"].max())
            final = self.allocation[self.allocation["period"] == last]
            total = float(final["counted_eflops"].sum()) or 1.0
            for col in ("country", "provider", "chip"):
                top = final.groupby(col)["counted_eflops"].sum().sort_values(ascending=False)
                top = top[top > 1e-9]
                rows.append(
                    (
                        f"{col} {last}",
                        ", ".join(f"{k} {v / total:.0%}" for k, v in top.head(4).items())
                        + (f" +{len(top) - 4}" if len(top) > 4 else ""),
                    )
                )
        if not self.limits.empty:
            binding = self.limits.loc[self.limits["binding"].astype(bool), "limit"].tolist()
            rows.append(("binding", ", ".join(binding) or "none"))
        return rows

    def __repr__(self) -> str:
        """A short summary (the tables stay one attribute away: ``plan.allocation``, ...)."""
        body = "; ".join(f"{k} {v}" for k, v in self._headline()[1:])
        return f"<Plan {self.scenario_name!r}: {self.status}{'; ' + body if body else ''}>"

    def _repr_html_(self) -> str:
        """The summary as a small HTML table (Jupyter's rich display)."""
        from html import escape

        cells = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>"
            f"{escape(str(v))}</td></tr>"
            for k, v in self._headline()
        )
        return (
            f"<div><b>Plan: {escape(self.scenario_name)}</b><table>{cells}</table>"
            "<small>tables: allocation, shares, resilience, limits; numbers: kpis</small></div>"
        )

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
                "worst_case": self.worst_case,
                "ranges": self.ranges,
                "limits": self.limits.to_dict(orient="records"),
                "message": self.message,
                "notes": self.notes,
                "diagnosis": self.diagnosis,
                "timings": self.timings,
                "model_size": self.model_size,
                "context": self.context,
            }
        )


def group_column(alloc: pd.DataFrame, by: str) -> str:
    """The allocation column a share by ``by`` groups on: a provider is its operator (under a
    bloc home each member state's public operator is its own provider), else ``by`` itself."""
    return "operator" if by == "provider" and "operator" in alloc.columns else by


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
    """One row per (period, country, provider, chip) with modules > 0, costs over the period.

    Costs follow the model's accounting (``models.objectives``) period by period: under the
    cash basis a module's capital is in the period it was bought; under the annualised basis
    each period carries the annual capital cost of every module in service, at the price of
    the period it was bought in (vintages tracked with a cumulative sum). Upkeep of owned
    modules is likewise priced at purchase; rent and existing systems' upkeep per period.
    The rows therefore sum to the model's total cost (with the fixed costs).
    """
    inp = prep.inputs
    sol = _solution_frame(prep, x)
    opt = inp.options
    sol = sol.sort_values(["option", "period"]).reset_index(drop=True)
    n_t = len(inp.periods)
    n_opt = len(opt)
    n2 = sol["modules"].to_numpy(float).reshape(n_opt, n_t)
    disc = np.array([inp.discount[t] for t in inp.periods])[None, :]
    served = np.asarray(inp.service_years, dtype=float)  # u[a,t]: years in service
    capex, opex = capex_opex(inp, n2, inp.cash, inp.annual_capital, inp.upkeep, inp.opex_by_period)
    o = opt.loc[sol["option"]].reset_index(drop=True)
    yrs = served.reshape(-1)
    dsc = disc.repeat(n_opt, axis=0).reshape(-1)
    n = n2.reshape(-1)
    existing = (
        o["existing_name"].fillna("").astype(str)
        if "existing_name" in o.columns
        else pd.Series("", index=o.index)
    )
    table = pd.DataFrame(
        {
            "period": sol["period"].astype(int),
            "country": o["country"],
            "provider": o["provider"],
            "operator": o["operator"] if "operator" in o.columns else o["provider"],
            "chip": o["chip"],
            "designer": o["designer"],
            "modules": n.astype(int),
            "accelerators": (n * o["accelerators"].to_numpy(float)).astype(int),
            "compute_eflops": n * o["compute"].to_numpy(float),
            "counted_eflops": sol["counted_eflops"].to_numpy(float),
            "power_mw": n * o["power_mw"].to_numpy(float),
            "capex_musd": capex.reshape(-1),
            "opex_musd": opex.reshape(-1),
            "energy_cost_musd": dsc * yrs * n * o["energy_cost"].to_numpy(float),
            "carbon_cost_musd": dsc * yrs * n * o["carbon_cost"].to_numpy(float),
            "energy_gwh": yrs * n * o["energy_gwh"].to_numpy(float),
            "emissions_kt": yrs * n * o["emissions_kt"].to_numpy(float),
            "existing": existing.to_numpy(),
        }
    )
    keep = (table["modules"] > 0) | (table["capex_musd"] > 0)
    table = table[keep].sort_values(["period", "country", "provider", "chip", "existing"])
    return table[ALLOCATION_COLUMNS].reset_index(drop=True)


def capex_opex(
    inp: Any,
    n2: np.ndarray,
    cash: np.ndarray,
    annual_capital: np.ndarray,
    upkeep: np.ndarray,
    opex_by_period: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Discounted capital and operating cost per (option, period) of module counts ``n2``
    under the given cost parts (the model's accounting, ``models.objectives``)."""
    n_opt = n2.shape[0]
    prev = np.concatenate([np.zeros((n_opt, 1)), n2[:, :-1]], axis=1)
    added = np.maximum(n2 - prev, 0.0)
    disc = np.array([inp.discount[t] for t in inp.periods])[None, :]
    years = np.array([inp.years[t] for t in inp.periods])[None, :]
    served = np.asarray(inp.service_years, dtype=float)
    in_service_capital = np.cumsum(added * annual_capital, axis=1)
    in_service_upkeep = np.cumsum(added * upkeep, axis=1)
    capex = disc * added * cash + disc * years * in_service_capital
    opex = disc * (years * in_service_upkeep + served * n2 * opex_by_period)
    return capex, opex


def chip_price_range(prep: Prepared, alloc: pd.DataFrame) -> tuple[float, float, float]:
    """(share X, cost at chip prices x (1 - X), cost at x (1 + X)) of the fixed plan.

    Re-prices the plan's own module counts with every chip's price scaled (hardware, the
    owner cost behind rent, existing systems' upkeep); no re-solve, so it states how much the
    cost hinges on the price assumptions, not what plan other prices would choose. Energy,
    sites, contracts, platforms and committed contracts keep their cost.
    """
    from planner.core.costs import cost_arrays

    inp, sc = prep.inputs, prep.scenario
    share = float(sc.economics.chip_price_range)
    if alloc.empty:
        return share, 0.0, 0.0
    keyed = with_options(prep, alloc, [])
    n2 = np.zeros((len(inp.options), len(inp.periods)))
    col = {t: i for i, t in enumerate(inp.periods)}
    for a, t, n in zip(keyed["option"], keyed["period"], keyed["modules"], strict=True):
        n2[int(a), col[int(t)]] = float(n)
    base = sum(
        x.sum()
        for x in capex_opex(inp, n2, inp.cash, inp.annual_capital, inp.upkeep, inp.opex_by_period)
    )
    out = []
    for factor in (1.0 - share, 1.0 + share):
        arr = cost_arrays(sc, inp.options, chip_price_factor=factor)
        cost = sum(
            x.sum()
            for x in capex_opex(
                inp, n2, arr["cash"], arr["annual_capital"], arr["upkeep"], arr["opex"]
            )
        )
        out.append(float(cost - base))
    return share, out[0], out[1]


def _cost_per_year(prep: Prepared, final: pd.DataFrame) -> float:
    """Cost of one year of the final period's fleet, undiscounted (MUSD/yr): the figure a
    ministry compares with an annual budget line. Meaningful under the annualised basis; under
    cash it includes the final period's purchases spread over its years."""
    inp = prep.inputs
    last = inp.periods[-1]
    per = inp.discount[last] * inp.years[last]
    cols = ["capex_musd", "opex_musd", "energy_cost_musd", "carbon_cost_musd"]
    return float(final[cols].to_numpy().sum() / per) if per > 0 else 0.0


def _fixed_costs(prep: Prepared, alloc: pd.DataFrame) -> dict[str, float]:
    """Site, onboarding and platform costs of what the plan buys or rents: existing systems
    need no new site, contract or platform (the model pays these on new options only)."""
    inp = prep.inputs
    new = alloc[(alloc["modules"] > 0) & (alloc["existing"].fillna("") == "")]
    used_k = sorted(set(new["country"]))
    used_p = sorted(set(new["operator"]))
    used_c = sorted(set(new["chip"]))
    return {
        "site_fixed_musd": float(inp.countries.loc[used_k, "site_fixed_cost"].sum()),
        "onboarding_musd": float(inp.providers.loc[used_p, "onboarding_cost"].sum()),
        "platform_musd": float(inp.chips.loc[used_c, "platform_cost"].sum()),
    }


def with_options(prep: Prepared, rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Allocation rows joined with their option's ``columns`` (and its id, ``option``).

    An option is (country, provider, chip) *and* whether it is an existing system: a public
    build of H100s and an H100 system already in service in the same country are two options,
    so the join keys include the allocation's ``existing`` name (empty for new options).
    """
    opt = prep.inputs.options
    names = (
        opt["existing_name"].fillna("").astype(str)
        if "existing_name" in opt.columns
        else pd.Series("", index=opt.index)
    )
    right = opt[["country", "provider", "chip", *columns]].assign(existing=names.to_numpy())
    right = right.rename_axis("option").reset_index()
    keys = ["country", "provider", "chip", "existing"]
    left = rows if "existing" in rows.columns else rows.assign(existing="")
    return left.merge(right, on=keys, how="left", validate="many_to_one")


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
    keyed = with_options(prep, base, [])
    keyed["home"] = keyed["country"].isin(prep.context.home).map({True: "home", False: "abroad"})
    frames = []
    for dim, column in (
        ("provider", "operator"),
        ("designer", "designer"),
        ("country", "country"),
        ("home", "home"),
    ):
        g = keyed.groupby(["period", column], as_index=False)[
            ["compute_eflops", "counted_eflops", "share"]
        ].sum()
        frames.append(g.rename(columns={column: "key"}).assign(dimension=dim))
    periods = pd.Index(sorted(keyed["period"].unique()), name="period")
    frames += _dependence_frames(keyed, periods, inp.foreign_jurisdictions, inp.by_dependency)
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


def _dependence_frames(
    keyed: pd.DataFrame, periods: pd.Index, foreign: list[str], depends: dict
) -> list[pd.DataFrame]:
    """Per foreign jurisdiction j and period: the compute, counted compute and share of the
    options depending on j (``depends``: j -> options, every layer), 0 where none, in
    ``foreign`` order, as one frame. One matrix product over (row, j) membership instead of a
    pandas filter and groupby per j (31 of them on the EU plan took 0.15 s), and one frame
    instead of one per j (31 small frames took 0.1 s more)."""
    values = ["compute_eflops", "counted_eflops", "share"]
    if not len(foreign):
        return []
    option = keyed["option"].to_numpy()
    member = np.column_stack([np.isin(option, list(depends.get(j, []))) for j in foreign])
    at = keyed["period"].to_numpy()[:, None] == periods.to_numpy()[None, :]
    data = keyed[values].to_numpy(float)
    # sums[j, t, v] = Σ_rows member[r, j] · at[r, t] · data[r, v]
    sums = np.einsum("rj,rt,rv->jtv", member.astype(float), at.astype(float), data)
    n_j, n_t = len(foreign), len(periods)
    frame = pd.DataFrame(
        {
            "period": np.tile(periods.to_numpy(), n_j),
            **{v: sums[:, :, k].reshape(-1) for k, v in enumerate(values)},
            "dimension": "foreign_jurisdiction",
            "key": np.repeat(np.asarray(list(foreign), dtype=object), n_t),
        }
    )
    return [frame]  # j-major, periods in order: the rows one frame per j gave


def resilience_table(prep: Prepared, alloc: pd.DataFrame) -> pd.DataFrame:
    """Share of each period's target kept if one foreign jurisdiction cuts the plan off at the
    start of that period (N-1; the rule is ``planner.core.cuts``: its territory and providers
    are lost at once, chips it designs or fabs keep running where installed before, minus
    failures)."""
    from planner.core.cuts import resilience_table as n_minus_1

    return n_minus_1(
        prep.scenario, prep.tables, alloc, list(prep.inputs.foreign_jurisdictions), prep.context
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


def installed_share(shares: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Each of ``rows`` (of ``shares_table``) as a share of its period's installed capacity
    X_t (``compute_eflops`` over the period's total, read from the provider rows, which
    partition the plan): what the share caps bound under ``limits.share_basis: installed``."""
    by_provider = shares[shares["dimension"] == "provider"]
    total = by_provider.groupby("period")["compute_eflops"].sum()
    x = rows["period"].map(total).astype(float)
    return (rows["compute_eflops"] / x.where(x > 0, 1.0)).fillna(0.0)


def limits_table(
    prep: Prepared,
    kpis: dict[str, Any],
    shares: pd.DataFrame,
    res: pd.DataFrame,
    rel_gap: float = 0.0,
) -> pd.DataFrame:
    """Each enforced limit, the plan's value against it, and whether it binds
    (within ``rel_gap``, the solve's relative tolerance; see ``is_binding``). A share cap's
    value is read on the basis it caps (``limits.share_basis``): counted compute over the
    target, or installed capacity over the period's total."""
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

    installed = inp.share_basis == "installed"

    def worst(dim: str, how: str = "max", basis_of_caps: bool = False) -> float:
        rows = shares[shares["dimension"] == dim]
        sel = installed_share(shares, rows) if basis_of_caps and installed else rows["share"]
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
        add(
            "max_share_provider",
            inp.max_share_provider,
            worst("provider", basis_of_caps=True),
            "max",
        )
    if inp.max_share_chip_designer is not None:
        add(
            "max_share_chip_designer",
            inp.max_share_chip_designer,
            worst("designer", basis_of_caps=True),
            "max",
        )
    if inp.max_share_foreign_jurisdiction is not None:
        add(
            "max_share_foreign_jurisdiction",
            inp.max_share_foreign_jurisdiction,
            worst("foreign_jurisdiction", basis_of_caps=True),
            "max",
        )
    if inp.min_home_share is not None:
        add("min_home_share", inp.min_home_share, worst("home", "min"), "min")
    if inp.min_providers:
        add("min_providers", inp.min_providers, kpis["providers_delivering"], "min")
    if inp.min_chip_designers:
        add("min_chip_designers", inp.min_chip_designers, kpis["chip_designers_delivering"], "min")
    if inp.resilience is not None and not res.empty:
        add("resilience", inp.resilience, float(res["kept_share_of_target"].min()), "min")
    if inp.max_share_country is not None:
        add("max_share_country", inp.max_share_country, worst("country", basis_of_caps=True), "max")
    if inp.min_countries:
        add("min_countries", inp.min_countries, kpis["countries_delivering"], "min")
    if inp.min_blocs:
        add("hedge_blocs", inp.min_blocs, kpis["blocs_delivering"], "min")
    return pd.DataFrame(rows, columns=["limit", "kind", "value", "actual", "slack", "binding"])


def delivering(prep: Prepared, final: pd.DataFrame, column: str) -> int:
    """Suppliers or sites (``provider``, ``designer`` or ``country``) that deliver at least one
    module's worth of the final period's counted compute: min(f_min, D_T), the quantity the
    minimum-count rules (min_providers, min_chip_designers, min_countries) bound. A supplier whose modules are held only for
    N-1 resilience is used (it is paid for) but does not deliver."""
    inp = prep.inputs
    if final.empty:
        return 0
    opts = (
        inp.options
        if column in inp.options.columns
        else inp.options.assign(**{column: inp.options["provider"]})
    )
    need = opts.groupby(column)["compute"].min().clip(upper=inp.target[inp.periods[-1]])
    counted = final.groupby(column)["counted_eflops"].sum()
    need = need.reindex(counted.index)
    return int((counted >= need * (1 - 1e-6) - 1e-9).sum())


def discounted_gwh(prep: Prepared, alloc: pd.DataFrame) -> float:
    """Σ_t δ_t·y_t·GWh: energy weighted like the discounted energy cost, so that
    energy_cost / discounted_gwh is the average price the max-average-price limit bounds."""
    inp = prep.inputs
    if alloc.empty:
        return 0.0
    return float((alloc["period"].map(inp.discount).astype(float) * alloc["energy_gwh"]).sum())


def _blocs_delivering(prep: Prepared, final: pd.DataFrame) -> int:
    """Foreign jurisdictions carrying one module's worth through options leaning on them alone."""
    inp = prep.inputs
    if final.empty or not inp.bloc_options:
        return 0
    keyed = with_options(prep, final, [])
    count = 0
    for idx in inp.bloc_options.values():
        if not idx:
            continue
        need = min(float(inp.options.loc[idx, "compute"].min()), inp.target[inp.periods[-1]])
        if keyed.loc[keyed["option"].isin(idx), "counted_eflops"].sum() >= need * (1 - 1e-6):
            count += 1
    return count


def removed_summary(prep: Prepared) -> str:
    """What eligibility rules (exclude/require) removed, as 'kind: codes; ...' ('' if none)."""
    removed = getattr(prep.context, "removed", {}) or {}
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in removed.items() if v)


def plan_context(prep: Prepared, alloc: pd.DataFrame) -> dict[str, Any]:
    """The scenario facts a plain-language reading needs, for the suppliers the plan uses."""
    inp, ctx, sc = prep.inputs, prep.context, prep.scenario
    used = alloc[alloc["modules"] > 0] if not alloc.empty else alloc
    keyed = with_options(prep, used, ["j_country", "j_provider", "j_chip", "j_fab"])

    def first(col: str, key: str) -> dict[str, str]:
        return {
            str(k): ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
            for k, v in keyed.groupby(key)[col].first().items()
        }

    return {
        "home": list(ctx.home),
        "home_jurisdictions": sorted(ctx.home_jurisdictions),
        "relationship_profile": ctx.profile,
        "profile_assumption": getattr(ctx, "assumption", ""),
        "foreign_jurisdictions": list(inp.foreign_jurisdictions),
        "scores": {j: float(v) for j, v in ctx.scores.items()},
        "strategy": sc.strategy,
        "budget_musd": inp.budget,
        "resilience_weight": inp.resilience_weight,
        "fab_dependency": bool(sc.constraints.fab_dependency),
        "country_jurisdiction": first("j_country", "country") if not keyed.empty else {},
        "provider_jurisdiction": first("j_provider", "provider") if not keyed.empty else {},
        "chip_jurisdiction": first("j_chip", "chip") if not keyed.empty else {},
        "chip_fab_jurisdiction": first("j_fab", "chip") if not keyed.empty else {},
        "excluded": dict(getattr(ctx, "removed", {}) or {}),
        "required_certifications": list(sc.require.certifications),
        "existing_systems": existing_systems(prep),
        "resilience_limit": inp.resilience,
        "share_basis": inp.share_basis,
        "tie_break": sc.solver.tie_break,
        "rented_providers": rented_providers(prep),
        "limits_on_additions": [
            name
            for name, on in (
                ("supply caps", hasattr(prep.model, "supply_cap")),
                ("the ramp limit", hasattr(prep.model, "ramp")),
                ("the average electricity price cap", inp.max_avg_electricity_price is not None),
            )
            if on
        ],
    }


def rented_providers(prep: Prepared) -> list[str]:
    """Providers (data codes) whose new options are rented: capacity paid per year in service,
    which a plan may stop renting between periods (``inp.shrinkable``)."""
    opt = prep.inputs.options
    if "owned" not in opt.columns:
        return []
    new = ~opt["existing"].astype(bool) if "existing" in opt.columns else True
    return sorted({str(p) for p in opt.loc[new & ~opt["owned"].astype(bool), "provider"]})


def existing_systems(prep: Prepared) -> dict[str, dict[str, Any]]:
    """Existing and committed systems by name: the periods they may serve, whether the plan
    may retire them and whether they are committed (for the reading's account of them)."""
    inp = prep.inputs
    opt = inp.options
    if "existing_name" not in opt.columns:
        return {}
    retirable = set(inp.retirable)
    out: dict[str, dict[str, Any]] = {}
    for a in inp.existing:
        serving = [t for t in inp.periods if inp.fixed_modules.get((a, t), 1.0) > 0]
        out[str(opt.at[a, "existing_name"])] = {
            "periods": serving,
            "retirable": a in retirable,
            "committed": bool(opt.at[a, "committed"]) if "committed" in opt.columns else False,
            "operator": str(opt.at[a, "operator"]) if "operator" in opt.columns else "",
            # a co-financed project the plan decides to join (``projects``), and its cost
            "project": a in set(inp.projects),
            "capital_musd": float(opt.at[a, "capital_musd"])
            if "capital_musd" in opt.columns and pd.notna(opt.at[a, "capital_musd"])
            else 0.0,
        }
    return out


#: Decimals kept of an index in [0, 1]: far below HiGHS's tolerances (1e-7 feasibility, the
#: MIP gap), far above float noise, so 0.8200000000000001 is stored as the 0.82 it is.
INDEX_DECIMALS = 9


def _meaningful(value: float) -> float:
    """An index value rounded to ``INDEX_DECIMALS`` (float noise removed, nothing else)."""
    return round(float(value), INDEX_DECIMALS)


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
            context=plan_context(prep, empty),
        )
    x = outcome.x
    h, m = prep.highs, prep.model
    alloc = allocation_table(prep, x)
    sov = {
        "index": _meaningful(h.evaluate(m.sovereignty_index.expr, x)),
        "territorial": _meaningful(h.evaluate(m.territorial.expr, x)),
        "provider": _meaningful(h.evaluate(m.provider.expr, x)),
        "chip": _meaningful(h.evaluate(m.chip.expr, x)),
    }
    if hasattr(m, "fab") and prep.inputs.weights[3] > 0:
        # the fourth layer is reported only when it is scored (DESIGN.md §4 lists three)
        sov["fab"] = _meaningful(h.evaluate(m.fab.expr, x))
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
    res = resilience_table(prep, alloc)
    worst = worst_case(res)
    weighted_gwh = discounted_gwh(prep, alloc)
    price_share, price_low, price_high = chip_price_range(prep, alloc)
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
        # discounted energy cost over discounted energy (Σδ·y·cost / Σδ·y·GWh): the quantity
        # max_avg_electricity_price_usd_per_mwh bounds; equals the plain average at rate 0
        "avg_electricity_price_usd_per_mwh": (energy * 1000.0 / weighted_gwh)
        if weighted_gwh > 0
        else 0.0,
        "compute_final_eflops": float(final["compute_eflops"].sum()),
        "target_final_eflops": prep.inputs.target[last],
        "accelerators_final": int(final["accelerators"].sum()),
        "power_final_mw": float(final["power_mw"].sum()),
        "countries_used": int(final.loc[final["modules"] > 0, "country"].nunique()),
        "countries_delivering": delivering(prep, final, "country"),
        "blocs_delivering": _blocs_delivering(prep, final),
        "excluded": removed_summary(prep),
        "providers_used": int(final.loc[final["modules"] > 0, "operator"].nunique()),
        "chip_platforms_used": int(final.loc[final["modules"] > 0, "chip"].nunique()),
        "chip_designers_used": int(final.loc[final["modules"] > 0, "designer"].nunique()),
        "providers_delivering": delivering(prep, final, "operator"),
        "chip_designers_delivering": delivering(prep, final, "designer"),
        "home_share_min": float(shares[shares["dimension"] == "home"]["share"].min()),
        "worst_case_n_minus_1_share": float(worst["kept_share"]),
        "total_cost_model_musd": h.evaluate(m.total_cost.expr, x),
        "chip_price_range_share": price_share,
        "total_cost_chip_price_low_musd": total + price_low,
        "total_cost_chip_price_high_musd": total + price_high,
        "cost_basis": sc.economics.cost_basis,
        "compute_basis": sc.economics.compute_basis,
        "discount_rate": sc.economics.discount_rate,
        "price_performance_trend": sc.economics.price_performance_trend,
        "horizon_start": prep.inputs.periods[0],
        "horizon_end": sc.horizon,
        "cost_per_year_final_musd": _cost_per_year(prep, final),
        "existing_final_eflops": float(final.loc[final["existing"] != "", "compute_eflops"].sum()),
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
        context=plan_context(prep, alloc),
        worst_case=worst,
    )
