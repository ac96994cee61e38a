"""
### ombazar_report_deadline

The daily reports' deadline alert: at `RASAD_REPORT_DEADLINE_TEHRAN_HOUR` (08:00 by default), Tehran time, it
checks that the run of the Tehran day before has sent its reports. If not (the run failed, is still running,
or never started), its one task fails at once and the engineers are emailed through the `rasad_smtp` connection
(the smtp provider's notifier), like any failed task.

Airflow 3.3's own `DeadlineAlert` on `ombazar_quality_daily` would do this from the scheduler, but a DAG that
carries one cannot be run with `airflow dags test` (used by `rasad demo` and the tests), which fails at the end
of a successful run; docs/operations.md says more.

By hand: `airflow dags test ombazar_report_deadline <D+1>T08:00:00+03:30` judges Tehran day D.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from pipelines.orchestration.airflow_glue import (
    daily_start_date,
    deadline_hour,
    notify_engineers,
    retry_policy,
    task_timeout,
)

default_args = {
    "owner": "rasad",
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
    "on_failure_callback": notify_engineers,
    "execution_timeout": task_timeout(),
    "retry_policy": retry_policy(),
}


@dag(
    dag_id="ombazar_report_deadline",
    schedule=CronTriggerTimetable(f"0 {deadline_hour()} * * *", timezone="Asia/Tehran"),
    start_date=daily_start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["rasad", "ombazar", "alerting"],
    doc_md=__doc__,
)
def ombazar_report_deadline():
    @task
    def check_reports_sent() -> str:
        from pipelines.orchestration.airflow_glue import deadline_day_of, resolve_settings
        from pipelines.orchestration.daily_steps import check_report_deadline

        return check_report_deadline(resolve_settings(), deadline_day_of(get_current_context()))

    check_reports_sent()


ombazar_report_deadline()
