"""Engines for the Rasad store and for the Ombazar source.

The store holds two schemas, `ref` and `monitoring`. On PostgreSQL they are real schemas;
on SQLite the store is one file (so a run's writes commit atomically) and both schemas map
onto it through `schema_translate_map`; table names are distinct across the two.
The source is reached through its own engine; on SQLite its file is attached read-only as
`ombazar`, so the same SQL (`ombazar.offers`) runs on both.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.pool import NullPool

from pipelines.settings import Settings
from pipelines.store.base import MON, REF

STORE_SCHEMAS = (REF, MON)
SQLITE_SCHEMA_MAP: dict[str | None, str | None] = {schema: None for schema in STORE_SCHEMAS}


class StoreConfigError(RuntimeError):
    """The store or source is misconfigured; the message says what to do."""


def with_driver(url: str) -> str:
    """A database URL with the driver Rasad uses: `postgres://` and `postgresql://` become `postgresql+psycopg://`."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; an in-memory URL is refused."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise StoreConfigError(f"SQLite URL needs a file path: {url}")
    return Path(database)


def store_engine(settings: Settings) -> Engine:
    """An engine on the Rasad store, with the `ref` and `monitoring` schemas mapped."""
    url = settings.resolved_store_url
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine.execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)
    if url.startswith(("postgresql", "postgres://")):
        return create_engine(with_driver(url), pool_pre_ping=True)
    raise StoreConfigError(f"unsupported store URL {url!r}: use sqlite:///PATH or postgresql://...")


def source_engine(settings: Settings) -> Engine:
    """A read-only engine on the Ombazar source, where the tables live in `ombazar`."""
    url = settings.resolved_source_url
    if url.startswith("sqlite"):
        path = sqlite_path(url).resolve()
        if not path.exists():
            raise StoreConfigError(
                f"the Ombazar source file {path} does not exist: run `rasad simulate` or set RASAD_SOURCE_URL"
            )

        def _connect():
            conn = sqlite3.connect("file::memory:", uri=True, check_same_thread=False)
            conn.execute("ATTACH DATABASE ? AS ombazar", (f"file:{path}?mode=ro",))
            return conn

        # no pooling: each connection attaches the file as it is now (the simulator replaces it whole)
        return create_engine("sqlite://", creator=_connect, poolclass=NullPool)
    if url.startswith(("postgresql", "postgres://")):
        return create_engine(with_driver(url), pool_pre_ping=True)
    raise StoreConfigError(f"unsupported source URL {url!r}: use sqlite:///PATH or postgresql://...")


@contextmanager
def id_scratch(conn, ids, name: str = "scratch_ids"):
    """A temporary one-column table holding `ids` (distinct), to join or filter by in SQL, dropped after."""
    import pandas as pd
    from sqlalchemy import Column, MetaData, String, Table

    table = Table(name, MetaData(), Column("id", String(64), primary_key=True), prefixes=["TEMPORARY"])
    table.create(conn)
    try:
        values = pd.unique(pd.Series(ids).dropna().astype(str))
        if conn.dialect.name == "postgresql":
            _copy_frame(conn, table, pd.DataFrame({"id": values}), ignore_conflicts=False)
        else:
            cursor = conn.connection.driver_connection.cursor()
            try:
                cursor.executemany(f"INSERT INTO {name} (id) VALUES (?)", ((v,) for v in values))
            finally:
                cursor.close()
        yield table
    finally:
        table.drop(conn)


# from this many rows on, PostgreSQL is bulk-loaded with COPY rather than multi-row INSERTs
COPY_MIN_ROWS = 2_000


def _copy_frame(conn, table, out, ignore_conflicts: bool) -> None:
    """Bulk-load `out` into `table` on PostgreSQL with COPY (CSV, whole-frame); with `ignore_conflicts`,
    through a temporary table and `INSERT ... ON CONFLICT DO NOTHING`."""
    import csv
    import io

    import pandas as pd
    from sqlalchemy import BigInteger, Integer

    frame = out.copy()
    for column in table.columns:
        if column.name in frame.columns and isinstance(column.type, (Integer, BigInteger)):
            values = pd.to_numeric(frame[column.name], errors="coerce")
            frame[column.name] = values.round().astype("Int64")
    buffer = io.StringIO()
    # every text is quoted, so an empty string stays one; a missing value is written \N and read as NULL
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N", quoting=csv.QUOTE_NONNUMERIC)
    names = ", ".join(f'"{c}"' for c in frame.columns)
    target = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        dest = target
        if ignore_conflicts:
            dest = f'"copy_{table.name}"'
            cur.execute(f"DROP TABLE IF EXISTS {dest}")
            cur.execute(f"CREATE TEMPORARY TABLE {dest} (LIKE {target} INCLUDING DEFAULTS)")
        with cur.copy(f"COPY {dest} ({names}) FROM STDIN (FORMAT csv, NULL '\\N', FORCE_NULL ({names}))") as copy:
            copy.write(buffer.getvalue())
        if ignore_conflicts:
            cur.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {dest} ON CONFLICT DO NOTHING")
            cur.execute(f"DROP TABLE {dest}")


def _sqlite_executemany(conn, table, out, ignore_conflicts: bool, chunk_rows: int) -> None:
    """SQLite: the driver's executemany over plain tuples, each column converted once, as a whole."""
    from sqlalchemy import Boolean

    from pipelines.store.types import DayType

    frame = out.copy()
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if isinstance(column.type, DayType):
            text = values.map(lambda v: v.isoformat()[:10] if hasattr(v, "isoformat") else v)
            frame[column.name] = text.astype(object).where(values.notna(), None)
        elif isinstance(column.type, Boolean):
            frame[column.name] = values.map(lambda v: None if v is None else int(bool(v))).astype(object)
    names = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    verb = "INSERT OR IGNORE" if ignore_conflicts else "INSERT"
    sql = f'{verb} INTO "{table.name}" ({names}) VALUES ({marks})'
    rows = list(frame.itertuples(index=False, name=None))
    cursor = conn.connection.driver_connection.cursor()
    try:
        for start in range(0, len(rows), chunk_rows):
            cursor.executemany(sql, rows[start : start + chunk_rows])
    finally:
        cursor.close()


def insert_frame(conn, table, frame, *, ignore_conflicts: bool = False, chunk_rows: int = 50_000) -> None:
    """Insert a DataFrame into `table`, whole-column conversion, in large executemany chunks.

    With `ignore_conflicts`, rows whose primary key is already present are skipped, which is
    how re-reading an overlapping window stays idempotent.
    """
    import pandas as pd
    from sqlalchemy import Insert, insert
    from sqlalchemy.dialects import postgresql, sqlite

    from pipelines.store.types import UTCDateTime, format_utc_column

    if frame.empty:
        return
    dialect = conn.dialect.name
    out = pd.DataFrame(index=frame.index)
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if isinstance(column.type, UTCDateTime):
            out[column.name] = format_utc_column(values, dialect)
        else:
            out[column.name] = values.astype(object).where(values.notna(), None)
    if dialect == "postgresql" and len(out) >= COPY_MIN_ROWS:
        _copy_frame(conn, table, out, ignore_conflicts)
        return
    if dialect == "sqlite":
        _sqlite_executemany(conn, table, out, ignore_conflicts, chunk_rows)
        return
    stmt: Insert  # the dialects' inserts are Inserts too
    if ignore_conflicts:
        dialect_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = dialect_insert(table).on_conflict_do_nothing()
    else:
        stmt = insert(table)
    records = out.to_dict("records")
    for start in range(0, len(records), chunk_rows):
        conn.execute(stmt, records[start : start + chunk_rows])
