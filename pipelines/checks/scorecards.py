"""Seller scorecards: on-time, quality-defect and seller-cancel rates over cohorts of mature orders.

A seller's cohort of day c is the orders that fell due on c (promise plus grace passed): an order counts
only once it is mature, so a rate never counts an order before the seller could have been late on it, and
cancellations, which resolve faster than deliveries, no longer inflate early rates. The cohorts live in
`seller_activity_daily` and are kept by deltas: whenever an order's fulfilment changes (a delivery, a
rating, a record arriving late), its old contribution leaves its cohort and its new one enters. A day costs
what the day changed. The window sums are SQL over those cohorts.

Definitions (a seller's window W, of the cohorts of the last `w` Tehran days up to D):
- on_time_rate = 1 - orders late / orders judged for timeliness (completed on time, or late: completed after
  promise plus grace, or never completed; orders the seller cancelled are not judged here);
- quality_defect_rate = delivered orders with a quality defect / orders delivered;
- seller_cancel_rate = orders with a shipment the seller cancelled / orders (but those the buyer cancelled).
Every numerator is a subset of its denominator: no rate is ever above 1.
A rate counts only when the seller has at least the minimum orders AND distinct buyers in W (per unit kind:
cores and suppliers differ). A breach on the judged window (`scorecard_breach_window_days`) is an observation
of its own: a state rule on the seller.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, delete, distinct, func, select, tuple_

from pipelines.checks import OBSERVATION_COLUMNS, Observations
from pipelines.checks.tables import seller_activity_daily, seller_buyer_daily, seller_scorecard
from pipelines.settings import Settings
from pipelines.state.fulfilment import FulfilmentChange
from pipelines.state.market import MarketState
from pipelines.state.money import amount_rial
from pipelines.store.engine import id_scratch, insert_frame
from pipelines.store.sql_files import read_frame
from pipelines.store.types import as_day

ACTIVITY_COLUMNS = [
    "deliveries_resolved", "deliveries_delivered", "orders_completed", "orders_late", "quality_defects",
    "seller_cancellations", "late_value_rial", "defect_value_rial", "cancel_value_rial", "orders_recorded",
    "orders_recorded_late",
]
# scorecard rule -> (rate column, "min" or "max", the value column at stake)
SCORECARD_RULES = {
    "scorecard_on_time": ("on_time_rate", "min", "late_value_rial"),
    "scorecard_quality": ("quality_defect_rate", "max", "defect_value_rial"),
    "scorecard_seller_cancel": ("seller_cancel_rate", "max", "cancel_value_rial"),
}
_SETTING = {
    "on_time_rate": "scorecard_min_on_time_rate",
    "quality_defect_rate": "scorecard_max_quality_defect_rate",
    "seller_cancel_rate": "scorecard_max_seller_cancel_rate",
}


_DENOMINATOR = {
    "on_time_rate": "orders_completed",
    "quality_defect_rate": "deliveries_delivered",
    "seller_cancel_rate": "deliveries_resolved",
}


def wilson_lower_bound(share: pd.Series, n: pd.Series, z: float) -> pd.Series:
    """The Wilson score lower bound of a proportion, whole-column (NaN where n is 0)."""
    n = n.astype(float).where(n > 0)
    share = share.clip(0.0, 1.0)  # defects can outnumber the window's deliveries (they surface later)
    centre = share + z * z / (2 * n)
    spread = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def _unit_kind(kind: pd.Series) -> pd.Series:
    """'supplier' or 'core' (work-and-life and work-and-business cores share thresholds)."""
    return pd.Series(np.where(kind == "supplier", "supplier", "core"), index=kind.index)


def _per_kind(settings: Settings, name: str, kind: pd.Series) -> pd.Series:
    """A threshold that may differ for cores and suppliers, per row."""
    core, supplier = getattr(settings, f"{name}_core"), getattr(settings, f"{name}_supplier")
    return pd.Series(np.where(kind == "supplier", supplier, core), index=kind.index)


def cohort_contributions(fulfilment: pd.DataFrame, late_record_hours: float = 36.0) -> pd.DataFrame:
    """Each order's contribution to its seller's cohort (the day it fell due), summed per (seller, day)."""
    f = fulfilment[fulfilment["seller_id"].notna()]
    if f.empty:
        return pd.DataFrame(columns=["seller_id", "day", *ACTIVITY_COLUMNS])
    counted = f["buyer_cancelled"].astype(int) == 0
    cancelled = counted & f["seller_cancelled_at"].notna()
    judged = counted & ~cancelled
    late = judged & (f["completed_at"].isna() | (f["completed_late"].fillna(0).astype(int) == 1))
    defective = counted & f["defect_at"].notna()
    delivered = counted & (f["first_delivered_at"].notna() | defective)
    value = amount_rial(f["quantity"], f["unit_price_rial"]).astype(float)
    lag = pd.to_numeric(f["record_lag_hours"], errors="coerce")
    parts = pd.DataFrame({
        "seller_id": f["seller_id"],
        "day": f["due_day"],
        "deliveries_resolved": counted.astype("int64"),
        "deliveries_delivered": delivered.astype("int64"),
        "orders_completed": judged.astype("int64"),
        "orders_late": late.astype("int64"),
        "quality_defects": defective.astype("int64"),
        "seller_cancellations": cancelled.astype("int64"),
        "late_value_rial": value.where(late, 0.0),
        "defect_value_rial": f["defect_value_rial"].astype(float).where(defective, 0.0),
        "cancel_value_rial": value.where(cancelled, 0.0),
        "orders_recorded": lag.notna().astype("int64"),
        "orders_recorded_late": (lag > late_record_hours).astype("int64"),
    })
    return parts.groupby(["seller_id", "day"], as_index=False)[ACTIVITY_COLUMNS].sum()


def refresh_cohorts(conn: Connection, change: FulfilmentChange, settings: Settings) -> int:
    """Move the changed orders' contributions between cohorts (old out, new in); return the cohorts touched."""
    hours = settings.record_latency_hours
    before, after = cohort_contributions(change.before, hours), cohort_contributions(change.after, hours)
    if before.empty and after.empty:
        return 0
    delta = pd.concat([after, before.assign(**{c: -before[c] for c in ACTIVITY_COLUMNS})], ignore_index=True)
    delta = delta.groupby(["seller_id", "day"], as_index=False)[ACTIVITY_COLUMNS].sum()
    days = delta["day"]
    with id_scratch(conn, delta["seller_id"]) as _:
        stored = read_frame(conn, "scorecards/select_cohorts_of_sellers", first_day=min(days), last_day=max(days))
    stored["day"] = stored["day"].map(as_day)
    keys = delta[["seller_id", "day"]]
    stored = stored.merge(keys, on=["seller_id", "day"], how="inner")
    merged = pd.concat([stored, delta], ignore_index=True).groupby(["seller_id", "day"], as_index=False)[
        ACTIVITY_COLUMNS].sum()
    merged[ACTIVITY_COLUMNS] = merged[ACTIVITY_COLUMNS].round().astype("int64")
    pairs = list(keys.itertuples(index=False, name=None))
    stmt = delete(seller_activity_daily).where(
        tuple_(seller_activity_daily.c.seller_id, seller_activity_daily.c.day).in_(bindparam("pairs", expanding=True)))
    for start in range(0, len(pairs), 2000):
        conn.execute(stmt, {"pairs": pairs[start : start + 2000]})
    insert_frame(conn, seller_activity_daily, merged[(merged[ACTIVITY_COLUMNS] != 0).any(axis=1)])
    buyers = change.after[["seller_id", "due_day", "buyer_member_id"]].dropna().drop_duplicates()
    buyers = buyers.rename(columns={"due_day": "day"}).sort_values(["seller_id", "day", "buyer_member_id"])
    buyers = buyers[buyers.groupby(["seller_id", "day"]).cumcount() < settings.scorecard_buyer_sample_cap]
    insert_frame(conn, seller_buyer_daily, buyers, ignore_conflicts=True)
    return len(pairs)



