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
    """Common look. The title sits below the row plotly's toolbar occupies at the top right
    (``pad``), so the two never overlap even in a narrow column."""
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 78, "b": 10},
        title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 34}, "x": 0.01},
        legend={"title": None},
    )
    return fig


# the map is shared with the plan brief (``sovplan brief``): it lives in planner.reports.maps
from planner.reports.maps import (  # noqa: E402
    GEOJSON_PATH,  # noqa: F401
    MAP_CONFIG,  # noqa: F401
    world_geojson,  # noqa: F401
    world_map,  # noqa: F401
)


def country_bars(by_country: pd.DataFrame, period: int | None = None) -> go.Figure:
    """Compute by country as bars: readable for countries too small for the map."""
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


#: Axis label of the mix charts: the compute the target, the shares and the index count.
COUNTED_LABEL = "compute counted towards the target (EFLOP/s)"


def mix_bars(mix: pd.DataFrame, dimension: str) -> go.Figure:
    """Stacked bars of counted compute per period by one mix dimension (provider, chip
    designer...): each bar stacks to the period's target (``ui.support.mix_by_period``)."""
    label = DIMENSION_LABELS.get(dimension, dimension)
    data = mix.assign(period=mix["period"].astype(str), share_pct=100 * mix["share"])
    fig = px.bar(
        data,
        x="period",
        y="counted_eflops",
        color="key",
        color_discrete_sequence=PALETTE,
        hover_data={"share_pct": ":.1f", "period": False},
        labels={
            "counted_eflops": COUNTED_LABEL,
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
    """Stacked bars per period of whose territory, provider and chip the counted compute
    depends on (``ui.support.mix_by_jurisdiction``)."""
    data = mix.assign(period=mix["period"].astype(str), share_pct=100 * mix["share"])
    fig = px.bar(
        data,
        x="period",
        y="counted_eflops",
        color="key",
        facet_col="layer",
        category_orders={"layer": ["territorial", "provider", "chip"]},
        color_discrete_sequence=PALETTE,
        hover_data={"share_pct": ":.1f", "period": False},
        labels={
            "counted_eflops": COUNTED_LABEL,
            "key": "jurisdiction",
            "share_pct": "share (%)",
        },
        title="Mix by jurisdiction per layer<br><sup>territory, provider HQ, chip control</sup>",
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
