"""The production login (Streamlit's st.login, OpenID Connect) against a mock identity provider on loopback,
in headless Chromium: login, the e-mail claim mapped to a dashboard user's role and province, logout through
the provider's end-session endpoint, an unknown e-mail, and expired id tokens."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from pipelines.dashboard.tables import dashboard_user
from pipelines.store.engine import store_engine
from tests.conftest import chromium_path, free_port
from tests.dashboard.oidc_provider import CLIENT_ID, CLIENT_SECRET, Identity, MockProvider
from tests.dashboard.test_dashboard_browser import CHROMIUM_ARGS
from tests.dashboard.test_dashboard_security_browser import dashboard

pytestmark = pytest.mark.e2e

LOGIN = "ورود با حساب سازمانی"
LOGOUT = "خروج"


def _emails(settings) -> None:
    engine = store_engine(settings)
    with engine.begin() as conn:
        for name, email in (("officer_a", "officer.a@example.org"), ("fardap", "sara@example.org")):
            conn.execute(update(dashboard_user).where(dashboard_user.c.user_name == name).values(email=email))
    engine.dispose()


def _log_in(page, url: str, idp: MockProvider, identity: Identity) -> None:
    idp.identity = identity
    page.goto(url)
    page.get_by_role("button", name=LOGIN, exact=True).click()


def _log_out(page, url: str, idp: MockProvider) -> None:
    """Log out and wait for the round trip through the provider's end-session endpoint to come back."""
    before = len(idp.logouts)
    page.get_by_role("button", name=LOGOUT, exact=True).click()
    deadline = time.monotonic() + 30
    while len(idp.logouts) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(idp.logouts) == before + 1 and idp.logouts[-1].get("id_token_hint")
    page.wait_for_url(url, timeout=30_000)
    page.get_by_role("button", name=LOGIN, exact=True).wait_for(timeout=30_000)


def test_oidc_login_roles_logout_and_expiry(dash_settings, dash_store, tmp_path):
    chromium = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    pytest.importorskip("authlib", reason="Authlib (the oidc extra, in dev) is not installed")
    _emails(dash_settings)
    run_dir = tmp_path / "run"
    (run_dir / ".streamlit").mkdir(parents=True)
    with MockProvider() as idp:
        # Streamlit reads [auth] from .streamlit/secrets.toml in the directory the dashboard starts from
        port = free_port()
        (run_dir / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-long-random-test-cookie-secret-0123456789"\n'
            f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{idp.metadata_url}"\n', encoding="utf-8")
        with dashboard(dash_settings, tmp_path, cwd=run_dir, dashboard_auth="oidc", _port=port) as url, \
                sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1400}, locale="fa-IR")

            # 1. an officer: the e-mail claim maps to officer_a, who sees their province only
            _log_in(page, url, idp, Identity("officer.a@example.org"))
            page.get_by_role("button", name=LOGOUT, exact=True).wait_for(timeout=30_000)
            radios = page.get_by_role("radiogroup").inner_text()
            assert "نمای استان" in radios and "نمای کشوری" not in radios
            assert "داوود موسوی" in page.locator('[data-testid="stMain"]').inner_text()

            # 2. logout goes through the provider's end-session endpoint and back to the login button
            _log_out(page, url, idp)

            # 3. the coordinator: the national view
            _log_in(page, url, idp, Identity("Sara@Example.org"))
            page.get_by_role("radiogroup").get_by_text("نمای کشوری").wait_for(timeout=30_000)
            _log_out(page, url, idp)

            # 4. an e-mail the dashboard does not know sees nothing
            _log_in(page, url, idp, Identity("stranger@example.org"))
            page.get_by_text("تعریف نشده است").wait_for(timeout=30_000)
            assert page.get_by_role("radiogroup").count() == 0
            _log_out(page, url, idp)

            # 5. an id token already expired when it arrives is refused: still logged out
            _log_in(page, url, idp, Identity("officer.a@example.org", token_seconds=-600))
            page.wait_for_url(url, timeout=30_000)
            page.get_by_role("button", name=LOGIN, exact=True).wait_for(timeout=30_000)
            page.wait_for_timeout(1_000)
            assert page.get_by_role("radiogroup").count() == 0

            # 6. an id token that expires while the officer works: the next reload asks for a login again
            _log_in(page, url, idp, Identity("officer.a@example.org", token_seconds=6))
            page.get_by_role("button", name=LOGOUT, exact=True).wait_for(timeout=30_000)
            page.wait_for_timeout(7_000)
            page.reload()
            page.get_by_text("اعتبار ورود شما به پایان رسیده است").wait_for(timeout=30_000)
            assert page.get_by_role("radiogroup").count() == 0
            page.get_by_role("button", name=LOGIN, exact=True).wait_for(timeout=10_000)
            browser.close()
