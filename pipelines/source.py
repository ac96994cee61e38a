"""Reading the Ombazar source over SQL (contract v1). Only the extractor uses this module.

The SQL lives in `sql/extract/`, one file per purpose and dialect; the table and key names
come from the contract's fixed list, and every value is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, text

from pipelines.sqlfiles import SQL_DIR, strip_comments

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


class SqlSource:
    """The source reached over a read-only SQL connection."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name

    def read_changed(self, entity: str, since: datetime | None, before: datetime) -> SourceBatch:
        """Rows changed in [since, before), and the source's own count of them."""
        params = {"since": _bound(since, self.dialect), "before": _bound(before, self.dialect)}
        with self.engine.connect() as conn:
            counted = conn.execute(text(_sql("count_changed", entity, self.dialect)), params).scalar_one()
            rows = pd.read_sql(text(_sql("select_changed", entity, self.dialect)), conn, params=params)
        return SourceBatch(entity=entity, rows=rows, rows_counted_at_source=int(counted))
