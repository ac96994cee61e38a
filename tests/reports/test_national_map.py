"""The provinces' shapes (shipped with the package), the digest's map image, and the digest's map and rule-break
sections (issue 16)."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, timedelta
from importlib import resources

import pytest
from PIL import Image

from pipelines.reference.geo import OSM_ATTRIBUTION, _signed_area, province_shapes, wound_for_d3
from pipelines.reports.digest_render import render_fardap_digest
from pipelines.reports.map_image import PALETTE, classes, province_map_png
from pipelines.reports.rule_breaks import RuleBreakSummary
from pipelines.reports.sample import SAMPLE_DAY, sample_fardap_digest
from pipelines.simulator.divisions import load_divisions

pytestmark = pytest.mark.unit

PNG_BUDGET = 10_000  # bytes: the digest carries it base64 (a third more) in a message kept under 100 KB


def _provinces():
    return load_divisions().provinces[["province_id", "name_fa"]]


def test_the_shapes_and_their_licence_ship_with_the_package():
    folder = resources.files("pipelines.reference").joinpath("data", "iran_provinces_geo")
    readme = folder.joinpath("README.txt").read_text(encoding="utf-8")
    assert "OpenStreetMap" in readme and "ODbL" in readme
    shapes = province_shapes(_provinces())
    assert len(shapes) == 31
    assert {f["properties"]["province_id"] for f in shapes} == set(_provinces()["province_id"])


def test_an_organisation_with_other_ids_finds_its_shapes_by_name():
    provinces = _provinces().assign(province_id=lambda f: "P" + f["province_id"].str.zfill(2))
    # a Persian variant (Arabic yeh, no space) still matches
    provinces.loc[provinces["name_fa"] == "آذربایجان شرقی", "name_fa"] = "آذربايجان‌شرقی"
    shapes = province_shapes(provinces)
    assert len(shapes) == 31 and all(f["properties"]["province_id"].startswith("P") for f in shapes)


def test_rings_are_wound_as_d3_wants():
    for feature in province_shapes(_provinces()):
        wound = wound_for_d3(feature["geometry"])
        polygons = wound["coordinates"] if wound["type"] == "MultiPolygon" else [wound["coordinates"]]
        for polygon in polygons:
            assert _signed_area(polygon[0]) < 0  # outer ring clockwise
            assert all(_signed_area(hole) > 0 for hole in polygon[1:])


def test_the_map_image_is_small_and_coloured_by_class():
    provinces = _provinces()
    values = {pid: float(i % 15) for i, pid in enumerate(provinces["province_id"])}
    bins = classes(list(values.values()))
    assert [(b.low, b.high) for b in bins] == [(0, 2), (3, 5), (6, 8), (9, 11), (12, 14)]
    png = province_map_png(values, provinces, bins)
    assert len(png) < PNG_BUDGET, len(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width == 440 and 350 < image.height < 480
    colours = {"#{:02x}{:02x}{:02x}".format(*c) for _, c in image.getcolors(maxcolors=4096)}
    assert set(PALETTE) <= colours  # every class is drawn (the palette keeps exact colours)


def test_classes_of_an_empty_day():
    assert [(b.low, b.high) for b in classes([0.0, 0.0])] == [(0, 0)]
    assert [(b.low, b.high) for b in classes([])] == [(0, 0)]


def test_the_digest_carries_the_map_and_the_rule_breaks():
    digest = sample_fardap_digest()
    values = {r.province_id: float(r.open_findings) for r in digest.rows}
    bins = classes(list(values.values()))
    png = province_map_png(values, _provinces(), bins)
    breaks = [RuleBreakSummary("one_officer_per_province_with_fardap", "critical", 2, ["البرز", "یزد"],
                               SAMPLE_DAY - timedelta(days=5)),
              RuleBreakSummary("core_size_and_steward", "warning", 7, ["اصفهان", "ایلام", "تهران", "فارس", "قم"],
                               date(2026, 11, 1))]
    page = render_fardap_digest(dataclasses.replace(digest, map_png=png, map_classes=bins, rule_breaks=breaks,
                                                    core_max_headcount=15))
    image = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', page)
    assert image and image.group(2) == "نقشه ایران: هر استان به رنگ شمار یافته‌های باز امروز آن"
    section = re.search(r'<section class="section" id="rule-breaks">.*?</section>', page, re.S).group(0)
    text = re.sub(r"<[^>]+>", " ", section)
    assert "یک عنصر رصد و پایش در هر استان، با هماهنگی فرداپ" in text
    assert "هر هسته حداکثر ۱۵ نفر دارد و باید مباشر داشته باشد." in text
    assert "اصفهان، ایلام، تهران، فارس و ۱ استان دیگر" in text
    assert "۹ مورد نقض باز از ۲ قاعده" in text
    assert "۳۰ آبان ۱۴۰۵" in text and "۱۰ آبان ۱۴۰۵" in text  # 2026-11-21 and 2026-11-01: since when
    assert not re.search(r"[0-9]", text)
    legend = re.search(r'<table class="map-legend".*?</table>', page, re.S).group(0)
    assert "۰ تا " in legend and not re.search(r">[^<]*[0-9][^<]*<", legend.replace("#", ""))
    assert OSM_ATTRIBUTION.startswith("©")


def test_a_digest_without_breaks_says_so():
    page = render_fardap_digest(sample_fardap_digest())
    assert "امروز همه قواعد سازمان رعایت شده است." in page
    assert "data:image/png" not in page  # no map was drawn for it