def window_sums(activity: pd.DataFrame, buyers: pd.DataFrame, day: date, settings: Settings) -> pd.DataFrame:
    """Per seller and window ending on `day`: the cohorts' sums and the distinct buyers (from daily frames)."""
    frames = []
    for window in settings.scorecard_windows_days:
        first = day - timedelta(days=window - 1)
        a = activity[(activity["day"] >= first) & (activity["day"] <= day)]
        if a.empty:
            continue
        a = a.assign(**{c: 0 for c in ACTIVITY_COLUMNS if c not in a.columns})
        sums = a.groupby("seller_id")[ACTIVITY_COLUMNS].sum()
        b = buyers[(buyers["day"] >= first) & (buyers["day"] <= day)]
        distinct = b.drop_duplicates(["seller_id", "buyer_member_id"]).groupby("seller_id").size()
        sums["distinct_buyers"] = distinct.reindex(sums.index).fillna(0)
        sums["window_days"] = window
        frames.append(sums.reset_index())
    if not frames:
        return pd.DataFrame(columns=["seller_id", *ACTIVITY_COLUMNS, "distinct_buyers", "window_days"])
    return pd.concat(frames, ignore_index=True)


def window_scorecards(activity: pd.DataFrame, buyers: pd.DataFrame, units: pd.DataFrame, day: date,
                      settings: Settings, history_days: int | None = None,
                      open_breaches: frozenset[tuple[str, str]] = frozenset()) -> pd.DataFrame:
    """Scorecards of every seller active in the longest window, for each window ending on `day`."""
    if history_days is None:
        window = settings.scorecard_breach_window_days
        history_days = activity[activity["day"] >= day - timedelta(days=window - 1)]["day"].nunique()
    return scorecards_from_sums(window_sums(activity, buyers, day, settings), units, day, settings, history_days,
                                open_breaches)


