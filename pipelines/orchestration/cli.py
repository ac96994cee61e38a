"""`rasad run` (the daily pipeline without Airflow, one day or a backfill) and `rasad demo` (through Airflow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from pipelines.cli import day_arg
from pipelines.resources import shipped_dir
from pipelines.settings import get_settings
from pipelines.simulator.cli import simulate


def _days_of(args) -> list[date]:
    if args.date:
        return [args.date]
    if not (args.date_from and args.date_to):
        raise SystemExit("rasad run: give --date D, or --from D1 --to D2 (Tehran days)")
    if args.date_to < args.date_from:
        raise SystemExit("rasad run: --to is before --from")
    return [args.date_from + timedelta(days=n) for n in range((args.date_to - args.date_from).days + 1)]


def cmd_run(args) -> int:
    from pipelines.orchestration.daily_steps import check_no_day_skipped, run_day, run_range
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    settings = get_settings()
    upgrade_store(store_engine(settings))
    days = _days_of(args)
    check_no_day_skipped(settings, days[0])
    # a range is a backfill: everything the source holds is staged first (docs/backfill.md)
    summaries = run_range(settings, days) if len(days) > 1 else [run_day(settings, days[0])]
    for day, summary in zip(days, summaries, strict=True):
        print(f"Tehran day {day}: findings {json.dumps(summary['findings'])}; "
              f"{len(summary['reports'])} reports in {settings.reports_dir / day.isoformat()}")
    return 0


def airflow_env() -> dict[str, str]:
    """The environment under which Airflow runs Rasad's DAGs on the embedded default."""
    settings = get_settings()
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", str((settings.var_dir / "airflow").resolve()))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(shipped_dir("dags")))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Asia/Tehran")
    env.setdefault("GX_ANALYTICS_ENABLED", "False")
    # the demo runs on the embedded SQLite files: said explicitly, as a missing connection is an error otherwise
    env.setdefault("RASAD_AIRFLOW_EMBEDDED_DEFAULT", "true")
    env["RASAD_VAR_DIR"] = str(settings.var_dir.resolve())
    return env


def logical_date_for(day: date) -> str:
    """The logical date to hand `airflow dags test` so that its data interval is Tehran day `day`."""
    return f"{(day + timedelta(days=1)).isoformat()}T00:00:00+03:30"


def _airflow(*argv: str) -> None:
    airflow = Path(sys.executable).parent / "airflow"
    result = subprocess.run([str(airflow), *argv], env=airflow_env(), capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-8000:])
        raise SystemExit(f"airflow {' '.join(argv)} failed (exit {result.returncode})")


def cmd_demo(args) -> int:
    from pipelines.monitored_day import last_complete_days, today_in_tehran

    settings = get_settings()
    end_day = today_in_tehran()
    days = last_complete_days(args.days)
    print(f"Rasad demo: simulated Ombazar (seed {args.seed}), monitoring the Tehran days {days[0]} .. {days[-1]}")
    # monitoring (and the daily DAG) begins with the first demo day: a demo run again days later starts afresh
    # rather than being refused for the days in between (docs/operations.md, "No day is skipped")
    os.environ.setdefault("RASAD_MONITORING_START_DAY", days[0].isoformat())
    if not args.no_airflow:
        _airflow("db", "migrate")
    for day in days:
        from pipelines.monitored_day import MonitoredDay

        simulate(args.seed, args.history_days + args.days, end_day, MonitoredDay(day).end)
        if args.no_airflow:
            from pipelines.orchestration.daily_steps import run_day

            run_day(settings, day)
        else:
            _airflow("dags", "test", "ombazar_quality_daily", logical_date_for(day))
        print(f"  {day}: DAG run ombazar_quality_daily done (logical date {logical_date_for(day)})")
    from sqlalchemy import func, select

    from pipelines.findings import tables as findings_tables
    from pipelines.store.engine import store_engine

    with store_engine(settings).connect() as conn:
        total = conn.execute(select(func.count()).select_from(findings_tables.finding)).scalar_one()
    last = settings.reports_dir / days[-1].isoformat()
    print(f"findings in the store: {total}")
    print(f"reports: {settings.reports_dir.resolve()}/<day>/<province_id>.html (latest: {last.resolve()})")
    print(f"emails: {settings.outbox_dir.resolve()}/<day>/*.eml, or sent to RASAD_SMTP_HOST when it is set")
    from pipelines.dashboard.users import DEMO_PASSWORD, add_demo_users

    with store_engine(settings).begin() as conn:
        for name, what in add_demo_users(conn):
            print(f"dashboard user {name} ({what}), password {DEMO_PASSWORD!r}: `make dashboard` to log in")
    return 0




def register(subparsers) -> None:
    """Add `rasad run` and `rasad demo` to the CLI."""
    run = subparsers.add_parser("run", help="monitor Tehran day(s) without Airflow")
    run.add_argument("--date", type=day_arg)
    run.add_argument("--from", dest="date_from", type=day_arg)
    run.add_argument("--to", dest="date_to", type=day_arg)
    run.set_defaults(func=cmd_run)

    demo = subparsers.add_parser("demo", help="simulate and monitor the last days through Airflow")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--days", type=int, default=7)
    demo.add_argument("--history-days", type=int, default=30)
    demo.add_argument("--no-airflow", action="store_true", help="call the pipeline directly")
    demo.set_defaults(func=cmd_demo)
