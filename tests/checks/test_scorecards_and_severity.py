"""Order-level lateness, scorecards and severity on small hand-made cases, worked out by hand."""

from datetime import date, timedelta

import pandas as pd
import pytest

from pipelines.checks.on_time import overdue_orders
from pipelines.checks.scorecards import ACTIVITY_COLUMNS, scorecards_from_sums, wilson_lower_bound, window_scorecards
from pipelines.checks.severity import grade_severity
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings
from tests.checks.test_checks import deliveries, fulfilment, open_due, orders

pytestmark = pytest.mark.unit
DAY = MonitoredDay(date(2026, 11, 24))
S = Settings(late_grace_hours=6)
GRACE = pd.Timedelta(hours=6)


def test_the_delivery_that_completes_the_quantity_decides_whether_the_order_is_late():
    o = orders(("o1", "f1", 10, 1000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o2", "f1", 10, 1000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o3", "f1", 10, 1000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"))
    d = deliveries(
        # o1: 4 on time, then the remaining 6 late: the order is late
        ("a1", "o1", "delivered", "2026-11-21T08:00Z", 4, None, None, None, None, "2026-11-21T08:00Z"),
        ("a2", "o1", "delivered", "2026-11-23T09:00Z", 6, None, None, None, None, "2026-11-23T09:00Z"),
        # o2: 10 on time, a spare late shipment after the order was already complete
        ("b1", "o2", "delivered", "2026-11-22T13:59Z", 10, None, None, None, None, "2026-11-22T13:59Z"),
        ("b2", "o2", "delivered", "2026-11-23T09:00Z", 1, None, None, None, None, "2026-11-23T09:00Z"),
        # o3: only 9 of 10 arrived: not complete
        ("c1", "o3", "delivered", "2026-11-21T08:00Z", 9, None, None, None, None, "2026-11-21T08:00Z"),
    )
    done = fulfilment(o, d).set_index("order_id")
    assert sorted(done.index[done["completed_at"].notna()]) == ["o1", "o2"]
    assert done.loc["o1", "completing_delivery_id"] == "a2" and done.loc["o1", "completed_late"] == 1
    assert done.loc["o2", "completing_delivery_id"] == "b1" and done.loc["o2", "completed_late"] == 0
    # o3 is still open: 9 of 10 delivered, nothing left in flight
    assert pd.isna(done.loc["o3", "completed_at"]) and done.loc["o3", "delivered_qty"] == 9


def test_an_order_whose_remainder_was_cancelled_is_closed_but_an_open_remainder_is_overdue():
    o = orders(("o1", "f1", 10, 1000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"),
               ("o2", "f1", 10, 1000, "2026-11-18T08:00Z", "2026-11-22T08:00Z"))
    d = deliveries(
        ("a1", "o1", "delivered", "2026-11-21T08:00Z", 4, None, None, None, None, "2026-11-21T08:00Z"),
        ("a2", "o1", "cancelled_by_seller", None, None, None, None, None, None, "2026-11-21T09:00Z"),
        ("b1", "o2", "cancelled_by_seller", None, None, None, None, None, None, "2026-11-21T09:00Z"),
        ("b2", "o2", "shipped", None, None, None, None, None, None, "2026-11-21T09:00Z"),
    )
    out = overdue_orders(open_due(o, d), DAY, S)
    assert list(out["entity_id"]) == ["o2"]


def _activity(seller: str, days: int, delivered: int, late: int, buyers: int, defects: int = 0,
              cancels: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`days` days of activity ending on DAY, the totals spread over the first day (simple to reason about)."""
    rows = [{"seller_id": seller, "day": DAY.day - timedelta(days=n), "deliveries_resolved": 0,
             "deliveries_delivered": 0, "orders_completed": 0, "orders_late": 0, "quality_defects": 0,
             "seller_cancellations": 0, "late_value_rial": 0, "defect_value_rial": 0, "cancel_value_rial": 0}
            for n in range(days)]
    rows[0].update(deliveries_resolved=delivered + cancels, deliveries_delivered=delivered,
                   orders_completed=delivered, orders_late=late, quality_defects=defects,
                   seller_cancellations=cancels, late_value_rial=late * 1000)
    buyer_rows = pd.DataFrame({"seller_id": seller, "day": DAY.day,
                               "buyer_member_id": [f"m{i}" for i in range(buyers)]})
    return pd.DataFrame(rows), buyer_rows


def _scorecards(*cases, kinds=None) -> pd.DataFrame:
    activity = pd.concat([c[0] for c in cases], ignore_index=True)
    buyers = pd.concat([c[1] for c in cases], ignore_index=True)
    sellers = activity["seller_id"].unique()
    units = pd.DataFrame({"seller_id": sellers, "kind": [(kinds or {}).get(s, "work_and_life_core") for s in sellers]})
    return window_scorecards(activity, buyers, units, DAY.day, S).set_index(["seller_id", "window_days"])


def test_a_seller_with_two_deliveries_one_late_gets_no_breach():
    sc = _scorecards(_activity("s1", 3, delivered=2, late=1, buyers=2))
    row = sc.loc[("s1", 30)]
    assert row["on_time_rate"] == 0.5
    assert not row["volume_ok"] and row["breaches"] == ""


def test_enough_volume_and_a_bad_rate_breach_and_the_gate_needs_distinct_buyers_too():
    bad = _activity("s1", 10, delivered=30, late=15, buyers=12)
    one_buyer = _activity("s2", 10, delivered=30, late=15, buyers=1)
    sc = _scorecards(bad, one_buyer)
    assert sc.loc[("s1", 30), "breaches"] == "scorecard_on_time"
    assert sc.loc[("s1", 7), "breaches"] == ""  # only the judged window raises a breach
    assert not sc.loc[("s2", 30), "volume_ok"] and sc.loc[("s2", 30), "breaches"] == ""


def test_thresholds_differ_for_cores_and_suppliers():
    # 60 late of 400 (85% on time) is within a core's 80% but below a supplier's 90%, and 400 orders
    # are enough for the confidence bound to judge
    core = _activity("core", 10, delivered=400, late=60, buyers=40)
    supplier = _activity("sup", 10, delivered=400, late=60, buyers=40)
    sc = _scorecards(core, supplier, kinds={"sup": "supplier"})
    assert sc.loc[("core", 30), "breaches"] == ""
    assert sc.loc[("sup", 30), "breaches"] == "scorecard_on_time"


def test_wilson_bound_keeps_small_samples_from_breaching():
    bound = wilson_lower_bound(pd.Series([0.25, 0.5]), pd.Series([20, 40]), 1.645)
    assert bound.iloc[0] < 0.2 < bound.iloc[1]


def test_severity_rises_with_buyers_and_repeat_offences_never_falls():
    obs = pd.DataFrame({
        "rule": ["late_delivery"] * 3 + ["scorecard_on_time", "late_delivery"],
        "entity_type": ["delivery"] * 3 + ["seller", "delivery"],
        "entity_id": ["d1", "d2", "d3", "s1", "d9"],
        "seller_id": ["s1", "s1", "s1", "s1", "s2"],
        "offer_id": None,
        "severity": ["info", "info", "info", "warning", "critical"],
        "impact_rial": 1,
        "evidence": [{}] * 5,
        "buyers_affected": [None, None, None, 12, None],
    })
    prior = pd.DataFrame({"seller_id": ["s1"], "rule": ["late_delivery"], "entity_id": ["d0"]})
    out = grade_severity(obs, prior, S).set_index("entity_id")
    # d1..d3: each has 3 other late deliveries of s1 (d0 before, and two today): warning
    assert list(out.loc[["d1", "d2", "d3"], "severity"]) == ["warning"] * 3
    assert out.loc["d1", "evidence"]["repeat_offences"] == 3
    assert out.loc["s1", "severity"] == "critical"  # 12 buyers
    assert out.loc["d9", "severity"] == "critical"  # never lowered


def _hovering_sums(late: int, completed: int = 200) -> pd.DataFrame:
    row = {c: 0 for c in ACTIVITY_COLUMNS}
    row.update(seller_id="s1", deliveries_resolved=completed, deliveries_delivered=completed,
               orders_completed=completed, orders_late=late, late_value_rial=late * 1000, distinct_buyers=40,
               window_days=30)
    return pd.DataFrame([row])


def _episodes(lates: list[int], settings: Settings) -> tuple[int, list[bool]]:
    """Feed a seller's daily 30-day sums through the scorecards, carrying yesterday's breaches; count episodes."""
    units = pd.DataFrame({"seller_id": ["s1"], "kind": ["work_and_life_core"]})
    open_now: frozenset = frozenset()
    breached = []
    for n, late in enumerate(lates):
        sc = scorecards_from_sums(_hovering_sums(late), units, DAY.day + timedelta(days=n), settings, 30, open_now)
        hit = bool(sc["_scorecard_on_time"].iloc[0])
        breached.append(hit)
        open_now = frozenset({("s1", "scorecard_on_time")}) if hit else frozenset()
    starts = sum(1 for i, hit in enumerate(breached) if hit and (i == 0 or not breached[i - 1]))
    return starts, breached


def test_a_seller_hovering_at_the_threshold_opens_one_episode_not_several():
    # the least late count whose bound crosses the core's 80 % on time, and two fewer: just within it
    z, limit = S.scorecard_breach_confidence_z, 1 - S.scorecard_min_on_time_rate_core
    bounds = wilson_lower_bound(pd.Series([k / 200 for k in range(201)]), pd.Series([200] * 201), z)
    over = int((bounds > limit).idxmax())
    assert bounds[over - 2] > limit - S.scorecard_breach_release_band  # within the band
    hovering = [over, over - 2] * 4 + [over]
    no_band = Settings(late_grace_hours=6, scorecard_breach_release_band=0.0)
    assert _episodes(hovering, no_band)[0] == 5  # before: an episode at each crossing
    episodes, breached = _episodes(hovering, S)
    assert episodes == 1 and all(breached)
    # a real recovery (the bound back below the threshold by more than the band) closes it
    recovered = int((bounds > limit - S.scorecard_breach_release_band).idxmax()) - 1
    episodes, breached = _episodes([over, over - 2, recovered, over - 2, over], S)
    assert breached == [True, True, False, False, True] and episodes == 2