def scorecards_from_sums(sums: pd.DataFrame, units: pd.DataFrame, day: date, settings: Settings,
                         history_days: int, open_breaches: frozenset[tuple[str, str]] = frozenset()
                         ) -> pd.DataFrame:
    """Rates, volume gates and breaches from each seller's window sums; `history_days` monitored in the window.

    Breaches have a tolerance band (hysteresis): a (seller, rule) in `open_breaches` (in breach the day before)
    stays in breach until its bound is back within the threshold by `scorecard_breach_release_band`, so a
    seller hovering at the threshold makes one episode, not one a crossing.
    """
    if sums.empty:
        return pd.DataFrame(columns=[c.name for c in seller_scorecard.columns])
    sc = sums.copy()
    sc["distinct_buyers"] = sc["distinct_buyers"].astype(float).clip(
        upper=settings.scorecard_buyer_sample_cap).astype("int64")
    sc = sc.merge(units, on="seller_id", how="left")
    sc["unit_kind"] = _unit_kind(sc["kind"])
    completed = sc["orders_completed"].replace(0, np.nan)
    delivered = sc["deliveries_delivered"].replace(0, np.nan)
    resolved = sc["deliveries_resolved"].replace(0, np.nan)
    sc["on_time_rate"] = 1.0 - sc["orders_late"] / completed
    sc["quality_defect_rate"] = sc["quality_defects"] / delivered
    sc["seller_cancel_rate"] = sc["seller_cancellations"] / resolved
    sc["volume_ok"] = (
        (sc["deliveries_resolved"] >= _per_kind(settings, "scorecard_min_deliveries", sc["unit_kind"]))
        & (sc["distinct_buyers"] >= _per_kind(settings, "scorecard_min_distinct_buyers", sc["unit_kind"]))
    )
    window = settings.scorecard_breach_window_days
    judged = sc["volume_ok"] & (sc["window_days"] == window) & (history_days >= settings.scorecard_min_history_days)
    breached = []
    for rule, (rate, direction, _value) in SCORECARD_RULES.items():
        limit = _per_kind(settings, _SETTING[rate], sc["unit_kind"])
        # judged on the bad share (late, defective, cancelled) and its lower confidence bound
        bad_share = 1.0 - sc[rate] if direction == "min" else sc[rate]
        bad_limit = 1.0 - limit if direction == "min" else limit
        n = sc[_DENOMINATOR[rate]]
        bound = wilson_lower_bound(bad_share, n, settings.scorecard_breach_confidence_z)
        sc[f"_{rule}_bound"] = (1.0 - bound) if direction == "min" else bound
        was_open = sc["seller_id"].isin({seller for seller, open_rule in open_breaches if open_rule == rule})
        # opens beyond the threshold; once open, closes only back within it by the band
        beyond = bad_limit - np.where(was_open, settings.scorecard_breach_release_band, 0.0)
        sc[f"_{rule}"] = judged & (bound > beyond).fillna(False)
        breached.append(np.where(sc[f"_{rule}"], rule, ""))
    sc["breaches"] = [",".join(x for x in row if x) for row in zip(*breached, strict=True)]
    sc["day"] = day
    return sc


