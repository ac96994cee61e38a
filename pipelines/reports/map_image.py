"""The national map as a small static PNG, for the Fardap digest email (which can run no script).

The provinces (`pipelines.reference.geo`) are drawn with Pillow in an equirectangular projection scaled by
the cosine of Iran's middle latitude, each filled with the colour of its value's class; the OpenStreetMap
attribution is drawn in the image. Shapes are drawn without anti-aliasing and saved with a palette, which
keeps the image near 6 KB (drawn at twice the size and reduced, its smoother edges cost three times as much):
the digest carries it inline as a data: URI. The legend is HTML beside it, so its words stay text.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pipelines.reference.geo import OSM_ATTRIBUTION, province_shapes

# light to dark: more open findings, darker
PALETTE: tuple[str, ...] = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
MISSING = "#e4e7ec"
BORDER = "#ffffff"
WIDTH = 440
_SUPERSAMPLE = 1  # 2: draw at twice the size and reduce (smoother edges, about 18 KB instead of 6)
_LAT_MIDDLE = 32.5


@dataclass(frozen=True)
class MapClass:
    """One colour of the map: the values from `low` to `high` (whole numbers, inclusive)."""

    colour: str
    low: int
    high: int


def classes(values: Sequence[float], count: int = len(PALETTE)) -> list[MapClass]:
    """Classes of equal width from 0 to the largest value (whole numbers), at most `count` of them."""
    top = int(max([0, *[v for v in values if v is not None and not math.isnan(v)]]))
    if top == 0:
        return [MapClass(PALETTE[0], 0, 0)]
    width = max(1, math.ceil((top + 1) / count))
    out: list[MapClass] = []
    low = 0
    while low <= top:
        out.append(MapClass(PALETTE[len(out)], low, min(top, low + width - 1)))
        low += width
    return out


def _colour(value: float | None, bins: Sequence[MapClass]) -> str:
    if value is None or math.isnan(value):
        return MISSING
    for b in bins:
        if b.low <= value <= b.high:
            return b.colour
    return bins[-1].colour


def province_map_png(values: Mapping[str, float | None], provinces: pd.DataFrame,
                     bins: Sequence[MapClass] | None = None, width: int = WIDTH) -> bytes:
    """The provinces of `provinces` (province_id, name_fa) coloured by `values` (province_id -> value), as PNG."""
    from PIL import Image, ImageDraw, ImageFont

    bins = list(bins) if bins is not None else classes(list(v for v in values.values() if v is not None))
    shapes = province_shapes(provinces)
    kx = math.cos(math.radians(_LAT_MIDDLE))
    points = [(lon * kx, lat) for f in shapes for poly in _polygons(f["geometry"]) for ring in poly
              for lon, lat in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    margin, footer = 6 * _SUPERSAMPLE, 16 * _SUPERSAMPLE
    scale = (width * _SUPERSAMPLE - 2 * margin) / (max(xs) - min(xs))
    height = int((max(ys) - min(ys)) * scale) + 2 * margin + footer
    image = Image.new("RGB", (width * _SUPERSAMPLE, height), "#ffffff")
    draw = ImageDraw.Draw(image)

    def project(ring: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
        return [(margin + (lon * kx - min(xs)) * scale, margin + (max(ys) - lat) * scale) for lon, lat in ring]

    for feature in shapes:
        fill = _colour(values.get(feature["properties"]["province_id"]), bins)
        for polygon in _polygons(feature["geometry"]):
            draw.polygon(project(polygon[0]), fill=fill, outline=BORDER, width=_SUPERSAMPLE)
            for hole in polygon[1:]:
                draw.polygon(project(hole), fill="#ffffff")
    try:
        font = ImageFont.load_default(size=11 * _SUPERSAMPLE)
    except TypeError:  # an old Pillow without scalable default font
        font = ImageFont.load_default()
    draw.text((margin, height - footer + 2 * _SUPERSAMPLE), OSM_ATTRIBUTION, fill="#5b6478", font=font)
    small = image.resize((width, height // _SUPERSAMPLE), Image.Resampling.LANCZOS) if _SUPERSAMPLE > 1 else image
    out = io.BytesIO()
    small.quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _polygons(geometry: Mapping) -> list:
    return geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
