"""Injected faults: the one place where the simulator departs from clean behaviour.

Each kind of fault is one small class in `FAULTS`. A fault edits the simulator's state in place (see
`market.SimState`) and returns the ground truth of what it injected: one row per instance, with the instant
at which the fault becomes observable in the marketplace. To add a kind, write a class with `name`,
`stage` and `apply(state, rng) -> pd.DataFrame` (columns `TRUTH_COLUMNS`) and append it to `FAULTS`.

Stages: `offers` faults run before orders are placed (orders then pay the faulty price); `deliveries`
faults run after deliveries are generated. Within a stage, faults run in list order; a delivery, order or
offer touched by one fault is marked (`fault` column) and left alone by the next.

After all faults, `consequences` adds the truth that follows from them without being injected on its own:
an order whose late delivery crossed a Tehran midnight is also overdue; an overdue order delivered at last
has a late delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.i18n.persian import NUMBER_TO_PERSIAN
from pipelines.simulator.clock import NEVER, NS_DAY, NS_HOUR, end_of_tehran_day_ns, sec
from pipelines.simulator.market import SimState, delivery_event_times, price_at, sort_events
from pipelines.simulator.taxonomy import COUNTABLE_UNITS

GRACE_HOURS = 6  # the on-time grace used for the truth (Rasad's setting may differ)
GRACE_NS = GRACE_HOURS * NS_HOUR
DEFECT_COMPLAINTS = ("not_as_described", "damaged", "wrong_item", "short_quantity")
GRADE_RANK = {"A": 0, "B": 1, "C": 2, "rejected": 3}

TRUTH_COLUMNS = ["kind", "entity", "entity_id", "at_ns", "detail"]


def _truth(kind: str, entity: str, ids, at_ns, details: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": kind,
            "entity": entity,
            "entity_id": np.asarray(ids, dtype=object),
            "at_ns": np.asarray(at_ns, dtype=np.int64),
            "detail": details,
        },
        columns=TRUTH_COLUMNS,
    )


def _iso(ns: np.ndarray) -> list[str | None]:
    ns = np.asarray(ns, dtype=np.int64)
    out = pd.DatetimeIndex(np.where(ns == NEVER, np.iinfo(np.int64).min, ns).view("M8[ns]")).tz_localize(
        "UTC"
    )
    return [None if pd.isna(x) else x.isoformat() for x in out]


def _pick(rng: np.random.Generator, candidates: np.ndarray, rate: float) -> np.ndarray:
    return candidates[rng.random(len(candidates)) < rate]


def _delivery_context(state: SimState) -> dict[str, np.ndarray]:
    d, od = state.deliveries, state.orders
    oi = d["order_idx"].to_numpy()
    return {
        "ordered": od["ordered_ns"].to_numpy()[oi],
        "promised": od["promised_ns"].to_numpy()[oi],
        "order_id": od["order_id"].to_numpy()[oi],
        "offer_idx": od["offer_idx"].to_numpy()[oi],
    }


def _clean_deliveries(state: SimState) -> np.ndarray:
    """Deliveries no fault has touched and that the buyer did not cancel."""
    d = state.deliveries
    return np.flatnonzero((d["fault"].to_numpy() == "") & d["cancel_status"].isna().to_numpy())


# ------------------------------------------------------------------ the fault kinds


@dataclass
class AbnormalPrice:
    """Gouging (2-5× peers), dumping (≤0.4×) or a slipped rial/toman digit (×10, ÷10)."""

    name: str = "abnormal_price"
    stage: str = "offers"
    rate: float = 0.03
    corrected_share: float = 0.4

    KINDS = ("gouging", "dumping", "digit_x10", "digit_div10")
    KIND_P = (0.35, 0.25, 0.2, 0.2)

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        o = state.offers
        created = o["created_ns"].to_numpy()
        idx = _pick(rng, np.arange(len(o)), self.rate)
        n = len(idx)
        kind = np.array(self.KINDS)[rng.choice(4, n, p=self.KIND_P)]
        factor = np.select(
            [kind == "gouging", kind == "dumping", kind == "digit_x10"],
            [rng.uniform(2.0, 5.0, n), rng.uniform(0.12, 0.4, n), np.full(n, 10.0)],
            np.full(n, 0.1),
        )
        in_span = created[idx] >= state.start_ns
        at_creation = in_span & (rng.random(n) < 0.5)
        lo = np.maximum(created[idx] + NS_HOUR, state.start_ns)
        change_at = sec(
            lo + (rng.random(n) * np.maximum(state.end_ns - NS_DAY - lo, NS_HOUR)).astype(np.int64)
        )
        at = np.where(at_creation, created[idx], change_at)
        reference = state.normal_price(idx, at)
        price = np.maximum(np.round(reference * factor / 1000) * 1000, 1000).astype(np.int64)
        corrected = rng.random(n) < self.corrected_share
        corrected_at = sec(np.where(corrected, at + rng.integers(2 * NS_DAY, 10 * NS_DAY, n), NEVER))

        # the offer's normal price revisions after the fault are superseded by the fault (and its correction)
        _replace_prices_from(state, idx, at, price, self.name, corrected, corrected_at)

        details = [
            {
                "kind": k,
                "factor": round(float(f), 3),
                "price_rial": int(p),
                "reference_price_rial": int(r),
                "at_creation": bool(c),
                "category_code": cc,
                "unit": un,
                "corrected_at": ca,
            }
            for k, f, p, r, c, cc, un, ca in zip(
                kind,
                factor,
                price,
                reference,
                at_creation,
                o["category_code"].to_numpy()[idx],
                o["unit"].to_numpy()[idx],
                _iso(corrected_at),
                strict=True,
            )
        ]
        return _truth(self.name, "offer", o["offer_id"].to_numpy()[idx], at, details)


@dataclass
class PriceJump:
    """A sudden jump of an offer's price against its own history (×1.6-3 up, or ×0.4-0.65 down); the peers
    may not notice it (a cheap seller that doubles can still sit inside the band), the seller's history does."""

    name: str = "price_jump"
    stage: str = "offers"
    rate: float = 0.02
    corrected_share: float = 0.4
    min_history_days: int = 5

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        o = state.offers
        created = o["created_ns"].to_numpy()
        first_possible = np.maximum(created + self.min_history_days * NS_DAY, state.start_ns + 2 * NS_DAY)
        room = state.end_ns - NS_DAY - first_possible
        idx = _pick(rng, np.flatnonzero((o["fault"].to_numpy() == "") & (room > NS_DAY)), self.rate)
        n = len(idx)
        at = sec(first_possible[idx] + (rng.random(n) * room[idx]).astype(np.int64))
        up = rng.random(n) < 0.7
        factor = np.where(up, rng.uniform(1.6, 3.0, n), rng.uniform(0.4, 0.65, n))
        before = price_at(state, idx, at - 1)
        price = np.maximum(np.round(before * factor / 1000) * 1000, 1000).astype(np.int64)
        corrected = rng.random(n) < self.corrected_share
        corrected_at = sec(np.where(corrected, at + rng.integers(2 * NS_DAY, 10 * NS_DAY, n), NEVER))
        _replace_prices_from(state, idx, at, price, self.name, corrected, corrected_at)
        details = [
            {
                "kind": "jump_up" if u else "jump_down",
                "factor": round(float(f), 3),
                "price_rial": int(p),
                "previous_price_rial": int(b),
                "corrected_at": ca,
            }
            for u, f, p, b, ca in zip(up, factor, price, before, _iso(corrected_at), strict=True)
        ]
        return _truth(self.name, "offer", o["offer_id"].to_numpy()[idx], at, details)


