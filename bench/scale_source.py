"""A contract-shaped Ombazar source at scale, for `bench/scale.py` only: vectorised, written day by day.

    python bench/scale_source.py build   --size 100k --history-days 7 --steady-day 2026-11-28 \\
        --store-url sqlite:///var/bench/rasad.db --source-url sqlite:///var/bench/source.db
    python bench/scale_source.py advance --size 100k --history-days 7 --steady-day 2026-11-28 \\
        --source-url sqlite:///var/bench/source.db

`build` writes the reference data to the store and the source as it stood at the end of the day before the
steady day (`--history-days` days of orders and deliveries); `advance` then applies the steady day's
changes (upserts), so that the source holds history + one more day, as a real replica would.

Why not the simulator: `build_world` keeps every event of the whole span in memory and rebuilds it for
each instant; at 1M deliveries a day over weeks that is tens of millions of rows at once. Here only the
catalogue (sellers, ~200k offers) and the organisation come from the simulator (so every seller's unit
and every offer's sub-branch are valid in `ref`), and orders and deliveries are generated one order-day at
a time from a seed of (seed, day), so `advance` regenerates exactly the days whose rows change on the
steady day, whatever the history length.

The shape:
- a size is deliveries created a day; orders are that / 1.07 (8% of splittable orders ship in two parts);
- offers: ~200k (10 per seller, 650 sellers a province) at 100k and 1M, ~20k at 10k; each day 1.5% of
  offers are re-priced, 0.1% paused (a paused offer resumes with probability 0.2 a day), 0.01% withdrawn;
- an order's `promised_at` is its offer's lead days (capped at 4 here) plus 3-10 hours;
- a delivery goes pending -> shipped -> delivered -> rated and/or returned, each step a new version
  (`updated_at` = its latest event); 10% arrive late (0-36 h past the promise, some inside the grace),
  1.5% are cancelled by the buyer, 2% by the seller, 1% never arrive (overdue); some are inspected a grade
  lower or rejected, rated 1-2, or complained about;
- every event of an order falls within `LIFECYCLE_DAYS` (7) of its placing, so the steady day's changes
  are the same rows whether the source holds 7 or 60 days of history.

Timestamps go to SQLite as ISO-8601 text in UTC (`...+00:00`), to PostgreSQL as timestamptz.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.simulator.clock import NEVER, NS_DAY, NS_HOUR, sec, tehran_midnight_ns  # noqa: E402
from pipelines.simulator.market import HOUR_WEIGHTS, nice_round  # noqa: E402
from pipelines.simulator.taxonomy import COUNTABLE_UNITS  # noqa: E402
from pipelines.simulator.world import MARKETPLACE_COLUMNS  # noqa: E402
from pipelines.store.sql_files import SQL_DIR  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
OFFERS_PER_SELLER = 10
# the catalogue (sellers, offers, the organisation) is built this many days before the steady day; the
# offers' daily changes run from then on, so their state on any day does not depend on the history length
ORIGIN_DAYS_BEFORE = 90
MAX_HISTORY_DAYS = ORIGIN_DAYS_BEFORE - 1
LIFECYCLE_DAYS = 7
MAX_LEAD_DAYS = 4
DELIVERIES_PER_ORDER = 1.07
MEMBERS = 20_000
# rows per executemany / COPY batch
WRITE_BATCH = 200_000
DEFECT_COMPLAINTS = np.array(["not_as_described", "damaged", "wrong_item", "short_quantity"], dtype=object)
LOWER_GRADE = {"A": "B", "B": "C", "C": "rejected"}


def sellers_per_province(deliveries_per_day: int) -> int:
    """650 a province (~20,000 sellers, ~200,000 offers) from 100k a day up; a tenth of that below."""
    return 650 if deliveries_per_day >= 50_000 else 65


@dataclass(frozen=True)
class SourceSpec:
    """What a bench source is: its daily volume, its days, its seed."""

    deliveries_per_day: int
    steady_day: date
    history_days: int
    seed: int = 5
    sellers_per_province: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.history_days <= MAX_HISTORY_DAYS:
            raise ValueError(f"history days must be within 1..{MAX_HISTORY_DAYS}")

    @property
    def origin(self) -> date:
        return self.steady_day - timedelta(days=ORIGIN_DAYS_BEFORE)

    @property
    def spp(self) -> int:
        return self.sellers_per_province or sellers_per_province(self.deliveries_per_day)

    @property
    def orders_per_day(self) -> int:
        return max(1, round(self.deliveries_per_day / DELIVERIES_PER_ORDER))

    def day_no(self, day: date) -> int:
        return (day - self.origin).days

    @property
    def history(self) -> list[date]:
        """The days of orders the source holds before the steady day, oldest first."""
        return [self.steady_day - timedelta(days=n) for n in range(self.history_days, 0, -1)]


# ---------------------------------------------------------------------------------------------- catalogue
def catalogue(spec: SourceSpec) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """The organisation (ref tables), the sellers and the offers, from the simulator, as of the origin."""
    from pipelines.simulator import SimScale, build_world

    world = build_world(
        seed=spec.seed, days=1, end_day=spec.origin,
        scale=SimScale(sellers_per_province=spec.spp, offers_per_seller=OFFERS_PER_SELLER, orders_per_day=50,
                       members=MEMBERS),
    )
    market = world.marketplace_as_of(world.end)
    offers = market["offers"].copy()
    offers["promised_lead_days"] = offers["promised_lead_days"].clip(upper=MAX_LEAD_DAYS)
    return world.reference_tables(), market["sellers"], offers


def _ns(series: pd.Series) -> np.ndarray:
    return series.dt.as_unit("ns").astype("int64").to_numpy()


class OfferBook:
    """The offers' current state, advanced one day of changes at a time from the origin."""

    def __init__(self, offers: pd.DataFrame, spec: SourceSpec):
        self.spec = spec
        self.offers = offers.reset_index(drop=True)
        n = len(self.offers)
        self.price = self.offers["unit_price_rial"].to_numpy(dtype=np.int64).copy()
        nesieh = self.offers["nesieh_unit_price_rial"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        self.nesieh_ratio = nesieh / self.price
        self.status = self.offers["status"].to_numpy(dtype=object).copy()
        self.updated_ns = _ns(self.offers["updated_at"]).copy()
        self.popularity = np.random.default_rng([spec.seed, 1]).lognormal(0, 0.8, n)
        self.done_through = -1  # day numbers whose changes are applied

    def advance_through(self, day_no: int) -> None:
        while self.done_through < day_no:
            self.done_through += 1
            if self.done_through > 0:  # day 0 is the catalogue's own
                self._apply_day(self.done_through)

    def _apply_day(self, day_no: int) -> None:
        rng = np.random.default_rng([self.spec.seed, 11, day_no])
        n = len(self.price)
        midnight = tehran_midnight_ns(self.spec.origin + timedelta(days=day_no))
        at = sec(midnight + rng.integers(0, NS_DAY, n))
        r_price, r_status, factor = rng.random(n), rng.random(n), rng.lognormal(0.003, 0.02, n)
        live = self.status != "withdrawn"
        revise = live & (r_price < 0.015)
        active, paused = self.status == "active", self.status == "paused"
        pause = active & (r_status < 0.001)
        withdraw = active & (r_status >= 0.001) & (r_status < 0.0011)
        resume = paused & (r_status < 0.2)
        self.price[revise] = nice_round(self.price[revise] * factor[revise])
        self.status[pause] = "paused"
        self.status[withdraw] = "withdrawn"
        self.status[resume] = "active"
        changed = revise | pause | withdraw | resume
        self.updated_ns[changed] = at[changed]

    def frame(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """Contract rows of the offers (all, or those at the positions `rows`)."""
        idx = np.arange(len(self.price)) if rows is None else rows
        out = self.offers.iloc[idx].copy()
        price = self.price[idx]
        out["unit_price_rial"] = price
        out["nesieh_unit_price_rial"] = pd.arrays.IntegerArray(self.nesieh_price(idx), np.isnan(self.nesieh_ratio[idx]))
        out["status"] = self.status[idx]
        out["updated_at"] = pd.to_datetime(self.updated_ns[idx], utc=True)
        return out[MARKETPLACE_COLUMNS["offers"]]

    def nesieh_price(self, idx: np.ndarray) -> np.ndarray:
        nesieh = np.round(self.price[idx] * self.nesieh_ratio[idx] / 1000) * 1000
        return np.maximum(np.nan_to_num(nesieh), self.price[idx]).astype(np.int64)


# ------------------------------------------------------------------------------------ orders and deliveries
@dataclass
class OrderDay:
    """The orders placed on one Tehran day and their deliveries' event timelines (int64 ns, NEVER: none)."""

    orders: pd.DataFrame
    deliveries: pd.DataFrame


def order_day(spec: SourceSpec, book: OfferBook, day: date) -> OrderDay:
    """Orders of `day` (offers as they stood at its start), deterministic in (seed, day)."""
    day_no = spec.day_no(day)
    book.advance_through(day_no - 1)
    rng = np.random.default_rng([spec.seed, 22, day_no])
    n = spec.orders_per_day
    active = np.flatnonzero(book.status == "active")
    weights = book.popularity[active]
    offer_idx = active[rng.choice(len(active), n, p=weights / weights.sum())]
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    ordered = np.sort(sec(tehran_midnight_ns(day) + hour * NS_HOUR + rng.integers(0, NS_HOUR, n)))
    offers = book.offers
    unit = offers["unit"].to_numpy()[offer_idx]
    countable = np.isin(unit, list(COUNTABLE_UNITS))
    raw_qty = rng.lognormal(1.0, 0.8, n)
    qty = np.where(countable, np.maximum(np.round(raw_qty), 1), np.maximum(np.round(raw_qty, 1), 0.5))
    has_nesieh = ~np.isnan(book.nesieh_ratio[offer_idx])
    nesieh = has_nesieh & (rng.random(n) < 0.45)
    price = np.where(nesieh, book.nesieh_price(offer_idx), book.price[offer_idx])
    lead = offers["promised_lead_days"].to_numpy(dtype=np.int64)[offer_idx]
    promised = ordered + lead * NS_DAY + rng.integers(3, 11, n) * NS_HOUR
    orders = pd.DataFrame({
        "order_id": [f"OR{day_no:03d}-{i:07d}" for i in range(n)],
        "offer_id": offers["offer_id"].to_numpy()[offer_idx],
        "buyer_member_id": [f"m-{m:05d}" for m in rng.integers(1, MEMBERS + 1, n)],
        "quantity": qty,
        "unit_price_rial": price.astype(np.int64),
        "payment": np.where(nesieh, "nesieh", "cash").astype(object),
        "ordered_ns": ordered,
        "promised_ns": promised,
    })

    # deliveries: one per order, or two partial shipments
    split = np.where(countable, qty >= 2, qty >= 1) & (rng.random(n) < 0.08)
    first = np.where(countable, np.clip(np.round(qty * 0.5), 1, np.maximum(qty - 1, 1)), np.round(qty * 0.5, 1))
    first = np.where(split, first, qty)
    order_pos = np.concatenate([np.arange(n), np.flatnonzero(split)])
    seq = np.concatenate([np.ones(n, dtype=np.int64), np.full(int(split.sum()), 2)])
    dqty = np.concatenate([first, np.round(qty[split] - first[split], 1)])
    srt = np.lexsort((seq, order_pos))
    order_pos, seq, dqty = order_pos[srt], seq[srt], dqty[srt]
    m = len(order_pos)
    o_at, p_at = ordered[order_pos], promised[order_pos]
    cap = o_at + LIFECYCLE_DAYS * NS_DAY - 10**9
    window = p_at - o_at
    ship = sec(o_at + (window * np.where(seq == 1, rng.uniform(0.03, 0.5, m), rng.uniform(0.3, 0.7, m)))
               .astype(np.int64))
    on_time = sec(ship + ((p_at - ship) * rng.uniform(0.2, 1.0, m)).astype(np.int64))
    late_by = sec(rng.uniform(0, 36, m) * NS_HOUR)
    fate = rng.random(m)
    buyer_cancel = fate < 0.015
    seller_cancel = (fate >= 0.015) & (fate < 0.035)
    never = (fate >= 0.035) & (fate < 0.045)
    late = (fate >= 0.045) & (fate < 0.145)
    done = fate >= 0.045
    cancel_at = np.where(buyer_cancel | seller_cancel,
                         sec(o_at + (window * rng.uniform(0.02, 0.4, m)).astype(np.int64)), NEVER)
    shipped = np.where(done | (never & (rng.random(m) < 0.5)), ship, NEVER)
    delivered = np.where(done, np.minimum(np.where(late, p_at + late_by, on_time), cap), NEVER)
    promised_q = offers["promised_quality"].to_numpy(dtype=object)[offer_idx][order_pos]
    inspected = done & (rng.random(m) < 0.6)
    r_q = rng.random(m)
    received = np.where(inspected, promised_q, None).astype(object)
    lower = inspected & (r_q < 0.03)
    received[lower] = [LOWER_GRADE[g] for g in promised_q[lower]]
    received[inspected & (r_q >= 0.03) & (r_q < 0.035)] = "rejected"
    rated = done & (rng.random(m) < 0.65)
    rating = np.where(rng.random(m) < 0.04, rng.integers(1, 3, m), rng.choice([3, 4, 5], m, p=[0.15, 0.35, 0.5]))
    rating = np.where(rated, rating, 0)
    r_c = rng.random(m)
    complaint = np.full(m, None, dtype=object)
    complaint[done & (r_c < 0.015)] = "other"
    defect = done & (r_c >= 0.015) & (r_c < 0.035)
    complaint[defect] = DEFECT_COMPLAINTS[rng.integers(0, len(DEFECT_COMPLAINTS), int(defect.sum()))]
    complaint[late & (r_c >= 0.035) & (r_c < 0.235)] = "late"
    has_feedback = rated | pd.notna(complaint)
    lag = np.where(rng.random(m) < 0.5, 0, rng.integers(2 * NS_HOUR, 24 * NS_HOUR, m))
    feedback = np.where(has_feedback, np.minimum(sec(delivered + lag), cap), NEVER)
    returned = done & (rng.random(m) < 0.015)
    returned_at = np.where(returned, np.minimum(sec(delivered + rng.integers(4, 48, m) * NS_HOUR), cap), NEVER)
    returned_qty = np.where(returned, np.where(rng.random(m) < 0.5, dqty, np.round(dqty * 0.5, 1)), np.nan)
    deliveries = pd.DataFrame({
        "delivery_id": [f"DL{day_no:03d}-{i:07d}" for i in range(m)],
        "order_id": orders["order_id"].to_numpy()[order_pos],
        "qty": dqty,
        "created_ns": o_at,
        "shipped_ns": shipped,
        "delivered_ns": delivered,
        "cancel_ns": cancel_at,
        "cancel_status": np.where(buyer_cancel, "cancelled_by_buyer",
                                  np.where(seller_cancel, "cancelled_by_seller", None)).astype(object),
        "quality_ns": np.where(inspected, delivered, NEVER),
        "received_quality": received,
        "feedback_ns": feedback,
        "rating": rating.astype(np.int64),
        "complaint": complaint,
        "returned_ns": returned_at,
        "returned_qty": returned_qty,
    })
    return OrderDay(orders=orders, deliveries=deliveries)


def orders_rows(day: OrderDay) -> pd.DataFrame:
    """The orders' contract rows (an order does not change once placed)."""
    o = day.orders
    ordered = pd.to_datetime(o["ordered_ns"].to_numpy(), utc=True)
    return pd.DataFrame({
        "order_id": o["order_id"], "offer_id": o["offer_id"], "buyer_member_id": o["buyer_member_id"],
        "quantity": o["quantity"], "unit_price_rial": o["unit_price_rial"], "payment": o["payment"],
        "ordered_at": ordered, "promised_at": pd.to_datetime(o["promised_ns"].to_numpy(), utc=True),
        "updated_at": ordered,
    })


def _at(ns: np.ndarray) -> pd.Series:
    arr = np.asarray(ns, dtype=np.int64).copy()
    arr[arr == NEVER] = np.iinfo(np.int64).min
    return pd.Series(pd.DatetimeIndex(arr.view("M8[ns]")).tz_localize("UTC"))


def deliveries_rows(day: OrderDay, before_ns: int, since_ns: int | None = None) -> pd.DataFrame:
    """The deliveries as they stood just before `before_ns` (events at or after it not yet happened);
    with `since_ns`, only those whose latest version is at or after it (changed in [since, before))."""
    d = day.deliveries
    d = d[d["created_ns"].to_numpy() < before_ns]
    seen = {k: d[k].to_numpy() < before_ns
            for k in ("shipped_ns", "delivered_ns", "cancel_ns", "quality_ns", "feedback_ns", "returned_ns")}
    times = np.stack([d["created_ns"].to_numpy()] + [np.where(seen[k], d[k].to_numpy(), 0) for k in seen])
    updated = times.max(axis=0)
    keep = np.ones(len(d), dtype=bool) if since_ns is None else updated >= since_ns
    d, updated = d[keep], updated[keep]
    seen = {k: v[keep] for k, v in seen.items()}
    status = np.select(
        [seen["cancel_ns"], seen["returned_ns"], seen["delivered_ns"], seen["shipped_ns"]],
        [d["cancel_status"].to_numpy(dtype=object), "returned", "delivered", "shipped"], "pending",
    ).astype(object)
    rating = d["rating"].to_numpy()
    show_rating = seen["feedback_ns"] & (rating > 0)
    complaint = d["complaint"].to_numpy(dtype=object).copy()
    complaint[~seen["feedback_ns"]] = None
    quality = d["received_quality"].to_numpy(dtype=object).copy()
    quality[~seen["quality_ns"]] = None
    return pd.DataFrame({
        "delivery_id": d["delivery_id"].to_numpy(),
        "order_id": d["order_id"].to_numpy(),
        "status": status,
        "shipped_at": _at(np.where(seen["shipped_ns"], d["shipped_ns"].to_numpy(), NEVER)),
        "delivered_at": _at(np.where(seen["delivered_ns"], d["delivered_ns"].to_numpy(), NEVER)),
        "delivered_qty": np.where(seen["delivered_ns"], d["qty"].to_numpy(), np.nan),
        "received_quality": quality,
        "buyer_rating": pd.arrays.IntegerArray(rating.astype(np.int64), ~show_rating),
        "complaint": complaint,
        "returned_qty": np.where(seen["returned_ns"], d["returned_qty"].to_numpy(), np.nan),
        "updated_at": _at(updated),
    })[MARKETPLACE_COLUMNS["deliveries"]]


# ---------------------------------------------------------------------------------------------- writing
def _columns(frame: pd.DataFrame) -> list[list]:
    """Whole-column conversion to Python values with None for missing; timestamps as UTC ISO text."""
    out = []
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            ns = col.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]")
            text = np.char.add(np.datetime_as_string(ns.astype("datetime64[s]"), unit="s"), "+00:00").astype(object)
            text[np.isnat(ns)] = None
            out.append(text.tolist())
        else:
            values = col.astype(object).to_numpy(copy=True)
            values[pd.isna(values)] = None
            out.append(values.tolist())
    return out


def _batches(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), WRITE_BATCH):
        yield frame.iloc[start : start + WRITE_BATCH]


