"""The daily monitoring of one Tehran day, as steps that the DAG and the CLI both call.

Each step is idempotent for its day: re-running it leaves the same state (staging dedupes on
(id, updated_at), observations are replaced for the day, findings are rebuilt from observations,
reports are rewritten). Run logs are append-only history.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from pipelines.checks import empty_observations
from pipelines.checks.on_time import late_deliveries, overdue_orders, seller_cancellations
from pipelines.checks.price import (
    FIELD_PARTS,
    candidates_from_records,
    candidates_to_records,
    partition_price_candidates,
    read_price_inputs,
    with_units_ordered,
)
from pipelines.checks.quality import quality_defects
from pipelines.checks.source_silence import source_silent
from pipelines.errors import UserError
from pipelines.findings.episodes import (
    record_observations,
    refresh_findings,
    rejudge_overdue,
    with_scorecards_and_severity,
)
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration import tables as run_tables
from pipelines.price_model.features import taxonomy_prefix
from pipelines.progress import Progress
from pipelines.reference.routing import recipients_on, route_sellers, seller_provinces
from pipelines.settings import Settings
from pipelines.state.market import first_judged_day, market_state
from pipelines.store.engine import store_engine
from pipelines.store.sql_files import read_frame, store_sql
from pipelines.vocabulary import RULES

log = logging.getLogger(__name__)


class ReferenceStaleError(UserError, RuntimeError):
    """The reference data is too old (or missing) for the monitored day."""


class DaySkippedError(UserError, RuntimeError):
    """The day before the monitored day has not been monitored to the end: no day is skipped."""


class ReportDeadlineMissedError(UserError, RuntimeError):
    """A day's run had not sent its reports by the deadline."""


def new_run_id(day: date, origin: str = "cli") -> str:
    """A run id that says where it came from and which day it monitors."""
    return f"{origin}-{day.isoformat()}-{uuid.uuid4().hex[:8]}"


# pg_advisory_lock key of the store's step lock ("rasad" in ASCII)
_STEP_LOCK_KEY = 0x7261736164


def _partition_lock_key(step: str, part: str) -> int:
    """A stable 63-bit advisory-lock key for one partition of a step."""
    import hashlib

    return int.from_bytes(hashlib.blake2b(f"{step}:{part}".encode(), digest_size=8).digest(), "big") >> 1


