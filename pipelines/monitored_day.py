"""The monitored Tehran day: its UTC window, and how a run's context names it.

A run monitors one Tehran calendar day D, the window [D 00:00+03:30, D+1 00:00+03:30).
Airflow's `ds` and `logical_date` do not name D reliably (see docs/monitored-day.md);
the data interval does, so `day_from_data_interval` is the one way a DAG learns D.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipelines.errors import UserError

TEHRAN = ZoneInfo("Asia/Tehran")


class MonitoredDayError(UserError, ValueError):
    """A run's interval is not exactly one Tehran calendar day."""


@dataclass(frozen=True)
class MonitoredDay:
    """One Tehran calendar day and its window in UTC."""

    day: date

    @property
    def start(self) -> datetime:
        """The first instant of the day (UTC, aware)."""
        return datetime.combine(self.day, time(0), tzinfo=TEHRAN).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the day (UTC, aware); the window is [start, end)."""
        return datetime.combine(self.day + timedelta(days=1), time(0), tzinfo=TEHRAN).astimezone(UTC)

    def shifted(self, days: int) -> MonitoredDay:
        """The day `days` later (or earlier, if negative)."""
        return MonitoredDay(self.day + timedelta(days=days))

    def __str__(self) -> str:
        return self.day.isoformat()


def day_from_data_interval(start: datetime, end: datetime) -> date:
    """The Tehran day D whose window is exactly [start, end); refuses anything else."""
    if start.tzinfo is None or end.tzinfo is None:
        raise MonitoredDayError("data interval bounds must be timezone-aware")
    local_start = start.astimezone(TEHRAN)
    day = local_start.date()
    expected = MonitoredDay(day)
    if local_start.time() != time(0) or end.astimezone(UTC) != expected.end:
        raise MonitoredDayError(
            f"data interval [{start.isoformat()}, {end.isoformat()}) is not one Tehran calendar day"
        )
    return day


def tehran_day_of(instant: datetime) -> date:
    """The Tehran calendar day on which an instant falls."""
    if instant.tzinfo is None:
        raise MonitoredDayError("naive datetime: cannot place it in a Tehran day")
    return instant.astimezone(TEHRAN).date()


def tehran_days(instants):
    """Whole-column `tehran_day_of` for a tz-aware datetime Series (NaT stays missing)."""
    import pandas as pd  # kept lazy: DAG files import this module at parse time

    local = pd.to_datetime(instants, utc=True).dt.tz_convert(TEHRAN)
    return local.dt.date.where(local.notna(), None)


def today_in_tehran(now: datetime | None = None) -> date:
    """Today's Tehran date."""
    return (now or datetime.now(UTC)).astimezone(TEHRAN).date()


def last_complete_days(count: int, now: datetime | None = None) -> list[date]:
    """The last `count` Tehran days that have ended, oldest first."""
    today = today_in_tehran(now)
    return [today - timedelta(days=n) for n in range(count, 0, -1)]
