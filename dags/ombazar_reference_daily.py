"""
### ombazar_reference_daily

Checks the organisation's reference data (`ref`) against the seed's rules for one **Tehran calendar day**:
a member joins a social cooperation kanoon first; exactly one suppliers kanoon per province and domain; a
core has at most 15 people and a steward; a supplier is never a core; exclusive rahyaris only in the
capital; every region has a social rahyari; exactly one monitoring officer per province, assigned with
Fardap; every selling unit is covered.

- The data interval is the day `[D 00:00+03:30, D+1 00:00+03:30)`; every task derives D from it.
- `check_reference_fresh` fails clearly when no reference data was loaded close enough to D
  (`rasad ref load DIR`); `check_reference_rules` records each break as a violation for Fardap in
  `monitoring.reference_violation` (one episode per rule and entity, updated while it lasts) and marks the
  Asset `rasad://reference/checked` as updated.
- Idempotent for its day: a re-run leaves the same violations.

Run one day by hand: `airflow dags test ombazar_reference_daily <D+1>T00:00:00+03:30`, or
`rasad ref check --date D` without Airflow.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from pipelines.orchestration.airflow_glue import notify_engineers, retry_policy, task_timeout

REFERENCE_CHECKED = Asset("rasad://reference/checked")

default_args = {
    "owner": "rasad",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "on_failure_callback": notify_engineers,
    "execution_timeout": task_timeout(),
    "retry_policy": retry_policy(),
}


def _settings_and_day():
    from pipelines.orchestration.airflow_glue import monitored_day_of, resolve_settings

    return resolve_settings(), monitored_day_of(get_current_context())


@dag(
    dag_id="ombazar_reference_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="Asia/Tehran"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Tehran"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["rasad", "ombazar", "reference"],
    doc_md=__doc__,
)
def ombazar_reference_daily():
    @task
    def check_reference_fresh() -> str:
        from pipelines.orchestration.daily_steps import check_reference_fresh as check_fresh

        settings, day = _settings_and_day()
        return check_fresh(settings, day).isoformat()

    @task(outlets=[REFERENCE_CHECKED])
    def check_reference_rules() -> dict:
        from pipelines.reference.rules import run_reference_checks

        settings, day = _settings_and_day()
        return run_reference_checks(settings, day)

    check_reference_fresh() >> check_reference_rules()


ombazar_reference_daily()
