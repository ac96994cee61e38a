"""Write a simulated world where Rasad reads it: the source, the reference data, the ground truth.

The source gets the marketplace as it stood at the simulator's clock; the truth goes to its own
SQLite file (`var/sim/truth.db`), which nothing in the pipeline reads.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, MetaData, Table, delete, insert

from pipelines.progress import Progress
from pipelines.reference.writer import write_reference
from pipelines.store.sql_files import SQL_DIR

SOURCE_TABLES = ("sellers", "offers", "orders", "deliveries")
CHUNK_ROWS = 20_000


def _iso_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as ISO-8601 text with an offset, the contract's form on SQLite."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            formatted = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
            out[column] = formatted.astype(object).where(out[column].notna(), None)
    return out.astype(object).where(out.notna(), None)


def write_source_sqlite(frames: dict[str, pd.DataFrame], path: Path) -> None:
    """Replace the SQLite source file atomically with these tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript((SQL_DIR / "ombazar" / "create_tables.sqlite.sql").read_text(encoding="utf-8"))
        total = sum(len(frames[name]) for name in SOURCE_TABLES)
        with Progress("write source", total=total, unit="rows") as progress:
            for name in SOURCE_TABLES:
                columns = list(frames[name].columns)
                placeholders = ", ".join("?" for _ in columns)
                for start in range(0, len(frames[name]), CHUNK_ROWS):
                    frame = _iso_text(frames[name].iloc[start:start + CHUNK_ROWS])
                    conn.executemany(
                        f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({placeholders})",
                        frame.itertuples(index=False, name=None),
                    )
                    progress.advance(len(frame), name)
        conn.commit()
    finally:
        conn.close()
    os.replace(tmp, path)


def write_source_postgres(frames: dict[str, pd.DataFrame], engine: Engine) -> None:
    """Replace the rows of schema `ombazar` in one transaction."""
    ddl = (SQL_DIR / "ombazar" / "create_tables.postgresql.sql").read_text(encoding="utf-8")
    with engine.begin() as conn:
        conn.exec_driver_sql(ddl)
        meta = MetaData(schema="ombazar")
        for name in SOURCE_TABLES:
            table = Table(name, meta, autoload_with=conn)
            conn.execute(delete(table))
            frame = frames[name]
            records = frame.astype(object).where(frame.notna(), None).to_dict("records")
            if records:
                conn.execute(insert(table), records)


def write_truth(truth: pd.DataFrame, path: Path) -> None:
    """Replace the ground truth file: table truth(kind, entity, entity_id, day, detail)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("CREATE TABLE truth (kind TEXT, entity TEXT, entity_id TEXT, day TEXT, detail TEXT)")
        t = truth[["kind", "entity", "entity_id", "day", "detail"]].copy()
        t["day"] = t["day"].astype(str)
        conn.executemany("INSERT INTO truth VALUES (?, ?, ?, ?, ?)", t.itertuples(index=False, name=None))
        conn.commit()
    finally:
        conn.close()
    os.replace(tmp, path)


__all__ = ["write_reference", "write_source_postgres", "write_source_sqlite", "write_truth"]
