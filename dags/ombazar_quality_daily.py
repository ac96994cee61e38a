"""
### ombazar_quality_daily

Monitors one **Tehran calendar day** of the Ombazar marketplace: did what was offered arrive with
the promised quality, on time, and at a price that is not abnormal?

- The data interval is the day `[D 00:00+03:30, D+1 00:00+03:30)`; every task derives D from it.
- `extract_and_validate` stages what changed at the source (every version), quarantining bad rows
  with the failed expectation; `plan_price_partitions` and `plan_report_partitions` split the day's
  heavy steps; `price_rules` is mapped over taxonomy fields (dynamic task mapping: one task instance a
  partition, on any worker);
  `run_checks` reads the marketplace as it stood at the end of D and takes the price partitions' hits;
  `update_findings` rebuilds finding episodes; `write_reports` is mapped over groups of provinces;
  `send_reports` queues the report emails in the outbox (once per day) and delivers them over `rasad_smtp`.
- Every task is idempotent for its day: a re-run leaves the same findings; a failed partition retries alone.

Run one day by hand: `airflow dags test ombazar_quality_daily <D+1>T00:00:00+03:30`, or
`rasad run --date D` without Airflow.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from pipelines.orchestration.airflow_glue import daily_start_date, notify_engineers, retry_policy, task_timeout

default_args = {
    "owner": "rasad",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "on_failure_callback": notify_engineers,
    "execution_timeout": task_timeout(),
    "retry_policy": retry_policy(),
}


def _day_and_run():
    from pipelines.orchestration.airflow_glue import monitored_day_of, resolve_settings

    context = get_current_context()
    return resolve_settings(), monitored_day_of(context), f"airflow-{context['run_id']}"


def _partition_retry_delay() -> timedelta:
    """A partition that fails (or whose worker dies) is retried alone, soon: the others keep their results."""
    from pipelines.settings import get_settings

    return timedelta(seconds=get_settings().partition_retry_delay_seconds)


@dag(
    dag_id="ombazar_quality_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="Asia/Tehran"),
    # catch-up on: after a scheduler outage every missed day is monitored, in order (max_active_runs=1);
    # RASAD_MONITORING_START_DAY pins where monitoring begins, else it is a short window before today
    start_date=daily_start_date(),
    catchup=True,
    max_active_runs=1,
    default_args=default_args,
    tags=["rasad", "ombazar", "quality"],
    doc_md=__doc__,
)
def ombazar_quality_daily():
    @task
    def check_reference_fresh() -> str:
        from pipelines.orchestration.daily_steps import check_no_day_skipped
        from pipelines.orchestration.daily_steps import check_reference_fresh as check_fresh

        settings, day, _ = _day_and_run()
        check_no_day_skipped(settings, day)
        return check_fresh(settings, day).isoformat()

    @task
    def extract_and_validate() -> list[dict]:
        from pipelines.orchestration.daily_steps import extract

        settings, day, run_id = _day_and_run()
        return extract(settings, day, run_id)

    @task
    def plan_price_partitions() -> list[dict]:
        from pipelines.orchestration.daily_steps import plan_partitions

        settings, day, _ = _day_and_run()
        return plan_partitions(settings, day)["price"]

    @task
    def plan_report_partitions() -> list[dict]:
        from pipelines.orchestration.daily_steps import plan_partitions

        settings, day, _ = _day_and_run()
        return plan_partitions(settings, day)["reports"]

    @task(retries=3, retry_delay=_partition_retry_delay())
    def price_rules(partition: dict) -> list[dict]:
        from pipelines.orchestration.daily_steps import price_partition

        settings, day, run_id = _day_and_run()
        return price_partition(settings, day, run_id, partition)

    @task
    def run_checks(price_parts) -> dict:
        from pipelines.orchestration.daily_steps import check

        settings, day, run_id = _day_and_run()
        return check(settings, day, run_id, price_parts=list(price_parts))

    @task
    def update_findings() -> dict:
        from pipelines.orchestration.daily_steps import update_findings as refresh

        settings, day, run_id = _day_and_run()
        return refresh(settings, day, run_id)

    @task(retries=3, retry_delay=_partition_retry_delay())
    def write_reports(partition: dict) -> list[str]:
        from pipelines.orchestration.daily_steps import write_reports as write

        settings, day, run_id = _day_and_run()
        return write(settings, day, run_id, partition)

    @task(retries=3, retry_delay=timedelta(minutes=2), retry_exponential_backoff=True)
    def send_reports() -> dict:
        from pipelines.orchestration.daily_steps import send_reports as send

        settings, day, run_id = _day_and_run()
        return send(settings, day, run_id)

    price_plan, report_plan = plan_price_partitions(), plan_report_partitions()
    check_reference_fresh() >> extract_and_validate() >> price_plan
    checks = run_checks(price_rules.expand(partition=price_plan))
    findings = update_findings()
    reports = write_reports.expand(partition=report_plan)
    checks >> findings >> report_plan
    findings >> reports >> send_reports()

ombazar_quality_daily()
