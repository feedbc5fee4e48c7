"""The world map draws from the country outlines shipped in ui/geo, with no network."""

from __future__ import annotations

import base64
import json
import socket

import pandas as pd
import pytest

from ui import figures


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_map_has_country_shapes_offline(no_network):
    figures.world_geojson.cache_clear()  # read the shipped file now, offline
    by_country = pd.DataFrame(
        {
            "iso3": ["FRA", "DEU", "SGP"],
            "name": ["France", "Germany", "Singapore"],
            "compute_eflops": [31.4, 6.7, 1.0],
            "power_mw": [35.8, 7.2, 1.0],
            "accelerators": [24000, 4000, 1000],
        }
    )
    fig = figures.world_map(by_country, 2030)
    background, data = fig.data
    # every trace carries its shapes inline: nothing for the browser to fetch
    assert len(background.geojson["features"]) > 150
    assert {f["id"] for f in data.geojson["features"]} == {"FRA", "DEU"}
    france = next(f for f in data.geojson["features"] if f["id"] == "FRA")
    assert france["geometry"]["type"] == "MultiPolygon"  # mainland, Corsica, Guiana
    assert data.featureidkey == "id" and list(data.locations) == ["FRA", "DEU", "SGP"]
    assert fig.layout.geo.visible is False  # no CDN base map
    assert "Singapore" in fig.layout.annotations[0].text  # too small for 1:110m: named
    json.dumps(fig.to_plotly_json(), default=str)  # serialisable as sent to the browser
    # plotly fetches its base topology from topojsonURL: an inline stub, never the CDN
    url = figures.MAP_CONFIG["topojsonURL"]
    assert url.startswith("data:application/json;base64,") and url.endswith("#")
    stub = json.loads(base64.b64decode(url.split(",", 1)[1].rstrip("#")))
    assert stub["type"] == "Topology" and "countries" in stub["objects"]
    with pytest.raises(OSError):
        socket.socket()


def test_shipped_outlines_cover_the_bundled_countries():
    from planner.core.data import load_tables

    ids = {f["id"] for f in figures.world_geojson()["features"]}
    countries = set(load_tables().countries["iso3"])
    missing = countries - ids
    assert len(missing) <= 5, missing  # city states and islands below 1:110m resolution
