"""A simulated world: the organisation, the marketplace's full event history, and the ground truth.

The world is generated once from (seed, days, end_day, scale). `marketplace_as_of(t)` then reads the
history as it stood at instant t, so successive calls at increasing t tell one consistent story. A version
of a row is visible at t when its `updated_at` <= t; an event recorded late (`recording.py`) is invisible
until it is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.simulator import faults as faults_mod
from pipelines.simulator.clock import NEVER, TZ, tehran_days, tehran_midnight_ns, to_ns, to_utc_series
from pipelines.simulator.divisions import load_divisions
from pipelines.simulator.market import (
    SimState,
    build_catalogue,
    build_deliveries,
    build_orders,
    delivery_event_times,
)
from pipelines.simulator.organisation import build_organisation
from pipelines.simulator.recording import annotate_truth, draw_lags, recording_times
from pipelines.simulator.taxonomy import load_taxonomy

MARKETPLACE_COLUMNS = {
    "sellers": ["seller_id", "unit_id", "display_name", "joined_at", "updated_at"],
    "offers": [
        "offer_id",
        "seller_id",
        "title",
        "category_code",
        "unit",
        "unit_price_rial",
        "nesieh_months",
        "nesieh_unit_price_rial",
        "promised_quality",
        "promised_lead_days",
        "stock_qty",
        "status",
        "created_at",
        "updated_at",
    ],
    "orders": [
        "order_id",
        "offer_id",
        "buyer_member_id",
        "quantity",
        "unit_price_rial",
        "payment",
        "ordered_at",
        "promised_at",
        "updated_at",
    ],
    "deliveries": [
        "delivery_id",
        "order_id",
        "status",
        "shipped_at",
        "delivered_at",
        "delivered_qty",
        "received_quality",
        "buyer_rating",
        "complaint",
        "returned_qty",
        "updated_at",
    ],
}
TRUTH_OUTPUT_COLUMNS = ["kind", "entity", "entity_id", "day", "detail"]
_MIN = np.iinfo(np.int64).min


@dataclass(frozen=True)
class SimScale:
    sellers_per_province: int = 12  # total sellers ~ 31*12
    offers_per_seller: int = 4
    orders_per_day: int = 800
    members: int = 3000  # the organisation's members (ref.member); buyers are drawn from them
    units_per_province: int | None = None  # cores and suppliers; None: sellers_per_province + 2
    # late recording (recording.py): the share of deliveries whose shipped or delivered event reaches the
    # source 1-72 h after it happens, and the share of sellers whose deliveries all do, 48-96 h after
    late_recording_share: float = 0.1
    late_recorder_seller_share: float = 0.03


def _rng(seed: int, tag: str) -> np.random.Generator:
    """An independent stream per component, so adding a fault kind does not reshuffle the others."""
    return np.random.default_rng([seed, zlib.crc32(tag.encode())])


def _last_per_entity(entity: np.ndarray, at: np.ndarray, t_ns: int, n_entities: int):
    """For events sorted by (entity, at): position of each entity's last event at or before t (-1: none)."""
    pos = np.flatnonzero(at <= t_ns)
    ent = entity[pos]
    is_last = np.r_[ent[1:] != ent[:-1], True] if len(ent) else np.zeros(0, dtype=bool)
    out = np.full(n_entities, -1, dtype=np.int64)
    out[ent[is_last]] = pos[is_last]
    return out


def _nullable_str(values: np.ndarray, visible: np.ndarray) -> pd.Series:
    v = np.asarray(values, dtype=object).copy()
    v[~visible] = None
    v[pd.isna(v)] = None
    return pd.Series(v, dtype="str")


def _nullable_int(values: np.ndarray, visible: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(visible, dtype=bool))


