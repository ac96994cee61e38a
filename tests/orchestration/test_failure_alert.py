"""A failed task notifies the engineers: logged always, emailed where `rasad_smtp` is defined."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.e2e


class _Ti:
    dag_id = "ombazar_quality_daily"
    task_id = "run_checks"


def test_failure_is_logged_and_emailed_through_a_real_smtp_server(monkeypatch, caplog):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_RASAD_SMTP", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"to": "engineers@rasad.example", "from": "rasad@rasad.example"},
        }))
        from pipelines.orchestration.airflow_glue import notify_engineers

        with caplog.at_level(logging.ERROR):
            notify_engineers({"task_instance": _Ti(), "run_id": "manual__x", "exception": ValueError("boom")})
    finally:
        controller.stop()
    assert "ombazar_quality_daily.run_checks failed" in caplog.text
    assert len(received) == 1
    assert received[0]["To"] == "engineers@rasad.example"
    assert "run_checks" in received[0]["Subject"]
    assert "boom" in received[0].get_payload()


def test_without_smtp_connection_failure_is_only_logged(monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_RASAD_SMTP", raising=False)
    from pipelines.orchestration.airflow_glue import notify_engineers

    with caplog.at_level(logging.ERROR):
        notify_engineers({"task_instance": _Ti(), "run_id": "r", "exception": RuntimeError("x")})
    assert "failed" in caplog.text
