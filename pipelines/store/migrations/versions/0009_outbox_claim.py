"""outbox: a message is claimed before it is sent

Two senders (the DAG's retry and an engineer's `rasad report send`) read the same pending rows and both sent
them. A sender now claims a row (`claimed_by`, `claimed_at`) in an UPDATE that only succeeds while the row is
pending and unclaimed, or its claim's lease has run out; only the claimant sends it.

Revision ID: 0009_outbox_claim
Revises: 0008_state
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import pipelines.store.types

revision = '0009_outbox_claim'
down_revision = '0008_state'
branch_labels = None
depends_on = None


def _schema() -> str | None:
    """Adding a column names the table without a schema on SQLite (the store is one file)."""
    return None if op.get_bind().dialect.name == "sqlite" else "monitoring"


def upgrade() -> None:
    op.add_column('outbox', sa.Column('claimed_by', sa.String(length=64), nullable=True), schema=_schema())
    op.add_column('outbox', sa.Column('claimed_at', pipelines.store.types.UTCDateTime(), nullable=True),
                  schema=_schema())


def downgrade() -> None:
    op.drop_column('outbox', 'claimed_at', schema=_schema())
    op.drop_column('outbox', 'claimed_by', schema=_schema())
