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
from pipelines.findings.episodes import record_observations, refresh_findings, with_scorecards_and_severity
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration import tables as run_tables
from pipelines.reference.routing import recipients_on, route_sellers, seller_provinces
from pipelines.settings import Settings
from pipelines.state.market import market_state
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


def extract(settings: Settings, day: date, run_id: str, before: datetime | None = None) -> list[dict]:
    """Extract, validate, quarantine and stage the source's changes for `day` (or on to `before`)."""
    from pipelines.ingest.extraction import extract_day
    from pipelines.source.reader import open_source

    store = store_engine(settings)
    with logged_step(store, run_id, day, "extract") as detail:
        counts = extract_day(
            open_source(settings), store, day, run_id,
            future_tolerance=timedelta(minutes=settings.future_tolerance_minutes), before=before,
        )
        detail["entities"] = [asdict(c) for c in counts]
        unbalanced = [c.entity for c in counts if not c.balanced]
        if unbalanced:
            raise RuntimeError(f"row accounting does not balance for {unbalanced}")
    return [asdict(c) for c in counts]


def _seller_routing(conn, day: date) -> pd.DataFrame:
    sellers = read_frame(conn, "state/select_sellers_as_of", as_of=MonitoredDay(day).end)
    return route_sellers(recipients_on(conn, day), sellers)


def check(settings: Settings, day: date, run_id: str) -> dict[str, int]:
    """Run every check on the marketplace as it stood at the end of `day`; store the observations."""
    store = store_engine(settings)
    monitored = MonitoredDay(day)
    with logged_step(store, run_id, day, "check") as detail:
        with store.begin() as conn:
            state = market_state(conn, monitored, settings.state_lookback_days)
            parts = [
                late_deliveries(state.deliveries, state.orders, state.offers, monitored, settings),
                overdue_orders(state.deliveries, state.orders, state.offers, monitored, settings),
                seller_cancellations(state.delivery_versions, state.orders, state.offers, monitored, settings),
                quality_defects(state.delivery_versions, state.orders, state.offers, monitored, settings),
                daily_price_observations(conn, state, monitored, settings),
                source_silent(conn, monitored, settings),
            ]
            parts = [p for p in parts if not p.empty]
            observations = pd.concat(parts, ignore_index=True) if parts else empty_observations()
            observations = with_scorecards_and_severity(conn, state, observations, settings)
            # the sellers are already in hand: only their province is needed here, routing comes later
            provinces = seller_provinces(conn, state.sellers, day)
            observations = observations.merge(provinces, on="seller_id", how="left")
            record_observations(conn, day, observations)
        counts = observations.groupby("rule").size().to_dict() if not observations.empty else {}
        detail["observations"] = {rule: int(counts.get(rule, 0)) for rule in RULES}
    return detail["observations"]


def update_findings(settings: Settings, day: date, run_id: str) -> dict[str, int]:
    """Rebuild the finding episodes that `day` touches, with the routing used."""
    store = store_engine(settings)
    with logged_step(store, run_id, day, "findings") as detail:
        with store.begin() as conn:
            counts = refresh_findings(conn, day, lambda d: _seller_routing(conn, d))
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


def run_range(settings: Settings, days: list[date]) -> list[dict]:
    """A backfill: stage what the source holds for every day and after, then monitor each day in order.

    A source that has moved on holds only the latest version of each row. Extracting everything first
    lets the as-of readers find, for each day, the rows that existed then by their own timestamps
    (docs/backfill.md says what cannot be reproduced that way).
    """
    days = sorted(days)
    run_ids = {day: new_run_id(day, "backfill") for day in days}
    for day in days:
        check_reference_fresh(settings, day)
    # one window from the first day to now: a row's only version may be later than the day it belongs
    # to, and its parents (an offer re-priced since) must be staged with it, not quarantined as unknown
    extract(settings, days[0], run_ids[days[0]], before=max(datetime.now(UTC), MonitoredDay(days[-1]).end))
    summaries = []
    for day in days:
        run_id = run_ids[day]
        summary = {
            "day": day.isoformat(),
            "run_id": run_id,
            "check": check(settings, day, run_id),
            "findings": update_findings(settings, day, run_id),
        }
        summary["reports"] = write_reports(settings, day, run_id)
        summaries.append(summary)
    return summaries
