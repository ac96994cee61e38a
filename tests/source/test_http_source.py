"""The HTTP source for real: the reference server on loopback, the client paging, retrying and waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from pipelines.monitored_day import MonitoredDay
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.source.http import HttpSource, retry_after_seconds
from pipelines.source.reader import ENTITY_KEYS, SourceUnavailableError, SqlSource, open_source
from pipelines.source.server import SourceServer
from pipelines.store.engine import source_engine
from tests.conftest import free_port
from tests.pipeline_helpers import END_DAY, HISTORY_DAYS, SEED, SMALL, days_before_end, findings_snapshot

pytestmark = pytest.mark.e2e
DAY = days_before_end(3)[0]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    from pipelines.settings import Settings

    settings = Settings(var_dir=tmp_path_factory.mktemp("var"))
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(DAY).end, SMALL)
    return settings


@pytest.mark.parametrize("since", [None, "day"])
def test_pages_through_faults_give_exactly_the_sql_rows(simulated, since):
    engine = source_engine(simulated)
    window_since = MonitoredDay(DAY).start if since else None
    before = MonitoredDay(DAY).end
    with SourceServer(engine, fault_every=4, fault_status=429, retry_after_seconds=0.05) as server:
        client = HttpSource(server.url, page_rows=701, backoff_seconds=0.01)
        for entity, key in ENTITY_KEYS.items():
            via_sql = SqlSource(engine).read_changed(entity, window_since, before)
            via_http = client.read_changed(entity, window_since, before)
            assert via_http.rows_counted_at_source == via_sql.rows_counted_at_source == len(via_sql.rows)
            assert len(via_http.rows) == len(via_sql.rows)
            if len(via_sql.rows):
                assert via_http.rows[key].tolist() == via_sql.rows[key].tolist()  # (updated_at, id) order
                assert list(via_http.rows.columns) == list(via_sql.rows.columns)
        assert server.faults > 0
        # every wait was the server's Retry-After, not the client's own backoff
        assert client.waits and set(client.waits) == {0.05}


def test_a_page_never_splits_rows_that_share_id_and_updated_at(tmp_path):
    """A source without a key constraint may repeat (id, updated_at); paging must not drop the twin."""
    import sqlite3

    from pipelines.store.sql_files import SQL_DIR

    path = tmp_path / "ombazar.db"
    ddl = (SQL_DIR / "ombazar" / "create_tables.sqlite.sql").read_text().replace("TEXT PRIMARY KEY", "TEXT")
    with sqlite3.connect(path) as conn:
        conn.executescript(ddl)
        rows = [(f"S{i // 2:03d}", "U1", f"shop {i}", None, "2026-11-10T10:00:00+00:00") for i in range(10)]
        conn.executemany("INSERT INTO sellers VALUES (?, ?, ?, ?, ?)", rows)
    from pipelines.settings import Settings

    engine = source_engine(Settings(var_dir=tmp_path, source_url=f"sqlite:///{path}"))
    with SourceServer(engine) as server:
        batch = HttpSource(server.url, page_rows=3).read_changed("sellers", None, datetime(2027, 1, 1, tzinfo=UTC))
    assert sorted(batch.rows["display_name"]) == sorted(r[2] for r in rows)
    assert batch.rows_counted_at_source == 10


def test_retry_after_longer_than_allowed_fails_clearly(simulated):
    with SourceServer(source_engine(simulated), fault_every=1, fault_status=503, retry_after_seconds=600) as server:
        client = HttpSource(server.url, max_wait_seconds=5)
        with pytest.raises(SourceUnavailableError, match="asks to wait 600s"):
            client.read_changed("sellers", None, MonitoredDay(DAY).end)


def test_unreachable_server_fails_after_retries_with_backoff():
    slept: list[float] = []
    client = HttpSource(
        f"http://127.0.0.1:{free_port()}", retries=3, backoff_seconds=0.01, timeout_seconds=1, sleep=slept.append
    )
    with pytest.raises(SourceUnavailableError, match="cannot be reached .* after 4 attempts"):
        client.read_changed("offers", None, datetime(2026, 11, 1, tzinfo=UTC))
    assert slept == [0.01, 0.02, 0.04]


def test_server_refuses_zoneless_windows_and_unknown_entities(simulated):
    import httpx

    with SourceServer(source_engine(simulated)) as server:
        assert httpx.get(f"{server.url}/v1/offers?updated_since=2026-11-01T00:00:00").status_code == 400
        assert httpx.get(f"{server.url}/v1/buyers").status_code == 404
        with pytest.raises(SourceUnavailableError, match="answered 404"):
            HttpSource(server.url + "/nope").read_changed("offers", None, datetime(2026, 11, 1, tzinfo=UTC))


@pytest.mark.unit
def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Thu, 26 Nov 2026 12:00:30 GMT", now=now) == 30
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.unit
def test_settings_and_airflow_connection_select_the_http_source(settings_for):
    from types import SimpleNamespace

    from pipelines.orchestration.airflow_glue import source_overrides

    settings = settings_for(source_kind="http", source_http_url="http://127.0.0.1:9", source_http_retries=2)
    source = open_source(settings)
    assert isinstance(source, HttpSource) and source.base_url == "http://127.0.0.1:9" and source.retries == 2
    conn = SimpleNamespace(conn_type="http", host="ombazar.example", schema="https", port=8443,
                           extra_dejson={"page_rows": "200"})
    assert source_overrides(conn) == {
        "source_kind": "http", "source_http_url": "https://ombazar.example:8443", "source_http_page_rows": 200,
    }


def test_http_and_sql_give_identical_findings(tmp_path, settings_for):
    """The same simulated days, monitored once over SQL and once over HTTP (with faults): same findings."""
    from pipelines.orchestration.daily_steps import run_day
    from pipelines.settings import Settings

    days = days_before_end(2)
    via_sql = Settings(var_dir=tmp_path / "sql")
    via_http = Settings(var_dir=tmp_path / "http", source_kind="http", source_http_page_rows=1500,
                        source_http_backoff_seconds=0.01)
    scale = SimScale(sellers_per_province=3, offers_per_seller=3, orders_per_day=150, members=500)
    for day in days:
        for settings in (via_sql, via_http):
            simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(day).end, scale)
        run_day(via_sql, day)
        with SourceServer(source_engine(via_http), fault_every=5, retry_after_seconds=0.01) as server:
            run_day(via_http.model_copy(update={"source_http_url": server.url}), day)
    sql_findings, http_findings = findings_snapshot(via_sql), findings_snapshot(via_http)
    assert len(sql_findings) > 0
    pd.testing.assert_frame_equal(sql_findings, http_findings)


def test_source_serve_command_answers_on_loopback(simulated, monkeypatch):
    """`rasad source serve --port N` in a real process, asked over HTTP."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    env = {**os.environ, "RASAD_VAR_DIR": str(simulated.var_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "source", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/sellers", params={"limit": 5})
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        body = answer.json()
        assert answer.status_code == 200 and len(body["items"]) == 5 and body["next_cursor"]
        after = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        assert httpx.get(f"http://127.0.0.1:{port}/v1/sellers", params={"updated_since": after}).json()["items"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)
