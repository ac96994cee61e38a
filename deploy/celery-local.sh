#!/usr/bin/env bash
# Rasad's DAGs on Airflow's CeleryExecutor, on one machine: PostgreSQL (Airflow's metadata and Rasad's store),
# Redis as the broker, and the Airflow processes started here with pid files and logs (docs/scaling.md).
#
#   deploy/celery-local.sh up      # create the databases if missing, migrate, start every process
#   deploy/celery-local.sh down    # stop what `up` started (each process group, by its pid file)
#   deploy/celery-local.sh status  # which processes run
#   deploy/celery-local.sh env     # print the environment file to `source` before `airflow ...` commands
#   deploy/celery-local.sh day D   # run the daily DAG for Tehran day D (YYYY-MM-DD) and wait for its end
#
# Every knob is an environment variable with a local default:
#   RASAD_CELERY_DIR      var/celery                  pid files, logs, AIRFLOW_HOME, airflow.env
#   RASAD_CELERY_WORKERS  2                           how many Celery workers (w1@<host>, w2@<host>, ...)
#   RASAD_CELERY_CONCURRENCY 2                        task slots per worker
#   RASAD_CELERY_QUEUE    rasad                       the queue the tasks are sent to and the workers serve
#   RASAD_CELERY_API_PORT 8080                        Airflow's API server (UI and the workers' execution API)
#   RASAD_PG              postgresql://postgres@127.0.0.1:5432   the PostgreSQL server (no database name)
#   RASAD_AIRFLOW_DB      rasad_airflow_meta          Airflow's metadata database (also the Celery results)
#   RASAD_STORE_DB        rasad_store                 Rasad's store (the `rasad_store` connection)
#   RASAD_CELERY_BROKER   redis://127.0.0.1:6379/0    the broker
#   RASAD_BIN             .venv/bin                   where `airflow` and `rasad` are
#   RASAD_CELERY_SCHEDULE False                       True: the scheduler also starts the daily runs by the clock
#                                                     (production); False: only the runs you trigger
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${RASAD_CELERY_DIR:-$ROOT/var/celery}"
WORKERS="${RASAD_CELERY_WORKERS:-2}"
CONCURRENCY="${RASAD_CELERY_CONCURRENCY:-2}"
QUEUE="${RASAD_CELERY_QUEUE:-rasad}"
API_PORT="${RASAD_CELERY_API_PORT:-8080}"
PG="${RASAD_PG:-postgresql://postgres@127.0.0.1:5432}"
AIRFLOW_DB="${RASAD_AIRFLOW_DB:-rasad_airflow_meta}"
STORE_DB="${RASAD_STORE_DB:-rasad_store}"
BROKER="${RASAD_CELERY_BROKER:-redis://127.0.0.1:6379/0}"
BIN="${RASAD_BIN:-$ROOT/.venv/bin}"
HOST="$(hostname -s 2>/dev/null || echo localhost)"
PG_HOSTPART="${PG#postgresql://}"

