"""The dashboard's data access: every read and write takes a `Viewer` and is filtered in SQL by its role.

- a Fardap coordinator (`fardap_coordinator`) sees every province;
- a monitoring officer (`monitoring_officer`) sees the findings, sellers and figures of their province;
- a rahyar (`rahyar`) sees the findings and sellers of the units their team covers (the routing's coverage:
  the team covers the unit, or is copied on it), and no province-wide figures.

Nothing here trusts the caller to have hidden anything: a finding id, seller id or province id that the
viewer may not see gives the same answer as one that does not exist (None or an empty frame), and a verdict
on such a finding is refused. The queries read the `mart_*` views (docs/marts.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    false,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from pipelines.dashboard.tables import verdict_batch
from pipelines.findings.verdicts import record_verdicts
from pipelines.store.sql_files import TIMESTAMP_COLUMNS, read_frame, store_sql
from pipelines.store.types import DayType, UTCDateTime, parse_utc_column
from pipelines.vocabulary import PAST, VERDICTS, WITHDRAWN

COORDINATOR = "fardap_coordinator"
OFFICER = "monitoring_officer"
RAHYAR = "rahyar"


class AccessDenied(PermissionError):
    """The viewer may not do this (or the finding is not one they can see)."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a dashboard user's role and scope."""

    user_name: str
    display_name: str
    role: str
    province_id: str | None = None
    team_id: str | None = None
    unit_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def national(self) -> bool:
        """Whether the viewer sees every province."""
        return self.role == COORDINATOR

    @property
    def may_give_verdicts(self) -> bool:
        """Officers give verdicts on their province's findings; Fardap coordinators on any."""
        return self.role in (COORDINATOR, OFFICER)


# the views, described on a metadata of their own (Alembic must not take them for tables to create); Table
# rather than the lighter table() so that SQLite's schema_translate_map applies
_VIEWS = MetaData()


def _view(name: str, *columns: Column, schema: str = "monitoring") -> Table:
    return Table(name, _VIEWS, *columns, schema=schema)


MART_FINDING = _view(
    "mart_finding",
    Column("finding_id", String), Column("rule", String), Column("check_name", String), Column("kind", String),
    Column("entity_type", String), Column("entity_id", String), Column("episode_start_day", DayType),
    Column("last_observed_day", DayType), Column("resolved_day", DayType), Column("seller_id", String),
    Column("offer_id", String), Column("unit_id", String), Column("province_id", String),
    Column("province_name_fa", Text), Column("seller_name", Text), Column("severity", String),
    Column("impact_rial", Integer),
    Column("evidence", Text), Column("routing", Text), Column("verdict", String), Column("verdict_note", Text),
    Column("verdict_by", Text), Column("verdict_at", UTCDateTime), Column("suppressed", Integer),
)
MART_PROVINCE_DAY = _view(
    "mart_province_day",
    Column("province_id", String), Column("province_name_fa", Text), Column("day", DayType),
    Column("deliveries_delivered", Integer), Column("orders_completed", Integer), Column("orders_late", Integer),
    Column("on_time_rate", Float), Column("quality_defects", Integer), Column("quality_defect_rate", Float),
    Column("seller_cancellations", Integer), Column("price_anomalies", Integer), Column("open_findings", Integer),
    Column("critical_findings", Integer), Column("new_findings", Integer), Column("late_value_rial", Integer),
    Column("defect_value_rial", Integer),
)
MART_SELLER_SCORECARD = _view(
    "mart_seller_scorecard",
    Column("day", DayType), Column("window_days", Integer), Column("seller_id", String),
    Column("display_name", Text), Column("unit_id", String), Column("province_id", String),
    Column("unit_kind", String), Column("deliveries_resolved", Integer), Column("distinct_buyers", Integer),
    Column("orders_completed", Integer), Column("on_time_rate", Float), Column("quality_defect_rate", Float),
    Column("seller_cancel_rate", Float), Column("volume_ok", Boolean), Column("breaches", Text),
)
PROVINCE = _view("province", Column("province_id", String), Column("name_fa", Text), schema="ref")
TAXON = _view("taxon", Column("code", String), Column("name_fa", Text), schema="ref")
RUN_LOG = _view("run_log", Column("day", DayType), Column("step", String), Column("status", String))


