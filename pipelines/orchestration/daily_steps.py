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
from sqlalchemy import Engine

from pipelines.checks import empty_observations
from pipelines.checks.on_time import late_deliveries, overdue_orders, seller_cancellations
from pipelines.checks.price import daily_price_observations
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


def new_run_id(day: date, origin: str = "cli") -> str:
    """A run id that says where it came from and which day it monitors."""
    return f"{origin}-{day.isoformat()}-{uuid.uuid4().hex[:8]}"


@contextmanager
def logged_step(store: Engine, run_id: str, day: date, step: str):
    """Record a step in the append-only run log, with its outcome."""
    step_id = f"{run_id}:{step}"
    with store.begin() as conn:
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


def extract(settings: Settings, day: date, run_id: str, before: datetime | None = None,
            last_day: date | None = None) -> list[dict]:
    """Extract, validate, park, quarantine and stage the source's changes for `day` (or on to `before`)."""
    from pipelines.ingest.extraction import extract_day
    from pipelines.source.reader import open_source

    store = store_engine(settings)
    with logged_step(store, run_id, day, "extract") as detail:
        counts = extract_day(
            open_source(settings), store, day, run_id,
            future_tolerance=timedelta(minutes=settings.future_tolerance_minutes), before=before,
            last_day=last_day, allowed_lateness_days=settings.allowed_lateness_days,
        )
        detail["entities"] = [asdict(c) for c in counts]
        unbalanced = [c.entity for c in counts if not c.balanced]
        if unbalanced:
            raise RuntimeError(f"row accounting does not balance for {unbalanced}")
    return [asdict(c) for c in counts]


def _seller_routing(conn, day: date) -> pd.DataFrame:
    sellers = read_frame(conn, "state/select_sellers_as_of", as_of=MonitoredDay(day).end)
    return route_sellers(recipients_on(conn, day), sellers)


def checked_days(conn) -> set[date]:
    """The days whose checks have run to completion."""
    return {d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
            for d in read_frame(conn, "findings/select_checked_days")["day"]}


def check(settings: Settings, day: date, run_id: str) -> dict[str, int]:
    """Judge what the extraction of `day` changed, and the open items, as the marketplace stood at its end.

    Events are judged for the Tehran day they happened (within the allowed lateness); the earlier days' overdue
    orders that a late record touches are re-judged.
    """
    store = store_engine(settings)
    monitored = MonitoredDay(day)
    with logged_step(store, run_id, day, "check") as detail:
        with store.begin() as conn:
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
                daily_price_observations(conn, state, monitored, settings),
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


def write_reports(settings: Settings, day: date, run_id: str) -> list[str]:
    """Write one Persian report per province for `day`; return their paths."""
    from pipelines.reports.daily import write_province_reports

    store = store_engine(settings)
    with logged_step(store, run_id, day, "report") as detail:
        paths = write_province_reports(store, settings, day)
        detail["reports"] = len(paths)
    return [str(p) for p in paths]


def send_reports(settings: Settings, day: date, run_id: str, resend: bool = False) -> dict:
    """Queue the day's report emails in the outbox (once) and deliver what is due; fail if any still wait."""
    from pipelines.mail.daily import send_day
    from pipelines.mail.outbox import OutboxPendingError

    store = store_engine(settings)
    with logged_step(store, run_id, day, "send") as detail:
        summary = send_day(store, settings, day, resend=resend)
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
