"""Dashboard logins that last, and that end when they should.

- **Session tokens.** A login yields a token: the user name, the user's `session_version` and an expiry,
  signed with HMAC-SHA256 under a key from settings (`RASAD_DASHBOARD_SESSION_SECRET`, or a random key kept
  in `var/dashboard_session.key`). It lives in an HttpOnly, SameSite=Lax cookie (`rasad_session`), set by a
  small route of the dashboard's server (`pipelines/dashboard/server.py`), so a page reload keeps the login.
  The browser is handed the cookie through a one-time ticket (a token of purpose "ticket", valid for
  `TICKET_SECONDS`, each accepted once).
- **Checked on every request.** Every run of the page (each click, each reload) reads the user row again:
  a disabled user, a changed password or role, or a logout (each raises `session_version`) ends every open
  session and cookie of that user at its next request; so does the expiry.
- **Failed logins are rate-limited**, per user name as typed (known or not, so a lock tells nothing about
  who exists) and per client address, in the store (`monitoring.dashboard_login_failure`), so a restart
  does not reset them: `RASAD_DASHBOARD_LOGIN_MAX_FAILURES` failures of one name (or
  `..._PER_CLIENT` from one address) within `RASAD_DASHBOARD_LOGIN_FAILURE_WINDOW_MINUTES` lock it until
  the oldest of them leaves the window. A locked login is refused before the password is looked at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, delete, select

from pipelines.dashboard.tables import dashboard_login_failure
from pipelines.settings import Settings

COOKIE_NAME = "rasad_session"
TICKET_SECONDS = 120
SESSION_ROUTE = "rasad/session"  # relative to the dashboard's base URL: sets the cookie from a ticket
LOGOUT_ROUTE = "rasad/logout"  # clears the cookie
_NAME_CHARS = 64


# ------------------------------------------------------------------------------------------ tokens


def session_key(settings: Settings) -> bytes:
    """The key that signs session tokens: from settings, or a random one made once and kept in var/."""
    if settings.dashboard_session_secret:
        return settings.dashboard_session_secret.encode("utf-8")
    path = Path(settings.var_dir) / "dashboard_session.key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SessionClaim:
    """Whose session a token is, at which session version, until when (epoch seconds)."""

    user_name: str
    session_version: int
    expires_at: float
    purpose: str = "session"
    nonce: str = ""

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


def sign(claim: SessionClaim, key: bytes) -> str:
    """A token for `claim`: base64url(JSON) '.' base64url(HMAC-SHA256)."""
    payload = json.dumps({"u": claim.user_name, "v": claim.session_version, "exp": claim.expires_at,
                          "p": claim.purpose, "n": claim.nonce}, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(token: str | None, key: bytes, purpose: str = "session") -> SessionClaim | None:
    """The claim of a well-signed, unexpired token of `purpose`, else None (never an exception)."""
    if not token or token.count(".") != 1 or len(token) > 2048:
        return None
    body, mac = token.split(".")
    try:
        payload, given = _unb64(body), _unb64(mac)
    except ValueError:
        return None
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), given):
        return None
    try:
        data = json.loads(payload)
        claim = SessionClaim(user_name=str(data["u"]), session_version=int(data["v"]),
                             expires_at=float(data["exp"]), purpose=str(data["p"]), nonce=str(data.get("n", "")))
    except (ValueError, KeyError, TypeError):
        return None
    if claim.purpose != purpose or claim.expired:
        return None
    return claim


def new_session(user: dict, settings: Settings) -> SessionClaim:
    """The session a login of `user` (a dashboard_user row) opens now."""
    return SessionClaim(user_name=user["user_name"], session_version=int(user["session_version"]),
                        expires_at=time.time() + settings.dashboard_session_seconds)


def ticket_for(claim: SessionClaim, key: bytes) -> str:
    """A one-time ticket the browser trades for the session cookie (SESSION_ROUTE)."""
    ticket = SessionClaim(claim.user_name, claim.session_version,
                          min(claim.expires_at, time.time() + TICKET_SECONDS), "ticket", secrets.token_urlsafe(12))
    return sign(ticket, key)


_used_tickets: dict[str, float] = {}
_used_lock = threading.Lock()


def redeem_ticket(ticket: str | None, key: bytes, settings: Settings) -> tuple[str, int] | None:
    """The session cookie's value and lifetime (s) for a valid ticket not used before; else None."""
    claim = verify(ticket, key, purpose="ticket")
    if claim is None:
        return None
    now = time.time()
    with _used_lock:
        for nonce, until in list(_used_tickets.items()):
            if until < now:
                del _used_tickets[nonce]
        if claim.nonce in _used_tickets:
            return None
        _used_tickets[claim.nonce] = claim.expires_at
    session = SessionClaim(claim.user_name, claim.session_version,
                           now + settings.dashboard_session_seconds)
    return sign(session, key), settings.dashboard_session_seconds