class World:
    """Read-only once built. Use `build_world` to make one."""

    def __init__(
        self,
        *,
        seed: int,
        days: int,
        end_day: dt.date,
        scale: SimScale,
        ref: dict[str, pd.DataFrame],
        state: SimState,
        truth: pd.DataFrame,
    ):
        self.seed, self.days, self.end_day, self.scale = seed, days, end_day, scale
        self.start_day = end_day - dt.timedelta(days=days)
        self.start = pd.Timestamp(self.start_day.isoformat(), tz=TZ).tz_convert("UTC")
        self.end = pd.Timestamp(end_day.isoformat(), tz=TZ).tz_convert("UTC")
        self._ref = ref
        self._state = state
        self._truth = truth
        self._prepare()

    # ------------------------------------------------------------------ precomputation
    def _prepare(self) -> None:
        s = self._state
        sel, off, od, d = s.sellers, s.offers, s.orders, s.deliveries
        self._sel = {k: sel[k].to_numpy() for k in ("seller_id", "unit_id", "display_name", "joined_ns")}
        self._off = {
            k: off[k].to_numpy()
            for k in (
                "offer_id",
                "title",
                "category_code",
                "unit",
                "nesieh_months",
                "promised_quality",
                "promised_lead_days",
                "stock_qty",
                "created_ns",
            )
        }
        self._off["seller_id"] = self._sel["seller_id"][off["seller_idx"].to_numpy()]
        pe, se = s.price_events, s.status_events
        self._pe = {k: pe[k].to_numpy() for k in ("offer_idx", "at", "price", "nesieh_price")}
        self._se = {k: se[k].to_numpy() for k in ("offer_idx", "at", "status")}
        self._od = {
            k: od[k].to_numpy()
            for k in (
                "order_id",
                "buyer_member_id",
                "quantity",
                "unit_price_rial",
                "payment",
                "ordered_ns",
                "promised_ns",
            )
        }
        self._od["offer_id"] = self._off["offer_id"][od["offer_idx"].to_numpy()]
        times = delivery_event_times(s)
        oi = d["order_idx"].to_numpy()
        self._dl = {
            k: d[k].to_numpy()
            for k in (
                "delivery_id",
                "qty",
                "shipped_ns",
                "delivered_ns",
                "cancel_ns",
                "cancel_status",
                "returned_ns",
                "returned_qty",
                "received_quality",
                "rating",
                "complaint",
            )
        }
        self._dl["order_id"] = self._od["order_id"][oi]
        self._dl["created_ns"] = self._od["ordered_ns"][oi]
        self._dl["quality_ns"] = times["quality_ns"]
        self._dl["feedback_ns"] = times["feedback_ns"]
        # when the source records each event: a version is visible from then on, and that is its updated_at
        for k, v in recording_times(s, times).items():
            self._dl["recorded_" + k] = v
        # sorting key for stable output: all frames keep generation order (ids ascending)

    # ------------------------------------------------------------------ the organisation
    def reference_tables(self) -> dict[str, pd.DataFrame]:
        return {k: v.copy() for k, v in self._ref.items()}

    # ------------------------------------------------------------------ the marketplace at an instant
    def marketplace_as_of(self, t: dt.datetime | pd.Timestamp) -> dict[str, pd.DataFrame]:
        tn = to_ns(t)
        return {
            "sellers": self._sellers_at(tn),
            "offers": self._offers_at(tn),
            "orders": self._orders_at(tn),
            "deliveries": self._deliveries_at(tn),
        }

    def _sellers_at(self, tn: int) -> pd.DataFrame:
        s = self._sel
        m = s["joined_ns"] <= tn
        joined = to_utc_series(s["joined_ns"][m])
        return pd.DataFrame(
            {
                "seller_id": pd.Series(s["seller_id"][m], dtype="str"),
                "unit_id": pd.Series(s["unit_id"][m], dtype="str"),
                "display_name": pd.Series(s["display_name"][m], dtype="str"),
                "joined_at": joined,
                "updated_at": joined.copy(),
            }
        )[MARKETPLACE_COLUMNS["sellers"]]

    def _offers_at(self, tn: int) -> pd.DataFrame:
        o, pe, se = self._off, self._pe, self._se
        n = len(o["offer_id"])
        m = o["created_ns"] <= tn
        lp = _last_per_entity(pe["offer_idx"], pe["at"], tn, n)[m]
        ls = _last_per_entity(se["offer_idx"], se["at"], tn, n)[m]
        assert (lp >= 0).all() and (ls >= 0).all()
        months = o["nesieh_months"][m]
        has_n = months > 0
        nesieh_price = pe["nesieh_price"][lp]
        return pd.DataFrame(
            {
                "offer_id": pd.Series(o["offer_id"][m], dtype="str"),
                "seller_id": pd.Series(o["seller_id"][m], dtype="str"),
                "title": pd.Series(o["title"][m], dtype="str"),
                "category_code": pd.Series(o["category_code"][m], dtype="str"),
                "unit": pd.Series(o["unit"][m], dtype="str"),
                "unit_price_rial": pe["price"][lp].astype(np.int64),
                "nesieh_months": _nullable_int(months, has_n),
                "nesieh_unit_price_rial": _nullable_int(nesieh_price, has_n),
                "promised_quality": pd.Series(o["promised_quality"][m], dtype="str"),
                "promised_lead_days": o["promised_lead_days"][m].astype(np.int64),
                "stock_qty": o["stock_qty"][m].astype(float),
                "status": pd.Series(se["status"][ls], dtype="str"),
                "created_at": to_utc_series(o["created_ns"][m]),
                "updated_at": to_utc_series(np.maximum(pe["at"][lp], se["at"][ls])),
            }
        )[MARKETPLACE_COLUMNS["offers"]]

    def _orders_at(self, tn: int) -> pd.DataFrame:
        o = self._od
        m = o["ordered_ns"] <= tn
        ordered = to_utc_series(o["ordered_ns"][m])
        return pd.DataFrame(
            {
                "order_id": pd.Series(o["order_id"][m], dtype="str"),
                "offer_id": pd.Series(o["offer_id"][m], dtype="str"),
                "buyer_member_id": pd.Series(o["buyer_member_id"][m], dtype="str"),
                "quantity": o["quantity"][m].astype(float),
                "unit_price_rial": o["unit_price_rial"][m].astype(np.int64),
                "payment": pd.Series(o["payment"][m], dtype="str"),
                "ordered_at": ordered,
                "promised_at": to_utc_series(o["promised_ns"][m]),
                "updated_at": ordered.copy(),
            }
        )[MARKETPLACE_COLUMNS["orders"]]

    def _deliveries_at(self, tn: int) -> pd.DataFrame:
        d = self._dl
        m = d["created_ns"] <= tn
        g = {k: v[m] for k, v in d.items()}
        events = ("shipped_ns", "delivered_ns", "cancel_ns", "returned_ns", "quality_ns", "feedback_ns")
        vis = {k: g["recorded_" + k] <= tn for k in events}
        status = np.select(
            [vis["cancel_ns"], vis["returned_ns"], vis["delivered_ns"], vis["shipped_ns"]],
            [g["cancel_status"], "returned", "delivered", "shipped"],
            "pending",
        ).astype(object)
        times = np.stack([g["created_ns"]] + [np.where(vis[k], g["recorded_" + k], _MIN) for k in vis])
        rating = g["rating"]
        show_rating = vis["feedback_ns"] & (rating > 0)
        return pd.DataFrame(
            {
                "delivery_id": pd.Series(g["delivery_id"], dtype="str"),
                "order_id": pd.Series(g["order_id"], dtype="str"),
                "status": pd.Series(status, dtype="str"),
                "shipped_at": to_utc_series(np.where(vis["shipped_ns"], g["shipped_ns"], NEVER)),
                "delivered_at": to_utc_series(np.where(vis["delivered_ns"], g["delivered_ns"], NEVER)),
                "delivered_qty": np.where(vis["delivered_ns"], g["qty"], np.nan),
                "received_quality": _nullable_str(g["received_quality"], vis["quality_ns"]),
                "buyer_rating": _nullable_int(rating, show_rating),
                "complaint": _nullable_str(g["complaint"], vis["feedback_ns"]),
                "returned_qty": np.where(vis["returned_ns"], g["returned_qty"], np.nan),
                "updated_at": to_utc_series(times.max(axis=0)),
            }
        )[MARKETPLACE_COLUMNS["deliveries"]]

    # ------------------------------------------------------------------ ground truth
    def truth(self, up_to: dt.datetime | pd.Timestamp | None = None) -> pd.DataFrame:
        """The truth observable by `up_to` (recorded at the source by then); `day` is the day it happened."""
        t = self._truth
        if up_to is not None:
            t = t[t["recorded_ns"] <= to_ns(up_to)]
        return t[TRUTH_OUTPUT_COLUMNS].reset_index(drop=True)

    def truth_with_instants(self) -> pd.DataFrame:
        """The truth with `observable_at` (UTC), the instant the fault becomes visible at the source, and
        `happened_at`, the instant it happened (later than it only when recorded late)."""
        t = self._truth.copy()
        t["observable_at"] = to_utc_series(t["recorded_ns"].to_numpy(), index=t.index)
        t["happened_at"] = to_utc_series(t["at_ns"].to_numpy(), index=t.index)
        return t.drop(columns=["at_ns", "recorded_ns"]).reset_index(drop=True)


