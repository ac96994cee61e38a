"""Incremental extraction: read what changed at the source, validate it, stage every version.

Staging keeps every version of every source row, keyed by (id, updated_at), with its validity interval
(`valid_to`) and the day whose extraction staged it. Re-reading an overlapping window stages nothing
twice. Every row read is accounted for: it is staged (new or already seen), parked until its parent
arrives, quarantined with its reason, or an exact duplicate collapsed. Nothing here counts all of staging:
a day's extraction costs what the day's window holds.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select, text

from pipelines.errors import UserError
from pipelines.ingest import tables as ingest_tables
from pipelines.ingest.validation import FUTURE_TOLERANCE, validate_batch
from pipelines.monitored_day import TEHRAN, MonitoredDay
from pipelines.reference import tables as ref_tables
from pipelines.source.contract import entity_contract
from pipelines.source.reader import ENTITY_KEYS, Source, SourceBatch, SourceUnavailableError
from pipelines.store.engine import id_scratch, insert_frame
from pipelines.store.sql_files import TIMESTAMP_COLUMNS, adapt_sql
from pipelines.store.types import parse_utc_column

log = logging.getLogger(__name__)

# parents before children, so references can be checked against what is staged
ENTITY_ORDER = ("sellers", "offers", "orders", "deliveries")

# column of the entity -> (entity it refers to, staging table holding that entity's ids)
REFERENCES = {
    "offers": {"seller_id": "sellers"},
    "orders": {"offer_id": "offers"},
    "deliveries": {"order_id": "orders"},
}


class ShortReadError(SourceUnavailableError):
    """The source returned fewer rows than it counted for the window: a page came back short. The run fails
    before staging the window's rows, and the watermark stays where it was, so a re-run reads them again."""


class QuarantineShareError(UserError):
    """Too large a share of an entity's rows was quarantined: the source is broken, not a few of its rows."""

    def __init__(self, entity: str, rows_read: int, rows_quarantined: int, share: float, max_share: float):
        self.entity = entity
        self.rows_read = rows_read
        self.rows_quarantined = rows_quarantined
        self.share = share
        self.max_share = max_share
        super().__init__(
            f"{entity}: {rows_quarantined} of {rows_read} rows read were quarantined ({share:.0%}), more than "
            f"RASAD_MAX_QUARANTINE_SHARE={max_share:g}: the source is broken, see monitoring.quarantine"
        )


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
    rows_parked: int = 0
    rows_unparked: int = 0
    rows_park_expired: int = 0
    # rows no window holds (read on every run) that were quarantined before, as they are: not new bad rows
    rows_quarantined_before: int = 0

    @property
    def quarantine_share(self) -> float:
        """The share of the rows read this run for the first time that were quarantined."""
        fresh = self.rows_fetched - self.rows_quarantined_before
        return (self.rows_quarantined - self.rows_quarantined_before) / fresh if fresh > 0 else 0.0

    @property
    def balanced(self) -> bool:
        """Rows fetched = staged + parked + quarantined + exact duplicates collapsed."""
        return self.rows_fetched == (
            self.rows_staged + self.rows_parked + self.rows_quarantined + self.duplicates_collapsed
        )


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


def _current_of(conn: Connection, entity: str, ids: pd.Series, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """The staged ids among `ids` (their latest version), with `columns`: one join on a temporary id table."""
    table = ingest_tables.STAGING_TABLES[entity]
    key = ENTITY_KEYS[entity]
    selected = ", ".join(f"t.{c}" for c in (key, *columns))
    sql = adapt_sql(f"SELECT {selected} FROM monitoring.{table.name} t JOIN scratch_ids s ON s.id = t.{key} "
                    "WHERE t.valid_to IS NULL", conn.dialect.name)
    with id_scratch(conn, ids) as _:
        frame = pd.read_sql(text(sql), conn)
    for column in columns:
        if column in TIMESTAMP_COLUMNS:
            frame[column] = parse_utc_column(frame[column])
    return frame


def _existing_ids(conn: Connection, entity: str, ids: pd.Series) -> set[str]:
    return set(_current_of(conn, entity, ids)[ENTITY_KEYS[entity]].astype(str))


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
        key = ENTITY_KEYS[parent]
        columns = [key, related.field, "updated_at"]
        parts = [_current_of(conn, parent, raw[related.via].astype("string"), (related.field, "updated_at"))]
        parent_valid = batches.get(parent)
        if parent_valid is not None and not parent_valid.empty:
            parts.append(parent_valid[columns])
        rows = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame(columns=columns)], ignore_index=True)
        for c in columns[1:]:
            rows[c] = pd.to_datetime(rows[c], utc=True)
        latest = rows.sort_values("updated_at", kind="stable").drop_duplicates(key, keep="last")
        found[related.column] = pd.Series(latest[related.field].to_numpy(), index=latest[key].astype("str"))
    return found


