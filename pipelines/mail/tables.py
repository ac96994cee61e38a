"""The outbox of report emails and the archive of every message sent (issue 7).

`outbox` holds one row per message the pipeline means to send, keyed by what it is (`officer:<day>:<province>`),
so that a re-run of a day finds its messages already there and sends nothing twice. A row waits as `pending`
while the SMTP server is down and goes out when it returns; a sender claims it (`claimed_by`, `claimed_at`)
before sending, so two senders never send the same row. A message that could not be composed, or was withheld
by the personal-data screen, is a `failed` row with no bytes and its reason in `last_error`. `sent_message`
keeps every message that went out, its recipients, its Message-ID and its bytes: append-only history.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, LargeBinary, String, Table, Text

from pipelines.store.base import MON, metadata
from pipelines.store.types import DayType, UTCDateTime

OUTBOX_STATUSES = ("pending", "sent", "failed")

outbox = Table(
    "outbox",
    metadata,
    # what the message is: kind, day and recipient (officer:2026-11-19:23); a re-run finds it here
    Column("message_key", String(200), primary_key=True),
    Column("day", DayType, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("recipient_id", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("mail_from", Text, nullable=False),
    Column("to_addrs", Text, nullable=False),  # JSON list of addresses
    Column("cc_addrs", Text, nullable=False),  # JSON list of addresses
    Column("message_id", String(255), nullable=False),
    # the whole message (RFC 5322 bytes); dropped once sent, the archive keeps it
    Column("eml", LargeBinary),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # a sender claims a pending row before sending it; a claim older than the lease is free again
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime),
    CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "day"),
    schema=MON,
)

sent_message = Table(
    "sent_message",
    metadata,
    Column("message_id", String(255), primary_key=True),
    Column("message_key", String(200), nullable=False),
    Column("day", DayType, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("recipient_id", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("mail_from", Text, nullable=False),
    Column("to_addrs", Text, nullable=False),
    Column("cc_addrs", Text, nullable=False),
    Column("transport", String(16), nullable=False),  # smtp | file
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("eml", LargeBinary, nullable=False),
    Index(None, "message_key"),
    Index(None, "day"),
    schema=MON,
)
