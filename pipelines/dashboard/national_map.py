"""The national map: a choropleth of the 31 provinces coloured by a measure the coordinator chooses.

Vega-Lite (Altair) draws the provinces' shapes from the GeoJSON the package ships (`pipelines.reference.geo`)
with no tile server, in SVG, with the OpenStreetMap attribution inside the drawing. A click on a province
selects it (the point selection `province_pick`); `app.py` reads the selection (`on_select="rerun"`) and opens
that province's drill-down. Pure functions, no Streamlit.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pipelines.dashboard.present import METRICS, RATE_METRICS, num, pct, persian_digits_expr
from pipelines.i18n.messages import label, t
from pipelines.reference.geo import OSM_ATTRIBUTION, province_shapes, wound_for_d3

MAP_METRICS = ("open_findings", "critical_findings", "on_time_rate", "quality_defect_rate")
SELECTION = "province_pick"
MISSING_COLOUR = "#e4e7ec"


def _value(x: Any) -> float | None:
    if x is None or x is pd.NA:
        return None
    value = float(x)
    return None if math.isnan(value) else value


def map_features(today: pd.DataFrame, provinces: pd.DataFrame, metric: str) -> list[dict[str, Any]]:
    """The provinces' shapes with the day's value of `metric` (and its Persian text) in their properties."""
    column, _ = METRICS[metric]
    rate = metric in RATE_METRICS
    values = today.set_index("province_id")[column] if not today.empty else pd.Series(dtype=float)
    features = []
    for feature in province_shapes(provinces):
        pid = feature["properties"]["province_id"]
        feature["geometry"] = wound_for_d3(feature["geometry"])
        value = _value(values.get(pid)) if pid in values.index else None
        shown = t("dashboard.map_no_value") if value is None else (pct(value) if rate else num(value))
        feature["properties"].update(
            value=None if value is None else (value * 100 if rate else value),
            shown=shown,
            # what a screen reader (and a test) reads for the shape: the province's name
            aria=str(feature["properties"]["name_fa"]),
        )
        features.append(feature)
    return features


def province_map_chart(today: pd.DataFrame, provinces: pd.DataFrame, metric: str):
    """The choropleth of `metric` on the day of `today` (the rows of `mart_province_day`), clickable."""
    import altair as alt

    _, lower_is_worse = METRICS[metric]
    title = label("dashboard.metric", metric)
    features = map_features(today, provinces, metric)
    pick = alt.selection_point(name=SELECTION, fields=["province_id"], on="click", clear="dblclick")
    # the worse, the darker: on-time rates run the other way
    scale = alt.Scale(scheme="orangered", reverse=lower_is_worse, zero=not lower_is_worse)
    colour = alt.condition("isValid(datum.value)",
                           alt.Color("value:Q", scale=scale, title=title,
                                     legend=alt.Legend(orient="left", labelExpr=persian_digits_expr(),
                                                       format=",.0f", gradientLength=220)),
                           alt.value(MISSING_COLOUR))
    return (
        alt.Chart(alt.Data(values=features))
        .transform_calculate(province_id="datum.properties.province_id", name="datum.properties.name_fa",
                             value="datum.properties.value", shown="datum.properties.shown",
                             aria="datum.properties.aria")
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.8, cursor="pointer")
        .encode(
            color=colour,
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[alt.Tooltip("name:N", title=t("dashboard.col.province")),
                     alt.Tooltip("shown:N", title=title)],
            description=alt.Description("aria:N"),
        )
        .add_params(pick)
        .project(type="mercator")
        .properties(height=520, usermeta={"embedOptions": {"renderer": "svg"}},
                    title=alt.TitleParams(OSM_ATTRIBUTION, orient="bottom", anchor="start", fontSize=11,
                                          fontWeight="normal", color="#5b6478"))
        .configure(font="Vazirmatn")
        .configure_view(stroke=None)
    )


def picked_province(event: Any) -> str | None:
    """The province a map click selected, from Streamlit's selection event (None when nothing is)."""
    try:
        points = event["selection"][SELECTION]
    except (KeyError, TypeError):
        return None
    if isinstance(points, list) and points and isinstance(points[0], dict):
        value = points[0].get("province_id")
        return None if value is None else str(value)
    return None
