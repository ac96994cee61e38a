"""Tables of the dashboard (issue 8), on the store's shared metadata.

- `dashboard_user`: who may open the dashboard, with which role and scope. On the embedded default a user
  logs in with a password (hashed with scrypt); in production the identity provider names the user by
  e-mail and this table still says what the user may see.
- `verdict_batch`: one row per verdict given from the inbox (one finding or many at once), with the verdict
  each finding had before, so that an undo records those back (history kept: undo appends, never deletes).

Migration 0007_dashboard also creates the `mart_*` views of `sql/marts/` (docs/marts.md) and lets a
finding's history hold `withdrawn`: an undo of a first verdict, which leaves the finding with no current one.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Index, Integer, String, Table, Text

from pipelines.store.base import MON, metadata
from pipelines.store.types import UTCDateTime

ROLES = ("fardap_coordinator", "monitoring_officer", "rahyar")

dashboard_user = Table(
    "dashboard_user",
    metadata,
    Column("user_name", String(64), primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("role", String(24), nullable=False),
    # the officer's province; a rahyar's is their team's
    Column("province_id", String(16)),
    # the rahyari team whose covered units a rahyar sees
    Column("team_id", String(32)),
    # the identity provider's e-mail claim (production login)
    Column("email", Text),
    # scrypt$n$r$p$salt$hash (base64); null: no local password (identity provider only)
    Column("password_hash", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False),
    # raised whenever the user's access changes (disabled, password or role changed, logged out): a session
    # or cookie that carries an older value is no longer honoured (pipelines/dashboard/sessions.py)
    Column("session_version", Integer, nullable=False, server_default="0"),
    CheckConstraint("role IN ('fardap_coordinator', 'monitoring_officer', 'rahyar')", name="role"),
    CheckConstraint("role <> 'monitoring_officer' OR province_id IS NOT NULL", name="officer_province"),
    CheckConstraint("role <> 'rahyar' OR team_id IS NOT NULL", name="rahyar_team"),
    Index(None, "email"),
    schema=MON,
)

# one row per failed login, by the user name as typed (known or not) and by the client's address: too many in
# a while lock that name or that client out for a while (pipelines/dashboard/sessions.py), across restarts
dashboard_login_failure = Table(
    "dashboard_login_failure",
    metadata,
    Column("failure_id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("failed_at", UTCDateTime, nullable=False),
    Index(None, "user_name", "failed_at"),
    Index(None, "client", "failed_at"),
    schema=MON,
)

verdict_batch = Table(
    "verdict_batch",
    metadata,
    Column("batch_id", String(40), primary_key=True),
    Column("given_by", Text, nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("note", Text),
    # JSON: {finding_id: [previous verdict or null, previous note or null]}
    Column("previous", Text, nullable=False),
    Column("undone_at", UTCDateTime),
    Column("undone_by", Text),
    Index(None, "given_by", "given_at"),
    schema=MON,
)
