# Rasad: the two commands of the README, and a few for engineers.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export GX_ANALYTICS_ENABLED := False

.PHONY: demo test bench airflow celery-up celery-down dashboard lint audit lock clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## demo: set everything up, simulate Ombazar, and monitor the last 7 Tehran days through Airflow
demo: $(STAMP)
	$(BIN)/rasad demo

## test: the whole test suite (PostgreSQL, Chromium and SMTP tests included)
test: $(STAMP)
	$(BIN)/python -m pytest

## bench: the daily pipeline at 10k, 100k and 1M deliveries a day, on SQLite and PostgreSQL, against a bare
## reference (bench/README.md); e.g. make bench BENCH_SIZES="10k 100k" BENCH_STORES=sqlite
BENCH_SIZES  ?= 10k 100k 1M
BENCH_STORES ?= sqlite postgresql
BENCH_ARGS   ?=
bench: $(STAMP)
	$(BIN)/python bench/scale.py --sizes $(BENCH_SIZES) --stores $(BENCH_STORES) $(BENCH_ARGS)

## airflow: Airflow's own UI (standalone) with Rasad's DAGs on the embedded store
airflow: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH AIRFLOW_HOME=$(CURDIR)/var/airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False RASAD_VAR_DIR=$(CURDIR)/var RASAD_AIRFLOW_EMBEDDED_DEFAULT=true \
	$(BIN)/airflow standalone

## celery-up: Airflow on the CeleryExecutor here (PostgreSQL metadata and store, Redis broker): the API server,
## scheduler, DAG processor and CELERY_WORKERS workers, with pid files and logs in var/celery (docs/scaling.md)
CELERY_WORKERS ?= 2
celery-up: $(STAMP)
	RASAD_CELERY_WORKERS=$(CELERY_WORKERS) RASAD_BIN=$(CURDIR)/$(BIN) deploy/celery-local.sh up

## celery-down: stop what celery-up started
celery-down:
	deploy/celery-local.sh down

## dashboard: the Fardap dashboard and the officers' inbox on the embedded store (http://127.0.0.1:8501)
dashboard: $(STAMP)
	$(BIN)/rasad dashboard

## lint: ruff over the code and mypy over pipelines/ and dags/ (.ci/run calls it before the tests)
lint: $(STAMP)
	$(BIN)/ruff check pipelines dags tests bench setup.py
	$(BIN)/mypy

## audit: pip-audit over requirements.lock (PyPI's service, then OSV's, then the OSV database stored offline at
## RASAD_AUDIT_OFFLINE_DB_DIR); exit 2 with a WARNING when no database was reached (docs/operations.md)
audit: $(STAMP)
	$(BIN)/python -m pipelines.orchestration.dependency_audit --lock requirements.lock

## lock: re-pin every dependency after changing pyproject.toml
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v '^rasad\|^pip==' > requirements.lock

clean:
	rm -rf var
