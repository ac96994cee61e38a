"""Test-session setup: Airflow's home and Rasad's var dir are temporary, set before Airflow is imported.

Tests that need a system part (PostgreSQL, Chromium) use `require_part`: where the part is missing
they skip with the reason, except under CI=true, where a skip is a failure.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="rasad-tests-"))
REPO = Path(__file__).resolve().parent.parent
os.environ["AIRFLOW_HOME"] = str(_SESSION_DIR / "airflow")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["GX_ANALYTICS_ENABLED"] = "False"
os.environ["RASAD_VAR_DIR"] = str(_SESSION_DIR / "var")
for key in [k for k in os.environ if k.startswith("RASAD_") and k != "RASAD_VAR_DIR"]:
    del os.environ[key]

import pytest  # noqa: E402

PG_ADMIN_URL = os.environ.get("RASAD_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def require_part(available: bool, reason: str) -> None:
    """Skip with a visible reason, or fail under CI, when a system part is missing."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must exercise the real part: {reason}")
    pytest.skip(reason)


def chromium_path() -> str:
    """Debian's chromium, which `.ci/run` installs; else skip with the reason (a failure under CI)."""
    import shutil

    found = shutil.which("chromium") or (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium")
    require_part(bool(found), "Chromium (/usr/bin/chromium) is missing: `apt-get install chromium` "
                              "(`.ci/run` installs it)")
    return str(found)


@pytest.fixture
def settings_for(tmp_path, monkeypatch):
    """Build Settings for a fresh var dir (and optional store/source URLs), wired into get_settings."""
    from pipelines.settings import get_settings

    def make(**overrides):
        monkeypatch.setenv("RASAD_VAR_DIR", str(tmp_path / "var"))
        for key, value in overrides.items():
            monkeypatch.setenv(f"RASAD_{key.upper()}", str(value))
        get_settings.cache_clear()
        return get_settings()

    yield make
    get_settings.cache_clear()


def _pg_available() -> tuple[bool, str]:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return False, f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc.__class__.__name__}"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_pg_database() -> tuple[str, str]:
    """Create a fresh PostgreSQL database (skip, or fail under CI, if none is reachable): (name, URL)."""
    import sqlalchemy as sa

    ok, reason = _pg_available()
    require_part(ok, reason)
    name = f"rasad_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(name: str) -> None:
    """Drop a database made by `create_pg_database`, ending its sessions first."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def pg_database():
    """A fresh PostgreSQL database for one test, dropped afterwards; yields its admin URL."""
    name, url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)
