"""state kept, not rebuilt; event time with allowed lateness

- staging keeps version intervals (`valid_to`, the next version's `updated_at`), indexed, so "as it stood at T"
  is an index range and the current state is `valid_to IS NULL`; and the day whose extraction staged each
  version (`staged_day`; null for versions staged before this revision);
- `parked`: rows whose parent is not staged yet, retried on every extraction; the extraction log counts them;
- `order_fulfilment`: one row per order, recomputed only for the orders a window changed;
- observations say which run judged them (`judged_on`); findings say when Rasad first saw them
  (`discovered_day`); findings that later facts took back move to `finding_withdrawn`;
- `seller_activity_daily` now holds cohorts of orders by the day they fell due: its old rows (deliveries by the
  day they were resolved) mean something else and are dropped; the next run rebuilds the cohorts from
  `order_fulfilment`.

Revision ID: 0008_state
Revises: 0007_dashboard
Create Date: 2026-11-30
"""

import re

import sqlalchemy as sa
from alembic import op

import pipelines.store.types

revision = '0008_state'
down_revision = '0007_dashboard'
branch_labels = None
depends_on = None

STAGING_KEYS = {
    "stg_sellers": "seller_id",
    "stg_offers": "offer_id",
    "stg_orders": "order_id",
    "stg_deliveries": "delivery_id",
}


def _for_dialect(sql: str) -> str:
    """SQLite keeps both schemas in one file without prefixes."""
    if op.get_bind().dialect.name == "sqlite":
        return re.sub(r"\b(?:monitoring|ref)\.(?=[a-z_])", "", sql)
    return sql


def _schema() -> str | None:
    """Adding a column names the table without a schema on SQLite (the store is one file)."""
    return None if op.get_bind().dialect.name == "sqlite" else "monitoring"


