"""The dashboard under attack and over time, in headless Debian Chromium against `rasad dashboard` on loopback.

- Hostile seller and province names (Markdown images and links, HTML tags, Streamlit directives) show as
  literal text: the browser fetches nothing from the address the seller chose and shows no link to it. The
  browser's every request outside the dashboard goes through a recording HTTP proxy on loopback, so a fetch
  of the seller's image would be seen there (and by Playwright's request log).
- A login survives a page reload (the signed HttpOnly cookie), and ends on expiry, on logout and when the
  user is disabled (at the next click, and at the next reload).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

from pipelines.dashboard.users import disable_user
from pipelines.store.engine import store_engine
from tests.conftest import chromium_path, free_port
from tests.dashboard.test_dashboard_browser import CHROMIUM_ARGS, _login, _wait_healthy

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# no digits: the dashboard turns digits Persian, which would spoil the address by luck rather than by design
HOSTILE_SELLER = ("![x](http://leak.example/md.png) [click](http://evil.example/phish) "
                  "<img src=http://leak.example/tag.png> <a href=http://evil.example/tag>here</a> :red[red] $x$")
HOSTILE_PROVINCE = "[prov](http://evil.example/province) **bold**"
LOGIN_FORM = "نام کاربری"


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def _any(self) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = _any

    def log_message(self, *args) -> None:  # quiet
        pass


@contextmanager
def recording_proxy():
    """An HTTP proxy on loopback that answers 404 to everything and records what was asked of it."""
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def dashboard(settings, tmp_path, cwd: Path = REPO, **env_settings):
    """`rasad dashboard` on a free loopback port over the test's store; yields its URL."""
    port = env_settings.pop("_port", None) or free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "dashboard.log"
    env = {**os.environ, "RASAD_VAR_DIR": str(settings.var_dir),
           **{f"RASAD_{k.upper()}": str(v) for k, v in env_settings.items()},
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "dashboard", "--port", str(port),
                                   "--address", "127.0.0.1"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                  cwd=cwd)
    try:
        _wait_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _hostile_store(settings, province: str) -> str:
    """Give a seller of `province` that has a scorecard and a finding a hostile name; return its id."""
    engine = store_engine(settings)
    with engine.begin() as conn:
        prefix = "" if conn.dialect.name == "sqlite" else "monitoring."
        ref = "" if conn.dialect.name == "sqlite" else "ref."
        seller = conn.execute(text(
            f"SELECT sc.seller_id FROM {prefix}mart_seller_scorecard sc "
            f"JOIN {prefix}mart_finding f ON f.seller_id = sc.seller_id "
            "WHERE sc.province_id = :p AND sc.window_days = 30 ORDER BY sc.seller_id LIMIT 1"),
            {"p": province}).scalar_one()
        conn.execute(text(f"UPDATE {prefix}stg_sellers SET display_name = :n WHERE seller_id = :s"),
                     {"n": HOSTILE_SELLER, "s": seller})
        conn.execute(text(f"UPDATE {ref}province SET name_fa = :n WHERE province_id = :p"),
                     {"n": HOSTILE_PROVINCE, "p": province})
    engine.dispose()
    return seller


def _assert_inert(page, proxy_seen: list[str], requests: list[str]) -> None:
    # (Streamlit's own heading anchors, href="#slug-of-the-text", are fragments of this page)
    links = page.locator('a[href*="evil.example"]')
    assert links.count() == 0, [links.nth(i).evaluate("a => a.parentElement.parentElement.outerHTML.slice(0, 600)")
                                for i in range(links.count())]
    assert page.locator('img[src*="leak.example"]').count() == 0, "an image from the seller's address is on the page"
    assert not [r for r in proxy_seen if "leak" in r or "evil" in r], proxy_seen
    assert not [r for r in requests if "leak" in r or "evil" in r], requests


