"""The partitions of a day (what the daily DAG maps over) give what the whole day gives."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from pipelines.checks.price import (
    candidates_from_records,
    candidates_to_records,
    partition_price_candidates,
    read_price_inputs,
)
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration.daily_steps import plan_partitions, write_reports
from pipelines.reports import tables as report_tables
from pipelines.store.engine import store_engine
from tests.pipeline_helpers import END_DAY, simulate_and_run

pytestmark = pytest.mark.db
DAY = END_DAY - timedelta(days=1)


@pytest.fixture(scope="module")
def monitored_day(tmp_path_factory):
    """One simulated day monitored by `rasad run`'s path, shared by the tests of this module."""
    from pipelines.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RASAD_VAR_DIR", str(tmp_path_factory.mktemp("partitions") / "var"))
        mp.setenv("RASAD_DAILY_PARTITIONS", "3")
        get_settings.cache_clear()
        settings = get_settings()
        simulate_and_run(settings, DAY)
        yield settings
    get_settings.cache_clear()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["rule", "offer_id"], kind="stable").reset_index(drop=True)


def test_price_partitions_together_give_the_whole_catalogues_hits(monitored_day):
    settings = monitored_day
    plan = plan_partitions(settings, DAY)
    fields = [f for p in plan["price"] for f in p["keys"]]
    assert len(plan["price"]) == 3 and len(fields) == len(set(fields)), plan["price"]
    # the plan is stable: a retried partition is the same partition
    assert plan_partitions(settings, DAY) == plan

    day = MonitoredDay(DAY)
    with store_engine(settings).connect() as conn:
        inputs = read_price_inputs(conn, day, settings)
    whole = candidates_from_records(candidates_to_records(partition_price_candidates(inputs, day, settings)))
    parts = [partition_price_candidates(inputs, day, settings, p["keys"]) for p in plan["price"]]
    assert sum(not p.empty for p in parts) >= 2, "the hits should spread over partitions"
    joined = candidates_from_records([r for p in parts for r in candidates_to_records(p)])
    assert len(whole) > 10
    pd.testing.assert_frame_equal(_sorted(joined), _sorted(whole))


def test_a_report_partition_replaces_only_its_provinces(monitored_day):
    settings = monitored_day
    store = store_engine(settings)
    plan = plan_partitions(settings, DAY)["reports"]
    assert sorted(p for part in plan for p in part["keys"]) == sorted(
        str(p) for p in pd.read_sql(select(report_tables.report.c.province_id), store.connect())["province_id"])

    def counts():
        with store.connect() as conn:
            return dict(conn.execute(select(report_tables.report.c.province_id, func.count())
                                     .where(report_tables.report.c.day == DAY)
                                     .group_by(report_tables.report.c.province_id)).all())

    before = counts()
    written = write_reports(settings, DAY, "test-partition", plan[0])
    after = counts()
    assert len(written) == len(plan[0]["keys"])
    assert after == before and set(after.values()) == {1}  # replaced, not doubled, the others untouched

