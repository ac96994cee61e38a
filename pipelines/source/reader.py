"""Reading the Ombazar source (contract v1): over SQL here, over HTTP in `pipelines.source.http`.

Only the extractor (and the reference HTTP server, which serves a SQL source) uses this module.
The SQL lives in `sql/extract/`, one file per purpose and dialect; the table and key names
come from the contract's fixed list, and every value is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from pipelines.errors import UserError
from pipelines.source.contract import EARLIEST_INSTANT
from pipelines.store.sql_files import SQL_DIR, strip_comments

if TYPE_CHECKING:
    from pipelines.settings import Settings

ENTITY_KEYS = {
    "sellers": "seller_id",
    "offers": "offer_id",
    "orders": "order_id",
    "deliveries": "delivery_id",
}


@dataclass(frozen=True)
class SourceBatch:
    """What one read of one entity's window returned, with the independent count."""

    entity: str
    rows: pd.DataFrame
    rows_counted_at_source: int


class SourceUnavailableError(UserError, RuntimeError):
    """The source could not be read (down, refusing, or answering outside the contract)."""


class Source(Protocol):
    """What the extractor needs of a source, however it is reached."""

    def read_changed(self, entity: str, since: datetime | None, before: datetime) -> SourceBatch:
        """Rows changed in [since, before), and the source's own count of them."""
        ...


PAGE_COLUMNS = ("rasad_page_at", "rasad_page_id")


def _sql(kind: str, entity: str, dialect: str) -> str:
    if entity not in ENTITY_KEYS:
        raise ValueError(f"unknown entity {entity!r}")
    template = strip_comments((SQL_DIR / "extract" / f"{kind}.{dialect}.sql").read_text(encoding="utf-8"))
    return template.replace("{table}", entity).replace("{key}", ENTITY_KEYS[entity])


def _bound(instant: datetime | None, dialect: str):
    if instant is None:
        return None
    instant = instant.astimezone(UTC)
    if dialect == "sqlite":
        return instant.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return instant


def _date_text(instant: datetime, days: int) -> str:
    """The ISO date `days` after `instant` (UTC), or a text after every date where that is past year 9999."""
    try:
        return (instant.astimezone(UTC) + timedelta(days=days)).date().isoformat()
    except OverflowError:
        return "~" if days > 0 else ""


