"""Engineers hear about it: catch-up without skipped days, loud connection failures, task timeouts, retries
only where a retry can mend, and the reports' deadline alert through a real SMTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.dag
TEHRAN = timezone(timedelta(hours=3, minutes=30))


def _dagbag(monkeypatch, **env):
    """The DAG folder parsed afresh under `RASAD_*` settings `env`."""
    from airflow.dag_processing.dagbag import DagBag

    from pipelines.settings import get_settings

    for key, value in env.items():
        monkeypatch.setenv(f"RASAD_{key.upper()}", str(value))
    get_settings.cache_clear()
    try:
        bag = DagBag(dag_folder=str(REPO / "dags"))
    finally:
        get_settings.cache_clear()
    assert bag.import_errors == {}
    return bag


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; yields (port, received messages)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def smtp_connection(monkeypatch, port: int) -> None:
    """`rasad_smtp` as the smtp provider reads it: plain SMTP on loopback, the engineers in its extra."""
    monkeypatch.setenv("AIRFLOW_CONN_RASAD_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"to": "engineers@rasad.example", "from_email": "rasad@rasad.example",
                  "disable_ssl": True, "disable_tls": True, "retry_limit": 0, "timeout": 10},
    }))


def email_text(message) -> str:
    """The decoded text of every text part of a received message."""
    parts = message.walk() if message.is_multipart() else [message]
    return "".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
                   for p in parts if p.get_content_maintype() == "text")


# ---------------------------------------------------------------- timeouts and retries


def test_every_task_has_an_execution_timeout_from_settings(monkeypatch):
    bag = _dagbag(monkeypatch, task_timeout_minutes=42)
    assert {"ombazar_quality_daily", "ombazar_reference_daily", "ombazar_price_model_weekly",
            "ombazar_report_deadline"} <= set(bag.dags)
    for dag_id, dag in bag.dags.items():
        for task in dag.tasks:
            assert task.execution_timeout == timedelta(minutes=42), (dag_id, task.task_id)
            assert task.retry_policy is not None, (dag_id, task.task_id)


def test_a_permanent_failure_is_not_retried_a_transient_one_is():
    from pipelines.errors import UserError
    from pipelines.mail.outbox import OutboxPendingError
    from pipelines.orchestration.airflow_glue import ConnectionLookupError, permanent_failure, retry_policy
    from pipelines.orchestration.daily_steps import DaySkippedError, ReferenceStaleError
    from pipelines.source.reader import SourceUnavailableError

    class QuarantineShareTooHigh(UserError):  # the shape of a typed threshold error raised by extraction
        pass

    for exc in (DaySkippedError("x"), ReferenceStaleError("x"), ConnectionLookupError("x"), QuarantineShareTooHigh()):
        assert permanent_failure(exc), exc
    for exc in (OutboxPendingError("x"), SourceUnavailableError("x"), RuntimeError("x"), TimeoutError("x")):
        assert not permanent_failure(exc), exc
    from airflow.sdk.definitions.retry_policy import RetryAction

    policy = retry_policy()
    assert policy.evaluate(QuarantineShareTooHigh(), 1, 3).action is RetryAction.FAIL
    assert policy.evaluate(ConnectionResetError(), 1, 3).action is RetryAction.DEFAULT


# ---------------------------------------------------------------- catch-up, and no skipped day


def test_the_daily_dag_catches_up_from_the_monitoring_start_day(monkeypatch):
    bag = _dagbag(monkeypatch, monitoring_start_day="2026-11-02")
    dag = bag.dags["ombazar_quality_daily"]
    assert dag.catchup is True and dag.max_active_runs == 1
    assert dag.start_date == datetime(2026, 11, 2, tzinfo=TEHRAN)


def test_without_a_start_day_a_new_install_catches_up_a_short_window_only(monkeypatch):
    from pipelines.monitored_day import today_in_tehran

    bag = _dagbag(monkeypatch, catchup_days=3)
    start = bag.dags["ombazar_quality_daily"].start_date
    assert start.astimezone(TEHRAN).date() == today_in_tehran() - timedelta(days=3)


def _log_step(settings, day: date, step: str, fail: bool = False) -> None:
    from pipelines.orchestration.daily_steps import logged_step
    from pipelines.store.engine import store_engine

    try:
        with logged_step(store_engine(settings), f"test-{day}-{step}-{fail}", day, step):
            if fail:
                raise RuntimeError("boom")
    except RuntimeError:
        pass


@pytest.fixture
def store_settings(settings_for):
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    settings = settings_for()
    upgrade_store(store_engine(settings))
    return settings


def test_a_day_is_refused_while_the_day_before_has_no_successful_run(store_settings):
    from pipelines.orchestration.daily_steps import DaySkippedError, check_no_day_skipped

    first = date(2026, 11, 10)
    assert check_no_day_skipped(store_settings, first) is None  # nothing monitored yet: any day may begin
    for step in ("extract", "check", "findings", "report"):
        _log_step(store_settings, first, step)
    assert check_no_day_skipped(store_settings, first + timedelta(days=1)) == first
    assert check_no_day_skipped(store_settings, first) == first  # a re-run of a monitored day
    assert check_no_day_skipped(store_settings, first - timedelta(days=3)) == first  # before monitoring began
    # the 11th failed at its checks: the 12th waits for it, saying which day and how to mend it
    _log_step(store_settings, first + timedelta(days=1), "extract")
    _log_step(store_settings, first + timedelta(days=1), "check", fail=True)
    with pytest.raises(DaySkippedError, match=r"2026-11-11 has no successful run.*rasad run --date 2026-11-11"):
        check_no_day_skipped(store_settings, first + timedelta(days=2))
    # a scheduler outage skipped the 13th: the 14th is refused as well
    with pytest.raises(DaySkippedError, match="2026-11-13"):
        check_no_day_skipped(store_settings, first + timedelta(days=4))


def test_the_monitoring_start_day_setting_says_when_monitoring_began(store_settings):
    from pipelines.orchestration.daily_steps import DaySkippedError, check_no_day_skipped

    settings = store_settings.model_copy(update={"monitoring_start_day": date(2026, 11, 1)})
    assert check_no_day_skipped(settings, date(2026, 11, 1)) == date(2026, 11, 1)
    with pytest.raises(DaySkippedError, match="2026-11-01"):
        check_no_day_skipped(settings, date(2026, 11, 2))


def test_rasad_run_refuses_a_skipped_day_in_one_line(store_settings):
    for step in ("extract", "check", "findings", "report"):
        _log_step(store_settings, date(2026, 11, 10), step)
    env = {**os.environ, "RASAD_VAR_DIR": str(store_settings.var_dir), "PYTHONPATH": str(REPO)}
    rasad = os.path.join(os.path.dirname(sys.executable), "rasad")
    out = subprocess.run([rasad, "run", "--date", "2026-11-12"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode != 0
    assert "2026-11-11 has no successful run" in out.stderr
    assert "Traceback" not in out.stderr


# ---------------------------------------------------------------- connections fail loudly


def test_no_connection_and_no_explicit_fallback_fails_loudly(monkeypatch, settings_for):
    from pipelines.orchestration.airflow_glue import ConnectionLookupError, resolve_settings

    for conn in ("RASAD_STORE", "OMBAZAR_SOURCE", "RASAD_SMTP"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{conn}", raising=False)
    settings_for()
    with pytest.raises(ConnectionLookupError, match="ombazar_source"):
        resolve_settings()
    settings_for(source_url="sqlite:////tmp/source.db")
    with pytest.raises(ConnectionLookupError, match="rasad_store.*RASAD_AIRFLOW_EMBEDDED_DEFAULT"):
        resolve_settings()


def test_the_embedded_default_is_used_only_when_said_explicitly(monkeypatch, settings_for):
    from pipelines.orchestration.airflow_glue import resolve_settings

    for conn in ("RASAD_STORE", "OMBAZAR_SOURCE", "RASAD_SMTP"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{conn}", raising=False)
    settings = settings_for(airflow_embedded_default="true")
    resolved = resolve_settings()
    assert resolved.resolved_store_url == f"sqlite:///{(settings.var_dir / 'rasad.db').resolve()}"
    explicit = settings_for(store_url="sqlite:////tmp/explicit.db", source_url="sqlite:////tmp/source.db")
    assert resolve_settings().resolved_store_url == explicit.store_url


def test_a_defined_connection_wins(monkeypatch, settings_for):
    from pipelines.orchestration.airflow_glue import resolve_settings

    monkeypatch.setenv("AIRFLOW_CONN_RASAD_STORE", "postgres://rasad@db.example:5432/rasad")
    monkeypatch.setenv("AIRFLOW_CONN_OMBAZAR_SOURCE", "postgres://reader@src.example:5432/ombazar")
    settings_for()
    resolved = resolve_settings()
    assert resolved.store_url == "postgresql+psycopg://rasad@db.example:5432/rasad"
    assert resolved.source_url == "postgresql+psycopg://reader@src.example:5432/ombazar"


def test_a_connection_that_cannot_be_read_is_never_taken_for_a_missing_one(monkeypatch, settings_for):
    """A secrets backend that refuses (or breaks) fails the task; it does not fall back to var/rasad.db."""
    from airflow.sdk import BaseHook

    from pipelines.orchestration.airflow_glue import ConnectionLookupError, resolve_settings

    try:
        from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied as Denied
    except ImportError:  # pragma: no cover
        Denied = PermissionError  # noqa: N806

    def refuse(conn_id):
        raise Denied(f"access to {conn_id} denied")

    # a secrets backend that cannot run here (Vault, AWS): only the lookup is stood in for
    monkeypatch.setattr(BaseHook, "get_connection", classmethod(lambda cls, conn_id: refuse(conn_id)))
    settings_for(airflow_embedded_default="true")
    with pytest.raises(ConnectionLookupError, match="could not be read"):
        resolve_settings()


# ---------------------------------------------------------------- the alerts, through a real SMTP server


def test_deadline_check_passes_only_when_the_day_has_sent_its_reports(store_settings):
    from pipelines.orchestration.daily_steps import ReportDeadlineMissedError, check_report_deadline

    day = date(2026, 11, 10)
    for step in ("extract", "check", "findings", "report"):
        _log_step(store_settings, day, step)
    with pytest.raises(ReportDeadlineMissedError, match="steps done: extract, check, findings, report"):
        check_report_deadline(store_settings, day)
    _log_step(store_settings, day, "send")
    assert "before the deadline" in check_report_deadline(store_settings, day)


@pytest.fixture(scope="module")
def airflow_db():
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True, env=dict(os.environ))


def test_a_late_day_raises_the_deadline_alert_by_email(airflow_db, store_settings, smtp_server, monkeypatch):
    """The deadline DAG, run as Airflow runs it at 08:00 Tehran, emails the engineers when yesterday's reports
    are not out; the message says which day."""
    port, received = smtp_server
    smtp_connection(monkeypatch, port)
    monkeypatch.setenv("RASAD_AIRFLOW_EMBEDDED_DEFAULT", "true")
    monkeypatch.setenv("RASAD_MONITORING_START_DAY", "2026-11-01")  # a task exists only from its start_date
    from pipelines.settings import get_settings

    get_settings.cache_clear()
    day = date(2026, 11, 10)
    for step in ("extract", "check"):
        _log_step(store_settings, day, step)
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags" / "ombazar_report_deadline.py")).dags["ombazar_report_deadline"]
    run = dag.test(logical_date=datetime(2026, 11, 11, 8, tzinfo=TEHRAN))
    assert str(run.state) in ("failed", "DagRunState.FAILED")
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "engineers@rasad.example"
    assert "ombazar_report_deadline" in message["Subject"]
    body = email_text(message)
    assert "2026-11-10" in body and "deadline missed" in body

    # once the day has sent its reports, the same check at the same hour is quiet
    _log_step(store_settings, day, "findings")
    _log_step(store_settings, day, "report")
    _log_step(store_settings, day, "send")
    run = dag.test(logical_date=datetime(2026, 11, 11, 8, tzinfo=TEHRAN))
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    assert len(received) == 1
