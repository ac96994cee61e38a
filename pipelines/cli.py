"""`rasad`: one command line assembled from the rooms' own commands (each room's `cli.py` has `register`).

The daily pipeline without Airflow (`run`), the demo through Airflow (`demo`), the simulator, the store's
schema, the reference data, findings and verdicts, reports and mail, the price model and the dashboard.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from datetime import date, datetime

log = logging.getLogger("rasad")

# rooms that add subcommands, in the order `rasad --help` lists them: each has `register(subparsers)`
# (mail adds `send` and `outbox` under `report`, so it comes after reports)
COMMAND_MODULES: tuple[str, ...] = (
    "pipelines.orchestration.cli", "pipelines.simulator.cli", "pipelines.store.cli", "pipelines.reports.cli",
    "pipelines.mail.cli", "pipelines.source.cli", "pipelines.reference.cli", "pipelines.findings.cli",
    "pipelines.price_model.cli", "pipelines.dashboard.cli", "pipelines.olist.cli",
)


def day_arg(value: str) -> date:
    """An argparse type: a Tehran day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day: use YYYY-MM-DD (a Tehran day)") from exc


def instant_arg(value: str) -> datetime:
    """An argparse type: an ISO-8601 instant with its zone."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 instant") from exc
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no zone: add one, e.g. +03:30")
    return instant


def build_parser() -> argparse.ArgumentParser:
    """The `rasad` parser, with every room's commands."""
    parser = argparse.ArgumentParser(prog="rasad", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `rasad` command: user errors end in one clear line, not a traceback."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # progress of long commands is logged when there is no terminal to draw it on (pipelines/progress.py)
    logging.getLogger("pipelines.progress").setLevel(logging.INFO)
    from pipelines.errors import USER_ERRORS, fault_line

    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"rasad: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        # a fault of the machine (a read-only or full store, a path that is a directory) in one line; a bug
        # keeps its traceback, and so does everything under -v
        line = None if args.verbose else fault_line(exc)
        if line is None:
            raise
        print(f"rasad: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
