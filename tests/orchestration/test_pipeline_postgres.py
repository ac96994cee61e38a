"""The same daily pipeline with the store and the source on PostgreSQL (a database the test creates)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines.ingest import tables as ingest_tables
from pipelines.orchestration.daily_steps import run_day
from tests.pipeline_helpers import days_before_end, findings_snapshot, simulate_and_run, table_snapshot

pytestmark = pytest.mark.db


def test_pipeline_on_postgresql_store_and_source(pg_database, settings_for):
    settings = settings_for(store_url=pg_database, source_url=pg_database)
    days = days_before_end(2)
    for day in days:
        summary = simulate_and_run(settings, day)
        assert len(summary["reports"]) == 31
    engine = sa.create_engine(pg_database)
    with engine.connect() as conn:
        schemas = set(sa.inspect(conn).get_schema_names())
        assert {"ref", "monitoring", "ombazar"} <= schemas
        findings = conn.execute(sa.text("SELECT COUNT(*) FROM monitoring.finding")).scalar_one()
        # timestamps come back aware, in UTC
        staged = conn.execute(sa.select(ingest_tables.stg_deliveries.c.updated_at).limit(1)).scalar_one()
    engine.dispose()
    assert findings > 0
    assert staged.tzinfo is not None and staged.utcoffset().total_seconds() == 0

    before = findings_snapshot(settings)
    log = table_snapshot(settings, ingest_tables.extraction_log)
    assert (log["rows_read_at_source"] == log["rows_fetched"]).all()
    run_day(settings, days[0])
    pd.testing.assert_frame_equal(findings_snapshot(settings), before)
