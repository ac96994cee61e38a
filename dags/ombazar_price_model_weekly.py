"""
### ombazar_price_model_weekly

Retrains the abnormal-price outlier model once a week, on the Tehran week that just ended.

- Trains an IsolationForest on the relative price features of the recent window (28 days by default),
  leaving out offers whose price findings officers confirmed as real anomalies.
- Evaluates it and the current model on the held-out last 7 days, with anomalies injected there.
- Writes the artefact (skops, not pickle) and its card (data window, features, version, scores) to
  `models/price_model/`, and promotes it only if it beats the current one; the current one is kept as
  the previous, for `rasad price-model rollback`.

By hand: `rasad price-model train --date D` (D: the last Tehran day of the window).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from pipelines.orchestration.airflow_glue import notify_engineers, retry_policy, task_timeout

default_args = {
    "owner": "rasad",
    "retries": 1,
    "retry_delay": timedelta(minutes=30),
    "on_failure_callback": notify_engineers,
    "execution_timeout": task_timeout(),
    "retry_policy": retry_policy(),
}


@dag(
    dag_id="ombazar_price_model_weekly",
    # Saturday 04:00 Tehran: the Iranian week (Saturday to Friday) has ended and the daily run is done
    schedule=CronDataIntervalTimetable("0 4 * * 6", timezone="Asia/Tehran"),
    start_date=pendulum.datetime(2026, 1, 3, tz="Asia/Tehran"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["rasad", "ombazar", "price", "model"],
    doc_md=__doc__,
)
def ombazar_price_model_weekly():
    @task
    def train_price_model() -> dict:
        from pipelines.orchestration.airflow_glue import resolve_settings
        from pipelines.price_model.model import train_weekly_for_interval

        settings = resolve_settings()
        data_interval_end = get_current_context()["data_interval_end"]
        if data_interval_end is None:
            raise RuntimeError("ombazar_price_model_weekly: the run has no data interval end")
        return train_weekly_for_interval(settings, data_interval_end)

    train_price_model()


ombazar_price_model_weekly()
