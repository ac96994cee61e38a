"""What the checks of one monitored day read: the day's changes, and the open items, never the whole history.

- the delivery versions the day's extraction staged, each with the version its delivery had before them
  (event rules look for the version on which a condition turned true);
- the orders those deliveries belong to, and the orders the day changed, from their kept fulfilment;
- the orders open and past their promise plus grace at the end of the day (the overdue check), through the
  fulfilment's index;
- the sellers, and the offers whose price the store can show, as they stood at the end of the day, through
  the staging's version intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

import pandas as pd
from sqlalchemy import Connection

from pipelines.frames import Layout
from pipelines.monitored_day import MonitoredDay
from pipelines.state.fulfilment import (
    FulfilmentChange,
    all_staged_orders,
    delivered_by,
    fulfilment_is_empty,
    refresh_fulfilment,
)
from pipelines.store.engine import id_scratch
from pipelines.store.sql_files import read_frame

# the frames the checks read, in the contract's columns
SELLERS = Layout("sellers", ("seller_id", "unit_id", "display_name", "updated_at"))
OFFERS = Layout("offers", ("offer_id", "seller_id", "category_code", "unit", "unit_price_rial", "nesieh_months",
                           "nesieh_unit_price_rial", "promised_quality", "promised_lead_days", "status",
                           "updated_at"))
ORDERS = Layout("orders", ("order_id", "offer_id", "seller_id", "buyer_member_id", "quantity", "unit_price_rial",
                           "ordered_at", "promised_at", "due_at", "completing_delivery_id"))
DELIVERIES = Layout("deliveries", ("delivery_id", "order_id", "status", "shipped_at", "delivered_at",
                                   "delivered_qty", "received_quality", "buyer_rating", "complaint",
                                   "returned_qty", "updated_at", "changed"))
OPEN_ORDERS = Layout("open_orders", ("order_id", "offer_id", "seller_id", "quantity", "unit_price_rial",
                                     "promised_at", "due_at", "closed_at", "delivered_qty"))
Sellers = Annotated[pd.DataFrame, SELLERS]
Offers = Annotated[pd.DataFrame, OFFERS]
Orders = Annotated[pd.DataFrame, ORDERS]
Deliveries = Annotated[pd.DataFrame, DELIVERIES]
OpenOrders = Annotated[pd.DataFrame, OPEN_ORDERS]


@dataclass(frozen=True)
class MarketState:
    """What the checks of one day read."""

    day: MonitoredDay
    sellers: Sellers
    offers: Offers
    orders: Orders
    delivery_versions: Deliveries
    open_due: OpenOrders
    fulfilment: FulfilmentChange
    # the earliest Tehran day the day's changes may still re-judge (the allowed lateness, and never before the
    # first day the store monitored)
    first_judged_day: date


def open_due_orders(conn: Connection, day: MonitoredDay, lookback_days: int) -> OpenOrders:
    """Orders open at the end of `day` past their promise plus grace, with the quantity delivered by then."""
    open_due = read_frame(conn, "state/select_open_due_orders", as_of=day.end,
                          since=day.end - timedelta(days=lookback_days))
    if open_due.empty:
        return OPEN_ORDERS.empty()
    partly = open_due[open_due["first_delivered_at"].notna() & (open_due["first_delivered_at"] < day.end)]
    delivered = pd.Series(dtype=float)
    if not partly.empty:
        with id_scratch(conn, partly["order_id"]) as _:
            versions = read_frame(conn, "state/select_delivery_versions_of_orders")
        delivered = delivered_by(versions, partly["order_id"], day.end)
    open_due["delivered_qty"] = open_due["order_id"].map(delivered).fillna(0.0)
    return OPEN_ORDERS.conform(open_due)


def first_judged_day(checked_days: set[date], day: date, allowed_lateness_days: int) -> date:
    """The earliest day a run for `day` re-judges: within the allowed lateness, never before monitoring began."""
    earlier = [d for d in checked_days if d < day]
    first_monitored = min(earlier) if earlier else day
    return max(day - timedelta(days=allowed_lateness_days), first_monitored)


def market_state(conn: Connection, day: MonitoredDay, *, grace: pd.Timedelta, low_rating_max: int,
                 lookback_days: int, first_day: date) -> MarketState:
    """Refresh the fulfilment of the orders `day` changed, and read what the day's checks need."""
    everything = all_staged_orders(conn) if fulfilment_is_empty(conn) else None
    change = refresh_fulfilment(conn, day.day, grace, low_rating_max, orders=everything)
    versions = read_frame(conn, "state/select_delivery_changes", day=day.day)
    orders = change.after
    missing = set(versions["order_id"]) - set(orders["order_id"])
    if missing:  # deliveries of orders the day did not change (every order of a changed delivery is touched)
        with id_scratch(conn, pd.Series(sorted(missing))) as _:
            orders = pd.concat([orders, read_frame(conn, "state/select_fulfilment_of")], ignore_index=True)
    return MarketState(
        day=day,
        sellers=SELLERS.conform(read_frame(conn, "state/select_sellers_as_of", as_of=day.end)),
        offers=OFFERS.conform(read_frame(conn, "state/select_offers_priced_as_of", as_of=day.end)),
        orders=ORDERS.conform(orders),
        delivery_versions=DELIVERIES.conform(versions),
        open_due=open_due_orders(conn, day, lookback_days),
        fulfilment=change,
        first_judged_day=first_day,
    )
