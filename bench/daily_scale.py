"""How long the daily pipeline takes at scale, step by step, on the embedded SQLite store.

    python bench/daily_scale.py --orders-per-day 100000 --history-days 6

Builds a simulated Ombazar with that many orders a day, runs the first day (the initial load of all
history) and then one steady-state day, and prints each step's wall time from the run log.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration import tables as run_tables
from pipelines.orchestration.daily_steps import run_day
from pipelines.settings import Settings
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.store.engine import store_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders-per-day", type=int, default=100_000)
    parser.add_argument("--history-days", type=int, default=6)
    parser.add_argument("--sellers-per-province", type=int, default=60)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--var-dir", type=Path, default=None)
    args = parser.parse_args()

    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="rasad-scale-"))
    settings = Settings(var_dir=var_dir)
    scale = SimScale(sellers_per_province=args.sellers_per_province, offers_per_seller=6,
                     orders_per_day=args.orders_per_day, members=max(3000, args.orders_per_day // 5))
    end_day = date(2026, 11, 20)
    days = [end_day - timedelta(days=2), end_day - timedelta(days=1)]
    for label, day in zip(("initial load", "steady day"), days, strict=True):
        t0 = time.perf_counter()
        counts = simulate_into(settings, args.seed, args.history_days + 2, end_day, MonitoredDay(day).end, scale)
        simulated = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = run_day(settings, day)
        total = time.perf_counter() - t0
        with store_engine(settings).connect() as conn:
            steps = pd.DataFrame(conn.execute(
                select(run_tables.run_log.c.step, run_tables.run_log.c.started_at, run_tables.run_log.c.finished_at)
                .where(run_tables.run_log.c.run_id.like(f"{summary['run_id']}:%"))).mappings().all())
        steps["seconds"] = (steps["finished_at"] - steps["started_at"]).dt.total_seconds().round(1)
        fetched = {e["entity"]: e["rows_fetched"] for e in summary["extract"]}
        print(json.dumps({
            "run": label, "day": day.isoformat(), "source_rows": counts, "rows_extracted": fetched,
            "simulate_seconds": round(simulated, 1), "pipeline_seconds": round(total, 1),
            "steps": dict(zip(steps["step"], steps["seconds"], strict=True)),
        }))


if __name__ == "__main__":
    main()
