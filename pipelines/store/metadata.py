"""Every table the store owns, on one MetaData: what Alembic compares migrations against.

Each room keeps its tables in its own `tables.py`, defined on `pipelines.store.base.metadata`; this module
only imports them all, so that nothing else has to and no room imports another for its tables.
"""

from __future__ import annotations

from pipelines.checks import tables as checks_tables
from pipelines.dashboard import tables as dashboard_tables
from pipelines.findings import tables as findings_tables
from pipelines.ingest import tables as ingest_tables
from pipelines.mail import tables as mail_tables
from pipelines.orchestration import tables as orchestration_tables
from pipelines.reference import tables as reference_tables
from pipelines.reports import tables as reports_tables
from pipelines.state import tables as state_tables
from pipelines.store.base import metadata

TABLE_MODULES = (
    reference_tables, orchestration_tables, ingest_tables, findings_tables, reports_tables, checks_tables,
    mail_tables, dashboard_tables, state_tables,
)

__all__ = ["TABLE_MODULES", "metadata"]
