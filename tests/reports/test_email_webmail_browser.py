"""The report emails as a webmail client shows them (issue 16, item 3): in Chromium (playwright), with every
<style> block removed and web fonts blocked, the officer's email, a rahyari's and the Fardap digest still read
right to left, show no Latin digit, carry the Jalali date, and lay their tables out readably; and each message
of a busy day stays under 100 KB.

A second pass drops <html> and <body> too (as Gmail does, keeping only what is inside body): direction must
then come from the page's own elements. A screenshot of the officer's email without styles is kept at
/tmp/mail_nostyle.png (and in test-artifacts/) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import jdatetime
import pytest
from report_helpers import ASCII_TO_PERSIAN

from pipelines.reports.sample import sample_fardap_digest, sample_findings, sample_province_report
from pipelines.settings import Settings
from tests.conftest import chromium_path

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
LIMIT = 100_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
# one province's findings on a busy day (as many in detail and listed as fit 100 KB; all in the XLSX)
BUSY_DAY_FINDINGS = 120

_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S | re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
# text that is legitimately Latin: an email address or a web address (none is expected in these bodies)
_LATIN_OK = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+")

PROBE = """() => {
  const dirOf = el => getComputedStyle(el).direction;
  const main = document.querySelector('main') || document.body;
  const tables = [...document.querySelectorAll('table')].map(t => {
    const r = t.getBoundingClientRect();
    const rows = [...t.rows].map(row => [...row.cells].map(c => {
      const b = c.getBoundingClientRect();
      return {left: b.left, right: b.right, width: b.width, height: b.height,
              align: getComputedStyle(c).textAlign, text: c.innerText.trim()};
    }));
    return {direction: dirOf(t), left: r.left, right: r.right, width: r.width, rows};
  });
  const faces = [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family);
  const date = document.getElementById('report-jalali-date');
  return {
    bodyDirection: dirOf(document.body), mainDirection: dirOf(main),
    styleBlocks: document.querySelectorAll('style').length,
    text: document.body.innerText, tables, faces,
    jalaliDate: date ? date.innerText.trim() : null,
    viewport: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
  };
}"""


def _busy_report():
    fs = sample_findings()
    many = [replace(f, finding_id=f"{f.finding_id}-{i}") for i in range(BUSY_DAY_FINDINGS // len(fs)) for f in fs]
    # the attention budget of the settings (20 findings in detail in the report file), as on a real busy day
    return replace(sample_province_report(findings=many), attention_budget=Settings().attention_budget_findings)


def _officer():
    from pipelines.mail.daily import _officer_message

    report = _busy_report()
    return _officer_message(report, ("مریم احمدی", "officer.23@rasad.example"), Settings()), report.day


def _rahyari():
    import pandas as pd

    from pipelines.mail.daily import _rahyari_message

    report = _busy_report()
    listed = [(report, f) for f in report.findings]
    empty = pd.DataFrame({"seller_id": [], "day": [], "check": [], "observed": []})
    return _rahyari_message(Settings(), report.day, "rt-23", listed, "رهیاری اجتماعی شمیرانات",
                            "rahyari.23@rasad.example", empty, pd.DataFrame({"recipient_key": []})), report.day


def _fardap():
    from pipelines.mail.daily import _fardap_message
    from pipelines.reports.digests import EscalatedFinding

    digest = sample_fardap_digest()
    escalated = [EscalatedFinding(province_name_fa="یزد", recipient_name="هماهنگ‌کننده فرداپ یزد", finding=f)
                 for f in _busy_report().findings[:30]]
    digest = replace(digest, escalated=escalated, escalated_total=len(escalated))
    return _fardap_message(Settings(), digest.day, digest), digest.day


MESSAGES = {"officer": _officer, "rahyari": _rahyari, "fardap": _fardap}


def _html_of(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(preferencelist=("html",)).get_content()


def _webmail(html: str, *, drop_document: bool) -> str:
    """What a webmail client keeps: no <style>, no <link>, no @font-face; optionally only the body's inside."""
    html = _LINK.sub("", _STYLE.sub("", html))
    assert "@font-face" not in html
    if drop_document:
        inner = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I).group(1)
        html = f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><div>{inner}</div></body></html>"
    return html


