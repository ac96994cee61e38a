"""`rasad report --date D`: write the Persian reports of a Tehran day again (`send` and `outbox` come from mail)."""

from __future__ import annotations

from pipelines.cli import day_arg
from pipelines.settings import get_settings


def cmd_report(args) -> int:
    from pipelines.orchestration.daily_steps import new_run_id, write_reports

    settings = get_settings()
    paths = write_reports(settings, args.date, new_run_id(args.date, "report"))
    print(f"{len(paths)} reports for Tehran day {args.date} in {settings.reports_dir / args.date.isoformat()}")
    return 0


def register(subparsers) -> None:
    """Add `rasad report` to the CLI (mail adds its subcommands under it)."""
    rep = subparsers.add_parser("report", help="write the Persian reports of a Tehran day again")
    rep.add_argument("--date", type=day_arg, required=True)
    rep.set_defaults(func=cmd_report)
