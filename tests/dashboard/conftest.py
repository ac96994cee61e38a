"""A small monitored store for the dashboard tests: built once per session, copied for each test.

Two Tehran days of the simulator's SMALL world, monitored by the real pipeline, with three dashboard users:
a Fardap coordinator, and the officers of the two busiest provinces (A and B).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pipeline_helpers import days_before_end, simulate_and_run
from sqlalchemy import func, select

from pipelines.findings import tables as findings_tables
from pipelines.settings import Settings
from pipelines.store.engine import store_engine

PASSWORDS = {"fardap": "coordinator-pass", "officer_a": "officer-a-pass", "officer_b": "officer-b-pass",
             "rahyar_a": "rahyar-a-pass"}


@dataclass(frozen=True)
class DashStore:
    """The session's monitored store and who is in it."""

    var_dir: Path
    days: list
    province_a: str
    province_b: str
    team_a: str


@pytest.fixture(scope="session")
def dash_store() -> DashStore:
    """Build the store once: simulate and monitor two days, then add the users."""
    from pipelines.dashboard.users import add_user

    var_dir = Path(tempfile.mkdtemp(prefix="rasad-dash-")) / "var"
    settings = Settings(var_dir=var_dir)
    days = days_before_end(2)
    for day in days:
        simulate_and_run(settings, day)
    engine = store_engine(settings)
    f = findings_tables.finding
    with engine.begin() as conn:
        busiest = conn.execute(select(f.c.province_id).where(f.c.province_id.is_not(None))
                               .group_by(f.c.province_id).order_by(func.count().desc(), f.c.province_id)
                               .limit(2)).scalars().all()
        a, b = busiest
        # a rahyari team of province A that covers the unit of at least one of A's findings
        team = conn.execute(select(f.c.routing).where(f.c.province_id == a, f.c.routing.like('%"team_id"%'))
                            .limit(1)).scalar_one()
        team_a = json.loads(team)["rahyari"][0]["team_id"]
        add_user(conn, "fardap", "fardap_coordinator", password=PASSWORDS["fardap"], display_name="سارا کریمی")
        add_user(conn, "officer_a", "monitoring_officer", password=PASSWORDS["officer_a"], province_id=a,
                 display_name="داوود موسوی")
        add_user(conn, "officer_b", "monitoring_officer", password=PASSWORDS["officer_b"], province_id=b,
                 display_name="مریم احمدی")
        add_user(conn, "rahyar_a", "rahyar", password=PASSWORDS["rahyar_a"], team_id=team_a,
                 display_name="رهیار نمونه")
    engine.dispose()
    import sqlite3

    with sqlite3.connect(var_dir / "rasad.db") as raw:  # fold the WAL into the file, so a copy has it all
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return DashStore(var_dir=var_dir, days=days, province_a=a, province_b=b, team_a=team_a)


@pytest.fixture
def dash_settings(dash_store, tmp_path, monkeypatch) -> Settings:
    """A private copy of the session's store, wired into get_settings (RASAD_VAR_DIR)."""
    from pipelines.settings import get_settings

    var_dir = tmp_path / "var"
    var_dir.mkdir()
    shutil.copyfile(dash_store.var_dir / "rasad.db", var_dir / "rasad.db")
    monkeypatch.setenv("RASAD_VAR_DIR", str(var_dir))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
