"""Dashboard users: who may log in, with which role, and the `Viewer` each one becomes.

On the embedded default a user has a local password, kept as an scrypt hash (hashlib.scrypt, from the
standard library: memory-hard, salted, nothing to install). In production the identity provider (Streamlit's
OIDC login) vouches for the user's e-mail, and this table still decides the role and scope: an e-mail that
is not here sees nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy import Connection, select, update

from pipelines.dashboard.access import COORDINATOR, OFFICER, RAHYAR, Viewer
from pipelines.dashboard.tables import ROLES, dashboard_user
from pipelines.reference.tables import province, rahyari_team

# scrypt cost: 2**14 x 8 x 1 takes ~16 MiB and some tens of milliseconds, the usual interactive setting
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_CHARS = 8


class UserError(ValueError):
    """A user cannot be added or found as asked; the message says why."""


def hash_password(password: str) -> str:
    """An scrypt hash of `password` with a fresh salt, as `scrypt$n$r$p$salt$hash`."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


@cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, with the users' parameters: checked when there is no user's to check, so
    that an unknown name, a disabled user or one without a password costs one scrypt, as a wrong password does."""
    return hash_password(base64.b64encode(os.urandom(24)).decode())


_dummy_hash()  # made now, so that the first unknown name costs no more than the others


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored hash (constant-time comparison)."""
    try:
        kind, n, r, p, salt, digest = (stored or "").split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def add_user(conn: Connection, user_name: str, role: str, *, password: str | None, display_name: str | None = None,
             province_id: str | None = None, team_id: str | None = None, email: str | None = None,
             replace: bool = False) -> None:
    """Add (or, with `replace`, update) a dashboard user; a password or an e-mail (for OIDC) is needed."""
    user_name = user_name.strip()
    if not user_name:
        raise UserError("give the user a name")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if password is None and not email:
        raise UserError("give a password (local login) or an --email (identity provider login)")
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if role == OFFICER:
        if not province_id:
            raise UserError("a monitoring officer needs --province")
        if conn.execute(select(province.c.province_id).where(province.c.province_id == province_id)).first() is None:
            raise UserError(f"no province {province_id!r} in the reference data (see `rasad ref export`)")
    if role == RAHYAR:
        if not team_id:
            raise UserError("a rahyar needs --team (the rahyari team whose units they see)")
        team = conn.execute(select(rahyari_team.c.province_id).where(rahyari_team.c.team_id == team_id)).first()
        if team is None:
            raise UserError(f"no rahyari team {team_id!r} in the reference data")
        province_id = team.province_id
    if role == COORDINATOR:
        province_id, team_id = None, None
    values = {
        "display_name": (display_name or user_name).strip(), "role": role, "province_id": province_id,
        "team_id": team_id if role == RAHYAR else None, "email": email.strip().lower() if email else None,
        "password_hash": hash_password(password) if password is not None else None, "disabled": False,
    }
    # a changed user (password, role, scope) is a new user: the sessions opened before end
    exists = conn.execute(select(dashboard_user.c.user_name).where(dashboard_user.c.user_name == user_name)).first()
    if exists and not replace:
        raise UserError(f"user {user_name!r} exists already (use --replace to change it)")
    if exists:
        conn.execute(update(dashboard_user).where(dashboard_user.c.user_name == user_name)
                     .values(**values, session_version=dashboard_user.c.session_version + 1))
    else:
        conn.execute(dashboard_user.insert().values(user_name=user_name, created_at=datetime.now(UTC), **values))


def _active(conn: Connection, condition) -> dict | None:
    row = conn.execute(select(dashboard_user).where(condition, dashboard_user.c.disabled.is_(False))
                       ).mappings().first()
    return dict(row) if row else None


def authenticate(conn: Connection, user_name: str, password: str) -> dict | None:
    """The user row if the name and password match an enabled local user, else None.

    Constant work: one scrypt and one constant-time comparison whether the name is unknown, disabled, without
    a local password, or the password is wrong, so the time taken does not tell which.
    """
    user = _active(conn, dashboard_user.c.user_name == user_name.strip())
    stored = user["password_hash"] if user is not None and user["password_hash"] else _dummy_hash()
    matches = verify_password(password, stored)
    return user if matches and user is not None and user["password_hash"] else None


