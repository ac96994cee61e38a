"""How big a report email is: the officer's message for 12 to 400 findings and the Fardap digest, as sent
today, as they were with Vazirmatn inlined whole, and with Vazirmatn cut down to the glyphs each message uses.

    .venv/bin/python bench/mail_size.py

The subset font needs fontTools and brotli (dev extra); the mail itself carries no web font (docs/report-emails.md).
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from io import BytesIO

from pipelines.mail.compose import Attachment, build_message
from pipelines.mail.daily import EMAIL_COMPACT_LIMIT, EMAIL_ESCALATED_LIMIT
from pipelines.reports.digest_render import render_fardap_digest
from pipelines.reports.digests import EscalatedFinding
from pipelines.reports.email_html import for_email
from pipelines.reports.render import FONT_FILES, FONTS_DIR, render_province_report
from pipelines.reports.sample import sample_fardap_digest, sample_findings, sample_province_report
from pipelines.reports.xlsx import XLSX_MIME, findings_workbook
from pipelines.settings import Settings


def subset_font_css(html: str) -> str:
    """Vazirmatn Regular and Bold holding only the glyphs the visible text of `html` needs, as woff2 data URIs."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|head)[^>]*>.*?</\1>", " ", html, flags=re.S))
    rules = []
    for weight, name in FONT_FILES.items():
        font = TTFont(FONTS_DIR / name)
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]  # the joined forms of Persian letters
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(set(text))))
        subsetter.subset(font)
        out = BytesIO()
        font.flavor = "woff2"
        font.save(out)
        data = base64.b64encode(out.getvalue()).decode("ascii")
        rules.append(f"@font-face {{ font-family: 'Vazirmatn'; font-weight: {weight}; "
                     f"src: url('data:font/woff2;base64,{data}') format('woff2'); }}")
    return "\n".join(rules)


def message_size(html: str, xlsx: bytes | None = None) -> int:
    attachments = [Attachment(xlsx, *XLSX_MIME, "findings.xlsx")] if xlsx else []
    msg, _ = build_message(settings=Settings(), kind="officer", day=sample_findings()[0].episode_start_day,
                           subject="گزارش روزانه رصد", to=[("عنصر رصد", "officer@rasad.example")], text="متن",
                           html=html, attachments=attachments)
    return len(msg.as_bytes())


def main() -> None:
    fs = sample_findings()
    print("| message | findings | whole font inlined (before) | sent now (no web font) | with a subset font |")
    print("|---|---|---|---|---|")
    for n in (12, 36, 144, 400):
        many = [replace(f, finding_id=f"{f.finding_id}-{i}") for i in range(n // len(fs)) for f in fs]
        report = sample_province_report(findings=many)
        xlsx = findings_workbook(report.findings, report.day, report.province_name_fa)
        before = message_size(render_province_report(report), xlsx)
        page = render_province_report(report, compact_limit=EMAIL_COMPACT_LIMIT)
        now = for_email(page)
        subset = for_email(page, font_css=subset_font_css(now))
        print(f"| officer | {len(many)} | {before:,} | {message_size(now, xlsx):,} | {message_size(subset, xlsx):,} |")
    digest = sample_fardap_digest()
    escalated = [EscalatedFinding(province_name_fa="یزد", recipient_name="فرداپ یزد", finding=f)
                 for f in (fs * 4)[:40]]
    digest = replace(digest, escalated=escalated, escalated_total=len(escalated))
    before = message_size(render_fardap_digest(digest))
    page = render_fardap_digest(replace(digest, escalated=digest.escalated[:EMAIL_ESCALATED_LIMIT]))
    now = for_email(page)
    subset = for_email(page, font_css=subset_font_css(now))
    print(f"| Fardap digest | 40 escalated | {before:,} | {message_size(now):,} | {message_size(subset):,} |")


if __name__ == "__main__":
    main()
