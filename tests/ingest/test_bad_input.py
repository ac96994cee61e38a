"""Bad input end to end through extract_day, on a SQLite source and store and on PostgreSQL ones.

Each case is written into a real source, the day is extracted, and the outcome is read back from the
store: a quarantine row with its reason, or a clear failure naming what is wrong; and the run log
accounts for every row read (staged + quarantined + exact duplicates collapsed).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines.findings import tables as findings_tables
from pipelines.ingest import tables as ingest_tables
from pipelines.ingest.extraction import extract_day
from pipelines.monitored_day import MonitoredDay
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.source.contract import ContractError
from pipelines.source.reader import SourceUnavailableError, open_source
from pipelines.store.engine import sqlite_path, store_engine, with_driver
from tests.pipeline_helpers import END_DAY, SEED, table_snapshot

pytestmark = pytest.mark.db
DAY = END_DAY - timedelta(days=2)
NEXT = DAY + timedelta(days=1)
AT = (MonitoredDay(DAY).start + timedelta(hours=12)).isoformat()
EXTRACTED_AT = MonitoredDay(NEXT).end + timedelta(hours=2)
# small and short: these tests are about rows, not volume (two weeks give the silence rule its weekdays)
TINY = SimScale(sellers_per_province=2, offers_per_seller=3, orders_per_day=60, members=300)
HISTORY_DAYS = 12


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):
    """Settings on a simulated source as of the end of DAY, whose tables accept garbage, and a writer."""
    from pipelines.settings import Settings

    if request.param == "sqlite":
        settings = Settings(var_dir=tmp_path / "var")
    else:
        url = request.getfixturevalue("pg_database")
        settings = Settings(var_dir=tmp_path / "var", store_url=url, source_url=url)
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(DAY).end, TINY)
    if request.param == "sqlite":
        writable = sa.create_engine(f"sqlite:///{sqlite_path(settings.resolved_source_url)}")
        prefix = ""
        with writable.begin() as conn:  # the contract's keys are not constraints: a replica may repeat them
            for stmt in ("CREATE TABLE offers_loose AS SELECT * FROM offers", "DROP TABLE offers",
                         "ALTER TABLE offers_loose RENAME TO offers"):
                conn.exec_driver_sql(stmt)
    else:
        writable = sa.create_engine(with_driver(settings.resolved_source_url))
        prefix = "ombazar."
        with writable.begin() as conn:  # a loosely typed replica: numbers and event times as text
            conn.exec_driver_sql("ALTER TABLE ombazar.offers DROP CONSTRAINT offers_pkey")
            conn.exec_driver_sql("ALTER TABLE ombazar.offers ALTER COLUMN offer_id DROP NOT NULL")
            conn.exec_driver_sql("ALTER TABLE ombazar.offers ALTER COLUMN unit_price_rial TYPE text")
            for column in ("shipped_at", "delivered_at"):
                conn.exec_driver_sql(f"ALTER TABLE ombazar.deliveries ALTER COLUMN {column} TYPE text")

    def write(statement: str, params=None) -> None:
        with writable.begin() as conn:
            conn.execute(sa.text(statement.replace("ombazar.", prefix)), params or {})

    def template(table: str) -> dict:
        with writable.connect() as conn:
            row = conn.execute(sa.text(f"SELECT * FROM {prefix}{table} LIMIT 1")).mappings().one()
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}

    def insert(table: str, rows: list[dict]) -> None:
        columns = list(rows[0])
        write(f"INSERT INTO ombazar.{table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",
              rows)

    yield settings, write, template, insert
    writable.dispose()


def _extract(settings, day, run_id):
    return extract_day(open_source(settings), store_engine(settings), day, run_id, extracted_at=EXTRACTED_AT,
                       future_tolerance=timedelta(minutes=settings.future_tolerance_minutes))


def _log(settings, run_id) -> pd.DataFrame:
    log = table_snapshot(settings, ingest_tables.extraction_log)
    return log[log["run_id"] == run_id].set_index("entity")


def _assert_every_row_accounted(log: pd.DataFrame) -> None:
    assert (log["rows_read_at_source"] == log["rows_fetched"]).all()
    assert (log["rows_fetched"] == log["rows_staged"] + log["rows_parked"] + log["rows_quarantined"]
            + log["rows_duplicates_collapsed"]).all()


def test_a_day_sprinkled_with_every_bad_input_accounts_for_every_row(world):
    settings, write, template, insert = world
    offer = {**template("offers"), "updated_at": AT}
    bad_offers = {
        "BAD-TYPE": {"unit_price_rial": "12k"},
        "BAD-ZERO": {"unit_price_rial": "0"},
        "BAD-NEG": {"unit_price_rial": "-5000"},
        "BAD-CAT": {"category_code": "ZZ.99"},
        "BAD-SELLER": {"seller_id": "SL-NOPE"},
        "FA-DIGITS": {"unit_price_rial": "۱۲۰٬۰۰۰"},
        "AR-LETTERS": {"title": "كيك يزدي"},
        "EXACT-DUP": {},
    }
    rows = [{**offer, "offer_id": oid, **change} for oid, change in bad_offers.items()]
    rows.append({**offer, "offer_id": "EXACT-DUP"})  # the same row twice: collapsed, not an error
    rows.append({**offer, "offer_id": "BAD-DUP", "unit_price_rial": "1000"})
    rows.append({**offer, "offer_id": "BAD-DUP", "unit_price_rial": "2000"})  # same key and time, other payload
    rows.append({**offer, "offer_id": None, "title": "NULL-KEY"})
    insert("offers", [{k: (str(v) if k == "unit_price_rial" and v is not None else v) for k, v in r.items()}
                      for r in rows])
    insert("sellers", [{**template("sellers"), "seller_id": "SL-BADUNIT", "unit_id": "UNIT-NOPE", "updated_at": AT}])
    delivery = {**template("deliveries"), "updated_at": AT}
    insert("deliveries", [
        {**delivery, "delivery_id": "DL-NOZONE", "status": "delivered", "delivered_at": "2026-11-18 10:00:00"},
        {**delivery, "delivery_id": "DL-FUTURE", "status": "shipped", "shipped_at": "2030-01-01T00:00:00+00:00"},
    ])

    _extract(settings, DAY, "run-bad")

    log = _log(settings, "run-bad")
    _assert_every_row_accounted(log)
    assert log.loc["offers", "rows_duplicates_collapsed"] == 1
    quarantine = table_snapshot(settings, ingest_tables.quarantine)
    assert (quarantine["run_id"] == "run-bad").all()
    failed = quarantine.groupby(quarantine["source_id"].fillna("<null>"))["failed_expectations"].apply(",".join)
    expected = {
        "BAD-TYPE": "expect_column_values_to_match_regex:unit_price_rial__text",
        "BAD-ZERO": "expect_column_values_to_be_between:unit_price_rial",
        "BAD-NEG": "expect_column_values_to_be_between:unit_price_rial",
        "BAD-CAT": "known_reference:category_code",
        "BAD-DUP": "expect_compound_columns_to_be_unique:offer_id+updated_at",
        "<null>": "expect_column_values_to_not_be_null:offer_id",
        "SL-BADUNIT": "known_reference:unit_id",
        "DL-NOZONE": "expect_column_values_to_not_match_regex:delivered_at__text",
        "DL-FUTURE": "expect_column_values_to_be_between:shipped_at",
    }
    for source_id, expectation in expected.items():
        assert expectation in failed[source_id], (source_id, failed[source_id])
    assert (quarantine.set_index("source_id").loc["BAD-DUP"].shape[0]) == 2
    future = quarantine[quarantine["source_id"] == "DL-FUTURE"]["reason"].iloc[0]
    assert "future timestamp" in future and "plus 5 minutes" in future
    assert all(json.loads(p) for p in quarantine["raw_payload"])  # the raw payload is kept, as JSON
    assert set(quarantine["source_id"].dropna()).isdisjoint({"FA-DIGITS", "AR-LETTERS", "EXACT-DUP"})
    # an offer whose seller is not staged (yet) waits in the park: not bad, not lost
    parked = table_snapshot(settings, ingest_tables.parked)
    assert parked["source_id"].tolist() == ["BAD-SELLER"] and log.loc["offers", "rows_parked"] == 1
    assert "seller_id 'SL-NOPE' is not a known seller_id" in parked["missing_parent"].iloc[0]

    staged = table_snapshot(settings, ingest_tables.stg_offers).set_index("offer_id")
    assert staged.loc["FA-DIGITS", "unit_price_rial"] == 120000
    assert staged.loc["AR-LETTERS", "title"] == "کیک یزدی"
    assert not staged.index.isin([*expected, "BAD-SELLER"]).any()

    # re-running the day leaves the same quarantine rows; run logs are append-only
    _extract(settings, DAY, "run-bad-again")
    pd.testing.assert_frame_equal(table_snapshot(settings, ingest_tables.quarantine), quarantine)

    # fixed at the source, the row changes, and the next day's run stages it
    fixed_at = (MonitoredDay(NEXT).start + timedelta(hours=1)).isoformat()
    write("UPDATE ombazar.offers SET unit_price_rial = '5000', updated_at = :at WHERE offer_id = 'BAD-ZERO'",
          {"at": fixed_at})
    _extract(settings, NEXT, "run-next")
    _assert_every_row_accounted(_log(settings, "run-next"))
    staged = table_snapshot(settings, ingest_tables.stg_offers)
    assert staged[staged["offer_id"] == "BAD-ZERO"]["unit_price_rial"].tolist() == [5000]
    assert "BAD-ZERO" in set(table_snapshot(settings, ingest_tables.quarantine)["source_id"])  # history kept


def test_deliveries_out_of_order_are_quarantined_against_staged_and_same_run_orders(world):
    settings, _, template, insert = world
    _extract(settings, DAY, "run-day")  # stages the orders of the history
    staged_order = template("orders")
    ordered = pd.Timestamp(staged_order["ordered_at"]).tz_convert("UTC")
    start = pd.Timestamp(MonitoredDay(NEXT).start).tz_convert("UTC")

    def at(instant: pd.Timestamp) -> str:
        return instant.isoformat()

    new_order = {**staged_order, "order_id": "OR-NEW", "ordered_at": at(start + pd.Timedelta(hours=2)),
                 "promised_at": at(start + pd.Timedelta(days=3)), "updated_at": at(start + pd.Timedelta(hours=2))}
    insert("orders", [new_order])
    delivery = {**template("deliveries"), "status": "delivered", "updated_at": at(start + pd.Timedelta(hours=5))}

    def row(delivery_id: str, order_id: str, shipped: pd.Timestamp, delivered: pd.Timestamp, **more) -> dict:
        return {**delivery, "delivery_id": delivery_id, "order_id": order_id, "shipped_at": at(shipped),
                "delivered_at": at(delivered), **more}

    hour = pd.Timedelta(hours=1)
    insert("deliveries", [
        row("DL-BEFORE-STAGED", staged_order["order_id"], ordered - 2 * hour, ordered - hour),
        row("DL-BEFORE-NEW", "OR-NEW", start, start + hour),  # the order is valid in the same run
        row("DL-SHIP-AFTER", staged_order["order_id"], ordered + 2 * hour, ordered + hour),
        row("DL-UPD-BEFORE", staged_order["order_id"], start + hour, start + 6 * hour),
        row("DL-OK-NEW", "OR-NEW", start + 2 * hour, start + 3 * hour),
    ])

    _extract(settings, NEXT, "run-next")

    _assert_every_row_accounted(_log(settings, "run-next"))
    quarantine = table_snapshot(settings, ingest_tables.quarantine).set_index("source_id")
    pair = "expect_column_pair_values_a_to_be_greater_than_b"
    assert quarantine.loc["DL-BEFORE-STAGED", "failed_expectations"] == f"{pair}:delivered_at+order_ordered_at"
    assert quarantine.loc["DL-BEFORE-NEW", "failed_expectations"] == f"{pair}:delivered_at+order_ordered_at"
    assert quarantine.loc["DL-SHIP-AFTER", "failed_expectations"] == f"{pair}:delivered_at+shipped_at"
    assert quarantine.loc["DL-UPD-BEFORE", "failed_expectations"] == f"{pair}:updated_at+delivered_at"
    assert f"is earlier than its order's ordered_at '{ordered}'" in quarantine.loc["DL-BEFORE-STAGED", "reason"]
    staged = table_snapshot(settings, ingest_tables.stg_deliveries)
    assert "DL-OK-NEW" in set(staged["delivery_id"])
    assert not staged["delivery_id"].isin(["DL-BEFORE-STAGED", "DL-BEFORE-NEW", "DL-SHIP-AFTER",
                                           "DL-UPD-BEFORE"]).any()
    assert (quarantine["run_id"] == "run-next").all()  # the simulated history breaks none of them


@pytest.mark.parametrize("column", ["unit", "updated_at"])
def test_a_renamed_column_fails_the_run_naming_it(world, column):
    settings, write, _, _ = world
    write(f"ALTER TABLE ombazar.offers RENAME COLUMN {column} TO {column}_v2")
    with pytest.raises((ContractError, SourceUnavailableError), match=rf"\b{column}\b"):
        _extract(settings, DAY, "run-renamed")


def test_an_extra_column_is_tolerated_and_reported(world):
    settings, write, _, _ = world
    write("ALTER TABLE ombazar.offers ADD COLUMN discount_pct integer")
    _extract(settings, DAY, "run-extra")
    log = _log(settings, "run-extra")
    _assert_every_row_accounted(log)
    assert json.loads(log.loc["offers", "extra_columns"]) == ["discount_pct"]
    assert log.loc["offers", "rows_staged"] > 0 and pd.isna(log.loc["orders", "extra_columns"])


def test_an_empty_day_is_a_normal_run_and_the_source_is_reported_silent(world):
    from pipelines.orchestration.daily_steps import check

    settings, *_ = world
    # the simulated history is 12 days: compare with the one same weekday it holds
    settings = settings.model_copy(update={"source_silent_lookback_weeks": 1})
    _extract(settings, DAY, "run-day")
    check(settings, DAY, "run-day")
    _extract(settings, NEXT, "run-empty")  # the source has not changed since the end of DAY
    log = _log(settings, "run-empty")
    assert (log[["rows_read_at_source", "rows_fetched", "rows_staged", "rows_quarantined"]] == 0).all().all()
    check(settings, NEXT, "run-empty")
    observations = table_snapshot(settings, findings_tables.finding_observation)
    silent = observations[observations["rule"] == "source_silent"]
    assert silent["day"].astype(str).tolist() == [NEXT.isoformat()]
    evidence = json.loads(silent["evidence"].iloc[0])
    assert evidence["silent_hours"] >= 24 > evidence["usual_silent_hours"]


def test_sqlite_source_file_is_read_only(tmp_path):
    """The embedded source is attached read-only: the extractor could not write to it if it tried."""
    from pipelines.settings import Settings
    from pipelines.store.engine import source_engine

    settings = Settings(var_dir=tmp_path / "var")
    simulate_into(settings, SEED, 3, END_DAY, MonitoredDay(DAY).end, TINY)
    with source_engine(settings).connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
        conn.exec_driver_sql("DELETE FROM ombazar.sellers")
    assert sqlite3.connect(sqlite_path(settings.resolved_source_url)).execute(
        "SELECT COUNT(*) FROM sellers").fetchone()[0] > 0


def test_an_orphan_waits_parked_until_its_parent_arrives_and_is_quarantined_only_past_the_lateness(world):
    settings, _write, template, insert = world
    order = {**template("orders"), "updated_at": AT}
    insert("orders", [{**order, "order_id": "OR-WAITS", "offer_id": "OF-LATE"},
                      {**order, "order_id": "OR-ORPHAN", "offer_id": "OF-NEVER"}])
    _extract(settings, DAY, "run-day")
    log = _log(settings, "run-day")
    _assert_every_row_accounted(log)
    assert log.loc["orders", "rows_parked"] == 2
    parked = table_snapshot(settings, ingest_tables.parked)
    assert sorted(parked["source_id"]) == ["OR-ORPHAN", "OR-WAITS"]
    quarantined = table_snapshot(settings, ingest_tables.quarantine)
    assert quarantined.empty or not {"OR-ORPHAN", "OR-WAITS"} & set(quarantined["source_id"])

    # the offer arrives the next day: its order is admitted, the other still waits
    offer_at = (MonitoredDay(NEXT).start + timedelta(hours=3)).isoformat()
    insert("offers", [{**template("offers"), "offer_id": "OF-LATE", "updated_at": offer_at}])
    _extract(settings, NEXT, "run-next")
    log = _log(settings, "run-next")
    _assert_every_row_accounted(log)
    assert log.loc["orders", "rows_unparked"] == 1
    staged = table_snapshot(settings, ingest_tables.stg_orders)
    assert staged.loc[staged["order_id"] == "OR-WAITS", "offer_id"].tolist() == ["OF-LATE"]
    assert table_snapshot(settings, ingest_tables.parked)["source_id"].tolist() == ["OR-ORPHAN"]

    # past the allowed lateness the orphan is quarantined, with that reason; nothing is lost on the way
    later = NEXT + timedelta(days=settings.allowed_lateness_days + 1)
    _extract(settings, later, "run-later")
    assert _log(settings, "run-later").loc["orders", "rows_park_expired"] == 1
    assert table_snapshot(settings, ingest_tables.parked).empty
    quarantine = table_snapshot(settings, ingest_tables.quarantine).set_index("source_id")
    assert "parked_beyond_allowed_lateness" in quarantine.loc["OR-ORPHAN", "failed_expectations"]
    assert "did not arrive within 14 days" in quarantine.loc["OR-ORPHAN", "reason"]
