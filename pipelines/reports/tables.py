"""The record of each province report written for a day.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from pipelines.store.base import MON, metadata
from pipelines.store.types import DayType, UTCDateTime

report = Table(
    "report",
    metadata,
    Column("day", DayType, primary_key=True),
    Column("province_id", String(16), primary_key=True),
    Column("path", Text, nullable=False),
    Column("findings_listed", Integer, nullable=False),
    Column("findings_total", Integer, nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
    schema=MON,
)
