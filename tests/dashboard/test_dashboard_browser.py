"""The dashboard as a person uses it: `rasad dashboard` on a loopback port, driven in headless Debian Chromium.

A coordinator logs in and opens the national view; an officer follows a report's deep link, records a verdict,
and is refused another province's finding. Screenshots are kept in test-artifacts/ for a person to look at.
Playwright (PyPI) drives /usr/bin/chromium through `executable_path`; its own browser download is not used.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from pipelines.findings import tables as findings_tables
from pipelines.i18n.persian import jalali_date
from pipelines.store.engine import store_engine
from tests.conftest import chromium_path, free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
PROBE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const text = main.innerText;
  return {
    direction: getComputedStyle(main).direction,
    fontFamily: getComputedStyle(document.querySelector('table.rasad')).fontFamily,
    vazirmatn: document.fonts.check('16px Vazirmatn'),
    faces: [...document.fonts].filter(f => f.family.replace(/["']/g, '') === 'Vazirmatn' && f.status === 'loaded')
             .map(f => String(f.weight)),
    tableText: document.querySelector('table.rasad').innerText,
    text,
  };
}"""


def _wait_healthy(url: str, server: subprocess.Popen, log: Path, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"rasad dashboard exited {server.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the dashboard did not answer in {seconds} s: {log.read_text()[-2000:]}")


def _login(page, url: str, user: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("نام کاربری").fill(user)
    page.get_by_label("گذرواژه").fill(password)
    page.get_by_role("button", name="ورود", exact=True).click()


def test_dashboard_in_headless_chromium(dash_settings, dash_store, tmp_path):
    chromium = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    f = findings_tables.finding
    with store_engine(dash_settings).connect() as conn:
        own, foreign = (conn.execute(select(f.c.finding_id).where(f.c.province_id == p, f.c.entity_type == "delivery")
                                     .order_by(f.c.finding_id).limit(1)).scalar_one()
                        for p in (dash_store.province_a, dash_store.province_b))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "dashboard.log"
    # this checkout's pipelines, whichever one the venv was installed from
    env = {**os.environ, "RASAD_VAR_DIR": str(dash_settings.var_dir),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "dashboard", "--port", str(port),
                                   "--address", "127.0.0.1"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                  cwd=REPO)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        _wait_healthy(url, server, log)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 2000}, locale="fa-IR")

            # 1. the coordinator's national view
            _login(page, url, "fardap", "coordinator-pass")
            page.wait_for_selector("#province-table", timeout=20_000)
            page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                                   timeout=20_000)
            page.evaluate("document.fonts.ready")
            probe = page.evaluate(PROBE)
            assert probe["direction"] == "rtl"
            assert probe["vazirmatn"] and set(probe["faces"]) >= {"400", "700"}, probe["faces"]
            assert "Vazirmatn" in probe["fontFamily"]
            assert not re.search(r"[0-9]", probe["tableText"]), "Latin digits in the provinces table"
            assert probe["tableText"].count("\n") >= 31
            assert "استان‌ها در روز " + jalali_date(dash_store.days[-1], with_weekday=True) in probe["text"]
            page.screenshot(path=str(ARTIFACTS / "dashboard-national.png"), full_page=True)
            page.get_by_role("button", name="خروج", exact=True).click()
            page.get_by_label("نام کاربری").wait_for(timeout=10_000)

            # 2. an officer follows a report's link to a finding of another province: refused
            _login(page, f"{url}?finding={foreign}", "officer_a", "officer-a-pass")
            page.get_by_text("یافته‌ای با این شناسه در حوزه دسترسی شما نیست.").wait_for(timeout=20_000)
            assert page.locator("#finding-facts").count() == 0

            # 3. ... and to one of their own (still logged in: the session cookie outlives the page): evidence,
            # then a verdict with a note
            page.goto(f"{url}?finding={own}")
            page.wait_for_selector("#finding-facts", timeout=20_000)
            # Streamlit renders the page in pieces: the evidence tables arrive after the facts
            page.wait_for_selector("#deliveries", timeout=20_000)
            page.wait_for_selector("#orders", timeout=20_000)
            assert page.locator("#deliveries").count() == 1 and page.locator("#orders").count() == 1
            page.get_by_role("radiogroup").get_by_text("هشدار نادرست").click()
            page.get_by_label("یادداشت").fill("تأخیر با خریدار هماهنگ شده بود")
            page.get_by_role("button", name="ثبت نظر", exact=True).click()
            page.get_by_text("نظر «هشدار نادرست» برای ۱ یافته ثبت شد.").wait_for(timeout=20_000)
            page.wait_for_selector("#history", timeout=10_000)
            page.locator("#history").get_by_text("تأخیر با خریدار هماهنگ شده بود").wait_for(timeout=10_000)
            assert "تأخیر با خریدار هماهنگ شده بود" in page.locator("#history").inner_text()
            page.screenshot(path=str(ARTIFACTS / "dashboard-verdict.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    v = findings_tables.finding_verdict
    with store_engine(dash_settings).connect() as conn:
        rows = conn.execute(select(v.c.finding_id, v.c.verdict, v.c.note, v.c.given_by)).all()
    assert [(r.finding_id, r.verdict, r.given_by) for r in rows] == [(own, "false_positive", "داوود موسوی")]