def check_quarantine_share(counts: list[ExtractionCounts], max_share: float) -> None:
    """Fail (`QuarantineShareError`, with the counts) when an entity's quarantined share of the rows read this
    run is above `max_share`: a batch that is all or mostly bad is a broken source, not a green run."""
    for c in counts:
        if c.rows_quarantined > c.rows_quarantined_before and c.quarantine_share > max_share:
            raise QuarantineShareError(c.entity, c.rows_fetched - c.rows_quarantined_before,
                                       c.rows_quarantined - c.rows_quarantined_before, c.quarantine_share,
                                       max_share)


def _quarantined_before(conn: Connection, quarantine_ids: pd.Series) -> int:
    """How many of these quarantine rows are stored already (read again, as they were)."""
    if quarantine_ids.empty:
        return 0
    q = ingest_tables.quarantine
    with id_scratch(conn, quarantine_ids, name="scratch_quarantine") as scratch:
        return int(conn.execute(
            select(func.count()).select_from(q).where(q.c.quarantine_id.in_(select(scratch.c.id)))
        ).scalar_one())


def _check_read(entity: str, batch: SourceBatch, since: datetime | None, before: datetime | None,
                watermark: datetime | None) -> None:
    """A read that returned fewer rows than the source counted fails before anything of it is staged."""
    if len(batch.rows) < batch.rows_counted_at_source:
        window = f"[{since.isoformat() if since else 'the beginning'}, {before.isoformat() if before else 'on'})"
        kept = watermark.isoformat() if watermark else "unset"
        raise ShortReadError(
            f"{entity}: the source counted {batch.rows_counted_at_source} rows in {window} but returned "
            f"{len(batch.rows)} (a page came back short); nothing of it was staged and the watermark stays at "
            f"{kept}: run again"
        )


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


# ---------------------------------------------------------------- parked rows (a parent not staged yet)


def _orphans(entity: str, quarantined: pd.DataFrame) -> pd.Series:
    """Quarantined rows whose only fault is a parent not staged yet: they wait, they are not bad."""
    parents = REFERENCES.get(entity, {})
    if quarantined.empty or not parents:
        return pd.Series(False, index=quarantined.index)
    allowed = {f"known_reference:{column}" for column in parents}
    names = quarantined["failed_expectations"].astype(str).str.split(",")
    return names.map(lambda ns: bool(ns) and set(ns) <= allowed).astype(bool)


def _parked_rows(conn: Connection, entity: str) -> pd.DataFrame:
    p = ingest_tables.parked
    return pd.DataFrame(
        conn.execute(select(p).where(p.c.entity == entity)).mappings().all(),
        columns=[c.name for c in p.columns],
    )


def _payload_rows(payloads: pd.Series) -> pd.DataFrame:
    """Parked payloads back into raw rows, as the source gave them (text stays text, numbers numbers)."""
    if payloads.empty:
        return pd.DataFrame()
    text = "\n".join(payloads.astype(str))
    return pd.read_json(io.StringIO(text), lines=True, dtype=False)


def _park(conn: Connection, entity: str, orphans: pd.DataFrame, day: date, run_id: str) -> None:
    rows = pd.DataFrame({
        "entity": entity,
        "source_id": orphans["source_id"].astype(str),
        "source_updated_at": orphans["source_updated_at"].astype(str),
        "raw_payload": orphans["raw_payload"],
        "missing_parent": orphans["reason"],
        "first_parked_day": day,
        "run_id": run_id,
    })
    insert_frame(conn, ingest_tables.parked, rows.drop_duplicates(["source_id", "source_updated_at"]),
                 ignore_conflicts=True)


# ---------------------------------------------------------------- staging with version intervals


def stage_versions(conn: Connection, entity: str, valid: pd.DataFrame, staged_day: pd.Series | date,
                   run_id: str) -> None:
    """Stage new versions (a version seen before is kept as it was) and close the intervals they open.

    Each version of the ids staged gets `valid_to` = the `updated_at` of the next version of its row,
    so a version arriving out of order (a backfill, a parked row admitted late) still lands in its place.
    """
    if valid.empty:
        return
    table = ingest_tables.STAGING_TABLES[entity]
    key = ENTITY_KEYS[entity]
    insert_frame(conn, table, valid.assign(first_run_id=run_id, staged_day=staged_day), ignore_conflicts=True)
    with id_scratch(conn, valid[key]) as scratch:
        following = table.alias("following")
        next_version = (
            select(func.min(following.c.updated_at))
            .where(following.c[key] == table.c[key], following.c.updated_at > table.c.updated_at)
            .scalar_subquery()
        )
        conn.execute(
            table.update().where(table.c[key].in_(select(scratch.c.id))).values(valid_to=next_version)
        )


