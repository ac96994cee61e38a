"""The one module that knows Airflow: the monitored day of a run, connections, task defaults and alerts.

Everything here imports Airflow lazily, so `pipelines` stays importable without it (the DAG files import this
module at parse time: it must stay light).
"""

from __future__ import annotations

import html
import logging
import os
import socket
from datetime import date, timedelta

from pipelines.errors import UserError
from pipelines.monitored_day import day_from_data_interval, today_in_tehran
from pipelines.settings import TEHRAN_TZ, Settings, get_settings

log = logging.getLogger(__name__)

SMTP_CONN_ID = "rasad_smtp"


class ConnectionLookupError(UserError, RuntimeError):
    """An Airflow connection could not be read, or is missing where no explicit fallback is configured."""




def monitored_day_of(context) -> date:
    """The Tehran day a run monitors, from its data interval (never from `ds` or `logical_date`)."""
    return day_from_data_interval(context["data_interval_start"], context["data_interval_end"])


def _is_not_found(exc: BaseException) -> bool:
    """Whether `exc` is Airflow saying the connection is not defined (as opposed to failing to read it)."""
    kinds: list[type] = []
    try:
        from airflow.sdk.exceptions import AirflowNotFoundException as SdkNotFound

        kinds.append(SdkNotFound)
    except ImportError:  # pragma: no cover - older layouts
        pass
    try:
        from airflow.exceptions import AirflowNotFoundException as CoreNotFound

        kinds.append(CoreNotFound)
    except ImportError:  # pragma: no cover
        pass
    return isinstance(exc, tuple(kinds))


def _connection(conn_id: str):
    """The Airflow connection `conn_id`; None only when Airflow says it is not defined.

    Any other failure (a secrets backend refusing access, a malformed connection URI) raises
    `ConnectionLookupError`: a connection that cannot be read is never taken for one that does not exist.
    """
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # pragma: no cover - older layouts
        from airflow.hooks.base import BaseHook  # type: ignore[attr-defined,no-redef]  # Airflow 2 location
    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:
        if _is_not_found(exc):
            return None
        raise ConnectionLookupError(
            f"the Airflow connection {conn_id!r} could not be read ({type(exc).__name__}: {exc})") from exc


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
    # the smtp provider's own keys (its hook sends the engineers' alerts): used where ours are not given
    if "ssl" not in extra and "disable_ssl" in extra:
        fields["smtp_ssl"] = not _flag(extra["disable_ssl"])
    if "starttls" not in extra and "disable_tls" in extra:
        fields["smtp_starttls"] = not _flag(extra["disable_tls"])
    if "timeout" in extra:
        fields["smtp_timeout_seconds"] = float(extra["timeout"])
    return fields


def _missing(conn_id: str, explicit: str) -> ConnectionLookupError:
    return ConnectionLookupError(
        f"no Airflow connection {conn_id!r} and no {explicit}: define the connection, or set "
        "RASAD_AIRFLOW_EMBEDDED_DEFAULT=true to use the embedded SQLite files under RASAD_VAR_DIR (docs/operations.md)")


def resolve_settings() -> Settings:
    """Settings for a task: the Airflow connections where defined, else the `RASAD_*` environment.

    A connection that cannot be read fails the task. A connection that is not defined falls back to the
    explicit `RASAD_STORE_URL` / `RASAD_SOURCE_URL` (or `RASAD_SOURCE_HTTP_URL`), and to the embedded SQLite
    default only where `RASAD_AIRFLOW_EMBEDDED_DEFAULT=true` says so.
    """
    settings = get_settings()
    overrides: dict = {}
    source = _connection("ombazar_source")
    if source is not None:
        overrides.update(source_overrides(source))
    elif not (settings.source_url or (settings.source_kind == "http" and settings.source_http_url)
              or settings.airflow_embedded_default):
        raise _missing("ombazar_source", "RASAD_SOURCE_URL")
    store = _connection("rasad_store")
    if store is not None:
        overrides["store_url"] = sqlalchemy_url(store)
    elif not (settings.store_url or settings.airflow_embedded_default):
        raise _missing("rasad_store", "RASAD_STORE_URL")
    smtp = _connection(SMTP_CONN_ID)
    if smtp is not None:
        overrides.update(smtp_settings(smtp))
    return settings.model_copy(update=overrides) if overrides else settings