def scope(viewer: Viewer, province_col: ColumnElement, unit_col: ColumnElement | None) -> ColumnElement:
    """The SQL condition of what `viewer` may see, on rows with these province and unit columns.

    `unit_col` None means province-wide figures, which a rahyar does not see.
    """
    if viewer.role == COORDINATOR:
        return true()
    if viewer.role == OFFICER and viewer.province_id:
        return province_col == viewer.province_id
    if viewer.role == RAHYAR and viewer.province_id and viewer.unit_ids and unit_col is not None:
        return and_(province_col == viewer.province_id, unit_col.in_(sorted(viewer.unit_ids)))
    return false()


def _frame(conn: Connection, stmt) -> pd.DataFrame:
    result = conn.execute(stmt)
    return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


# ------------------------------------------------------------------------------------------- reads


def checked_days(conn: Connection, viewer: Viewer) -> list[date]:
    """The Tehran days the checks ran on, newest first (the same for every viewer: no data of a province)."""
    stmt = (select(RUN_LOG.c.day).where(RUN_LOG.c.step == "check", RUN_LOG.c.status == "success")
            .distinct().order_by(RUN_LOG.c.day.desc()))
    return list(conn.execute(stmt).scalars())


def visible_provinces(conn: Connection, viewer: Viewer) -> pd.DataFrame:
    """The provinces the viewer may pick (province_id, name_fa)."""
    condition = true() if viewer.national else (PROVINCE.c.province_id == (viewer.province_id or ""))
    return _frame(conn, select(PROVINCE.c.province_id, PROVINCE.c.name_fa).where(condition)
                  .order_by(PROVINCE.c.name_fa))


def taxon_names(conn: Connection, viewer: Viewer, codes: Iterable[str]) -> dict[str, str]:
    """Persian names of sector-taxonomy codes (reference data, the same for every viewer)."""
    wanted = sorted({str(c) for c in codes if c})
    if not wanted:
        return {}
    return dict(conn.execute(select(TAXON.c.code, TAXON.c.name_fa).where(TAXON.c.code.in_(wanted))).all())


def province_figures(conn: Connection, viewer: Viewer, first_day: date, last_day: date,
                     province_id: str | None = None) -> pd.DataFrame:
    """Per province and day: on-time and defect rates, price anomalies, open, critical and new findings."""
    m = MART_PROVINCE_DAY
    stmt = select(m).where(scope(viewer, m.c.province_id, None), m.c.day >= first_day, m.c.day <= last_day)
    if province_id is not None:
        stmt = stmt.where(m.c.province_id == province_id)
    return _frame(conn, stmt.order_by(m.c.day, m.c.province_id))


def _status_as_of(day: date) -> ColumnElement:
    """A finding's lifecycle status as of `day`, whole-column (as `pipelines.findings.verdicts.finding_status`)."""
    f = MART_FINDING
    d = literal(day, DayType())
    return case(
        (and_(f.c.resolved_day.is_not(None), f.c.resolved_day <= d), "resolved"),
        (f.c.episode_start_day == d, "new"),
        (and_(f.c.kind == "state", f.c.last_observed_day >= d), "ongoing"),
        (f.c.kind == "event", PAST),
        else_="resolved",
    )


