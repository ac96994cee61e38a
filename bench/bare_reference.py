"""The bare reference: the day's core figures straight from the source, in the plainest fast pandas.

    python bench/bare_reference.py --source-url sqlite:///var/bench/source.db --day 2026-11-28

No validation, no staging, no writes: it reads the rows that changed at the source in the Tehran day
[D 00:00+03:30, D+1 00:00+03:30), the orders those deliveries belong to (by id) and their offers (by id),
and the active offers, and computes
- per delivery: lateness = delivered_at - the order's promised_at (late: beyond the grace hours);
- per seller: the day's delivered, late and cancelled-by-seller deliveries;
- per active offer: the robust z of log(unit price) within its category_code and unit (median, 1.4826 MAD).

`bench/scale.py` runs it in its own process on the steady day and divides Rasad's steady day by its time.
On SQLite it compares `updated_at` as text, which holds for `bench/scale_source.py`'s UTC ISO text (a
general contract source may use any offset: Rasad normalises them, this script does not).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa

TEHRAN = ZoneInfo("Asia/Tehran")
ID_CHUNK = 30_000  # below SQLite's 32,766 bound parameters


class SourceReader:
    """Plain SELECTs on the source's four tables (SQLite file or PostgreSQL schema `ombazar`)."""

    def __init__(self, url: str):
        self.sqlite = url.startswith("sqlite")
        if not self.sqlite and url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        self.engine = sa.create_engine(url)
        self.prefix = "" if self.sqlite else "ombazar."

    def _bound(self, instant: datetime):
        return instant.strftime("%Y-%m-%dT%H:%M:%S+00:00") if self.sqlite else instant

    def changed(self, table: str, columns: str, since: datetime, before: datetime) -> pd.DataFrame:
        sql = f"SELECT {columns} FROM {self.prefix}{table} WHERE updated_at >= :since AND updated_at < :before"
        with self.engine.connect() as conn:
            return pd.read_sql(sa.text(sql), conn, params={"since": self._bound(since), "before": self._bound(before)})

    def by_id(self, table: str, key: str, columns: str, ids) -> pd.DataFrame:
        ids = [str(i) for i in pd.unique(pd.Series(ids).dropna())]
        if not ids:
            return pd.DataFrame(columns=[c.strip() for c in columns.split(",")])
        with self.engine.connect() as conn:
            if not self.sqlite:
                sql = sa.text(f"SELECT {columns} FROM {self.prefix}{table} WHERE {key} = ANY(:ids)")
                return pd.read_sql(sql, conn, params={"ids": ids})
            stmt = sa.text(f"SELECT {columns} FROM {table} WHERE {key} IN :ids").bindparams(
                sa.bindparam("ids", expanding=True))
            parts = [pd.read_sql(stmt, conn, params={"ids": ids[i : i + ID_CHUNK]})
                     for i in range(0, len(ids), ID_CHUNK)]
        return pd.concat(parts, ignore_index=True)

    def active_offers(self) -> pd.DataFrame:
        sql = f"SELECT offer_id, category_code, unit, unit_price_rial FROM {self.prefix}offers WHERE status = 'active'"
        with self.engine.connect() as conn:
            return pd.read_sql(sa.text(sql), conn)


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601")


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, dtime(0), tzinfo=TEHRAN).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), dtime(0), tzinfo=TEHRAN).astimezone(UTC)


def run(source_url: str, day: date, grace_hours: float = 6.0) -> dict:
    """Read and compute the day's figures; return counts and the seconds of each part."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    since, before = day_window(day)
    src = SourceReader(source_url)

    deliveries = src.changed("deliveries", "delivery_id, order_id, status, delivered_at", since, before)
    orders = src.by_id("orders", "order_id", "order_id, offer_id, promised_at", deliveries["order_id"])
    offers = src.by_id("offers", "offer_id", "offer_id, seller_id", orders["offer_id"])
    timings["read_day"] = time.perf_counter() - t

    t = time.perf_counter()
    d = deliveries.merge(orders, on="order_id", how="left").merge(offers, on="offer_id", how="left")
    d["delivered_at"] = _utc(d["delivered_at"])
    d["promised_at"] = _utc(d["promised_at"])
    d["lateness_hours"] = (d["delivered_at"] - d["promised_at"]).dt.total_seconds() / 3600
    delivered_today = d["delivered_at"].ge(since) & d["delivered_at"].lt(before)
    d["delivered"] = delivered_today
    d["late"] = delivered_today & d["lateness_hours"].gt(grace_hours)
    d["cancelled_by_seller"] = d["status"].eq("cancelled_by_seller")
    per_seller = d.groupby("seller_id")[["delivered", "late", "cancelled_by_seller"]].sum()
    timings["lateness_and_sellers"] = time.perf_counter() - t

    t = time.perf_counter()
    active = src.active_offers()
    timings["read_offers"] = time.perf_counter() - t
    t = time.perf_counter()
    log_price = np.log(active["unit_price_rial"].astype(float))
    groups = active.groupby(["category_code", "unit"])
    median = log_price.groupby([active["category_code"], active["unit"]]).transform("median")
    mad = (log_price - median).abs().groupby([active["category_code"], active["unit"]]).transform("median")
    z = (log_price - median) / (1.4826 * mad.where(mad > 0))
    timings["price_z"] = time.perf_counter() - t

    return {
        "day": day.isoformat(),
        "seconds": round(sum(timings.values()), 3),
        "parts_seconds": {k: round(v, 3) for k, v in timings.items()},
        "rows": {"deliveries_changed": len(deliveries), "orders_read": len(orders), "offers_read": len(offers),
                 "active_offers": len(active)},
        "figures": {"delivered": int(d["delivered"].sum()), "late": int(d["late"].sum()),
                    "cancelled_by_seller": int(d["cancelled_by_seller"].sum()), "sellers": len(per_seller),
                    "price_groups": groups.ngroups, "offers_abs_z_over_3_5": int((z.abs() > 3.5).sum())},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True, help="the Tehran day D")
    parser.add_argument("--grace-hours", type=float, default=6.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = run(args.source_url, args.day, args.grace_hours)
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))
    if args.out:
        args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
