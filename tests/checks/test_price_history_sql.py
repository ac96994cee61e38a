"""The offers' own price history as the daily price check reads it from staging, on SQLite and PostgreSQL:
the versions of the window, and the one each offer had when the window opened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.ingest import tables as ingest_tables
from pipelines.store.engine import store_engine
from pipelines.store.migrate import upgrade_store
from pipelines.store.sql_files import read_frame

pytestmark = pytest.mark.db


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def version(offer: str, updated: datetime, price: int, valid_to: datetime | None) -> dict:
    return {"offer_id": offer, "updated_at": updated, "seller_id": "s1", "title": "چای ۵۰۰ گرمی",
            "category_code": "S01.D1.F1.B1.SB1", "unit": "piece", "unit_price_rial": price,
            "promised_quality": "A", "promised_lead_days": 2, "status": "active", "created_at": at(1, 1),
            "first_run_id": "r", "valid_to": valid_to}


def check_history(settings) -> None:
    engine = store_engine(settings)
    upgrade_store(engine)
    rows = [
        version("old", at(1, 10), 900, at(3, 1)),  # superseded before the window opened: not history
        version("old", at(3, 1), 1000, None),  # in force since before the window: history
        version("moved", at(3, 5), 500, at(9, 15)),  # in force when the window opened: history
        version("moved", at(9, 15), 600, at(11, 20)),
        version("moved", at(11, 20), 1500, None),
        version("late", at(12, 5), 700, None),  # recorded after the day: never read
    ]
    with engine.begin() as conn:
        conn.execute(ingest_tables.stg_offers.insert(), rows)
    with engine.connect() as conn:
        got = read_frame(conn, "price/select_offer_versions", since=at(9, 1), as_of=at(12, 1))
    got = sorted(zip(got["offer_id"], got["unit_price_rial"].astype(int), strict=True))
    assert got == [("moved", 500), ("moved", 600), ("moved", 1500), ("old", 1000)]


def test_price_history_on_sqlite(settings_for):
    check_history(settings_for())


def test_price_history_on_postgresql(pg_database, settings_for):
    check_history(settings_for(store_url=pg_database))