def upgrade() -> None:
    for table, key in STAGING_KEYS.items():
        op.add_column(table, sa.Column('valid_to', pipelines.store.types.UTCDateTime(timezone=True), nullable=True),
                      schema=_schema())
        op.add_column(table, sa.Column('staged_day', pipelines.store.types.DayType(), nullable=True),
                      schema=_schema())
        op.create_index(op.f(f'ix_{table}_staged_day'), table, ['staged_day'], unique=False, schema='monitoring')
        op.create_index(op.f(f'ix_{table}_valid_to'), table, ['valid_to'], unique=False, schema='monitoring')
        op.create_index(op.f(f'ix_{table}_updated_at'), table, ['updated_at'], unique=False, schema='monitoring')
        # the versions staged so far: each one's interval ends where the next version of its row begins
        op.execute(_for_dialect(
            f"UPDATE monitoring.{table} SET valid_to = (SELECT MIN(n.updated_at) FROM monitoring.{table} n "
            f"WHERE n.{key} = monitoring.{table}.{key} AND n.updated_at > monitoring.{table}.updated_at)"))
    for column in ('rows_parked', 'rows_unparked', 'rows_park_expired'):
        op.add_column('extraction_log', sa.Column(column, sa.Integer(), server_default='0', nullable=False),
                      schema=_schema())
    op.create_table('parked',
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('source_updated_at', sa.String(length=40), nullable=False),
    sa.Column('raw_payload', sa.Text(), nullable=False),
    sa.Column('missing_parent', sa.Text(), nullable=False),
    sa.Column('first_parked_day', pipelines.store.types.DayType(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('entity', 'source_id', 'source_updated_at', name=op.f('pk_parked')),
    schema='monitoring'
    )
    op.create_index(op.f('ix_parked_first_parked_day'), 'parked', ['first_parked_day'], unique=False,
                    schema='monitoring')
    op.create_table('order_fulfilment',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('offer_id', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.String(length=64), nullable=True),
    sa.Column('buyer_member_id', sa.String(length=64), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('unit_price_rial', sa.BigInteger(), nullable=False),
    sa.Column('ordered_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('promised_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_day', pipelines.store.types.DayType(), nullable=False),
    sa.Column('shipments', sa.Integer(), nullable=False),
    sa.Column('open_shipments', sa.Integer(), nullable=False),
    sa.Column('delivered_qty', sa.Float(), nullable=False),
    sa.Column('first_delivered_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completing_delivery_id', sa.String(length=64), nullable=True),
    sa.Column('completed_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_late', sa.Integer(), nullable=True),
    sa.Column('closed_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seller_cancelled_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('buyer_cancelled', sa.Integer(), nullable=False),
    sa.Column('defect_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('defect_value_rial', sa.BigInteger(), nullable=False),
    sa.Column('record_lag_hours', sa.Float(), nullable=True),
    sa.Column('recorded_at', pipelines.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_fulfilment')),
    schema='monitoring'
    )
    op.create_index(op.f('ix_order_fulfilment_closed_at_due_at'), 'order_fulfilment', ['closed_at', 'due_at'],
                    unique=False, schema='monitoring')
    op.create_index(op.f('ix_order_fulfilment_seller_id_due_day'), 'order_fulfilment', ['seller_id', 'due_day'],
                    unique=False, schema='monitoring')
    op.add_column('finding_observation', sa.Column('judged_on', pipelines.store.types.DayType(), nullable=True),
                  schema=_schema())
    op.create_index(op.f('ix_finding_observation_judged_on'), 'finding_observation', ['judged_on'], unique=False,
                    schema='monitoring')
    op.add_column('finding', sa.Column('discovered_day', pipelines.store.types.DayType(), nullable=True),
                  schema=_schema())
    op.create_table('finding_refresh_key',
    sa.Column('day', pipelines.store.types.DayType(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day', 'rule', 'entity_id', name=op.f('pk_finding_refresh_key')),
    schema='monitoring'
    )
    op.create_table('finding_withdrawn',
    sa.Column('finding_id', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('episode_start_day', pipelines.store.types.DayType(), nullable=False),
    sa.Column('seller_id', sa.String(length=64), nullable=True),
    sa.Column('province_id', sa.String(length=16), nullable=True),
    sa.Column('withdrawn_day', pipelines.store.types.DayType(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('finding_id', name=op.f('pk_finding_withdrawn')),
    schema='monitoring'
    )
    op.create_index(op.f('ix_finding_withdrawn_withdrawn_day'), 'finding_withdrawn', ['withdrawn_day'],
                    unique=False, schema='monitoring')
    for column in ('orders_recorded', 'orders_recorded_late'):
        op.add_column('seller_activity_daily', sa.Column(column, sa.Integer(), server_default='0', nullable=False),
                      schema=_schema())
    op.execute(_for_dialect("DELETE FROM monitoring.seller_activity_daily"))
    op.execute(_for_dialect("DELETE FROM monitoring.seller_buyer_daily"))


def downgrade() -> None:
    for column in ('orders_recorded_late', 'orders_recorded'):
        op.drop_column('seller_activity_daily', column, schema=_schema())
    op.drop_index(op.f('ix_finding_withdrawn_withdrawn_day'), table_name='finding_withdrawn', schema='monitoring')
    op.drop_table('finding_withdrawn', schema='monitoring')
    op.drop_table('finding_refresh_key', schema='monitoring')
    op.drop_column('finding', 'discovered_day', schema=_schema())
    op.drop_index(op.f('ix_finding_observation_judged_on'), table_name='finding_observation', schema='monitoring')
    op.drop_column('finding_observation', 'judged_on', schema=_schema())
    op.drop_index(op.f('ix_order_fulfilment_seller_id_due_day'), table_name='order_fulfilment', schema='monitoring')
    op.drop_index(op.f('ix_order_fulfilment_closed_at_due_at'), table_name='order_fulfilment',
                  schema='monitoring')
    op.drop_table('order_fulfilment', schema='monitoring')
    op.drop_index(op.f('ix_parked_first_parked_day'), table_name='parked', schema='monitoring')
    op.drop_table('parked', schema='monitoring')
    for column in ('rows_park_expired', 'rows_unparked', 'rows_parked'):
        op.drop_column('extraction_log', column, schema=_schema())
    for table in STAGING_KEYS:
        op.drop_index(op.f(f'ix_{table}_updated_at'), table_name=table, schema='monitoring')
        op.drop_index(op.f(f'ix_{table}_valid_to'), table_name=table, schema='monitoring')
        op.drop_index(op.f(f'ix_{table}_staged_day'), table_name=table, schema='monitoring')
        op.drop_column(table, 'staged_day', schema=_schema())
        op.drop_column(table, 'valid_to', schema=_schema())
