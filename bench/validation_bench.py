"""Time `validate_batch` on offers-like or deliveries-like batches (~1% bad rows, ~1% re-read rows).

    .venv/bin/python bench/validation_bench.py                              # offers, 100k and 1M rows
    .venv/bin/python bench/validation_bench.py 250000                       # any sizes
    .venv/bin/python bench/validation_bench.py --entity deliveries 300000   # loosely typed, as SQLite hands them
    .venv/bin/python bench/validation_bench.py --entity deliveries --typed 300000  # typed, as PostgreSQL does
    .venv/bin/python bench/validation_bench.py --data-docs 20000            # and the run's Data Docs, once

Prints one line per size: seconds and µs a row (wall clock, and the process's CPU time, steadier on a
shared machine), and the split into valid / quarantined / duplicates.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.ingest import data_docs  # noqa: E402
from pipelines.ingest.validation import entity_suites, validate_batch  # noqa: E402
from pipelines.source.contract import COMPLAINTS, RECEIVED_QUALITIES, UNITS  # noqa: E402

EXTRACTED_AT = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ISO = "%Y-%m-%dT%H:%M:%S+00:00"


def offers_like(n: int, seed: int = 7) -> pd.DataFrame:
    """`n` offers as text, the way a SQLite source hands them, with a sprinkling of bad rows."""
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.arange(n)).astype("str")
    price = rng.integers(1_000, 50_000_000, n)
    nesieh = rng.random(n) < 0.3
    created = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 300 * 86400, n), unit="s"
    )
    updated = created + pd.to_timedelta(rng.integers(0, 86400, n), unit="s")
    frame = pd.DataFrame(
        {
            "offer_id": "of-" + ids,
            "seller_id": "se-" + pd.Series(rng.integers(0, 20_000, n)).astype("str"),
            "title": np.where(rng.random(n) < 0.5, "عسل طبيعي کوهستان", "برنج طارم درجه يک"),
            "category_code": "sb-" + pd.Series(rng.integers(0, 500, n)).astype("str"),
            "unit": np.asarray(UNITS)[rng.integers(0, len(UNITS), n)],
            "unit_price_rial": pd.Series(price).astype("str"),
            "nesieh_months": np.where(nesieh, pd.Series(rng.integers(1, 13, n)).astype("str"), None),
            "nesieh_unit_price_rial": np.where(nesieh, pd.Series(price * 12 // 10).astype("str"), None),
            "promised_quality": np.asarray(["A", "B", "C"])[rng.integers(0, 3, n)],
            "promised_lead_days": pd.Series(rng.integers(0, 30, n)).astype("str"),
            "stock_qty": pd.Series(rng.integers(0, 10_000, n) / 4).astype("str"),
            "status": np.asarray(["active", "paused", "withdrawn"])[rng.integers(0, 3, n)],
            "created_at": created.strftime(_ISO),
            "updated_at": updated.strftime(_ISO),
        }
    )
    # 10% Persian digits with a thousands separator, ~1% of each kind of bad value
    persian = rng.random(n) < 0.10
    frame.loc[persian, "unit_price_rial"] = (
        frame.loc[persian, "unit_price_rial"]
        .str.translate(_PERSIAN)
        .str.replace(r"(\d)(\d{3})$", r"\1٬\2", regex=True)
    )
    for column, bad in [
        ("unit_price_rial", "abc"),
        ("unit", "bushel"),
        ("created_at", "2026-01-01T00:00:00"),
    ]:
        frame.loc[rng.random(n) < 0.01, column] = bad
    # 1% re-read rows (inclusive updated_since): exact duplicates
    again = frame.sample(frac=0.01, random_state=seed)
    return pd.concat([frame, again], ignore_index=True)


def deliveries_like(n: int, *, typed: bool = False, seed: int = 7) -> pd.DataFrame:
    """`n` delivery versions with a sprinkling of bad rows (and 0.5% of orders placed after them, in `make`).

    Loosely typed (`typed=False`), as `pd.read_sql` hands them from the simulator's SQLite source:
    timestamps as ISO-8601 text, numbers as Python floats and ints with None, some numbers as text in
    Persian digits. Typed, as from PostgreSQL: zone-aware timestamps, float64 and Int64 numbers.
    """
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.arange(n)).astype("str")
    shipped = pd.Timestamp("2026-09-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 80 * 86400, n), unit="s")
    delivered = shipped + pd.to_timedelta(rng.integers(3600, 6 * 86400, n), unit="s")
    feedback = delivered + pd.to_timedelta(rng.integers(0, 3 * 86400, n), unit="s")
    stage = rng.integers(0, 10, n)  # 0-1 pending, 2-3 shipped, 4-9 delivered (8 returned, 9 rated)
    has_ship, has_delivery = stage >= 2, stage >= 4
    rated = stage == 9
    status = np.select(
        [stage == 8, has_delivery, has_ship], ["returned", "delivered", "shipped"], "pending"
    ).astype(object)
    updated = pd.Series(np.where(rated, feedback, np.where(has_delivery, delivered, shipped)))
    qty = np.round(rng.integers(1, 400, n) / rng.choice([1, 2, 4], n), 2)
    frame = pd.DataFrame(
        {
            "delivery_id": "DL" + ids.str.zfill(9),
            "order_id": "OR" + pd.Series(rng.integers(0, max(n * 9 // 10, 1), n)).astype("str").str.zfill(9),
            "status": status,
            "shipped_at": pd.Series(shipped).where(has_ship),
            "delivered_at": pd.Series(delivered).where(has_delivery),
            "delivered_qty": pd.Series(qty).where(has_delivery),
            "received_quality": pd.Series(np.asarray(RECEIVED_QUALITIES)[rng.integers(0, 4, n)]).where(
                has_delivery & (rng.random(n) < 0.6)
            ),
            "buyer_rating": pd.Series(rng.integers(1, 6, n)).astype("Int64").where(rated),
            "complaint": pd.Series(np.asarray(COMPLAINTS)[rng.integers(0, len(COMPLAINTS), n)]).where(
                rated & (rng.random(n) < 0.1)
            ),
            "returned_qty": pd.Series(qty / 2).where(stage == 8),
            "updated_at": updated,
        }
    )
    # 0.3% shipped after they were delivered
    swapped = has_delivery & (rng.random(n) < 0.003)
    frame.loc[swapped, "shipped_at"] = frame.loc[swapped, "delivered_at"] + pd.Timedelta(hours=1)
    if typed:
        for column, bad in [("status", "lost"), ("buyer_rating", 7), ("delivered_qty", -1.0)]:
            frame.loc[rng.random(n) < 0.01, column] = bad
    else:
        for column in ("shipped_at", "delivered_at", "updated_at"):
            text = frame[column].dt.strftime(_ISO)
            frame[column] = text.astype(object).where(text.notna(), np.nan)
        for column in ("delivered_qty", "returned_qty", "buyer_rating"):
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
        persian = (rng.random(n) < 0.03) & has_delivery
        frame.loc[persian, "delivered_qty"] = frame.loc[persian, "delivered_qty"].astype(str).str.translate(_PERSIAN)
        for column, bad in [
            ("status", "lost"),
            ("buyer_rating", "7"),
            ("delivered_qty", "a dozen"),
            ("delivered_at", "2026-10-01 10:00:00"),
        ]:
            frame.loc[rng.random(n) < 0.01, column] = bad
    again = frame.sample(frac=0.01, random_state=seed)
    return pd.concat([frame, again], ignore_index=True)


def make(entity: str, n: int, typed: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A batch of `n` rows of `entity` and the keyword arguments of `validate_batch` beside it."""
    if entity == "offers":
        return offers_like(n), {"known": {"category_code": {f"sb-{i}" for i in range(495)}}}
    raw = deliveries_like(n, typed=typed)
    orders = pd.unique(raw["order_id"])
    known = orders[: int(len(orders) * 0.995)]
    # each known order's ordered_at: before the deliveries, except 0.5% of orders placed after them
    rng = np.random.default_rng(len(orders))
    ordered_at = pd.Timestamp("2026-08-25", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 6 * 86400, len(known)), unit="s"
    )
    ordered_at = ordered_at.where(rng.random(len(known)) >= 0.005, pd.Timestamp("2026-11-25", tz="UTC"))
    return raw, {
        "known": {"order_id": set(known)},
        "related": {"order_ordered_at": pd.Series(ordered_at, index=known)},
    }


