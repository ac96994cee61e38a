"""Every finding of a day as an XLSX workbook: Persian headers, a right-to-left sheet, one row a finding.

Amounts stay numbers (tomans, with a thousands format) so that an officer can sort and sum them; codes,
dates and evidence are Persian text, as in the report. Nothing here names a buyer: the evidence is the
report's own plain-words lines, which show only each rule's known keys. Every text cell goes through
`pipelines.spreadsheet.neutral_text`: a seller named `=HYPERLINK(…)` is shown as text, and a NUL byte in a
name is dropped rather than stopping the workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipelines.findings.short_code import finding_short_code
from pipelines.i18n.messages import label, t
from pipelines.i18n.persian import jalali_date, jalali_iso, to_persian_digits
from pipelines.reports.model import ReportFinding
from pipelines.reports.render import evidence_lines
from pipelines.spreadsheet import neutral_text

XLSX_MIME = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_COLUMNS = (  # (header key, width)
    ("finding.rank", 7),
    ("finding.code", 12),
    ("xlsx.province", 14),
    ("finding.severity", 9),
    ("finding.rule", 26),
    ("xlsx.check", 13),
    ("finding.status", 11),
    ("xlsx.episode_start", 14),
    ("finding.seller", 34),
    ("finding.offer", 34),
    ("finding.subject", 10),
    ("xlsx.impact_toman", 18),
    ("finding.evidence", 70),
    ("finding.link_short", 40),
)


def findings_workbook(findings: Sequence[ReportFinding], day: date, province_name_fa: str) -> bytes:
    """The findings of one province (already ranked) as XLSX bytes."""
    wb = Workbook(write_only=True)  # streams rows: a few ms a workbook instead of tens
    ws = wb.create_sheet(t("xlsx.sheet"))
    ws.sheet_view.rightToLeft = True
    for i, (_, width) in enumerate(_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    header_font = Font(name="Vazirmatn", bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="0F5B6E")
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header = []
    for key, _ in _COLUMNS:
        cell = WriteOnlyCell(ws, value=t(key))
        cell.font, cell.fill, cell.alignment = header_font, fill, centred
        header.append(cell)
    ws.append(header)
    top = Alignment(vertical="top", wrap_text=True)
    province = to_persian_digits(province_name_fa)
    for rank, f in enumerate(findings, start=1):
        values = [
            rank,
            to_persian_digits(finding_short_code(f.finding_id)),
            province,
            label("severity", f.severity),
            label("rule", f.rule),
            label("check", f.check),
            label("status", f.status),
            jalali_date(f.episode_start_day),
            to_persian_digits(f.seller_name),
            to_persian_digits(f.offer_title) if f.offer_title else "—",
            label("entity", f.entity_type),
            round(f.impact_rial / 10),
            "\n".join(evidence_lines(f, day)),
            f.dashboard_url,
        ]
        values = [neutral_text(v) for v in values]  # source text is data: no formulas, no illegal characters
        # style only what needs it: styling every cell costs more than writing the sheet
        impact = WriteOnlyCell(ws, value=values[11])
        impact.number_format = "#,##0"
        evidence = WriteOnlyCell(ws, value=values[12])
        evidence.alignment = top
        values[11], values[12] = impact, evidence
        ws.append(values)
    if findings:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(_COLUMNS))}{len(findings) + 1}"
    wb.properties.title = f"{t('report.title')} {jalali_iso(day)}"
    wb.properties.creator = t("org.product")
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
