"""The checks on small hand-made marketplaces, each case worked out by hand."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.checks.on_time import late_deliveries, overdue_orders, seller_cancellations
from pipelines.checks.price import peer_band
from pipelines.checks.quality import quality_defects
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings
from pipelines.state.fulfilment import compute_fulfilment, delivered_by

pytestmark = pytest.mark.unit
DAY = MonitoredDay(date(2026, 11, 24))  # window [2026-11-23 20:30Z, 2026-11-24 20:30Z)
S = Settings(late_grace_hours=6)
GRACE = pd.Timedelta(hours=6)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


OFFERS = pd.DataFrame({
    "offer_id": ["f1"], "seller_id": ["s1"], "promised_quality": ["A"], "status": ["active"],
    "category_code": ["X"], "unit": ["kg"], "unit_price_rial": [100_000], "created_at": [ts("2026-11-01")],
})


def orders(*rows):
    frame = pd.DataFrame(rows, columns=["order_id", "offer_id", "quantity", "unit_price_rial", "ordered_at",
                                        "promised_at"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], utc=True)
    frame["promised_at"] = pd.to_datetime(frame["promised_at"], utc=True)
    return frame


def deliveries(*rows):
    cols = ["delivery_id", "order_id", "status", "delivered_at", "delivered_qty", "received_quality",
            "buyer_rating", "complaint", "returned_qty", "updated_at"]
    frame = pd.DataFrame(rows, columns=cols)
    for c in ("delivered_at", "updated_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


def fulfilment(o: pd.DataFrame, d: pd.DataFrame) -> pd.DataFrame:
    """The kept fulfilment of these orders, from every version of their deliveries."""
    orders_in = o.assign(buyer_member_id="m1", updated_at=o["ordered_at"])
    versions = d.sort_values("updated_at", kind="stable")
    versions = versions.assign(valid_to=versions.groupby("delivery_id")["updated_at"].shift(-1))
    return compute_fulfilment(orders_in, OFFERS, versions, GRACE, S.low_rating_max)


def changes(o: pd.DataFrame, d: pd.DataFrame, day: MonitoredDay = DAY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a day's checks read: the versions (those recorded on the day marked changed), and the orders."""
    versions = d.assign(changed=((d["updated_at"] >= day.start) & (d["updated_at"] < day.end)).astype(int))
    return versions, fulfilment(o, d)


def open_due(o: pd.DataFrame, d: pd.DataFrame, day: MonitoredDay = DAY) -> pd.DataFrame:
    """The orders open and past promise plus grace at the end of the day, as the state reads them."""
    f = fulfilment(o, d)
    f = f[(f["due_at"] < day.end) & (f["closed_at"].isna() | (f["closed_at"] >= day.end))].copy()
    f["delivered_qty"] = f["order_id"].map(delivered_by(d, f["order_id"], day.end)).fillna(0.0)
    return f


def test_late_only_beyond_grace_and_only_when_delivered_on_the_day():
    o = orders(("o1", "f1", 2, 100_000, "2026-11-20T08:00Z", "2026-11-23T08:00Z"),
               ("o2", "f1", 1, 100_000, "2026-11-20T08:00Z", "2026-11-23T20:00Z"),
               ("o3", "f1", 1, 100_000, "2026-11-20T08:00Z", "2026-11-20T08:00Z"))
    d = deliveries(
        ("d1", "o1", "delivered", "2026-11-23T21:00Z", 2, None, None, None, None, "2026-11-23T21:00Z"),  # 13h late
        ("d2", "o2", "delivered", "2026-11-24T01:59Z", 1, None, None, None, None, "2026-11-24T01:59Z"),  # 5h59: grace
        ("d3", "o3", "delivered", "2026-11-23T20:29Z", 1, None, None, None, None, "2026-11-23T20:29Z"),  # day before
    )
    out = late_deliveries(*changes(o, d), DAY, S)
    assert list(out["entity_id"]) == ["d1"]
    assert out.iloc[0]["evidence"]["hours_late"] == 13.0
    assert out.iloc[0]["impact_rial"] == 200_000


