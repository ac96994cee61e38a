"""The market state the checks read: one row an entity, in the layouts that cross into the checks."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings
from pipelines.state.market import DELIVERIES, OFFERS, ORDERS, SELLERS, market_state
from pipelines.store.engine import store_engine
from tests.pipeline_helpers import days_before_end, simulate_and_run

pytestmark = pytest.mark.db


def test_market_state_carries_its_layouts_one_row_an_entity(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    day = days_before_end(1)[0]
    simulate_and_run(settings, day)
    monitored = MonitoredDay(day)
    with store_engine(settings).connect() as conn:
        state = market_state(conn, monitored, settings.state_lookback_days)
    for layout, frame, key in ((SELLERS, state.sellers, "seller_id"), (OFFERS, state.offers, "offer_id"),
                               (ORDERS, state.orders, "order_id"), (DELIVERIES, state.deliveries, "delivery_id")):
        assert len(layout.conform(frame)) > 0, layout.name
        assert frame[key].is_unique, f"{layout.name}: more than one version of an entity"
        assert isinstance(frame["updated_at"].dtype, pd.DatetimeTZDtype), f"{layout.name}: naive timestamps"
        assert (frame["updated_at"] < monitored.end).all(), f"{layout.name}: a version from after the day"
    assert set(DELIVERIES.conform(state.delivery_versions)["delivery_id"]) <= set(state.deliveries["delivery_id"])
