"""On time: late deliveries, overdue orders, and cancellations by the seller.

Event rules read the day's changed delivery versions (each with the version before it) and judge an event for
the Tehran day it happened, within the allowed lateness. Overdue reads the open orders of the kept fulfilment.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.checks import (
    OBSERVATION_COLUMNS,
    Observations,
    amount_rial,
    empty_observations,
    severity_from_impact,
)
from pipelines.monitored_day import TEHRAN, MonitoredDay
from pipelines.settings import Settings
from pipelines.state.fulfilment import FULFILLED_STATUSES


def _iso(series: pd.Series) -> pd.Series:
    return series.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").where(series.notna(), None)


def _evidence(frame: pd.DataFrame, columns: dict[str, str]) -> pd.Series:
    """A dict of evidence per row, built column-wise."""
    parts = pd.DataFrame({key: frame[col] for key, col in columns.items()})
    return pd.Series(parts.to_dict("records"), index=frame.index, dtype=object)


def event_days(instants: pd.Series) -> pd.Series:
    """The Tehran day of each event instant, whole-column."""
    return instants.dt.tz_convert(TEHRAN).dt.date


def within(days: pd.Series, first_day: date, day: MonitoredDay) -> pd.Series:
    """Event days a run for `day` may judge: from `first_day` (the allowed lateness) to the day itself."""
    return (days >= first_day) & (days <= day.day)


def late_deliveries(
    delivery_versions: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay, settings: Settings,
    first_day: date | None = None,
) -> Observations:
    """Deliveries recorded by the day's extraction as delivered after the order's deadline plus grace.

    Judged for the Tehran day of `delivered_at` (event time), however late the record reached the source,
    as long as that day is within the allowed lateness (`first_day`). The evidence says whether this delivery
    completed the order's quantity (then the order is late) or was a partial shipment.
    """
    first_day = first_day or day.day
    v = delivery_versions
    if v.empty:
        return empty_observations()
    arrived = first_true(v, v["status"].isin(FULFILLED_STATUSES) & v["delivered_at"].notna())
    if arrived.empty:
        return empty_observations()
    grace = pd.Timedelta(hours=settings.late_grace_hours)
    d = arrived.merge(orders, on="order_id", how="inner", suffixes=("", "_order"))
    d = d[(d["delivered_at"] > d["promised_at"] + grace)]
    d = d.assign(event_day=event_days(d["delivered_at"]))
    d = d[within(d["event_day"], first_day, day)]
    if d.empty:
        return empty_observations()
    d = d.assign(completes_order=(d["delivery_id"] == d["completing_delivery_id"]).fillna(False).astype(bool))
    hours_late = (d["delivered_at"] - d["promised_at"]).dt.total_seconds() / 3600.0
    qty = d["delivered_qty"].fillna(d["quantity"])
    impact = amount_rial(qty, d["unit_price_rial"])
    ev = d.assign(
        promised_at_iso=_iso(d["promised_at"]),
        delivered_at_iso=_iso(d["delivered_at"]),
        hours_late=hours_late.round(1),
        delivered_qty_v=qty,
    )
    out = pd.DataFrame(
        {
            "rule": "late_delivery",
            "entity_type": "delivery",
            "entity_id": d["delivery_id"].astype(str),
            "seller_id": d["seller_id"],
            "offer_id": d["offer_id"],
            "severity": severity_from_impact(impact, settings.severity_critical_impact_rial,
                                             settings.severity_warning_impact_rial),
            "impact_rial": impact,
            "evidence": _evidence(
                ev,
                {
                    "order_id": "order_id",
                    "promised_at": "promised_at_iso",
                    "delivered_at": "delivered_at_iso",
                    "hours_late": "hours_late",
                    "delivered_qty": "delivered_qty_v",
                    "order_quantity": "quantity",
                    "completes_order": "completes_order",
                },
            ),
            "day": d["event_day"],
        }
    )
    # a week late is critical whatever the value
    out.loc[hours_late.values >= 24 * 7, "severity"] = "critical"
    return out.reset_index(drop=True)


def overdue_orders(open_due: pd.DataFrame, day: MonitoredDay, settings: Settings) -> Observations:
    """Orders whose deadline plus grace passed before the end of D, not fully delivered nor closed by then.

    `open_due` holds them already (the kept fulfilment, read through its open-orders index), with the
    quantity delivered by the end of D.
    """
    o = open_due[open_due["delivered_qty"] < open_due["quantity"] - 1e-9]
    if o.empty:
        return empty_observations()
    days_overdue = ((day.end - o["promised_at"]).dt.total_seconds() / 86400.0).round(1)
    outstanding = o["quantity"] - o["delivered_qty"]
    impact = amount_rial(outstanding, o["unit_price_rial"])
    ev = o.assign(promised_at_iso=_iso(o["promised_at"]), days_overdue=days_overdue)
    severity = severity_from_impact(impact, settings.severity_critical_impact_rial,
                                    settings.severity_warning_impact_rial)
    severity[days_overdue >= 7] = "critical"
    out = pd.DataFrame(
        {
            "rule": "overdue_order",
            "entity_type": "order",
            "entity_id": o["order_id"].astype(str),
            "seller_id": o["seller_id"],
            "offer_id": o["offer_id"],
            "severity": severity,
            "impact_rial": impact,
            "evidence": _evidence(
                ev,
                {
                    "promised_at": "promised_at_iso",
                    "days_overdue": "days_overdue",
                    "order_quantity": "quantity",
                    "delivered_qty": "delivered_qty",
                },
            ),
        }
    )
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)


def overdue_days(fulfilment: pd.DataFrame, days: list[date], lookback_days: int) -> pd.DataFrame:
    """(order_id, day) for each of `days` on which the order was overdue, by the fulfilment now known.

    Overdue at the end of d: promise plus grace passed, not closed by then (closed_at, event time), placed
    within the lookback. Used to re-judge the days a late record touches.
    """
    if fulfilment.empty or not days:
        return pd.DataFrame({"order_id": pd.Series(dtype=object), "day": pd.Series(dtype=object)})
    ends = pd.Series([MonitoredDay(d).end for d in days], dtype="datetime64[us, UTC]")
    f = fulfilment[["order_id", "due_at", "closed_at", "ordered_at", "quantity", "delivered_qty"]]
    grid = f.merge(pd.DataFrame({"day": days, "end": ends}), how="cross")
    overdue = (
        (grid["due_at"] < grid["end"])
        & (grid["closed_at"].isna() | (grid["closed_at"] >= grid["end"]))
        & (grid["ordered_at"] >= grid["end"] - pd.Timedelta(days=lookback_days))
    )
    return grid.loc[overdue, ["order_id", "day"]].reset_index(drop=True)


def first_true(versions: pd.DataFrame, flag: pd.Series) -> pd.DataFrame:
    """The changed versions on which `flag` turned true (false, or absent, on the version before).

    `versions` holds a day's changed versions (`changed` = 1) and, for each delivery, the version it had
    before them (`changed` = 0). Several transitions in one window (a flag flapping) are one observation: the
    first is kept.
    """
    v = versions.assign(_flag=flag.to_numpy()).sort_values(["delivery_id", "updated_at"], kind="stable")
    previous = v.groupby("delivery_id")["_flag"].shift(1, fill_value=False).astype(bool)
    turned = v["_flag"].astype(bool) & ~previous & (v["changed"].astype(int) == 1)
    return v[turned].drop_duplicates("delivery_id", keep="first").drop(columns="_flag")


def seller_cancellations(
    delivery_versions: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay, settings: Settings,
    first_day: date | None = None,
) -> Observations:
    """Deliveries that the seller cancelled (a finding type of its own, not 'late').

    The contract gives a cancellation no timestamp of its own, so it is dated by the version that first
    showed it.
    """
    first_day = first_day or day.day
    if delivery_versions.empty:
        return empty_observations()
    turned = first_true(delivery_versions, delivery_versions["status"] == "cancelled_by_seller")
    if turned.empty:
        return empty_observations()
    c = turned.merge(orders, on="order_id", how="inner", suffixes=("", "_order"))
    c = c.assign(event_day=event_days(c["updated_at"]))
    c = c[within(c["event_day"], first_day, day)]
    if c.empty:
        return empty_observations()
    impact = amount_rial(c["quantity"], c["unit_price_rial"])
    ev = c.assign(cancelled_at=_iso(c["updated_at"]))
    out = pd.DataFrame(
        {
            "rule": "seller_cancellation",
            "entity_type": "delivery",
            "entity_id": c["delivery_id"].astype(str),
            "seller_id": c["seller_id"],
            "offer_id": c["offer_id"],
            "severity": severity_from_impact(impact, settings.severity_critical_impact_rial,
                                             settings.severity_warning_impact_rial),
            "impact_rial": impact,
            "evidence": _evidence(ev, {"order_id": "order_id", "order_quantity": "quantity",
                                       "cancelled_at": "cancelled_at"}),
            "day": c["event_day"],
        }
    )
    return out.reset_index(drop=True)
