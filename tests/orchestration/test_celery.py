"""The daily DAG on Airflow's CeleryExecutor: a scheduler, a DAG processor, the API server and two Celery
workers (w1, w2) started by `deploy/celery-local.sh`, PostgreSQL for Airflow's metadata and Rasad's store,
Redis as the broker.

One simulated day is triggered; the worker first seen running a mapped report partition is killed (SIGKILL, its
whole process group). The day must still complete, the killed partition retried on the other worker, the mapped
partitions must have run on both workers, and the findings must equal those of `rasad run` of the same day
on a store of its own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines.findings import tables as findings_tables
from pipelines.monitored_day import MonitoredDay
from pipelines.reports import tables as report_tables
from pipelines.settings import Settings
from pipelines.simulator.run import simulate_into
from tests.conftest import PG_ADMIN_URL, REPO, create_pg_database, drop_pg_database, free_port, require_part
from tests.pipeline_helpers import END_DAY, HISTORY_DAYS, SEED, SMALL

pytestmark = [pytest.mark.celery, pytest.mark.dag]
DAY = END_DAY - timedelta(days=1)
DAG_ID = "ombazar_quality_daily"
BIN = Path(sys.executable).parent
RUN_TIMEOUT_S = 600  # about 90 s on an idle 2-core machine; far longer when it is shared


def _redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _session_pids(sid: int) -> list[int]:
    """Every live process of session `sid` (what one `start` of deploy/celery-local.sh made)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # after the command: state, ppid, pgrp, session
            pids.append(int(stat.parent.name))
    return pids