def findings(conn: Connection, viewer: Viewer, day: date, *, days: int = 14, province_id: str | None = None,
             seller_id: str | None = None, checks: Sequence[str] = (), severities: Sequence[str] = (),
             statuses: Sequence[str] = (), verdicts: Sequence[str] = ()) -> pd.DataFrame:
    """The findings the viewer may see that were observed in the `days` up to `day`, with status as of `day`.

    `verdicts` may hold "none" for findings without a current verdict. Ordered by severity, then impact.
    """
    f = MART_FINDING
    status = _status_as_of(day).label("status")
    first = day - timedelta(days=days - 1)
    stmt = select(f, status).where(
        scope(viewer, f.c.province_id, f.c.unit_id),
        f.c.episode_start_day <= day, f.c.last_observed_day >= first,
    )
    if province_id is not None:
        stmt = stmt.where(f.c.province_id == province_id)
    if seller_id is not None:
        stmt = stmt.where(f.c.seller_id == seller_id)
    if checks:
        stmt = stmt.where(f.c.check_name.in_(list(checks)))
    if severities:
        stmt = stmt.where(f.c.severity.in_(list(severities)))
    if statuses:
        stmt = stmt.where(_status_as_of(day).in_(list(statuses)))
    if verdicts:
        named = [v for v in verdicts if v != "none"]
        stmt = stmt.where((f.c.verdict.in_(named)) | (f.c.verdict.is_(None) if "none" in verdicts else false()))
    rank = case((f.c.severity == "critical", 0), (f.c.severity == "warning", 1), else_=2)
    return _frame(conn, stmt.order_by(rank, f.c.impact_rial.desc(), f.c.finding_id))


def finding(conn: Connection, viewer: Viewer, finding_id: str) -> dict | None:
    """One finding the viewer may see, or None (also when it exists but is not theirs)."""
    f = MART_FINDING
    row = conn.execute(select(f).where(f.c.finding_id == str(finding_id),
                                       scope(viewer, f.c.province_id, f.c.unit_id))).mappings().first()
    return dict(row) if row else None


def verdict_history(conn: Connection, viewer: Viewer, finding_id: str) -> pd.DataFrame:
    """The verdicts given on a finding the viewer may see, oldest first (empty otherwise)."""
    from pipelines.findings.tables import finding_verdict as v

    if finding(conn, viewer, finding_id) is None:
        return pd.DataFrame(columns=["verdict", "note", "given_by", "given_at"])
    return _frame(conn, select(v.c.verdict, v.c.note, v.c.given_by, v.c.given_at)
                  .where(v.c.finding_id == finding_id).order_by(v.c.given_at, v.c.verdict_id))


def seller_scorecards(conn: Connection, viewer: Viewer, day: date, window_days: int,
                      province_id: str | None = None) -> pd.DataFrame:
    """The scorecards of the sellers the viewer may see, on `day`, for one window."""
    s = MART_SELLER_SCORECARD
    stmt = select(s).where(scope(viewer, s.c.province_id, s.c.unit_id), s.c.day == day,
                           s.c.window_days == window_days)
    if province_id is not None:
        stmt = stmt.where(s.c.province_id == province_id)
    return _frame(conn, stmt.order_by(s.c.on_time_rate, s.c.seller_id))


def seller_trend(conn: Connection, viewer: Viewer, seller_id: str, window_days: int) -> pd.DataFrame:
    """One seller's scorecards of a window, day by day (empty if the viewer may not see the seller)."""
    s = MART_SELLER_SCORECARD
    return _frame(conn, select(s).where(scope(viewer, s.c.province_id, s.c.unit_id), s.c.seller_id == seller_id,
                                        s.c.window_days == window_days).order_by(s.c.day))


@dataclass(frozen=True)
class Evidence:
    """What lies behind a finding: its offer, the orders and their deliveries (as last staged)."""

    offer: pd.DataFrame
    orders: pd.DataFrame
    deliveries: pd.DataFrame


