"""Tables of the seller scorecards, on the store's shared metadata.

Scorecards are sums over cohorts. `seller_activity_daily` holds one row per seller and **cohort day**: the
Tehran day on which the cohort's orders fell due (promise plus grace passed), so an order counts only once it
is mature, and every count of a row is a count of that cohort's orders (the column names are older than this
meaning; `pipelines.checks.scorecards` says what each holds). Each numerator is a subset of its denominator,
so no rate can exceed 1. The rows of a cohort are recomputed, in SQL, whenever one of its orders' fulfilment
changes (a delivery recorded late corrects the cohort it belongs to).

Distinct buyers cannot be summed, so the buyers of each seller and cohort day are kept too
(`seller_buyer_daily`), at most `scorecard_buyer_sample_cap` of them (the smallest ids): the union over a
window then counts distinct buyers exactly below the cap, and says "at least the cap" above it, which is all
a minimum-volume gate needs.

The view `monitoring.finding_label` (created by migration 0004_findings) holds each finding's current
officer verdict, for the price model and anyone else who learns from officers' judgements.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from pipelines.store.base import MON, metadata
from pipelines.store.types import DayType

seller_activity_daily = Table(
    "seller_activity_daily",
    metadata,
    Column("seller_id", String(64), primary_key=True),
    Column("day", DayType, primary_key=True),
    # the cohort's orders, but those the buyer cancelled: the volume gate's and the cancel rate's denominator
    Column("deliveries_resolved", Integer, nullable=False),
    # orders of the cohort with a delivery delivered: the defect rate's denominator
    Column("deliveries_delivered", Integer, nullable=False),
    # orders judged for timeliness (on time or late; not those the seller cancelled), and the late among them:
    # completed after promise plus grace, or not completed at all
    Column("orders_completed", Integer, nullable=False),
    Column("orders_late", Integer, nullable=False),
    # delivered orders with a quality defect; orders with a shipment the seller cancelled
    Column("quality_defects", Integer, nullable=False),
    Column("seller_cancellations", Integer, nullable=False),
    Column("late_value_rial", BigInteger, nullable=False),
    Column("defect_value_rial", BigInteger, nullable=False),
    Column("cancel_value_rial", BigInteger, nullable=False),
    # delivered orders whose record reached the source, and those that reached it late (record_latency_hours)
    Column("orders_recorded", Integer, nullable=False, server_default="0"),
    Column("orders_recorded_late", Integer, nullable=False, server_default="0"),
    Index(None, "day"),
    schema=MON,
)

seller_buyer_daily = Table(
    "seller_buyer_daily",
    metadata,
    Column("seller_id", String(64), primary_key=True),
    Column("day", DayType, primary_key=True),
    Column("buyer_member_id", String(64), primary_key=True),
    Index(None, "day"),
    schema=MON,
)

seller_scorecard = Table(
    "seller_scorecard",
    metadata,
    Column("seller_id", String(64), primary_key=True),
    Column("day", DayType, primary_key=True),
    Column("window_days", Integer, primary_key=True),
    Column("unit_kind", String(32)),
    Column("deliveries_resolved", Integer, nullable=False),
    Column("distinct_buyers", Integer, nullable=False),  # capped at scorecard_buyer_sample_cap
    Column("orders_completed", Integer, nullable=False),
    Column("on_time_rate", Float),  # null: nothing completed in the window
    Column("quality_defect_rate", Float),
    Column("seller_cancel_rate", Float),
    Column("volume_ok", Boolean, nullable=False),  # the minimum-volume gates are met
    Column("breaches", Text, nullable=False),  # comma-separated scorecard rules breached ('' if none)
    Index(None, "day"),
    schema=MON,
)
