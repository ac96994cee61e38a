"""A Rasad store on SQLite or PostgreSQL, migrated once per test module, for the reference-data tests."""

from __future__ import annotations

import pytest

from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    """(settings, engine) of a freshly migrated store of each kind, wired into `get_settings`."""
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    pg = None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RASAD_VAR_DIR", str(tmp_path_factory.mktemp("var")))
        if request.param == "postgresql":
            pg, url = create_pg_database()
            mp.setenv("RASAD_STORE_URL", url)
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
                drop_pg_database(pg)
