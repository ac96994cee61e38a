"""The marketplace's event timelines, generated once per world (vectorised numpy/pandas).

Everything here is internal: times are int64 ns UTC (`clock.NEVER` = never happens), entities refer to
each other by integer position. `World.marketplace_as_of` turns these timelines into contract rows.

Normal behaviour is generated here and is *clean*: deliveries arrive at or before `promised_at`, the
received grade is the promised one (or not inspected), ratings are 3-5, complaints only `other`, prices
within the normal spread. Every deviation is injected by a fault in `faults.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from pipelines.simulator.clock import NEVER, NS_DAY, NS_HOUR, sec, tehran_midnight_ns
from pipelines.simulator.names import SHOP_WORDS
from pipelines.simulator.taxonomy import COUNTABLE_UNITS

GRADES = ("A", "B", "C")
INFLATION_PER_MONTH = 0.03
NS_MONTH = int(30.44 * NS_DAY)
PREEXISTING_OFFER_DAYS = 120  # offers existing at the start were created up to this many days before

# Tehran hour-of-day weights for orders: quiet nights, busy late mornings and evenings, some near midnight.
HOUR_WEIGHTS = np.array(
    [3, 1.5, 0.8, 0.4, 0.3, 0.4, 1, 2, 4, 6, 8, 9, 9, 8, 6, 5, 6, 7, 8, 9, 9, 8, 6, 4.5], dtype=float
)
# Weekday factors, Monday=0 … Sunday=6 (Friday=4 is the Iranian weekend, Thursday half).
WEEKDAY_FACTOR = np.array([1.05, 1.05, 1.05, 0.85, 0.6, 1.1, 1.1])

_ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})


def arabic_variant(s: np.ndarray, rng: np.random.Generator, p: float) -> np.ndarray:
    """People sometimes type Arabic yeh/kaf; do that to a fraction p of the texts."""
    out = s.astype(object).copy()
    hit = np.flatnonzero(rng.random(len(out)) < p)
    for i in hit:  # a handful of strings
        out[i] = out[i].translate(_ARABIC)
    return out


def nice_round(x: np.ndarray) -> np.ndarray:
    """Round prices to 3 significant digits (sellers quote round numbers), at least 1 rial."""
    x = np.asarray(x, dtype=float)
    mag = np.floor(np.log10(np.maximum(x, 1.0)))
    step = 10.0 ** np.maximum(mag - 2, 0)
    return np.maximum(np.round(x / step) * step, 1).astype(np.int64)


@dataclass
class SimState:
    """Mutable while the world is built; faults edit it in place."""

    start_ns: int
    end_ns: int
    sellers: pd.DataFrame
    offers: pd.DataFrame
    price_events: pd.DataFrame  # offer_idx, at, price, kind ('normal' | fault name)
    status_events: pd.DataFrame  # offer_idx, at, status
    orders: pd.DataFrame = field(default_factory=pd.DataFrame)
    deliveries: pd.DataFrame = field(default_factory=pd.DataFrame)

    def normal_price(self, offer_idx: np.ndarray, at_ns: np.ndarray, jitter: np.ndarray | None = None):
        """The normal cash price of the offers at the given instants (before rounding noise)."""
        o = self.offers
        months = (np.asarray(at_ns) - self.start_ns) / NS_MONTH
        p = o["level_rial"].to_numpy()[offer_idx] * (1 + INFLATION_PER_MONTH) ** months
        if jitter is not None:
            p = p * jitter
        return nice_round(p)


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def build_catalogue(
    rng: np.random.Generator,
    org_units: pd.DataFrame,
    subs: pd.DataFrame,
    capitals: dict[str, str],
    start_ns: int,
    end_ns: int,
    offers_per_seller: int,
) -> SimState:
    """Sellers, offers, and the offers' price and status timelines."""
    span = end_ns - start_ns
    units = org_units[org_units["has_seller"]].reset_index(drop=True)
    n_sel = len(units)

    # ---- sellers: most joined well before the start, some during the span
    joins_early = rng.random(n_sel) < 0.85
    joined = sec(
        np.where(
            joins_early,
            start_ns
            - rng.integers(PREEXISTING_OFFER_DAYS + 5, 500, n_sel) * NS_DAY
            - rng.integers(0, NS_DAY, n_sel),
            start_ns + (rng.random(n_sel) * 0.7 * span).astype(np.int64),
        )
    )
    # an account opens only once its unit exists (10:00 Tehran on the unit's first day, at the earliest)
    unit_from = np.array([tehran_midnight_ns(d) for d in units["valid_from"]], dtype=np.int64)
    joined = np.maximum(joined, unit_from + 10 * NS_HOUR)
    shop = np.array(SHOP_WORDS, dtype=object)[rng.integers(0, len(SHOP_WORDS), n_sel)]
    style = rng.integers(0, 3, n_sel)
    city = units["province_id"].map(capitals).to_numpy(dtype=object)
    main_name = (
        units["main_sub_code"]
        .map(dict(zip(subs["code"], subs["name_fa"], strict=True)))
        .to_numpy(dtype=object)
    )
    display = np.where(
        style == 0,
        "فروشگاه " + shop,
        np.where(style == 1, "غرفه " + main_name + " " + shop, shop + " " + city),
    )
    sellers = pd.DataFrame(
        {
            "seller_id": _ids("SL", n_sel, 5),
            "unit_id": units["unit_id"].to_numpy(),
            "display_name": arabic_variant(display, rng, 0.06),
            "joined_ns": joined.astype(np.int64),
            "province_id": units["province_id"].to_numpy(),
        }
    )

    # ---- offers
    n_off = n_sel * offers_per_seller
    seller_idx = np.repeat(np.arange(n_sel), offers_per_seller)
    sector_of_unit = units["sector_code"].to_numpy()[seller_idx]
    main_of_unit = units["main_sub_code"].to_numpy()[seller_idx]
    # category: the unit's main sub-branch half of the time, else another sub-branch of its sector
    sub_codes = subs["code"].to_numpy()
    sub_sector = subs["sector_code"].to_numpy()
    by_sector = {s: np.flatnonzero(sub_sector == s) for s in np.unique(sub_sector)}
    u = rng.random(n_off)
    pick = np.empty(n_off, dtype=np.int64)
    code_pos = {c: i for i, c in enumerate(sub_codes)}
    for s, members in by_sector.items():  # loop over 12 sectors
        m = sector_of_unit == s
        pick[m] = members[rng.integers(0, len(members), m.sum())]
    use_main = u < 0.5
    pick[use_main] = np.array([code_pos[c] for c in main_of_unit[use_main]], dtype=np.int64)

    sub = subs.iloc[pick].reset_index(drop=True)
    province = sellers["province_id"].to_numpy()[seller_idx]
    # regional factor per (province, sub-branch), ±5%
    prov_codes, prov_pos = np.unique(province, return_inverse=True)
    regional = rng.uniform(0.95, 1.05, (len(prov_codes), len(sub_codes)))[prov_pos, pick]
    # some provinces are dearer across the board (transport, local wages): ±3% log-sd per province
    regional = regional * rng.lognormal(0.0, 0.03, len(prov_codes))[prov_pos]
    # a seller's own margin (its pricing habit, the same on all its offers) times the offer's own
    margin = rng.lognormal(0.0, 0.06, n_sel)[seller_idx] * rng.lognormal(0.0, 0.05, n_off)
    level = sub["base_price_rial"].to_numpy() * regional * margin

    joined_o = joined[seller_idx]
    pre = rng.random(n_off) < np.where(joins_early[seller_idx], 0.7, 0.0)
    created = sec(
        np.where(
            pre,
            np.maximum(
                joined_o + NS_HOUR,
                start_ns - (rng.random(n_off) * PREEXISTING_OFFER_DAYS * NS_DAY).astype(np.int64),
            ),
            np.maximum(joined_o, start_ns)
            + (rng.random(n_off) * np.maximum(end_ns - np.maximum(joined_o, start_ns), 0) * 0.9).astype(
                np.int64
            ),
        )
    )

    sector_no = np.array([int(c[1:3]) for c in sub["sector_code"]])
    perishable = np.isin(sector_no, [2, 3])
    lead = np.where(perishable, rng.integers(0, 3, n_off), rng.integers(1, 9, n_off))
    has_nesieh = rng.random(n_off) < 0.30
    nesieh_months = np.where(has_nesieh, rng.choice([3, 6, 9, 12], n_off), 0)
    markup = np.clip(rng.normal(0.025, 0.003, n_off), 0.018, 0.032)
    quality = np.array(GRADES)[rng.choice(3, n_off, p=[0.6, 0.3, 0.1])]
    suffixes = np.array(["", "", "", " اعلا", " درجه یک", " ممتاز", " تولید ۱۴۰۵", " بسته‌بندی"], dtype=object)
    title = sub["name_fa"].to_numpy(dtype=object) + suffixes[rng.integers(0, len(suffixes), n_off)]
    with_city = rng.random(n_off) < 0.15
    title[with_city] = (
        title[with_city] + " " + np.vectorize(capitals.get, otypes=[object])(province[with_city])
    )
    stock = sub["typical_qty"].to_numpy() * rng.uniform(5, 60, n_off)
    countable = sub["unit"].isin(COUNTABLE_UNITS).to_numpy()
    stock = np.where(countable, np.round(stock), np.round(stock, 1))

    offers = pd.DataFrame(
        {
            "offer_id": _ids("OF", n_off, 6),
            "seller_idx": seller_idx,
            "title": arabic_variant(title, rng, 0.07),
            "category_code": sub["code"].to_numpy(),
            "unit": sub["unit"].to_numpy(),
            "typical_qty": sub["typical_qty"].to_numpy(),
            "level_rial": level,
            "nesieh_months": nesieh_months,
            "nesieh_markup": markup,
            "promised_quality": quality,
            "promised_lead_days": lead,
            "stock_qty": stock,
            "created_ns": created,
            "province_id": province,
            "popularity": rng.lognormal(0, 0.8, n_off),
            "fault": np.full(n_off, "", dtype=object),
        }
    )
    state = SimState(
        start_ns=start_ns,
        end_ns=end_ns,
        sellers=sellers,
        offers=offers,
        price_events=pd.DataFrame(),
        status_events=pd.DataFrame(),
    )

    # ---- price timelines: the creation price, then normal revisions that follow inflation (about one
    # every two months, so a long span does not leave prices months stale)
    n_changes = np.minimum(rng.poisson(0.5 + 0.5 * span / NS_MONTH, n_off), 8)
    ch_offer = np.repeat(np.arange(n_off), n_changes)
    lo = np.maximum(created[ch_offer], start_ns)
    ch_at = sec(lo + (rng.random(len(ch_offer)) * (end_ns - lo)).astype(np.int64))
    ok = ch_at > created[ch_offer] + NS_HOUR
    ch_offer, ch_at = ch_offer[ok], ch_at[ok]
    ev_offer = np.concatenate([np.arange(n_off), ch_offer])
    ev_at = np.concatenate([created, ch_at])
    jitter = rng.lognormal(0, 0.01, len(ev_offer))
    state.price_events = pd.DataFrame(
        {
            "offer_idx": ev_offer,
            "at": ev_at,
            "price": state.normal_price(ev_offer, ev_at, jitter),
            "kind": "normal",
        }
    )

    # ---- status timelines: active at creation; a few paused (some resume), a few withdrawn
    st_offer = [np.arange(n_off)]
    st_at = [created]
    st_status = [np.full(n_off, "active", dtype=object)]
    r = rng.random(n_off)
    lo = np.maximum(created, start_ns) + NS_DAY
    when = sec(lo + (rng.random(n_off) * np.maximum(end_ns - lo, 0)).astype(np.int64))
    paused = (r < 0.06) & (when < end_ns)
    withdrawn = (r >= 0.06) & (r < 0.09) & (when < end_ns)
    st_offer += [np.flatnonzero(paused), np.flatnonzero(withdrawn)]
    st_at += [when[paused], when[withdrawn]]
    st_status += [
        np.full(paused.sum(), "paused", dtype=object),
        np.full(withdrawn.sum(), "withdrawn", dtype=object),
    ]
    resume = paused & (rng.random(n_off) < 0.5)
    resume_at = sec(when + rng.integers(2, 10, n_off) * NS_DAY + rng.integers(0, NS_DAY, n_off))
    st_offer.append(np.flatnonzero(resume))
    st_at.append(resume_at[resume])
    st_status.append(np.full(resume.sum(), "active", dtype=object))
    state.status_events = pd.DataFrame(
        {
            "offer_idx": np.concatenate(st_offer),
            "at": np.concatenate(st_at).astype(np.int64),
            "status": np.concatenate(st_status),
        }
    )
    sort_events(state)
    return state


