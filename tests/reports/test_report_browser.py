"""The report as a browser shows it: headless Debian Chromium, driven from the command line.

A test-only copy of the page carries a small script that, once the fonts are ready, writes what it measured
into an attribute of <html>; `--dump-dom` then hands the DOM back. The real page (no script) is screenshotted
to test-artifacts/report-screenshot.png for a person to look at.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
from pathlib import Path

import jdatetime
import pytest
from report_helpers import ASCII_TO_PERSIAN

from pipelines.reports.render import render_province_report
from pipelines.reports.sample import sample_province_report
from tests.conftest import chromium_path

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
]

PROBE = """
<script>
(async () => {
  const text = document.body.innerText;
  await document.fonts.ready;
  const loaded = await document.fonts.load('16px Vazirmatn', 'گزارش ۱۲۳');
  await document.fonts.load('bold 16px Vazirmatn', 'گزارش ۱۲۳');
  const faces = [...document.fonts]
    .filter(f => f.family.replace(/["']/g, '') === 'Vazirmatn')
    .map(f => ({weight: String(f.weight), status: f.status}));
  const ctx = document.createElement('canvas').getContext('2d');
  const sample = 'گزارش روزانه رصد ۱۴۰۵';
  ctx.font = '32px Vazirmatn, monospace'; const withVazir = ctx.measureText(sample).width;
  ctx.font = '32px monospace'; const fallback = ctx.measureText(sample).width;
  const probe = {
    dir: document.documentElement.getAttribute('dir'),
    lang: document.documentElement.getAttribute('lang'),
    computedDirection: getComputedStyle(document.body).direction,
    fontsCheck: document.fonts.check('16px Vazirmatn'),
    loadedCount: loaded.length,
    faces, withVazir, fallback,
    text,
    jalaliDate: document.getElementById('report-jalali-date').innerText.trim(),
    weekday: document.getElementById('report-weekday').innerText.trim(),
  };
  document.documentElement.setAttribute('data-probe', JSON.stringify(probe));
})();
</script>
"""


def _run(chromium: str, tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{name}"  # a fresh profile per run
    profile.mkdir()
    done = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


def test_report_in_headless_chromium(tmp_path):
    chromium = chromium_path()
    report = sample_province_report()
    page = render_province_report(report)

    # 1. a test-only copy with the probe; let the async script finish, then read the DOM back
    probe_page = tmp_path / "report-probe.html"
    probe_page.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = _run(
        chromium,
        tmp_path,
        "probe",
        "--virtual-time-budget=10000",
        "--window-size=1200,1800",
        "--dump-dom",
        probe_page.as_uri(),
    )
    m = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert m, f"the probe did not report; DOM starts: {done.stdout[:500]!r}\nstderr: {done.stderr[-1000:]}"
    probe = json.loads(html_lib.unescape(m.group(1)))

    assert probe["dir"] == "rtl" and probe["lang"] == "fa"
    assert probe["computedDirection"] == "rtl"
    assert probe["fontsCheck"] is True
    assert probe["loadedCount"] >= 1, "document.fonts.load('16px Vazirmatn') matched no face"
    assert {f["weight"]: f["status"] for f in probe["faces"]} == {"400": "loaded", "700": "loaded"}
    assert probe["withVazir"] != probe["fallback"], "text measures the same as the fallback font"

    text = probe["text"]
    assert "گزارش روزانه رصد و پایش امبازار" in text
    latin = re.findall(r".{0,12}[0-9].{0,12}", text)
    assert not latin, f"Latin digits in document.body.innerText: {latin}"
    assert not re.search(r"[\u0660-\u0669]", text)

    j = jdatetime.date.fromgregorian(date=report.day)
    expected_date = f"{j.day} {jdatetime.date.j_months_fa[j.month - 1]} {j.year}".translate(ASCII_TO_PERSIAN)
    assert probe["jalaliDate"] == expected_date
    assert probe["weekday"] == jdatetime.date.j_weekdays_fa[j.weekday()]

    # 2. the real page, as a person sees it
    real_page = tmp_path / "report.html"
    real_page.write_text(page, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-screenshot.png"
    shot.unlink(missing_ok=True)
    _run(chromium, tmp_path, "shot", f"--screenshot={shot}", "--window-size=1200,1800", real_page.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _email_html() -> tuple[str, object]:
    """The HTML part of the officer's email, as a mail program receives it (parsed back from the bytes)."""
    from email import message_from_bytes, policy

    from pipelines.mail.daily import _officer_message
    from pipelines.settings import Settings

    report = sample_province_report()
    item = _officer_message(report, ("مریم احمدی", "officer.23@rasad.example"), Settings())
    parsed = message_from_bytes(item.message.as_bytes(), policy=policy.default)
    return parsed.get_body(preferencelist=("html",)).get_content(), report.day


def _fardap_html() -> tuple[str, object]:
    from pipelines.reports.digest_render import render_fardap_digest
    from pipelines.reports.sample import sample_fardap_digest

    digest = sample_fardap_digest()
    return render_fardap_digest(digest), digest.day


def _sector_html() -> tuple[str, object]:
    from pipelines.reports.digest_render import render_sector_digest
    from pipelines.reports.sample import sample_sector_digest

    digest = sample_sector_digest()
    return render_sector_digest(digest), digest.day


@pytest.mark.parametrize(
    ("name", "page_of", "title"),
    [
        ("email-officer", _email_html, "گزارش روزانه رصد و پایش امبازار"),
        ("fardap-digest", _fardap_html, "گزارش کشوری رصد و پایش امبازار"),
        ("sector-digest", _sector_html, "گزارش هفتگی رهیاری تخصصی"),
    ],
    ids=["email-officer", "fardap-digest", "sector-digest"],
)
def test_email_and_digests_in_headless_chromium(tmp_path, name, page_of, title):
    """The officer's email body and the two digests read right in a browser: RTL, Vazirmatn (the digests' files;
    mail leaves the web font out), Persian digits,
    the Jalali date of jdatetime; a screenshot of each is kept in test-artifacts/."""
    chromium = chromium_path()
    page, day = page_of()
    probe_page = tmp_path / f"{name}-probe.html"
    probe_page.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = _run(chromium, tmp_path, f"probe-{name}", "--virtual-time-budget=10000", "--window-size=1200,1800",
                "--dump-dom", probe_page.as_uri())
    m = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert m, f"the probe did not report; stderr: {done.stderr[-1000:]}"
    probe = json.loads(html_lib.unescape(m.group(1)))
    assert probe["dir"] == "rtl" and probe["computedDirection"] == "rtl"
    if name.startswith("email"):  # mail carries no web font: it names fallbacks (test_email_webmail_browser.py)
        assert probe["faces"] == []
    else:
        assert probe["fontsCheck"] is True
        assert {f["weight"]: f["status"] for f in probe["faces"]} == {"400": "loaded", "700": "loaded"}
        assert probe["withVazir"] != probe["fallback"]
    assert title in probe["text"]
    latin = re.findall(r".{0,12}[0-9].{0,12}", probe["text"])
    assert not latin, f"Latin digits in the visible text: {latin}"
    j = jdatetime.date.fromgregorian(date=day)
    expected = f"{j.day} {jdatetime.date.j_months_fa[j.month - 1]} {j.year}".translate(ASCII_TO_PERSIAN)
    assert probe["jalaliDate"] == expected
    assert probe["weekday"] == jdatetime.date.j_weekdays_fa[j.weekday()]

    real_page = tmp_path / f"{name}.html"
    real_page.write_text(page, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{name}-screenshot.png"
    shot.unlink(missing_ok=True)
    _run(chromium, tmp_path, f"shot-{name}", f"--screenshot={shot}", "--window-size=1200,1800", real_page.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000