class SqlSource:
    """The source reached over a read-only SQL connection."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name

    def _window(self, since: datetime | None, before: datetime) -> dict:
        """The window's bound parameters; on SQLite also a text range that the updated_at index serves (the date
        prefix of ISO text with any offset is within a day of its UTC date)."""
        params: dict = {"since": _bound(since, self.dialect), "before": _bound(before, self.dialect),
                        "earliest": _bound(EARLIEST_INSTANT, self.dialect)}
        if self.dialect == "sqlite":
            params["since_text"] = "" if since is None else _date_text(since, -1)
            params["before_text"] = _date_text(before, 2)
        return params

    def read_changed(self, entity: str, since: datetime | None, before: datetime) -> SourceBatch:
        """Rows changed in [since, before), and the source's own count of them."""
        params = self._window(since, before)
        try:
            with self.engine.connect() as conn:
                counted = conn.execute(text(_sql("count_changed", entity, self.dialect)), params).scalar_one()
                rows = pd.read_sql(text(_sql("select_changed", entity, self.dialect)), conn, params=params)
        except DBAPIError as exc:
            # e.g. a renamed key or updated_at column: say which table and what the database said
            raise SourceUnavailableError(
                f"reading ombazar.{entity} failed: {str(exc.orig).strip().splitlines()[0]}"
            ) from exc
        return SourceBatch(entity=entity, rows=rows, rows_counted_at_source=int(counted))

    def read_implausible(self, entity: str, latest: datetime) -> SourceBatch:
        """Rows whose updated_at no window holds (an impossible or unreadable date, an instant before the
        contract's earliest or at or after `latest`), and the source's own count of them: every run reads
        them, so that they are quarantined with a reason, never skipped. Disjoint from every window that
        ends at or before `latest`."""
        params = {"earliest": _bound(EARLIEST_INSTANT, self.dialect), "latest": _bound(latest, self.dialect)}
        try:
            with self.engine.connect() as conn:
                counted = conn.execute(text(_sql("count_implausible", entity, self.dialect)), params).scalar_one()
                rows = pd.read_sql(text(_sql("select_implausible", entity, self.dialect)), conn, params=params)
        except DBAPIError as exc:
            raise SourceUnavailableError(
                f"reading ombazar.{entity} failed: {str(exc.orig).strip().splitlines()[0]}"
            ) from exc
        return SourceBatch(entity=entity, rows=rows, rows_counted_at_source=int(counted))

    def read_page(
        self,
        entity: str,
        since: datetime | None,
        before: datetime | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> tuple[pd.DataFrame, tuple[str, str] | None]:
        """One page in (updated_at, id) order after the cursor `after`; the cursor of its last row.

        A page never splits rows that share (updated_at, id) (a source without a key constraint may
        hold such duplicates): the group at the page's end is served whole, so no row is skipped.
        """
        sql = text(_sql("select_page", entity, self.dialect))
        params = {
            "since": _bound(since, self.dialect),
            "before": _bound(before, self.dialect),
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
            "group_at": None,
            "group_id": None,
            "limit": int(limit),
        }
        with self.engine.connect() as conn:
            page = pd.read_sql(sql, conn, params=params, dtype_backend="numpy_nullable")
            if len(page) < limit or page.empty:
                return page.drop(columns=list(PAGE_COLUMNS)), None
            last = (page["rasad_page_at"].iloc[-1], page["rasad_page_id"].iloc[-1])
            in_group = (page["rasad_page_at"] == last[0]) & (page["rasad_page_id"] == last[1])
            group = pd.read_sql(
                sql,
                conn,
                params={**params, "after_at": None, "after_id": None, "group_at": last[0], "group_id": last[1],
                        "limit": 1_000_000},
                dtype_backend="numpy_nullable",
            )
        page = pd.concat([page[~in_group.to_numpy()], group], ignore_index=True)
        cursor_at = last[0].isoformat() if isinstance(last[0], datetime) else str(last[0])
        return page.drop(columns=list(PAGE_COLUMNS)), (cursor_at, str(last[1]))

    def first_change(self, entity: str) -> datetime | None:
        """Where the table's history begins (its earliest readable updated_at), or None if it cannot say."""
        key = ENTITY_KEYS[entity]  # the entity is one of the contract's four: never text from outside
        # an instant before the contract's earliest is read by read_implausible, not a history's beginning
        sql = f"SELECT MIN(updated_at) FROM ombazar.{entity} WHERE updated_at >= :earliest_text AND {key} IS NOT NULL" \
            if self.dialect == "sqlite" else \
            f"SELECT MIN(updated_at) FROM ombazar.{entity} WHERE updated_at >= CAST(:earliest AS timestamptz)"
        params = {"earliest_text": EARLIEST_INSTANT.date().isoformat(), "earliest": EARLIEST_INSTANT}
        try:
            with self.engine.connect() as conn:
                value = conn.execute(text(sql), params).scalar()
        except DBAPIError:
            return None
        first = pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601") if value is not None else None
        return None if first is None or pd.isna(first) else first.to_pydatetime()

    def last_change(self, entity: str) -> datetime | None:
        """Where the table's history ends (its latest readable updated_at), or None if it cannot say."""
        key = ENTITY_KEYS[entity]  # the entity is one of the contract's four: never text from outside
        sql = f"SELECT MAX(updated_at) FROM ombazar.{entity} WHERE updated_at >= '0' AND {key} IS NOT NULL" \
            if self.dialect == "sqlite" else f"SELECT MAX(updated_at) FROM ombazar.{entity}"
        try:
            with self.engine.connect() as conn:
                value = conn.execute(text(sql)).scalar()
        except DBAPIError:
            return None
        last = pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601") if value is not None else None
        return None if last is None or pd.isna(last) else last.to_pydatetime()

    def count_changed(self, entity: str, since: datetime | None, before: datetime) -> int:
        """The source's own count of rows changed in [since, before)."""
        params = self._window(since, before)
        with self.engine.connect() as conn:
            return int(conn.execute(text(_sql("count_changed", entity, self.dialect)), params).scalar_one())

    def count_pages(self, entity: str, since: datetime | None, before: datetime | None) -> int:
        """How many rows `read_page` serves for the window over all its pages (the HTTP server's `total`)."""
        params = {"since": _bound(since, self.dialect), "before": _bound(before, self.dialect)}
        with self.engine.connect() as conn:
            return int(conn.execute(text(_sql("count_page", entity, self.dialect)), params).scalar_one())


def open_source(settings: Settings) -> Source:
    """The source the settings name: SQL (`RASAD_SOURCE_URL`) or HTTP (`RASAD_SOURCE_HTTP_URL`)."""
    if settings.source_kind == "http":
        from pipelines.source.http import HttpSource

        if not settings.source_http_url:
            from pipelines.store.engine import StoreConfigError

            raise StoreConfigError("RASAD_SOURCE_KIND=http needs RASAD_SOURCE_HTTP_URL (the API's base URL)")
        return HttpSource.from_settings(settings)
    from pipelines.store.engine import source_engine

    return SqlSource(source_engine(settings))
