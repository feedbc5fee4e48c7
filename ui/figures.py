"""Plotly figures of a plan for the web app, in a colour-blind-safe palette.

Data shaping lives in ``ui.support`` (testable without plotly); these functions only
draw. Categorical colours are Okabe-Ito followed by plotly's "Safe" set; the map uses
Cividis, a sequential scale readable with every common colour-vision deficiency.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from planner.reports.charts import OKABE_ITO

PALETTE = OKABE_ITO + list(px.colors.qualitative.Safe)
SEQUENTIAL = "Cividis"

DIMENSION_LABELS = {
    "provider": "provider",
    "designer": "chip designer",
    "country": "country",
    "jurisdiction": "jurisdiction",
}


def _layout(fig: go.Figure, height: int = 380) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"title": None},
    )
    return fig


def world_map(by_country: pd.DataFrame, period: int | None = None) -> go.Figure:
    """Choropleth of compute by country (ISO3), with power and accelerators on hover."""
    title = "Compute by country" + (f", {period}" if period is not None else "")
    fig = px.choropleth(
        by_country,
        locations="iso3",
        locationmode="ISO-3",
        color="compute_eflops",
        hover_name="name",
        hover_data={
            "iso3": False,
            "compute_eflops": ":.2f",
            "power_mw": ":,.0f",
            "accelerators": ":,",
        },
        color_continuous_scale=SEQUENTIAL,
        labels={
            "compute_eflops": "EFLOP/s",
            "power_mw": "power (MW)",
            "accelerators": "accelerators",
        },
        title=title,
    )
    fig.update_geos(
        projection_type="natural earth",
        showcountries=True,
        countrycolor="#999999",
        showland=True,
        landcolor="#eeeeee",
        fitbounds="locations" if len(by_country) > 1 else False,
    )
    fig.update_layout(coloraxis_colorbar={"title": "EFLOP/s"})
    return _layout(fig, height=420)


def country_bars(by_country: pd.DataFrame, period: int | None = None) -> go.Figure:
    """Compute by country as bars: readable for small countries, and when the map's base
    geography (fetched by the browser from the plotly CDN) is not reachable."""
    data = by_country.sort_values("compute_eflops")
    fig = px.bar(
        data,
        x="compute_eflops",
        y="name",
        orientation="h",
        hover_data={"power_mw": ":,.0f", "accelerators": ":,"},
        labels={
            "compute_eflops": "compute (EFLOP/s)",
            "name": "",
            "power_mw": "power (MW)",
            "accelerators": "accelerators",
        },
        title="By country" + (f" ({period})" if period is not None else ""),
    )
    fig.update_traces(marker_color=OKABE_ITO[0])
    return _layout(fig, height=420)


def mix_bars(mix: pd.DataFrame, dimension: str) -> go.Figure:
    """Stacked bars of compute per period by one mix dimension (provider, chip designer...)."""
    label = DIMENSION_LABELS.get(dimension, dimension)
    data = mix.assign(period=mix["period"].astype(str), share_pct=100 * mix["share"])
    fig = px.bar(
        data,
        x="period",
        y="compute_eflops",
        color="key",
        color_discrete_sequence=PALETTE,
        hover_data={"share_pct": ":.1f", "period": False},
        labels={
            "compute_eflops": "compute (EFLOP/s)",
            "period": "period",
            "key": label,
            "share_pct": "share (%)",
        },
        title=f"Mix by {label}",
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category")
    return _layout(fig)


def jurisdiction_bars(mix: pd.DataFrame) -> go.Figure:
    """Stacked bars per period of whose territory, provider and chip the compute depends on."""
    data = mix.assign(period=mix["period"].astype(str), share_pct=100 * mix["share"])
    fig = px.bar(
        data,
        x="period",
        y="compute_eflops",
        color="key",
        facet_col="layer",
        category_orders={"layer": ["territorial", "provider", "chip"]},
        color_discrete_sequence=PALETTE,
        hover_data={"share_pct": ":.1f", "period": False},
        labels={
            "compute_eflops": "compute (EFLOP/s)",
            "key": "jurisdiction",
            "share_pct": "share (%)",
        },
        title="Mix by jurisdiction, per layer (territory, provider HQ, chip control)",
    )
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category")
    return _layout(fig)


def compare_bars(table: pd.DataFrame) -> go.Figure:
    """Grouped bars of the sovereignty layers of several plans (one colour per plan)."""
    fig = px.bar(
        table,
        x="layer",
        y="value",
        color="plan",
        barmode="group",
        color_discrete_sequence=PALETTE,
        labels={"value": "score (0-1)", "layer": "", "plan": ""},
        title="Sovereignty by layer",
    )
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, height=320)
