"""Faults in the middle of a daily run end, after a re-run, in the state of a clean run.

- `rasad run` SIGKILLed while each step runs, then run again;
- two `rasad run` of the same day at once;
- the HTTP source answering 503 part-way through the extraction, then healthy again;
- on PostgreSQL, every session of the run terminated (`pg_terminate_backend`) while a step runs, then run again.

A small simulated world (one seller per province) keeps each test within seconds of work.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from pipelines.findings import tables as findings_tables
from pipelines.ingest import tables as ingest_tables
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration import tables as run_tables
from pipelines.orchestration.daily_steps import run_day
from pipelines.settings import Settings
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.store.engine import source_engine, store_engine
from tests.conftest import REPO
from tests.pipeline_helpers import END_DAY, HISTORY_DAYS, SEED, days_before_end, table_snapshot

pytestmark = pytest.mark.e2e
TINY = SimScale(sellers_per_province=1, offers_per_seller=3, orders_per_day=120, members=200)
DAY = days_before_end(1)[0]
COMPARED = (
    findings_tables.finding, findings_tables.finding_observation, findings_tables.finding_withdrawn,
    ingest_tables.stg_sellers, ingest_tables.stg_offers, ingest_tables.stg_orders, ingest_tables.stg_deliveries,
    ingest_tables.quarantine, ingest_tables.parked,
)


def state(settings: Settings) -> dict[str, pd.DataFrame]:
    """The monitoring tables without what names a run (run ids), as text, in a stable order; and the reports."""
    out = {}
    for table in COMPARED:
        frame = table_snapshot(settings, table)
        frame = frame.drop(columns=[c for c in frame.columns if "run_id" in c])
        frame = frame.astype(str)
        out[table.name] = frame.sort_values(list(frame.columns)).reset_index(drop=True) if len(frame) else frame
    reports = sorted(p.name for p in (settings.reports_dir / DAY.isoformat()).glob("*.html"))
    out["reports"] = pd.DataFrame({"report": reports})
    return out


def assert_same_state(got: dict[str, pd.DataFrame], clean: dict[str, pd.DataFrame]) -> None:
    assert got.keys() == clean.keys()
    for name in clean:
        assert len(got[name]) == len(clean[name]), name
        pd.testing.assert_frame_equal(got[name], clean[name], obj=name)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The simulated source and reference before the run of DAY (a var dir to copy), and a clean run's state."""
    base = tmp_path_factory.mktemp("base") / "var"
    simulate_into(Settings(var_dir=base), SEED, HISTORY_DAYS, END_DAY, MonitoredDay(DAY).end, TINY)
    clean = Settings(var_dir=tmp_path_factory.mktemp("clean") / "var")
    shutil.copytree(base, clean.var_dir)
    run_day(clean, DAY)
    snapshot = state(clean)
    assert len(snapshot["finding"]) > 0 and len(snapshot["stg_deliveries"]) > 0 and len(snapshot["reports"]) == 31
    return base, snapshot


def _copy(world, tmp_path: Path) -> Settings:
    settings = Settings(var_dir=tmp_path / "var")
    shutil.copytree(world[0], settings.var_dir)
    return settings


def _rasad_run(settings: Settings, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "RASAD_VAR_DIR": str(settings.var_dir), "PYTHONPATH": str(REPO), **env}
    rasad = os.path.join(os.path.dirname(sys.executable), "rasad")
    return subprocess.Popen([rasad, "run", "--date", DAY.isoformat()], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _running_step(settings: Settings) -> set[str]:
    log = run_tables.run_log
    try:
        with store_engine(settings).connect() as conn:
            return set(conn.execute(select(log.c.step).where(log.c.status == "running")).scalars())
    except Exception:  # noqa: BLE001 - the store is being created by the run
        return set()


def _kill_when_running(proc: subprocess.Popen, settings: Settings, step: str, timeout: float = 900) -> None:
    """SIGKILL the run as soon as the run log shows `step` running."""
    deadline = time.monotonic() + timeout
    while step not in _running_step(settings):
        if proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before step {step} was seen: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"step {step} not seen within {timeout}s")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("step", ["extract", "check", "findings", "report"])
