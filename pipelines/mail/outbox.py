"""The outbox: messages wait here until a transport takes them; every message sent is archived.

- A message is keyed by what it is (`officer:2026-11-19:23`). Enqueueing a key that is already there keeps
  the row as it is, so a re-run of a day sends nothing twice. `resend=True` queues again only the rows that did
  not go (`failed`: refused by the server, not composed, withheld); `again=[keys]` queues those keys again even
  if they were delivered (a person asked for another copy). Either gets a new Message-ID.
- A message that cannot be composed (a name the mail headers cannot carry, say) is a `failed` row with its
  reason, and the day's other messages go out.
- Delivery takes the due `pending` rows and **claims** each one before sending it: one UPDATE that succeeds only
  while the row is pending and no live sender holds it (`claimed_by`, `claimed_at` within
  `RASAD_SMTP_CLAIM_LEASE_SECONDS`). Two senders at once (the DAG's retry and `rasad report send`) share the rows,
  and each row goes out once.
- A transient failure (server down, 4xx) puts the row back `pending` with `next_attempt_at` pushed back
  (base * 2**(attempt-1), capped); a permanent refusal (5xx) marks it `failed`, kept for a person to look at and
  queued again by `--resend`. Nothing is deleted.
- A row becomes `sent` in the same transaction that archives it in `sent_message`, right after the server
  accepted it. A sender killed between the two leaves its claim to lapse; the row is then sent again with the
  same Message-ID, so a mail system can tell the copy (at-least-once, never silently lost).
"""

from __future__ import annotations

import json
import logging
import os
import re
import smtplib
import socket
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, func, or_, select, update

from pipelines.errors import UserError
from pipelines.mail.tables import outbox, sent_message
from pipelines.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class OutgoingMessage:
    """A composed message and what the outbox needs to know about it."""

    key: str  # kind:day:recipient, unique
    day: date
    kind: str  # officer | rahyari | fardap | sector_weekly
    recipient_id: str
    message: EmailMessage  # From, To, Cc, Subject and body set; Message-ID and Date are set when queued
    to: list[str]
    cc: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # what a person can read in it, for the personal-data screen


@dataclass(frozen=True)
class EnqueueCounts:
    """What enqueueing a batch did."""

    queued: int  # new rows
    kept: int  # already there (pending or sent): left alone
    requeued: int  # resend: queued again with a new Message-ID


@dataclass(frozen=True)
class DeliveryResult:
    """The outbox after a delivery: sent by this call, and what is left."""

    sent: int
    pending: int
    failed: int
    transport: str
    last_error: str | None = None


class OutboxPendingError(UserError, RuntimeError):
    """Messages are still waiting in the outbox after every retry (SMTP down?); they go out later."""


class TransientSendError(RuntimeError):
    """A send that may succeed later (connection lost, 4xx)."""

    def __init__(self, message: str, *, connection_lost: bool = True) -> None:
        super().__init__(message)
        self.connection_lost = connection_lost


class PermanentSendError(RuntimeError):
    """A send the server refused for good (5xx); retrying the same message will not help."""


class Transport(Protocol):
    """Hands raw messages to the world: SMTP, or .eml files."""

    name: str

    def __enter__(self) -> Transport: ...

    def __exit__(self, *exc) -> None: ...

    def send(self, mail_from: str, recipients: Sequence[str], raw: bytes, key: str, day: date) -> None:
        """Send one message or raise TransientSendError / PermanentSendError."""
        ...


