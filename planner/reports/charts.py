"""Plotly figures shared by the CLI and the UI.

Pareto frontiers: ``frontier_figure`` (the efficient points, hover = the plan's mix, the knee
starred, structure changes ringed), ``mix_figure`` (stacked bars of the final-period mix along
the frontier) and ``pareto_html`` / ``pareto_png`` (both figures in one file).
Near-optimal alternatives: ``alternatives_figure`` (small multiples of the plans' mixes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.core.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from planner.studies.alternatives import AlternativesResult
    from planner.studies.pareto import ParetoResult

#: Okabe-Ito: categorical colours distinguishable with every common colour-vision deficiency
#: (shared by the CLI's plots and the web app).
OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]


def _label(name: str) -> str:
    from planner.studies.pareto import UNITS

    unit = UNITS.get(name, "")
    return f"{name} ({unit})" if unit else name


def _fmt(name: str, value: float) -> str:
    from planner.studies.pareto import UNITS

    return f"{value:,.0f}" if UNITS.get(name) in {"MUSD", "kt CO2e"} else f"{value:.3f}"


def _hover(result: ParetoResult) -> list[str]:
    t = result.table
    out = []
    for _, row in t.iterrows():
        lines = [f"<b>point {row['point']}</b>" + (" (knee)" if row["knee"] else "")]
        lines += [f"{n}: {_fmt(n, row[n])}" for n in result.names]
        lines += [
            f"providers: {row['providers']}",
            f"chips: {row['chips']}",
            f"countries: {row['countries']}",
        ]
        if row["structure_change"]:
            lines.append("<i>a provider or chip enters/leaves here</i>")
        if row["status"] != "optimal":
            lines.append(f"status: {row['status']}")
        out.append("<br>".join(lines))
    return out


def _frontier_traces(result: ParetoResult) -> list[go.Scatter]:
    t = result.table
    x, y = result.names[0], result.names[1]
    z = result.names[2] if len(result.names) > 2 else None
    marker = {"size": 9, "color": OKABE_ITO[0]}
    if z:
        marker = {
            "size": 9,
            "color": t[z],
            "colorscale": "Cividis",
            "colorbar": {"title": _label(z), "len": 0.45, "y": 0.78},
            "showscale": True,
        }
    traces = [
        go.Scatter(
            x=t[x],
            y=t[y],
            mode="markers" if z else "lines+markers",
            marker=marker,
            line={"shape": "hv", "width": 1} if not z else None,
            hovertext=_hover(result),
            hoverinfo="text",
            name="efficient plans",
        )
    ]
    change = t[t["structure_change"]]
    if not change.empty:
        traces.append(
            go.Scatter(
                x=change[x],
                y=change[y],
                mode="markers",
                marker={"size": 15, "symbol": "circle-open", "color": OKABE_ITO[2]},
                hoverinfo="skip",
                name="provider/chip enters or leaves",
            )
        )
    knee = t[t["knee"]]
    if not knee.empty:
        traces.append(
            go.Scatter(
                x=knee[x],
                y=knee[y],
                mode="markers",
                marker={"size": 18, "symbol": "star", "color": OKABE_ITO[5]},
                hovertext=[h for h, k in zip(_hover(result), t["knee"], strict=True) if k],
                hoverinfo="text",
                name="knee",
            )
        )
    return traces


def frontier_figure(result: ParetoResult) -> go.Figure:
    """The frontier: y against x (colour = z), hover shows each plan's mix."""
    fig = go.Figure(_frontier_traces(result))
    fig.update_layout(
        title=f"{result.scenario_name}: {result.names[1]} vs {result.names[0]}",
        xaxis_title=_label(result.names[0]),
        yaxis_title=_label(result.names[1]),
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _point_labels(result: ParetoResult) -> list[str]:
    x = result.names[0]
    return [
        f"#{int(p)} {_fmt(x, v)}"
        for p, v in zip(result.table["point"], result.table[x], strict=True)
    ]


def _mix_traces(result: ParetoResult, by: str) -> list[go.Bar]:
    mix = result.mix(by)
    labels = _point_labels(result)
    if mix.empty:
        return []
    wide = mix.pivot_table(index="point", columns=by, values="share", fill_value=0.0)
    wide = wide.reindex(range(len(labels)), fill_value=0.0)
    order = wide.sum().sort_values(ascending=False).index
    return [
        go.Bar(
            x=labels,
            y=wide[key] * 100.0,
            name=str(key),
            hovertemplate=f"{key}: %{{y:.0f}}%<extra></extra>",
        )
        for key in order
    ]


def mix_figure(result: ParetoResult, by: str = "provider") -> go.Figure:
    """Stacked bars: share of the final period's counted compute (of the target) by ``by`` at
    each frontier point (``ParetoResult.mix``)."""
    fig = go.Figure(_mix_traces(result, by))
    fig.update_layout(
        barmode="stack",
        title=f"Mix along the frontier ({by}, share of the final-period target)",
        colorway=OKABE_ITO,
        xaxis_title=f"frontier point ({_label(result.names[0])})",
        yaxis_title="share (%)",
        template="plotly_white",
    )
    return fig


def pareto_figure(result: ParetoResult, by: str = "provider") -> go.Figure:
    """Frontier above, the mix along it below: one figure (for PNG)."""
    fig = make_subplots(
        rows=2,
        cols=1,
        vertical_spacing=0.14,
        subplot_titles=(
            f"{result.names[1]} vs {result.names[0]}",
            f"final-period mix by {by}",
        ),
    )
    for tr in _frontier_traces(result):
        fig.add_trace(tr, row=1, col=1)
    for tr in _mix_traces(result, by):
        fig.add_trace(tr, row=2, col=1)
    fig.update_layout(
        barmode="stack",
        title=result.scenario_name,
        template="plotly_white",
        height=900,
        width=1000,
    )
    fig.update_xaxes(title_text=_label(result.names[0]), row=1, col=1)
    fig.update_yaxes(title_text=_label(result.names[1]), row=1, col=1)
    fig.update_yaxes(title_text="share (%)", row=2, col=1)
    return fig


def pareto_html(result: ParetoResult) -> str:
    """A standalone HTML page (plotly.js inlined, works offline) with both figures."""
    parts = [
        frontier_figure(result).to_html(full_html=False, include_plotlyjs=True),
        mix_figure(result, "provider").to_html(full_html=False, include_plotlyjs=False),
        mix_figure(result, "chip").to_html(full_html=False, include_plotlyjs=False),
    ]
    title = f"Pareto frontier: {result.scenario_name}"
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def pareto_png(result: ParetoResult) -> bytes:
    """The combined figure as PNG (needs kaleido and a Chrome/Chromium browser)."""
    try:
        return pareto_figure(result).to_image(format="png", scale=1)
    except Exception as exc:  # kaleido missing, or it cannot start a browser
        raise InputError(
            f"cannot write PNG ({type(exc).__name__}: {exc}); PNG export needs the kaleido "
            "package and a Chrome/Chromium browser. Write the plot as .html instead."
        ) from exc


# --- near-optimal alternatives ------------------------------------------------------------
#: Colour-blind-safe first, then more distinct colours for the many groups of a mix.
MANY_COLOURS = OKABE_ITO + ["#88CCEE", "#CC6677", "#DDCC77", "#117733", "#332288", "#AA4499",
                       "#44AA99", "#999933", "#882255", "#661100", "#6699CC", "#888888"]  # fmt: skip


def distinct_colours(n: int) -> list[str]:
    """``n`` colours, no two alike: ``MANY_COLOURS`` first, then plotly's Dark24 and Light24
    (a mix of many countries, providers and designers must not reuse a colour), and only
    past all of them evenly spaced hues."""
    import plotly.express as px

    pool: list[str] = []
    for c in MANY_COLOURS + px.colors.qualitative.Dark24 + px.colors.qualitative.Light24:
        if c.upper() not in {p.upper() for p in pool}:
            pool.append(c)
    if n > len(pool):
        pool += [f"hsl({int(360 * k / (n - len(pool)))}, 65%, 45%)" for k in range(n - len(pool))]
    return pool[:n]


def plan_label(result: AlternativesResult, i: int) -> str:
    """'#0 optimum' / '#2' with index and cost, the title of one small multiple."""
    row = result.table.loc[i]
    head = f"#{i} optimum" if i == 0 else f"#{i}"
    if pd.isna(row["sovereignty"]):
        return f"{head}: {row['status']}"
    return f"{head}<br>index {row['sovereignty']:.3f} · {row['cost_musd']:,.0f} MUSD"


def alternatives_figure(result: AlternativesResult) -> go.Figure:
    """Small multiples: one panel per plan, a stacked bar per dimension (countries, providers,
    chip designers) of final-period compute shares; a group keeps its colour in every panel."""
    from planner.studies.alternatives import DIMENSION_LABELS

    n = max(len(result), 1)
    fig = make_subplots(
        rows=1,
        cols=n,
        shared_yaxes=True,
        subplot_titles=[plan_label(result, i) for i in range(len(result))] or ["no plan"],
        horizontal_spacing=0.02,
    )
    groups: list[tuple[str, str]] = []
    for by in DIMENSION_LABELS:
        mix = result.mix(by)
        groups += [
            (by, key) for key in mix.groupby(by)["share"].sum().sort_values(ascending=False).index
        ]
    # one colour per group across countries, providers and designers: none repeats
    colours = dict(zip(groups, distinct_colours(len(groups)), strict=True))
    shown: set[tuple[str, str]] = set()
    for by, label in DIMENSION_LABELS.items():
        mix = result.mix(by)
        for (i, key), share in mix.set_index(["alternative", by])["share"].items():
            fig.add_trace(
                go.Bar(
                    x=[label],
                    y=[share * 100.0],
                    name=str(key),
                    legendgroup=f"{by}:{key}",
                    showlegend=(by, key) not in shown,
                    marker_color=colours[(by, key)],
                    text=str(key) if share >= 0.08 else "",
                    textposition="inside",
                    insidetextanchor="middle",
                    hovertemplate=f"#{i} {label}: {key} %{{y:.0f}}%<extra></extra>",
                ),
                row=1,
                col=int(i) + 1,
            )
            shown.add((by, key))
    fig.update_layout(
        barmode="stack",
        title=(
            f"{result.scenario_name}: plans within {result.slack:.0%} of the best "
            f"{result.objective} (metric: {result.metric}), final-period mix"
        ),
        template="plotly_white",
        height=460,
        margin={"t": 110},
        legend={"orientation": "h", "y": -0.15},
        uniformtext={"minsize": 8, "mode": "hide"},
    )
    fig.update_yaxes(title_text="share of final-period compute (%)", row=1, col=1)
    fig.update_yaxes(range=[0, 100])
    return fig