def finding_evidence(conn: Connection, viewer: Viewer, finding_id: str, max_orders: int = 50) -> Evidence | None:
    """The offer, orders and deliveries behind a finding the viewer may see; None otherwise."""
    row = finding(conn, viewer, finding_id)
    if row is None:
        return None
    dialect = conn.dialect.name
    entity, entity_id, offer_id = row["entity_type"], row["entity_id"], row["offer_id"]
    if entity == "delivery":
        order_ids = list(conn.execute(store_sql("dashboard/select_order_of_delivery", dialect),
                                      {"delivery_id": entity_id}).scalars())
    elif entity == "order":
        order_ids = [entity_id]
    elif offer_id:
        order_ids = list(conn.execute(store_sql("dashboard/select_order_ids_of_offer", dialect),
                                      {"offer_id": offer_id, "limit": max_orders}).scalars())
    else:
        order_ids = []

    def _by_orders(name: str) -> pd.DataFrame:
        clause = store_sql(name, dialect).bindparams(bindparam("order_ids", expanding=True))
        frame = pd.read_sql(clause, conn, params={"order_ids": order_ids or [""]})
        for col in frame.columns:
            if col in TIMESTAMP_COLUMNS:
                frame[col] = parse_utc_column(frame[col])
        return frame

    orders = _by_orders("dashboard/select_orders_latest")
    if not offer_id and not orders.empty:
        offer_id = orders["offer_id"].iloc[0]
    if entity == "seller":  # a scorecard finding: the seller's offers
        offer = read_frame(conn, "dashboard/select_offers_of_seller", seller_id=row["seller_id"] or "")
    else:
        offer = read_frame(conn, "dashboard/select_offer_latest", offer_id=offer_id or "")
    return Evidence(offer=offer, orders=orders, deliveries=_by_orders("dashboard/select_deliveries_latest"))


# ------------------------------------------------------------------------------------------ writes


@dataclass(frozen=True)
class BatchResult:
    """What one verdict action from the dashboard did."""

    batch_id: str
    recorded: int
    unchanged: int


def _visible_ids(conn: Connection, viewer: Viewer, finding_ids: Iterable[str]) -> set[str]:
    f = MART_FINDING
    ids = sorted({str(i) for i in finding_ids})
    if not ids:
        return set()
    stmt = select(f.c.finding_id).where(f.c.finding_id.in_(ids), scope(viewer, f.c.province_id, f.c.unit_id))
    return set(conn.execute(stmt).scalars())


