"""ingestion: exact duplicates collapsed, in the extraction log

Revision ID: 0003_ingest
Revises: 0001
Create Date: 2026-11-26

Rows read = rows staged + rows quarantined + exact duplicates collapsed: the log keeps all four.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_ingest"
down_revision = "0001"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # on SQLite the store is one file without schemas
    return "monitoring" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    op.add_column(
        "extraction_log",
        sa.Column("rows_duplicates_collapsed", sa.Integer(), nullable=False, server_default="0"),
        schema=_schema(),
    )


def downgrade() -> None:
    with op.batch_alter_table("extraction_log", schema=_schema()) as batch:
        batch.drop_column("rows_duplicates_collapsed")
