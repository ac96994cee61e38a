"""Seller scorecards: rolling on-time, quality-defect and seller-cancel rates, stored per day.

Built incrementally and whole-column. Each day adds one row of aggregates per seller that did
business that day (`seller_activity_daily`) and its buyers (`seller_buyer_daily`, capped); a window's
rates are sums over the window's days. So the cost of a day is one pass over that day's deliveries
plus a group-by over sellers × window days, whatever the window.

Definitions (a seller's window W, of the last `w` Tehran days up to D):
- on_time_rate = 1 - orders completed late / orders completed (an order is completed, and late or not,
  by the delivery that completes its quantity: see `order_completions`);
- quality_defect_rate = quality defects that became visible in W / deliveries delivered in W;
- seller_cancel_rate = deliveries cancelled by the seller in W / deliveries resolved in W (delivered or
  cancelled by the seller).
A rate counts only when the seller has at least the minimum resolved deliveries AND distinct buyers in
W (per unit kind: cores and suppliers differ). A breach on the judged window
(`scorecard_breach_window_days`) is an observation of its own: a state rule on the seller.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete

from pipelines.checks import OBSERVATION_COLUMNS, Observations
from pipelines.checks.on_time import order_completions
from pipelines.checks.tables import seller_activity_daily, seller_buyer_daily, seller_scorecard
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings
from pipelines.state.market import MarketState
from pipelines.store.engine import insert_frame
from pipelines.store.sql_files import read_frame

ACTIVITY_COLUMNS = [
    "deliveries_resolved", "deliveries_delivered", "orders_completed", "orders_late", "quality_defects",
    "seller_cancellations", "late_value_rial", "defect_value_rial", "cancel_value_rial",
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


def day_activity(state: MarketState, observations: pd.DataFrame, settings: Settings
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One day's aggregates per seller, and its (seller, buyer) pairs, from the day's state and observations."""
    day: MonitoredDay = state.day
    grace = pd.Timedelta(hours=settings.late_grace_hours)
    orders = state.orders.merge(state.offers[["offer_id", "seller_id"]], on="offer_id", how="left")
    order_info = orders[["order_id", "seller_id", "buyer_member_id", "unit_price_rial", "quantity"]]
    d = state.deliveries
    delivered = d[d["delivered_at"].notna() & (d["delivered_at"] >= day.start) & (d["delivered_at"] < day.end)
                  & d["status"].isin(("delivered", "returned"))]
    delivered = delivered[["delivery_id", "order_id"]].merge(order_info, on="order_id", how="inner")

    done = order_completions(d[d["order_id"].isin(delivered["order_id"])], state.orders, day.end, grace)
    done = done[(done["completed_at"] >= day.start) & (done["completed_at"] < day.end)]
    done = done.merge(order_info, on="order_id", how="inner")
    done["late_value_rial"] = np.where(done["late"], done["quantity"] * done["unit_price_rial"], 0.0)

    links = state.delivery_versions[["delivery_id", "order_id"]].drop_duplicates("delivery_id")
    links = pd.concat([links, d[["delivery_id", "order_id"]]]).drop_duplicates("delivery_id")

    def events(rule: str) -> pd.DataFrame:
        o = observations[observations["rule"] == rule][["entity_id", "seller_id", "impact_rial"]]
        o = o.rename(columns={"entity_id": "delivery_id"}).merge(links, on="delivery_id", how="left")
        return o.merge(order_info[["order_id", "buyer_member_id"]], on="order_id", how="left")

    defects, cancels = events("quality_defect"), events("seller_cancellation")

    def per_seller(frame: pd.DataFrame, column: str, how: str = "size", value: str | None = None) -> pd.Series:
        g = frame.groupby("seller_id")
        return (g.size() if how == "size" else g[value].sum()).rename(column)

    parts = [
        per_seller(delivered, "deliveries_delivered"),
        per_seller(done, "orders_completed"),
        done.groupby("seller_id")["late"].sum().rename("orders_late"),
        per_seller(done, "late_value_rial", "sum", "late_value_rial"),
        per_seller(defects, "quality_defects"),
        per_seller(defects, "defect_value_rial", "sum", "impact_rial"),
        per_seller(cancels, "seller_cancellations"),
        per_seller(cancels, "cancel_value_rial", "sum", "impact_rial"),
    ]
    activity = pd.concat(parts, axis=1).fillna(0)
    for column in ACTIVITY_COLUMNS:
        if column not in activity.columns:
            activity[column] = 0
    activity["deliveries_resolved"] = activity["deliveries_delivered"] + activity["seller_cancellations"]
    activity = activity[ACTIVITY_COLUMNS].round().astype("int64").rename_axis("seller_id").reset_index()
    activity = activity[activity["seller_id"].notna()]
    activity.insert(1, "day", day.day)

    buyers = pd.concat([
        delivered[["seller_id", "buyer_member_id"]], cancels[["seller_id", "buyer_member_id"]],
    ]).dropna().drop_duplicates()
    buyers = buyers.sort_values(["seller_id", "buyer_member_id"])
    buyers = buyers[buyers.groupby("seller_id").cumcount() < settings.scorecard_buyer_sample_cap]
    buyers.insert(1, "day", day.day)
    return activity.reset_index(drop=True), buyers.reset_index(drop=True)