class SqliteSink:
    """The SQLite source file (the tables as the contract's SQLite DDL has them)."""

    def __init__(self, path: Path, fresh: bool):
        if fresh:
            path.unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA synchronous=OFF")
        if fresh:
            self.conn.execute("PRAGMA journal_mode=OFF")
            self.conn.executescript((SQL_DIR / "ombazar" / "create_tables.sqlite.sql").read_text(encoding="utf-8"))

    def write(self, table: str, frame: pd.DataFrame, upsert: bool = False) -> None:
        verb = "INSERT OR REPLACE" if upsert else "INSERT"
        sql = f"{verb} INTO {table} ({', '.join(frame.columns)}) VALUES ({', '.join('?' * len(frame.columns))})"
        for batch in _batches(frame):
            self.conn.executemany(sql, zip(*_columns(batch), strict=True))
        self.conn.commit()

    def close(self) -> None:
        self.conn.execute("ANALYZE")
        self.conn.commit()
        self.conn.execute("PRAGMA journal_mode=DELETE")
        self.conn.close()


class PostgresSink:
    """Schema `ombazar` of a PostgreSQL database, loaded with COPY."""

    def __init__(self, url: str, fresh: bool):
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=False)
        self.tables: set[str] = set()
        if fresh:
            with self.conn.cursor() as cur:
                cur.execute("DROP SCHEMA IF EXISTS ombazar CASCADE")
                cur.execute((SQL_DIR / "ombazar" / "create_tables.postgresql.sql").read_text(encoding="utf-8"))
            self.conn.commit()

    def write(self, table: str, frame: pd.DataFrame, upsert: bool = False) -> None:
        columns = list(frame.columns)
        target = f"ombazar.{table}"
        with self.conn.cursor() as cur:
            if upsert:
                cur.execute(f"CREATE TEMP TABLE bench_upsert (LIKE ombazar.{table}) ON COMMIT DROP")
                target = "bench_upsert"
            with cur.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN") as copy:
                for batch in _batches(frame):
                    for row in zip(*_columns(batch), strict=True):
                        copy.write_row(row)
            if upsert:
                key = columns[0]
                sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[1:])
                cur.execute(f"INSERT INTO ombazar.{table} ({', '.join(columns)}) SELECT {', '.join(columns)} "
                            f"FROM bench_upsert ON CONFLICT ({key}) DO UPDATE SET {sets}")
        self.conn.commit()
        self.tables.add(table)

    def close(self) -> None:
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            for table in sorted(self.tables):
                cur.execute(f"VACUUM ANALYZE ombazar.{table}")
        self.conn.close()


