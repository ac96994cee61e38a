"""DAG integrity: every DAG imports cleanly, has an owner, tags and retries, and parses light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.dag


@pytest.fixture(scope="session")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_every_dag_imports(dagbag):
    assert dagbag.import_errors == {}
    assert "ombazar_quality_daily" in dagbag.dags
    assert "ombazar_reference_daily" in dagbag.dags


def test_every_dag_has_owner_tags_retries_and_alerting(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        assert dag.doc_md, dag_id
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", (dag_id, task.task_id)
            assert task.retries >= 1, (dag_id, task.task_id)
            assert task.on_failure_callback, (dag_id, task.task_id)


def test_daily_dag_is_on_tehran_days(dagbag):
    dag = dagbag.dags["ombazar_quality_daily"]
    assert str(dag.timetable._timezone.name) == "Asia/Tehran"
    assert [t.task_id for t in dag.topological_sort()] == [
        "check_reference_fresh", "extract_and_validate", "plan_price_partitions", "price_rules", "run_checks",
        "update_findings", "plan_report_partitions", "write_reports", "send_reports",
    ]


HEAVY = ("pandas", "numpy", "great_expectations", "sklearn", "sqlalchemy.orm", "jinja2", "openpyxl", "streamlit")
# what the DAG files import from Airflow itself, before any line of ours runs
AIRFLOW_BASELINE = "import pendulum, airflow.sdk, airflow.timetables.interval"


def _heavy_after(code: str, *argv: str) -> set[str]:
    probe = f"{code}; import sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True)
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    return {m for m in last.split(",") if m}


@pytest.mark.parametrize("dag_file", sorted(p.name for p in (REPO / "dags").glob("*.py")))
def test_parsing_a_dag_imports_nothing_heavy(dag_file):
    """Parsing a DAG file loads none of HEAVY beyond what Airflow itself loads (it brings sqlalchemy.orm, jinja2)."""
    airflow_own = _heavy_after(AIRFLOW_BASELINE)
    ours = _heavy_after("import runpy, sys; runpy.run_path(sys.argv[1])", str(REPO / "dags" / dag_file))
    assert ours - airflow_own == set(), f"{dag_file} imports at parse time: {sorted(ours - airflow_own)}"
    assert {"pandas", "great_expectations", "sklearn"} & ours == set()