class SmtpTransport:
    """smtplib over one connection per delivery round (plain, STARTTLS or SSL, with optional login)."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        s = self.settings
        try:
            cls = smtplib.SMTP_SSL if s.smtp_ssl else smtplib.SMTP
            smtp = cls(s.smtp_host or "localhost", s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as err:
            raise PermanentSendError(f"SMTP login refused: {err}") from err
        except (OSError, smtplib.SMTPException) as err:
            raise TransientSendError(f"cannot reach SMTP {s.smtp_host}:{s.smtp_port}: {err}") from err
        self._smtp = smtp
        return self

    def __exit__(self, *exc) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, mail_from: str, recipients: Sequence[str], raw: bytes, key: str, day: date) -> None:
        """Send `raw` as it is (the archived bytes are the sent bytes)."""
        assert self._smtp is not None, "use the transport as a context manager"
        try:
            refused = self._smtp.sendmail(mail_from, list(recipients), raw)
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            if all(400 <= c < 500 for c in codes):
                raise TransientSendError(f"recipients deferred: {err.recipients}", connection_lost=False) from err
            raise PermanentSendError(f"every recipient refused: {err.recipients}") from err
        except smtplib.SMTPResponseException as err:
            if 400 <= err.smtp_code < 500:
                # 421 means the server is closing the connection: the rest of the round cannot go either
                raise TransientSendError(
                    f"{err.smtp_code} {err.smtp_error!r}", connection_lost=err.smtp_code == 421
                ) from err
            raise PermanentSendError(f"{err.smtp_code} {err.smtp_error!r}") from err
        except (OSError, smtplib.SMTPException) as err:  # disconnected, timeout, refused connection
            raise TransientSendError(f"{type(err).__name__}: {err}") from err
        if refused:  # some recipients refused, the others accepted: it was sent; say who did not get it
            log.warning("message %s: some recipients refused: %s", key, refused)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileTransport:
    """Writes each message as `<outbox_dir>/<day>/<key>.eml`: the demo's and a laptop's mail server."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __enter__(self) -> FileTransport:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, mail_from: str, recipients: Sequence[str], raw: bytes, key: str, day: date) -> None:
        """Write the message where a person can open it with a mail program."""
        folder = self.directory / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{_UNSAFE.sub('_', key)}.eml").write_bytes(raw)


def transport_for(settings: Settings) -> Transport:
    """SMTP when a host is configured, otherwise .eml files under `var/outbox/`."""
    return SmtpTransport(settings) if settings.smtp_host else FileTransport(settings.outbox_dir)


def backoff_seconds(attempt: int, settings: Settings) -> float:
    """How long to wait after failed attempt number `attempt` (1, 2, ...): exponential, capped."""
    return min(settings.smtp_retry_base_seconds * 2 ** max(attempt - 1, 0), settings.smtp_retry_max_seconds)


def _stamp(item: OutgoingMessage, settings: Settings, now: datetime) -> tuple[str, bytes]:
    msg = item.message
    for header in ("Message-ID", "Date"):
        del msg[header]
    message_id = make_msgid(domain=settings.mail_domain)  # short enough never to be folded
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(now)
    return message_id, msg.as_bytes()


@dataclass(frozen=True)
class ComposeFailure:
    """A message that could not be composed (or was withheld): recorded as a `failed` row with its reason."""

    key: str
    day: date
    kind: str
    recipient_id: str
    to: list[str]
    reason: str
    subject: str = ""


def _row_of(item: OutgoingMessage, settings: Settings, now: datetime) -> dict:
    message_id, raw = _stamp(item, settings, now)
    return {
        "day": item.day, "kind": item.kind, "recipient_id": item.recipient_id,
        "subject": str(item.message["Subject"]), "mail_from": settings.mail_from,
        "to_addrs": json.dumps(item.to), "cc_addrs": json.dumps(item.cc), "message_id": message_id, "eml": raw,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": None, "created_at": now,
        "sent_at": None, "claimed_by": None, "claimed_at": None,
    }


def _failure_row(item: ComposeFailure, settings: Settings, now: datetime) -> dict:
    return {
        "day": item.day, "kind": item.kind, "recipient_id": item.recipient_id, "subject": item.subject,
        "mail_from": settings.mail_from, "to_addrs": json.dumps(item.to), "cc_addrs": "[]",
        "message_id": make_msgid(domain=settings.mail_domain), "eml": None, "status": "failed", "attempts": 0,
        "next_attempt_at": now, "last_error": item.reason[:2000], "created_at": now, "sent_at": None,
        "claimed_by": None, "claimed_at": None,
    }


