"""A plan brief: one self-contained HTML page an adviser can forward or print to PDF.

``brief_html(plan, scenario, tables, alternatives=None)`` writes the question, the plan on a
map, the mix by layer, cost per period against the budget, the binding limits in words, the
worst supply cut and what survives it, and near-optimal alternatives. Everything is inline
(plotly.js from the installed plotly, the map's outlines, styles), so the page opens with no
network, and a print stylesheet keeps each section on one page when printed to PDF.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from planner.core.cuts import worst_case_sentence
from planner.core.results import Plan
from planner.reports.charts import OKABE_ITO, distinct_colours
from planner.reports.maps import MAP_CONFIG, world_map
from planner.reports.plan_reading import LIMIT_WORDS, read_plan
from planner.reports.ranges_text import range_line

#: print and screen styles: A4-friendly width, sections kept whole on a printed page
STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;
       max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem;
     border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
.lead { color: #444; } .warn { background: #fff4d6; border-left: 4px solid #e69f00;
       padding: .4rem .8rem; } .kpis { display: flex; flex-wrap: wrap; gap: .8rem; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .8rem; min-width: 9rem; }
.kpi b { display: block; font-size: 1.3rem; } table { border-collapse: collapse; width: 100%;
       font-size: .9rem; } th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .4rem;
       text-align: left; vertical-align: top; } td.num, th.num { text-align: right; }
section { break-inside: avoid; page-break-inside: avoid; } .small { font-size: .85rem;
       color: #555; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
       .plotly-graph-div { break-inside: avoid; } }
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _figure(fig: go.Figure, div_id: str, config: dict[str, Any] | None = None) -> str:
    """A figure as a div plus its script; plotly.js itself is inlined once per page."""
    cfg = {"displaylogo": False, "responsive": True, **(config or {})}
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=cfg)


def compute_by_country(plan: Plan, tables: Any, period: int | None = None) -> pd.DataFrame:
    """Compute, power and accelerators per country (ISO3) in a period (default: the last),
    named, for the map; the brief and the web app's map both read it, so they agree."""
    alloc = plan.allocation
    cols = ["iso3", "name", "compute_eflops", "power_mw", "accelerators"]
    if alloc.empty:
        return pd.DataFrame(columns=cols)
    period = int(alloc["period"].max()) if period is None else period
    sel = alloc[alloc["period"] == period]
    out = (
        sel.groupby("country", as_index=False)[["compute_eflops", "power_mw", "accelerators"]]
        .sum()
        .rename(columns={"country": "iso3"})
    )
    names = tables.countries.set_index("iso3")["name"]
    out["name"] = out["iso3"].map(names).fillna(out["iso3"])
    return out[out["compute_eflops"] > 0][cols].reset_index(drop=True)


