"""Render Fardap's national digest and a specialized rahyari's weekly digest as self-contained RTL HTML.

Same rules as the province report (`render`): Vazirmatn inlined, every word from the catalogue, every visible
digit Persian, amounts in tomans, no raw ids.
"""

from __future__ import annotations

import base64

from markupsafe import Markup

from pipelines.i18n.messages import label, t
from pipelines.i18n.persian import (
    format_number,
    format_toman,
    jalali_date,
    jalali_iso,
    jalali_weekday_name,
    to_persian_digits,
    to_tehran,
)
from pipelines.reports.digests import FardapDigest, ProvinceFigures, SectorDigest
from pipelines.reports.render import _env, _finding_view, font_face_css

DASH = "—"


def _percent(part: int, whole: int) -> str:
    """`part` of `whole` as a Persian percentage, «—» when there is nothing to divide."""
    if whole <= 0:
        return DASH
    return t("unit.percent", value=format_number(100.0 * part / whole, 1))


def _share_ok(bad: int, whole: int) -> str:
    return _percent(max(whole - bad, 0), whole) if whole > 0 else DASH


def _change(today: int, before: int) -> tuple[str, str]:
    diff = today - before
    if diff == 0:
        return t("report.change.same"), "same"
    if diff > 0:
        return t("report.change.up", diff=format_number(diff)), "up"
    return t("report.change.down", diff=format_number(-diff)), "down"


def _page_context(day, heading: str, subject_line: str, recipient_line: str | None, document_title: str,
                  generated_at) -> dict:
    generated = to_tehran(generated_at)
    return {
        "font_css": Markup(font_face_css()),  # our own CSS; must not be HTML-escaped inside <style>
        "document_title": document_title,
        "heading": heading,
        "subject_line": subject_line,
        "recipient_line": recipient_line,
        "weekday": jalali_weekday_name(day),
        "day_text": jalali_date(day),
        "day_iso": jalali_iso(day),
        "generated_at": t("calendar.date_time", date=jalali_date(generated.date()),
                          time=generated.strftime("%H:%M")),
    }


def _recipient_text(row: ProvinceFigures) -> str:
    role = {"monitoring_officer": "org.officer", "fardap_provincial": "org.province_fardap"}.get(
        row.recipient_role, "org.central_fardap")
    name = to_persian_digits(row.recipient_name) if row.recipient_name else t("org.central_fardap")
    return f"{name} ({t(role)})" if row.recipient_role != "fardap_central" else t("org.central_fardap")


def _row_view(name: str, delivered: int, late: int, defects: int, price: int, active: int, open_: int,
              critical: int, week_ago: int) -> dict:
    change, trend = _change(open_, week_ago)
    return {
        "name": to_persian_digits(name),
        "delivered": format_number(delivered),
        "on_time": _share_ok(late, delivered),
        "quality": _share_ok(defects, delivered),
        "price": f"{format_number(price)} ({_percent(price, active)})" if active else format_number(price),
        "open": format_number(open_),
        "critical": format_number(critical),
        "change": change,
        "trend": trend,
    }


def render_fardap_digest(digest: FardapDigest) -> str:
    """Fardap's national page as a complete HTML document."""
    rows = []
    for r in digest.rows:
        view = _row_view(r.name_fa, r.delivered, r.late, r.defects, r.price_findings, r.active_offers,
                         r.open_findings, r.critical, r.open_week_ago)
        view.update(escalated=r.escalated, recipient=_recipient_text(r))
        rows.append(view)
    total = _row_view(
        t("fardap.country"), *(sum(getattr(r, k) for r in digest.rows) for k in (
            "delivered", "late", "defects", "price_findings", "active_offers", "open_findings", "critical",
            "open_week_ago")))
    no_officer = [
        t("fardap.no_officer_row", province=to_persian_digits(r.name_fa), recipient=_recipient_text(r))
        for r in digest.rows if r.escalated
    ]
    escalated = [
        {"province": to_persian_digits(e.province_name_fa) if e.province_name_fa else DASH,
         "f": _finding_view(i + 1, e.finding, digest.day)}
        for i, e in enumerate(digest.escalated)
    ]
    more = digest.escalated_total - len(escalated)
    context = _page_context(
        digest.day,
        heading=t("fardap.title"),
        subject_line=t("fardap.country"),
        recipient_line=t("fardap.to", name=to_persian_digits(digest.to_name)) if digest.to_name else None,
        document_title=t("fardap.document_title", date=jalali_iso(digest.day)),
        generated_at=digest.generated_at,
    )
    context.update(rows=rows, total=total, no_officer=no_officer, escalated=escalated,
                   escalated_total=format_number(digest.escalated_total),
                   escalated_more=format_number(more) if more > 0 else None)
    context.update(_map_and_rule_breaks_context(digest))
    return _env().get_template("fardap_digest.html").render(**context)