def sort_events(state: SimState) -> None:
    state.price_events = state.price_events.sort_values(["offer_idx", "at"], kind="stable").reset_index(
        drop=True
    )
    state.status_events = state.status_events.sort_values(["offer_idx", "at"], kind="stable").reset_index(
        drop=True
    )


def status_at(state: SimState, offer_idx: np.ndarray, at_ns: np.ndarray) -> np.ndarray:
    """Offer status at given instants ('' if the offer did not exist yet)."""
    q = pd.DataFrame({"offer_idx": offer_idx, "at": at_ns, "pos": np.arange(len(offer_idx))}).sort_values(
        "at"
    )
    ev = state.status_events.sort_values("at", kind="stable")
    m = pd.merge_asof(q, ev, on="at", by="offer_idx", direction="backward")
    out = np.full(len(offer_idx), "", dtype=object)
    out[m["pos"].to_numpy()] = m["status"].fillna("").to_numpy(dtype=object)
    return out


def price_at(state: SimState, offer_idx: np.ndarray, at_ns: np.ndarray) -> np.ndarray:
    """Offer cash price at given instants (0 if no price yet)."""
    q = pd.DataFrame({"offer_idx": offer_idx, "at": at_ns, "pos": np.arange(len(offer_idx))}).sort_values(
        "at"
    )
    ev = state.price_events[["offer_idx", "at", "price"]].sort_values("at", kind="stable")
    m = pd.merge_asof(q, ev, on="at", by="offer_idx", direction="backward")
    out = np.zeros(len(offer_idx), dtype=np.int64)
    out[m["pos"].to_numpy()] = m["price"].fillna(0).to_numpy().astype(np.int64)
    return out


