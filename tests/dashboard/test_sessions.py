"""Dashboard logins: signed session tokens, constant-time login, rate limits kept in the store (SQLite and
PostgreSQL), and sessions checked against the user table on every run."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.dashboard import sessions
from pipelines.dashboard.cli import APP_ENTRY
from pipelines.dashboard.sessions import SessionClaim, attempt_login, login_lock, sign, verify
from pipelines.dashboard.users import add_user, authenticate, disable_user, session_user
from pipelines.store.engine import store_engine
from pipelines.store.migrate import upgrade_store

KEY = b"k" * 32


@pytest.mark.unit
def test_session_tokens_are_signed_expiring_and_purpose_bound():
    claim = SessionClaim("officer_a", 3, time.time() + 60)
    token = sign(claim, KEY)
    assert verify(token, KEY) == claim
    assert verify(token, b"another key") is None
    body, mac = token.split(".")
    forged = sign(SessionClaim("fardap", 3, time.time() + 60), b"guess").split(".")[0] + "." + mac
    assert verify(forged, KEY) is None
    assert verify(body + "." + mac[:-2] + "AA", KEY) is None
    assert verify(sign(SessionClaim("officer_a", 3, time.time() - 1), KEY), KEY) is None  # expired
    ticket = sign(SessionClaim("officer_a", 3, time.time() + 60, "ticket", "n1"), KEY)
    assert verify(ticket, KEY) is None and verify(ticket, KEY, purpose="ticket") is not None
    for junk in (None, "", "x", "a.b.c", "!!.??", "e30." + "A" * 43, "." * 3000):
        assert verify(junk, KEY) is None


@pytest.mark.unit
def test_a_ticket_is_accepted_once(settings_for):
    settings = settings_for(dashboard_session_seconds=600)
    key = sessions.session_key(settings)
    assert key == sessions.session_key(settings)  # made once, kept in var/
    assert (settings.var_dir / "dashboard_session.key").stat().st_mode & 0o077 == 0
    ticket = sessions.ticket_for(SessionClaim("officer_a", 0, time.time() + 600), key)
    value, max_age = sessions.redeem_ticket(ticket, key, settings)
    assert max_age == 600 and verify(value, key).user_name == "officer_a"
    assert sessions.redeem_ticket(ticket, key, settings) is None


def _users_store(settings_for, **overrides):
    settings = settings_for(**overrides)
    engine = store_engine(settings)
    upgrade_store(engine)
    with engine.begin() as conn:
        add_user(conn, "sara", "fardap_coordinator", password="the-right-password")
        add_user(conn, "oidc_only", "fardap_coordinator", password=None, email="o@example.org")
    return settings, engine


@pytest.mark.db
def test_login_takes_the_same_time_for_unknown_users_and_wrong_passwords(settings_for):
    """Issue 13, break 10: 72 ms against 37 ms told unknown names from wrong passwords."""
    _, engine = _users_store(settings_for)
    cases = {"unknown": ("no-such-user", "whatever-pass"), "wrong": ("sara", "not-the-password"),
             "no password": ("oidc_only", "whatever-pass")}
    timings: dict[str, list[float]] = {k: [] for k in cases}
    with engine.connect() as conn:
        for _ in range(2):  # warm up caches and the connection
            for name, password in cases.values():
                authenticate(conn, name, password)
        for _ in range(7):  # interleaved, so a busy neighbour slows every case alike
            for case, (name, password) in cases.items():
                started = time.perf_counter()
                assert authenticate(conn, name, password) is None
                timings[case].append(time.perf_counter() - started)
    medians = {k: statistics.median(v) for k, v in timings.items()}
    fastest, slowest = min(medians.values()), max(medians.values())
    # one scrypt each (tens of ms); the old code spent two on an unknown name
    assert slowest / fastest < 1.35, medians
    engine.dispose()


def _rate_limit(settings_for, **store):
    settings, engine = _users_store(settings_for, dashboard_login_max_failures=3,
                                    dashboard_login_max_failures_per_client=5,
                                    dashboard_login_failure_window_minutes=10, **store)
    t0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    with engine.begin() as conn:
        for i in range(3):
            result = attempt_login(conn, "Sara", "wrong-password", "10.0.0.1", settings, t0 + timedelta(minutes=i))
            assert result.user is None
        assert result.lock is not None  # the third failure locks the name
    # a restart: a new engine, the same store; the right password is refused while the name is locked
    engine.dispose()
    engine = store_engine(settings)
    with engine.begin() as conn:
        now = t0 + timedelta(minutes=5)
        locked = attempt_login(conn, "sara", "the-right-password", "10.0.0.2", settings, now)
        assert locked.user is None and locked.lock is not None
        assert locked.lock.until == t0 + timedelta(minutes=10) and locked.lock.minutes_left(now) == 5
        # unknown names lock just the same (a lock does not tell who exists)
        for i in range(3):
            attempt_login(conn, "ghost", "x", "10.0.0.3", settings, now + timedelta(seconds=i))
        assert login_lock(conn, "ghost", "10.0.0.9", settings, now + timedelta(seconds=5)) is not None
        # once the oldest failure leaves the window the name may try again, and a success forgives it
        later = t0 + timedelta(minutes=10, seconds=1)
        ok = attempt_login(conn, "sara", "the-right-password", "10.0.0.2", settings, later)
        assert ok.user is not None and ok.user["user_name"] == "sara"
        assert login_lock(conn, "sara", "10.0.0.2", settings, later) is None
        # per client: five failures from one address, each on another name, lock that address for every name
        for i in range(5):
            attempt_login(conn, f"name{i}", "x", "10.0.0.66", settings, later + timedelta(seconds=i))
        blocked = attempt_login(conn, "sara", "the-right-password", "10.0.0.66", settings,
                                later + timedelta(seconds=10))
        assert blocked.user is None and blocked.lock is not None
        assert attempt_login(conn, "sara", "the-right-password", "10.0.0.7", settings,
                             later + timedelta(seconds=10)).user is not None
    engine.dispose()


@pytest.mark.db
def test_failed_logins_are_rate_limited_in_the_store(settings_for):
    _rate_limit(settings_for)


@pytest.mark.db
def test_failed_logins_are_rate_limited_on_postgresql(settings_for, pg_database):
    _rate_limit(settings_for, store_url=pg_database)


@pytest.mark.db
def test_session_versions_end_sessions(settings_for):
    _, engine = _users_store(settings_for)
    with engine.begin() as conn:
        user = authenticate(conn, "sara", "the-right-password")
        version = user["session_version"]
        assert session_user(conn, "sara", version) is not None
        add_user(conn, "sara", "fardap_coordinator", password="a-new-password", replace=True)
        assert session_user(conn, "sara", version) is None  # a new password ends the old sessions
        version = authenticate(conn, "sara", "a-new-password")["session_version"]
        disable_user(conn, "sara")
        assert session_user(conn, "sara", version) is None
        assert authenticate(conn, "sara", "a-new-password") is None
    engine.dispose()


def _login(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "ورود").click()
    return at.run()


@pytest.mark.db
def test_a_disabled_users_open_session_ends_at_the_next_run(dash_settings, dash_store):
    """Issue 13, break 10: a disabled user's open session still read the inbox."""
    at = _login(AppTest.from_string(APP_ENTRY, default_timeout=30).run(), "officer_a", "officer-a-pass")
    assert at.radio(key="page").options == ["نمای استان", "صندوق یافته‌ها"]
    engine = store_engine(dash_settings)
    with engine.begin() as conn:
        disable_user(conn, "officer_a")
    engine.dispose()
    at.radio(key="page").set_value("inbox").run()  # the officer clicks on
    assert not at.exception
    assert not at.radio  # no page: the login form
    assert at.text_input(key="login_user") is not None
    assert [i.value for i in at.info] == ["نشست شما پایان یافته است؛ لطفاً دوباره وارد شوید."]


@pytest.mark.db
def test_locked_login_says_so_in_persian(dash_settings, monkeypatch):
    monkeypatch.setenv("RASAD_DASHBOARD_LOGIN_MAX_FAILURES", "2")
    from pipelines.settings import get_settings

    get_settings.cache_clear()
    at = AppTest.from_string(APP_ENTRY, default_timeout=30).run()
    at = _login(at, "fardap", "wrong-1")
    assert [e.value for e in at.error] == ["نام کاربری یا گذرواژه درست نیست."]
    at = _login(at, "fardap", "wrong-2")
    at = _login(at, "fardap", "coordinator-pass")  # right, but locked now
    [message] = [e.value for e in at.error]
    assert message.startswith("ورودهای ناموفق پیاپی بسیار بود") and "۱۵ دقیقه" in message
    assert not at.radio