def latency_observations(sums: pd.DataFrame, settings: Settings) -> Observations:
    """Sellers whose delivery records reach the source systematically late, over the judged window."""
    s = sums[sums["window_days"] == settings.scorecard_breach_window_days]
    recorded = s["orders_recorded"].astype(float)
    share = s["orders_recorded_late"] / recorded.where(recorded > 0)
    hit = s[(s["orders_recorded_late"] >= settings.record_latency_min_orders)
            & (share >= settings.record_latency_min_share).fillna(False)]
    if hit.empty:
        return pd.DataFrame(columns=OBSERVATION_COLUMNS)
    evidence = pd.DataFrame({
        "window_days": hit["window_days"].astype("int64"),
        "orders_recorded": hit["orders_recorded"].astype("int64"),
        "orders_recorded_late": hit["orders_recorded_late"].astype("int64"),
        "rate": share[hit.index].round(4),
        "late_after_hours": settings.record_latency_hours,
    }).astype(object)
    return pd.DataFrame({
        "rule": "record_latency",
        "entity_type": "seller",
        "entity_id": hit["seller_id"].astype(str),
        "seller_id": hit["seller_id"],
        "offer_id": None,
        "severity": "warning",
        "impact_rial": 0,
        "evidence": pd.Series(evidence.to_dict("records"), index=hit.index, dtype=object),
    }).reset_index(drop=True)


def breach_observations(scorecards: pd.DataFrame, settings: Settings) -> Observations:
    """One state observation per seller and breached scorecard rule, with the rates as evidence."""
    out = []
    for rule, (rate, direction, value) in SCORECARD_RULES.items():
        if f"_{rule}" not in scorecards.columns:
            continue
        hit = scorecards[scorecards[f"_{rule}"].astype(bool)]
        if hit.empty:
            continue
        limit = _per_kind(settings, _SETTING[rate], hit["unit_kind"])
        evidence = pd.DataFrame({
            "window_days": hit["window_days"].astype("int64"),
            "unit_kind": hit["unit_kind"],
            "rate": hit[rate].round(4),
            "rate_confidence_bound": hit[f"_{rule}_bound"].round(4),
            "threshold": limit.round(4),
            "direction": direction,
            "deliveries_resolved": hit["deliveries_resolved"].astype("int64"),
            "orders_completed": hit["orders_completed"].astype("int64"),
            "orders_late": hit["orders_late"].astype("int64"),
            "quality_defects": hit["quality_defects"].astype("int64"),
            "seller_cancellations": hit["seller_cancellations"].astype("int64"),
            "distinct_buyers": hit["distinct_buyers"].astype("int64"),
        }).astype(object)
        out.append(pd.DataFrame({
            "rule": rule,
            "entity_type": "seller",
            "entity_id": hit["seller_id"].astype(str),
            "seller_id": hit["seller_id"],
            "offer_id": None,
            "severity": "warning",
            "impact_rial": hit[value].astype("int64"),
            "evidence": pd.Series(evidence.to_dict("records"), index=hit.index, dtype=object),
            "buyers_affected": hit["distinct_buyers"].astype("int64"),
        }))
    if not out:
        return pd.DataFrame(columns=[*OBSERVATION_COLUMNS, "buyers_affected"])
    return pd.concat(out, ignore_index=True)