def main(argv: list[str] | None = None) -> None:
    """Print the time to validate each size (after one warm-up call that loads GX)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--entity", choices=["offers", "deliveries"], default="offers")
    parser.add_argument("--typed", action="store_true", help="deliveries typed as PostgreSQL hands them")
    parser.add_argument("--data-docs", action="store_true",
                        help="collect the results as a run does, then time its Checkpoint and Data Docs (once)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    raw, kwargs = make(args.entity, 100, args.typed)
    validate_batch(args.entity, raw, extracted_at=EXTRACTED_AT, **kwargs)
    print(f"warm-up (GX import, context, suite): {time.perf_counter() - t0:.1f} s")
    for n in args.sizes:
        raw, kwargs = make(args.entity, n, args.typed)
        t0, cpu0 = time.perf_counter(), time.process_time()
        with data_docs.collecting() as validated:
            out = validate_batch(args.entity, raw, extracted_at=EXTRACTED_AT, **kwargs)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        assert out.rows_in == len(out.valid) + len(out.quarantined) + out.duplicates_dropped
        print(
            f"{args.entity}{' (typed)' if args.typed else ''} {len(raw):>9,} rows: {seconds:6.2f} s "
            f"{seconds / len(raw) * 1e6:5.1f} µs/row (CPU {cpu:.2f} s, {cpu / len(raw) * 1e6:.1f} µs/row)  "
            f"valid {len(out.valid):,}  quarantined {len(out.quarantined):,}  duplicates {out.duplicates_dropped:,}"
        )
        if args.data_docs:
            with tempfile.TemporaryDirectory() as var_dir:
                t0, cpu0 = time.perf_counter(), time.process_time()
                index = data_docs.publish(Path(var_dir), validated, date(2026, 11, 25), "bench",
                                          entity_suites(validated.entities))
                seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                assert index is not None and index.exists()
                print(f"  the run's Checkpoint and Data Docs (once a run): {seconds:6.2f} s (CPU {cpu:.2f} s)")


if __name__ == "__main__":
    main()
