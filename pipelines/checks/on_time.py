"""On time: late deliveries, overdue orders, and cancellations by the seller."""

from __future__ import annotations

import pandas as pd

from pipelines.checks import OBSERVATION_COLUMNS, Observations, empty_observations, severity_from_impact
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings

FULFILLED_STATUSES = ("delivered", "returned")
CANCELLED_STATUSES = ("cancelled_by_seller", "cancelled_by_buyer")
OPEN_STATUSES = ("pending", "shipped")


def _iso(series: pd.Series) -> pd.Series:
    return series.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").where(series.notna(), None)


def _evidence(frame: pd.DataFrame, columns: dict[str, str]) -> pd.Series:
    """A dict of evidence per row, built column-wise."""
    parts = pd.DataFrame({key: frame[col] for key, col in columns.items()})
    return pd.Series(parts.to_dict("records"), index=frame.index, dtype=object)


def order_completions(
    deliveries: pd.DataFrame, orders: pd.DataFrame, as_of, grace: pd.Timedelta
) -> pd.DataFrame:
    """Per order whose quantity is fully delivered before `as_of`: the delivery that completed it.

    Partial shipments count by quantity: deliveries are taken in the order they arrived, and the one
    whose running total reaches the ordered quantity completes the order. The order is late when that
    delivery is late (delivered after promised_at + grace). Columns: order_id, completing_delivery_id,
    completed_at, late.
    """
    arrived = deliveries[
        deliveries["delivered_at"].notna()
        & (deliveries["delivered_at"] < as_of)
        & deliveries["status"].isin(FULFILLED_STATUSES)
    ][["delivery_id", "order_id", "delivered_at", "delivered_qty"]]
    d = arrived.merge(orders[["order_id", "quantity", "promised_at"]], on="order_id", how="inner")
    if d.empty:
        return pd.DataFrame(columns=["order_id", "completing_delivery_id", "completed_at", "late"])
    d = d.sort_values(["order_id", "delivered_at", "delivery_id"], kind="stable")
    # a delivery with no quantity recorded is taken to carry the rest of the order
    qty = d["delivered_qty"].fillna(d["quantity"])
    running = qty.groupby(d["order_id"]).cumsum()
    done = d[running >= d["quantity"] - 1e-9].drop_duplicates("order_id", keep="first")
    return pd.DataFrame(
        {
            "order_id": done["order_id"].to_numpy(),
            "completing_delivery_id": done["delivery_id"].to_numpy(),
            "completed_at": done["delivered_at"].to_numpy(),
            "late": (done["delivered_at"] > done["promised_at"] + grace).to_numpy(),
        }
    )


def late_deliveries(
    deliveries: pd.DataFrame, orders: pd.DataFrame, offers: pd.DataFrame, day: MonitoredDay, settings: Settings
) -> Observations:
    """Deliveries delivered during D after the order's deadline plus the grace period.

    The evidence says whether this delivery completed the order's quantity (then the order is late)
    or was a partial shipment.
    """
    delivered = deliveries[
        deliveries["delivered_at"].notna()
        & (deliveries["delivered_at"] >= day.start)
        & (deliveries["delivered_at"] < day.end)
    ]
    if delivered.empty:
        return empty_observations()
    grace = pd.Timedelta(hours=settings.late_grace_hours)
    d = delivered.merge(orders, on="order_id", how="inner", suffixes=("", "_order"))
    d = d[d["delivered_at"] > d["promised_at"] + grace]
    if d.empty:
        return empty_observations()
    d = d.merge(offers[["offer_id", "seller_id"]], on="offer_id", how="left")
    completions = order_completions(deliveries[deliveries["order_id"].isin(d["order_id"])], orders,
                                    day.end, grace)
    d["completes_order"] = d["delivery_id"].isin(completions["completing_delivery_id"])
    hours_late = (d["delivered_at"] - d["promised_at"]).dt.total_seconds() / 3600.0
    qty = d["delivered_qty"].fillna(d["quantity"])
    impact = (qty * d["unit_price_rial"]).round().astype("int64")
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
        }
    )
    # a week late is critical whatever the value
    out.loc[hours_late.values >= 24 * 7, "severity"] = "critical"
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)


def overdue_orders(
    deliveries: pd.DataFrame, orders: pd.DataFrame, offers: pd.DataFrame, day: MonitoredDay, settings: Settings
) -> Observations:
    """Orders whose deadline plus grace passed before the end of D, not fully delivered nor cancelled."""
    grace = pd.Timedelta(hours=settings.late_grace_hours)
    due = orders[orders["promised_at"] + grace < day.end]
    if due.empty:
        return empty_observations()
    d = deliveries[deliveries["order_id"].isin(due["order_id"])]
    fulfilled = d["status"].isin(FULFILLED_STATUSES) & d["delivered_at"].notna() & (d["delivered_at"] < day.end)
    delivered_qty = d["delivered_qty"].where(fulfilled, 0.0).fillna(0.0).groupby(d["order_id"]).sum()
    # the rest of the quantity is still owed while a shipment is pending or on its way; once every
    # shipment is delivered or cancelled (by either side), the order is closed
    still_open = d["status"].isin(OPEN_STATUSES).groupby(d["order_id"]).any()
    has_delivery = pd.Series(True, index=d["order_id"].unique())
    o = due.set_index("order_id")
    o = o.assign(
        delivered_qty=delivered_qty.reindex(o.index).fillna(0.0),
        still_open=still_open.reindex(o.index).fillna(False).astype(bool)
        | ~has_delivery.reindex(o.index).fillna(False).astype(bool),
    )
    o = o[(o["delivered_qty"] < o["quantity"] - 1e-9) & o["still_open"]].reset_index()
    if o.empty:
        return empty_observations()
    o = o.merge(offers[["offer_id", "seller_id"]], on="offer_id", how="left")
    days_overdue = ((day.end - o["promised_at"]).dt.total_seconds() / 86400.0).round(1)
    outstanding = o["quantity"] - o["delivered_qty"]
    impact = (outstanding * o["unit_price_rial"]).round().astype("int64")
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


def first_true_on_day(versions: pd.DataFrame, flag: pd.Series, day: MonitoredDay) -> pd.DataFrame:
    """The versions on which `flag` turned true (false or absent before) during D."""
    v = versions.assign(_flag=flag.values).sort_values(["delivery_id", "updated_at"])
    previous = v.groupby("delivery_id")["_flag"].shift(1, fill_value=False).astype(bool)
    turned = v["_flag"] & ~previous & (v["updated_at"] >= day.start) & (v["updated_at"] < day.end)
    # several transitions in one day (a flag flapping) are one observation: keep the first
    return v[turned].drop_duplicates("delivery_id", keep="first").drop(columns="_flag")


def seller_cancellations(
    delivery_versions: pd.DataFrame, orders: pd.DataFrame, offers: pd.DataFrame, day: MonitoredDay,
    settings: Settings,
) -> Observations:
    """Deliveries that the seller cancelled during D (a finding type of its own, not 'late')."""
    if delivery_versions.empty:
        return empty_observations()
    turned = first_true_on_day(
        delivery_versions, delivery_versions["status"] == "cancelled_by_seller", day
    )
    if turned.empty:
        return empty_observations()
    c = turned.merge(orders, on="order_id", how="inner", suffixes=("", "_order"))
    c = c.merge(offers[["offer_id", "seller_id"]], on="offer_id", how="left")
    impact = (c["quantity"] * c["unit_price_rial"]).round().astype("int64")
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
        }
    )
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)
