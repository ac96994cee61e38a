"""dashboard: users, verdict batches, the marts views, withdrawn verdicts

Tables `dashboard_user` and `verdict_batch`; the views of `sql/marts/` (docs/marts.md), which BI tools and the
dashboard read; `finding_verdict.verdict` may be `withdrawn` (an undo of a first verdict), and the view
`finding_label` treats a finding whose latest verdict is `withdrawn` as having none.

The marts' SQL is frozen in this file as `sql/marts/create_*.sql` stood at this revision. To change a view
later, edit its file and add a revision that inlines the new SQL, dropping and creating the marts again.

The file is named for its place in the chain; its revision id is older than that order and stays as it is,
because stores already record it in `alembic_version`.

Revision ID: 0007_dashboard
Revises: 0004_findings
Create Date: 2026-11-26
"""

import re

import sqlalchemy as sa
from alembic import op

import pipelines.store.types

revision = '0007_dashboard'
down_revision = '0004_findings'
branch_labels = None
depends_on = None

# The views as they stood when this revision was written, frozen here (a migration never reads a live
# file): in dependency order, a view only reads the views before it. A later change to `sql/marts/`
# ships as a new revision that drops and creates the views again.
MART_VIEWS = {
    "mart_seller": """
CREATE VIEW monitoring.mart_seller AS
SELECT s.seller_id, s.unit_id, s.display_name
FROM (
    SELECT x.seller_id, x.unit_id, x.display_name,
           ROW_NUMBER() OVER (PARTITION BY x.seller_id ORDER BY x.updated_at DESC) AS version_rank
    FROM monitoring.stg_sellers x
) s
WHERE s.version_rank = 1
""",
    "mart_seller_day": """
CREATE VIEW monitoring.mart_seller_day AS
SELECT a.day, a.seller_id, s.display_name, s.unit_id, u.kind AS unit_kind, u.province_id,
       a.deliveries_resolved, a.deliveries_delivered, a.orders_completed, a.orders_late,
       a.quality_defects, a.seller_cancellations, a.late_value_rial, a.defect_value_rial, a.cancel_value_rial
FROM monitoring.seller_activity_daily a
LEFT JOIN monitoring.mart_seller s ON s.seller_id = a.seller_id
LEFT JOIN ref.unit u ON u.unit_id = s.unit_id
                    AND u.valid_from <= a.day AND (u.valid_to IS NULL OR u.valid_to > a.day)
""",
    "mart_finding": """
CREATE VIEW monitoring.mart_finding AS
SELECT f.finding_id, f.rule, f.check_name, f.kind, f.entity_type, f.entity_id, f.episode_start_day,
       f.last_observed_day, f.resolved_day, f.seller_id, f.offer_id, f.unit_id, f.province_id,
       p.name_fa AS province_name_fa, s.display_name AS seller_name, f.severity, f.impact_rial, f.evidence, f.routing,
       l.verdict, l.note AS verdict_note, l.given_by AS verdict_by, l.given_at AS verdict_at,
       CASE WHEN EXISTS (
           SELECT 1 FROM monitoring.finding_label fp
           WHERE fp.rule = f.rule AND fp.entity_id = f.entity_id AND fp.verdict = 'false_positive'
             AND fp.episode_start_day <= f.episode_start_day
       ) THEN 1 ELSE 0 END AS suppressed
FROM monitoring.finding f
LEFT JOIN monitoring.finding_label l ON l.finding_id = f.finding_id
LEFT JOIN ref.province p ON p.province_id = f.province_id
LEFT JOIN monitoring.mart_seller s ON s.seller_id = f.seller_id
""",
    "mart_finding_day": """
CREATE VIEW monitoring.mart_finding_day AS
SELECT d.day, f.finding_id, f.province_id, f.unit_id, f.seller_id, f.rule, f.check_name, f.severity,
       f.impact_rial, f.verdict,
       CASE WHEN f.episode_start_day = d.day THEN 'new' ELSE 'ongoing' END AS status
FROM (SELECT DISTINCT r.day FROM monitoring.run_log r WHERE r.step = 'check' AND r.status = 'success') d
JOIN monitoring.mart_finding f
  ON (f.kind = 'event' AND f.episode_start_day = d.day)
  OR (f.kind = 'state' AND f.episode_start_day <= d.day AND f.last_observed_day = d.day)
WHERE f.suppressed = 0
""",
    "mart_province_day": """
CREATE VIEW monitoring.mart_province_day AS
WITH days AS (
    SELECT DISTINCT r.day FROM monitoring.run_log r WHERE r.step = 'check' AND r.status = 'success'
),
activity AS (
    SELECT a.province_id, a.day, SUM(a.deliveries_delivered) AS deliveries_delivered,
           SUM(a.orders_completed) AS orders_completed, SUM(a.orders_late) AS orders_late,
           SUM(a.quality_defects) AS quality_defects, SUM(a.seller_cancellations) AS seller_cancellations,
           SUM(a.late_value_rial) AS late_value_rial, SUM(a.defect_value_rial) AS defect_value_rial
    FROM monitoring.mart_seller_day a
    GROUP BY a.province_id, a.day
),
prices AS (
    SELECT o.province_id, o.day, COUNT(*) AS price_anomalies
    FROM monitoring.finding_observation o
    WHERE o.rule LIKE 'price%'
    GROUP BY o.province_id, o.day
),
listed AS (
    SELECT fd.province_id, fd.day, COUNT(*) AS open_findings,
           SUM(CASE WHEN fd.severity = 'critical' THEN 1 ELSE 0 END) AS critical_findings,
           SUM(CASE WHEN fd.status = 'new' THEN 1 ELSE 0 END) AS new_findings
    FROM monitoring.mart_finding_day fd
    GROUP BY fd.province_id, fd.day
)
SELECT p.province_id, p.name_fa AS province_name_fa, d.day,
       COALESCE(a.deliveries_delivered, 0) AS deliveries_delivered,
       COALESCE(a.orders_completed, 0) AS orders_completed,
       COALESCE(a.orders_late, 0) AS orders_late,
       CASE WHEN a.orders_completed > 0
            THEN 1.0 - CAST(a.orders_late AS DOUBLE PRECISION) / a.orders_completed END AS on_time_rate,
       COALESCE(a.quality_defects, 0) AS quality_defects,
       CASE WHEN a.deliveries_delivered > 0
            THEN CAST(a.quality_defects AS DOUBLE PRECISION) / a.deliveries_delivered END AS quality_defect_rate,
       COALESCE(a.seller_cancellations, 0) AS seller_cancellations,
       COALESCE(pr.price_anomalies, 0) AS price_anomalies,
       COALESCE(l.open_findings, 0) AS open_findings,
       COALESCE(l.critical_findings, 0) AS critical_findings,
       COALESCE(l.new_findings, 0) AS new_findings,
       COALESCE(a.late_value_rial, 0) AS late_value_rial,
       COALESCE(a.defect_value_rial, 0) AS defect_value_rial
FROM ref.province p
CROSS JOIN days d
LEFT JOIN activity a ON a.province_id = p.province_id AND a.day = d.day
LEFT JOIN prices pr ON pr.province_id = p.province_id AND pr.day = d.day
LEFT JOIN listed l ON l.province_id = p.province_id AND l.day = d.day
""",
    "mart_seller_scorecard": """
CREATE VIEW monitoring.mart_seller_scorecard AS
SELECT sc.day, sc.window_days, sc.seller_id, s.display_name, s.unit_id, u.province_id, sc.unit_kind,
       sc.deliveries_resolved, sc.distinct_buyers, sc.orders_completed, sc.on_time_rate,
       sc.quality_defect_rate, sc.seller_cancel_rate, sc.volume_ok, sc.breaches
FROM monitoring.seller_scorecard sc
LEFT JOIN monitoring.mart_seller s ON s.seller_id = sc.seller_id
LEFT JOIN ref.unit u ON u.unit_id = s.unit_id
                    AND u.valid_from <= sc.day AND (u.valid_to IS NULL OR u.valid_to > sc.day)
""",
}

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


def create_marts() -> None:
    """Create the marts views as this revision froze them."""
    for sql in MART_VIEWS.values():
        op.execute(_for_dialect(sql))


def drop_marts() -> None:
    """Drop the marts views, the last first."""
    for name in reversed(MART_VIEWS):
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
