"""Time `validate_batch` on offers-like batches (text as read from SQLite, ~1% bad rows).

    .venv/bin/python bench/validation_bench.py            # 100k and 1M rows
    .venv/bin/python bench/validation_bench.py 250000     # any sizes

Prints one line per size: seconds, and the split into valid / quarantined / duplicates.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.ingest.validation import validate_batch  # noqa: E402
from pipelines.source.contract import UNITS  # noqa: E402

EXTRACTED_AT = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


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
    iso = "%Y-%m-%dT%H:%M:%S+00:00"
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
            "created_at": created.strftime(iso),
            "updated_at": updated.strftime(iso),
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


def main(sizes: list[int]) -> None:
    """Print the time to validate each size (after one warm-up call that loads GX)."""
    t0 = time.perf_counter()
    validate_batch("offers", offers_like(100), extracted_at=EXTRACTED_AT)
    print(f"warm-up (GX import, context, suite): {time.perf_counter() - t0:.1f} s")
    for n in sizes:
        raw = offers_like(n)
        known = {"category_code": {f"sb-{i}" for i in range(495)}}
        t0 = time.perf_counter()
        out = validate_batch("offers", raw, extracted_at=EXTRACTED_AT, known=known)
        seconds = time.perf_counter() - t0
        assert out.rows_in == len(out.valid) + len(out.quarantined) + out.duplicates_dropped
        print(
            f"{len(raw):>9,} rows: {seconds:6.1f} s  valid {len(out.valid):,}  "
            f"quarantined {len(out.quarantined):,}  duplicates {out.duplicates_dropped:,}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