def open_sink(source_url: str, fresh: bool) -> SqliteSink | PostgresSink:
    if source_url.startswith("sqlite"):
        return SqliteSink(Path(source_url.split("///", 1)[1]), fresh)
    return PostgresSink(source_url, fresh)


# ---------------------------------------------------------------------------------------------- commands
def build(spec: SourceSpec, store_url: str, source_url: str) -> dict:
    """Reference data into the store; the source as it stood at the end of the day before the steady day."""
    from pipelines.reference.writer import write_reference
    from pipelines.settings import Settings
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    ref, sellers, offers = catalogue(spec)
    store = store_engine(Settings(store_url=store_url, source_url=source_url))
    upgrade_store(store)
    write_reference(ref, store, spec.steady_day, source=f"bench:scale_source:seed={spec.seed}")
    store.dispose()

    until = tehran_midnight_ns(spec.steady_day)
    book = OfferBook(offers, spec)
    sink = open_sink(source_url, fresh=True)
    counts = {"sellers": len(sellers), "offers": len(offers), "orders": 0, "deliveries": 0}
    sink.write("sellers", sellers)
    for day in spec.history:
        chunk = order_day(spec, book, day)
        orders = orders_rows(chunk)
        deliveries = deliveries_rows(chunk, until)
        sink.write("orders", orders)
        sink.write("deliveries", deliveries)
        counts["orders"] += len(orders)
        counts["deliveries"] += len(deliveries)
        del chunk, orders, deliveries
    book.advance_through(spec.day_no(spec.steady_day) - 1)
    sink.write("offers", book.frame())
    counts["active_offers"] = int((book.status == "active").sum())
    sink.close()
    return counts