# ---------------------------------------------------------------- what the DAG files take at parse time


def task_timeout() -> timedelta:
    """Every task's `execution_timeout` (RASAD_TASK_TIMEOUT_MINUTES)."""
    return timedelta(minutes=get_settings().task_timeout_minutes)


# user errors that a later try may mend: the source or the SMTP server was unreachable for a while
TRANSIENT_ERRORS = ("pipelines.source.reader.SourceUnavailableError", "pipelines.mail.outbox.OutboxPendingError")


def permanent_failure(exception: BaseException) -> bool:
    """Whether a retry cannot mend `exception`: a `UserError` (a stale reference, a skipped day, a source
    outside the contract, a quarantine share over its threshold, a missing connection) other than the
    transient ones. Anything else (a timeout, a lost database connection) keeps the task's retries."""
    if not isinstance(exception, UserError):
        return False
    from importlib import import_module

    for path in TRANSIENT_ERRORS:
        module, name = path.rsplit(".", 1)
        if isinstance(exception, getattr(import_module(module), name)):
            return False
    return True


def retry_policy():
    """Every task's `retry_policy`: a permanent failure fails the task at once, without its retries."""
    from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy

    class UserErrorsFailAtOnce(RetryPolicy):
        def evaluate(self, exception, try_number, max_tries, context=None):
            if permanent_failure(exception):
                return RetryDecision.fail(reason=f"{type(exception).__name__}: a retry cannot mend it")
            return RetryDecision.default()

    return UserErrorsFailAtOnce()


def daily_start_date():
    """The daily DAGs' start_date: RASAD_MONITORING_START_DAY, else `catchup_days` before today (Tehran)."""
    import pendulum

    settings = get_settings()
    day = settings.monitoring_start_day or today_in_tehran() - timedelta(days=settings.catchup_days)
    return pendulum.datetime(day.year, day.month, day.day, tz=TEHRAN_TZ)


def deadline_hour() -> int:
    """The Tehran hour by which the day before must have sent its reports (RASAD_REPORT_DEADLINE_TEHRAN_HOUR)."""
    return get_settings().report_deadline_tehran_hour


def deadline_day_of(context) -> date:
    """The Tehran day whose run a deadline check judges: the day before the check's own Tehran day."""
    import pendulum

    at = context["logical_date"] or context["data_interval_end"]
    return pendulum.instance(at).in_timezone(TEHRAN_TZ).date() - timedelta(days=1)


# ---------------------------------------------------------------- engineers' alerts


def _send_alert(subject: str, body: str, context: dict) -> bool:
    """Email the engineers through the smtp provider's notifier over `rasad_smtp`; False if not sent.

    The subject and body are set here, so the notifier renders no template: no text from a run (an
    exception message may quote source data) is ever evaluated as Jinja.
    """
    conn = _connection(SMTP_CONN_ID)
    if conn is None:
        log.warning("no Airflow connection %r: the alert is only logged", SMTP_CONN_ID)
        return False
    extra = conn.extra_dejson or {}
    recipients = extra.get("to") or extra.get("engineers") or get_settings().engineers_email
    if not recipients:
        log.warning("%s has no 'to' in its extra and RASAD_ENGINEERS_EMAIL is unset: alert not emailed",
                    SMTP_CONN_ID)
        return False
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    notifier = SmtpNotifier(
        to=recipients,
        from_email=extra.get("from_email") or extra.get("from") or get_settings().mail_from,
        subject=subject,
        html_content=f"<pre>{html.escape(body)}</pre>",
        smtp_conn_id=SMTP_CONN_ID,
    )
    try:
        notifier.notify(context)  # type: ignore[arg-type]  # the callback context, a plain mapping
    except Exception as err:  # noqa: BLE001 - an alert that cannot go out must not hide the failure itself
        log.error("alert email not sent: %s: %s", type(err).__name__, err)
        return False
    return True


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
    _send_alert(subject, body, context)
