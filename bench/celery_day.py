"""One steady day on two Celery workers against the same day in one process, on PostgreSQL.

    .venv/bin/python bench/celery_day.py --size 10k            # needs PostgreSQL and Redis on loopback
    .venv/bin/python bench/celery_day.py --size 100k --workers 2 --concurrency 2 --partitions 4

1. `scale_source.py build` (the same source as `make bench`) into a fresh store and source database;
2. the initial load: `run_day` of the day before the steady day, in one process;
3. `scale_source.py advance`: the steady day's changes;
4. the store is copied twice (`CREATE DATABASE ... TEMPLATE`), so both runs start from the same state;
5. **single process**: `run_day` of the steady day on copy A (timed inside the process);
6. **Celery**: `deploy/celery-local.sh up` with N workers on copy B, the DAG triggered for the steady day;
   timed from the trigger to the run's success, with each task's own duration from Airflow's metadata;
7. the two copies' observations and findings are compared (they must be equal).

Prints one JSON summary and writes it to bench/results/celery-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def admin():
    return psycopg.connect(f"{PG}/postgres", autocommit=True)


def drop(names: list[str]) -> None:
    with admin() as conn:
        for name in names:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                         "AND pid <> pg_backend_pid()", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(cmd: list[str], env: dict | None = None, timeout: float = 3600) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def snapshot(url: str) -> dict[str, list]:
    with psycopg.connect(url) as conn:
        return {
            "observations": sorted(conn.execute(
                "SELECT rule, entity_id, day::text, severity, impact_rial, evidence FROM monitoring.finding_observation"
            ).fetchall()),
            "findings": sorted(conn.execute(
                "SELECT finding_id, episode_start_day::text, last_observed_day::text, severity, impact_rial "
                "FROM monitoring.finding").fetchall()),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="10k")
    parser.add_argument("--history-days", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "bench-celery")
    args = parser.parse_args()

    from pipelines.monitored_day import today_in_tehran
    
    steady = today_in_tehran() - timedelta(days=2)
    tag = uuid.uuid4().hex[:8]
    names = {k: f"rasad_bench_celery_{tag}_{k}" for k in ("store", "source", "single", "workers", "meta")}
    url = {k: f"{PG}/{v}" for k, v in names.items()}
    args.work_dir.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RASAD_"))}
    env.update(PYTHONPATH=str(ROOT), GX_ANALYTICS_ENABLED="False")
    result: dict = {"size": args.size, "history_days": args.history_days, "steady_day": steady.isoformat(),
                    "workers": args.workers, "concurrency": args.concurrency, "partitions": args.partitions,
                    "machine": {"cpus": os.cpu_count(), "node": platform.node()},
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    celery_dir = args.work_dir / "celery"
    script = ROOT / "deploy" / "celery-local.sh"
    cluster_env = {**env, "RASAD_CELERY_DIR": str(celery_dir), "RASAD_BIN": str(Path(py).parent),
                   "RASAD_CELERY_QUEUE": f"rasad_bench_{tag}", "RASAD_CELERY_API_PORT": "18090",
                   "RASAD_AIRFLOW_DB": names["meta"], "RASAD_STORE_DB": names["workers"], "RASAD_PG": PG,
                   "RASAD_VAR_DIR": str(args.work_dir / "workers"), "RASAD_CELERY_WORKERS": str(args.workers),
                   "RASAD_CELERY_CONCURRENCY": str(args.concurrency),
                   "RASAD_CELERY_EXTRA_ENV": f"export RASAD_SOURCE_URL={url['source']}\n"
                                             f"export RASAD_DAILY_PARTITIONS={args.partitions}"}
    with admin() as conn:
        for key in ("store", "source"):
            conn.execute(f'CREATE DATABASE "{names[key]}"')
    try:
        common = ["--size", args.size, "--history-days", str(args.history_days), "--steady-day", steady.isoformat(),
                  "--seed", str(args.seed), "--source-url", url["source"]]
        result["source_build_s"] = round(run([py, str(BENCH / "scale_source.py"), "build", *common,
                                              "--store-url", url["store"]], env), 1)
        out = args.work_dir / "initial.json"
        result["initial_load_s"] = round(run([py, str(BENCH / "scale.py"), "pipeline-day", "--store-url", url["store"],
                                              "--source-url", url["source"], "--var-dir", str(args.work_dir / "init"),
                                              "--day", (steady - timedelta(days=1)).isoformat(),
                                              "--run-id", f"bench-init-{tag}", "--out", str(out)], env), 1)
        run([py, str(BENCH / "scale_source.py"), "advance", *common], env)
        with admin() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                         (names["store"],))
            for key in ("single", "workers"):
                conn.execute(f'CREATE DATABASE "{names[key]}" TEMPLATE "{names["store"]}"')

        # the single process
        out = args.work_dir / "single.json"
        run([py, str(BENCH / "scale.py"), "pipeline-day", "--store-url", url["single"], "--source-url",
             url["source"], "--var-dir", str(args.work_dir / "single"), "--day", steady.isoformat(),
             "--run-id", f"bench-single-{tag}", "--out", str(out)], env)
        result["single_process_s"] = json.loads(out.read_text())["seconds"]

        # the Celery workers
        run([str(script), "up"], cluster_env, timeout=600)
        t0 = time.perf_counter()
        # the run whose data interval is Tehran day `steady`, through the API server (not `airflow dags
        # trigger`, which infers a manual run's interval from the moment of the trigger)
        run([str(script), "day", steady.isoformat()], {**cluster_env, "RASAD_CELERY_WAIT": "0"}, timeout=600)
        state = None
        with psycopg.connect(url["meta"], autocommit=True) as conn:
            while time.perf_counter() - t0 < 3600:
                state = conn.execute("SELECT state FROM dag_run").fetchone()[0]
                if state in ("success", "failed"):
                    break
                time.sleep(0.5)
            wall = time.perf_counter() - t0
            tasks = conn.execute(
                "SELECT task_id, map_index, hostname, EXTRACT(EPOCH FROM end_date - start_date), "
                "EXTRACT(EPOCH FROM start_date - queued_dttm) FROM task_instance ORDER BY start_date").fetchall()
            span = conn.execute("SELECT EXTRACT(EPOCH FROM max(end_date) - min(start_date)) FROM task_instance"
                                ).fetchone()[0]
            # what `run_day` does too (it does not mail): from the first task's start to the last report's end
            to_reports = conn.execute(
                "SELECT EXTRACT(EPOCH FROM max(end_date) FILTER (WHERE task_id = 'write_reports') - min(start_date)) "
                "FROM task_instance").fetchone()[0]
        result["celery"] = {
            "state": state, "trigger_to_end_s": round(wall, 1), "first_start_to_last_end_s": round(float(span), 1),
            "first_start_to_last_report_s": round(float(to_reports), 1),
            "tasks": [{"task": t, "map_index": m, "host": h, "seconds": round(float(d or 0), 1),
                       "waited_s": round(float(q or 0), 1)} for t, m, h, d, q in tasks],
        }
        result["celery"]["task_seconds_sum"] = round(sum(t["seconds"] for t in result["celery"]["tasks"]), 1)
        a, b = snapshot(url["single"]), snapshot(url["workers"])
        result["equal"] = {k: a[k] == b[k] for k in a}
        result["counts"] = {k: len(v) for k, v in a.items()}
    finally:
        subprocess.run([str(script), "down"], env=cluster_env, capture_output=True)
        drop(list(names.values()))
    print(json.dumps(result, indent=1, default=str))
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / f"celery-{args.size}.json").write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