def _new_versions(conn: Connection, entity: str, run_id: str, first: date, last: date) -> int:
    """Versions this run staged first (read through the staging-day index, never all of staging)."""
    table = ingest_tables.STAGING_TABLES[entity]
    return int(conn.execute(
        select(func.count()).select_from(table)
        .where(table.c.staged_day >= first, table.c.staged_day <= last, table.c.first_run_id == run_id)
    ).scalar_one())


def staged_days(updated_at: pd.Series, first: date, last: date) -> pd.Series:
    """A backfill's staging day per version: the Tehran day of its updated_at, within [first, last]."""
    days = updated_at.dt.tz_convert(TEHRAN).dt.date
    return days.clip(lower=first, upper=last)


# the entities whose volume follows the days (the catalogue and the sellers are read whole)
SLICED = ("orders", "deliveries")
SLICE_ROWS = 20_000  # about this many rows a slice, when the history is sparse


def _slices(source: Source, entity: str, since: datetime | None, before: datetime
            ) -> list[tuple[datetime | None, datetime]]:
    """The window cut into days, when it is longer than two (an initial load, or days missed), so that a run's
    memory follows a day's rows, not the history's. A source that cannot say where its history begins is
    read in one piece."""
    if entity not in SLICED:
        return [(since, before)]
    start = since
    if start is None:
        first = getattr(source, "first_change", None)
        start = first(entity) if first is not None else None
        if start is None:
            return [(since, before)]
        start = start - timedelta(days=1)
    if before - start <= timedelta(days=2):
        return [(since, before)]
    # the days after the source's last change are one slice (a backfill over an old source reads on to now), and
    # a sparse history is read several days a slice, about SLICE_ROWS rows each, not a day at a time
    last_change = getattr(source, "last_change", None)
    end = last_change(entity) if last_change is not None else None
    stop = min(before, end + timedelta(days=1)) if end is not None else before
    step = timedelta(days=1)
    count = getattr(source, "count_changed", None)
    if count is not None and stop > start:
        span_days = max(1, (stop - start).days)
        rows = count(entity, since, stop)
        step = timedelta(days=max(1, int(SLICE_ROWS * span_days // max(rows, 1))))
    cuts = []
    edge = start + step
    while edge < stop:
        cuts.append(edge)
        edge += step
    if not cuts:
        return [(since, before)]
    bounds: list[datetime | None] = [since, *cuts]
    return list(zip(bounds, [*cuts, before], strict=True))


def extract_day(
    source: Source,
    store: Engine,
    day: date,
    run_id: str,
    *,
    extracted_at: datetime | None = None,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
    before: datetime | None = None,
    last_day: date | None = None,
    allowed_lateness_days: int = 14,
) -> list[ExtractionCounts]:
    """Extract, validate and stage every entity's changes for the Tehran day `day`.

    The window ends at the end of `day`, or at `before` (a backfill reads on to what the source holds now,
    and stages each version for the day of its `updated_at`, within `day`..`last_day`). A row whose parent is
    not staged yet is parked and retried on every later extraction; it is quarantined only when its parent
    has not arrived within `allowed_lateness_days`.
    """
    monitored = MonitoredDay(day)
    extracted_at = extracted_at or datetime.now(UTC)
    window_before = before or monitored.end
    results: list[ExtractionCounts] = []
    valid_batches: dict[str, pd.DataFrame] = {}

    def staging_day(frame: pd.DataFrame) -> pd.Series | date:
        if last_day is None or frame.empty:
            return day
        return staged_days(frame["updated_at"], day, last_day)

    # rows no window holds (an impossible date, 1969, 2099) are read whole on every run, up to this instant
    latest = max(window_before, extracted_at + future_tolerance)
    for entity in ENTITY_ORDER:
        with store.connect() as conn:
            watermark = _watermark(conn, entity)
        since = window_since(watermark, monitored)
        reads: list[tuple[datetime | None, datetime | None]] = list(_slices(source, entity, since, window_before))
        sweep = getattr(source, "read_implausible", None)
        if sweep is not None:
            reads.insert(0, (None, None))  # first, so that parked rows still wait for the last window slice
        tally = dict.fromkeys(("read", "fetched", "staged", "quarantined", "duplicates", "parked", "unparked",
                               "expired", "quarantined_before"), 0)
        extra: set[str] = set()
        for number, (slice_since, slice_before) in enumerate(reads):
            last = number == len(reads) - 1
            if slice_before is None and sweep is not None:
                batch = sweep(entity, latest)
                _check_read(entity, batch, latest, None, watermark)
            else:
                assert slice_before is not None
                batch = source.read_changed(entity, slice_since, slice_before)
                _check_read(entity, batch, slice_since, slice_before, watermark)
            with store.begin() as conn:
                # parked rows wait for the last slice, when every earlier row of the window is staged
                parked = _parked_rows(conn, entity) if last else _parked_rows(conn, entity).iloc[:0]
                retried = _payload_rows(parked["raw_payload"])
                both = pd.concat([batch.rows, retried], ignore_index=True) if len(retried) else batch.rows
                known = known_references(conn, entity, both, valid_batches)
                del retried
                validate = partial(validate_batch, entity, extracted_at=extracted_at, known=known,
                                   future_tolerance=future_tolerance,
                                   related=related_timestamps(conn, entity, both, valid_batches))
                outcome = validate(batch.rows)
                orphan = _orphans(entity, outcome.quarantined)
                to_park = outcome.quarantined[orphan]
                quarantined = outcome.quarantined[~orphan]

                # parked rows of earlier runs, by the day they were first parked: admitted now that their parent
                # is here, parked again while they may still wait, or quarantined when out of time
                limit = day - timedelta(days=allowed_lateness_days)
                admitted_parts, expired_parts, repark_parts = [], [], []
                for first_day, group in parked.groupby("first_parked_day"):
                    again = validate(_payload_rows(group["raw_payload"]))
                    admitted_parts.append(again.valid)
                    waiting = _orphans(entity, again.quarantined)
                    if first_day < limit:
                        waiting[:] = False
                    repark_parts.append((first_day, again.quarantined[waiting]))
                    out_of_time = again.quarantined[~waiting]
                    expired_parts.append(out_of_time.assign(
                        failed_expectations=out_of_time["failed_expectations"] + ",parked_beyond_allowed_lateness",
                        reason=out_of_time["reason"].str.rstrip(".")
                        + f"; its parent did not arrive within {allowed_lateness_days} days."))
                if len(parked):
                    conn.execute(delete(ingest_tables.parked).where(ingest_tables.parked.c.entity == entity))
                for first_day, rows in repark_parts:
                    if not rows.empty:
                        _park(conn, entity, rows, first_day, run_id)
                admitted = pd.concat(admitted_parts, ignore_index=True) if admitted_parts else pd.DataFrame()
                expired = pd.concat(expired_parts, ignore_index=True) if expired_parts else pd.DataFrame()

                staged = pd.concat([outcome.valid, admitted], ignore_index=True) if len(admitted) else outcome.valid
                valid_batches[entity] = staged
                stage_versions(conn, entity, staged, staging_day(staged), run_id)
                if not to_park.empty:
                    _park(conn, entity, to_park, day, run_id)
                for bad in (quarantined, expired):
                    if not bad.empty:
                        frame = _quarantine_frame(entity, bad, day, run_id)
                        if bad is quarantined and slice_before is None:  # the sweep re-reads the same rows daily
                            tally["quarantined_before"] += _quarantined_before(conn, frame["quarantine_id"])
                        insert_frame(conn, ingest_tables.quarantine, frame, ignore_conflicts=True)
                tally["read"] += batch.rows_counted_at_source
                tally["fetched"] += len(batch.rows)
                tally["staged"] += len(outcome.valid)
                tally["quarantined"] += len(quarantined)
                tally["duplicates"] += outcome.duplicates_dropped
                tally["parked"] += len(to_park)
                tally["unparked"] += len(admitted)
                tally["expired"] += len(expired)
                extra.update(outcome.extra_columns)
        with store.begin() as conn:
            counts = ExtractionCounts(
                entity=entity,
                rows_read_at_source=tally["read"],
                rows_fetched=tally["fetched"],
                rows_staged=tally["staged"],
                rows_new_versions=_new_versions(conn, entity, run_id, day, last_day or day),
                rows_quarantined=tally["quarantined"],
                duplicates_collapsed=tally["duplicates"],
                extra_columns=tuple(sorted(extra)),
                rows_parked=tally["parked"],
                rows_unparked=tally["unparked"],
                rows_park_expired=tally["expired"],
                rows_quarantined_before=tally["quarantined_before"],
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
                    rows_parked=counts.rows_parked,
                    rows_unparked=counts.rows_unparked,
                    rows_park_expired=counts.rows_park_expired,
                )
            )
            _set_watermark(conn, entity, window_before)
        if counts.rows_read_at_source != counts.rows_fetched:
            log.warning(
                "%s: the source counted %d rows for the window but returned %d (rows added while it was read?)",
                entity,
                counts.rows_read_at_source,
                counts.rows_fetched,
            )
        log.info("extracted %s", json.dumps(asdict(counts)))
        results.append(counts)
    return results
