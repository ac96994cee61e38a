"""Bad rows in a day's source are quarantined with the failed expectation, and every row is accounted for."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select

from pipelines.ingest import tables as ingest_tables
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration.daily_steps import run_day
from pipelines.simulator.run import simulate_into
from pipelines.store.engine import sqlite_path, store_engine
from tests.pipeline_helpers import END_DAY, HISTORY_DAYS, SEED, SMALL

pytestmark = pytest.mark.db


def test_bad_rows_are_quarantined_with_reasons_and_counted(settings_for):
    settings = settings_for()
    day = END_DAY - timedelta(days=1)
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(day).end, SMALL)
    stamp = (MonitoredDay(day).start + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    with sqlite3.connect(sqlite_path(settings.resolved_source_url)) as src:
        offer = src.execute("SELECT * FROM offers LIMIT 1").fetchone()
        columns = [d[0] for d in src.execute("SELECT * FROM offers LIMIT 1").description]
        bad = dict(zip(columns, offer, strict=True))
        bad.update(offer_id="bad-price", unit_price_rial=-5, updated_at=stamp)
        src.execute(f"INSERT INTO offers ({', '.join(bad)}) VALUES ({', '.join('?' * len(bad))})", list(bad.values()))
        bad.update(offer_id="bad-unit", unit_price_rial=1000, unit="bushel")
        src.execute(f"INSERT INTO offers ({', '.join(bad)}) VALUES ({', '.join('?' * len(bad))})", list(bad.values()))
        src.execute(
            "INSERT INTO deliveries (delivery_id, order_id, status, updated_at) VALUES (?, ?, ?, ?)",
            ("bad-status", "no-such-order", "lost", stamp),
        )
    run_day(settings, day)
    with store_engine(settings).connect() as conn:
        quarantined = {r.source_id: r for r in conn.execute(select(ingest_tables.quarantine)).all()}
        log = conn.execute(select(ingest_tables.extraction_log)).mappings().all()
    assert {"bad-price", "bad-unit", "bad-status"} <= set(quarantined)
    assert "unit_price_rial" in quarantined["bad-price"].failed_expectations
    assert "expect_column_values_to_be_in_set:unit" in quarantined["bad-unit"].failed_expectations
    assert "status" in quarantined["bad-status"].failed_expectations
    for row in log:
        assert row["rows_read_at_source"] == row["rows_fetched"]
        assert row["rows_fetched"] == (row["rows_staged"] + row["rows_parked"] + row["rows_quarantined"]
                                      + row["rows_duplicates_collapsed"])
    assert sum(r["rows_quarantined"] for r in log) >= 3