def _kill_session(sid: int) -> None:
    for pid in _session_pids(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def cluster(tmp_path):
    """Two Celery workers and the Airflow services, on fresh databases and a queue of their own."""
    require_part(_redis_answers(), "Redis is not answering at 127.0.0.1:6379 (`apt-get install redis-server`)")
    meta_db, _ = create_pg_database()
    store_db, store_url = create_pg_database()
    queue = f"rasad_test_{uuid.uuid4().hex[:8]}"
    celery_dir = tmp_path / "celery"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RASAD_"))}
    base.update(
        RASAD_CELERY_DIR=str(celery_dir), RASAD_BIN=str(BIN), RASAD_CELERY_QUEUE=queue,
        RASAD_CELERY_API_PORT=str(free_port()), RASAD_AIRFLOW_DB=meta_db, RASAD_STORE_DB=store_db,
        RASAD_PG=PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0],
        RASAD_VAR_DIR=str(tmp_path / "var"), RASAD_CELERY_WORKERS="2", RASAD_CELERY_CONCURRENCY="2",
        # a dead worker's task is failed after 12 s without a heartbeat, and retried 2 s later
        RASAD_CELERY_EXTRA_ENV="\n".join([
            "export AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT=12",
            "export AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL=2",
            "export AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME=0.5",
            # the test triggers its one day: the daily DAG's catch-up runs (from its start day) would run beside it
            "export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False",
            # the day is in the past: a DAG whose start day is later makes a run with no task instances
            f"export RASAD_MONITORING_START_DAY={DAY.isoformat()}",
            "export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=600",
            "export RASAD_PARTITION_RETRY_DELAY_SECONDS=2",
            "export RASAD_DAILY_PARTITIONS=4",
        ]),
    )
    script = REPO / "deploy" / "celery-local.sh"
    sessions: list[int] = []
    try:
        up = subprocess.run([str(script), "up"], env=base, capture_output=True, text=True, timeout=240)
        sessions += [int(p.read_text()) for p in (celery_dir / "pids").glob("*.pid")]
        assert up.returncode == 0, up.stdout + up.stderr
        yield {"dir": celery_dir, "base": base, "store_url": store_url, "queue": queue,
               "meta_url": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{meta_db}", "var": tmp_path / "var"}
    finally:
        subprocess.run([str(script), "down"], env=base, capture_output=True, timeout=60)
        for sid in sessions:  # whatever `down` left: every process of each session `up` started
            _kill_session(sid)
        drop_pg_database(meta_db)
        drop_pg_database(store_db)
        try:
            import redis

            redis.Redis(host="127.0.0.1", port=6379).delete(queue)
        except Exception:  # noqa: BLE001 - the queue's key is only tidied up
            pass


def _settings(var_dir: Path, store_url: str) -> Settings:
    return Settings(var_dir=var_dir, store_url=store_url)


def _snapshot(store_url: str) -> dict[str, pd.DataFrame]:
    """The day's observations and findings, every column but times of writing, in a stable order."""
    engine = sa.create_engine(store_url)
    out = {}
    with engine.connect() as conn:
        for name, table, keys in (
            ("observations", findings_tables.finding_observation, ["rule", "entity_id", "day"]),
            ("findings", findings_tables.finding, ["finding_id"]),
        ):
            frame = pd.DataFrame(conn.execute(sa.select(table)).mappings().all())
            frame = frame.drop(columns=[c for c in frame.columns if c.endswith("_at")])
            out[name] = frame.sort_values(keys).reset_index(drop=True)
    engine.dispose()
    return out


def test_two_celery_workers_share_the_day_and_survive_one_killed(cluster, tmp_path):
    meta = sa.create_engine(cluster["meta_url"].replace("postgresql://", "postgresql+psycopg://"))
    tis = sa.text("SELECT task_id, map_index, state, hostname, try_number FROM task_instance "
                  "WHERE dag_id = :d ORDER BY task_id, map_index")

    # the simulated world, for the workers' store; the trigger of the run whose data interval is Tehran day DAY
    simulate_into(_settings(cluster["var"], cluster["store_url"]), SEED, HISTORY_DAYS, END_DAY,
                  MonitoredDay(DAY).end, SMALL)
    started = time.monotonic()
    trigger = subprocess.run([str(REPO / "deploy" / "celery-local.sh"), "day", DAY.isoformat()],
                             env={**cluster["base"], "RASAD_CELERY_WAIT": "0"}, capture_output=True, text=True,
                             timeout=240)
    assert trigger.returncode == 0, trigger.stdout + trigger.stderr

    # meanwhile, the same world on a store of its own, monitored by `rasad run` in one process
    single_db, single_url = create_pg_database()
    single_env = {**cluster["base"], "RASAD_VAR_DIR": str(tmp_path / "single"), "RASAD_STORE_URL": single_url,
                  "PYTHONPATH": str(REPO), "GX_ANALYTICS_ENABLED": "False"}
    simulate = (f"from pipelines.settings import get_settings; from pipelines.simulator.run import simulate_into; "
                f"from pipelines.monitored_day import MonitoredDay; from tests.pipeline_helpers import *; "
                f"from datetime import date; simulate_into(get_settings(), SEED, HISTORY_DAYS, END_DAY, "
                f"MonitoredDay(date.fromisoformat('{DAY.isoformat()}')).end, SMALL)")
    single = subprocess.Popen(
        ["bash", "-c", f'set -e; "{BIN}/rasad" db upgrade; "{BIN}/python" -c "{simulate}"; '
                       f'"{BIN}/rasad" run --date {DAY.isoformat()}'],
        env=single_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)

    # whichever worker is first seen running a report partition is killed (a worker's share of the partitions
    # varies from run to run); its partition must then be retried on the other one
    worker_sid = {w: int((cluster["dir"] / "pids" / f"worker-{w}.pid").read_text()) for w in ("w1", "w2")}
    killed = None
    victim = survivor = ""
    state = None
    while time.monotonic() - started < RUN_TIMEOUT_S:
        with meta.connect() as conn:
            state = conn.execute(sa.text("SELECT state FROM dag_run WHERE dag_id = :d"), {"d": DAG_ID}).scalar()
            rows = conn.execute(tis, {"d": DAG_ID}).all()
        if state in ("success", "failed"):
            break
        if killed is None:
            running = [r for r in rows if r.task_id == "write_reports" and r.state == "running"
                       and (r.hostname or "").split("@")[0] in worker_sid]
            if running:
                killed = running[0]
                victim = killed.hostname.split("@")[0]
                survivor = "w2" if victim == "w1" else "w1"
                _kill_session(worker_sid[victim])
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    try:
        single_out, _ = single.communicate(timeout=300)
        assert single.returncode == 0, single_out[-3000:]
        expected = _snapshot(single_url)
    finally:
        if single.poll() is None:
            _kill_session(single.pid)
        drop_pg_database(single_db)
    with meta.connect() as conn:
        rows = conn.execute(tis, {"d": DAG_ID}).all()
        history = conn.execute(sa.text(
            "SELECT task_id, map_index, state, hostname, try_number FROM task_instance_history WHERE dag_id = :d"),
            {"d": DAG_ID}).all()
    meta.dispose()
    table = "\n".join(str(tuple(r)) for r in rows)
    assert state == "success", f"the run ended {state!r} after {elapsed:.0f} s:\n{table}"
    assert killed is not None, f"no report partition was seen running, nothing was killed:\n{table}"

    # mapped partitions ran on both workers (how the price partitions fall between them varies from run to run;
    # the killed report partition ran on one and its retry on the other)
    mapped_hosts = {r.hostname.split("@")[0] for r in [*rows, *history]
                    if r.task_id in ("price_rules", "write_reports") and r.hostname}
    assert mapped_hosts == {"w1", "w2"}, table
    assert len([r for r in rows if r.task_id == "price_rules"]) >= 2

    # the killed partition failed on its worker and was retried alone on the other; the other partitions ran once
    retried = [r for r in rows if (r.task_id, r.map_index) == (killed.task_id, killed.map_index)][0]
    assert retried.state == "success" and retried.hostname.startswith(f"{survivor}@") and retried.try_number >= 2, table
    assert any(h.task_id == killed.task_id and h.map_index == killed.map_index and h.hostname.startswith(f"{victim}@")
               for h in history)
    assert all(r.try_number == 1 for r in rows if r.task_id == "price_rules"), table

    # a complete day, nothing doubled: one report row and one email a province, findings as `rasad run`
    engine = sa.create_engine(cluster["store_url"])
    with engine.connect() as conn:
        reports = conn.execute(sa.select(report_tables.report.c.province_id)
                               .where(report_tables.report.c.day == DAY)).scalars().all()
    engine.dispose()
    assert len(reports) == len(set(reports)) == 31
    assert len(list((cluster["var"] / "outbox" / DAY.isoformat()).glob("officer_*.eml"))) == 31
    got = _snapshot(cluster["store_url"])
    assert len(expected["observations"]) > 0 and len(expected["findings"]) > 0
    for name in ("observations", "findings"):
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
    print(f"celery day: {elapsed:.0f} s from trigger to success, "
          f"killed {killed.task_id}[{killed.map_index}] on {victim}")