def test_overdue_counts_partial_deliveries_by_quantity_and_ignores_cancelled():
    o = orders(("o1", "f1", 10, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o2", "f1", 10, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o3", "f1", 10, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o4", "f1", 10, 100_000, "2026-11-18T08:00Z", "2026-11-24T18:00Z"))  # grace runs past D
    d = deliveries(
        ("d1", "o1", "delivered", "2026-11-21T08:00Z", 4, None, None, None, None, "2026-11-21T08:00Z"),
        ("d2", "o1", "pending", None, None, None, None, None, None, "2026-11-18T08:00Z"),
        ("d3", "o2", "delivered", "2026-11-21T08:00Z", 10, None, None, None, None, "2026-11-21T08:00Z"),
        ("d4", "o3", "cancelled_by_buyer", None, None, None, None, None, None, "2026-11-19T08:00Z"),
    )
    out = overdue_orders(open_due(o, d), DAY, S)
    assert list(out["entity_id"]) == ["o1"]
    assert out.iloc[0]["evidence"]["delivered_qty"] == 4
    assert out.iloc[0]["impact_rial"] == 600_000


def test_quality_defect_fires_once_on_the_day_the_late_rating_arrives():
    o = orders(("o1", "f1", 1, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"))
    versions = deliveries(
        ("d1", "o1", "delivered", "2026-11-21T08:00Z", 1, "A", None, None, None, "2026-11-21T08:00Z"),
        ("d1", "o1", "delivered", "2026-11-21T08:00Z", 1, "A", 1, None, None, "2026-11-24T09:00Z"),
    )
    out = quality_defects(*changes(o, versions), OFFERS, DAY, S)
    assert list(out["entity_id"]) == ["d1"]
    assert out.iloc[0]["evidence"]["signals"] == ["low_rating"]
    # the next day the condition still holds but nothing turned: no new observation
    assert quality_defects(*changes(o, versions, DAY.shifted(1)), OFFERS, DAY.shifted(1), S).empty


def test_quality_signals_grade_below_promise_and_complaint_kinds():
    o = orders(("o1", "f1", 1, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o2", "f1", 1, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o3", "f1", 1, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"))
    versions = deliveries(
        ("d1", "o1", "delivered", "2026-11-24T08:00Z", 1, "B", 4, None, None, "2026-11-24T08:00Z"),
        ("d2", "o2", "delivered", "2026-11-24T08:00Z", 1, "A", 4, "late", None, "2026-11-24T08:00Z"),
        ("d3", "o3", "delivered", "2026-11-24T08:00Z", 1, "A", 3, "damaged", None, "2026-11-24T08:00Z"),
    )
    out = quality_defects(*changes(o, versions), OFFERS, DAY, S).set_index("entity_id")
    assert sorted(out.index) == ["d1", "d3"]
    assert out.loc["d1", "evidence"]["signals"] == ["grade_below_promised"]
    assert out.loc["d3", "evidence"]["signals"] == ["complaint"]


def test_seller_cancellation_is_its_own_finding():
    o = orders(("o1", "f1", 3, 100_000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"))
    versions = deliveries(
        ("d1", "o1", "pending", None, None, None, None, None, None, "2026-11-18T08:00Z"),
        ("d1", "o1", "cancelled_by_seller", None, None, None, None, None, None, "2026-11-24T10:00Z"),
    )
    out = seller_cancellations(*changes(o, versions), DAY, S)
    assert list(out["entity_id"]) == ["d1"] and out.iloc[0]["impact_rial"] == 300_000


def test_peer_band_flags_gouging_and_a_slipped_digit_not_the_spread():
    rng = np.random.default_rng(1)
    prices = (1_000_000 * np.exp(rng.normal(0, 0.08, 40))).round().astype("int64")
    prices[0] = 3_100_000  # gouging, ~3x
    prices[1] = 100_000  # rial/toman slip, /10
    offers = pd.DataFrame({
        "offer_id": [f"f{i}" for i in range(40)], "seller_id": "s", "status": "active", "category_code": "X",
        "unit": "kg", "unit_price_rial": prices, "created_at": ts("2026-11-01"),
    })
    out = peer_band(offers, orders(), DAY, S)
    assert sorted(out["entity_id"]) == ["f0", "f1"]
    assert set(out["severity"]) == {"critical"}


def test_peer_band_needs_enough_peers():
    offers = pd.DataFrame({
        "offer_id": ["a", "b", "c"], "seller_id": "s", "status": "active", "category_code": "X", "unit": "kg",
        "unit_price_rial": [100, 100, 900], "created_at": ts("2026-11-01"),
    })
    assert peer_band(offers, orders(), DAY, S).empty
