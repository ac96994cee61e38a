"""The one module that knows Airflow: the monitored day of a run, connections, failure alerts.

Everything here imports Airflow lazily, so `pipelines` stays importable without it.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
from datetime import date
from email.message import EmailMessage

from pipelines.monitored_day import day_from_data_interval
from pipelines.settings import Settings, get_settings

log = logging.getLogger(__name__)

CONNECTION_SETTINGS = {"ombazar_source": "source_url", "rasad_store": "store_url"}


def monitored_day_of(context) -> date:
    """The Tehran day a run monitors, from its data interval (never from `ds` or `logical_date`)."""
    return day_from_data_interval(context["data_interval_start"], context["data_interval_end"])


def _connection(conn_id: str):
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # pragma: no cover - older layouts
        from airflow.hooks.base import BaseHook  # type: ignore[attr-defined,no-redef]  # Airflow 2 location
    try:
        return BaseHook.get_connection(conn_id)
    except Exception:  # not defined: fall back to RASAD_* settings
        return None


def sqlalchemy_url(conn) -> str:
    """An Airflow connection as a SQLAlchemy URL (postgres:// becomes postgresql+psycopg://)."""
    from pipelines.store.engine import with_driver

    return with_driver(conn.get_uri())


def source_overrides(conn) -> dict:
    """Settings from the `ombazar_source` connection: an http(s) one selects the HTTP API, else SQL.

    An HTTP connection's host may carry the scheme; its extra may set `timeout_seconds`, `retries`,
    `backoff_seconds`, `max_wait_seconds` and `page_rows` (the `RASAD_SOURCE_HTTP_*` knobs).
    """
    if (conn.conn_type or "").lower() not in ("http", "https"):
        return {"source_kind": "sql", "source_url": sqlalchemy_url(conn)}
    host = conn.host or ""
    if "://" not in host:
        scheme = conn.schema if conn.schema in ("http", "https") else conn.conn_type.lower()
        host = f"{scheme}://{host}"
    url = host.rstrip("/") + (f":{conn.port}" if conn.port else "")
    overrides: dict = {"source_kind": "http", "source_http_url": url}
    extra = conn.extra_dejson or {}
    for key in ("timeout_seconds", "retries", "backoff_seconds", "max_wait_seconds", "page_rows"):
        if key in extra:
            overrides[f"source_http_{key}"] = type(getattr(Settings(), f"source_http_{key}"))(extra[key])
    return overrides


def _flag(value) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")


def smtp_settings(conn) -> dict:
    """The `rasad_smtp` connection as Settings fields: host, port, login, password; extra `from` (or the
    smtp provider's `from_email`), `ssl`, `starttls`, `timeout`. Plain SMTP unless the extra asks for TLS."""
    extra = conn.extra_dejson or {}
    fields: dict = {"smtp_host": conn.host or "localhost", "smtp_port": int(conn.port or 25)}
    if conn.login:
        fields.update(smtp_user=conn.login, smtp_password=conn.password or "")
    sender = extra.get("from") or extra.get("from_email")
    if sender:
        fields["mail_from"] = sender
    if "ssl" in extra:
        fields["smtp_ssl"] = _flag(extra["ssl"])
    if "starttls" in extra:
        fields["smtp_starttls"] = _flag(extra["starttls"])
    if "timeout" in extra:
        fields["smtp_timeout_seconds"] = float(extra["timeout"])
    return fields


def resolve_settings() -> Settings:
    """Settings for a task: Airflow connections when defined, else the `RASAD_*` environment."""
    settings = get_settings()
    overrides = {}
    for conn_id, field in CONNECTION_SETTINGS.items():
        conn = _connection(conn_id)
        if conn is None:
            continue
        if conn_id == "ombazar_source":
            overrides.update(source_overrides(conn))
        else:
            overrides[field] = sqlalchemy_url(conn)
    smtp = _connection("rasad_smtp")
    if smtp is not None:
        overrides.update(smtp_settings(smtp))
    return settings.model_copy(update=overrides) if overrides else settings


def worker_hostname() -> str:
    """`[core] hostname_callable` for several Celery workers on one machine: the worker's own name.

    `deploy/celery-local.sh` starts each worker with `RASAD_WORKER_NAME` (w1@host, w2@host, ...), so the task
    instances say which worker ran them; elsewhere (one worker per machine or container) it is the host's name.
    """
    return os.environ.get("RASAD_WORKER_NAME") or socket.getfqdn()


def notify_engineers(context) -> None:
    """on_failure_callback: log the failure and, where `rasad_smtp` is defined, email the engineers."""
    ti = context.get("task_instance")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    exc = context.get("exception")
    subject = f"[rasad] {dag_id}.{task_id} failed"
    body = f"Run {context.get('run_id')} of {dag_id}, task {task_id}, failed: {exc!r}"
    log.error("%s: %s", subject, body)
    conn = _connection("rasad_smtp")
    if conn is None:
        return
    extra = conn.extra_dejson or {}
    recipients = extra.get("to") or extra.get("engineers")
    if not recipients:
        log.warning("rasad_smtp has no 'to' in its extra: failure email not sent")
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = extra.get("from", conn.login or "rasad@localhost")
    message["To"] = recipients if isinstance(recipients, str) else ", ".join(recipients)
    message.set_content(body)
    try:
        with smtplib.SMTP(conn.host or "localhost", conn.port or 25, timeout=30) as smtp:
            if conn.login:
                smtp.login(conn.login, conn.password or "")
            smtp.send_message(message)
    except OSError as err:
        log.error("failure email not sent: %s", err)