def session_user(conn: Connection, user_name: str, session_version: int) -> dict | None:
    """The enabled user a session belongs to, if its access has not changed since the session began."""
    user = _active(conn, dashboard_user.c.user_name == user_name)
    return user if user is not None and int(user["session_version"]) == int(session_version) else None


def end_sessions(conn: Connection, user_name: str) -> None:
    """End every open session and session cookie of a user (logout; disabling does it too)."""
    conn.execute(update(dashboard_user).where(dashboard_user.c.user_name == user_name)
                 .values(session_version=dashboard_user.c.session_version + 1))


def user_by_email(conn: Connection, email: str) -> dict | None:
    """The enabled user whose identity-provider e-mail this is, or None."""
    return _active(conn, dashboard_user.c.email == email.strip().lower()) if email else None


def covered_units(conn: Connection, team_id: str, on_date: date) -> frozenset[str]:
    """The units a rahyari team covers, or is copied on, as the organisation stands on `on_date`."""
    from pipelines.reference.routing import recipients_on

    coverage = recipients_on(conn, on_date).coverage
    if coverage.empty:
        return frozenset()
    needle = f'"team_id": "{team_id}"'
    mine = coverage["rahyari"].str.contains(needle, regex=False) | coverage["cc"].str.contains(needle, regex=False)
    return frozenset(coverage.loc[mine, "unit_id"].astype(str))


def viewer_for(conn: Connection, user: dict, on_date: date) -> Viewer:
    """The Viewer a user row becomes (a rahyar's units are their team's coverage on `on_date`)."""
    units = covered_units(conn, user["team_id"], on_date) if user["role"] == RAHYAR and user["team_id"] else frozenset()
    return Viewer(user_name=user["user_name"], display_name=user["display_name"], role=user["role"],
                  province_id=user["province_id"], team_id=user["team_id"], unit_ids=units)


def list_users(conn: Connection) -> list[dict]:
    """Every dashboard user (without password hashes)."""
    u = dashboard_user
    rows = conn.execute(select(u.c.user_name, u.c.display_name, u.c.role, u.c.province_id, u.c.team_id, u.c.email,
                               u.c.disabled).order_by(u.c.user_name)).mappings().all()
    return [dict(r) for r in rows]


def disable_user(conn: Connection, user_name: str) -> bool:
    """Disable a user (kept for the history); whether one was found."""
    result = conn.execute(update(dashboard_user).where(dashboard_user.c.user_name == user_name)
                          .values(disabled=True, session_version=dashboard_user.c.session_version + 1))
    return result.rowcount > 0


DEMO_PASSWORD = "rasad-demo"  # the simulated demo store only: `rasad demo` prints it


def add_demo_users(conn: Connection) -> list[tuple[str, str]]:
    """On the demo store: a coordinator, the officer of the busiest province and a rahyar of it, if absent.

    Returns (user name, what they are) of the users added; all share DEMO_PASSWORD.
    """
    import json

    from sqlalchemy import func

    from pipelines.findings.tables import finding

    f = finding
    busiest = conn.execute(select(f.c.province_id).where(f.c.province_id.is_not(None)).group_by(f.c.province_id)
                           .order_by(func.count().desc(), f.c.province_id).limit(1)).scalar()
    wanted: list[tuple[str, str, dict]] = [("fardap", COORDINATOR, {"display_name": "هماهنگ‌کننده فرداپ (نمونه)"})]
    if busiest is not None:
        wanted.append((f"officer-{busiest}", OFFICER, {"province_id": busiest,
                                                       "display_name": "عنصر رصد و پایش (نمونه)"}))
        routing = conn.execute(select(f.c.routing).where(f.c.province_id == busiest,
                                                         f.c.routing.like('%"team_id"%')).limit(1)).scalar()
        if routing:
            team = json.loads(routing)["rahyari"][0]["team_id"]
            wanted.append((f"rahyar-{team}", RAHYAR, {"team_id": team, "display_name": "رهیار (نمونه)"}))
    added = []
    for name, role, extra in wanted:
        if conn.execute(select(dashboard_user.c.user_name).where(dashboard_user.c.user_name == name)).first():
            continue
        add_user(conn, name, role, password=DEMO_PASSWORD, **extra)
        added.append((name, role if role != OFFICER else f"{role} of province {extra['province_id']}"))
    return added