def window_scorecards(activity: pd.DataFrame, buyers: pd.DataFrame, units: pd.DataFrame, day: date,
                      settings: Settings) -> pd.DataFrame:
    """Scorecards of every seller active in the longest window, for each window ending on `day`."""
    frames = []
    for window in settings.scorecard_windows_days:
        first = day - timedelta(days=window - 1)
        a = activity[(activity["day"] >= first) & (activity["day"] <= day)]
        if a.empty:
            continue
        sums = a.groupby("seller_id")[ACTIVITY_COLUMNS].sum()
        b = buyers[(buyers["day"] >= first) & (buyers["day"] <= day)]
        distinct = b.drop_duplicates(["seller_id", "buyer_member_id"]).groupby("seller_id").size()
        sums["distinct_buyers"] = distinct.reindex(sums.index).fillna(0).clip(
            upper=settings.scorecard_buyer_sample_cap).astype("int64")
        sums["window_days"] = window
        frames.append(sums.reset_index())
    if not frames:
        return pd.DataFrame(columns=[c.name for c in seller_scorecard.columns])
    sc = pd.concat(frames, ignore_index=True)
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
    history_days = activity[activity["day"] >= day - timedelta(days=window - 1)]["day"].nunique()
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
        sc[f"_{rule}"] = judged & (bound > bad_limit).fillna(False)
        breached.append(np.where(sc[f"_{rule}"], rule, ""))
    sc["breaches"] = [",".join(x for x in row if x) for row in zip(*breached, strict=True)]
    sc["day"] = day
    return sc


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


def update_scorecards(conn: Connection, state: MarketState, observations: pd.DataFrame, settings: Settings
                      ) -> pd.DataFrame:
    """Store the day's activity and scorecards (replacing a re-run's) and return breach observations."""
    day = state.day.day
    activity, buyers = day_activity(state, observations, settings)
    for table in (seller_activity_daily, seller_buyer_daily, seller_scorecard):
        conn.execute(delete(table).where(table.c.day == day))
    insert_frame(conn, seller_activity_daily, activity)
    insert_frame(conn, seller_buyer_daily, buyers)
    longest = max(settings.scorecard_windows_days)
    params = {"first_day": day - timedelta(days=longest - 1), "last_day": day}
    history = read_frame(conn, "scorecards/select_activity_window", **params)
    history_buyers = read_frame(conn, "scorecards/select_buyers_window", **params)
    for frame in (history, history_buyers):
        frame["day"] = frame["day"].map(lambda v: v if isinstance(v, date) else date.fromisoformat(str(v)[:10]))
    units = state.sellers[["seller_id", "unit_id"]].merge(
        read_frame(conn, "routing/select_units_on_day", day=day)[
            ["unit_id", "kind"]],
        on="unit_id", how="left",
    )[["seller_id", "kind"]]
    sc = window_scorecards(history, history_buyers, units, day, settings)
    if not sc.empty:
        insert_frame(conn, seller_scorecard, sc)
    return breach_observations(sc, settings)


def scorecard_trend(conn: Connection, seller_id: str, window_days: int) -> pd.DataFrame:
    """A seller's stored scorecards of one window, day by day (for drawing trends)."""
    frame = read_frame(conn, "scorecards/select_seller_trend", seller_id=seller_id, window_days=window_days)
    return frame