def enqueue(store: Engine, items: Sequence[OutgoingMessage], settings: Settings, *, resend: bool = False,
            again: Collection[str] = (), failures: Sequence[ComposeFailure] = (),
            now: datetime | None = None) -> EnqueueCounts:
    """Put composed messages in the outbox, and record the ones that failed to compose as `failed` rows.

    A key already in the outbox is kept as it is, except:
    - `resend`: a `failed` row (refused by the server, not composed, withheld) is queued again, freshly
      composed and with a new Message-ID; `pending` and `sent` rows are kept (never sent twice);
    - `again`: these keys are queued again whatever their status (a person asked for another copy).
    """
    now = now or datetime.now(UTC)
    queued = kept = requeued = 0
    again = set(again)
    with store.begin() as conn:
        keys = [i.key for i in items] + [f.key for f in failures]
        status: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            status.update((str(k), str(v)) for k, v in conn.execute(
                select(outbox.c.message_key, outbox.c.status)
                .where(outbox.c.message_key.in_(keys[start:start + 500]))
            ))
        new_rows = []
        batch: list[OutgoingMessage | ComposeFailure] = [*items, *failures]
        for item in batch:
            row = (_row_of(item, settings, now) if isinstance(item, OutgoingMessage)
                   else _failure_row(item, settings, now))
            was = status.get(item.key)
            if was is None:
                new_rows.append({"message_key": item.key, **row})
                queued += 1
            elif isinstance(item, ComposeFailure):  # still not composable: refresh the reason of a failed row
                conn.execute(update(outbox).where(outbox.c.message_key == item.key, outbox.c.status == "failed")
                             .values(last_error=row["last_error"], created_at=now))
                kept += 1
            elif item.key in again or (resend and was == "failed"):
                # only while the row is still as it was read: a sender may have taken it meanwhile
                done = conn.execute(update(outbox).where(
                    outbox.c.message_key == item.key, outbox.c.status == was,
                    or_(outbox.c.status != "pending", _free(now, settings)),
                ).values(**row)).rowcount
                requeued += done
                kept += 1 - done
            else:
                kept += 1
        if new_rows:
            conn.execute(outbox.insert(), new_rows)
    return EnqueueCounts(queued=queued, kept=kept, requeued=requeued)


def sender_id() -> str:
    """Who claims rows: host, process and a random part (two senders in one process differ too)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _free(now: datetime, settings: Settings):
    """Rows no live sender holds: never claimed, released, or whose claim's lease has run out."""
    lease = timedelta(seconds=settings.smtp_claim_lease_seconds)
    return or_(outbox.c.claimed_by.is_(None), outbox.c.claimed_at < now - lease)


def _due(store: Engine, now: datetime, settings: Settings) -> list[str]:
    with store.connect() as conn:
        return list(conn.execute(
            select(outbox.c.message_key)
            .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now, _free(now, settings))
            .order_by(outbox.c.created_at, outbox.c.message_key)
        ).scalars())


def claim(store: Engine, key: str, sender: str, settings: Settings, now: datetime | None = None) -> dict | None:
    """Claim one due row for `sender` and return it, or None when another sender holds it or it is gone.

    One UPDATE with the whole condition in its WHERE: on PostgreSQL a second sender's UPDATE waits for the
    first one's row lock and then finds the row claimed; SQLite serialises writers. Only the claimant sends.
    """
    now = now or datetime.now(UTC)
    with store.begin() as conn:
        taken = conn.execute(update(outbox).where(
            outbox.c.message_key == key, outbox.c.status == "pending", outbox.c.next_attempt_at <= now,
            _free(now, settings),
        ).values(claimed_by=sender, claimed_at=now)).rowcount
        if taken != 1:
            return None
        row = conn.execute(select(outbox).where(outbox.c.message_key == key)).mappings().one()
    return dict(row)


def _mark_sent(store: Engine, row: dict, sender: str, transport: str, now: datetime) -> bool:
    with store.begin() as conn:
        done = conn.execute(update(outbox).where(
            outbox.c.message_key == row["message_key"], outbox.c.claimed_by == sender, outbox.c.status == "pending",
        ).values(status="sent", sent_at=now, attempts=row["attempts"] + 1, last_error=None, eml=None)).rowcount
        if done != 1:  # our lease ran out and another sender took the row: it archives its own send
            log.error("message %s: sent, but its claim had lapsed; another sender may send it again",
                      row["message_key"])
            return False
        conn.execute(sent_message.insert().values(
            message_id=row["message_id"], message_key=row["message_key"], day=row["day"], kind=row["kind"],
            recipient_id=row["recipient_id"], subject=row["subject"], mail_from=row["mail_from"],
            to_addrs=row["to_addrs"], cc_addrs=row["cc_addrs"], transport=transport,
            attempts=row["attempts"] + 1, sent_at=now, size_bytes=len(row["eml"]), eml=row["eml"]))
    return True


