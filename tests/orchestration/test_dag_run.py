"""A real DAG run of ombazar_quality_daily (`dag.test()`) on the embedded SQLite store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from pipelines.findings import tables as findings_tables
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration import tables as run_tables
from pipelines.simulator.run import simulate_into
from pipelines.store.engine import store_engine
from tests.conftest import REPO
from tests.pipeline_helpers import END_DAY, HISTORY_DAYS, SEED, SMALL

pytestmark = pytest.mark.dag
TEHRAN = timezone(timedelta(hours=3, minutes=30))


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the test session's own Airflow metadata database once."""
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True, env=dict(os.environ))


def test_dag_test_monitors_the_tehran_day_of_its_data_interval(airflow_db, settings_for):
    day = END_DAY - timedelta(days=1)
    # no Airflow connections: the embedded store, said explicitly; monitoring (and the DAG) begins on the day
    settings = settings_for(airflow_embedded_default=True, monitoring_start_day=day.isoformat())
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(day).end, SMALL)

    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags" / "ombazar_quality_daily.py")).dags["ombazar_quality_daily"]
    # `airflow dags test DAG <D+1>T00:00+03:30` monitors Tehran day D
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=TEHRAN)
    run = dag.test(logical_date=logical)
    assert str(run.state) in ("success", "DagRunState.SUCCESS")

    with store_engine(settings).connect() as conn:
        steps = conn.execute(
            select(run_tables.run_log.c.step, run_tables.run_log.c.status, run_tables.run_log.c.day)
        ).all()
        findings = conn.execute(select(func.count()).select_from(findings_tables.finding)).scalar_one()
    assert {(s, st) for s, st, _ in steps} == {
        ("extract", "success"), ("price", "success"), ("check", "success"), ("findings", "success"),
        ("report", "success"), ("send", "success"),
    }
    # the price rules and the reports ran as mapped partitions, one run-log row each
    assert sum(s == "price" for s, _, _ in steps) == min(settings.daily_partitions, 4) > 1
    assert sum(s == "report" for s, _, _ in steps) == settings.daily_partitions
    # no rasad_smtp connection and no RASAD_SMTP_HOST: the emails are written as .eml files
    assert len(list((settings.outbox_dir / day.isoformat()).glob("officer_*.eml"))) == 31
    assert {d for _, _, d in steps} == {day}
    assert findings > 0
    assert len(list((settings.reports_dir / day.isoformat()).glob("*.html"))) == 31
