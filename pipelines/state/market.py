"""The marketplace as it stood at the end of a monitored day, read from staging.

Checks read state, not deltas: the latest staged version of each row before the end of D.
Events carry their own timestamps; checks use those to decide what had happened by D.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy import Connection

from pipelines.monitored_day import MonitoredDay
from pipelines.store.sql_files import store_sql
from pipelines.store.types import parse_utc_column

TIMESTAMP_COLUMNS = {
    "updated_at", "joined_at", "created_at", "ordered_at", "promised_at", "shipped_at", "delivered_at",
}


def read_frame(conn: Connection, name: str, **params) -> pd.DataFrame:
    """Run `sql/<name>.sql` and return a frame with tz-aware UTC timestamp columns."""
    frame = pd.read_sql(store_sql(name, conn.dialect.name), conn, params=params)
    for column in frame.columns:
        if column in TIMESTAMP_COLUMNS:
            frame[column] = parse_utc_column(frame[column])
    return frame


@dataclass(frozen=True)
class MarketState:
    """What the checks of one day read."""

    day: MonitoredDay
    sellers: pd.DataFrame
    offers: pd.DataFrame
    orders: pd.DataFrame
    deliveries: pd.DataFrame
    delivery_versions: pd.DataFrame


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
