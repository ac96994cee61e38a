"""The HTTP source misbehaving on loopback: a page that comes back short, an endless chain of cursors, items
that are not rows. Each must end the read with a clear error, never a green run that lost rows or a loop."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
from sqlalchemy import select

from pipelines.ingest import tables as ingest_tables
from pipelines.ingest.extraction import ShortReadError, extract_day
from pipelines.monitored_day import MonitoredDay
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.source.contract import ContractError
from pipelines.source.http import HttpSource, SourceLoopError
from pipelines.source.reader import SqlSource
from pipelines.source.server import SourceServer
from pipelines.store.engine import source_engine, store_engine
from tests.pipeline_helpers import END_DAY, SEED

pytestmark = pytest.mark.e2e
DAY = END_DAY - timedelta(days=2)
NEXT = DAY + timedelta(days=1)
TINY = SimScale(sellers_per_province=2, offers_per_seller=3, orders_per_day=60, members=300)


class ShortPageServer(SourceServer):
    """The reference server, except that every page of `entity` that holds rows loses its last one, while the
    page still reports the window's full count (`total`)."""

    def __init__(self, *args, entity: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.short_entity = entity
        self.dropped = 0

    def answer(self, path, query):
        status, headers, body = super().answer(path, query)
        if status == 200 and path.rstrip("/").endswith(self.short_entity) and body["items"]:
            body["items"] = body["items"][:-1]
            self.dropped += 1
        return status, headers, body


def _watermarks(engine) -> dict[str, datetime]:
    with engine.connect() as conn:
        rows = conn.execute(select(ingest_tables.watermark)).all()
    return {r.entity: r.updated_before for r in rows}


def test_a_short_page_fails_the_run_and_keeps_the_watermark(tmp_path):
    from pipelines.settings import Settings

    settings = Settings(var_dir=tmp_path / "var")
    simulate_into(settings, SEED, 12, END_DAY, MonitoredDay(NEXT).end, TINY)
    source, store = source_engine(settings), store_engine(settings)
    extracted_at = MonitoredDay(NEXT).end + timedelta(hours=1)
    with SourceServer(source) as honest:
        extract_day(HttpSource(honest.url, page_rows=50), store, DAY, "run-day", extracted_at=extracted_at)
    before = _watermarks(store)
    assert before["orders"] == MonitoredDay(DAY).end

    with ShortPageServer(source, entity="orders") as short:
        with pytest.raises(ShortReadError) as failed:
            extract_day(HttpSource(short.url, page_rows=50), store, NEXT, "run-short", extracted_at=extracted_at)
        assert short.dropped > 0
    message = str(failed.value)
    assert "\n" not in message and "orders: the source counted" in message and "watermark stays" in message
    after = _watermarks(store)
    assert after["orders"] == before["orders"]  # the rows of the short page will be read again
    assert after["deliveries"] == before["deliveries"]  # the run stopped: later entities were not read
    with store.connect() as conn:
        logged = conn.execute(select(ingest_tables.extraction_log.c.entity)
                              .where(ingest_tables.extraction_log.c.run_id == "run-short")).scalars().all()
    assert "orders" not in logged

    # run again against an honest source: every order of the day is staged, none was lost
    with SourceServer(source) as honest:
        counts = extract_day(HttpSource(honest.url, page_rows=50), store, NEXT, "run-again",
                             extracted_at=extracted_at)
    orders = next(c for c in counts if c.entity == "orders")
    via_sql = SqlSource(source).read_changed("orders", MonitoredDay(NEXT).start, MonitoredDay(NEXT).end)
    assert orders.rows_read_at_source == orders.rows_fetched == len(via_sql.rows) > 0
    with store.connect() as conn:
        staged = set(conn.execute(select(ingest_tables.stg_orders.c.order_id)).scalars())
    assert set(via_sql.rows["order_id"].astype(str)) <= staged
    assert _watermarks(store)["orders"] == MonitoredDay(NEXT).end


class _EndlessCursors(BaseHTTPRequestHandler):
    """Every answer: one fresh row and a fresh cursor, forever (each cursor distinct, so no repeat is seen)."""

    total: int | None = 3
    requests = 0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 - the http.server API
        with self.lock:
            type(self).requests += 1
        at = datetime(2026, 11, 10, tzinfo=UTC).isoformat()
        body = {"items": [{"seller_id": uuid.uuid4().hex, "unit_id": "U1", "display_name": "x", "joined_at": None,
                           "updated_at": at}],
                "next_cursor": uuid.uuid4().hex}
        if self.total is not None:
            body["total"] = self.total
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host, port = httpd.server_address[:2]
    return httpd, f"http://{host}:{port}"


@pytest.mark.parametrize("total", [3, None], ids=["with-count", "without-count"])
def test_an_endless_chain_of_distinct_cursors_stops_at_a_bound(total):
    handler = type("Endless", (_EndlessCursors,), {"total": total, "requests": 0})
    httpd, url = _serve(handler)
    try:
        client = HttpSource(url, page_rows=2, max_pages=40)
        started = time.monotonic()
        with pytest.raises(SourceLoopError) as stopped:
            client.read_changed("sellers", None, datetime(2026, 12, 1, tzinfo=UTC))
        assert time.monotonic() - started < 10
    finally:
        httpd.shutdown()
        httpd.server_close()
    message = str(stopped.value)
    assert "\n" not in message and "cursors do not end" in message
    if total is not None:
        # the source counted 3 rows at 2 a page: 2 pages, plus the spare ones; never the hard cap
        assert handler.requests == client.page_bound(total) == 4
    else:
        assert handler.requests == 40  # RASAD_SOURCE_HTTP_MAX_PAGES
    assert isinstance(stopped.value, ContractError)


def test_the_hard_cap_on_pages_comes_from_settings(settings_for):
    settings = settings_for(source_kind="http", source_http_url="http://127.0.0.1:9", source_http_max_pages=7)
    assert HttpSource.from_settings(settings).max_pages == 7
    assert HttpSource.from_settings(settings).page_bound(10**9) == 7


class _NotRows(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        payload = json.dumps({"items": [{"seller_id": "S1"}, 42, "text"], "next_cursor": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_items_that_are_not_objects_break_the_contract_in_one_line():
    httpd, url = _serve(_NotRows)
    try:
        with pytest.raises(ContractError, match="not a JSON object") as refused:
            HttpSource(url).read_changed("sellers", None, datetime(2026, 12, 1, tzinfo=UTC))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "\n" not in str(refused.value) and "42" in str(refused.value)


def test_rows_no_window_holds_are_served_to_the_sweep_and_counted(tmp_path):
    """Over HTTP too, an updated_at of 1969, 2099, 9999 or 2026-02-30 reaches the extractor (read_implausible),
    with the server's own count, and no window serves it twice."""
    import sqlite3

    from pipelines.settings import Settings
    from pipelines.store.sql_files import SQL_DIR

    path = tmp_path / "ombazar.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((SQL_DIR / "ombazar" / "create_tables.sqlite.sql").read_text())
        stamps = {"S-OK": "2026-11-10T10:00:00+00:00", "S-1969": "1969-12-31T23:59:59+00:00",
                  "S-2099": "2099-01-01T00:00:00+00:00", "S-9999": "9999-12-31T23:59:59+00:00",
                  "S-FEB30": "2026-02-30T10:00:00+00:00", "S-WORDS": "yesterday"}
        conn.executemany("INSERT INTO sellers VALUES (?, 'U1', 'x', NULL, ?)", list(stamps.items()))
    engine = source_engine(Settings(var_dir=tmp_path, source_url=f"sqlite:///{path}"))
    latest = datetime(2026, 11, 20, tzinfo=UTC)
    with SourceServer(engine) as server:
        client = HttpSource(server.url, page_rows=2)
        window = client.read_changed("sellers", None, latest)
        swept = client.read_implausible("sellers", latest)
    via_sql = SqlSource(engine)
    sql_window = via_sql.read_changed("sellers", None, latest)
    sql_swept = via_sql.read_implausible("sellers", latest)
    assert set(window.rows["seller_id"]) == {"S-OK"}
    assert set(swept.rows["seller_id"]) == set(stamps) - {"S-OK"}
    assert swept.rows_counted_at_source == len(swept.rows) == 5
    # over SQL, text that is no date at all stays in every window; the rest is the sweep's
    assert set(sql_window.rows["seller_id"]) == {"S-OK", "S-WORDS"}
    assert set(sql_swept.rows["seller_id"]) == {"S-1969", "S-2099", "S-9999", "S-FEB30"}
    assert sql_swept.rows_counted_at_source == 4 and sql_window.rows_counted_at_source == 2
    assert pd.Index(sql_window.rows["seller_id"]).intersection(sql_swept.rows["seller_id"]).empty
