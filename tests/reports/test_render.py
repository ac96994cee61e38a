from __future__ import annotations

import base64
import dataclasses
import re
from datetime import date

import jdatetime
import pytest
from report_helpers import ARABIC_INDIC_DIGIT, ASCII_TO_PERSIAN, LATIN_DIGIT, element_text, visible_text

from pipelines.findings.short_code import finding_short_code
from pipelines.reports.model import ReportFinding
from pipelines.reports.render import FONTS_DIR, TEMPLATES_DIR, render_province_report
from pipelines.reports.sample import sample_findings, sample_province_report

pytestmark = pytest.mark.unit

ARTICLE = re.compile(r'<article class="finding\b')
COMPACT_ROW = re.compile(r'<tr class="compact-finding"')


def test_document_is_rtl_persian_utf8(sample_report):
    html = render_province_report(sample_report)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="fa" dir="rtl">' in html
    assert '<meta charset="utf-8">' in html
    assert html.rstrip().endswith("</html>")


def test_font_is_inlined_and_nothing_is_fetched(sample_report):
    html = render_province_report(sample_report)
    assert "font-family: 'Vazirmatn'" in html
    uris = re.findall(r"url\('data:font/woff2;base64,([A-Za-z0-9+/=]+)'\)", html)
    assert len(uris) == 2
    bundled = {(FONTS_DIR / n).read_bytes() for n in ("Vazirmatn-Regular.woff2", "Vazirmatn-Bold.woff2")}
    assert {base64.b64decode(u) for u in uris} == bundled
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"(src|href)=\"?https?://(?!localhost:8501/finding)", html)


def test_no_latin_digits_in_visible_text(sample_report):
    text = visible_text(render_province_report(sample_report))
    assert text
    assert not LATIN_DIGIT.findall(text), LATIN_DIGIT.sub(lambda m: f"[{m.group()}]", text)
    assert not ARABIC_INDIC_DIGIT.search(text)


def test_header_date_recipient_and_province(sample_report):
    html = render_province_report(sample_report)
    j = jdatetime.date.fromgregorian(date=sample_report.day)
    expected = f"{j.day} {jdatetime.date.j_months_fa[j.month - 1]} {j.year}".translate(ASCII_TO_PERSIAN)
    assert element_text(html, "report-jalali-date") == expected == "۵ آذر ۱۴۰۵"
    assert element_text(html, "report-weekday") == jdatetime.date.j_weekdays_fa[j.weekday()] == "پنج‌شنبه"
    assert "تهران" in element_text(html, "report-province")
    assert "مریم احمدی" in element_text(html, "report-recipient")


def test_escalation_when_no_officer():
    html = render_province_report(
        sample_province_report(officer_name=None, escalated_to="هماهنگ‌کننده فرداپ استان تهران")
    )
    recipient = element_text(html, "report-recipient")
    assert "عنصر رصد و پایش ندارد" in recipient
    assert "هماهنگ‌کننده فرداپ استان تهران" in recipient
    html = render_province_report(sample_province_report(officer_name=None, escalated_to=None))
    assert "فرداپ مرکزی" in element_text(html, "report-recipient")


@pytest.mark.parametrize("budget", [0, 1, 5, 12, 40])
def test_attention_budget_is_respected(budget):
    report = sample_province_report(attention_budget=budget)
    html = render_province_report(report)
    total = len(report.findings)
    assert len(ARTICLE.findall(html)) == min(budget, total)
    assert len(COMPACT_ROW.findall(html)) == max(0, total - budget)


def test_the_rest_beyond_the_compact_list_is_counted_with_a_pointer():
    report = sample_province_report(attention_budget=3)
    html = render_province_report(report, compact_limit=4)
    assert len(ARTICLE.findall(html)) == 3
    assert len(COMPACT_ROW.findall(html)) == 4
    pointer = element_text(html, "more-pointer")
    assert pointer.startswith("۵ یافته دیگر")
    assert "اکسل" in pointer and "داشبورد" in pointer


