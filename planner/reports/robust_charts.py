"""Tables, words and the fan chart of a robust study (``planner.studies.robust``) for the web
app's Uncertainty section.

The terminal report (``robust_report``) prints the same numbers as rich tables; this module
gives them as frames and a Plotly figure, so the app only draws and both faces read one
``RobustResult``. Nothing here re-solves: every number comes from the result, the per-period
paths from its per-future plans (``RobustResult.plans``, one ``Plan`` per future, in the order
of ``RobustResult.futures``).

Why no index over periods: a plan reports one sovereignty index for its whole horizon (the
demand-weighted mean over periods, ``models.objectives``), not one per period, so the fan
chart follows what a plan does give per period, delivered compute and spend, and the index
is drawn per future beside them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.reports.charts import OKABE_ITO
from planner.studies.robust import RobustResult, weighted_quantile

#: cost columns of a plan's allocation paid per period (the fixed costs of sites, providers
#: and chip platforms are totals of the plan, not per period, so they are not in the paths)
SPEND_COLUMNS = ("capex_musd", "opex_musd", "energy_cost_musd", "carbon_cost_musd")

#: the per-future table's columns: result column -> label with unit
FUTURE_COLUMNS = {
    "future": "future",
    "probability": "probability",
    "index": "sovereignty index (0-1)",
    "cost_musd": "total cost (MUSD)",
    "worst_kept_share": "worst N-1 kept share (0-1)",
    "own_optimum_index": "own optimum index (known in advance)",
    "deterministic_first_stage_index": "index with the deterministic commitments",
    "cut": "supply cut",
    "overrides": "overrides",
}

#: the here-and-now table's columns: result column -> label with unit
FIRST_STAGE_COLUMNS = {
    "period": "period",
    "country": "country",
    "provider": "provider",
    "chip": "chip",
    "delivery": "owned or rented",
    "existing": "existing system",
    "modules": "modules",
    "compute_eflops": "compute (EFLOP/s)",
    "expected_capex_musd": "capital, expected (MUSD)",
    "expected_opex_musd": "running cost, expected (MUSD)",
}


def _finite(v: Any) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(float(v))


def first_stage_table(result: RobustResult) -> pd.DataFrame:
    """What to commit now (the same in every future), with labelled columns."""
    fs = result.first_stage
    cols = [c for c in FIRST_STAGE_COLUMNS if c in fs.columns]
    return fs[cols].rename(columns=FIRST_STAGE_COLUMNS).reset_index(drop=True)


def futures_table(result: RobustResult) -> pd.DataFrame:
    """One row per future: probability, index, cost, kept share and the comparisons."""
    fut = result.futures
    cols = [c for c in FUTURE_COLUMNS if c in fut.columns]
    return fut[cols].rename(columns=FUTURE_COLUMNS).reset_index(drop=True)


def distribution_table(result: RobustResult) -> pd.DataFrame:
    """Index, cost and kept share across the futures (expected, P10/P50/P90, min, max),
    each row formatted in its own unit (a column mixes an index and MUSD, so one rounding
    per column would show the index as 1)."""
    dist = result.distribution
    if dist.empty:
        return pd.DataFrame()
    stats = ["expected", "p10", "p50", "p90", "min", "max"]
    rows = []
    for r in dist.to_dict(orient="records"):
        measure = str(r["measure"])
        fmt = "{:,.0f}" if "MUSD" in measure else ("{:.0%}" if "share" in measure else "{:.3f}")
        row = {"measure": measure}
        for s in stats:
            row[s.upper() if s.startswith("p") else s] = (
                fmt.format(r[s]) if _finite(r.get(s)) else "-"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def regret_table(result: RobustResult) -> pd.DataFrame:
    """Each first stage (rows: deterministic, robust, each future's own) in each future
    (columns): its index there and, in brackets, the regret against that future's own
    optimum; 'cannot' where those commitments cannot be completed in that future, 'no plan'
    where the first stage itself was not found (its future has no plan of its own)."""
    rg = result.regret
    if rg.empty:
        return pd.DataFrame()
    names = list(dict.fromkeys(rg["future"]))
    rows = []
    for label, grp in rg.groupby("first_stage", sort=False):
        row: dict[str, Any] = {"first stage": str(label)}
        for name in names:
            hit = grp[grp["future"] == name]
            r = hit.iloc[0] if len(hit) else None
            if r is None or str(r.get("status")) == "no plan":
                row[name] = "no plan"  # that future's own plan was not found
            elif not _finite(r["index"]):
                row[name] = "cannot"
            else:
                regret = f"{r['regret']:.3f}" if _finite(r["regret"]) else "-"
                row[name] = f"{r['index']:.3f} (regret {regret})"
        rows.append(row)
    return pd.DataFrame(rows, columns=["first stage", *names])


def value_sentences(result: RobustResult) -> list[str]:
    """The value of the stochastic solution and of perfect information, in words."""
    out = []
    if result.vss is not None and result.eev is not None and result.robust_objective is not None:
        gain = result.vss
        if abs(gain) < 5e-5:
            out.append(
                f"Value of the stochastic solution (VSS): {gain:+.4f}. Planning the first "
                "periods for every future gains nothing over committing to the deterministic "
                f"plan's first periods and adapting later (both score {result.eev:.4f})."
            )
        else:
            out.append(
                f"Value of the stochastic solution (VSS): {gain:+.4f} index points. Committing "
                "now to the robust plan instead of the deterministic plan's first periods "
                f"(then adapting in each future) moves the {result.objective} index from "
                f"{result.eev:.4f} to {result.robust_objective:.4f}."
            )
    elif (
        result.ok
        and result.saa is None
        and result.deterministic.get("status")
        in (
            "optimal",
            "feasible",
        )
    ):
        out.append(
            "Value of the stochastic solution: not a number; the deterministic plan's first "
            "periods cannot be completed within the limits in every future, so the hedge is "
            "what keeps a plan feasible."
        )
    if result.evpi is not None and result.wait_and_see is not None:
        if abs(result.evpi) < 5e-5:
            out.append(
                f"Expected value of perfect information (EVPI): {result.evpi:.4f}. Knowing "
                "which future comes before committing would not raise the index: the "
                "here-and-now plan already does as well as each future's own optimum."
            )
        else:
            out.append(
                f"Expected value of perfect information (EVPI): {result.evpi:.4f} index "
                "points. Knowing which future comes before committing would raise the "
                f"{result.objective} index from {result.robust_objective:.4f} to "
                f"{result.wait_and_see:.4f}; that is the most a forecast is worth here."
            )
    return out


def period_paths(result: RobustResult) -> pd.DataFrame:
    """Per future and period: delivered compute (EFLOP/s, counted towards the target) and
    spend (MUSD, capital + running + energy + carbon paid in the period, and cumulated)."""
    cols = ["future", "probability", "period", "delivered_eflops", "spend_musd",
            "cumulative_spend_musd"]  # fmt: skip
    rows = []
    names = list(result.futures.get("future", []))
    probs = list(result.futures.get("probability", []))
    for name, p, plan in zip(names, probs, result.plans, strict=False):
        alloc = plan.allocation
        if alloc.empty:
            continue
        spend_cols = [c for c in SPEND_COLUMNS if c in alloc.columns]
        by = alloc.groupby("period")
        delivered = by["counted_eflops"].sum()
        spend = by[spend_cols].sum().sum(axis=1)
        total = 0.0
        for period in sorted(delivered.index):
            total += float(spend.get(period, 0.0))
            rows.append(
                {
                    "future": str(name),
                    "probability": float(p),
                    "period": int(period),
                    "delivered_eflops": float(delivered[period]),
                    "spend_musd": float(spend.get(period, 0.0)),
                    "cumulative_spend_musd": total,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def fan_table(paths: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per period, the probability-weighted P10, P50 and P90 of ``measure`` across futures,
    with its smallest and largest value."""
    rows = []
    for period, grp in paths.groupby("period", sort=True):
        vals = [float(v) for v in grp[measure]]
        p = [float(v) for v in grp["probability"]]
        rows.append(
            {
                "period": int(period),
                "p10": weighted_quantile(vals, p, 0.1),
                "p50": weighted_quantile(vals, p, 0.5),
                "p90": weighted_quantile(vals, p, 0.9),
                "min": min(vals),
                "max": max(vals),
            }
        )
    return pd.DataFrame(rows, columns=["period", "p10", "p50", "p90", "min", "max"])


def _fan(fig: go.Figure, paths: pd.DataFrame, measure: str, col: int, first: bool) -> None:
    band = fan_table(paths, measure)
    x = list(band["period"])
    for upper, lower, alpha, name, group in (
        ("max", "min", 0.10, "range across futures", "range"),
        ("p90", "p10", 0.25, "P10-P90 (by probability)", "p1090"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=list(band[upper]) + list(band[lower])[::-1],
                fill="toself",
                fillcolor=f"rgba(0,114,178,{alpha:.2f})",
                line={"width": 0},
                hoverinfo="skip",
                name=name,
                legendgroup=group,
                showlegend=first,
            ),
            row=1,
            col=col,
        )
    for i, (name, grp) in enumerate(paths.groupby("future", sort=False)):
        p = float(grp["probability"].iloc[0])
        fig.add_trace(
            go.Scatter(
                x=list(grp["period"]),
                y=list(grp[measure]),
                mode="lines+markers",
                line={"color": OKABE_ITO[(i + 1) % len(OKABE_ITO)], "width": 1 + 3 * p},
                name=f"{name} (p {p:.2f})",
                legendgroup=f"future:{name}",
                showlegend=first,
            ),
            row=1,
            col=col,
        )


def fan_figure(result: RobustResult) -> go.Figure:
    """Fan chart across futures: delivered compute and cumulative spend over periods (band =
    range, darker band = P10-P90 by probability, one line per future, thicker when more
    likely), and each future's index."""
    paths = period_paths(result)
    fig = make_subplots(
        rows=1,
        cols=3,
        column_widths=[0.38, 0.38, 0.24],
        subplot_titles=(
            "Delivered compute (EFLOP/s)",
            "Cumulative spend (MUSD, without fixed costs)",
            "Sovereignty index by future",
        ),
    )
    if not paths.empty:
        _fan(fig, paths, "delivered_eflops", 1, True)
        _fan(fig, paths, "cumulative_spend_musd", 2, False)
    fut = result.futures
    if "index" in fut.columns and len(fut):
        names = [str(n) for n in fut["future"]]
        fig.add_trace(
            go.Bar(
                x=names,
                y=[float(v) if _finite(v) else None for v in fut["index"]],
                marker={"color": [OKABE_ITO[(i + 1) % len(OKABE_ITO)] for i in range(len(names))]},
                text=[f"p {float(p):.2f}" for p in fut["probability"]],
                name="index",
                showlegend=False,
            ),
            row=1,
            col=3,
        )
        fig.update_yaxes(range=[0, 1], row=1, col=3)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text="period", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text="period", dtick=1, row=1, col=2)
    fig.update_layout(
        height=420,
        margin={"t": 60, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        title=f"{result.scenario_name}: across {len(fut)} futures",
    )
    return fig


__all__ = [
    "distribution_table",
    "fan_figure",
    "fan_table",
    "first_stage_table",
    "futures_table",
    "period_paths",
    "regret_table",
    "value_sentences",
]
