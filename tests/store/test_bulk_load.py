"""Bulk loads keep every value as it was: COPY on PostgreSQL, the driver's executemany on SQLite."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import BigInteger, Boolean, Column, Float, MetaData, String, Table, Text, create_engine

from pipelines.store.engine import COPY_MIN_ROWS, insert_frame, with_driver
from pipelines.store.types import DayType, UTCDateTime

pytestmark = pytest.mark.db


def _table() -> Table:
    return Table("bulk", MetaData(), Column("id", String(16), primary_key=True), Column("txt", Text, nullable=False),
                 Column("opt", Text), Column("flag", Boolean), Column("n", BigInteger), Column("f", Float),
                 Column("at", UTCDateTime), Column("day", DayType))


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [f"i{i}" for i in range(n)],
        "txt": ["" if i % 2 else 'a "quoted", \\N-like\ttext\nover lines' for i in range(n)],
        "opt": [None if i % 3 else "x" for i in range(n)],
        "flag": [i % 2 == 0 for i in range(n)],
        "n": [float(i) * 1_000_000_000 for i in range(n)],  # rials, whole, in a float column
        "f": [i / 3 for i in range(n)],
        "at": pd.to_datetime(["2026-11-20T10:00:00.123456Z"] * n, utc=True),
        "day": [dt.date(2026, 11, 20)] * n,
    })


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_bulk_load_keeps_empty_text_nulls_quotes_money_and_instants(store, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'bulk.db'}" if store == "sqlite" else request.getfixturevalue("pg_database")
    engine = create_engine(with_driver(url))
    table = _table()
    table.metadata.create_all(engine)
    frame = _frame(COPY_MIN_ROWS + 500)
    with engine.begin() as conn:
        insert_frame(conn, table, frame)
        insert_frame(conn, table, frame, ignore_conflicts=True)  # a re-run stages nothing twice
    with engine.connect() as conn:
        back = pd.read_sql(table.select().order_by(table.c.id), conn)
    engine.dispose()
    expected = frame.sort_values("id").reset_index(drop=True)
    assert len(back) == len(frame)
    assert (back["txt"] == expected["txt"]).all()  # empty strings stay empty, text stays text
    assert back["opt"].isna().sum() == expected["opt"].isna().sum()  # missing stays NULL
    assert back["n"].astype("int64").tolist() == expected["n"].astype("int64").tolist()
    assert bool(back["flag"].astype(bool).equals(expected["flag"]))
    assert (pd.to_datetime(back["at"], utc=True) == expected["at"]).all()
    assert back["day"].astype(str).tolist() == expected["day"].astype(str).tolist()
