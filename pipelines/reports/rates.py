"""Rates, not only counts: on-time, defect and seller-cancel rates of a province and its flagged sellers, over the
day and the last 7 and 30 days, beside the country's.

The rates are computed in SQL (`sql/reports/select_rates_of_window.sql`) over the cohorts of orders that fell
due in each window (`monitoring.seller_activity_daily`, docs/state.md), so every numerator is a subset of its
denominator; the day's window is the cohort of orders that fell due that day. The report and the dashboard
show each rate with its denominator («۱۲ از ۴۸۰ سفارش، ۲٫۵٪») and against the country's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection

from pipelines.i18n.messages import t
from pipelines.i18n.persian import format_number, format_percent
from pipelines.reports.model import EntityRates, MeasureRates, Rate
from pipelines.store.sql_files import read_frame

WINDOWS: tuple[int, ...] = (1, 7, 30)
# measure -> (numerator column, denominator column, rate column, higher is better?)
MEASURES: dict[str, tuple[str, str, str, bool]] = {
    "on_time": ("orders_on_time", "orders_judged", "on_time_rate", True),
    "defect": ("orders_defective", "orders_delivered", "defect_rate", False),
    "seller_cancel": ("orders_seller_cancelled", "orders_resolved", "seller_cancel_rate", False),
}
# a difference from the country smaller than this (in percentage points) reads as "the same"
SAME_WITHIN_POINTS = 0.5


def rates_of_day(conn: Connection, day: date, windows: Iterable[int] = WINDOWS) -> pd.DataFrame:
    """Every seller's, province's and the country's rates for each window ending on `day`.

    Columns: window_days, level (seller | province | national), province_id, seller_id, and per measure its
    numerator, denominator and rate (see MEASURES).
    """
    frames = []
    for window in windows:
        frame = read_frame(conn, "reports/select_rates_of_window", first_day=day - timedelta(days=window - 1),
                           day=day)
        frames.append(frame.assign(window_days=window))
    out = pd.concat(frames, ignore_index=True)
    for numerator, denominator, _, _ in MEASURES.values():
        out[numerator] = pd.to_numeric(out[numerator]).fillna(0).astype("int64")
        out[denominator] = pd.to_numeric(out[denominator]).fillna(0).astype("int64")
    return out


def _rate(row: pd.Series | None, measure: str) -> Rate:
    numerator, denominator, rate, _ = MEASURES[measure]
    if row is None:
        return Rate(part=0, whole=0, rate=None)
    value = row[rate]
    return Rate(part=int(row[numerator]), whole=int(row[denominator]),
                rate=None if value is None or pd.isna(value) else float(value))


def _by_window(rows: pd.DataFrame) -> dict[int, pd.Series]:
    return {int(r["window_days"]): r for _, r in rows.iterrows()}


def entity_rates(rates: pd.DataFrame, kind: str, entity_id: str, name: str,
                 province_id: str | None = None) -> EntityRates:
    """The rates of one province (`kind` "province") or one seller (`kind` "seller", of `province_id`)."""
    windows = sorted({int(w) for w in rates["window_days"]}) if not rates.empty else list(WINDOWS)
    if kind == "province":
        mine = rates[(rates["level"] == "province") & (rates["province_id"] == entity_id)]
    else:
        mine = rates[(rates["level"] == "seller") & (rates["seller_id"] == entity_id)]
        if province_id is not None:
            mine = mine[mine["province_id"] == province_id]
    own = _by_window(mine)
    national = _by_window(rates[rates["level"] == "national"])
    return EntityRates(
        kind=kind, entity_id=entity_id, name=name,
        measures=[MeasureRates(measure=m, windows={w: _rate(own.get(w), m) for w in windows},
                               national={w: _rate(national.get(w), m) for w in windows})
                  for m in MEASURES],
    )


def report_rates(rates: pd.DataFrame, province_id: str, province_name: str,
                 sellers: Sequence[tuple[str, str]]) -> list[EntityRates]:
    """The province's rates, then each flagged seller's (seller_id, name), in the order given."""
    return [entity_rates(rates, "province", province_id, province_name),
            *(entity_rates(rates, "seller", sid, name, province_id) for sid, name in sellers)]


# ---------------------------------------------------------------- how a rate reads


def rate_text(rate: Rate, measure: str) -> str:
    """«۴۶۸ از ۴۸۰ سفارش، ۹۷٫۵٪»; «—» when no order counts (the denominator is zero)."""
    if rate.whole <= 0 or rate.rate is None:
        return t("rates.none")
    return t(f"rates.of.{measure}", part=format_number(rate.part), whole=format_number(rate.whole),
             rate=format_percent(rate.rate))


def comparison(rate: Rate, national: Rate, measure: str) -> tuple[str, str]:
    """How `rate` stands against the country's: (Persian text, trend key better | worse | same | none)."""
    if rate.rate is None or national.rate is None:
        return (t("rates.national_only", rate=format_percent(national.rate)) if national.rate is not None
                else t("rates.none"), "none")
    points = (rate.rate - national.rate) * 100
    higher_is_better = MEASURES[measure][3]
    if abs(points) < SAME_WITHIN_POINTS:
        trend = "same"
    else:
        trend = "better" if (points > 0) == higher_is_better else "worse"
    return t(f"rates.vs_country.{trend}", rate=format_percent(national.rate),
             points=format_number(abs(points), 1)), trend
