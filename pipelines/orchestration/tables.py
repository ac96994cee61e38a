"""The run log: one row a step of a monitored day's run (append-only history).
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from pipelines.store.base import MON, metadata
from pipelines.store.types import DayType, UTCDateTime

run_log = Table(
    "run_log",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("day", DayType, nullable=False),
    Column("step", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("detail", Text),
    schema=MON,
)
