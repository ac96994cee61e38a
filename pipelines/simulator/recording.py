"""Late recording: events that reach the marketplace's records hours or days after they happen.

A courier's scan may reach Ombazar late. The simulator keeps two
instants for each event of a delivery: when it happened (the value of `shipped_at` or `delivered_at`, and
the truth's `day`) and when the source records it (the `updated_at` of the version that carries it; before
then `World.marketplace_as_of` does not show that version).

- a share `late_recording_share` of all deliveries is recorded 1-72 h late (uniform);
- every delivery of a share `late_recorder_seller_share` of the sellers is recorded 48-96 h late.

The lag L of a delivery delays its `shipped` and `delivered` events by L. A cancellation has no timestamp
of its own in the contract (its record is all that dates it), so it is never recorded late here: a late
record of it could not be told from a late cancellation, by Rasad or by anyone reading the source. What
follows a delivery (the inspection's grade, the rating or complaint, the return) is recorded when it
happens, but never before the delivered version: when it happened earlier, it arrives with that version.
A buyer's cancellation is made on the marketplace itself and is recorded at once. So a delivery's versions
keep their order, and each later version's `updated_at` is past the one before.

Ground truth: every delivery-level and order-level truth row gets `recorded_late_hours` in its detail (how
late the source showed the event the row is about; 0 when prompt; for an order, the largest lag of its
deliveries), and an internal `recorded_ns` (when the row becomes observable). Two kinds are added: one
`late_recorder_seller` row per always-late seller, and one `late_recording` row per delivery whose
shipped or delivered event was recorded late (not a fault, like `timing_confounder`).
The truth's `day` stays the Tehran day of the event; the lag never makes an order overdue in truth,
since the truth reads the instants events happened.

The lags come from their own random streams, so with both shares 0 the world is the one without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.simulator.clock import NEVER, NS_HOUR
from pipelines.simulator.faults import _iso, _truth
from pipelines.simulator.market import SimState

LAG_HOURS = (1, 72)  # a late-recorded delivery of any seller
LATE_RECORDER_LAG_HOURS = (48, 96)  # every delivery of a late-recorder seller
_MIN = np.iinfo(np.int64).min
_RECORDED_EVENTS = ("shipped_ns", "delivered_ns", "cancel_ns", "returned_ns", "quality_ns", "feedback_ns")


def delivery_sellers(state: SimState) -> np.ndarray:
    """The seller (position) of each delivery."""
    offer_idx = state.orders["offer_idx"].to_numpy()[state.deliveries["order_idx"].to_numpy()]
    return state.offers["seller_idx"].to_numpy()[offer_idx]


def draw_lags(
    state: SimState, rng_deliveries: np.random.Generator, rng_sellers: np.random.Generator, share: float,
    seller_share: float,
) -> np.ndarray:
    """Set `record_lag` (ns, 0: prompt) on every delivery; return the positions of the late-recorder sellers.

    The same draws are made whatever the shares, so a larger share adds late deliveries to a smaller one's.
    """
    d = state.deliveries
    m = len(d)
    if share <= 0 and seller_share <= 0:
        d["record_lag"] = np.zeros(m, dtype=np.int64)
        return np.zeros(0, dtype=np.int64)
    late_seller = rng_sellers.random(len(state.sellers)) < seller_share
    u = rng_deliveries.random(m)
    lag_any = rng_deliveries.integers(LAG_HOURS[0] * 3600, LAG_HOURS[1] * 3600, m, endpoint=True)
    lo, hi = LATE_RECORDER_LAG_HOURS
    lag_seller = rng_deliveries.integers(lo * 3600, hi * 3600, m, endpoint=True)
    seconds = np.where(late_seller[delivery_sellers(state)], lag_seller, np.where(u < share, lag_any, 0))
    d["record_lag"] = seconds.astype(np.int64) * 10**9
    return np.flatnonzero(late_seller)


def recording_times(state: SimState, event_times: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """When the source records each event of each delivery (NEVER: the event does not happen).

    `event_times` holds `quality_ns` and `feedback_ns` (see `market.delivery_event_times`)."""
    d = state.deliveries
    lag = d["record_lag"].to_numpy() if "record_lag" in d else np.zeros(len(d), dtype=np.int64)

    def delayed(ns: np.ndarray, applies: np.ndarray | bool = True) -> np.ndarray:
        return np.where((ns == NEVER) | ~np.asarray(applies, dtype=bool), ns, ns + lag).astype(np.int64)

    shipped = delayed(d["shipped_ns"].to_numpy())
    delivered = delayed(d["delivered_ns"].to_numpy())
    # a cancellation carries no time of its own in the contract: its record is its time (never lagged)
    cancel = d["cancel_ns"].to_numpy().astype(np.int64)
    floor = np.where(delivered == NEVER, _MIN, delivered)

    def after_delivery(ns: np.ndarray) -> np.ndarray:
        return np.where(ns == NEVER, NEVER, np.maximum(ns, floor)).astype(np.int64)

    return {
        "shipped_ns": shipped,
        "delivered_ns": delivered,
        "cancel_ns": cancel,
        "returned_ns": after_delivery(d["returned_ns"].to_numpy()),
        "quality_ns": after_delivery(event_times["quality_ns"]),
        "feedback_ns": after_delivery(event_times["feedback_ns"]),
    }


def _hours(ns: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(ns, dtype=np.int64) / NS_HOUR, 2)


def annotate_truth(
    state: SimState, truth: pd.DataFrame, event_times: dict[str, np.ndarray], late_sellers: np.ndarray
) -> pd.DataFrame:
    """The truth with `recorded_ns` and `recorded_late_hours`, plus the late-recording kinds."""
    d, od = state.deliveries, state.orders
    rec = recording_times(state, event_times)
    at = truth["at_ns"].to_numpy()
    recorded = at.copy()
    late_hours = np.zeros(len(truth))

    # a delivery's truth instant is one of its events: it is recorded when that event is
    pos = pd.Series(np.arange(len(d)), index=d["delivery_id"].to_numpy())
    is_delivery = (truth["entity"] == "delivery").to_numpy()
    i = pos.reindex(truth["entity_id"].to_numpy()[is_delivery]).to_numpy()
    assert not np.isnan(i).any()
    i = i.astype(np.int64)
    a = at[is_delivery]
    floor = np.where(rec["delivered_ns"][i] == NEVER, _MIN, rec["delivered_ns"][i])
    r = np.where(
        a == d["shipped_ns"].to_numpy()[i],
        rec["shipped_ns"][i],
        np.where(a == d["cancel_ns"].to_numpy()[i], rec["cancel_ns"][i], np.maximum(a, floor)),
    )
    recorded[is_delivery] = r
    late_hours[is_delivery] = _hours(r - a)

    # an order is observable when its deadline passes (the truth reads what happened); its lag is the
    # largest with which one of its deliveries' events reached the source
    lag = d["record_lag"].to_numpy()
    happens = (d["shipped_ns"].to_numpy() != NEVER) | (d["delivered_ns"].to_numpy() != NEVER)
    order_lag = np.zeros(len(od), dtype=np.int64)
    np.maximum.at(order_lag, d["order_idx"].to_numpy(), np.where(happens, lag, 0))
    opos = pd.Series(np.arange(len(od)), index=od["order_id"].to_numpy())
    is_order = (truth["entity"] == "order").to_numpy()
    oi = opos.reindex(truth["entity_id"].to_numpy()[is_order]).to_numpy()
    assert not np.isnan(oi).any()
    oi = oi.astype(np.int64)
    late_hours[is_order] = _hours(order_lag[oi])

    out = truth.copy()
    out["recorded_ns"] = recorded
    with_lag = is_delivery | is_order
    out["detail"] = [
        {**det, "recorded_late_hours": float(h)} if w else det
        for det, h, w in zip(out["detail"], late_hours, with_lag, strict=True)
    ]
    if not (d["record_lag"].to_numpy() > 0).any() and not len(late_sellers):
        return out
    return pd.concat([out, _late_recording_rows(state, late_sellers)], ignore_index=True)


def _late_recording_rows(state: SimState, late_sellers: np.ndarray) -> pd.DataFrame:
    d, od = state.deliveries, state.orders
    lag = d["record_lag"].to_numpy()
    seller = delivery_sellers(state)
    is_late_seller = np.zeros(len(state.sellers), dtype=bool)
    is_late_seller[late_sellers] = True
    shipped, delivered = (d[k].to_numpy() for k in ("shipped_ns", "delivered_ns"))
    event = np.select([delivered != NEVER, shipped != NEVER], ["delivered", "shipped"], "")
    at = np.where(event == "delivered", delivered, shipped)
    idx = np.flatnonzero((lag > 0) & (event != ""))
    seller_ids = state.sellers["seller_id"].to_numpy()
    details = [
        {
            "order_id": o,
            "seller_id": s,
            "event": e,
            "event_at": ea,
            "recorded_at": ra,
            "recorded_late_hours": float(h),
            "late_recorder_seller": bool(ls),
        }
        for o, s, e, ea, ra, h, ls in zip(
            od["order_id"].to_numpy()[d["order_idx"].to_numpy()[idx]],
            seller_ids[seller[idx]],
            event[idx],
            _iso(at[idx]),
            _iso(at[idx] + lag[idx]),
            _hours(lag[idx]),
            is_late_seller[seller[idx]],
            strict=True,
        )
    ]
    rows = _truth("late_recording", "delivery", d["delivery_id"].to_numpy()[idx], at[idx], details)
    rows["recorded_ns"] = at[idx] + lag[idx]

    deliveries = np.bincount(seller, minlength=len(state.sellers))
    since = np.maximum(state.sellers["joined_ns"].to_numpy()[late_sellers], state.start_ns)
    lo, hi = LATE_RECORDER_LAG_HOURS
    sellers = _truth(
        "late_recorder_seller",
        "seller",
        seller_ids[late_sellers],
        since,
        [{"lag_hours_min": lo, "lag_hours_max": hi, "deliveries": int(n)} for n in deliveries[late_sellers]],
    )
    sellers["recorded_ns"] = since
    return pd.concat([rows, sellers], ignore_index=True)
