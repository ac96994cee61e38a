"""State's tables: the fulfilment of each order, kept rather than rebuilt.

`order_fulfilment` holds one row per staged order: what was ordered and promised, and what its deliveries
have done so far, by the events' own timestamps (delivered quantity, open shipments, when the quantity
was completed and whether that was late, when the order closed). It is recomputed only for the orders
whose order row or deliveries changed in an extraction window, so a day costs what the day changed.
Open orders are found by index (`closed_at IS NULL`), so the overdue check reads the open items, not the
history.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table

from pipelines.store.base import MON, metadata
from pipelines.store.types import DayType, UTCDateTime

order_fulfilment = Table(
    "order_fulfilment",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("offer_id", String(64), nullable=False),
    Column("seller_id", String(64)),
    Column("buyer_member_id", String(64)),
    Column("quantity", Float, nullable=False),
    Column("unit_price_rial", BigInteger, nullable=False),
    Column("ordered_at", UTCDateTime, nullable=False),
    Column("promised_at", UTCDateTime, nullable=False),
    # promised_at + the grace: past this, an open order is overdue and a completion is late
    Column("due_at", UTCDateTime, nullable=False),
    # the Tehran day the order falls due: the cohort its rates are counted in, once mature
    Column("due_day", DayType, nullable=False),
    Column("shipments", Integer, nullable=False),
    Column("open_shipments", Integer, nullable=False),  # pending or shipped
    Column("delivered_qty", Float, nullable=False),
    Column("first_delivered_at", UTCDateTime),
    # the delivery whose running quantity reached the order's (deliveries taken by delivered_at)
    Column("completing_delivery_id", String(64)),
    Column("completed_at", UTCDateTime),
    Column("completed_late", Integer),  # 1: completed after due_at; null while not completed
    # when nothing more was owed: completed, or every shipment delivered or cancelled (event time where the
    # contract gives one; a cancellation has none, so its version's updated_at)
    Column("closed_at", UTCDateTime),
    Column("seller_cancelled_at", UTCDateTime),  # the first shipment the seller cancelled
    Column("buyer_cancelled", Integer, nullable=False),  # 1: every shipment was cancelled by the buyer
    Column("defect_at", UTCDateTime),  # the first version of a delivery that showed a quality defect
    Column("defect_value_rial", BigInteger, nullable=False),
    # how late the deliveries' records reached the source: the largest updated_at - event time, in hours
    Column("record_lag_hours", Float),
    Column("recorded_at", UTCDateTime, nullable=False),  # the latest updated_at of the order or its deliveries
    Index(None, "closed_at", "due_at"),
    Index(None, "seller_id", "due_day"),
    schema=MON,
)