@contextmanager
def store_step_lock(store: Engine, step: str | None = None, part: str | None = None):
    """One step at a time on a store, across processes: two runs at once (two `rasad run`, or one beside an
    Airflow task) take turns step by step, and each step is idempotent for its day, so they end as one run would.

    A partition of a mapped step (`part`) shares the store lock with the other partitions, so Celery workers
    run them side by side, and holds its own partition's lock alone: a whole step waits for every partition,
    and two runs never work on the same partition at once.

    PostgreSQL: session advisory locks; SQLite: an exclusive `flock` on a file beside the database (SQLite has
    one writer anyway). Both are released when the holder dies (SIGKILL, a terminated session), so a killed run
    never blocks the next.
    """
    if store.dialect.name == "postgresql":
        from sqlalchemy import text

        keys = ([("pg_advisory_lock_shared", "pg_advisory_unlock_shared", _STEP_LOCK_KEY),
                 ("pg_advisory_lock", "pg_advisory_unlock", _partition_lock_key(step or "", part))]
                if part else [("pg_advisory_lock", "pg_advisory_unlock", _STEP_LOCK_KEY)])
        with store.connect() as conn:
            for lock, _, key in keys:
                conn.execute(text(f"SELECT {lock}(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                if not conn.closed and not conn.invalidated:
                    try:
                        for _, unlock, key in reversed(keys):
                            conn.execute(text(f"SELECT {unlock}(:k)"), {"k": key})
                        conn.commit()
                    except Exception:  # noqa: BLE001 - a lost session has released the lock already
                        pass
        return
    if store.dialect.name != "sqlite" or not store.url.database or store.url.database == ":memory:":
        yield
        return
    import fcntl

    lock_path = f"{store.url.database}.step-lock"
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_step_id(conn, step_id: str) -> str:
    """`step_id`, or `step_id#n` when a retry of the same step of the same run was logged before."""
    log_id = run_tables.run_log.c.run_id
    taken = conn.execute(select(func.count()).select_from(run_tables.run_log).where(
        (log_id == step_id) | log_id.like(f"{step_id}#%"))).scalar_one()
    return f"{step_id}#{taken + 1}" if taken else step_id


@contextmanager
def logged_step(store: Engine, run_id: str, day: date, step: str, part: str | None = None):
    """Record a step (or one partition of it) in the append-only run log, with its outcome; a retry of the
    same run's step gets a row of its own. One step at a time on the store (`store_step_lock`)."""
    with store_step_lock(store, step, part), _logged_step(store, run_id, day, step, part) as detail:
        yield detail


@contextmanager
def _logged_step(store: Engine, run_id: str, day: date, step: str, part: str | None = None):
    with store.begin() as conn:
        step_id = _free_step_id(conn, f"{run_id}:{step}" + (f"-{part}" if part else ""))
        conn.execute(run_tables.run_log.insert().values(
            run_id=step_id, day=day, step=step, started_at=datetime.now(UTC), status="running"))
    detail: dict = {}
    try:
        yield detail
    except Exception as exc:
        with store.begin() as conn:
            conn.execute(run_tables.run_log.update().where(run_tables.run_log.c.run_id == step_id).values(
                finished_at=datetime.now(UTC), status="failed", detail=f"{type(exc).__name__}: {exc}"))
        raise
    with store.begin() as conn:
        conn.execute(run_tables.run_log.update().where(run_tables.run_log.c.run_id == step_id).values(
            finished_at=datetime.now(UTC), status="success", detail=json.dumps(detail, default=str)))


def check_reference_fresh(settings: Settings, day: date) -> date:
    """Fail clearly unless the reference data was loaded as of a day close enough to `day`."""
    store = store_engine(settings)
    with store.connect() as conn:
        value = conn.execute(store_sql("reports/select_reference_freshness", conn.dialect.name)).scalar()
    if value is None:
        raise ReferenceStaleError("no reference data loaded: run `rasad simulate` or `rasad ref load DIR`")
    as_of = value if isinstance(value, date) else date.fromisoformat(str(value))
    if as_of < day - timedelta(days=settings.reference_max_age_days):
        raise ReferenceStaleError(
            f"reference data is as of {as_of}, older than {settings.reference_max_age_days} days before {day}"
        )
    return as_of


def check_no_day_skipped(settings: Settings, day: date) -> date | None:
    """Refuse to monitor `day` while the day before it, since monitoring began, has no successful run.

    Monitoring began on `monitoring_start_day`, or else on the first day whose run reached its reports. A
    scheduler outage or a failed day therefore stops the days after it, loudly, until it is run (Airflow
    catches the missed days up in order; by hand: `rasad run --date D-1`). Returns when monitoring began
    (None: this is the first day).
    """
    from sqlalchemy import func, select

    from pipelines.store.types import as_day

    log_table = run_tables.run_log
    done = (log_table.c.step == "report") & (log_table.c.status == "success")
    with store_engine(settings).connect() as conn:
        first = conn.execute(select(func.min(log_table.c.day)).where(done)).scalar()
        began = settings.monitoring_start_day or (as_day(first) if first is not None else None)
        previous = day - timedelta(days=1)
        if began is None or previous < began:
            return began
        ran = conn.execute(select(log_table.c.run_id).where(done, log_table.c.day == previous).limit(1)).first()
    if ran is None:
        raise DaySkippedError(
            f"Tehran day {previous} has no successful run (monitoring began on {began}): monitor it before {day} "
            f"(`rasad run --date {previous}`, or clear its Airflow run); no day is skipped")
    return began


def check_report_deadline(settings: Settings, day: date) -> str:
    """Fail unless the daily run of `day` has sent its reports (the deadline alert's check, run at the hour)."""
    from sqlalchemy import select

    log_table = run_tables.run_log
    with store_engine(settings).connect() as conn:
        steps = {row.step for row in conn.execute(
            select(log_table.c.step).where(log_table.c.day == day, log_table.c.status == "success"))}
    if "send" not in steps:
        how_far = ", ".join(s for s in ("extract", "check", "findings", "report") if s in steps) or "nothing"
        raise ReportDeadlineMissedError(
            f"deadline missed: the daily run of Tehran day {day} had not sent its reports by "
            f"{settings.report_deadline_tehran_hour:02d}:00 Tehran on {day + timedelta(days=1)} "
            f"(steps done: {how_far})")
    return f"the reports of {day} went out before the deadline"


def extract(settings: Settings, day: date, run_id: str, before: datetime | None = None,
            last_day: date | None = None) -> list[dict]:
    """Extract, validate, park, quarantine and stage the source's changes for `day` (or on to `before`)."""
    from pipelines.ingest import data_docs
    from pipelines.ingest.extraction import check_quarantine_share, extract_day
    from pipelines.source.reader import open_source

    store = store_engine(settings)
    with logged_step(store, run_id, day, "extract") as detail, data_docs.collecting() as validated:
        try:
            counts = extract_day(
                open_source(settings), store, day, run_id,
                future_tolerance=timedelta(minutes=settings.future_tolerance_minutes), before=before,
                last_day=last_day, allowed_lateness_days=settings.allowed_lateness_days,
            )
        finally:  # what was validated is documented, whether or not the extraction then succeeded
            detail["data_docs"] = _publish_data_docs(settings, validated, day, run_id)
        detail["entities"] = [asdict(c) for c in counts]
        unbalanced = [c.entity for c in counts if not c.balanced]
        if unbalanced:
            raise RuntimeError(f"row accounting does not balance for {unbalanced}")
        # a batch mostly (or wholly) quarantined is a broken source: the task fails with the counts
        check_quarantine_share(counts, settings.max_quarantine_share)
    return [asdict(c) for c in counts]


def _publish_data_docs(settings: Settings, validated, day: date, run_id: str) -> str | None:
    """The run's validation results as a run of the GX Checkpoint, its Data Docs rebuilt (once per run)."""
    from pipelines.ingest import data_docs
    from pipelines.ingest.validation import entity_suites

    if not settings.data_docs_enabled or not validated.entities:
        return None
    try:
        index = data_docs.publish(settings.var_dir, validated, day, run_id, entity_suites(validated.entities),
                                  runs_listed=settings.data_docs_index_results)
    except Exception as exc:  # noqa: BLE001 - the documents of a run never fail the run itself
        log.error("Data Docs not built for %s (%s): %s: %s", day, run_id, type(exc).__name__, exc)
        return f"failed: {type(exc).__name__}: {exc}"
    log.info("Data Docs of %s: %s", day, index)
    return str(index) if index else None


def _seller_routing(conn, day: date) -> pd.DataFrame:
    sellers = read_frame(conn, "state/select_sellers_as_of", as_of=MonitoredDay(day).end)
    return route_sellers(recipients_on(conn, day), sellers)


def checked_days(conn) -> set[date]:
    """The days whose checks have run to completion."""
    return {d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
            for d in read_frame(conn, "findings/select_checked_days")["day"]}


# ---------------------------------------------------------------- partitions of a day (dynamic task mapping)


def _balanced(weights: dict[str, int], count: int) -> list[list[str]]:
    """Split keys into at most `count` groups of about equal weight (heaviest first, ties by key): stable for
    the same weights, so a retried partition is the same partition."""
    groups: list[list[str]] = [[] for _ in range(max(1, min(count, len(weights))))]
    loads = [0] * len(groups)
    for key in sorted(weights, key=lambda k: (-weights[k], k)):
        i = loads.index(min(loads))
        groups[i].append(key)
        loads[i] += max(int(weights[key]), 1)
    return [sorted(g) for g in groups if g]


def plan_partitions(settings: Settings, day: date) -> dict[str, list[dict]]:
    """How the day's heavy steps split: the price rules by taxonomy field, the reports by province.

    A partition is `{"part": "p1", "keys": [...]}`; at most `settings.daily_partitions` of each. The price
    partitions are whole taxonomy fields (a peer band never reaches beyond its field), weighted by offers; the
    report partitions are whole provinces. What crosses provinces (fulfilment, scorecards' national rates,
    repeat offences, episodes, routing) stays in the steps that are not split.
    """
    store = store_engine(settings)
    with store.connect() as conn:
        codes = read_frame(conn, "price/select_category_weights")
        provinces = read_frame(conn, "routing/select_provinces")
    codes = codes[codes["category_code"].notna()]
    fields = taxonomy_prefix(codes["category_code"].astype(str), FIELD_PARTS)
    weights = codes.assign(field=fields).groupby("field")["offers"].sum()
    price = _balanced({str(k): int(v) for k, v in weights.items()}, settings.daily_partitions)
    reports = _balanced({str(p): 1 for p in provinces["province_id"]}, settings.daily_partitions)
    return {
        "price": [{"part": f"p{n}", "keys": keys} for n, keys in enumerate(price, start=1)],
        "reports": [{"part": f"p{n}", "keys": keys} for n, keys in enumerate(reports, start=1)],
    }


def price_partition(settings: Settings, day: date, run_id: str, partition: dict) -> list[dict]:
    """The price rules over one partition of the taxonomy: its candidates, as plain records.

    Reads only the staged offers, their versions and the sellers (nothing the check step writes), so the
    partitions may run beside each other and before the check; a retry recomputes the same records.
    """
    store = store_engine(settings)
    monitored = MonitoredDay(day)
    with logged_step(store, run_id, day, "price", partition["part"]) as detail:
        with store.connect() as conn:
            inputs = read_price_inputs(conn, monitored, settings)
        records = candidates_to_records(partition_price_candidates(inputs, monitored, settings, partition["keys"]))
        detail.update(fields=len(partition["keys"]), candidates=len(records))
    return records


def _all_price_candidates(conn, settings: Settings, day: date) -> pd.DataFrame:
    """The single-process path: every price partition in turn, through the same functions as the mapped path."""
    monitored = MonitoredDay(day)
    inputs = read_price_inputs(conn, monitored, settings)
    records: list[dict] = []
    for partition in plan_partitions(settings, day)["price"]:
        records += candidates_to_records(partition_price_candidates(inputs, monitored, settings, partition["keys"]))
    return candidates_from_records(records)


def check(settings: Settings, day: date, run_id: str, price_parts: list[list[dict]] | None = None) -> dict[str, int]:
    """Judge what the extraction of `day` changed, and the open items, as the marketplace stood at its end.

    Events are judged for the Tehran day they happened (within the allowed lateness); the earlier days' overdue
    orders that a late record touches are re-judged. `price_parts`: the records of the price partitions when
    they ran as tasks of their own; without them each partition is computed here in turn.
    """
    store = store_engine(settings)
    monitored = MonitoredDay(day)
    with logged_step(store, run_id, day, "check") as detail:
        with store.begin() as conn:
            if price_parts is None:
                candidates = _all_price_candidates(conn, settings, day)
            else:
                candidates = candidates_from_records([r for part in price_parts for r in part])
            checked = checked_days(conn)
            first_day = first_judged_day(checked, day, settings.allowed_lateness_days)
            state = market_state(conn, monitored, grace=pd.Timedelta(hours=settings.late_grace_hours),
                                 low_rating_max=settings.low_rating_max, lookback_days=settings.state_lookback_days,
                                 first_day=first_day)
            versions, orders = state.delivery_versions, state.orders
            parts = [
                late_deliveries(versions, orders, monitored, settings, first_day),
                overdue_orders(state.open_due, monitored, settings),
                seller_cancellations(versions, orders, monitored, settings, first_day),
                quality_defects(versions, orders, state.offers, monitored, settings, first_day),
                with_units_ordered(candidates, state.orders, monitored, settings),
                source_silent(conn, monitored, settings),
            ]
            parts = [p for p in parts if not p.empty]
            observations = pd.concat(parts, ignore_index=True) if parts else empty_observations()
            # earlier days first: what a late record takes back there is no repeat offence today
            detail["rejudged_overdue"] = rejudge_overdue(conn, state, checked, settings)
            observations = with_scorecards_and_severity(conn, state, observations, settings, checked)
            # the sellers are already in hand: only their province is needed here, routing comes later
            provinces = seller_provinces(conn, state.sellers, day)
            observations = observations.merge(provinces, on="seller_id", how="left")
            record_observations(conn, day, observations)
            detail["orders_changed"] = len(state.fulfilment.after)
            detail["delivery_versions_changed"] = int((versions["changed"].astype(int) == 1).sum())
        counts = observations.groupby("rule").size().to_dict() if not observations.empty else {}
        detail["observations"] = {rule: int(counts.get(rule, 0)) for rule in RULES}
        if not observations.empty and "day" in observations.columns:
            earlier = observations["day"].notna() & (observations["day"] != day)
            detail["events_of_earlier_days"] = int(earlier.sum())
    return detail["observations"]


def update_findings(settings: Settings, day: date, run_id: str, backfill: bool = False) -> dict[str, int]:
    """Rebuild the finding episodes that `day` touches, with the routing used."""
    store = store_engine(settings)
    with logged_step(store, run_id, day, "findings") as detail:
        with store.begin() as conn:
            counts = refresh_findings(conn, day, lambda d: _seller_routing(conn, d), backfill=backfill)
        detail.update(asdict(counts))
    return asdict(counts)


def write_reports(settings: Settings, day: date, run_id: str, partition: dict | None = None) -> list[str]:
    """Write one Persian report per province for `day` (or for the provinces of one partition); their paths."""
    from pipelines.reports.daily import write_province_reports

    store = store_engine(settings)
    part = partition["part"] if partition else None
    with logged_step(store, run_id, day, "report", part) as detail:
        paths = write_province_reports(store, settings, day, provinces=partition["keys"] if partition else None)
        detail["reports"] = len(paths)
    return [str(p) for p in paths]


def send_reports(settings: Settings, day: date, run_id: str, resend: bool = False,
                 again: list[str] | None = None) -> dict:
    """Queue the day's report emails in the outbox (once) and deliver what is due; fail if any still wait."""
    from pipelines.mail.daily import send_day
    from pipelines.mail.outbox import OutboxPendingError

    store = store_engine(settings)
    with logged_step(store, run_id, day, "send") as detail:
        summary = send_day(store, settings, day, resend=resend, again=again or ())
        detail.update(composed=summary.composed, queued=summary.queued, kept=summary.kept,
                      requeued=summary.requeued, **asdict(summary.delivery))
        if summary.delivery.pending:
            raise OutboxPendingError(
                f"{summary.delivery.pending} messages wait in the outbox ({summary.delivery.last_error}); "
                "they go out on the next send (`rasad report send`, or the task's retry)")
    return detail


def run_day(settings: Settings, day: date, run_id: str | None = None) -> dict:
    """The whole daily monitoring of `day`, without Airflow (the CLI and tests use this)."""
    run_id = run_id or new_run_id(day)
    check_reference_fresh(settings, day)
    summary = {
        "day": day.isoformat(),
        "run_id": run_id,
        "extract": extract(settings, day, run_id),
        "check": check(settings, day, run_id),
        "findings": update_findings(settings, day, run_id),
    }
    summary["reports"] = write_reports(settings, day, run_id)
    return summary


def not_reproduced(settings: Settings, day: date) -> dict[str, str]:
    """What a backfill cannot reproduce for `day` from a source that keeps only each row's latest version."""
    store = store_engine(settings)
    with store.connect() as conn:
        later = read_frame(conn, "ingest/count_versions_after", as_of=MonitoredDay(day).end)
    counts = {row.entity: int(row.versions) for row in later.itertuples()}
    out = {}
    if counts.get("offers"):
        out["price_rules"] = (f"{counts['offers']} offers show only a version recorded after the day: "
                              "their price on the day is unknown, so they are not judged for it")
    if counts.get("deliveries"):
        out["quality_defect"] = (f"{counts['deliveries']} deliveries show only a version recorded after the day: "
                                 "a grade, rating, complaint or return carries no time of its own, so a defect "
                                 "that showed on the day is dated when the source recorded it")
        out["recording_time"] = "when each row reached the source is unknown: no finding is called a late discovery"
    return out


def run_range(settings: Settings, days: list[date]) -> list[dict]:
    """A backfill: stage what the source holds for every day and after, then monitor each day in order.

    A source that has moved on holds only the latest version of each row. Extracting everything first, each
    version staged for the day of its `updated_at` (within the range), lets each day's checks judge what the
    source shows happened that day by the events' own timestamps (docs/backfill.md says what cannot be
    reproduced that way: the summary of each day lists it).
    """
    days = sorted(days)
    run_ids = {day: new_run_id(day, "backfill") for day in days}
    for day in days:
        check_reference_fresh(settings, day)
    # one window from the first day to now: a row's only version may be later than the day it belongs
    # to, and its parents (an offer re-priced since) must be staged with it, not quarantined as unknown
    extract(settings, days[0], run_ids[days[0]], before=max(datetime.now(UTC), MonitoredDay(days[-1]).end),
            last_day=days[-1])
    # a first pass judges every day; events recorded after their day are judged on a later day of the range,
    # so a second pass grades each day again knowing them all (repeat offences count what each day saw)
    with Progress("backfill, first pass (checks)", total=len(days), unit="days") as progress:
        for day in days:
            check(settings, day, new_run_id(day, "backfill-first-pass"))
            progress.advance(1, day.isoformat())
    summaries = []
    with Progress("backfill (checks, findings, reports)", total=len(days), unit="days") as progress:
        for day in days:
            run_id = run_ids[day]
            summary = {
                "day": day.isoformat(),
                "run_id": run_id,
                "check": check(settings, day, run_id),
                "findings": update_findings(settings, day, run_id, backfill=True),
                "not_reproduced": not_reproduced(settings, day),
            }
            summary["reports"] = write_reports(settings, day, run_id)
            summaries.append(summary)
            progress.advance(1, day.isoformat())
    return summaries
