"""`rasad`: the daily pipeline without Airflow (for debugging), the simulator, and the demo."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from pipelines.settings import get_settings

log = logging.getLogger("rasad")

# modules that add subcommands: each has `register(subparsers)`
COMMAND_MODULES: tuple[str, ...] = (
    "pipelines.source.cli", "pipelines.reference.cli", "pipelines.price_model.cli", "pipelines.mail.cli",
    "pipelines.findings.cli", "pipelines.dashboard.cli",
)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day: use YYYY-MM-DD (a Tehran day)") from exc


def _instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 instant") from exc
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no zone: add one, e.g. +03:30")
    return instant


def cmd_db_upgrade(args) -> int:
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    upgrade_store(store_engine(get_settings()))
    print("store is at the newest schema")
    return 0


def simulate(seed: int, days: int, end_day: date, as_of: datetime | None, scale=None) -> dict:
    """Write the simulated Ombazar and its organisation as they stood at `as_of`."""
    from pipelines.simulator.run import simulate_into

    return simulate_into(get_settings(), seed, days, end_day, as_of, scale)


def cmd_simulate(args) -> int:
    from pipelines.monitored_day import today_in_tehran

    end_day = args.end_day or today_in_tehran()
    counts = simulate(args.seed, args.days, end_day, args.as_of)
    print(f"simulated Ombazar (seed {args.seed}, {args.days} days to {end_day}): "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _days_of(args) -> list[date]:
    if args.date:
        return [args.date]
    if not (args.date_from and args.date_to):
        raise SystemExit("rasad run: give --date D, or --from D1 --to D2 (Tehran days)")
    if args.date_to < args.date_from:
        raise SystemExit("rasad run: --to is before --from")
    return [args.date_from + timedelta(days=n) for n in range((args.date_to - args.date_from).days + 1)]


def cmd_run(args) -> int:
    from pipelines.orchestration.daily_steps import run_day, run_range
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    settings = get_settings()
    upgrade_store(store_engine(settings))
    days = _days_of(args)
    # a range is a backfill: everything the source holds is staged first (docs/backfill.md)
    summaries = run_range(settings, days) if len(days) > 1 else [run_day(settings, days[0])]
    for day, summary in zip(days, summaries, strict=True):
        print(f"Tehran day {day}: findings {json.dumps(summary['findings'])}; "
              f"{len(summary['reports'])} reports in {settings.reports_dir / day.isoformat()}")
    return 0


def cmd_report(args) -> int:
    from pipelines.orchestration.daily_steps import new_run_id, write_reports

    settings = get_settings()
    paths = write_reports(settings, args.date, new_run_id(args.date, "report"))
    print(f"{len(paths)} reports for Tehran day {args.date} in {settings.reports_dir / args.date.isoformat()}")
    return 0


def airflow_env() -> dict[str, str]:
    """The environment under which Airflow runs Rasad's DAGs on the embedded default."""
    settings = get_settings()
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", str((settings.var_dir / "airflow").resolve()))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(repo / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Asia/Tehran")
    env.setdefault("GX_ANALYTICS_ENABLED", "False")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rasad", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the Rasad store's schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations").set_defaults(func=cmd_db_upgrade)

    sim = sub.add_parser("simulate", help="write a simulated Ombazar and its organisation")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--days", type=int, default=37, help="days of marketplace history")
    sim.add_argument("--end-day", type=_day, default=None, help="first Tehran day after the world (default today)")
    sim.add_argument("--as-of", type=_instant, default=None, help="the simulator's clock (default: end of the world)")
    sim.set_defaults(func=cmd_simulate)

    run = sub.add_parser("run", help="monitor Tehran day(s) without Airflow")
    run.add_argument("--date", type=_day)
    run.add_argument("--from", dest="date_from", type=_day)
    run.add_argument("--to", dest="date_to", type=_day)
    run.set_defaults(func=cmd_run)

    rep = sub.add_parser("report", help="write the Persian reports of a Tehran day again")
    rep.add_argument("--date", type=_day, required=True)
    rep.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="simulate and monitor the last days through Airflow")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--days", type=int, default=7)
    demo.add_argument("--history-days", type=int, default=30)
    demo.add_argument("--no-airflow", action="store_true", help="call the pipeline directly")
    demo.set_defaults(func=cmd_demo)

    for module_name in COMMAND_MODULES:
        import importlib

        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `rasad` command: user errors end in one clear line, not a traceback."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from pipelines.errors import USER_ERRORS

    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"rasad: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