@dataclass
class NesiehMarkup:
    """A nesieh (credit) price far above the norm: 6-15% a month over cash, where peers ask about 2.5%."""

    name: str = "nesieh_markup"
    stage: str = "offers"
    rate: float = 0.06  # of the offers that sell on nesieh

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        o = state.offers
        on_credit = (o["nesieh_months"].to_numpy() > 0) & (o["fault"].to_numpy() == "")
        idx = _pick(rng, np.flatnonzero(on_credit), self.rate)
        markup = rng.uniform(0.06, 0.15, len(idx))
        state.offers.loc[idx, "nesieh_markup"] = markup
        state.offers.loc[idx, "fault"] = self.name
        months = o["nesieh_months"].to_numpy()[idx]
        details = [
            {"markup_per_month": round(float(m), 4), "nesieh_months": int(k), "normal_markup_per_month": 0.025}
            for m, k in zip(markup, months, strict=True)
        ]
        return _truth(self.name, "offer", o["offer_id"].to_numpy()[idx], o["created_ns"].to_numpy()[idx], details)


def _replace_prices_from(
    state: SimState, idx: np.ndarray, at: np.ndarray, price: np.ndarray, kind: str,
    corrected: np.ndarray, corrected_at: np.ndarray,
) -> None:
    """Set a faulty price from `at` on (superseding later normal revisions), and its correction if any."""
    o, pe = state.offers, state.price_events
    fault_start = np.full(len(o), NEVER, dtype=np.int64)
    fault_start[idx] = at
    pe = pe[pe["at"].to_numpy() < fault_start[pe["offer_idx"].to_numpy()]]
    new = [
        pd.DataFrame({"offer_idx": idx, "at": at, "price": price, "kind": kind}),
        pd.DataFrame(
            {
                "offer_idx": idx[corrected],
                "at": corrected_at[corrected],
                "price": state.normal_price(idx[corrected], corrected_at[corrected]),
                "kind": "correction",
            }
        ),
    ]
    state.price_events = pd.concat([pe, *new], ignore_index=True)
    sort_events(state)
    state.offers.loc[idx, "fault"] = kind


