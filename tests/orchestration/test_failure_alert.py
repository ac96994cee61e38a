"""A failed task notifies the engineers: logged always, emailed through the smtp provider's notifier
(`SmtpNotifier` over the `rasad_smtp` connection) where that connection is defined."""

from __future__ import annotations

import logging

import pytest

from tests.orchestration.test_alerting import email_text, smtp_connection, smtp_server  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e


class _Ti:
    dag_id = "ombazar_quality_daily"
    task_id = "run_checks"


def test_failure_is_logged_and_emailed_through_a_real_smtp_server(monkeypatch, caplog, smtp_server):  # noqa: F811
    port, received = smtp_server
    smtp_connection(monkeypatch, port)
    from pipelines.orchestration.airflow_glue import notify_engineers

    with caplog.at_level(logging.ERROR):
        notify_engineers({"task_instance": _Ti(), "run_id": "manual__x", "exception": ValueError("boom")})
    assert "ombazar_quality_daily.run_checks failed" in caplog.text
    assert len(received) == 1
    assert received[0]["To"] == "engineers@rasad.example"
    assert received[0]["From"] == "rasad@rasad.example"
    assert "run_checks" in received[0]["Subject"]
    assert "boom" in email_text(received[0])


def test_the_notifier_sends_text_from_a_run_as_text_never_as_a_template(monkeypatch, smtp_server):  # noqa: F811
    """An exception message may quote source data: Jinja in it is never evaluated, HTML in it is escaped."""
    port, received = smtp_server
    smtp_connection(monkeypatch, port)
    from pipelines.orchestration.airflow_glue import notify_engineers

    hostile = "seller {{ 7 * 7 }} {% for x in range(3) %}x{% endfor %} <img src=http://evil.example/x>"
    notify_engineers({"task_instance": _Ti(), "run_id": "r", "exception": ValueError(hostile)})
    text = email_text(received[0])
    assert "{{ 7 * 7 }}" in text and "49" not in text and "xxx" not in text
    assert "<img" not in text and "&lt;img" in text


def test_without_smtp_connection_failure_is_only_logged(monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_RASAD_SMTP", raising=False)
    from pipelines.orchestration.airflow_glue import notify_engineers

    with caplog.at_level(logging.ERROR):
        notify_engineers({"task_instance": _Ti(), "run_id": "r", "exception": RuntimeError("x")})
    assert "failed" in caplog.text


def test_an_smtp_outage_does_not_hide_the_failure(monkeypatch, caplog):
    from tests.conftest import free_port

    smtp_connection(monkeypatch, free_port())  # nothing listens there
    from pipelines.orchestration.airflow_glue import notify_engineers

    with caplog.at_level(logging.ERROR):
        notify_engineers({"task_instance": _Ti(), "run_id": "r", "exception": RuntimeError("x")})
    assert "run_checks failed" in caplog.text and "alert email not sent" in caplog.text
