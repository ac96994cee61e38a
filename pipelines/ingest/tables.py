"""Ingest's tables: the extraction log, the watermark per entity, staging (every version of every source row
keyed by `(id, updated_at)`), the parked rows that wait for their parent, and the quarantine of rows that failed
validation.

Staging keeps version intervals: a version is valid from its `updated_at` until `valid_to`, the `updated_at` of
the next version of the same row (null while it is the latest). So "as it stood at instant T" is an index
range (`updated_at < T AND (valid_to IS NULL OR valid_to >= T)`), and the current state of every entity is
`valid_to IS NULL`, without a window function over every version. Each version also says which monitored
day's extraction first staged it (`staged_day`): that day's checks read exactly those changes, whatever
their timestamps say.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from pipelines.store.base import MON, metadata
from pipelines.store.types import DayType, UTCDateTime

extraction_log = Table(
    "extraction_log",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("entity", String(16), primary_key=True),
    Column("day", DayType, nullable=False),
    Column("window_since", UTCDateTime),
    Column("window_before", UTCDateTime, nullable=False),
    Column("rows_read_at_source", Integer, nullable=False),
    Column("rows_fetched", Integer, nullable=False),
    Column("rows_staged", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("rows_new_versions", Integer, nullable=False),
    Column("rows_duplicates_collapsed", Integer, nullable=False),
    Column("extra_columns", Text),
    # rows of the window whose parent is not staged yet: parked, not lost (rows_fetched counts them)
    Column("rows_parked", Integer, nullable=False, server_default="0"),
    # parked rows of earlier runs admitted now that their parent arrived, and those quarantined because it
    # did not arrive within the allowed lateness
    Column("rows_unparked", Integer, nullable=False, server_default="0"),
    Column("rows_park_expired", Integer, nullable=False, server_default="0"),
    schema=MON,
)

watermark = Table(
    "watermark",
    metadata,
    Column("entity", String(16), primary_key=True),
    Column("updated_before", UTCDateTime, nullable=False),
    schema=MON,
)

stg_sellers = Table(
    "stg_sellers",
    metadata,
    Column("seller_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("unit_id", String(64)),
    Column("display_name", Text),
    Column("joined_at", UTCDateTime),
    Column("first_run_id", String(64), nullable=False),
    Column("valid_to", UTCDateTime),
    # the monitored day whose extraction first staged this version: what the checks of that day read
    Column("staged_day", DayType),
    Index(None, "staged_day"),
    Index(None, "valid_to"),
    Index(None, "updated_at"),
    schema=MON,
)

stg_offers = Table(
    "stg_offers",
    metadata,
    Column("offer_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("seller_id", String(64), nullable=False),
    Column("title", Text),
    Column("category_code", String(32), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("unit_price_rial", BigInteger, nullable=False),
    Column("nesieh_months", Integer),
    Column("nesieh_unit_price_rial", BigInteger),
    Column("promised_quality", String(1), nullable=False),
    Column("promised_lead_days", Integer, nullable=False),
    Column("stock_qty", Float),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("first_run_id", String(64), nullable=False),
    Column("valid_to", UTCDateTime),
    # the monitored day whose extraction first staged this version: what the checks of that day read
    Column("staged_day", DayType),
    Index(None, "staged_day"),
    Index(None, "valid_to"),
    Index(None, "updated_at"),
    schema=MON,
)

stg_orders = Table(
    "stg_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("offer_id", String(64), nullable=False),
    Column("buyer_member_id", String(64)),
    Column("quantity", Float, nullable=False),
    Column("unit_price_rial", BigInteger, nullable=False),
    Column("payment", String(8), nullable=False),
    Column("ordered_at", UTCDateTime, nullable=False),
    Column("promised_at", UTCDateTime, nullable=False),
    Column("first_run_id", String(64), nullable=False),
    Column("valid_to", UTCDateTime),
    Column("staged_day", DayType),
    Index(None, "ordered_at"),
    Index(None, "staged_day"),
    Index(None, "valid_to"),
    Index(None, "updated_at"),
    schema=MON,
)

stg_deliveries = Table(
    "stg_deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("status", String(24), nullable=False),
    Column("shipped_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("delivered_qty", Float),
    Column("received_quality", String(16)),
    Column("buyer_rating", Integer),
    Column("complaint", String(24)),
    Column("returned_qty", Float),
    Column("first_run_id", String(64), nullable=False),
    Column("valid_to", UTCDateTime),
    Column("staged_day", DayType),
    Index(None, "order_id"),
    Index(None, "delivered_at"),
    Index(None, "staged_day"),
    Index(None, "valid_to"),
    Index(None, "updated_at"),
    schema=MON,
)

STAGING_TABLES = {
    "sellers": stg_sellers,
    "offers": stg_offers,
    "orders": stg_orders,
    "deliveries": stg_deliveries,
}

# rows whose parent (the offer of an order, the order of a delivery, the seller of an offer) is not staged
# yet: retried on every extraction, admitted when the parent arrives, quarantined after the allowed lateness
parked = Table(
    "parked",
    metadata,
    Column("entity", String(16), primary_key=True),
    Column("source_id", String(64), primary_key=True),
    Column("source_updated_at", String(40), primary_key=True),
    Column("raw_payload", Text, nullable=False),
    Column("missing_parent", Text, nullable=False),  # e.g. "offer_id=O123"
    Column("first_parked_day", DayType, nullable=False),
    Column("run_id", String(64), nullable=False),
    Index(None, "first_parked_day"),
    schema=MON,
)

quarantine = Table(
    "quarantine",
    metadata,
    # hash(entity, raw payload): the same bad row seen again is one quarantine row
    Column("quarantine_id", String(40), primary_key=True),
    Column("entity", String(16), nullable=False),
    Column("source_id", Text),
    Column("source_updated_at", Text),
    Column("raw_payload", Text, nullable=False),
    Column("failed_expectations", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("day", DayType, nullable=False),
    Column("run_id", String(64), nullable=False),
    Index(None, "day"),
    schema=MON,
)