@pytest.mark.unit
@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_a_busy_days_message_stays_under_100_kb(kind):
    item, _ = MESSAGES[kind]()
    raw = item.message.as_bytes()
    assert len(raw) < LIMIT, f"{kind}: {len(raw)} bytes"
    html = _html_of(raw)
    assert "@font-face" not in html and "base64," not in html  # no inlined font
    assert re.search(r'<table[^>]*dir="rtl"', html) and re.search(r'<td[^>]*dir="rtl"', html)
    assert re.search(r'<table[^>]*style="[^"]*text-align:\s?right', html)  # cells inherit it


@pytest.fixture(scope="module")
def browser():
    chromium = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _show(browser, html: str, shot: Path | None = None) -> dict:
    page = browser.new_page(viewport={"width": 900, "height": 1200}, locale="fa-IR")
    blocked: list[str] = []

    def route(r):  # web fonts blocked, and nothing leaves the machine
        if r.request.resource_type == "font" or not r.request.url.startswith(("data:", "about:")):
            blocked.append(r.request.url[:80])
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.set_content(html, wait_until="load")
    page.evaluate("document.fonts.ready")
    probe = page.evaluate(PROBE)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    page.close()
    probe["blocked"] = blocked
    return probe


def _assert_readable(probe: dict, day, kind: str) -> None:
    assert probe["styleBlocks"] == 0
    assert probe["mainDirection"] == "rtl", f"{kind}: the page is {probe['mainDirection']}"
    assert not [f for f in probe["faces"] if "Vazirmatn" in f], "a web font was used"
    text = _LATIN_OK.sub("", probe["text"])
    latin = re.findall(r".{0,15}[0-9].{0,15}", text)
    assert not latin, f"{kind}: Latin digits in the visible text: {latin[:5]}"
    j = jdatetime.date.fromgregorian(date=day)
    expected = f"{j.day} {jdatetime.date.j_months_fa[j.month - 1]} {j.year}".translate(ASCII_TO_PERSIAN)
    assert probe["jalaliDate"] == expected and expected in probe["text"]
    assert probe["tables"], f"{kind}: no table"
    assert probe["scrollWidth"] <= probe["viewport"] + 1, "the page scrolls sideways"
    for table in probe["tables"]:
        assert table["direction"] == "rtl"
        assert 0 < table["width"] <= probe["viewport"] and table["left"] >= 0
        for row in table["rows"]:
            cells = sorted(row, key=lambda c: c["left"])
            assert all(c["width"] > 0 and c["height"] > 0 for c in cells)
            for a, b in zip(cells, cells[1:], strict=False):
                assert a["right"] <= b["left"] + 1, f"{kind}: cells overlap: {a['text']!r} / {b['text']!r}"
        row = next(r for r in table["rows"] if len(r) > 1)
        assert row[0]["left"] > row[-1]["left"], f"{kind}: the first column is not on the right"


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_the_message_reads_right_to_left_without_styles_or_web_fonts(browser, kind, tmp_path):
    item, day = MESSAGES[kind]()
    html = _html_of(item.message.as_bytes())
    shot = Path("/tmp/mail_nostyle.png") if kind == "officer" else tmp_path / f"{kind}.png"
    probe = _show(browser, _webmail(html, drop_document=False), shot)
    assert probe["bodyDirection"] == "rtl"
    _assert_readable(probe, day, kind)
    if kind == "officer":
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(shot, ARTIFACTS / "mail-nostyle.png")
    # as Gmail keeps it: no <html>, no <body>, only what was inside
    _assert_readable(_show(browser, _webmail(html, drop_document=True)), day, kind)