def test_findings_keep_the_given_order_and_show_the_essentials(sample_report):
    html = render_province_report(sample_report)
    text = visible_text(html)
    first = sample_report.findings[0]
    assert text.index(first.seller_name) < text.index(sample_report.findings[1].seller_name)
    assert "۱۸٬۴۰۰٬۰۰۰ تومان" in text  # impact of the first, in tomans
    assert "بحرانی" in text and "هشدار" in text and "اطلاع" in text
    assert "ادامه‌دار از ۲ آذر ۱۴۰۵" in text
    assert f'href="{first.dashboard_url}"' in html
    assert finding_short_code(first.finding_id).translate(ASCII_TO_PERSIAN) in text


def test_evidence_in_plain_persian(sample_report):
    text = visible_text(render_province_report(sample_report))
    assert "وعده: ۳ آذر ساعت ۱۴:۰۰ — تحویل: ۵ آذر ساعت ۱۰:۲۰ (۴۴ ساعت تأخیر)" in text
    assert "مقدار تحویل‌شده: ۸ از ۱۰" in text
    assert "موعد تحویل: ۲۸ آبان ساعت ۱۱:۳۰ — ۶ روز از موعد گذشته است" in text
    assert "سفارش به مقدار ۲۵ در ۵ آذر ساعت ۱۵:۴۵ توسط فروشنده لغو شد" in text
    assert "کیفیت وعده‌داده‌شده: درجه یک — کیفیت دریافتی: درجه سه" in text
    assert "علت شکایت: مغایر با توضیحات" in text
    assert "قیمت واحد: ۲۴۵٬۰۰۰ تومان برای هر کیسه" in text
    assert "میانه قیمت همتایان: ۱۳۸٬۰۰۰ تومان — ۱٫۷۸ برابر میانه" in text


def test_unknown_rule_renders_with_its_raw_key():
    f = dataclasses.replace(sample_findings()[0], rule="stock_mismatch", evidence={"x": 1})
    html = render_province_report(sample_province_report(findings=[f]))
    assert "stock_mismatch" in visible_text(html)


def test_no_raw_ids_and_no_buyer_data():
    leaky = dataclasses.replace(
        sample_findings()[2],
        evidence={
            **sample_findings()[2].evidence,
            "buyer_name": "Zahra Karimi",
            "buyer_phone": "09121234567",
            "buyer_address": "خیابان آزادی پلاک ۱۲",
        },
    )
    report = sample_province_report(findings=[leaky, *sample_findings()[3:]])
    html = render_province_report(report)
    for secret in ("Zahra Karimi", "09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "خیابان آزادی", "buyer"):
        assert secret not in html
    text = visible_text(html)
    for f in report.findings:
        for raw in (f.finding_id, f.seller_id, f.offer_id, f.entity_id):
            if raw:
                assert raw not in text and raw.translate(ASCII_TO_PERSIAN) not in text


def test_autoescape_and_unsafe_links():
    f = dataclasses.replace(
        sample_findings()[0],
        seller_name='<script>alert("x")</script>',
        offer_title="A & B <b>",
        dashboard_url="javascript:alert(1)",
    )
    html = render_province_report(sample_province_report(findings=[f]))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html and "A &amp; B &lt;b&gt;" in html
    assert 'href="#"' in html and "javascript:" not in html


def test_empty_day():
    html = render_province_report(sample_province_report(findings=[]))
    assert "امروز یافته‌ای ثبت نشده است." in visible_text(html)
    assert not ARTICLE.search(html)


def test_templates_hold_no_persian_literals():
    for path in TEMPLATES_DIR.iterdir():
        assert not re.search(r"[\u0600-\u06FF]", path.read_text(encoding="utf-8")), path.name


def test_report_finding_is_frozen():
    f: ReportFinding = sample_findings()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.rule = "x"  # type: ignore[misc]
    assert sample_province_report().day == date(2026, 11, 26)
