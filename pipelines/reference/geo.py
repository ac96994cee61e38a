"""Iran's 31 provinces as shapes, for the national map (dashboard) and the map image of the Fardap digest.

The GeoJSON in `data/iran_provinces_geo/` is OpenStreetMap data (ODbL): whatever draws it shows
`OSM_ATTRIBUTION`. Its features carry `ostan_id` (the id of `iran_divisions/ostan.csv`, which is the
`province_id` of the organisation the simulator and `rasad ref load` build) and `name_fa`. A province of the
reference data is matched by id first, then by its Persian name with spaces and ZWNJ removed, so that an
organisation loaded with other ids still finds its shapes.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
_ZWNJ = "\u200c"


def _squash(name: object) -> str:
    return str(name).replace(" ", "").replace(_ZWNJ, "").replace("ي", "ی").replace("ك", "ک")


@cache
def _raw_shapes() -> dict[str, Any]:
    path = resources.files("pipelines.reference").joinpath("data", "iran_provinces_geo",
                                                             "provinces.simplified.geojson")
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    if data.get("type") != "FeatureCollection" or len(data.get("features", ())) != 31:
        raise ValueError("provinces.simplified.geojson is not the 31 provinces of Iran")
    return data


def province_shapes(provinces: pd.DataFrame) -> list[dict[str, Any]]:
    """The shape of each province of `provinces` (province_id, name_fa), as GeoJSON features.

    Each feature's properties hold `province_id` and `name_fa` of the reference data; a province with no
    shape is left out (and a shape with no province too).
    """
    by_id = {str(p): str(p) for p in provinces["province_id"]}
    by_name = {_squash(n): str(p) for p, n in zip(provinces["province_id"], provinces["name_fa"], strict=True)}
    names = dict(zip(provinces["province_id"].astype(str), provinces["name_fa"].astype(str), strict=True))
    features = []
    for feature in _raw_shapes()["features"]:
        props = feature["properties"]
        pid = by_id.get(str(props["ostan_id"])) or by_name.get(_squash(props["name_fa"]))
        if pid is None:
            continue
        shaped = copy.deepcopy(feature)
        shaped["properties"] = {"province_id": pid, "name_fa": names[pid], "name_en": props.get("name_en")}
        features.append(shaped)
    return features


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def wound_for_d3(geometry: dict[str, Any]) -> dict[str, Any]:
    """The geometry with outer rings clockwise and holes counter-clockwise, as d3-geo (and so Vega) wants.

    GeoJSON (RFC 7946) winds them the other way; d3 reads a counter-clockwise outer ring as the whole globe
    but that polygon, and fills the map with it.
    """
    def ring(r: list[list[float]], outer: bool) -> list[list[float]]:
        clockwise = _signed_area(r) < 0
        return r if clockwise == outer else list(reversed(r))

    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    wound = [[ring(r, i == 0) for i, r in enumerate(polygon)] for polygon in polygons]
    return {"type": geometry["type"], "coordinates": wound if geometry["type"] == "MultiPolygon" else wound[0]}
