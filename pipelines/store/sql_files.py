"""Load the SQL the pipeline runs from `sql/`, one purpose a file, with bound parameters, and read it into frames.

The files name tables with their schema (`monitoring.finding`, `ref.unit`). On SQLite the
store is one file with no schemas, so the prefixes are dropped there; values are never
formatted into SQL, they are bound.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
from sqlalchemy import Connection, TextClause, bindparam, text

from pipelines.resources import shipped_dir
from pipelines.store.types import DayType, UTCDateTime, parse_utc_column

SQL_DIR = shipped_dir("sql")
_STORE_PREFIX = re.compile(r"\b(?:monitoring|ref)\.(?=[a-z_])")

# bound parameters whose names say they are instants or days get the matching type
_TYPED_PARAMS = {
    "window_start": UTCDateTime(),
    "window_end": UTCDateTime(),
    "as_of": UTCDateTime(),
    "since": UTCDateTime(),
    "day": DayType(),
    "first_day": DayType(),
    "last_day": DayType(),
}


@cache
def _read(name: str) -> str:
    return strip_comments((SQL_DIR / f"{name}.sql").read_text(encoding="utf-8"))


def strip_comments(sql: str) -> str:
    """Drop `--` comments, so that words like `:as_of` in them are not taken for parameters."""
    return "\n".join(line.split("--", 1)[0].rstrip() for line in sql.splitlines()).strip()


def adapt_sql(sql: str, dialect_name: str) -> str:
    """Store SQL written with schema prefixes, for the dialect (SQLite's store is one file without them)."""
    return _STORE_PREFIX.sub("", sql) if dialect_name == "sqlite" else sql


def store_sql(name: str, dialect_name: str) -> TextClause:
    """The store query `sql/<name>.sql`, adapted to the dialect, with typed bind parameters."""
    sql = _read(name)
    if dialect_name == "sqlite":
        sql = _STORE_PREFIX.sub("", sql)
    clause = text(sql)
    present = {p for p in _TYPED_PARAMS if re.search(rf":{p}\b", sql)}
    if present:
        clause = clause.bindparams(*(bindparam(p, type_=_TYPED_PARAMS[p]) for p in present))
    return clause


TIMESTAMP_COLUMNS = {
    "updated_at", "joined_at", "created_at", "ordered_at", "promised_at", "shipped_at", "delivered_at",
    "valid_to", "due_at", "first_delivered_at", "completed_at", "closed_at", "seller_cancelled_at", "defect_at",
    "recorded_at",
}
# day columns of the store's own tables: dates on both stores (SQLite hands them back as text)
DAY_COLUMNS = {"due_day", "staged_day", "judged_on", "first_parked_day"}


def read_frame(conn: Connection, name: str, **params) -> pd.DataFrame:
    """Run `sql/<name>.sql` and return a frame with tz-aware UTC timestamp columns."""
    frame = pd.read_sql(store_sql(name, conn.dialect.name), conn, params=params)
    for column in frame.columns:
        if column in TIMESTAMP_COLUMNS:
            frame[column] = parse_utc_column(frame[column])
        elif column in DAY_COLUMNS:
            frame[column] = pd.to_datetime(frame[column]).dt.date.astype(object).where(frame[column].notna(), None)
    return frame
