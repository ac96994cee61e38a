"""Incremental extraction: read what changed at the source, validate it, stage every version.

Staging keeps every version of every source row, keyed by (id, updated_at). Re-reading an
overlapping window stages nothing twice. Every row read is accounted for: it is staged (new
or already seen), quarantined with its reason, or an exact duplicate collapsed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, func, select

from pipelines.ingest import tables as ingest_tables
from pipelines.ingest.validation import FUTURE_TOLERANCE, validate_batch
from pipelines.monitored_day import MonitoredDay
from pipelines.reference import tables as ref_tables
from pipelines.source.contract import entity_contract
from pipelines.source.reader import ENTITY_KEYS, Source
from pipelines.store.engine import insert_frame

log = logging.getLogger(__name__)

# parents before children, so references can be checked against what is staged
ENTITY_ORDER = ("sellers", "offers", "orders", "deliveries")

# column of the entity -> (entity it refers to, staging table holding that entity's ids)
REFERENCES = {
    "offers": {"seller_id": "sellers"},
    "orders": {"offer_id": "offers"},
    "deliveries": {"order_id": "orders"},
}


@dataclass(frozen=True)
class ExtractionCounts:
    """The row accounting of one entity in one run."""

    entity: str
    rows_read_at_source: int
    rows_fetched: int
    rows_staged: int
    rows_new_versions: int
    rows_quarantined: int
    duplicates_collapsed: int
    extra_columns: tuple[str, ...]

    @property
    def balanced(self) -> bool:
        """Rows fetched = rows staged + rows quarantined + exact duplicates collapsed."""
        return self.rows_fetched == self.rows_staged + self.rows_quarantined + self.duplicates_collapsed


def _watermark(conn: Connection, entity: str) -> datetime | None:
    row = conn.execute(
        select(ingest_tables.watermark.c.updated_before).where(ingest_tables.watermark.c.entity == entity)
    ).first()
    return row[0] if row else None


def _set_watermark(conn: Connection, entity: str, before: datetime) -> None:
    current = _watermark(conn, entity)
    if current is None:
        conn.execute(ingest_tables.watermark.insert().values(entity=entity, updated_before=before))
    elif before > current:
        conn.execute(
            ingest_tables.watermark.update()
            .where(ingest_tables.watermark.c.entity == entity)
            .values(updated_before=before)
        )


def window_since(watermark: datetime | None, day: MonitoredDay) -> datetime | None:
    """Where a run for `day` starts reading: its own day, or earlier if days were missed."""
    if watermark is None:
        return None
    return min(watermark, day.start)


def _existing_ids(conn: Connection, entity: str, ids: pd.Series) -> set[str]:
    table = ingest_tables.STAGING_TABLES[entity]
    key = table.c[ENTITY_KEYS[entity]]
    wanted = [str(v) for v in pd.unique(ids.dropna())]
    found: set[str] = set()
    stmt = select(key).where(key.in_(bindparam("ids", expanding=True))).distinct()
    for start in range(0, len(wanted), 5000):
        found.update(r[0] for r in conn.execute(stmt, {"ids": wanted[start : start + 5000]}))
    return found


def known_references(conn: Connection, entity: str, raw: pd.DataFrame, batches: dict) -> dict[str, set[str]]:
    """The ids a batch may refer to: staged before, or valid in this run's parent batch."""
    known: dict[str, set[str]] = {}
    for column, parent in REFERENCES.get(entity, {}).items():
        if column not in raw.columns:
            continue
        ids = set(_existing_ids(conn, parent, raw[column].astype("string")))
        parent_valid = batches.get(parent)
        if parent_valid is not None and not parent_valid.empty:
            ids.update(parent_valid[ENTITY_KEYS[parent]].astype(str))
        known[column] = ids
    if entity == "sellers" and "unit_id" in raw.columns:
        # a seller's unit must exist in the reference data (any validity period)
        known["unit_id"] = {r[0] for r in conn.execute(select(ref_tables.unit.c.unit_id).distinct())}
    if entity == "offers":
        known["category_code"] = {
            r[0]
            for r in conn.execute(
                select(ref_tables.taxon.c.code).where(ref_tables.taxon.c.level == "sub_branch")
            )
        }
    return known


