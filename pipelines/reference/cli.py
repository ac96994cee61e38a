"""`rasad ref load DIR`, `rasad ref export DIR`, `rasad ref check`: the organisation's reference data."""

from __future__ import annotations

from pathlib import Path

from pipelines.cli import day_arg


def cmd_ref_load(args) -> int:
    """Validate the CSV files of a directory, then replace the reference data with them atomically."""
    from pipelines.monitored_day import today_in_tehran
    from pipelines.reference.csv_load import load_reference_dir
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    settings = get_settings()
    store = store_engine(settings)
    upgrade_store(store)
    as_of = args.as_of or today_in_tehran()
    counts = load_reference_dir(store, Path(args.directory), as_of, max_errors=settings.reference_load_max_errors)
    print(f"reference data loaded from {args.directory} as of {as_of}: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_ref_export(args) -> int:
    """Write the reference data as CSV files that `rasad ref load` reads back."""
    from pipelines.reference.csv_load import export_reference_dir
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine

    counts = export_reference_dir(store_engine(get_settings()), Path(args.directory))
    print(f"reference data exported to {args.directory}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_ref_check(args) -> int:
    """Run the seed's rules on the reference data of a Tehran day; exit 1 when any is broken."""
    from pipelines.monitored_day import today_in_tehran
    from pipelines.reference.rules import RULES, check_reference
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    settings = get_settings()
    store = store_engine(settings)
    upgrade_store(store)
    day = args.date or today_in_tehran()
    result = check_reference(store, settings, day)
    print(f"reference rules on Tehran day {day}:")
    for rule in RULES:
        n = result.violations[rule.name]
        print(f"  {'ok  ' if n == 0 else 'FAIL'} {rule.name} ({rule.severity}): {n} violation(s) - {rule.description}")
    print(f"violations for Fardap: {result.opened} opened, {result.continued} ongoing, {result.resolved} resolved "
          "(monitoring.reference_violation)")
    if args.show and result.total:
        from pipelines.reference.rules import find_violations

        with store.connect() as conn:
            found = find_violations(conn, day, settings)
        for row in found.head(args.show).itertuples():
            print(f"  {row.rule}: {row.entity_type} {row.entity_id} (province {row.province_id}) {row.detail}")
    return 1 if result.total else 0


def register(subparsers) -> None:
    """Add `rasad ref ...` to the CLI."""
    ref = subparsers.add_parser("ref", help="the organisation's reference data")
    sub = ref.add_subparsers(dest="ref_command", required=True)
    load = sub.add_parser("load", help="validate CSV files (docs/reference-data.md) and load them atomically")
    load.add_argument("directory")
    load.add_argument("--as-of", type=day_arg, default=None, help="the Tehran day the data describes (default today)")
    load.set_defaults(func=cmd_ref_load)
    export = sub.add_parser("export", help="write the reference data as CSV files")
    export.add_argument("directory")
    export.set_defaults(func=cmd_ref_export)
    check = sub.add_parser("check", help="run the seed's rules on the reference data")
    check.add_argument("--date", type=day_arg, default=None, help="Tehran day (default today)")
    check.add_argument("--show", type=int, default=20, help="list up to this many violations")
    check.set_defaults(func=cmd_ref_check)