def test_a_run_killed_during_a_step_then_rerun_equals_a_clean_run(world, tmp_path, step):
    settings = _copy(world, tmp_path)
    _kill_when_running(_rasad_run(settings), settings, step)
    rerun = _rasad_run(settings)
    out, err = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, err
    assert_same_state(state(settings), world[1])


def test_two_runs_of_the_same_day_at_once_leave_the_state_of_one(world, tmp_path):
    """They take turns step by step (the store's step lock): both succeed, and the state is one clean run's."""
    settings = _copy(world, tmp_path)
    runs = [_rasad_run(settings), _rasad_run(settings)]
    results = [(p.communicate(timeout=900), p.returncode) for p in runs]
    assert [code for _, code in results] == [0, 0], [err[-2000:] for (_, err), _ in results]
    assert_same_state(state(settings), world[1])


def test_http_source_failing_mid_extraction_fails_the_run_and_a_rerun_equals_a_clean_run(world, tmp_path):
    from pipelines.source.reader import SourceUnavailableError
    from pipelines.source.server import SourceServer

    settings = _copy(world, tmp_path)

    class FailingAfter(SourceServer):
        """Answers `healthy` requests, then 503 until told otherwise."""

        healthy = 3

        def _should_fault(self) -> bool:
            with self._lock:
                self.requests += 1
                failing = self.requests > self.healthy
                self.faults += failing
                return failing

    with FailingAfter(source_engine(settings), retry_after_seconds=0.01) as server:
        via_http = settings.model_copy(update={
            "source_kind": "http", "source_http_url": server.url, "source_http_retries": 2,
            "source_http_backoff_seconds": 0.01, "source_http_page_rows": 200})
        with pytest.raises(SourceUnavailableError):
            run_day(via_http, DAY)
        assert server.faults >= 3
        server.healthy = 10**9
        run_day(via_http, DAY)
    assert_same_state(state(settings), world[1])


@pytest.mark.db
def test_postgresql_sessions_killed_mid_step_then_rerun_equals_a_clean_run(world, tmp_path, pg_database):
    """The store and the source on PostgreSQL; every session of the run's database is terminated while the
    checks run. The run fails; a re-run gives the clean state (compared as text with the SQLite clean run)."""
    import sqlalchemy as sa

    from tests.conftest import PG_ADMIN_URL

    settings = Settings(var_dir=tmp_path / "var", store_url=pg_database, source_url=pg_database)
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(DAY).end, TINY)
    proc = _rasad_run(settings, RASAD_STORE_URL=pg_database, RASAD_SOURCE_URL=pg_database)
    deadline = time.monotonic() + 900
    while "check" not in _running_step(settings):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the checks never started"
        time.sleep(0.02)
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    database = pg_database.rsplit("/", 1)[1]
    with admin.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database}).scalar_one()
    admin.dispose()
    assert killed >= 1
    store_engine(settings).dispose()  # this test's own pooled sessions were terminated too
    _, err = proc.communicate(timeout=900)
    assert proc.returncode != 0
    assert "Traceback" not in err.splitlines()[-1] if err.strip() else True
    rerun = _rasad_run(settings, RASAD_STORE_URL=pg_database, RASAD_SOURCE_URL=pg_database)
    _, err = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, err
    assert_same_state(state(settings), world[1])


def test_the_clean_state_is_not_trivially_equal(world, tmp_path):
    """The comparison can fail: a run of the day after differs from the clean run of the day."""
    settings = _copy(world, tmp_path)
    run_day(settings, DAY)
    simulate_into(settings, SEED, HISTORY_DAYS, END_DAY, MonitoredDay(DAY + timedelta(days=1)).end, TINY)
    run_day(settings, DAY + timedelta(days=1))
    with pytest.raises(AssertionError):
        assert_same_state(state(settings), world[1])
