"""PostgreSQL store + PostgreSQL source, the source read through a role that can only SELECT."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from pipelines.ingest import tables as ingest_tables
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration.daily_steps import run_day
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.store.engine import source_engine
from tests.pipeline_helpers import END_DAY, SEED, days_before_end, findings_snapshot, table_snapshot

pytestmark = pytest.mark.db
SCALE = SimScale(sellers_per_province=2, offers_per_seller=3, orders_per_day=80, members=300)


@pytest.fixture
def reader_role(pg_database):
    """A login role on the test database with USAGE on schema ombazar and SELECT on its tables only."""
    role = f"ombazar_reader_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {pg_database.rsplit('/', 1)[1]} FROM PUBLIC")
        conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {pg_database.rsplit('/', 1)[1]} TO {role}")
        conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS ombazar")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA ombazar TO {role}")
        # tables the simulator creates later are readable too, and nothing more
        conn.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA ombazar GRANT SELECT ON TABLES TO {role}")
    try:
        yield role, pg_database.rsplit("/", 1)[0].replace("postgres@", f"{role}@") + "/" + pg_database.rsplit("/", 1)[1]
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %(r)s", {"r": role}
            )
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_pipeline_on_postgres_reads_the_source_through_a_select_only_role(pg_database, reader_role, tmp_path):
    from pipelines.settings import Settings

    role, reader_url = reader_role
    writer = Settings(var_dir=tmp_path / "var", store_url=pg_database, source_url=pg_database)
    reader = writer.model_copy(update={"source_url": reader_url})

    first = days_before_end(2)[0]
    simulate_into(writer, SEED, 10, END_DAY, MonitoredDay(first).end, SCALE)
    with source_engine(reader).connect() as conn:  # the role cannot write to the source
        assert conn.exec_driver_sql("SELECT current_user").scalar_one() == role
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.exec_driver_sql("DELETE FROM ombazar.orders")
        conn.rollback()
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.exec_driver_sql("SELECT COUNT(*) FROM monitoring.finding")  # nor read Rasad's own tables

    for day in days_before_end(2):
        if day != first:
            simulate_into(writer, SEED, 10, END_DAY, MonitoredDay(day).end, SCALE)
        run_day(reader, day)
    log = table_snapshot(reader, ingest_tables.extraction_log)
    assert len(log) == 8 and (log["rows_read_at_source"] == log["rows_fetched"]).all()
    assert (log["rows_fetched"]
            == log["rows_staged"] + log["rows_parked"] + log["rows_quarantined"]
            + log["rows_duplicates_collapsed"]).all()
    assert len(findings_snapshot(reader)) > 0
