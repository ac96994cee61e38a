"""The fulfilment of each order, recomputed only for the orders a day's extraction changed.

An order's fulfilment follows from its deliveries, read by the events' own timestamps: the quantity
delivered, the shipments still open, the delivery that completed the quantity (and whether that was after
the promise plus grace), when the order closed, whether the seller cancelled, when a quality defect first
showed, and how late the records reached the source. It is kept in `order_fulfilment`, so the overdue check
reads the open orders by index and the scorecards sum cohorts, instead of rebuilding every order of the
lookback every day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, bindparam, delete

from pipelines.monitored_day import TEHRAN
from pipelines.state.defects import quality_signals
from pipelines.state.money import amount_rial
from pipelines.state.tables import order_fulfilment
from pipelines.store.engine import id_scratch, insert_frame
from pipelines.store.sql_files import read_frame

FULFILLED_STATUSES = ("delivered", "returned")
CANCELLED_STATUSES = ("cancelled_by_seller", "cancelled_by_buyer")
OPEN_STATUSES = ("pending", "shipped")
FULFILMENT_COLUMNS = [c.name for c in order_fulfilment.columns]
TIMESTAMP_COLUMNS = ("ordered_at", "promised_at", "due_at", "first_delivered_at", "completed_at", "closed_at",
                     "seller_cancelled_at", "defect_at", "recorded_at")


@dataclass(frozen=True)
class FulfilmentChange:
    """What a refresh did: the rows before and after, and the orders' deliveries (every version)."""

    before: pd.DataFrame
    after: pd.DataFrame
    delivery_versions: pd.DataFrame


def tehran_days(instants: pd.Series) -> pd.Series:
    """The Tehran calendar day of each instant, whole-column (None where null)."""
    days = instants.dt.tz_convert(TEHRAN).dt.date
    return days.astype(object).where(instants.notna(), None)


def _map_instants(keys: pd.Series, instants: pd.Series) -> pd.Series:
    """`keys.map(instants)` as tz-aware timestamps (pandas cannot map through an empty datetime Series)."""
    if instants.empty:
        return pd.Series(pd.NaT, index=keys.index, dtype="datetime64[us, UTC]")
    return pd.to_datetime(keys.map(instants), utc=True)


def _first_at(versions: pd.DataFrame, flag: pd.Series) -> pd.Series:
    """Per delivery, the updated_at of its first version on which `flag` holds."""
    return versions.loc[flag.to_numpy(), ["delivery_id", "updated_at"]].groupby("delivery_id")["updated_at"].min()


def compute_fulfilment(orders: pd.DataFrame, offers: pd.DataFrame, versions: pd.DataFrame, grace: pd.Timedelta,
                       low_rating_max: int) -> pd.DataFrame:
    """One fulfilment row per order, from its latest order version and every version of its deliveries."""
    versions = versions.assign(**{c: pd.to_numeric(versions[c], errors="coerce").astype(float)
                                  for c in ("delivered_qty", "returned_qty", "buyer_rating")})
    for column in ("delivered_at", "updated_at"):
        versions[column] = pd.to_datetime(versions[column], utc=True)
    o = orders.merge(offers[["offer_id", "seller_id", "promised_quality"]], on="offer_id", how="left")
    o = o.drop_duplicates("order_id").set_index("order_id")
    due_at = o["promised_at"] + grace
    v = versions.merge(o[["quantity", "unit_price_rial", "promised_quality"]], left_on="order_id",
                       right_index=True, how="inner")
    current = v[v["valid_to"].isna()] if "valid_to" in v.columns else v.sort_values("updated_at").drop_duplicates(
        "delivery_id", keep="last")

    shipments = current.groupby("order_id").size()
    open_shipments = current["status"].isin(OPEN_STATUSES).groupby(current["order_id"]).sum()
    fulfilled = current[current["status"].isin(FULFILLED_STATUSES) & current["delivered_at"].notna()]
    delivered_qty = fulfilled["delivered_qty"].fillna(fulfilled["quantity"]).groupby(fulfilled["order_id"]).sum()
    first_delivered = fulfilled.groupby("order_id")["delivered_at"].min()

    # the delivery whose running quantity (by delivered_at) reaches the order's completes it; a delivery with
    # no quantity recorded is taken to carry the rest of the order
    f = fulfilled.sort_values(["order_id", "delivered_at", "delivery_id"], kind="stable")
    running = f["delivered_qty"].fillna(f["quantity"]).groupby(f["order_id"]).cumsum()
    done = f[running >= f["quantity"] - 1e-9].drop_duplicates("order_id", keep="first").set_index("order_id")

    # when each shipment reached its end: delivered (its own time) or cancelled (the version that said so)
    cancelled_at = _first_at(v, v["status"].isin(CANCELLED_STATUSES))
    ended = current[~current["status"].isin(OPEN_STATUSES)]
    end_at = ended["delivered_at"].where(ended["status"].isin(FULFILLED_STATUSES),
                                         _map_instants(ended["delivery_id"], cancelled_at))
    last_end = end_at.groupby(ended["order_id"]).max()
    seller_cancelled = _first_at(v, v["status"] == "cancelled_by_seller")
    cancelled_by_seller = v.loc[v["delivery_id"].isin(seller_cancelled.index)]
    seller_cancelled_at = _map_instants(cancelled_by_seller["delivery_id"], seller_cancelled).groupby(
        cancelled_by_seller["order_id"]).min()
    buyer_only = (current["status"] == "cancelled_by_buyer").groupby(current["order_id"]).all()

    signals = quality_signals(v, v["promised_quality"], low_rating_max).any(axis=1)
    defective = v[signals.to_numpy()].sort_values(["order_id", "updated_at"], kind="stable")
    first_defect = defective.drop_duplicates("order_id", keep="first").set_index("order_id")
    defect_value = amount_rial(first_defect["delivered_qty"].fillna(first_defect["quantity"]),
                               first_defect["unit_price_rial"])

    # how late a delivery's record reached the source: its first fulfilled version against delivered_at
    first_fulfilled = v[v["status"].isin(FULFILLED_STATUSES) & v["delivered_at"].notna()].sort_values(
        "updated_at", kind="stable").drop_duplicates("delivery_id", keep="first")
    lag = ((first_fulfilled["updated_at"] - first_fulfilled["delivered_at"]).dt.total_seconds() / 3600.0).clip(
        lower=0.0)
    record_lag = lag.groupby(first_fulfilled["order_id"]).max()
    recorded = pd.concat([o["updated_at"], v.groupby("order_id")["updated_at"].max()]).groupby(level=0).max()

    idx = o.index
    n_shipments = shipments.reindex(idx).fillna(0).astype("int64")
    n_open = open_shipments.reindex(idx).fillna(0).astype("int64")
    completed_at = done["delivered_at"].reindex(idx)
    closed_at = completed_at.where(completed_at.notna(),
                                   last_end.reindex(idx).where((n_shipments > 0) & (n_open == 0)))
    out = pd.DataFrame({
        "order_id": idx,
        "offer_id": o["offer_id"],
        "seller_id": o["seller_id"],
        "buyer_member_id": o["buyer_member_id"],
        "quantity": o["quantity"].astype(float),
        "unit_price_rial": o["unit_price_rial"].astype("int64"),
        "ordered_at": o["ordered_at"],
        "promised_at": o["promised_at"],
        "due_at": due_at,
        "due_day": tehran_days(due_at),
        "shipments": n_shipments,
        "open_shipments": n_open,
        "delivered_qty": delivered_qty.reindex(idx).fillna(0.0),
        "first_delivered_at": first_delivered.reindex(idx),
        "completing_delivery_id": done["delivery_id"].reindex(idx),
        "completed_at": completed_at,
        "completed_late": (completed_at > due_at).astype("Int64").where(completed_at.notna()),
        "closed_at": closed_at,
        "seller_cancelled_at": seller_cancelled_at.reindex(idx),
        "buyer_cancelled": (buyer_only.reindex(idx).fillna(False).astype(bool) & (n_shipments > 0)).astype("int64"),
        "defect_at": first_defect["updated_at"].reindex(idx),
        "defect_value_rial": defect_value.reindex(idx).fillna(0).astype("int64"),
        "record_lag_hours": record_lag.reindex(idx).round(2),
        "recorded_at": recorded.reindex(idx),
    })
    for column in TIMESTAMP_COLUMNS:
        out[column] = pd.to_datetime(out[column], utc=True)
    return out.reset_index(drop=True)[FULFILMENT_COLUMNS]


