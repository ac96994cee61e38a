"""Shared helpers for the tests that run the whole daily pipeline on a simulated Ombazar."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import select

from pipelines.findings import tables as findings_tables
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration.daily_steps import run_day
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into, truth_path
from pipelines.store.engine import store_engine

SMALL = SimScale(sellers_per_province=4, offers_per_seller=4, orders_per_day=300, members=800)
END_DAY = date(2026, 11, 20)
SEED = 11
HISTORY_DAYS = 30


def days_before_end(count: int) -> list[date]:
    return [END_DAY - timedelta(days=n) for n in range(count, 0, -1)]


def simulate_and_run(settings, day: date, scale: SimScale = SMALL, seed: int = SEED) -> dict:
    """Advance the simulator's clock to the end of `day`, then monitor `day`."""
    simulate_into(settings, seed, HISTORY_DAYS, END_DAY, MonitoredDay(day).end, scale)
    return run_day(settings, day)


def findings_snapshot(settings) -> pd.DataFrame:
    """The findings table, in a stable order, for comparing two states."""
    with store_engine(settings).connect() as conn:
        rows = conn.execute(select(findings_tables.finding)
                            .order_by(findings_tables.finding.c.finding_id)).mappings().all()
    return pd.DataFrame(rows)


def table_snapshot(settings, table) -> pd.DataFrame:
    with store_engine(settings).connect() as conn:
        rows = conn.execute(select(table)).mappings().all()
    frame = pd.DataFrame(rows)
    keys = [c.name for c in table.primary_key.columns]
    return frame.sort_values(keys).reset_index(drop=True) if not frame.empty else frame


def truth(settings, kind: str) -> pd.DataFrame:
    with sqlite3.connect(truth_path(settings)) as conn:
        return pd.read_sql("SELECT * FROM truth WHERE kind = ?", conn, params=(kind,))
