"""Plotly figures of a plan for the web app, in a colour-blind-safe palette.

Data shaping lives in ``ui.support`` (testable without plotly); these functions only
draw. Categorical colours are Okabe-Ito followed by plotly's "Safe" set; the map uses
Cividis, a sequential scale readable with every common colour-vision deficiency.
"""

from __future__ import annotations

import base64
import functools
import html
import json
from pathlib import Path

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


GEOJSON_PATH = Path(__file__).resolve().parent / "geo" / "countries-110m.geojson"


@functools.lru_cache(maxsize=1)
def world_geojson() -> dict:
    """Country outlines shipped with the app (Natural Earth 1:110m, ids ISO3; ui/geo/)."""
    return json.loads(GEOJSON_PATH.read_text(encoding="utf-8"))


def _country_shapes(fig: go.Figure, geojson: dict) -> None:
    """Every country in light grey: the world the data countries sit in."""
    ids = [f["id"] for f in geojson["features"]]
    fig.add_trace(
        go.Choropleth(
            geojson=geojson,
            featureidkey="id",
            locations=ids,
            z=[0] * len(ids),
            colorscale=[[0, "#eeeeee"], [1, "#eeeeee"]],
            showscale=False,
            marker_line_color="#999999",
            marker_line_width=0.5,
            hoverinfo="skip",
            name="",
        )
    )


def _main_polygon_bounds(geometry: dict) -> tuple[float, float, float, float]:
    """(lon0, lat0, lon1, lat1) of a country's largest polygon: the view frames mainland
    France, not France with French Guiana."""
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else list(geometry["coordinates"])
    )
    best = (0.0, 0.0, 0.0, 0.0)
    best_area = -1.0
    for polygon in polygons:
        lons = [p[0] for p in polygon[0]]
        lats = [p[1] for p in polygon[0]]
        area = (max(lons) - min(lons)) * (max(lats) - min(lats))
        if area > best_area:
            best, best_area = (min(lons), min(lats), max(lons), max(lats)), area
    return best


def _view(geojson: dict, iso3: list[str]) -> dict:
    """Longitude/latitude ranges around the shown countries (whole world if none),
    at least twice as wide as tall so the map fills its frame."""
    boxes = [
        _main_polygon_bounds(f["geometry"]) for f in geojson["features"] if f["id"] in set(iso3)
    ]
    if not boxes:
        return {"lonaxis_range": [-180, 180], "lataxis_range": [-60, 85]}
    lon0, lat0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    lon1, lat1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = 6.0
    lon0, lon1, lat0, lat1 = lon0 - pad, lon1 + pad, lat0 - pad, lat1 + pad
    widen = max(0.0, 2 * (lat1 - lat0) - (lon1 - lon0)) / 2
    lon0, lon1 = lon0 - widen, lon1 + widen
    return {
        "lonaxis_range": [max(-180.0, lon0), min(180.0, lon1)],
        "lataxis_range": [max(-90.0, lat0), min(90.0, lat1)],
    }


#: plotly's geo subplot downloads its base map (topojson) from a CDN whenever a trace has a
#: location mode, even when drawing from ``geojson=`` with the base map hidden, and draws
#: nothing if the download fails. ``topojsonURL`` is plotly's setting for offline use: here it
#: points at an empty topology inline (a data: URL; plotly appends the file name after '#',
#: which a data: URL ignores), so nothing is fetched and the shipped outlines are the map.
_EMPTY = {"type": "GeometryCollection", "geometries": []}
_STUB_TOPOLOGY = {
    "type": "Topology",
    "objects": {
        layer: _EMPTY
        for layer in ("land", "ocean", "lakes", "rivers", "countries", "coastlines", "subunits")
    },
    "arcs": [],
}
MAP_CONFIG = {
    "topojsonURL": "data:application/json;base64,"
    + base64.b64encode(json.dumps(_STUB_TOPOLOGY).encode()).decode()
    + "#"
}


def world_map(by_country: pd.DataFrame, period: int | None = None) -> go.Figure:
    """Choropleth of compute by country (ISO3), with power and accelerators on hover.

    Drawn from the country outlines shipped with the app (``geojson=``, base map hidden);
    show it with ``config=MAP_CONFIG`` so it renders with no network.
    """
    geojson = world_geojson()
    title = "Compute by country" + (f", {period}" if period is not None else "")
    fig = go.Figure()
    _country_shapes(fig, geojson)
    wanted = set(by_country["iso3"])
    shown = {  # only the plan's countries: the figure carries each outline once
        "type": "FeatureCollection",
        "features": [f for f in geojson["features"] if f["id"] in wanted],
    }
    names = by_country["name"].astype(str).map(html.escape)  # plotly renders hover HTML
    fig.add_trace(
        go.Choropleth(
            geojson=shown,
            featureidkey="id",
            locations=by_country["iso3"],
            z=by_country["compute_eflops"],
            coloraxis="coloraxis",
            marker_line_color="#555555",
            marker_line_width=0.6,
            customdata=by_country[["power_mw", "accelerators"]]
            .assign(name=names)[["name", "power_mw", "accelerators"]]
            .to_numpy(),
            hovertemplate="<b>%{customdata[0]}</b><br>%{z:.2f} EFLOP/s<br>"
            "power %{customdata[1]:,.0f} MW<br>%{customdata[2]:,} accelerators<extra></extra>",
            name="compute",
        )
    )
    fig.update_geos(
        visible=False,  # no base map from the CDN; the shipped outlines are the map
        projection_type="natural earth",
        **_view(geojson, list(by_country["iso3"])),
    )
    fig.update_layout(
        title=title,
        # from 0, so one country (or equal ones) shows as much compute, not a mid-scale grey
        coloraxis={
            "colorscale": SEQUENTIAL,
            "cmin": 0,
            "cmax": max(float(by_country["compute_eflops"].max()), 1e-9) if len(by_country) else 1,
            "colorbar": {"title": "EFLOP/s"},
        },
    )
    shapes = {f["id"] for f in geojson["features"]}
    small = sorted(set(by_country["name"][~by_country["iso3"].isin(shapes)]))
    if small:
        fig.add_annotation(
            text="Not on the map (too small, or no outline): "
            + ", ".join(small)
            + "; see the bars",
            showarrow=False,
            x=0,
            y=0,
            xref="paper",
            yref="paper",
            font={"size": 11},
        )
    return _layout(fig, height=420)


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
