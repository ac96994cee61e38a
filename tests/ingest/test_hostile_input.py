"""Hostile values in a real source, extracted into a real store (SQLite, and PostgreSQL where a NUL or an amount
would break it): impossible dates, numbers beyond the contract's bounds, control characters, a batch that is all
bad. Each row is staged or quarantined with its reason, by the source's own count; nothing is skipped."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines.checks import IMPACT_MAX_RIAL, amount_rial
from pipelines.findings import tables as findings_tables
from pipelines.ingest import tables as ingest_tables
from pipelines.ingest.extraction import ExtractionCounts, QuarantineShareError, check_quarantine_share, extract_day
from pipelines.monitored_day import MonitoredDay
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.source.contract import QUANTITY_MAX, RIAL_MAX
from pipelines.source.reader import open_source
from pipelines.store.engine import sqlite_path, store_engine, with_driver
from tests.pipeline_helpers import END_DAY, SEED, table_snapshot

pytestmark = pytest.mark.db
DAY = END_DAY - timedelta(days=2)
NEXT = DAY + timedelta(days=1)
AT = (MonitoredDay(DAY).start + timedelta(hours=12)).isoformat()
EXTRACTED_AT = MonitoredDay(NEXT).end + timedelta(hours=2)
TINY = SimScale(sellers_per_province=2, offers_per_seller=3, orders_per_day=60, members=300)
HISTORY_DAYS = 12


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite-store", "postgresql-store"])
def world(request, tmp_path):
    """A simulated SQLite source (text typed as people type it, where a NUL can live) and a store of either kind;
    `insert(table, rows)` writes rows into the source."""
    from pipelines.settings import Settings

    if request.param == "sqlite":
        settings = Settings(var_dir=tmp_path / "var")
    else:
        settings = Settings(var_dir=tmp_path / "var", store_url=request.getfixturevalue("pg_database"))
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(DAY).end, TINY)
    source = sa.create_engine(f"sqlite:///{sqlite_path(settings.resolved_source_url)}")

    def template(table: str) -> dict:
        with source.connect() as conn:
            return dict(conn.execute(sa.text(f"SELECT * FROM {table} LIMIT 1")).mappings().one())

    def insert(table: str, rows: list[dict]) -> None:
        columns = list(rows[0])
        with source.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(columns)}) "
                                 f"VALUES ({', '.join(':' + c for c in columns)})"), rows)

    yield settings, template, insert
    source.dispose()


def _extract(settings, day, run_id) -> dict[str, ExtractionCounts]:
    counts = extract_day(open_source(settings), store_engine(settings), day, run_id, extracted_at=EXTRACTED_AT,
                         future_tolerance=timedelta(minutes=settings.future_tolerance_minutes))
    return {c.entity: c for c in counts}


def _assert_every_row_accounted(counts: dict[str, ExtractionCounts]) -> None:
    for c in counts.values():
        assert c.rows_read_at_source == c.rows_fetched, c
        assert c.balanced, c


def _quarantined(settings) -> pd.DataFrame:
    return table_snapshot(settings, ingest_tables.quarantine).set_index("source_id")


# ---------------------------------------------------------------- break 3: dates no window holds


def test_impossible_and_out_of_bounds_dates_are_read_and_quarantined(world):
    settings, template, insert = world
    bad_updated = {
        "SL-2099": "2099-01-01T00:00:00+00:00",
        "SL-9999": "9999-12-31T23:59:59+00:00",
        "SL-1969": "1969-12-31T23:59:59+00:00",
        "SL-FEB30": "2026-02-30T10:00:00+00:00",
        "SL-MONTH13": "2026-13-01T10:00:00+00:00",
        "SL-HOUR25": "2026-11-18T25:00:00+00:00",
    }
    seller = {**template("sellers"), "updated_at": AT}
    insert("sellers", [{**seller, "seller_id": sid, "updated_at": at} for sid, at in bad_updated.items()]
           + [{**seller, "seller_id": "SL-JOINED-1969", "joined_at": "1969-07-20T20:17:00+00:00"},
              {**seller, "seller_id": "SL-JOINED-FEB30", "joined_at": "2025-02-30T08:00:00+03:30"}])
    order = {**template("orders"), "updated_at": AT}
    insert("orders", [{**order, "order_id": "OR-PROMISED-9999", "promised_at": "9999-01-01T00:00:00+00:00"},
                      {**order, "order_id": "OR-ORDERED-1969", "ordered_at": "1969-12-31T00:00:00+00:00"}])

    counts = _extract(settings, DAY, "run-day")

    _assert_every_row_accounted(counts)
    q = _quarantined(settings)
    every = [*bad_updated, "SL-JOINED-1969", "SL-JOINED-FEB30", "OR-PROMISED-9999", "OR-ORDERED-1969"]
    assert set(every) <= set(q.index), set(every) - set(q.index)
    reasons = q["reason"]
    assert "future timestamp" in reasons["SL-2099"] and "future timestamp" in reasons["SL-9999"]
    assert "before 2000-01-01, out of the contract's bounds (an impossible date)" in reasons["SL-1969"]
    for sid in ("SL-FEB30", "SL-MONTH13", "SL-HOUR25", "SL-JOINED-FEB30"):
        assert "impossible date" in reasons[sid], reasons[sid]
    assert reasons["SL-JOINED-1969"].startswith("joined_at '1969-07-20")
    assert "after 2100-01-01" in reasons["OR-PROMISED-9999"]
    assert "ordered_at '1969-12-31" in reasons["OR-ORDERED-1969"]
    staged = table_snapshot(settings, ingest_tables.stg_sellers)
    assert not staged["seller_id"].isin(every).any()

    # every later run reads them again (they are in no window): counted, balanced, never quarantined twice
    counts = _extract(settings, NEXT, "run-next")
    _assert_every_row_accounted(counts)
    assert counts["sellers"].rows_quarantined_before == len(bad_updated)
    assert counts["sellers"].quarantine_share == 0.0
    pd.testing.assert_frame_equal(_quarantined(settings).drop(columns=["day", "run_id"]),
                                  q.drop(columns=["day", "run_id"]))


def test_out_of_bounds_updated_at_in_a_postgresql_source_is_quarantined(pg_database, tmp_path):
    """A PostgreSQL source holds only real instants, but 1969 and 9999 among them: read and quarantined too."""
    from pipelines.settings import Settings

    settings = Settings(var_dir=tmp_path / "var", store_url=pg_database, source_url=pg_database)
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(DAY).end, TINY)
    engine = sa.create_engine(with_driver(pg_database))
    with engine.begin() as conn:
        row = dict(conn.execute(sa.text("SELECT * FROM ombazar.sellers LIMIT 1")).mappings().one())
        for sid, at in {"SL-1969": "1969-12-31T23:59:59+00", "SL-9999": "9999-12-31T23:59:59+00",
                        "SL-2099": "2099-06-01T00:00:00+00"}.items():
            conn.execute(sa.text("INSERT INTO ombazar.sellers (seller_id, unit_id, display_name, joined_at, updated_at)"
                                 " VALUES (:s, :u, :n, :j, :at)"),
                         {"s": sid, "u": row["unit_id"], "n": "x", "j": row["joined_at"], "at": at})
    engine.dispose()
    counts = _extract(settings, DAY, "run-pg")
    _assert_every_row_accounted(counts)
    assert {"SL-1969", "SL-9999", "SL-2099"} <= set(_quarantined(settings).index)


# ---------------------------------------------------------------- break 4: numbers beyond the contract's bounds


def test_numbers_beyond_the_contract_bounds_are_quarantined_and_money_never_wraps(world):
    settings, template, insert = world
    order = {**template("orders"), "updated_at": AT}
    hostile = {
        "OR-1E308": "1e308", "OR-1E23": "1e23", "OR-INF": "inf", "OR-NEG-INF": "-Infinity", "OR-NAN": "NaN",
        "OR-HUGE-DIGITS": "9" * 400, "OR-ABOVE": str(QUANTITY_MAX + 1), "OR-FA-1E23": "۱e۲۳",
    }
    insert("orders", [{**order, "order_id": oid, "quantity": value} for oid, value in hostile.items()]
           + [{**order, "order_id": "OR-PRICE-1E308", "unit_price_rial": 1e308},
              {**order, "order_id": "OR-PRICE-NAN", "unit_price_rial": float("nan")},
              # the largest order the contract lets through: its amount must not wrap
              {**order, "order_id": "OR-AT-BOUNDS", "quantity": QUANTITY_MAX, "unit_price_rial": RIAL_MAX}])
    delivery = {**template("deliveries"), "updated_at": AT}
    insert("deliveries", [{**delivery, "delivery_id": "DL-1E23", "delivered_qty": 1e23},
                          {**delivery, "delivery_id": "DL-RETURNED-INF", "returned_qty": "inf"}])

    counts = _extract(settings, DAY, "run-day")

    _assert_every_row_accounted(counts)
    q = _quarantined(settings)
    for oid in [*hostile, "OR-PRICE-1E308", "OR-PRICE-NAN", "DL-1E23", "DL-RETURNED-INF"]:
        assert oid in q.index, oid
    assert "is above 10,000,000" in q.loc["OR-1E23", "reason"]
    assert "is above 10,000,000" in q.loc["OR-ABOVE", "reason"]
    assert "is not a number" in q.loc["OR-INF", "reason"] and "is not a number" in q.loc["OR-NAN", "reason"]
    assert "OR-AT-BOUNDS" not in q.index

    # the day's checks and reports run over what was staged, the largest order among it
    from pipelines.orchestration.daily_steps import check, update_findings, write_reports

    check(settings, DAY, "run-day")
    update_findings(settings, DAY, "run-day")
    write_reports(settings, DAY, "run-day")
    impacts = pd.concat([table_snapshot(settings, findings_tables.finding_observation)["impact_rial"],
                         table_snapshot(settings, findings_tables.finding)["impact_rial"]])
    assert len(impacts) and (impacts >= 0).all() and (impacts <= IMPACT_MAX_RIAL).all()


def test_amounts_are_bounded_before_the_cast_never_wrapped():
    quantity = pd.Series([1e308, 1e23, 2.5, np.nan, QUANTITY_MAX, math.inf])
    price = pd.Series([10.0, 1e15, 3.0, 5.0, float(RIAL_MAX), 1.0])
    amounts = amount_rial(quantity, price)
    assert amounts.dtype == "int64"
    assert amounts.tolist() == [IMPACT_MAX_RIAL, IMPACT_MAX_RIAL, 8, 0, IMPACT_MAX_RIAL, IMPACT_MAX_RIAL]
    # a digest may sum thousands of the largest amounts without wrapping
    assert int(pd.Series([IMPACT_MAX_RIAL] * 9000, dtype="int64").sum()) == 9000 * IMPACT_MAX_RIAL


def test_report_formatting_takes_any_finite_or_infinite_number():
    from pipelines.i18n.persian import format_number, format_toman

    assert format_number(1e308).startswith("۱۰۰٬")
    assert format_number(float("inf")) == "∞"
    assert format_toman(IMPACT_MAX_RIAL).startswith("۱۰۰٬")


# ---------------------------------------------------------------- break 5: control characters in free text


def test_control_characters_are_quarantined_with_the_character_named(world):
    settings, template, insert = world
    seller = {**template("sellers"), "updated_at": AT}
    names = {
        "SL-NUL": "فروشگاه\x00نمونه", "SL-CR": "Shop\rBcc: x@example.com", "SL-LF": "line\nbreak",
        "SL-ESC": "\x1b[31mred", "SL-C1": "a\x85b", "SL-DEL": "a\x7fb", "SL-TAB": "a\tb",
        "SL-LONG": "ب" * 10_000,
    }
    clean = {"SL-TRIMMED": "  trailing newline\r\n", "SL-ZWNJ": "می‌فروشم", "SL-RTL": "\u200fنام"}
    insert("sellers", [{**seller, "seller_id": sid, "display_name": name} for sid, name in {**names, **clean}.items()]
           + [{**seller, "seller_id": "SL-KEY\x00NUL"}])
    offer = {**template("offers"), "updated_at": AT}
    insert("offers", [{**offer, "offer_id": "OF-TITLE-NUL", "title": "a\x00b"}])

    counts = _extract(settings, DAY, "run-day")  # a NUL must not stop a PostgreSQL store

    _assert_every_row_accounted(counts)
    q = _quarantined(settings)
    for sid, name in names.items():
        if sid == "SL-LONG":
            assert "is longer than 1,000 characters" in q.loc[sid, "reason"]
            continue
        control = next(c for c in name if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)
        assert f"contains the control character U+{ord(control):04X}" in q.loc[sid, "reason"], q.loc[sid, "reason"]
    assert "U+0000" in q.loc["OF-TITLE-NUL", "reason"]
    # a key with a NUL is stored escaped (PostgreSQL text holds no NUL); the payload keeps the value as JSON
    key_row = q.loc["SL-KEY\\u0000NUL"]
    assert "\\u0000" in key_row["raw_payload"] and "\x00" not in key_row["reason"]
    staged = table_snapshot(settings, ingest_tables.stg_sellers).set_index("seller_id")
    assert staged.loc["SL-TRIMMED", "display_name"] == "trailing newline"
    assert staged.loc["SL-ZWNJ", "display_name"] == "می‌فروشم"  # the zero-width non-joiner is Persian, not control
    assert not staged.index.isin(list(names)).any()


# ---------------------------------------------------------------- a batch that is all bad fails its task


def test_a_batch_beyond_the_quarantine_share_fails_the_extract_task_with_its_counts(world):
    settings, template, insert = world
    from pipelines.orchestration.daily_steps import extract

    extract(settings, DAY, "run-day")  # the history, clean: green
    at_next = (MonitoredDay(NEXT).start + timedelta(hours=3)).isoformat()
    delivery = {**template("deliveries"), "updated_at": at_next}
    insert("deliveries", [{**delivery, "delivery_id": f"DL-BAD-{i}", "status": "lost"} for i in range(40)])
    with pytest.raises(QuarantineShareError) as failed:
        extract(settings, NEXT, "run-share")
    error = failed.value
    assert error.entity == "deliveries" and error.rows_quarantined == error.rows_read == 40 and error.share == 1
    assert error.share > settings.max_quarantine_share and error.rows_read >= error.rows_quarantined
    assert "\n" not in str(error) and "RASAD_MAX_QUARANTINE_SHARE" in str(error)
    # a retry sees the same bad window: it fails again, never turns green
    with pytest.raises(QuarantineShareError):
        extract(settings, NEXT, "run-share-retry")


def test_a_wholly_quarantined_batch_is_never_green():
    counts = [ExtractionCounts("offers", 3, 3, 0, 0, 3, 0, ()),
              ExtractionCounts("orders", 100, 100, 60, 60, 40, 0, ())]
    with pytest.raises(QuarantineShareError, match=r"offers: 3 of 3 rows read were quarantined \(100%\)"):
        check_quarantine_share(counts, 0.5)
    check_quarantine_share(counts[1:], 0.5)  # 40% is under the threshold