def touched_orders(conn: Connection, day: date) -> pd.Series:
    """The orders whose order row or deliveries the extraction of `day` staged."""
    return read_frame(conn, "state/select_orders_touched", day=day)["order_id"]


def refresh_fulfilment(conn: Connection, day: date, grace: pd.Timedelta, low_rating_max: int,
                       orders: pd.Series | None = None) -> FulfilmentChange:
    """Recompute the fulfilment of the orders `day` changed (or of `orders`), store it, and say what changed."""
    ids = touched_orders(conn, day) if orders is None else orders
    if ids.empty:
        empty = pd.DataFrame(columns=FULFILMENT_COLUMNS)
        return FulfilmentChange(empty, empty, pd.DataFrame())
    with id_scratch(conn, ids) as _:
        before = read_frame(conn, "state/select_fulfilment_of")
        current_orders = read_frame(conn, "state/select_current_orders_of")
        versions = read_frame(conn, "state/select_delivery_versions_of_orders")
    with id_scratch(conn, current_orders["offer_id"]) as _:
        offers = read_frame(conn, "state/select_current_offers_of")
    after = compute_fulfilment(current_orders, offers, versions, grace, low_rating_max)
    stmt = delete(order_fulfilment).where(order_fulfilment.c.order_id.in_(bindparam("ids", expanding=True)))
    gone = list(pd.unique(ids.astype(str)))
    for start in range(0, len(gone), 5000):
        conn.execute(stmt, {"ids": gone[start : start + 5000]})
    insert_frame(conn, order_fulfilment, after)
    return FulfilmentChange(before, after, versions)


def fulfilment_is_empty(conn: Connection) -> bool:
    """True until the first refresh (a store upgraded from before fulfilment was kept)."""
    from sqlalchemy import select

    return conn.execute(select(order_fulfilment.c.order_id).limit(1)).first() is None


def all_staged_orders(conn: Connection) -> pd.Series:
    """Every staged order id (once, to build fulfilment for a store that had none)."""
    from sqlalchemy import select

    from pipelines.ingest.tables import stg_orders

    return pd.Series(conn.execute(select(stg_orders.c.order_id).distinct()).scalars().all(), dtype=object)


def delivered_by(versions: pd.DataFrame, order_ids: pd.Series, end) -> pd.Series:
    """Quantity delivered (by delivered_at) before `end`, per order, from the deliveries' latest versions."""
    current = versions[versions["valid_to"].isna()] if "valid_to" in versions.columns else versions
    d = current[current["order_id"].isin(order_ids) & current["status"].isin(FULFILLED_STATUSES)
                & current["delivered_at"].notna() & (current["delivered_at"] < end)]
    return d["delivered_qty"].fillna(0.0).groupby(d["order_id"]).sum()

