"""Alembic environment: migrates the Rasad store (`ref` and `monitoring`) on SQLite or PostgreSQL."""

from __future__ import annotations

from alembic import context

from pipelines.store.engine import STORE_SCHEMAS
from pipelines.store.metadata import metadata

config = context.config


def _run(connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        for schema in STORE_SCHEMAS:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_schemas=postgres,
        version_table_schema="monitoring" if postgres else None,
        render_as_batch=not postgres,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the connection handed in by `pipelines.store.migrate`, or the configured store."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine

    with store_engine(get_settings()).connect() as conn:
        _run(conn)


run_migrations_online()