def _current(conn: Connection, ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    f = MART_FINDING
    rows = conn.execute(select(f.c.finding_id, f.c.verdict, f.c.verdict_note).where(f.c.finding_id.in_(ids)))
    return {r.finding_id: (r.verdict, r.verdict_note) for r in rows}


def give_verdicts(conn: Connection, viewer: Viewer, finding_ids: Sequence[str], verdict: str,
                  note: str | None, given_at: datetime | None = None) -> BatchResult:
    """Record one verdict (with a note) on each finding, as one batch that can be undone.

    Refused whole if the viewer may not give verdicts or any finding is not one they can see.
    """
    if not viewer.may_give_verdicts:
        raise AccessDenied(f"{viewer.role} may not give verdicts")
    if verdict not in VERDICTS:
        raise ValueError(f"{verdict!r} is not a verdict: use one of {', '.join(VERDICTS)}")
    ids = sorted({str(i) for i in finding_ids})
    if not ids:
        raise ValueError("no finding chosen")
    if _visible_ids(conn, viewer, ids) != set(ids):
        raise AccessDenied("some of these findings are not yours to judge (or do not exist)")
    given_at = given_at or datetime.now(UTC)
    previous = _current(conn, ids)
    note = (note or "").strip() or None
    rows = pd.DataFrame({"finding_id": ids, "verdict": verdict, "note": note, "given_by": viewer.display_name})
    result = record_verdicts(conn, rows, given_at)
    batch_id = uuid.uuid4().hex
    conn.execute(verdict_batch.insert().values(
        batch_id=batch_id, given_by=viewer.user_name, given_at=given_at, verdict=verdict, note=note,
        previous=json.dumps({i: list(previous.get(i, (None, None))) for i in ids}, ensure_ascii=False),
    ))
    return BatchResult(batch_id=batch_id, recorded=result.recorded, unchanged=result.unchanged)


def last_batch(conn: Connection, viewer: Viewer) -> dict | None:
    """The viewer's latest verdict batch that has not been undone, or None."""
    b = verdict_batch
    row = conn.execute(select(b).where(b.c.given_by == viewer.user_name, b.c.undone_at.is_(None))
                       .order_by(b.c.given_at.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["finding_ids"] = sorted(json.loads(out["previous"]))
    return out


def undo_batch(conn: Connection, viewer: Viewer, batch_id: str, given_at: datetime | None = None) -> int:
    """Undo a verdict batch: record for each finding the verdict it had before (or `withdrawn`).

    The history keeps both the batch and its undo. Only the batch's author (or a Fardap coordinator) may undo
    it, once, and only on findings they can still see. Returns the verdicts recorded.
    """
    b = verdict_batch
    row = conn.execute(select(b).where(b.c.batch_id == batch_id)).mappings().first()
    if row is None or (row["given_by"] != viewer.user_name and not viewer.national):
        raise AccessDenied("no such verdict batch of yours")
    if row["undone_at"] is not None:
        raise ValueError("this batch was already undone")
    previous: dict[str, list] = json.loads(row["previous"])
    if _visible_ids(conn, viewer, previous) != set(previous):
        raise AccessDenied("some findings of this batch are no longer yours to judge")
    given_at = given_at or datetime.now(UTC)
    current = _current(conn, sorted(previous))
    restore = pd.DataFrame(
        [{"finding_id": i, "verdict": v or WITHDRAWN, "note": n, "given_by": viewer.display_name}
         for i, (v, n) in previous.items()
         if current.get(i, (None, None)) != (v, n)]  # nothing to restore where it is already so
        , columns=["finding_id", "verdict", "note", "given_by"])
    recorded = 0
    if not restore.empty:
        recorded = record_verdicts(conn, restore, given_at).recorded
    conn.execute(update(b).where(b.c.batch_id == batch_id).values(undone_at=given_at, undone_by=viewer.user_name))
    return recorded


__all__ = [
    "AccessDenied", "BatchResult", "COORDINATOR", "Evidence", "OFFICER", "RAHYAR", "Viewer", "checked_days",
    "finding", "finding_evidence", "findings", "give_verdicts", "last_batch", "province_figures", "scope",
    "seller_scorecards", "seller_trend", "taxon_names", "undo_batch", "verdict_history", "visible_provinces",
]



# ------------------------------------------------- issue 16: rates, and the organisation's own rule breaks

_RATE_COLUMNS = ["window_days", "level", "province_id", "seller_id"]


def rates(conn: Connection, viewer: Viewer, day: date, province_id: str) -> pd.DataFrame:
    """The rates (reports.rates) of a province and its sellers for the windows ending on `day`, with the country's.

    Province-wide figures: a coordinator sees any province, an officer their own, a rahyar none (an empty
    frame, as for a province that does not exist). The country's rates are shown to whoever sees a province.
    """
    from pipelines.reports.rates import rates_of_day

    may = viewer.national or (viewer.role == OFFICER and viewer.province_id == province_id)
    if not may:
        return pd.DataFrame(columns=_RATE_COLUMNS)
    frame = rates_of_day(conn, day)
    return frame[(frame["level"] == "national") | (frame["province_id"] == province_id)].reset_index(drop=True)


def rule_breaks(conn: Connection, viewer: Viewer, day: date) -> pd.DataFrame:
    """The organisation's rule breaks open on `day`: every province for a coordinator, their own province's
    for an officer, none for a rahyar. Days are dates."""
    from pipelines.reports.rule_breaks import open_rule_breaks

    frame = open_rule_breaks(conn, day)
    if viewer.national:
        return frame
    if viewer.role == OFFICER and viewer.province_id:
        return frame[frame["province_id"] == viewer.province_id].reset_index(drop=True)
    return frame.iloc[0:0]