def build_world(seed: int, days: int, end_day: dt.date, scale: SimScale = SimScale()) -> World:
    """Generate the organisation, the marketplace history over the Tehran days [end_day - days, end_day),
    and the faults injected into it, once, deterministically from the arguments."""
    if days < 1:
        raise ValueError("days must be at least 1")
    for share in (scale.late_recording_share, scale.late_recorder_seller_share):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"a late-recording share must lie in [0, 1], not {share}")
    start_day = end_day - dt.timedelta(days=days)
    start_ns, end_ns = tehran_midnight_ns(start_day), tehran_midnight_ns(end_day)

    org = build_organisation(
        _rng(seed, "organisation"),
        start_day,
        scale.sellers_per_province,
        units_per_province=scale.units_per_province,
        members=scale.members,
    )
    capitals = dict(
        zip(
            load_divisions().provinces["province_id"],
            load_divisions().provinces["capital_name_fa"],
            strict=True,
        )
    )
    state = build_catalogue(
        _rng(seed, "catalogue"),
        org.units,
        load_taxonomy().sub_branches,
        capitals,
        start_ns,
        end_ns,
        scale.offers_per_seller,
    )
    truth_parts = []
    for f in faults_mod.FAULTS:
        if f.stage == "offers":
            truth_parts.append(f.apply(state, _rng(seed, "fault:" + f.name)))
    _price_nesieh(state)
    build_orders(_rng(seed, "orders"), state, days, start_day, scale.orders_per_day, scale.members)
    _price_orders(state)
    build_deliveries(_rng(seed, "deliveries"), state)
    for f in faults_mod.FAULTS:
        if f.stage == "deliveries":
            truth_parts.append(f.apply(state, _rng(seed, "fault:" + f.name)))
    truth = pd.concat(truth_parts, ignore_index=True)
    truth = pd.concat([truth, faults_mod.consequences(state, truth)], ignore_index=True)
    # late recording touches no event, only when the source shows it: its own streams, drawn last
    late_sellers = draw_lags(
        state,
        _rng(seed, "recording:deliveries"),
        _rng(seed, "recording:sellers"),
        scale.late_recording_share,
        scale.late_recorder_seller_share,
    )
    truth = annotate_truth(state, truth, delivery_event_times(state), late_sellers)
    return World(
        seed=seed,
        days=days,
        end_day=end_day,
        scale=scale,
        ref=org.tables,
        state=state,
        truth=_finish_truth(truth),
    )


