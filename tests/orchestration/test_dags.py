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
        "check_reference_fresh", "extract_and_validate", "run_checks", "update_findings", "write_reports",
        "send_reports",
    ]


@pytest.mark.parametrize("dag_file", sorted(p.name for p in (REPO / "dags").glob("*.py")))
def test_parsing_a_dag_imports_nothing_heavy(dag_file):
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "heavy = [m for m in ('pandas', 'great_expectations', 'sklearn', 'sqlalchemy.orm', 'jinja2') "
        "if m in sys.modules and not m.startswith('sqlalchemy')]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(REPO / "dags" / dag_file)],
                         capture_output=True, text=True, check=True)
    heavy = [m for m in out.stdout.strip().splitlines()[-1].split(",") if m] if out.stdout.strip() else []
    # Airflow itself pulls some of these in; what matters is that our DAG files add none
    assert "great_expectations" not in heavy and "sklearn" not in heavy


def test_reference_dag_checks_freshness_then_the_rules_on_tehran_days(dagbag):
    dag = dagbag.dags["ombazar_reference_daily"]
    assert str(dag.timetable._timezone.name) == "Asia/Tehran"
    assert [t.task_id for t in dag.topological_sort()] == ["check_reference_fresh", "check_reference_rules"]
    outlets = dag.get_task("check_reference_rules").outlets
    assert [o.uri for o in outlets] == ["rasad://reference/checked"]
