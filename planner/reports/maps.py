"""The world map of a plan: compute by country, drawn offline from shipped outlines.

Shared by the app (``ui.figures``) and the plan brief (``sovplan brief``). The view frames
every country with compute: all of each country's sizeable polygons (Alaska with the USA,
not French Guiana with France), on a Mercator projection whose longitude/latitude ranges
are a plain rectangle (a curved projection cut corners off, e.g. eastern Europe). Compute is
coloured on Viridis from 0, which has no grey: grey is the colour of countries without
compute.
"""

from __future__ import annotations

import base64
import functools
import html
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

#: Natural Earth 1:110m outlines, ids ISO3 (shipped with the app: ui/geo/, see its SOURCES.md)
GEOJSON_PATH = Path(__file__).resolve().parents[2] / "ui" / "geo" / "countries-110m.geojson"
#: sequential scale of compute: colour-blind safe, and no grey anywhere on it
SEQUENTIAL = "Viridis"
#: the colour of countries without compute
NONE_GREY = "#eeeeee"
#: a polygon counts towards a country's view if its box is at least this share of the
#: largest one's (Alaska for the USA: yes; French Guiana for France: no)
SIZEABLE = 0.1


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
            colorscale=[[0, NONE_GREY], [1, NONE_GREY]],
            showscale=False,
            marker_line_color="#999999",
            marker_line_width=0.5,
            hoverinfo="skip",
            name="",
        )
    )


def _polygon_boxes(geometry: dict) -> list[tuple[float, float, float, float]]:
    """(lon0, lat0, lon1, lat1) of a country's sizeable polygons (``SIZEABLE``), each
    polygon that crosses the antimeridian shifted east so it stays one box."""
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else list(geometry["coordinates"])
    )
    boxes = []
    for polygon in polygons:
        lons = [p[0] for p in polygon[0]]
        lats = [p[1] for p in polygon[0]]
        if max(lons) - min(lons) > 180:  # wraps around: count it east of 180
            lons = [lon + 360 if lon < 0 else lon for lon in lons]
        boxes.append((min(lons), min(lats), max(lons), max(lats)))
    area = [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]
    big = max(area) if area else 0.0
    return [b for b, a in zip(boxes, area, strict=True) if a >= SIZEABLE * big]


def _view(geojson: dict, iso3: list[str]) -> dict:
    """Longitude/latitude ranges containing every sizeable polygon of the shown countries
    (the whole world if none, or if they span more than half of it), padded and at least
    1.6 times as wide as tall so the map fills its frame."""
    wanted = set(iso3)
    boxes = [
        b for f in geojson["features"] if f["id"] in wanted for b in _polygon_boxes(f["geometry"])
    ]
    if not boxes:
        return {"lonaxis_range": [-180, 180], "lataxis_range": [-60, 85]}
    lon0, lat0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    lon1, lat1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    if lon1 - lon0 > 180 or lon1 > 180:
        return {"lonaxis_range": [-180, 180], "lataxis_range": [-60, 85]}
    pad = 5.0
    lon0, lon1 = lon0 - pad, lon1 + pad
    lat0, lat1 = max(-80.0, lat0 - pad), min(84.0, lat1 + pad)
    widen = max(0.0, 1.6 * (lat1 - lat0) - (lon1 - lon0)) / 2
    lon0, lon1 = lon0 - widen, lon1 + widen
    return {
        "lonaxis_range": [max(-180.0, lon0), min(180.0, lon1)],
        "lataxis_range": [lat0, lat1],
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
    view = _view(geojson, list(by_country["iso3"]))
    whole = view["lonaxis_range"] == [-180, 180]
    fig.update_geos(
        visible=False,  # no base map from the CDN; the shipped outlines are the map
        # a rectangle of lon/lat ranges stays a rectangle on Mercator: nothing is cut off
        projection_type="natural earth" if whole else "mercator",
        **view,
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
    fig.update_layout(
        template="plotly_white",
        height=420,
        margin={"l": 10, "r": 10, "t": 78, "b": 10},
        title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 34}, "x": 0.01},
    )
    return fig