write_env() {
  mkdir -p "$DIR/pids" "$DIR/logs" "$DIR/airflow"
  [ -s "$DIR/jwt_secret" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/jwt_secret")
  cat > "$DIR/airflow.env" <<EOF
# written by deploy/celery-local.sh: source it before running airflow or rasad against this cluster
export AIRFLOW_HOME="$DIR/airflow"
export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Tehran
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$API_PORT/execution/"
export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=${RASAD_CELERY_SCHEDULE:-False}
export AIRFLOW__CORE__HOSTNAME_CALLABLE=pipelines.orchestration.airflow_glue.worker_hostname
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://$PG_HOSTPART/$AIRFLOW_DB"
export AIRFLOW__CELERY__BROKER_URL="$BROKER"
export AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql://$PG_HOSTPART/$AIRFLOW_DB"
export AIRFLOW__CELERY__WORKER_CONCURRENCY=$CONCURRENCY
export AIRFLOW__OPERATORS__DEFAULT_QUEUE="$QUEUE"
export AIRFLOW__API__PORT=$API_PORT
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$API_PORT"
export AIRFLOW__API_AUTH__JWT_SECRET="$(cat "$DIR/jwt_secret")"
export AIRFLOW__API__SECRET_KEY="$(cat "$DIR/jwt_secret")"
# on loopback only: every caller of the local API is an admin (production: a real auth manager, compose file)
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True
export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$DIR/airflow/logs"
export AIRFLOW_CONN_RASAD_STORE="postgresql://$PG_HOSTPART/$STORE_DB"
export RASAD_STORE_URL="postgresql+psycopg://$PG_HOSTPART/$STORE_DB"
export RASAD_VAR_DIR="${RASAD_VAR_DIR:-$ROOT/var}"
# the source: an ombazar_source connection where one is defined, else the simulated source file, said explicitly
# (a missing connection never falls back silently)
export RASAD_SOURCE_URL="${RASAD_SOURCE_URL:-sqlite:///$RASAD_VAR_DIR/sim/ombazar.db}"
export GX_ANALYTICS_ENABLED=False
export PYTHONPATH="$ROOT\${PYTHONPATH:+:\$PYTHONPATH}"
EOF
  # extra settings of this cluster (e.g. a shorter heartbeat timeout in tests) are appended by the caller
  if [ -n "${RASAD_CELERY_EXTRA_ENV:-}" ]; then printf '%s\n' "$RASAD_CELERY_EXTRA_ENV" >> "$DIR/airflow.env"; fi
}

create_db() {  # create database $1 on the server if it does not exist
  "$BIN/python" - "$PG" "$1" <<'EOF'
import sys
import psycopg
server, name = sys.argv[1], sys.argv[2]
with psycopg.connect(server + "/postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
EOF
}

start() {  # start NAME CMD...: a new process group, its pid in pids/NAME.pid, its output in logs/NAME.log
  local name="$1"; shift
  if [ -s "$DIR/pids/$name.pid" ] && kill -0 "$(cat "$DIR/pids/$name.pid")" 2>/dev/null; then
    echo "$name already runs (pid $(cat "$DIR/pids/$name.pid"))"; return
  fi
  setsid "$@" >> "$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/pids/$name.pid"
  echo "started $name (pid $!), log $DIR/logs/$name.log"
}

up() {
  write_env
  # shellcheck disable=SC1091
  source "$DIR/airflow.env"
  redis-cli -u "$BROKER" ping >/dev/null 2>&1 || "$BIN/python" -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).ping()" "$BROKER" \
    || { echo "the broker $BROKER does not answer: start Redis first"; exit 1; }
  create_db "$AIRFLOW_DB"
  create_db "$STORE_DB"
  "$BIN/airflow" db migrate > "$DIR/logs/db-migrate.log" 2>&1 || { echo "airflow db migrate failed: $DIR/logs/db-migrate.log"; exit 1; }
  "$BIN/rasad" db upgrade > "$DIR/logs/store-upgrade.log" 2>&1 || { echo "rasad db upgrade failed: $DIR/logs/store-upgrade.log"; exit 1; }
  start api-server "$BIN/airflow" api-server --host 127.0.0.1 --port "$API_PORT"
  start scheduler "$BIN/airflow" scheduler
  start dag-processor "$BIN/airflow" dag-processor
  for n in $(seq 1 "$WORKERS"); do
    RASAD_WORKER_NAME="w$n@$HOST" start "worker-w$n" env RASAD_WORKER_NAME="w$n@$HOST" \
      "$BIN/airflow" celery worker --celery-hostname "w$n@$HOST" --queues "$QUEUE" \
      --concurrency "$CONCURRENCY" --skip-serve-logs --without-gossip --without-mingle
  done
  echo "environment: source $DIR/airflow.env"
}

down() {
  local pidfile pid left
  for pidfile in "$DIR"/pids/*.pid; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true   # a warm shutdown: workers finish or hand back their tasks
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      echo "stopped $(basename "$pidfile" .pid) (pid $pid)"
    fi
    # whatever is left of the session `start` made (a task's supervisor may have its own process group)
    left="$(ps -o pid= -s "$pid" 2>/dev/null | tr -d ' ' | tr '\n' ' ' || true)"
    if [ -n "$left" ]; then kill -KILL $left 2>/dev/null || true; fi
    rm -f "$pidfile"
  done
}

status() {
  local pidfile
  for pidfile in "$DIR"/pids/*.pid; do
    [ -e "$pidfile" ] || { echo "nothing started in $DIR"; return; }
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then state=running; else state=dead; fi
    echo "$(basename "$pidfile" .pid): $state (pid $(cat "$pidfile"))"
  done
}

day() {  # day D: unpause the daily DAG, trigger the run whose data interval is Tehran day D, wait for its end
  local d="${1:?usage: $0 day YYYY-MM-DD}"
  # shellcheck disable=SC1091
  source "$DIR/airflow.env"
  "$BIN/python" - "http://127.0.0.1:$API_PORT" "$d" "${RASAD_CELERY_WAIT:-1}" <<'EOF'
import json, sys, time, urllib.error, urllib.request
from datetime import date, timedelta

api, day, wait = sys.argv[1] + "/api/v2/dags/ombazar_quality_daily", date.fromisoformat(sys.argv[2]), sys.argv[3] == "1"

def call(method, path, body=None):
    req = urllib.request.Request(api + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)

for attempt in range(180):  # the API server may be starting, the DAG processor may not have parsed the DAG yet
    try:
        call("PATCH", "", {"is_paused": False})
        break
    except (urllib.error.URLError, ConnectionError) as err:
        if attempt == 179 or (isinstance(err, urllib.error.HTTPError) and err.code != 404):
            raise
        time.sleep(1)
start, end = f"{day.isoformat()}T00:00:00+03:30", f"{(day + timedelta(days=1)).isoformat()}T00:00:00+03:30"
run = call("POST", "/dagRuns", {"dag_run_id": f"day__{day.isoformat()}__{int(time.time())}", "logical_date": start,
                                "data_interval_start": start, "data_interval_end": end})
print(run["dag_run_id"], flush=True)
while wait:
    state = call("GET", f"/dagRuns/{run['dag_run_id']}")["state"]
    if state in ("success", "failed"):
        print(state)
        sys.exit(0 if state == "success" else 1)
    time.sleep(2)
EOF
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) write_env; cat "$DIR/airflow.env" ;;
  day) shift; day "$@" ;;
  *) echo "usage: $0 up|down|status|env|day D"; exit 2 ;;
esac
