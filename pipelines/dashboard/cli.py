"""`rasad dashboard` serves the dashboard; `rasad user ...` manages who may log in to it.

    rasad dashboard [--port 8501] [--address 127.0.0.1]
    rasad user add NAME --role monitoring_officer --province 23 [--display-name "..."] [--email ...]
    rasad user list
    rasad user disable NAME

The password of `user add` is read from standard input when it is not a terminal (one line), else asked
for twice; with --email and --no-password the user logs in through the identity provider only.
"""

from __future__ import annotations

import getpass
import os
import shutil
import sys
from pathlib import Path

from pipelines.settings import get_settings

APP_ENTRY = "from pipelines.dashboard.app import main\n\nmain()\n"
PAGE_SCRIPT = "rasad_page.py"
# the server: Streamlit's ASGI app with the session cookie's routes (pipelines/dashboard/server.py)
SERVER_ENTRY = ("import streamlit as st\n\nfrom pipelines.dashboard.server import routes\n\n"
                f"app = st.App({PAGE_SCRIPT!r}, routes=routes())\n")


def _store():
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    engine = store_engine(get_settings())
    upgrade_store(engine)
    return engine


def prepare_app_dir(var_dir: Path) -> Path:
    """The folder Streamlit runs from: the server's entry, the page script and the static fonts it serves."""
    from pipelines.dashboard.present import FONT_FILES, FONTS_DIR

    app_dir = var_dir / "dashboard"
    static = app_dir / "static"
    static.mkdir(parents=True, exist_ok=True)
    for name in (*FONT_FILES.values(), "OFL.txt"):
        shutil.copyfile(FONTS_DIR / name, static / name)
    (app_dir / PAGE_SCRIPT).write_text(APP_ENTRY, encoding="utf-8")
    entry = app_dir / "rasad_dashboard.py"
    entry.write_text(SERVER_ENTRY, encoding="utf-8")
    return entry


def streamlit_command(entry: Path, address: str, port: int) -> list[str]:
    """The `streamlit run` command line: headless, no usage statistics, static fonts served, Vazirmatn."""
    return [
        sys.executable, "-m", "streamlit", "run", str(entry),
        "--server.address", address, "--server.port", str(port), "--server.headless", "true",
        "--server.enableStaticServing", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal", "--theme.base", "light", "--theme.font", "Vazirmatn, sans-serif",
    ]


def cmd_dashboard(args) -> int:
    """Serve the dashboard until interrupted."""
    from pipelines.dashboard.users import list_users

    settings = get_settings()
    with _store().connect() as conn:
        if settings.dashboard_auth == "local" and not list_users(conn):
            print("no dashboard users yet: add one with `rasad user add NAME --role fardap_coordinator` "
                  "(or --role monitoring_officer --province ID)", flush=True)
    entry = prepare_app_dir(settings.var_dir.resolve())
    env = {**os.environ, "RASAD_VAR_DIR": str(settings.var_dir.resolve())}
    address = args.address or settings.dashboard_address
    port = args.port or settings.dashboard_port
    print(f"Rasad dashboard on http://{address}:{port}/ (store {settings.resolved_store_url}); Ctrl-C stops it",
          flush=True)
    command = streamlit_command(entry, address, port)
    os.execve(command[0], command, env)  # Streamlit takes this process over: signals reach it directly
    return 0  # not reached


def _password(args) -> str | None:
    if args.no_password:
        return None
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("rasad: the two passwords differ")
    return first


def cmd_user_add(args) -> int:
    """Add a dashboard user."""
    from pipelines.dashboard.users import UserError, add_user

    try:
        password = _password(args)
        with _store().begin() as conn:
            add_user(conn, args.name, args.role, password=password, display_name=args.display_name,
                     province_id=args.province, team_id=args.team, email=args.email, replace=args.replace)
    except UserError as exc:
        print(f"rasad: {exc}", file=sys.stderr)
        return 2
    print(f"dashboard user {args.name} ({args.role}) {'updated' if args.replace else 'added'}")
    return 0


def cmd_user_list(args) -> int:
    """List the dashboard users."""
    from pipelines.dashboard.users import list_users

    with _store().connect() as conn:
        for u in list_users(conn):
            scope = u["province_id"] or "all provinces"
            if u["team_id"]:
                scope += f", team {u['team_id']}"
            state = " (disabled)" if u["disabled"] else ""
            print(f"{u['user_name']}\t{u['role']}\t{scope}\t{u['email'] or ''}{state}")
    return 0


def cmd_user_disable(args) -> int:
    """Disable a dashboard user."""
    from pipelines.dashboard.users import disable_user

    with _store().begin() as conn:
        found = disable_user(conn, args.name)
    if not found:
        print(f"rasad: no dashboard user {args.name!r}", file=sys.stderr)
        return 2
    print(f"dashboard user {args.name} disabled")
    return 0


def register(subparsers) -> None:
    """Add `rasad dashboard` and `rasad user ...` to the CLI."""
    from pipelines.dashboard.tables import ROLES

    dash = subparsers.add_parser("dashboard", help="serve the Fardap dashboard and the officers' inbox")
    dash.add_argument("--port", type=int, default=None, help="default RASAD_DASHBOARD_PORT (8501)")
    dash.add_argument("--address", default=None, help="default RASAD_DASHBOARD_ADDRESS (127.0.0.1)")
    dash.set_defaults(func=cmd_dashboard)

    user = subparsers.add_parser("user", help="who may log in to the dashboard")
    sub = user.add_subparsers(dest="user_command", required=True)
    add = sub.add_parser("add", help="add a user (password from stdin, or asked for)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--province", default=None, help="a monitoring officer's province id (ref.province)")
    add.add_argument("--team", default=None, help="a rahyar's rahyari team id (ref.rahyari_team)")
    add.add_argument("--display-name", default=None, help="the name shown and written to verdict histories")
    add.add_argument("--email", default=None, help="the identity provider's e-mail (production login)")
    add.add_argument("--no-password", action="store_true", help="identity provider login only")
    add.add_argument("--replace", action="store_true", help="change an existing user")
    add.set_defaults(func=cmd_user_add)
    sub.add_parser("list", help="list the users").set_defaults(func=cmd_user_list)
    dis = sub.add_parser("disable", help="disable a user")
    dis.add_argument("name")
    dis.set_defaults(func=cmd_user_disable)
