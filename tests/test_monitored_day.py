from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pipelines.monitored_day import (
    MonitoredDay,
    MonitoredDayError,
    day_from_data_interval,
    last_complete_days,
)
from pipelines.orchestration.cli import logical_date_for

pytestmark = pytest.mark.unit
TEHRAN_OFFSET = timezone(timedelta(hours=3, minutes=30))


def test_window_is_tehran_midnight_to_midnight():
    d = MonitoredDay(date(2026, 11, 24))
    assert d.start == datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    assert d.end == datetime(2026, 11, 24, 20, 30, tzinfo=UTC)


def test_scheduled_run_interval_names_the_day():
    start = datetime(2026, 11, 24, 0, 0, tzinfo=TEHRAN_OFFSET)
    assert day_from_data_interval(start, start + timedelta(days=1)) == date(2026, 11, 24)


def test_dags_test_with_utc_date_means_the_tehran_day_before():
    # `airflow dags test DAG 2026-11-25` gave [2026-11-24 00:00+03:30, 2026-11-25 00:00+03:30)
    start = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    assert day_from_data_interval(start, start + timedelta(days=1)) == date(2026, 11, 24)


def test_manual_trigger_with_a_non_day_interval_is_refused():
    start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    with pytest.raises(MonitoredDayError):
        day_from_data_interval(start, start)


def test_logical_date_for_dags_test_round_trips():
    logical = datetime.fromisoformat(logical_date_for(date(2026, 11, 24)))
    assert day_from_data_interval(logical - timedelta(days=1), logical) == date(2026, 11, 24)


def test_last_complete_days_excludes_today():
    now = datetime(2026, 11, 26, 19, 0, tzinfo=UTC)  # 22:30 in Tehran
    assert last_complete_days(2, now) == [date(2026, 11, 24), date(2026, 11, 25)]
