"""Findings' tables: observations of a rule on an entity per day, the findings (episodes) derived from them,
and the officers' verdicts, appended with history.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, String, Table, Text, UniqueConstraint

from pipelines.store.base import MON, metadata
from pipelines.store.types import DayType, UTCDateTime

finding_observation = Table(
    "finding_observation",
    metadata,
    Column("rule", String(40), primary_key=True),
    Column("entity_id", String(64), primary_key=True),
    Column("day", DayType, primary_key=True),
    Column("entity_type", String(16), nullable=False),
    Column("seller_id", String(64)),
    Column("offer_id", String(64)),
    Column("province_id", String(16)),
    Column("severity", String(8), nullable=False),
    Column("impact_rial", BigInteger, nullable=False),
    Column("evidence", Text, nullable=False),
    # the monitored day whose run made this observation: the event's own day, or later when its row was
    # recorded late (an event observation is replaced only by a re-run of the day that judged it)
    Column("judged_on", DayType),
    Index(None, "day"),
    Index(None, "judged_on"),
    schema=MON,
)

finding = Table(
    "finding",
    metadata,
    # hash(rule, entity_id, episode_start_day)
    Column("finding_id", String(40), primary_key=True),
    Column("rule", String(40), nullable=False),
    Column("check_name", String(16), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("entity_type", String(16), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("episode_start_day", DayType, nullable=False),
    Column("last_observed_day", DayType, nullable=False),
    Column("resolved_day", DayType),
    Column("seller_id", String(64)),
    Column("offer_id", String(64)),
    Column("unit_id", String(64)),
    Column("province_id", String(16)),
    Column("severity", String(8), nullable=False),
    Column("impact_rial", BigInteger, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("routing", Text, nullable=False),
    # the monitored day on which Rasad first saw it: later than episode_start_day when the source recorded
    # the event late
    Column("discovered_day", DayType),
    CheckConstraint("kind IN ('event', 'state')", name="kind"),
    CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    UniqueConstraint("rule", "entity_id", "episode_start_day"),
    Index(None, "province_id", "last_observed_day"),
    schema=MON,
)

# the (rule, entity) pairs whose earlier days' observations a run re-judged or graded again: the findings
# refresh of that day rebuilds their episodes too
refresh_key = Table(
    "finding_refresh_key",
    metadata,
    Column("day", DayType, primary_key=True),
    Column("rule", String(40), primary_key=True),
    Column("entity_id", String(64), primary_key=True),
    schema=MON,
)

# findings that facts arriving later took back (an order shown overdue whose delivery record, arriving late,
# shows it delivered within its promise): kept with the reason, out of reports and scorecards; never "resolved"
finding_withdrawn = Table(
    "finding_withdrawn",
    metadata,
    Column("finding_id", String(40), primary_key=True),
    Column("rule", String(40), nullable=False),
    Column("entity_type", String(16), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("episode_start_day", DayType, nullable=False),
    Column("seller_id", String(64)),
    Column("province_id", String(16)),
    Column("withdrawn_day", DayType, nullable=False),
    Column("reason", String(40), nullable=False),  # a key of the message catalogue: withdrawn.<reason>
    Column("evidence", Text, nullable=False),  # what the finding said when it was taken back
    Index(None, "withdrawn_day"),
    schema=MON,
)

finding_verdict = Table(
    "finding_verdict",
    metadata,
    Column("verdict_id", String(40), primary_key=True),
    Column("finding_id", String(40), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("note", Text),
    Column("given_by", Text, nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    # withdrawn: an undo from the dashboard of a first verdict (the finding has no current verdict again)
    CheckConstraint("verdict IN ('acknowledged', 'false_positive', 'actioned', 'withdrawn')", name="verdict"),
    Index(None, "finding_id"),
    schema=MON,
)
