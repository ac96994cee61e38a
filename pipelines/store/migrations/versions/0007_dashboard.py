"""dashboard: users, verdict batches, the marts views, withdrawn verdicts

Tables `dashboard_user` and `verdict_batch`; the views of `sql/marts/` (docs/marts.md), which BI tools and the
dashboard read; `finding_verdict.verdict` may be `withdrawn` (an undo of a first verdict), and the view
`finding_label` treats a finding whose latest verdict is `withdrawn` as having none.

The marts are read from `sql/marts/create_*.sql` when this revision runs. To change a view later, edit its
file and add a revision that drops and creates the marts again (`drop_marts()`, `create_marts()`).

Revision ID: 0007_dashboard
Revises: 0004_findings
Create Date: 2026-11-26
"""

import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import pipelines.store.types

revision = '0007_dashboard'
down_revision = '0004_findings'
branch_labels = None
depends_on = None

MARTS_DIR = Path(__file__).resolve().parents[3] / "sql" / "marts"
# in dependency order: a view only reads the views before it
MARTS = ("mart_seller", "mart_seller_day", "mart_finding", "mart_finding_day", "mart_province_day",
         "mart_seller_scorecard")

_LABEL_VIEW = """
CREATE VIEW monitoring.finding_label AS
SELECT f.finding_id, f.rule, f.check_name, f.entity_type, f.entity_id, f.seller_id, f.offer_id,
       f.province_id, f.episode_start_day, v.verdict, v.note, v.given_by, v.given_at
FROM (
    SELECT fv.finding_id, fv.verdict, fv.note, fv.given_by, fv.given_at,
           ROW_NUMBER() OVER (PARTITION BY fv.finding_id ORDER BY fv.given_at DESC, fv.verdict_id DESC) AS rn
    FROM monitoring.finding_verdict fv
) v
JOIN monitoring.finding f ON f.finding_id = v.finding_id
WHERE v.rn = 1{extra}
"""
# the current verdict of each finding: its latest, unless that is a withdrawal
LABEL_VIEW = _LABEL_VIEW.format(extra=" AND v.verdict <> 'withdrawn'")
OLD_LABEL_VIEW = _LABEL_VIEW.format(extra="")


def _for_dialect(sql: str) -> str:
    """SQLite keeps both schemas in one file without prefixes."""
    if op.get_bind().dialect.name == "sqlite":
        return re.sub(r"\b(?:monitoring|ref)\.(?=[a-z_])", "", sql)
    return sql


def _schema() -> str | None:
    """Batch operations on SQLite name the table without a schema (the store is one file)."""
    return None if op.get_bind().dialect.name == "sqlite" else "monitoring"


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0].rstrip() for line in sql.splitlines()).strip()


def create_marts() -> None:
    """Create the marts views from their files."""
    for name in MARTS:
        op.execute(_for_dialect(_strip_comments((MARTS_DIR / f"create_{name}.sql").read_text(encoding="utf-8"))))


def drop_marts() -> None:
    """Drop the marts views, the last first."""
    for name in reversed(MARTS):
        op.execute(_for_dialect(f"DROP VIEW IF EXISTS monitoring.{name}"))


def upgrade() -> None:
    op.create_table('dashboard_user',
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('province_id', sa.String(length=16), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('created_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.CheckConstraint("role <> 'monitoring_officer' OR province_id IS NOT NULL", name=op.f('ck_dashboard_user_officer_province')),
    sa.CheckConstraint("role <> 'rahyar' OR team_id IS NOT NULL", name=op.f('ck_dashboard_user_rahyar_team')),
    sa.CheckConstraint("role IN ('fardap_coordinator', 'monitoring_officer', 'rahyar')", name=op.f('ck_dashboard_user_role')),
    sa.PrimaryKeyConstraint('user_name', name=op.f('pk_dashboard_user')),
    schema='monitoring'
    )
    op.create_index(op.f('ix_dashboard_user_email'), 'dashboard_user', ['email'], unique=False, schema='monitoring')
    op.create_table('verdict_batch',
    sa.Column('batch_id', sa.String(length=40), nullable=False),
    sa.Column('given_by', sa.Text(), nullable=False),
    sa.Column('given_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('previous', sa.Text(), nullable=False),
    sa.Column('undone_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_verdict_batch')),
    schema='monitoring'
    )
    op.create_index(op.f('ix_verdict_batch_given_by_given_at'), 'verdict_batch', ['given_by', 'given_at'], unique=False, schema='monitoring')

    # the label view reads finding_verdict: drop it while SQLite rebuilds the table for the new constraint
    op.execute(_for_dialect("DROP VIEW monitoring.finding_label"))
    with op.batch_alter_table('finding_verdict', schema=_schema()) as batch:
        batch.drop_constraint(op.f('ck_finding_verdict_verdict'), type_='check')
        batch.create_check_constraint(
            'verdict', "verdict IN ('acknowledged', 'false_positive', 'actioned', 'withdrawn')")
    op.execute(_for_dialect(LABEL_VIEW))
    create_marts()


def downgrade() -> None:
    drop_marts()
    op.execute(_for_dialect("DROP VIEW monitoring.finding_label"))
    op.execute(_for_dialect("DELETE FROM monitoring.finding_verdict WHERE verdict = 'withdrawn'"))
    with op.batch_alter_table('finding_verdict', schema=_schema()) as batch:
        batch.drop_constraint(op.f('ck_finding_verdict_verdict'), type_='check')
        batch.create_check_constraint('verdict', "verdict IN ('acknowledged', 'false_positive', 'actioned')")
    op.execute(_for_dialect(OLD_LABEL_VIEW))
    op.drop_index(op.f('ix_verdict_batch_given_by_given_at'), table_name='verdict_batch', schema='monitoring')
    op.drop_table('verdict_batch', schema='monitoring')
    op.drop_index(op.f('ix_dashboard_user_email'), table_name='dashboard_user', schema='monitoring')
    op.drop_table('dashboard_user', schema='monitoring')