def open_breaches(conn: Connection, day: date, settings: Settings) -> frozenset[tuple[str, str]]:
    """(seller, rule) breached on the judged window the day before `day`: the episodes still open."""
    s = seller_scorecard
    rows = conn.execute(select(s.c.seller_id, s.c.breaches).where(
        s.c.day == day - timedelta(days=1), s.c.window_days == settings.scorecard_breach_window_days,
        s.c.breaches.is_not(None), s.c.breaches != "")).all()
    return frozenset((seller, rule) for seller, breaches in rows for rule in breaches.split(",") if rule)


def staged_history_days(conn: Connection, day: date, window: int) -> int:
    """Days of the window ending on `day` that hold cohorts: staged history counts, not only monitored days.

    The first extraction stages the source's history and the first run builds its cohorts, so scorecards are
    judged from the first monitored day when the source has history (no wait for monitored days); a source
    without history still needs `scorecard_min_history_days` of cohorts. A backlog of orders overdue before
    monitoring began sits in the cohorts of the days those orders fell due, and a breach still needs the
    Wilson bound beyond the threshold (bench/README.md measures both).
    """
    a = seller_activity_daily
    return int(conn.execute(select(func.count(distinct(a.c.day))).where(
        a.c.day >= day - timedelta(days=window - 1), a.c.day <= day)).scalar() or 0)


def update_scorecards(conn: Connection, state: MarketState, checked_days: set[date], settings: Settings
                      ) -> pd.DataFrame:
    """Move the day's changed orders between cohorts, store the day's scorecards, return breach observations."""
    day = state.day.day
    refresh_cohorts(conn, state.fulfilment, settings)
    conn.execute(delete(seller_scorecard).where(seller_scorecard.c.day == day))
    frames = []
    for window in settings.scorecard_windows_days:
        params = {"first_day": day - timedelta(days=window - 1), "last_day": day}
        sums = read_frame(conn, "scorecards/select_window_sums", **params)
        buyers = read_frame(conn, "scorecards/select_window_buyers", **params)
        sums = sums.merge(buyers, on="seller_id", how="left")
        sums["distinct_buyers"] = sums["distinct_buyers"].fillna(0)
        frames.append(sums.assign(window_days=window))
    sums = pd.concat(frames, ignore_index=True)
    for column in ACTIVITY_COLUMNS:
        sums[column] = pd.to_numeric(sums[column]).fillna(0).astype("int64")
    window = settings.scorecard_breach_window_days
    history_days = staged_history_days(conn, day, window)
    units = state.sellers[["seller_id", "unit_id"]].merge(
        read_frame(conn, "routing/select_units_on_day", day=day)[["unit_id", "kind"]],
        on="unit_id", how="left",
    )[["seller_id", "kind"]]
    sc = scorecards_from_sums(sums, units, day, settings, history_days, open_breaches(conn, day, settings))
    if not sc.empty:
        sc["day"] = day
        insert_frame(conn, seller_scorecard, sc)
    parts = [breach_observations(sc, settings)]
    # how records reach the source is learnt by watching it: record latency waits for monitored days (the
    # history staged at once by the first extraction says nothing of it)
    monitored_days = len({d for d in checked_days | {day} if day - timedelta(days=window - 1) <= d <= day})
    if monitored_days >= settings.scorecard_min_history_days:
        parts.append(latency_observations(sums, settings))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else breach_observations(sc, settings)


def scorecard_trend(conn: Connection, seller_id: str, window_days: int) -> pd.DataFrame:
    """A seller's stored scorecards of one window, day by day (for drawing trends)."""
    frame = read_frame(conn, "scorecards/select_seller_trend", seller_id=seller_id, window_days=window_days)
    return frame