def _map_and_rule_breaks_context(digest: FardapDigest) -> dict:
    """The map (an inline PNG and its legend) and the organisation's rule breaks, for the national digest."""
    from pipelines.reports.rule_breaks import provinces_text, rule_meaning, rule_name

    legend = [
        {"colour": c.colour,
         "text": t("fardap.map_bin_one", low=format_number(c.low)) if c.low == c.high
         else t("fardap.map_bin", low=format_number(c.low), high=format_number(c.high))}
        for c in digest.map_classes
    ]
    image = (Markup(f"data:image/png;base64,{base64.b64encode(digest.map_png).decode('ascii')}")
             if digest.map_png else None)
    breaks = [
        {"rule": rule_name(b.rule), "meaning": rule_meaning(b.rule, digest.core_max_headcount),
         "severity": b.severity, "severity_label": label("severity", b.severity), "count": format_number(b.count),
         "provinces": provinces_text(b.provinces), "since": jalali_date(b.since)}
        for b in digest.rule_breaks
    ]
    return {"map_image": image, "map_legend": legend, "rule_breaks": breaks,
            "rule_breaks_total": format_number(sum(b.count for b in digest.rule_breaks)),
            "rule_breaks_rules": format_number(len(digest.rule_breaks))}


def render_sector_digest(digest: SectorDigest) -> str:
    """A specialized rahyari's weekly digest as a complete HTML document."""
    rates = [
        {"label": t("weekly.delivered"), "sector": format_number(digest.delivered),
         "province": format_number(digest.province_delivered)},
        {"label": t("weekly.late_rate"), "sector": _percent(digest.late, digest.delivered),
         "province": _percent(digest.province_late, digest.province_delivered)},
        {"label": t("weekly.defect_rate"), "sector": _percent(digest.defects, digest.delivered),
         "province": _percent(digest.province_defects, digest.province_delivered)},
    ]
    prices = []
    for p in digest.prices:
        ratio = p.median_province_rial / p.median_national_rial if p.median_national_rial else None
        trend = "same" if ratio is None or abs(ratio - 1) < 0.05 else ("up" if ratio > 1 else "down")
        prices.append({
            "category": to_persian_digits(p.category_name_fa), "unit": label("unit", p.unit),
            "offers": format_number(p.offers), "province": format_toman(round(p.median_province_rial)),
            "national": format_toman(round(p.median_national_rial)),
            "ratio": format_number(ratio, 2) if ratio is not None else DASH, "trend": trend,
        })
    suppliers = [
        {"name": to_persian_digits(s.name_fa), "late": format_number(s.late), "defects": format_number(s.defects),
         "price": format_number(s.price), "findings": format_number(s.findings),
         "impact": format_toman(s.impact_rial)}
        for s in digest.suppliers
    ]
    context = _page_context(
        digest.day,
        heading=t("weekly.title"),
        subject_line=t("weekly.scope", sector=to_persian_digits(digest.sector_name_fa),
                       province=to_persian_digits(digest.province_name_fa)),
        recipient_line=t("weekly.to", team=to_persian_digits(digest.team_name_fa)),
        document_title=t("weekly.document_title", team=to_persian_digits(digest.team_name_fa),
                         date=jalali_iso(digest.day)),
        generated_at=digest.generated_at,
    )
    context.update(
        period=t("weekly.period", start=jalali_date(digest.first_day), end=jalali_date(digest.day)),
        rates=rates, prices=prices, suppliers=suppliers,
        anomalies=[_finding_view(i + 1, f, digest.day) for i, f in enumerate(digest.anomalies)],
        anomalies_total=format_number(digest.anomalies_total),
    )
    return _env().get_template("sector_digest.html").render(**context)