def advance(spec: SourceSpec, source_url: str) -> dict:
    """The steady day's changes: new orders, deliveries whose latest version falls in it, offers changed."""
    since = tehran_midnight_ns(spec.steady_day)
    before = tehran_midnight_ns(spec.steady_day + timedelta(days=1))
    _, _, offers = catalogue(spec)
    book = OfferBook(offers, spec)
    sink = open_sink(source_url, fresh=False)
    counts = {"orders": 0, "deliveries": 0}
    first = max(spec.history[0], spec.steady_day - timedelta(days=LIFECYCLE_DAYS))
    for n in range((spec.steady_day - first).days + 1):
        day = first + timedelta(days=n)
        chunk = order_day(spec, book, day)
        if day == spec.steady_day:
            orders = orders_rows(chunk)
            sink.write("orders", orders)
            counts["orders"] += len(orders)
        deliveries = deliveries_rows(chunk, before, since_ns=since)
        sink.write("deliveries", deliveries, upsert=True)
        counts["deliveries"] += len(deliveries)
        del chunk, deliveries
    book.advance_through(spec.day_no(spec.steady_day))
    changed = np.flatnonzero((book.updated_ns >= since) & (book.updated_ns < before))
    sink.write("offers", book.frame(changed), upsert=True)
    counts["offers"] = len(changed)
    counts["active_offers"] = int((book.status == "active").sum())
    sink.close()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("build", "advance"))
    parser.add_argument("--size", required=True, help=f"deliveries a day: {', '.join(SIZES)} or a number")
    parser.add_argument("--history-days", type=int, default=7)
    parser.add_argument("--steady-day", type=date.fromisoformat, required=True)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sellers-per-province", type=int, default=None)
    parser.add_argument("--store-url", help="the Rasad store (build only: the reference data goes there)")
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--out", type=Path, help="write the counts and timings here as JSON")
    args = parser.parse_args(argv)
    spec = SourceSpec(deliveries_per_day=SIZES.get(args.size) or int(args.size), steady_day=args.steady_day,
                      history_days=args.history_days, seed=args.seed, sellers_per_province=args.sellers_per_province)
    t0 = time.perf_counter()
    if args.command == "build":
        if not args.store_url:
            parser.error("build needs --store-url")
        counts = build(spec, args.store_url, args.source_url)
    else:
        counts = advance(spec, args.source_url)
    result = {"command": args.command, "rows": counts, "seconds": round(time.perf_counter() - t0, 2),
              "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    print(json.dumps(result))
    if args.out:
        args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