def test_hostile_seller_and_province_names_show_as_text(dash_settings, dash_store, tmp_path):
    """Issue 13, break 9: a seller's name was rendered as Markdown (an image fetched, a phishing link shown)."""
    chromium = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    _hostile_store(dash_settings, dash_store.province_a)
    with recording_proxy() as (proxy_port, proxy_seen), dashboard(dash_settings, tmp_path) as url, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                     proxy={"server": f"http://127.0.0.1:{proxy_port}",
                                            "bypass": "127.0.0.1"})
        page = browser.new_page(viewport={"width": 1300, "height": 2000}, locale="fa-IR")
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        _login(page, url, "officer_a", "officer-a-pass")
        page.wait_for_selector("#seller-table", timeout=30_000)
        # the seller's name in the scorecard table, the province's in the heading and the caption: as text
        assert HOSTILE_SELLER in page.locator("#seller-table").inner_text()
        main = page.locator('[data-testid="stMain"]')
        assert HOSTILE_PROVINCE in main.inner_text()
        # open the seller: its name heads its trend (st.markdown before the fix)
        page.locator('[data-testid="stSelectbox"]').filter(has_text="فروشنده").click()
        page.get_by_role("option", name=HOSTILE_SELLER, exact=True).click()
        page.get_by_text("روند کارنامه").first.wait_for(timeout=20_000)
        page.wait_for_timeout(1500)  # time for any image the page would fetch
        _assert_inert(page, proxy_seen, requests)
        page.get_by_text(f"روند کارنامه {HOSTILE_SELLER}", exact=True).wait_for(timeout=10_000)
        # the inbox lists the seller's findings with its name
        page.get_by_role("radiogroup").get_by_text("صندوق یافته‌ها").click()
        page.wait_for_selector("#inbox-table", timeout=20_000)
        assert HOSTILE_SELLER in page.locator("#inbox-table").inner_text()
        page.wait_for_timeout(1000)
        _assert_inert(page, proxy_seen, requests)
        browser.close()


def _logged_in(page) -> None:
    page.get_by_role("button", name="خروج", exact=True).wait_for(timeout=30_000)


def _login_form(page) -> None:
    try:
        page.get_by_label(LOGIN_FORM).wait_for(timeout=30_000)
    except Exception as exc:
        raise AssertionError(page.locator("body").inner_text()[:1500]) from exc
    assert page.get_by_role("button", name="خروج", exact=True).count() == 0


def _login_with_cookie(page, url: str, user: str, password: str) -> None:
    with page.expect_response(lambda r: "/rasad/session" in r.url, timeout=30_000) as answer:
        _login(page, url, user, password)
    assert answer.value.status == 204
    _logged_in(page)


def test_a_login_survives_a_reload_until_expiry_logout_or_disable(dash_settings, dash_store, tmp_path):
    """Issue 16, item 6 (a login that lasts) and issue 13, break 10 (a disabled user's session ends)."""
    chromium = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    lifetime = 12
    with dashboard(dash_settings, tmp_path, dashboard_session_seconds=lifetime) as url, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 1400}, locale="fa-IR")
        page = context.new_page()

        # 1. log in, reload: still logged in; the cookie is HttpOnly, SameSite=Lax and expires
        _login_with_cookie(page, url, "fardap", "coordinator-pass")
        [cookie] = [c for c in context.cookies() if c["name"] == "rasad_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > time.time()
        assert page.evaluate("document.cookie").find("rasad_session") == -1  # not readable by scripts
        page.reload()
        _logged_in(page)
        page.wait_for_selector("#province-table", timeout=30_000)

        # 2. logout: the cookie goes, a reload asks again
        page.get_by_role("button", name="خروج", exact=True).click()
        _login_form(page)
        page.wait_for_timeout(500)
        assert not [c for c in context.cookies() if c["name"] == "rasad_session"]
        page.reload()
        _login_form(page)

        # 3. a stolen copy of an old cookie is worth nothing after logout (a new session version)
        context.add_cookies([cookie])
        page.reload()
        _login_form(page)

        # 4. disabled while logged in: the next click ends the session, and so does a reload
        _login_with_cookie(page, url, "officer_a", "officer-a-pass")
        page.reload()
        _logged_in(page)
        engine = store_engine(dash_settings)
        with engine.begin() as conn:
            disable_user(conn, "officer_a")
        engine.dispose()
        page.get_by_role("radiogroup").get_by_text("صندوق یافته‌ها").click()
        page.get_by_text("نشست شما پایان یافته است؛ لطفاً دوباره وارد شوید.").wait_for(timeout=20_000)
        _login_form(page)
        page.reload()
        _login_form(page)

        # 5. expiry: a login older than its lifetime is asked again on reload
        _login_with_cookie(page, url, "fardap", "coordinator-pass")
        [cookie] = [c for c in context.cookies() if c["name"] == "rasad_session"]
        page.reload()
        _logged_in(page)
        time.sleep(max(0.0, cookie["expires"] + 1 - time.time()))
        page.reload()
        _login_form(page)
        browser.close()