@dataclass
class LateDelivery:
    """Delivered clearly after promised_at + grace (12 h to 5 days after promised_at)."""

    name: str = "late_delivery"
    stage: str = "deliveries"
    rate: float = 0.03
    late_complaint_share: float = 0.4

    # confounders: some just past the grace, some just either side of a Tehran midnight
    grace_edge_share: float = 0.12
    midnight_share: float = 0.12

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        return self.inject(state, rng, _pick(rng, _clean_deliveries(state), self.rate))

    def inject(self, state: SimState, rng: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        """Make the deliveries `idx` late; return their truth."""
        d = state.deliveries
        ctx = _delivery_context(state)
        n = len(idx)
        delay = sec(rng.integers(12 * NS_HOUR, 5 * NS_DAY, n))
        edge = rng.random(n)
        at_grace = edge < self.grace_edge_share
        delay[at_grace] = GRACE_NS + rng.integers(60, 30 * 60, at_grace.sum()) * 10**9
        at_midnight = (edge >= self.grace_edge_share) & (edge < self.grace_edge_share + self.midnight_share)
        due = ctx["promised"][idx] + GRACE_NS + NS_HOUR
        midnight = end_of_tehran_day_ns(due) + rng.integers(-300, 300, n) * 10**9
        delay[at_midnight] = sec(midnight - ctx["promised"][idx])[at_midnight]
        delivered = ctx["promised"][idx] + delay
        d.loc[idx, "delivered_ns"] = delivered
        complain = rng.random(n) < self.late_complaint_share
        d.loc[idx[complain], "complaint"] = "late"
        d.loc[idx[complain], "rating"] = rng.choice([3, 4], complain.sum())
        d.loc[idx, "fault"] = self.name
        details = [
            {"order_id": o, "promised_at": p, "delivered_at": a, "hours_late": round(h / NS_HOUR, 1)}
            for o, p, a, h in zip(
                ctx["order_id"][idx], _iso(ctx["promised"][idx]), _iso(delivered), delay, strict=True
            )
        ]
        return _truth(self.name, "delivery", d["delivery_id"].to_numpy()[idx], delivered, details)


@dataclass
class OverdueOrder:
    """An order left undelivered long past promised_at: never delivered, or delivered 2-15 days late."""

    name: str = "overdue_order"
    stage: str = "deliveries"
    rate: float = 0.01

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        d, od = state.deliveries, state.orders
        oi = d["order_idx"].to_numpy()
        dirty = (d["fault"].to_numpy() != "") | d["cancel_status"].notna().to_numpy()
        bad_order = np.zeros(len(od), dtype=bool)
        bad_order[oi[dirty]] = True
        orders = _pick(rng, np.flatnonzero(~bad_order), self.rate)
        n = len(orders)
        never = rng.random(n) < 0.5
        late_by = sec(rng.integers(2 * NS_DAY, 15 * NS_DAY, n))
        promised = od["promised_ns"].to_numpy()[orders]
        ordered = od["ordered_ns"].to_numpy()[orders]
        pos = np.full(len(od), -1)
        pos[orders] = np.arange(n)
        rows = np.flatnonzero(pos[oi] >= 0)
        k = pos[oi[rows]]
        # confounder: of a split order, the first shipment often arrives on time; the rest does not
        keep_first = (d["seq"].to_numpy()[rows] == 1) & (d["seq"].to_numpy()[np.minimum(rows + 1, len(d) - 1)] == 2)
        keep_first &= rng.random(len(rows)) < 0.6
        rows, k = rows[~keep_first], k[~keep_first]
        delivered = np.where(never[k], NEVER, promised[k] + late_by[k])
        shipped_before = rng.random(len(rows)) < 0.5
        shipped = np.where(
            never[k],
            np.where(
                shipped_before, sec(ordered[k] + ((promised[k] - ordered[k]) * 0.5).astype(np.int64)), NEVER
            ),
            np.minimum(d["shipped_ns"].to_numpy()[rows], delivered),
        )
        d.loc[rows, "delivered_ns"] = delivered
        d.loc[rows, "shipped_ns"] = shipped
        d.loc[rows[never[k]], ["received_quality", "complaint"]] = None
        d.loc[rows[never[k]], "rating"] = 0
        d.loc[rows, "fault"] = self.name
        details = [
            {
                "promised_at": p,
                "delivered_at": (a if not nv else None),
                "never_delivered": bool(nv),
                "days_late": (None if nv else round(lb / NS_DAY, 1)),
            }
            for p, a, nv, lb in zip(_iso(promised), _iso(promised + late_by), never, late_by, strict=True)
        ]
        return _truth(self.name, "order", od["order_id"].to_numpy()[orders], promised + GRACE_NS, details)


@dataclass
class SellerCancellation:
    """The seller cancels before shipping, before the deadline."""

    name: str = "seller_cancellation"
    stage: str = "deliveries"
    rate: float = 0.02

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        return self.inject(state, rng, _pick(rng, _clean_deliveries(state), self.rate))

    def inject(self, state: SimState, rng: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        """Cancel the deliveries `idx` by the seller; return their truth."""
        d = state.deliveries
        ctx = _delivery_context(state)
        n = len(idx)
        ordered, promised = ctx["ordered"][idx], ctx["promised"][idx]
        at = sec(ordered + ((promised - ordered) * rng.uniform(0.05, 0.9, n)).astype(np.int64))
        d.loc[idx, "cancel_ns"] = at
        d.loc[idx, "cancel_status"] = "cancelled_by_seller"
        d.loc[idx, ["shipped_ns", "delivered_ns"]] = NEVER
        d.loc[idx, ["received_quality", "complaint"]] = None
        d.loc[idx, "rating"] = 0
        d.loc[idx, "fault"] = self.name
        details = [
            {"order_id": o, "cancelled_at": c, "qty": float(q)}
            for o, c, q in zip(ctx["order_id"][idx], _iso(at), d["qty"].to_numpy()[idx], strict=True)
        ]
        return _truth(self.name, "delivery", d["delivery_id"].to_numpy()[idx], at, details)


@dataclass
class QualityDefect:
    """Below-grade, rejected, returned, a quality complaint, or a rating of 1-2; some arrive days later."""

    name: str = "quality_defect"
    stage: str = "deliveries"
    rate: float = 0.04

    KINDS = ("grade_below", "rejected", "returned", "complaint", "low_rating")
    KIND_P = (0.3, 0.15, 0.15, 0.2, 0.2)

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        return self.inject(state, rng, _pick(rng, _clean_deliveries(state), self.rate))

    def inject(self, state: SimState, rng: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        """Give the deliveries `idx` a quality defect; return their truth."""
        d = state.deliveries
        ctx = _delivery_context(state)
        n = len(idx)
        kind = np.array(self.KINDS)[rng.choice(len(self.KINDS), n, p=self.KIND_P)]
        promised_q = state.offers["promised_quality"].to_numpy()[ctx["offer_idx"][idx]]
        qty = d["qty"].to_numpy()[idx]
        unit = state.offers["unit"].to_numpy()[ctx["offer_idx"][idx]]
        countable = np.isin(unit, list(COUNTABLE_UNITS))

        received = d["received_quality"].to_numpy()[idx].copy()
        quality_lag = d["quality_lag"].to_numpy()[idx].copy()
        rating = d["rating"].to_numpy()[idx].copy()
        complaint = d["complaint"].to_numpy()[idx].copy()
        feedback_lag = d["feedback_lag"].to_numpy()[idx].copy()
        returned_lag = np.full(n, -1, dtype=np.int64)
        returned_qty = np.full(n, np.nan)

        late_lag = sec(np.where(rng.random(n) < 0.5, 0, rng.integers(6 * NS_HOUR, 6 * NS_DAY, n)))
        # grade below the promised one (C promised: rejected)
        m = kind == "grade_below"
        rank = np.array([GRADE_RANK[g] for g in promised_q[m]], dtype=np.int64)
        drop = np.minimum(rank + rng.integers(1, 3, m.sum()), 3)
        received[m] = np.array(["A", "B", "C", "rejected"], dtype=object)[drop]
        quality_lag[m] = sec(
            np.where(rng.random(m.sum()) < 0.7, 0, rng.integers(NS_HOUR, 2 * NS_DAY, m.sum()))
        )
        # rejected on inspection, usually sent back
        m = kind == "rejected"
        received[m] = "rejected"
        quality_lag[m] = 0
        back = m & (rng.random(n) < 0.7)
        returned_lag[back] = sec(rng.integers(2 * NS_HOUR, 3 * NS_DAY, back.sum()))
        returned_qty[back] = qty[back]
        # returned days later, part or all
        m = kind == "returned"
        returned_lag[m] = sec(rng.integers(NS_DAY, 7 * NS_DAY, m.sum()))
        part = np.where(
            countable[m],
            np.maximum(np.round(qty[m] * rng.uniform(0.2, 1, m.sum())), 1),
            np.maximum(np.round(qty[m] * rng.uniform(0.2, 1, m.sum()), 1), 0.1),
        )
        returned_qty[m] = np.minimum(part, qty[m])
        with_c = m & (rng.random(n) < 0.5)
        complaint[with_c] = rng.choice(["damaged", "not_as_described"], with_c.sum())
        feedback_lag[with_c] = returned_lag[with_c]
        # a complaint of quality kind, with a middling-to-bad rating
        m = kind == "complaint"
        complaint[m] = rng.choice(DEFECT_COMPLAINTS, m.sum())
        rating[m] = rng.choice([1, 2, 3], m.sum())
        feedback_lag[m] = late_lag[m]
        # a bad rating, often days later
        m = kind == "low_rating"
        rating[m] = rng.choice([1, 2], m.sum())
        feedback_lag[m] = late_lag[m]

        d.loc[idx, "received_quality"] = received
        d.loc[idx, "quality_lag"] = quality_lag
        d.loc[idx, "rating"] = rating
        d.loc[idx, "complaint"] = complaint
        d.loc[idx, "feedback_lag"] = feedback_lag
        delivered = d["delivered_ns"].to_numpy()[idx]
        d.loc[idx, "returned_ns"] = np.where(
            returned_lag >= 0, delivered + np.maximum(returned_lag, 0), NEVER
        )
        d.loc[idx, "returned_qty"] = returned_qty
        d.loc[idx, "fault"] = self.name

        first, signals = defect_signals(state)
        at = first[idx]
        assert (at != NEVER).all()
        details = [
            {
                "defect": k,
                "signals": s,
                "promised_quality": pq,
                "received_quality": r,
                "buyer_rating": (int(rt) or None),
                "complaint": c,
                "returned_qty": (None if np.isnan(rq) else float(rq)),
                "delivered_at": da,
                "days_after_delivery": round((a - dv) / NS_DAY, 2),
            }
            for k, s, pq, r, rt, c, rq, da, a, dv in zip(
                kind,
                signals[idx],
                promised_q,
                received,
                rating,
                complaint,
                returned_qty,
                _iso(delivered),
                at,
                delivered,
                strict=True,
            )
        ]
        return _truth(self.name, "delivery", d["delivery_id"].to_numpy()[idx], at, details)


@dataclass
class TimingConfounder:
    """Not a fault: on-time deliveries that a sloppy rule gets wrong. Some arrive minutes inside the grace
    period after promised_at, some minutes either side of a Tehran midnight (which is not UTC midnight).
    Their truth rows (kind `timing_confounder`) say which; no check should report them."""

    name: str = "timing_confounder"
    stage: str = "deliveries"
    grace_edge_rate: float = 0.03
    midnight_rate: float = 0.03

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        d = state.deliveries
        ctx = _delivery_context(state)
        clean = _clean_deliveries(state)
        clean = clean[d["delivered_ns"].to_numpy()[clean] != NEVER]
        u = rng.random(len(clean))
        edge = clean[u < self.grace_edge_rate]
        mid = clean[(u >= self.grace_edge_rate) & (u < self.grace_edge_rate + self.midnight_rate)]
        shipped = d["shipped_ns"].to_numpy()
        at_edge = sec(ctx["promised"][edge] + GRACE_NS - rng.integers(60, 1800, len(edge)) * 10**9)
        midnight = end_of_tehran_day_ns(shipped[mid]) + rng.integers(-300, 300, len(mid)) * 10**9
        fits = (midnight > shipped[mid] + 60 * 10**9) & (midnight < ctx["promised"][mid] + GRACE_NS - 60 * 10**9)
        mid, midnight = mid[fits], sec(midnight[fits])
        idx = np.concatenate([edge, mid])
        delivered = np.concatenate([at_edge, midnight]).astype(np.int64)
        d.loc[idx, "delivered_ns"] = delivered
        d.loc[idx, "fault"] = self.name
        kinds = ["grace_edge_on_time"] * len(edge) + ["tehran_midnight_on_time"] * len(mid)
        details = [
            {"confounder": k, "promised_at": p, "delivered_at": a}
            for k, p, a in zip(kinds, _iso(ctx["promised"][idx]), _iso(delivered), strict=True)
        ]
        return _truth(self.name, "delivery", d["delivery_id"].to_numpy()[idx], delivered, details)


@dataclass
class ChronicSeller:
    """A seller who goes bad from some day on: a large share of its deliveries late, defective or cancelled.

    This is what a scorecard should catch (the single deliveries are caught one by one as well). Only
    sellers busy enough for a scorecard to judge are chosen. Truth: one row per seller (kind = `name`,
    from the day it starts), plus the single deliveries' own truth (late_delivery, quality_defect,
    seller_cancellation)."""

    name: str = "chronic_late_seller"
    stage: str = "deliveries"
    seller_rate: float = 0.04
    share: float = 0.5
    min_deliveries_per_day: float = 1.5

    INNER = {
        "chronic_late_seller": "late_delivery",
        "chronic_defect_seller": "quality_defect",
        "chronic_cancel_seller": "seller_cancellation",
    }

    def apply(self, state: SimState, rng: np.random.Generator) -> pd.DataFrame:
        ctx = _delivery_context(state)
        seller = state.offers["seller_idx"].to_numpy()[ctx["offer_idx"]]
        clean = _clean_deliveries(state)
        days = max((state.end_ns - state.start_ns) / NS_DAY, 1.0)
        busy = np.bincount(seller[clean], minlength=len(state.sellers)) / days >= self.min_deliveries_per_day
        chosen = _pick(rng, np.flatnonzero(busy), self.seller_rate)
        start = np.full(len(state.sellers), NEVER, dtype=np.int64)
        start[chosen] = sec(state.start_ns + (rng.random(len(chosen)) * 0.4 * days * NS_DAY).astype(np.int64))
        hit = clean[(ctx["ordered"][clean] >= start[seller[clean]]) & (rng.random(len(clean)) < self.share)]
        inner = next(f for f in (LateDelivery(), QualityDefect(), SellerCancellation())
                     if f.name == self.INNER[self.name])
        parts = [inner.inject(state, rng, hit)]
        affected = np.bincount(seller[hit], minlength=len(state.sellers))
        details = [
            {"from": f, "share": self.share, "deliveries_affected": int(a), "single_fault": inner.name}
            for f, a in zip(_iso(start[chosen]), affected[chosen], strict=True)
        ]
        parts.append(_truth(self.name, "seller", state.sellers["seller_id"].to_numpy()[chosen], start[chosen],
                            details))
        return pd.concat(parts, ignore_index=True)


def persian_digit_numbers(frames: dict[str, pd.DataFrame], share: float = 0.05) -> dict[str, pd.DataFrame]:
    """Confounder for a loosely typed source: some numbers written as text in Persian digits ('۱۲٫۵').

    The same rows get Persian digits at every clock reading (chosen by a hash of the row's id).
    """
    columns = {
        "offers": ("offer_id", ["unit_price_rial"]),
        "orders": ("order_id", ["quantity", "unit_price_rial"]),
        "deliveries": ("delivery_id", ["delivered_qty", "buyer_rating", "returned_qty"]),
    }
    out = dict(frames)
    for name, (key, cols) in columns.items():
        frame = frames[name].copy()
        chosen = (pd.util.hash_pandas_object(frame[key], index=False).to_numpy() % 1000) < share * 1000
        for col in cols:
            values = frame[col]
            pick = chosen & values.notna().to_numpy()
            if not pick.any():
                continue
            numeric = pd.to_numeric(values[pick], errors="coerce").astype(float)
            text = numeric.map(lambda v: str(int(v)) if float(v).is_integer() else repr(float(v)))
            column = values.astype(object)
            column[pick] = text.str.translate(NUMBER_TO_PERSIAN).to_numpy()
            frame[col] = column
        out[name] = frame
    return out


# ------------------------------------------------------------------ the oracles and the registry


def defect_signals(state: SimState) -> tuple[np.ndarray, np.ndarray]:
    """Per delivery: the instant its first quality-defect signal becomes visible (NEVER if none), and the
    list of signal names. Implements the rule of DECISIONS.md, on the simulator's timelines."""
    d = state.deliveries
    times = delivery_event_times(state)
    promised_q = state.offers["promised_quality"].to_numpy()[
        state.orders["offer_idx"].to_numpy()[d["order_idx"].to_numpy()]
    ]
    rq = d["received_quality"].to_numpy()
    rank_p = pd.Series(promised_q).map(GRADE_RANK).to_numpy()
    rank_r = pd.Series(rq).map(GRADE_RANK).fillna(-1).to_numpy()
    below = (rank_r > rank_p) & (rank_r < 3)
    rejected = rank_r == 3
    returned = d["returned_ns"].to_numpy() != NEVER
    complaint = pd.Series(d["complaint"].to_numpy()).isin(DEFECT_COMPLAINTS).to_numpy()
    rating = d["rating"].to_numpy()
    low = (rating >= 1) & (rating <= 2)
    fb = times["feedback_ns"]
    cands = np.stack(
        [
            np.where(below | rejected, times["quality_ns"], NEVER),
            np.where(returned, d["returned_ns"].to_numpy(), NEVER),
            np.where(complaint | low, fb, NEVER),
        ]
    )
    first = cands.min(axis=0)
    names = np.empty(len(d), dtype=object)
    flags = {
        "below_grade": below,
        "rejected": rejected,
        "returned": returned,
        "complaint": complaint,
        "low_rating": low,
    }
    any_signal = np.flatnonzero(first != NEVER)
    for i in any_signal:  # only the defective deliveries
        names[i] = [k for k, v in flags.items() if v[i]]
    return first.astype(np.int64), names


def order_completion_ns(state: SimState) -> np.ndarray:
    """When each order's quantity is fully delivered or cancelled (NEVER if not in the timelines)."""
    d = state.deliveries
    done = np.where(
        d["delivered_ns"].to_numpy() != NEVER, d["delivered_ns"].to_numpy(), d["cancel_ns"].to_numpy()
    )
    out = np.full(len(state.orders), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, d["order_idx"].to_numpy(), done)
    return out


def late_deliveries(state: SimState) -> np.ndarray:
    d = state.deliveries
    promised = state.orders["promised_ns"].to_numpy()[d["order_idx"].to_numpy()]
    delivered = d["delivered_ns"].to_numpy()
    return np.flatnonzero((delivered != NEVER) & (delivered > promised + GRACE_NS))


def overdue_orders(state: SimState) -> np.ndarray:
    """Orders still open at the end of the Tehran day on which promised_at + grace passed."""
    due = state.orders["promised_ns"].to_numpy() + GRACE_NS
    return np.flatnonzero(order_completion_ns(state) > end_of_tehran_day_ns(due))


def consequences(state: SimState, truth: pd.DataFrame) -> pd.DataFrame:
    """Truth implied by the injected faults: late deliveries and overdue orders they caused."""
    d, od = state.deliveries, state.orders
    out = []
    late = late_deliveries(state)
    known = set(truth.loc[truth["kind"] == "late_delivery", "entity_id"])
    late = late[~np.isin(d["delivery_id"].to_numpy()[late], list(known))]
    promised = od["promised_ns"].to_numpy()[d["order_idx"].to_numpy()[late]]
    delivered = d["delivered_ns"].to_numpy()[late]
    out.append(
        _truth(
            "late_delivery",
            "delivery",
            d["delivery_id"].to_numpy()[late],
            delivered,
            [
                {
                    "order_id": o,
                    "promised_at": p,
                    "delivered_at": a,
                    "hours_late": round((a_ - p_ - 0) / NS_HOUR, 1),
                    "consequence_of": f,
                }
                for o, p, a, a_, p_, f in zip(
                    od["order_id"].to_numpy()[d["order_idx"].to_numpy()[late]],
                    _iso(promised),
                    _iso(delivered),
                    delivered,
                    promised,
                    d["fault"].to_numpy()[late],
                    strict=True,
                )
            ],
        )
    )
    over = overdue_orders(state)
    known = set(truth.loc[truth["kind"] == "overdue_order", "entity_id"])
    over = over[~np.isin(od["order_id"].to_numpy()[over], list(known))]
    faulty = pd.DataFrame({"order_idx": d["order_idx"].to_numpy(), "fault": d["fault"].to_numpy()})
    faulty = faulty[np.isin(faulty["order_idx"].to_numpy(), over) & (faulty["fault"] != "")].drop_duplicates()
    fault_of_order = faulty.sort_values("fault").groupby("order_idx")["fault"].agg(",".join)
    done = order_completion_ns(state)[over]
    out.append(
        _truth(
            "overdue_order",
            "order",
            od["order_id"].to_numpy()[over],
            od["promised_ns"].to_numpy()[over] + GRACE_NS,
            [
                {"promised_at": p, "completed_at": c, "consequence_of": f}
                for p, c, f in zip(
                    _iso(od["promised_ns"].to_numpy()[over]),
                    _iso(done),
                    fault_of_order.reindex(over).fillna("").to_numpy(),
                    strict=True,
                )
            ],
        )
    )
    return pd.concat(out, ignore_index=True)


FAULTS: list = [
    AbnormalPrice(),
    PriceJump(),
    NesiehMarkup(),
    ChronicSeller("chronic_late_seller"),
    ChronicSeller("chronic_defect_seller"),
    ChronicSeller("chronic_cancel_seller"),
    TimingConfounder(),
    LateDelivery(),
    OverdueOrder(),
    SellerCancellation(),
    QualityDefect(),
]


def register(fault) -> None:
    """Add a fault kind (a later kind runs after the existing ones of its stage)."""
    FAULTS.append(fault)