def _price_nesieh(state: SimState) -> None:
    """The nesieh unit price of each price event: cash price plus the offer's monthly markup."""
    pe, o = state.price_events, state.offers
    oi = pe["offer_idx"].to_numpy()
    months = o["nesieh_months"].to_numpy()[oi]
    markup = o["nesieh_markup"].to_numpy()[oi]
    price = pe["price"].to_numpy()
    nesieh = np.round(price * (1 + markup * months) / 1000) * 1000
    pe["nesieh_price"] = np.where(months > 0, np.maximum(nesieh, price), 0).astype(np.int64)


def _price_orders(state: SimState) -> None:
    """An order pays the offer's price at the moment it was placed (the nesieh price on nesieh)."""
    od = state.orders
    q = pd.DataFrame(
        {
            "offer_idx": od["offer_idx"].to_numpy(),
            "at": od["ordered_ns"].to_numpy(),
            "pos": np.arange(len(od)),
        }
    ).sort_values("at", kind="stable")
    ev = state.price_events[["offer_idx", "at", "price", "nesieh_price"]].sort_values("at", kind="stable")
    mg = pd.merge_asof(q, ev, on="at", by="offer_idx", direction="backward")
    cash = np.zeros(len(od), dtype=np.int64)
    nes = np.zeros(len(od), dtype=np.int64)
    cash[mg["pos"].to_numpy()] = mg["price"].to_numpy().astype(np.int64)
    nes[mg["pos"].to_numpy()] = mg["nesieh_price"].to_numpy().astype(np.int64)
    od["unit_price_rial"] = np.where(od["payment"].to_numpy() == "nesieh", nes, cash)
    assert (od["unit_price_rial"].to_numpy() > 0).all()


def _finish_truth(truth: pd.DataFrame) -> pd.DataFrame:
    truth = truth.copy()
    truth["day"] = tehran_days(truth["at_ns"].to_numpy())
    truth["detail"] = [
        json.dumps(_clean_json(x), ensure_ascii=False, sort_keys=True, allow_nan=False)
        for x in truth["detail"]
    ]
    truth = truth.sort_values(["at_ns", "kind", "entity_id"], kind="stable").reset_index(drop=True)
    return truth[["kind", "entity", "entity_id", "day", "detail", "at_ns", "recorded_ns"]]


def _clean_json(x):
    """Plain JSON values: numpy scalars to Python, NaN to null."""
    if isinstance(x, dict):
        return {str(k): _clean_json(v) for k, v in x.items()}
    if isinstance(x, list | tuple | np.ndarray):
        return [_clean_json(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and np.isnan(x):
        return None
    return x