def build_orders(
    rng: np.random.Generator, state: SimState, days: int, start_day, orders_per_day: int, members: int
) -> None:
    """Orders placed through each Tehran day, on offers active at that moment."""
    import datetime as dt

    day_list = [start_day + dt.timedelta(days=i) for i in range(days)]
    factors = WEEKDAY_FACTOR[[d.weekday() for d in day_list]]
    counts = rng.poisson(orders_per_day * factors)
    n_cand = int(counts.sum() * 1.6) + 10
    # candidate orders: day by the counts (oversampled), hour by weight, uniform inside the hour
    day_idx = np.repeat(np.arange(days), np.ceil(counts * 1.6).astype(int))[:n_cand]
    n_cand = len(day_idx)
    midnights = np.array([tehran_midnight_ns(d) for d in day_list], dtype=np.int64)
    hour = rng.choice(24, n_cand, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    at = sec(midnights[day_idx] + hour * NS_HOUR + rng.integers(0, NS_HOUR, n_cand))
    o = state.offers
    p = o["popularity"].to_numpy()
    offer_idx = rng.choice(len(o), n_cand, p=p / p.sum())
    valid = status_at(state, offer_idx, at) == "active"
    # keep, per day, the first `counts[day]` valid candidates
    keep = np.zeros(n_cand, dtype=bool)
    vd = day_idx[valid]
    vpos = np.flatnonzero(valid)
    rank = np.arange(len(vd)) - np.searchsorted(vd, vd, side="left")
    keep[vpos[rank < counts[vd]]] = True
    day_idx, at, offer_idx = day_idx[keep], at[keep], offer_idx[keep]
    order = np.argsort(at, kind="stable")
    at, offer_idx = at[order], offer_idx[order]
    n = len(at)

    unit = o["unit"].to_numpy()[offer_idx]
    countable = np.isin(unit, list(COUNTABLE_UNITS))
    qty = o["typical_qty"].to_numpy()[offer_idx] * rng.lognormal(0, 0.6, n)
    qty = np.where(countable, np.maximum(np.round(qty), 1), np.maximum(np.round(qty, 1), 0.5))
    has_nesieh = o["nesieh_months"].to_numpy()[offer_idx] > 0
    payment = np.where(has_nesieh & (rng.random(n) < 0.45), "nesieh", "cash")
    lead = o["promised_lead_days"].to_numpy()[offer_idx]
    promised = at + lead * NS_DAY + rng.integers(3, 10, n) * NS_HOUR
    state.orders = pd.DataFrame(
        {
            "order_id": _ids("OR", n, 7),
            "offer_idx": offer_idx,
            "buyer_member_id": np.char.add(
                "m-", np.char.zfill(rng.integers(1, members + 1, n).astype(str), 5)
            ),
            "quantity": qty,
            "payment": payment,
            "ordered_ns": at,
            "promised_ns": promised,
        }
    )


def build_deliveries(rng: np.random.Generator, state: SimState) -> None:
    """One delivery per order, or two partial shipments; clean, on-time lifecycles."""
    od = state.orders
    n = len(od)
    qty = od["quantity"].to_numpy()
    unit = state.offers["unit"].to_numpy()[od["offer_idx"].to_numpy()]
    countable = np.isin(unit, list(COUNTABLE_UNITS))
    splittable = np.where(countable, qty >= 2, qty >= 1)
    split = splittable & (rng.random(n) < 0.08)
    frac = rng.uniform(0.3, 0.7, n)
    q1 = np.where(countable, np.clip(np.round(qty * frac), 1, qty - 1), np.round(qty * frac, 1))
    q1 = np.where(split, q1, qty)
    q2 = qty - q1

    order_idx = np.concatenate([np.arange(n), np.flatnonzero(split)])
    seq = np.concatenate([np.ones(n, dtype=np.int64), np.full(split.sum(), 2)])
    dqty = np.concatenate([q1, np.round(q2[split], 1)])
    srt = np.lexsort((seq, order_idx))
    order_idx, seq, dqty = order_idx[srt], seq[srt], dqty[srt]
    m = len(order_idx)

    ordered = od["ordered_ns"].to_numpy()[order_idx]
    promised = od["promised_ns"].to_numpy()[order_idx]
    window = promised - ordered
    ship_lo = np.where(seq == 1, 0.03, 0.3)
    ship_hi = np.where(seq == 1, 0.5, 0.7)
    shipped = sec(ordered + (window * rng.uniform(ship_lo, ship_hi)).astype(np.int64))
    delivered = sec(shipped + ((promised - shipped) * rng.uniform(0.2, 1.0, m)).astype(np.int64))
    delivered = np.minimum(delivered, promised)

    # buyer cancellations before shipping
    buyer_cancel = rng.random(m) < 0.015
    cancel_at = sec(
        np.where(buyer_cancel, ordered + (window * rng.uniform(0.02, 0.3, m)).astype(np.int64), NEVER)
    )
    shipped = np.where(buyer_cancel, NEVER, shipped)
    delivered = np.where(buyer_cancel, NEVER, delivered)

    promised_q = state.offers["promised_quality"].to_numpy()[od["offer_idx"].to_numpy()[order_idx]]
    inspected = (rng.random(m) < 0.6) & ~buyer_cancel
    # three-argument where: an array, though numpy's stubs pick the one-argument overload for an Any value
    received = cast(np.ndarray, np.where(inspected, promised_q, None)).astype(object)
    rated = (rng.random(m) < 0.65) & ~buyer_cancel
    rating = np.where(rated, rng.choice([3, 4, 5], m, p=[0.15, 0.35, 0.5]), 0)
    other = (rng.random(m) < 0.015) & ~buyer_cancel
    # numpy's stubs reject None as the else-value; it works at runtime
    complaint = np.where(other, "other", None).astype(object)  # type: ignore[call-overload]
    feedback_lag = sec(np.where(rng.random(m) < 0.5, 0, rng.integers(2 * NS_HOUR, 6 * NS_DAY, m)))

    state.deliveries = pd.DataFrame(
        {
            "delivery_id": _ids("DL", m, 7),
            "order_idx": order_idx,
            "seq": seq,
            "qty": dqty,
            "shipped_ns": shipped.astype(np.int64),
            "delivered_ns": delivered.astype(np.int64),
            "cancel_ns": cancel_at.astype(np.int64),
            "cancel_status": np.where(  # type: ignore[call-overload]  # stubs reject None as the else-value
                buyer_cancel, "cancelled_by_buyer", None
            ).astype(object),
            "returned_ns": np.full(m, NEVER, dtype=np.int64),
            "returned_qty": np.full(m, np.nan),
            "received_quality": received,
            "quality_lag": np.zeros(m, dtype=np.int64),
            "rating": rating.astype(np.int64),
            "complaint": complaint,
            "feedback_lag": feedback_lag.astype(np.int64),
            "fault": np.full(m, "", dtype=object),
        }
    )


def delivery_event_times(state: SimState) -> dict[str, np.ndarray]:
    """Absolute times of the inspection result and of the rating/complaint (NEVER if none)."""
    d = state.deliveries
    delivered = d["delivered_ns"].to_numpy()
    done = delivered != NEVER
    has_q = d["received_quality"].notna().to_numpy() & done
    has_fb = ((d["rating"].to_numpy() > 0) | d["complaint"].notna().to_numpy()) & done
    quality_ns = np.where(has_q, delivered + d["quality_lag"].to_numpy() * has_q, NEVER)
    feedback_ns = np.where(has_fb, delivered + d["feedback_lag"].to_numpy() * has_fb, NEVER)
    return {"quality_ns": quality_ns.astype(np.int64), "feedback_ns": feedback_ns.astype(np.int64)}
