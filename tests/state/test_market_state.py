"""The state the checks read: the day's changes and the open items, and the kept state equal to a rebuild."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from pipelines.checks.scorecards import ACTIVITY_COLUMNS, cohort_contributions
from pipelines.checks.tables import seller_activity_daily
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings
from pipelines.state.fulfilment import FULFILMENT_COLUMNS, all_staged_orders, refresh_fulfilment
from pipelines.state.market import DELIVERIES, OFFERS, OPEN_ORDERS, ORDERS, SELLERS, market_state
from pipelines.state.tables import order_fulfilment
from pipelines.store.engine import store_engine
from tests.pipeline_helpers import days_before_end, simulate_and_run

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def three_days(tmp_path_factory):
    settings = Settings(var_dir=tmp_path_factory.mktemp("var"))
    days = days_before_end(3)
    for day in days:
        simulate_and_run(settings, day)
    return settings, days


def test_the_day_reads_its_changes_and_the_open_items_one_row_an_entity(three_days):
    settings, days = three_days
    monitored = MonitoredDay(days[-1])
    with store_engine(settings).begin() as conn:
        state = market_state(conn, monitored, grace=pd.Timedelta(hours=settings.late_grace_hours),
                             low_rating_max=settings.low_rating_max, lookback_days=settings.state_lookback_days,
                             first_day=days[0])
        conn.rollback()
    for layout, frame, key in ((SELLERS, state.sellers, "seller_id"), (OFFERS, state.offers, "offer_id"),
                               (ORDERS, state.orders, "order_id"), (OPEN_ORDERS, state.open_due, "order_id")):
        assert len(layout.conform(frame)) > 0, layout.name
        assert frame[key].is_unique, f"{layout.name}: more than one version of an entity"
    for frame in (state.sellers, state.offers):
        assert isinstance(frame["updated_at"].dtype, pd.DatetimeTZDtype)
        assert (frame["updated_at"] < monitored.end).all(), "a version from after the day"
    versions = DELIVERIES.conform(state.delivery_versions)
    changed, before = versions[versions["changed"] == 1], versions[versions["changed"] == 0]
    assert len(changed) > 0
    assert ((changed["updated_at"] >= monitored.start) & (changed["updated_at"] < monitored.end)).all()
    # the version before the day's first change of a delivery, once per delivery, and only for those
    assert before["delivery_id"].is_unique and set(before["delivery_id"]) <= set(changed["delivery_id"])
    first_change = changed.groupby("delivery_id")["updated_at"].min()
    assert (before.set_index("delivery_id")["updated_at"] < first_change.reindex(before["delivery_id"])).all()
    # every order of a changed delivery is in hand; the open orders are due and not closed by the day's end
    assert set(changed["order_id"]) <= set(state.orders["order_id"])
    due = state.open_due
    assert (due["due_at"] < monitored.end).all()
    assert (due["closed_at"].isna() | (due["closed_at"] >= monitored.end)).all()


def test_fulfilment_and_cohorts_kept_day_by_day_equal_a_rebuild_from_all_of_staging(three_days):
    settings, _days = three_days
    with store_engine(settings).begin() as conn:
        kept = pd.read_sql(select(order_fulfilment), conn)
        cohorts = pd.read_sql(select(seller_activity_daily), conn)
        rebuilt = refresh_fulfilment(conn, _days[-1], pd.Timedelta(hours=settings.late_grace_hours),
                                     settings.low_rating_max, orders=all_staged_orders(conn)).after
        conn.rollback()
    assert len(kept) == len(rebuilt) > 0
    key = "order_id"
    a = kept[FULFILMENT_COLUMNS].sort_values(key).reset_index(drop=True)
    b = rebuilt[FULFILMENT_COLUMNS].sort_values(key).reset_index(drop=True)
    for column in FULFILMENT_COLUMNS:
        left, right = a[column], b[column]
        if isinstance(right.dtype, pd.DatetimeTZDtype):
            left = pd.to_datetime(left, utc=True)
        if pd.api.types.is_numeric_dtype(right.dtype) or column in ("completed_late",):
            left, right = pd.to_numeric(left).astype(float), pd.to_numeric(right).astype(float)
            same = ((left - right).abs() < 1e-6) | (left.isna() & right.isna())
        else:
            same = (left.astype(str) == right.astype(str)) | (left.isna() & right.isna())
        assert same.all(), (column, a.loc[~same, [key, column]].head(), b.loc[~same, [key, column]].head())
    # the cohorts, kept by deltas, equal the cohorts summed afresh from the rebuilt fulfilment
    expected = cohort_contributions(rebuilt)
    expected = expected[(expected[ACTIVITY_COLUMNS] != 0).any(axis=1)]
    expected["day"] = expected["day"].astype(str)
    cohorts["day"] = cohorts["day"].astype(str)
    merged = expected.merge(cohorts, on=["seller_id", "day"], how="outer", suffixes=("", "_kept"),
                            indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for column in ACTIVITY_COLUMNS:
        assert (merged[column].round() == merged[f"{column}_kept"]).all(), column
    # every numerator is part of its denominator: no rate can exceed 1
    assert (cohorts["orders_late"] <= cohorts["orders_completed"]).all()
    assert (cohorts["quality_defects"] <= cohorts["deliveries_delivered"]).all()
    assert (cohorts["seller_cancellations"] <= cohorts["deliveries_resolved"]).all()
