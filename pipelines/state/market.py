"""The marketplace as it stood at the end of a monitored day, read from staging.

Checks read state, not deltas: the latest staged version of each row before the end of D.
Events carry their own timestamps; checks use those to decide what had happened by D.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import pandas as pd
from sqlalchemy import Connection

from pipelines.frames import Layout
from pipelines.monitored_day import MonitoredDay
from pipelines.store.sql_files import read_frame

# the frames the checks read: the latest staged version of each source row, in the contract's columns
# (sql/state/select_*_as_of.sql); delivery versions are every staged version of the deliveries touched on D
SELLERS = Layout("sellers", ("seller_id", "unit_id", "display_name", "updated_at"))
OFFERS = Layout("offers", ("offer_id", "seller_id", "category_code", "unit", "unit_price_rial", "nesieh_months",
                           "nesieh_unit_price_rial", "promised_quality", "promised_lead_days", "status",
                           "updated_at"))
ORDERS = Layout("orders", ("order_id", "offer_id", "buyer_member_id", "quantity", "unit_price_rial", "payment",
                           "ordered_at", "promised_at", "updated_at"))
DELIVERIES = Layout("deliveries", ("delivery_id", "order_id", "status", "shipped_at", "delivered_at",
                                   "delivered_qty", "received_quality", "buyer_rating", "complaint",
                                   "returned_qty", "updated_at"))
Sellers = Annotated[pd.DataFrame, SELLERS]
Offers = Annotated[pd.DataFrame, OFFERS]
Orders = Annotated[pd.DataFrame, ORDERS]
Deliveries = Annotated[pd.DataFrame, DELIVERIES]


@dataclass(frozen=True)
class MarketState:
    """What the checks of one day read."""

    day: MonitoredDay
    sellers: Sellers
    offers: Offers
    orders: Orders
    deliveries: Deliveries
    delivery_versions: Deliveries


def market_state(conn: Connection, day: MonitoredDay, lookback_days: int) -> MarketState:
    """The marketplace at the end of `day`, orders placed within the lookback."""
    since = day.end - timedelta(days=lookback_days)
    return MarketState(
        day=day,
        sellers=read_frame(conn, "state/select_sellers_as_of", as_of=day.end),
        offers=read_frame(conn, "state/select_offers_as_of", as_of=day.end),
        orders=read_frame(conn, "state/select_orders_as_of", as_of=day.end, since=since),
        deliveries=read_frame(conn, "state/select_deliveries_as_of", as_of=day.end, since=since),
        delivery_versions=read_frame(
            conn, "state/select_delivery_versions_touched", as_of=day.end, window_start=day.start
        ),
    )