# --------------------------------------------------------------------------------- failed logins


@dataclass(frozen=True)
class Lock:
    """Logins of this name or from this client are refused until `until`."""

    until: datetime

    def minutes_left(self, now: datetime) -> int:
        return max(1, -(-int((self.until - now).total_seconds()) // 60))


def _norm_name(user_name: str) -> str:
    return user_name.strip().lower()[:_NAME_CHARS]


def _lock_of(times: list[datetime], limit: int, window: timedelta) -> Lock | None:
    """Locked while `limit` failures lie in the window: until the limit-th newest leaves it."""
    if limit <= 0 or len(times) < limit:
        return None
    newest_first = sorted(times, reverse=True)
    return Lock(until=newest_first[limit - 1] + window)


def login_lock(conn: Connection, user_name: str, client: str, settings: Settings,
               now: datetime | None = None) -> Lock | None:
    """Whether logins of this user name, or from this client, are locked now (and until when)."""
    now = now or datetime.now(UTC)
    window = timedelta(minutes=settings.dashboard_login_failure_window_minutes)
    f = dashboard_login_failure
    since = now - window

    def times(condition) -> list[datetime]:
        return [t if t.tzinfo else t.replace(tzinfo=UTC)
                for t in conn.execute(select(f.c.failed_at).where(condition, f.c.failed_at > since)).scalars()]

    locks = [lock for lock in (
        _lock_of(times(f.c.user_name == _norm_name(user_name)), settings.dashboard_login_max_failures, window),
        _lock_of(times(f.c.client == client[:64]), settings.dashboard_login_max_failures_per_client, window),
    ) if lock is not None and lock.until > now]
    return max(locks, key=lambda lock: lock.until) if locks else None


def record_failure(conn: Connection, user_name: str, client: str, settings: Settings,
                   now: datetime | None = None) -> None:
    """Keep a failed login; failures older than the window are dropped on the way."""
    now = now or datetime.now(UTC)
    f = dashboard_login_failure
    conn.execute(delete(f).where(f.c.failed_at <= now - timedelta(
        minutes=settings.dashboard_login_failure_window_minutes)))
    conn.execute(f.insert().values(user_name=_norm_name(user_name), client=client[:64], failed_at=now))


def clear_failures(conn: Connection, user_name: str) -> None:
    """A successful login forgives the name's failures (not the client's)."""
    f = dashboard_login_failure
    conn.execute(delete(f).where(f.c.user_name == _norm_name(user_name)))


@dataclass(frozen=True)
class LoginResult:
    """A login attempt: the user on success; the lock when refused for too many failures."""

    user: dict | None
    lock: Lock | None = None


def attempt_login(conn: Connection, user_name: str, password: str, client: str, settings: Settings,
                  now: datetime | None = None) -> LoginResult:
    """Log in by password unless locked; a failure is recorded, a success clears the name's failures."""
    from pipelines.dashboard.users import authenticate

    now = now or datetime.now(UTC)
    lock = login_lock(conn, user_name, client, settings, now)
    if lock is not None:
        return LoginResult(None, lock)
    user = authenticate(conn, user_name, password)
    if user is None:
        record_failure(conn, user_name, client, settings, now)
        return LoginResult(None, login_lock(conn, user_name, client, settings, now))
    clear_failures(conn, user_name)
    return LoginResult(user)


def client_address(remote: str | None, headers: dict | None, settings: Settings) -> str:
    """The client's address for rate limiting: the connection's, or X-Forwarded-For's first if trusted."""
    if settings.dashboard_trust_forwarded_for and isinstance(headers, dict):
        forwarded = next((v for k, v in headers.items() if str(k).lower() == "x-forwarded-for"), "")
        first = str(forwarded).split(",")[0].strip()
        if first:
            return first[:64]
    return remote[:64] if isinstance(remote, str) and remote else "unknown"