def _mix_figure(plan: Plan) -> go.Figure:
    """Counted compute per period by provider, chip designer and country (each stacks to
    the period's target), one bar group per layer."""
    from plotly.subplots import make_subplots

    dims = [("country", "territory"), ("provider", "provider"), ("designer", "chip designer")]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[d[1] for d in dims], shared_yaxes=True)
    shares = plan.shares[plan.shares["counted_eflops"] > 1e-9]
    groups = [
        f"{dim}:{key}"
        for dim, _ in dims
        for key in shares.loc[shares["dimension"] == dim, "key"].drop_duplicates()
    ]
    colours = dict(zip(groups, distinct_colours(len(groups)), strict=True))  # none repeats
    for col, (dim, _) in enumerate(dims, start=1):
        sel = shares[shares["dimension"] == dim]
        for key, g in sel.groupby("key", sort=False):
            colour = colours[f"{dim}:{key}"]
            fig.add_trace(
                go.Bar(
                    x=g["period"].astype(str),
                    y=g["counted_eflops"],
                    name=str(key),
                    legendgroup=dim,
                    marker_color=colour,
                    customdata=g["share"],
                    hovertemplate=f"{_e(key)}: %{{y:.2f}} EFLOP/s (%{{customdata:.0%}})"
                    "<extra></extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_layout(
        barmode="stack",
        template="plotly_white",
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        yaxis_title="EFLOP/s counted",
    )
    return fig


def cost_by_period(plan: Plan) -> pd.DataFrame:
    """Cost of each period (discounted MUSD, as the budget counts it) and the running total."""
    alloc = plan.allocation
    cols = ["capex_musd", "opex_musd", "energy_cost_musd", "carbon_cost_musd"]
    per = alloc.groupby("period")[cols].sum()
    fixed = sum(
        float(plan.kpis.get(k, 0.0) or 0.0)
        for k in ("site_fixed_musd", "onboarding_musd", "platform_musd")
    )
    out = pd.DataFrame({"period": per.index.astype(int), "cost_musd": per.sum(axis=1).to_numpy()})
    if len(out):
        out.loc[0, "cost_musd"] += fixed  # fixed costs are paid when the plan starts
    out["cumulative_musd"] = out["cost_musd"].cumsum()
    return out


def _cost_figure(plan: Plan) -> go.Figure:
    table = cost_by_period(plan)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=table["period"].astype(str),
            y=table["cost_musd"],
            name="cost in the period",
            marker_color=OKABE_ITO[0],
        )
    )
    fig.add_trace(
        go.Scatter(
            x=table["period"].astype(str),
            y=table["cumulative_musd"],
            name="cumulative",
            mode="lines+markers",
            line={"color": OKABE_ITO[1]},
        )
    )
    budget = plan.context.get("budget_musd")
    if budget:
        fig.add_hline(
            y=float(budget),
            line_dash="dash",
            line_color="#cc3311",
            annotation_text=f"budget {float(budget):,.0f} MUSD",
        )
    fig.update_layout(
        template="plotly_white",
        height=320,
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
        yaxis_title="MUSD (discounted)",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _question(plan: Plan, scenario: Any) -> str:
    targets = ", ".join(f"{t}: {v:,.3g}" for t, v in scenario.target.items())
    budget = f"{scenario.budget:,.0f} MUSD" if scenario.budget is not None else "no budget cap"
    desc = (scenario.description or "").strip()
    assumed = plan.context.get("profile_assumption", "")
    parts = [
        f"<p class='lead'>{_e(desc)}</p>" if desc else "",
        "<p>How should <b>"
        + _e(", ".join(scenario.home))
        + "</b> obtain <b>"
        + _e(targets)
        + " EFLOP/s</b> of AI compute while staying as independent as it can, with "
        + _e(budget)
        + f" over {scenario.periods[0]}–{scenario.horizon} and strategy <b>"
        + _e(scenario.strategy)
        + "</b>?</p>",
        f"<p class='warn'>Assumed: {_e(assumed)}</p>" if assumed else "",
    ]
    return "".join(parts)


def _kpis(plan: Plan) -> str:
    s, k = plan.sovereignty, plan.kpis
    budget = plan.context.get("budget_musd")
    items = [
        ("Sovereignty index (0-1)", f"{s['index']:.3f}"),
        ("territory · provider · chip", f"{s['territorial']:.2f} · {s['provider']:.2f} · "
         f"{s['chip']:.2f}"),
        ("Total cost", f"{k['total_cost_musd']:,.0f} MUSD"),
        ("of the budget", f"{k['total_cost_musd'] / budget:.0%}" if budget else "no cap"),
        ("A year of the final fleet", f"{k['cost_per_year_final_musd']:,.0f} MUSD"),
        ("Worst single cut-off keeps", f"{k['worst_case_n_minus_1_share']:.0%}"),
    ]  # fmt: skip
    cost_range = (plan.ranges or {}).get("cost_musd")
    if cost_range:
        items.insert(
            3,
            (
                "Cost P10-P90 across futures",
                f"{cost_range['p10']:,.0f}-{cost_range['p90']:,.0f} MUSD",
            ),
        )
    cells = "".join(f"<div class='kpi'>{_e(a)}<b>{_e(b)}</b></div>" for a, b in items)
    return f"<div class='kpis'>{cells}</div>"


def _binding(plan: Plan) -> str:
    if plan.limits.empty or not plan.limits["binding"].any():
        return (
            "<p>No limit binds: the plan is where the index is highest, and among such plans "
            "the cheapest.</p>"
        )
    rows = []
    for r in plan.limits[plan.limits["binding"].astype(bool)].itertuples():
        words = LIMIT_WORDS.get(r.limit, r.limit)
        value = f"{r.value:,.0f} MUSD" if r.limit == "budget" else f"{r.value:g}"
        actual = f"{r.actual:,.0f} MUSD" if r.limit == "budget" else f"{r.actual:.3g}"
        rows.append(
            f"<li><b>{_e(words)}</b> ({_e(r.limit)} = {_e(value)}): the plan sits at "
            f"{_e(actual)}. Loosening it could raise the index or lower the cost.</li>"
        )
    return "<ul>" + "".join(rows) + "</ul>"


def _worst(plan: Plan) -> str:
    res = plan.resilience
    worst = plan.worst_case or {}
    if worst.get("period") is None:
        return "<p>The plan depends on no foreign jurisdiction: no single cut-off touches it.</p>"
    who = [str(j) for j in worst["jurisdictions"]]
    sentence = worst_case_sentence(worst)
    last = int(res["period"].max())
    final = res[res["period"] == last].sort_values("kept_share_of_target").head(6)
    rows = "".join(
        f"<tr><td>{_e(r.jurisdiction)}</td><td class='num'>{r.kept_eflops:,.2f}</td>"
        f"<td class='num'>{r.kept_share_of_target:.0%}</td></tr>"
        for r in final.itertuples()
    )
    survives = _survivors(plan, who)
    return (
        f"<p><b>{_e(sentence[0].upper() + sentence[1:])}</b> (the plan's one worst case, as "
        f"`sovplan solve` and `sovplan stress` state it: the territory and the providers "
        f"headquartered there are lost at once; chips it designs or makes keep running where "
        f"installed before the cut, minus failures). {survives}</p>"
        f"<table><tr><th>cut off ({last})</th><th class='num'>EFLOP/s kept</th>"
        f"<th class='num'>share of target</th></tr>{rows}</table>"
    )


def _survivors(plan: Plan, who: list[str]) -> str:
    """What survives the worst cut in the final period, from the plan's own context."""
    ctx = plan.context
    alloc = plan.allocation
    final = alloc[alloc["period"] == alloc["period"].max()]
    cut = set(who)

    def hit(row: Any) -> bool:
        return bool(
            {
                ctx.get("country_jurisdiction", {}).get(row.country),
                ctx.get("provider_jurisdiction", {}).get(row.provider),
                ctx.get("chip_jurisdiction", {}).get(row.chip),
                *(
                    [ctx.get("chip_fab_jurisdiction", {}).get(row.chip)]
                    if ctx.get("fab_dependency")
                    else []
                ),
            }
            & cut
        )

    kept = [r for r in final.itertuples() if r.counted_eflops > 1e-9 and not hit(r)]
    if not kept:
        return "Nothing the plan counts survives it."
    parts = [f"{r.provider} with {r.chip} in {r.country}" for r in kept[:4]]
    return "What survives: " + _e("; ".join(parts)) + ("; …" if len(kept) > 4 else "") + "."


def _alternatives(result: Any) -> str:
    if result is None:
        return (
            "<p class='small'>Not computed for this brief (`sovplan brief --alternatives 3` "
            "or `sovplan alternatives`).</p>"
        )
    if not getattr(result, "ok", False) or len(result.table) <= 1:
        notes = " ".join(getattr(result, "notes", []) or [])
        return f"<p>No distinct near-optimal alternative was found. {_e(notes)}</p>"
    t = result.table
    rows = []
    for r in t.itertuples():
        rows.append(
            f"<tr><td>{r.Index}</td><td class='num'>{r.sovereignty:.3f}</td>"
            f"<td class='num'>{r.cost_musd:,.0f}</td><td>{_e(r.countries)}</td>"
            f"<td>{_e(r.providers)}</td><td>{_e(r.designers)}</td><td>{_e(r.differs)}</td></tr>"
        )
    return (
        f"<p>Plans within {result.slack:.0%} of the best index, each as different as possible "
        "from the ones before (#0 is the plan above):</p><table><tr><th>#</th>"
        "<th class='num'>index</th><th class='num'>cost MUSD</th><th>countries</th>"
        "<th>providers</th><th>chip designers</th><th>how it differs</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def brief_html(
    plan: Plan, scenario: Any, tables: Any, alternatives: Any = None, title: str | None = None
) -> str:
    """The brief as one self-contained HTML page (see the module docstring)."""
    import plotly.offline

    name = title or plan.scenario_name
    when = _dt.date.today().isoformat()
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Plan brief: {_e(name)}</title><style>{STYLE}</style>"
        f"<script>{plotly.offline.get_plotlyjs()}</script></head><body>"
    )
    body = [f"<h1>Plan brief: {_e(name)}</h1>", f"<p class='small'>sovplan, {when}</p>"]
    body.append(f"<section><h2>The question</h2>{_question(plan, scenario)}</section>")
    if not plan.ok:
        summary = (plan.diagnosis or {}).get("summary") if isinstance(plan.diagnosis, dict) else ""
        body.append(
            "<section><h2>No plan</h2><p>"
            + _e(summary or plan.message or f"status {plan.status}")
            + "</p></section>"
        )
        return head + "".join(body) + "</body></html>"
    by_country = compute_by_country(plan, tables)
    last = int(plan.allocation["period"].max())
    body += [
        f"<section><h2>The answer</h2>{_kpis(plan)}<p>{_e(read_plan(plan, face='brief'))}</p>"
        + (f"<p class='small'>{_e(range_line(plan.ranges))}</p>" if plan.ranges else "")
        + "</section>",
        "<section><h2>Where the compute sits</h2>"
        + _figure(world_map(by_country, last), "brief-map", MAP_CONFIG)
        + "</section>",
        "<section><h2>The mix by layer</h2><p class='small'>Counted compute per period: "
        "whose soil, whose provider, whose chips.</p>"
        + _figure(_mix_figure(plan), "brief-mix")
        + "</section>",
        "<section><h2>Cost against the budget</h2><p class='small'>Discounted MUSD per "
        "period, as the budget counts it; the line is the running total.</p>"
        + _figure(_cost_figure(plan), "brief-cost")
        + "</section>",
        f"<section><h2>What binds</h2>{_binding(plan)}</section>",
        f"<section><h2>The worst supply cut</h2>{_worst(plan)}</section>",
        f"<section><h2>Alternatives</h2>{_alternatives(alternatives)}</section>",
        "<section><h2>About these numbers</h2><p class='small'>"
        + _e(
            f"Costs {plan.kpis.get('cost_basis', '')} basis, {plan.kpis.get('horizon_start')}"
            f"–{plan.kpis.get('horizon_end')}, discounted at "
            f"{float(plan.kpis.get('discount_rate', 0.0)):.1%}; compute in "
            f"{plan.kpis.get('compute_basis', '')} EFLOP/s. Status {plan.status}. "
            "Every data figure's source: data/SOURCES.md of the planner."
        )
        + "</p></section>",
    ]
    return head + "".join(body) + "</body></html>"


def plan_from_json(text: str) -> Plan:
    """A Plan read back from ``sovplan solve --out plan.json`` (``Plan.to_dict``)."""
    d = json.loads(text)
    frames = {
        k: pd.DataFrame(d.get(k) or []) for k in ("allocation", "shares", "resilience", "limits")
    }
    if "binding" in frames["limits"]:
        frames["limits"]["binding"] = frames["limits"]["binding"].astype(bool)
    return Plan(
        scenario_name=d.get("scenario", ""),
        status=d.get("status", "unknown"),
        objective_name=d.get("objective_name", "sovereignty"),
        objective=d.get("objective"),
        gap=d.get("gap"),
        bound=d.get("bound"),
        sovereignty=d.get("sovereignty") or {},
        kpis=d.get("kpis") or {},
        message=d.get("message", ""),
        notes=d.get("notes") or [],
        diagnosis=d.get("diagnosis"),
        context=d.get("context") or {},
        ranges=d.get("ranges") or {},
        **frames,
    )
