"""dashboard sessions: a session version per user, failed logins kept for rate limiting

- `dashboard_user.session_version`: raised whenever a user's access changes (disabled, password or role
  changed, logged out), so that an open session or a session cookie carrying an older value is refused;
- `dashboard_login_failure`: one row per failed login (user name as typed, client address, time), read to
  lock a user name or a client after too many failures in a while, across restarts.

Revision ID: 0009_dashboard_sessions
Revises: 0008_state
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import pipelines.store.types

revision = '0010_dashboard_sessions'
down_revision = '0009_outbox_claim'
branch_labels = None
depends_on = None


def _schema() -> str | None:
    """Adding a column names the table without a schema on SQLite (the store is one file)."""
    return None if op.get_bind().dialect.name == "sqlite" else "monitoring"


def upgrade() -> None:
    op.add_column('dashboard_user', sa.Column('session_version', sa.Integer(), server_default='0', nullable=False),
                  schema=_schema())
    op.create_table('dashboard_login_failure',
    sa.Column('failure_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failed_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('failure_id', name=op.f('pk_dashboard_login_failure')),
    schema='monitoring'
    )
    op.create_index(op.f('ix_dashboard_login_failure_user_name_failed_at'), 'dashboard_login_failure',
                    ['user_name', 'failed_at'], unique=False, schema='monitoring')
    op.create_index(op.f('ix_dashboard_login_failure_client_failed_at'), 'dashboard_login_failure',
                    ['client', 'failed_at'], unique=False, schema='monitoring')


def downgrade() -> None:
    op.drop_index(op.f('ix_dashboard_login_failure_client_failed_at'), table_name='dashboard_login_failure',
                  schema='monitoring')
    op.drop_index(op.f('ix_dashboard_login_failure_user_name_failed_at'), table_name='dashboard_login_failure',
                  schema='monitoring')
    op.drop_table('dashboard_login_failure', schema='monitoring')
    op.drop_column('dashboard_user', 'session_version', schema=_schema())
