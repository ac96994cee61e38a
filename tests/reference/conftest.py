"""A Rasad store on SQLite or PostgreSQL, migrated once per test module, for the reference-data tests."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import PG_ADMIN_URL, _pg_available, require_part


def _create_pg_database() -> tuple[str, object]:
    import sqlalchemy as sa

    ok, reason = _pg_available()
    require_part(ok, reason)
    name = f"rasad_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return name, admin


def _drop_pg_database(name: str, admin) -> None:
    import sqlalchemy as sa

    with admin.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    """(settings, engine) of a freshly migrated store of each kind, wired into `get_settings`."""
    from pipelines.migrate import upgrade_store
    from pipelines.settings import get_settings
    from pipelines.store import store_engine

    pg = None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RASAD_VAR_DIR", str(tmp_path_factory.mktemp("var")))
        if request.param == "postgresql":
            pg = _create_pg_database()
            mp.setenv("RASAD_STORE_URL", PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{pg[0]}")
        else:
            mp.delenv("RASAD_STORE_URL", raising=False)
        get_settings.cache_clear()
        settings = get_settings()
        engine = store_engine(settings)
        upgrade_store(engine)
        try:
            yield settings, engine
        finally:
            engine.dispose()
            get_settings.cache_clear()
            if pg is not None:
                _drop_pg_database(*pg)
