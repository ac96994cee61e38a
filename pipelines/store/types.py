"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Date, DateTime, String
from sqlalchemy.types import TypeDecorator

# Fixed-width ISO text sorts and compares like the instant it names.
SQLITE_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware.

    PostgreSQL keeps `timestamptz`; SQLite keeps fixed-width ISO-8601 text in UTC.
    Naive datetimes are refused: a timestamp without a zone is a bug, not a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            # already formatted column-wise by `format_utc_column`
            return value if dialect.name == "sqlite" else datetime.fromisoformat(value)
        if value is pd.NaT:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps must carry a zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.strftime(SQLITE_TS_FORMAT)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class DayType(TypeDecorator):
    """A calendar day (a Tehran day in Rasad's tables), stored as DATE / ISO text."""

    impl = Date
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(10))
        return dialect.type_descriptor(Date())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.date()
        return value.isoformat() if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            return date.fromisoformat(value)
        return value


def as_day(value) -> date:
    """A stored day as a date (SQLite hands days back as text)."""
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def format_utc_column(series: pd.Series, dialect_name: str) -> pd.Series:
    """Convert a tz-aware datetime column for bulk insert, whole-column."""
    utc = pd.to_datetime(series, utc=True)
    if dialect_name == "sqlite":
        out = utc.dt.strftime(SQLITE_TS_FORMAT)
        return out.astype(object).where(utc.notna(), None)
    return utc.astype(object).where(utc.notna(), None)


def parse_utc_column(series: pd.Series) -> pd.Series:
    """Read a stored timestamp column back as tz-aware UTC, whole-column."""
    return pd.to_datetime(series, utc=True, format="ISO8601")