def _mark_failed(store: Engine, row: dict, sender: str, error: str, settings: Settings, now: datetime,
                 *, permanent: bool) -> None:
    """Release our claim on a row that did not go: `failed` for good, or `pending` again after a backoff."""
    attempt = row["attempts"] + 1
    with store.begin() as conn:
        conn.execute(update(outbox).where(
            outbox.c.message_key == row["message_key"], outbox.c.claimed_by == sender, outbox.c.status == "pending",
        ).values(
            status="failed" if permanent else "pending",
            attempts=attempt,
            last_error=error[:2000],
            next_attempt_at=now + timedelta(seconds=backoff_seconds(attempt, settings)),
            claimed_by=None,
            claimed_at=None,
        ))


def _defer(store: Engine, keys: Sequence[str], sender: str, error: str, settings: Settings,
           now: datetime) -> None:
    """The server went away: claim each of the round's remaining rows in turn and put it back with a backoff
    (rows another sender holds are left to it)."""
    for key in keys:
        row = claim(store, key, sender, settings, now)
        if row is not None:
            _mark_failed(store, row, sender, error, settings, now, permanent=False)


def outbox_counts(store: Engine) -> dict[str, int]:
    """Rows per status."""
    with store.connect() as conn:
        rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
    return {status: int(n) for status, n in rows}


def _next_due(store: Engine) -> datetime | None:
    with store.connect() as conn:
        return conn.execute(
            select(func.min(outbox.c.next_attempt_at)).where(outbox.c.status == "pending",
                                                             outbox.c.claimed_by.is_(None))
        ).scalar()


def deliver_once(
    store: Engine, transport: Transport, settings: Settings, now: datetime | None = None,
    sender: str | None = None,
) -> tuple[int, str | None]:
    """One round: claim and send every due pending message; stop the round at the first connection-level failure.

    Each row is claimed right before it is sent, so a second sender running at the same time takes the rows this
    one has not reached, and no row twice.
    """
    now = now or datetime.now(UTC)
    sender = sender or sender_id()
    due = _due(store, now, settings)
    if not due:
        return 0, None
    sent, last_error = 0, None
    i = 0
    try:
        with transport as open_transport:
            for i, key in enumerate(due):
                row = claim(store, key, sender, settings, now)
                if row is None:
                    continue  # another sender has it, or it is no longer pending
                recipients = json.loads(row["to_addrs"]) + json.loads(row["cc_addrs"])
                try:
                    open_transport.send(row["mail_from"], recipients, row["eml"], row["message_key"], row["day"])
                except PermanentSendError as err:
                    log.error("message %s refused for good: %s", key, err)
                    _mark_failed(store, row, sender, str(err), settings, now, permanent=True)
                    continue
                except TransientSendError as err:
                    log.warning("message %s deferred: %s", key, err)
                    _mark_failed(store, row, sender, str(err), settings, now, permanent=False)
                    last_error = str(err)
                    if not err.connection_lost:  # this message only (a deferred recipient, say)
                        continue
                    # the server went away: the rest of the round waits
                    _defer(store, due[i + 1:], sender, str(err), settings, now)
                    return sent, str(err)
                if _mark_sent(store, row, sender, open_transport.name, datetime.now(UTC)):
                    sent += 1
    except (TransientSendError, PermanentSendError) as err:  # could not connect, or login refused
        log.warning("outbox: %s; the due messages wait", err)
        _defer(store, due[i:], sender, str(err), settings, now)  # login refused too: kept pending, said so
        return sent, str(err)
    return sent, last_error


def deliver_pending(
    store: Engine,
    settings: Settings,
    transport: Transport | None = None,
    *,
    rounds: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Send what is due, retrying with backoff for up to `rounds` rounds; what is left waits in the outbox."""
    transport = transport or transport_for(settings)
    rounds = settings.smtp_retry_attempts if rounds is None else rounds
    sent, error = 0, None
    sender = sender_id()
    for round_no in range(max(rounds, 1)):
        n, error = deliver_once(store, transport, settings, sender=sender)
        sent += n
        next_due = _next_due(store)
        if next_due is None or round_no == rounds - 1:
            break
        wait = (next_due - datetime.now(UTC)).total_seconds()
        if wait > settings.smtp_retry_max_seconds:
            break
        if wait > 0:
            sleep(wait)
    counts = outbox_counts(store)
    return DeliveryResult(sent=sent, pending=counts.get("pending", 0), failed=counts.get("failed", 0),
                          transport=transport.name, last_error=error)
