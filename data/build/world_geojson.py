"""Build ui/geo/countries-110m.geojson: world country outlines keyed by ISO 3166-1 alpha-3.

Usage (from the repository root)::

    python data/build/world_geojson.py [TOPOJSON] [--iso-codes CSV] [--out FILE]

TOPOJSON defaults to ``data/build/reference/geo/countries-110m.json``: world-atlas 2.0.2, the
Natural Earth 1:110m admin-0 countries (public domain) as TopoJSON whose feature ids are ISO
3166-1 numeric codes. The numeric -> alpha-3 table is
``data/build/reference/geo/iso3166_numeric_alpha3.csv``, the code pairs of ISO 3166-1 as
transcribed by Debian's ``iso-codes`` 4.15.0. Both travel with the repository, so the map
rebuilds from it alone. The app draws
its map from the output with plotly's ``geojson=``, so the map needs no network (plotly's own
base map is fetched from a CDN). See ui/geo/SOURCES.md.

TopoJSON stores shared borders once as quantised, delta-encoded arcs; this decodes them into
GeoJSON rings (an arc index ``~i`` is arc ``i`` reversed; consecutive arcs of a ring share
their joining point). Coordinates are rounded to 0.01 degree, finer than 1:110m resolves.
Deterministic: the same inputs give a byte-identical file.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GEO = Path(__file__).resolve().parent / "reference" / "geo"
DIGITS = 2


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat points of every arc (undo the delta encoding and the quantisation)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((round(x * sx + tx, DIGITS), round(y * sy + ty, DIGITS)))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """One closed ring from its arc indices."""
    out: list[tuple[float, float]] = []
    for i in indices:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(points if not out else points[1:])
    return [list(p) for p in out]


def geometry(geom: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> dict[str, Any]:
    if geom["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r, arcs) for r in geom["arcs"]]}
    if geom["type"] == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [[ring(r, arcs) for r in poly] for poly in geom["arcs"]],
        }
    raise ValueError(f"unexpected geometry type {geom['type']}")


def numeric_to_alpha3(path: Path) -> dict[str, str]:
    """ISO 3166-1 numeric code (3 digits, as text) -> alpha-3 code."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["numeric"]: row["alpha_3"] for row in csv.DictReader(fh)}


def build(topo_path: Path, iso_path: Path) -> tuple[dict[str, Any], list[str]]:
    """The GeoJSON FeatureCollection (id = ISO3, property name) and the names left out."""
    topo = json.loads(topo_path.read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    iso3 = numeric_to_alpha3(iso_path)
    features, skipped = [], []
    for geom in topo["objects"]["countries"]["geometries"]:
        name = geom.get("properties", {}).get("name", "")
        code = iso3.get(str(geom.get("id", "")).zfill(3)) if "id" in geom else None
        if code is None:  # territories without an ISO 3166-1 code (e.g. Kosovo)
            skipped.append(name)
            continue
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"name": name},
                "geometry": geometry(geom, arcs),
            }
        )
    features.sort(key=lambda f: f["id"])
    return {"type": "FeatureCollection", "features": features}, sorted(skipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "topojson",
        nargs="?",
        type=Path,
        default=GEO / "countries-110m.json",
    )
    parser.add_argument("--iso-codes", type=Path, default=GEO / "iso3166_numeric_alpha3.csv")
    parser.add_argument("--out", type=Path, default=REPO / "ui" / "geo" / "countries-110m.geojson")
    args = parser.parse_args()
    collection, skipped = build(args.topojson, args.iso_codes)
    args.out.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(collection['features'])} countries; without an ISO code: {skipped}")


if __name__ == "__main__":
    main()
