"""`rasad db upgrade`: bring the store to the newest schema."""

from __future__ import annotations


def cmd_db_upgrade(args) -> int:
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    upgrade_store(store_engine(get_settings()))
    print("store is at the newest schema")
    return 0


def register(subparsers) -> None:
    """Add `rasad db ...` to the CLI."""
    db = subparsers.add_parser("db", help="the Rasad store's schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations").set_defaults(func=cmd_db_upgrade)
