"""Late recording: deliveries whose events reach the source hours or days after they happen. The lag
changes when a version appears, never what it says, and the truth still dates each event by its
happening."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest

from pipelines.cli import build_parser
from pipelines.simulator import SimScale, build_world
from pipelines.simulator.cli import scale_of

pytestmark = pytest.mark.unit

END_DAY = dt.date(2026, 11, 25)
DAYS = 14
SEED = 5
TZ = "Asia/Tehran"
GRACE = pd.Timedelta(hours=6)
PROMPT = SimScale(sellers_per_province=2, offers_per_seller=3, orders_per_day=150, members=400,
                  late_recording_share=0.0, late_recorder_seller_share=0.0)
LATE = dataclasses.replace(PROMPT, late_recording_share=0.2, late_recorder_seller_share=0.1)
HOUR = pd.Timedelta(hours=1)
LATE_KINDS = {"late_recording", "late_recorder_seller"}


@pytest.fixture(scope="module")
def prompt():
    return build_world(seed=SEED, days=DAYS, end_day=END_DAY, scale=PROMPT)


@pytest.fixture(scope="module")
def late():
    return build_world(seed=SEED, days=DAYS, end_day=END_DAY, scale=LATE)


@pytest.fixture(scope="module")
def recordings(late):
    """The `late_recording` truth rows, their detail unpacked."""
    t = late.truth()
    t = t[t["kind"] == "late_recording"].reset_index(drop=True)
    det = pd.DataFrame(list(t["detail"].map(json.loads)))
    for col in ("event_at", "recorded_at"):
        det[col] = pd.to_datetime(det[col], utc=True)
    return pd.concat([t.drop(columns="detail"), det], axis=1)


def instants(world) -> list[pd.Timestamp]:
    return [world.start + pd.Timedelta(days=d, hours=h) for d, h in [(2, 5), (6, 13), (9, 22), (14, 0), (17, 9),
                                                                   (40, 0)]]


def strip_late(truth: pd.DataFrame) -> pd.DataFrame:
    """The truth without what late recording adds to it."""
    out = truth[~truth["kind"].isin(LATE_KINDS)].copy()
    details = out["detail"].map(json.loads)
    for det in details:
        det.pop("recorded_late_hours", None)
    out["detail"] = details.map(lambda x: json.dumps(x, sort_keys=True))
    return out.sort_values(["kind", "entity_id"]).reset_index(drop=True)


def test_shares_of_zero_give_the_default_world(prompt):
    explicit = build_world(seed=SEED, days=DAYS, end_day=END_DAY,
                           scale=dataclasses.replace(PROMPT, late_recording_share=0.0,
                                                     late_recorder_seller_share=0.0))
    assert SimScale().late_recording_share > 0 and SimScale().late_recorder_seller_share > 0  # late by default
    for t in instants(prompt):
        for name, frame in prompt.marketplace_as_of(t).items():
            pd.testing.assert_frame_equal(frame, explicit.marketplace_as_of(t)[name], obj=name)
    pd.testing.assert_frame_equal(prompt.truth(), explicit.truth())
    truth = prompt.truth()
    assert not truth["kind"].isin(LATE_KINDS).any()
    lagged = truth[truth["entity"].isin(["delivery", "order"])]["detail"].map(json.loads)
    assert len(lagged) and lagged.map(lambda x: x["recorded_late_hours"] == 0.0).all()


def test_the_lag_changes_when_rows_appear_never_what_they_say(prompt, late):
    """Its random numbers come from a stream of their own: the events and the faults are the same."""
    for t in instants(prompt):
        a, b = prompt.marketplace_as_of(t), late.marketplace_as_of(t)
        for name in ("sellers", "offers", "orders"):
            pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    long_after = prompt.end + pd.Timedelta(days=60)
    a, b = prompt.marketplace_as_of(long_after)["deliveries"], late.marketplace_as_of(long_after)["deliveries"]
    pd.testing.assert_frame_equal(a.drop(columns="updated_at"), b.drop(columns="updated_at"))
    assert (b["updated_at"] >= a["updated_at"]).all() and (b["updated_at"] > a["updated_at"]).any()
    pd.testing.assert_frame_equal(strip_late(prompt.truth()), strip_late(late.truth()))


def test_late_recorded_deliveries_are_recorded_within_their_lag(late, recordings):
    assert set(recordings["event"]) >= {"delivered"} and "cancelled_by_seller" not in set(recordings["event"])
    lag = recordings["recorded_at"] - recordings["event_at"]
    assert ((lag / HOUR).round(2) == recordings["recorded_late_hours"]).all()
    always = recordings["late_recorder_seller"]
    assert always.any() and (~always).any()
    assert lag[~always].between(HOUR, 72 * HOUR).all()
    assert lag[always].between(48 * HOUR, 96 * HOUR).all()
    assert (recordings["day"] == recordings["event_at"].dt.tz_convert(TZ).dt.date).all()
    # what follows the recorded event (a rating, a return) comes in a later version, never an earlier one
    final = late.marketplace_as_of(late.end + pd.Timedelta(days=60))["deliveries"].set_index("delivery_id")
    assert (final.loc[recordings["entity_id"], "updated_at"].to_numpy() >= recordings["recorded_at"].to_numpy()).all()
    # the version that carries the event appears at its recording, not a second before
    sample = recordings[recordings["event"] == "delivered"].sample(12, random_state=3)
    for _, row in sample.iterrows():
        before = late.marketplace_as_of(row["recorded_at"] - pd.Timedelta(seconds=1))["deliveries"]
        at = late.marketplace_as_of(row["recorded_at"])["deliveries"]
        was = before.set_index("delivery_id").loc[row["entity_id"]]
        now = at.set_index("delivery_id").loc[row["entity_id"]]
        assert was["status"] in {"pending", "shipped"} and pd.isna(was["delivered_at"])
        assert was["updated_at"] < row["event_at"] + lag.max()
        assert now["updated_at"] == row["recorded_at"]
        if row["event"] == "delivered":
            assert now["status"] in {"delivered", "returned"} and now["delivered_at"] == row["event_at"]
        else:
            assert now["status"] == "cancelled_by_seller"


def test_a_late_recorder_seller_records_every_delivery_late(late, recordings):
    truth = late.truth()
    sellers = truth[truth["kind"] == "late_recorder_seller"]
    assert len(sellers) > 0 and (sellers["entity"] == "seller").all()
    final = late.marketplace_as_of(late.end + pd.Timedelta(days=60))
    d = final["deliveries"].merge(final["orders"][["order_id", "offer_id"]], on="order_id").merge(
        final["offers"][["offer_id", "seller_id"]], on="offer_id")
    theirs = d[d["seller_id"].isin(sellers["entity_id"]) & d["shipped_at"].notna()]
    assert len(theirs) > 0
    assert set(theirs["delivery_id"]) <= set(recordings["entity_id"])
    flagged = recordings[recordings["late_recorder_seller"]]
    assert set(flagged["seller_id"]) <= set(sellers["entity_id"])
    for _, row in sellers.iterrows():
        assert json.loads(row["detail"])["deliveries"] >= (theirs["seller_id"] == row["entity_id"]).sum()


def test_the_truth_labels_the_share(late, recordings):
    final = late.marketplace_as_of(late.end + pd.Timedelta(days=60))["deliveries"]
    with_event = final["shipped_at"].notna()
    share = (~recordings["late_recorder_seller"]).sum() / with_event.sum()
    assert 0.12 < share < 0.25  # 0.2 of the deliveries that are not a late recorder's
    truth = late.truth()
    by_delivery = recordings.set_index("entity_id")["recorded_late_hours"]
    cancellations = truth[truth["kind"] == "seller_cancellation"]["detail"].map(
        lambda x: json.loads(x)["recorded_late_hours"])
    assert (cancellations == 0).all()  # a cancellation has no time of its own: its record is its time
    for kind in ("late_delivery", "quality_defect", "timing_confounder"):
        part = truth[truth["kind"] == kind]
        hours = part["detail"].map(lambda x: json.loads(x)["recorded_late_hours"])
        assert 0.1 < (hours > 0).mean() < 0.6, kind
        if kind in ("late_delivery", "timing_confounder"):
            # the event the row is about is the one recorded late
            assert (hours == part["entity_id"].map(by_delivery).fillna(0.0)).all(), kind
        else:
            # a defect signal is recorded when it happens, but not before the delivered version
            assert (hours <= part["entity_id"].map(by_delivery).fillna(0.0)).all()
    orders = truth[truth["kind"] == "overdue_order"]
    hours = orders["detail"].map(lambda x: json.loads(x)["recorded_late_hours"])
    assert (hours > 0).any() and (hours == 0).any()


def test_versions_stay_ordered_and_nothing_is_seen_before_it_is_recorded(late):
    views = [late.marketplace_as_of(t) for t in instants(late)]
    for t, view in zip(instants(late), views, strict=True):
        d = view["deliveries"]
        assert (d["updated_at"] <= t).all()
        for col in ("shipped_at", "delivered_at"):
            seen = d[col].notna()
            assert (d.loc[seen, col] <= d.loc[seen, "updated_at"]).all(), col
    order = {"pending": 0, "shipped": 1, "delivered": 2, "returned": 3}
    for v1, v2 in zip(views, views[1:], strict=False):
        a = v1["deliveries"].set_index("delivery_id")
        b = v2["deliveries"].set_index("delivery_id").loc[a.index]
        assert (a["updated_at"] <= b["updated_at"]).all()
        same = (a["updated_at"] == b["updated_at"]).to_numpy()
        pd.testing.assert_frame_equal(a[same], b[same])  # nothing changes without bumping updated_at
        both = a["status"].isin(order.keys()) & b["status"].isin(order.keys())
        assert (a.loc[both, "status"].map(order) <= b.loc[both, "status"].map(order)).all()


def test_a_delivery_recorded_after_the_clock_is_not_shown_delivered(late, recordings):
    t = late.end
    hidden = recordings[(recordings["event"] == "delivered") & (recordings["event_at"] <= t)
                        & (recordings["recorded_at"] > t)]
    assert len(hidden) > 0
    d = late.marketplace_as_of(t)["deliveries"].set_index("delivery_id").loc[hidden["entity_id"]]
    assert d["status"].isin(["pending", "shipped"]).all() and d["delivered_at"].isna().all()
    assert (d["updated_at"] <= t).all()
    # the truth up to t holds what the source shows at t; the late delivery's day stays its event's
    truth = late.truth(up_to=t)
    assert not truth["entity_id"].isin(hidden["entity_id"]).any()
    m = late.marketplace_as_of(t)
    dd = m["deliveries"].merge(m["orders"][["order_id", "promised_at"]], on="order_id")
    visible_late = dd[dd["delivered_at"] > dd["promised_at"] + GRACE]
    label = truth[truth["kind"] == "late_delivery"].set_index("entity_id")
    assert set(label.index) == set(visible_late["delivery_id"])
    days = visible_late["delivered_at"].dt.tz_convert(TZ).dt.date.to_numpy()
    assert (label.loc[visible_late["delivery_id"], "day"].to_numpy() == days).all()


def test_overdue_in_truth_is_what_happened_not_what_was_recorded(prompt, late):
    def overdue(world):
        t = world.truth()
        return set(t.loc[t["kind"] == "overdue_order", "entity_id"])

    assert overdue(late) == overdue(prompt)


def test_shares_are_checked():
    with pytest.raises(ValueError, match="share"):
        build_world(seed=1, days=1, end_day=END_DAY, scale=SimScale(1, 1, 10, 20, late_recording_share=1.5))


def test_the_cli_sets_the_shares():
    args = build_parser().parse_args(
        ["simulate", "--late-recording-share", "0.1", "--late-recorder-sellers", "0.05"])
    assert scale_of(args) == SimScale(late_recording_share=0.1, late_recorder_seller_share=0.05)
    assert scale_of(build_parser().parse_args(["simulate"])) == SimScale()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["simulate", "--late-recording-share", "2"])
