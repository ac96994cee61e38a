"""Break two of the organisation's rules in a monitored store and let `ref check` record them (issue 16 tests)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from pipelines.reference import tables as ref
from pipelines.reference.rules import check_reference
from pipelines.settings import Settings
from pipelines.store.engine import store_engine


def break_rules(settings: Settings, days: list[date], officer_provinces: list[str]) -> None:
    """The officers of `officer_provinces` were assigned without Fardap; `ref check` runs on each of `days`."""
    engine = store_engine(settings)
    a = ref.monitoring_officer_assignment
    with engine.begin() as conn:
        conn.execute(sa.update(a).where(a.c.province_id.in_(officer_provinces)).values(fardap_coordinated=False))
    for day in days:
        check_reference(engine, settings, day)
    engine.dispose()
