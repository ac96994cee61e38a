"""The national map as a coordinator uses it, in headless Debian Chromium (issue 16): the 31 provinces are
drawn, a click on one opens its drill-down with the province's and a seller's rates, and the coordinators'
page lists the organisation's rule breaks. Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from rule_break_helpers import break_rules
from test_dashboard_browser import ARTIFACTS, CHROMIUM_ARGS, REPO, _login, _wait_healthy

from pipelines.dashboard.access import PROVINCE
from pipelines.store.engine import store_engine
from tests.conftest import chromium_path, free_port

pytestmark = pytest.mark.e2e

SHAPES = '[data-testid="stVegaLiteChart"] svg path[aria-roledescription="geoshape"]'
# a point inside the province's shape where nothing else is drawn on top (shapes are not convex)
INSIDE = f"""(name) => {{
  const path = [...document.querySelectorAll('{SHAPES}')].find(p => p.getAttribute('aria-label') === name);
  const box = path.getBoundingClientRect();
  for (let i = 0; i < 900; i++) {{
    const x = box.left + box.width * ((i % 30) + 0.5) / 30, y = box.top + box.height * (Math.floor(i / 30) + 0.5) / 30;
    if (document.elementFromPoint(x, y) === path) return {{x, y}};
  }}
  return null;
}}"""


def _pick_first_seller(page) -> None:
    """Open the seller picker and take its first seller (the app may still be re-running after the click)."""
    for _ in range(5):
        page.get_by_role("combobox", name="فروشنده", exact=True).click()
        options = page.get_by_role("option")
        try:
            options.nth(1).wait_for(timeout=5_000)
        except Exception:  # noqa: BLE001 - the list closed under a re-run: open it again
            page.keyboard.press("Escape")
            continue
        options.nth(1).click()
        return
    raise AssertionError("the seller picker did not open")


def test_the_map_drills_down_and_the_rule_breaks_page(dash_settings, dash_store, tmp_path):
    chromium = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    break_rules(dash_settings, dash_store.days, [dash_store.province_b])
    engine = store_engine(dash_settings)
    with engine.connect() as conn:
        name_a = conn.execute(PROVINCE.select().where(PROVINCE.c.province_id == dash_store.province_a)
                              ).mappings().one()["name_fa"]
    engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "dashboard.log"
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
            page = browser.new_page(viewport={"width": 1300, "height": 1600}, locale="fa-IR")
            _login(page, url, "fardap", "coordinator-pass")
            page.wait_for_selector(SHAPES, timeout=30_000)
            shapes = page.locator(SHAPES)
            names = {shapes.nth(i).get_attribute("aria-label") for i in range(shapes.count())}
            assert shapes.count() == 31 and len(names) == 31 and name_a in names
            chart = page.locator('[data-testid="stVegaLiteChart"]').first
            assert "© OpenStreetMap contributors" in chart.inner_html()
            # the map is coloured: not every province the same fill
            fills = {shapes.nth(i).get_attribute("fill") for i in range(31)}
            assert len(fills) > 1
            page.evaluate("document.fonts.ready")
            chart.screenshot(path=str(ARTIFACTS / "dashboard-map.png"))

            chart.scroll_into_view_if_needed()
            point = page.evaluate(INSIDE, name_a)
            assert point, f"no visible point of {name_a} on the map"
            page.mouse.click(point["x"], point["y"])
            page.wait_for_selector("#province-rates", timeout=30_000)
            page.wait_for_selector("#seller-table", timeout=30_000)
            rates = page.locator("#province-rates").inner_text()
            assert "سفارش" in rates and "کشور" in rates and not re.search(r"[0-9]", rates)
            assert page.get_by_text(f"نرخ‌های استان {name_a} در برابر کل کشور").count() == 1

            _pick_first_seller(page)
            page.wait_for_selector("#seller-rates", timeout=30_000)
            seller = page.locator("#seller-rates").inner_text()
            assert re.search(r"[۰-۹]+ از [۰-۹]+ سفارش", seller) and not re.search(r"[0-9]", seller)
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(ARTIFACTS / "dashboard-map-drill.png"), full_page=True)

            page.get_by_role("radiogroup").get_by_text("قواعد سازمان").click()
            page.wait_for_selector("#rule-breaks-table", timeout=30_000)
            page.wait_for_selector("#rule-break-entities", timeout=30_000)
            table = page.locator("#rule-breaks-table").inner_text()
            assert "یک عنصر رصد و پایش در هر استان، با هماهنگی فرداپ" in table
            assert not re.search(r"[0-9]", table)
            page.screenshot(path=str(ARTIFACTS / "dashboard-rule-breaks.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