def related_timestamps(conn: Connection, entity: str, raw: pd.DataFrame, batches: dict) -> dict[str, pd.Series]:
    """For each related column of the entity's contract (a delivery's `order_ordered_at`), the referenced
    rows' timestamp by key: their latest version staged before, or valid in this run's parent batch."""
    found: dict[str, pd.Series] = {}
    for related in entity_contract(entity).related:
        if related.via not in raw.columns:
            continue
        parent = REFERENCES[entity][related.via]
        table = ingest_tables.STAGING_TABLES[parent]
        key = ENTITY_KEYS[parent]
        columns = [key, related.field, "updated_at"]
        wanted = [str(v) for v in pd.unique(raw[related.via].astype("string").dropna())]
        stmt = select(*(table.c[c] for c in columns)).where(table.c[key].in_(bindparam("ids", expanding=True)))
        parts = [
            pd.DataFrame(conn.execute(stmt, {"ids": wanted[start : start + 5000]}).all(), columns=columns)
            for start in range(0, len(wanted), 5000)
        ]
        parent_valid = batches.get(parent)
        if parent_valid is not None and not parent_valid.empty:
            parts.append(parent_valid[columns])
        rows = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame(columns=columns)], ignore_index=True)
        for c in columns[1:]:
            rows[c] = pd.to_datetime(rows[c], utc=True)
        latest = rows.sort_values("updated_at", kind="stable").drop_duplicates(key, keep="last")
        found[related.column] = pd.Series(latest[related.field].to_numpy(), index=latest[key].astype("str"))
    return found


def _quarantine_frame(entity: str, quarantined: pd.DataFrame, day: date, run_id: str) -> pd.DataFrame:
    q = quarantined.copy()
    digest = (entity + "\x1f" + q["raw_payload"].astype(str)).map(
        lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()
    )
    q["quarantine_id"] = digest
    q["entity"] = entity
    q["day"] = day
    q["run_id"] = run_id
    return q.drop_duplicates("quarantine_id")


def extract_day(
    source: Source,
    store: Engine,
    day: date,
    run_id: str,
    *,
    extracted_at: datetime | None = None,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
    before: datetime | None = None,
) -> list[ExtractionCounts]:
    """Extract, validate and stage every entity's changes for the Tehran day `day`.

    The window ends at the end of `day`, or at `before` (a backfill reads on to what the source holds now).
    """
    monitored = MonitoredDay(day)
    extracted_at = extracted_at or datetime.now(UTC)
    window_before = before or monitored.end
    results: list[ExtractionCounts] = []
    valid_batches: dict[str, pd.DataFrame] = {}
    for entity in ENTITY_ORDER:
        table = ingest_tables.STAGING_TABLES[entity]
        with store.connect() as conn:
            since = window_since(_watermark(conn, entity), monitored)
        batch = source.read_changed(entity, since, window_before)
        with store.begin() as conn:
            known = known_references(conn, entity, batch.rows, valid_batches)
            outcome = validate_batch(
                entity, batch.rows, extracted_at=extracted_at, known=known, future_tolerance=future_tolerance,
                related=related_timestamps(conn, entity, batch.rows, valid_batches),
            )
            valid_batches[entity] = outcome.valid
            rows_before = conn.execute(select(func.count()).select_from(table)).scalar_one()
            staged = outcome.valid.assign(first_run_id=run_id)
            insert_frame(conn, table, staged, ignore_conflicts=True)
            after = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if not outcome.quarantined.empty:
                insert_frame(
                    conn,
                    ingest_tables.quarantine,
                    _quarantine_frame(entity, outcome.quarantined, day, run_id),
                    ignore_conflicts=True,
                )
            counts = ExtractionCounts(
                entity=entity,
                rows_read_at_source=batch.rows_counted_at_source,
                rows_fetched=len(batch.rows),
                rows_staged=len(outcome.valid),
                rows_new_versions=int(after - rows_before),
                rows_quarantined=len(outcome.quarantined),
                duplicates_collapsed=outcome.duplicates_dropped,
                extra_columns=tuple(outcome.extra_columns),
            )
            conn.execute(
                ingest_tables.extraction_log.insert().values(
                    run_id=run_id,
                    entity=entity,
                    day=day,
                    window_since=since,
                    window_before=window_before,
                    rows_read_at_source=counts.rows_read_at_source,
                    rows_fetched=counts.rows_fetched,
                    rows_staged=counts.rows_staged,
                    rows_quarantined=counts.rows_quarantined,
                    rows_new_versions=counts.rows_new_versions,
                    rows_duplicates_collapsed=counts.duplicates_collapsed,
                    extra_columns=json.dumps(list(counts.extra_columns)) if counts.extra_columns else None,
                )
            )
            _set_watermark(conn, entity, window_before)
        if counts.rows_read_at_source != counts.rows_fetched:
            log.warning(
                "%s: the source counted %d rows for the window but returned %d (it changed while read?)",
                entity,
                counts.rows_read_at_source,
                counts.rows_fetched,
            )
        log.info("extracted %s", json.dumps(asdict(counts)))
        results.append(counts)
    return results


