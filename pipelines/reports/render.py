"""Render a province's daily report as one self-contained, right-to-left Persian HTML document.

The page needs nothing but itself: the Vazirmatn font is inlined as base64 woff2 data URIs, the CSS is
inline, and there is no script. Every word comes from the message catalogue (`pipelines.i18n.messages`); the
Jinja2 templates in `templates/` hold only markup. Every visible digit is Persian; times are Tehran time;
amounts are tomans. Raw ids are never shown: a finding is named by `finding_short_code`.

Preview with sample data:  python -m pipelines.reports.render /tmp/report.html
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jdatetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipelines.findings.short_code import finding_short_code
from pipelines.i18n.messages import has, label, t
from pipelines.i18n.persian import (
    format_number,
    format_toman,
    jalali_date,
    jalali_iso,
    jalali_weekday_name,
    to_persian_digits,
    to_tehran,
)
from pipelines.reports.model import EntityRates, ProvinceReport, ReportFinding
from pipelines.reports.rates import comparison, rate_text
from pipelines.vocabulary import CHECKS, SEVERITIES, STATUSES

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
FONTS_DIR = HERE / "static" / "fonts"
FONT_FILES = {400: "Vazirmatn-Regular.woff2", 700: "Vazirmatn-Bold.woff2"}
PREV_DAYS = 7
RATING_MAX = 5
DEFAULT_COMPACT_LIMIT = 50


# ---------------------------------------------------------------- environment and assets


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = t
    return env


@lru_cache(maxsize=1)
def font_face_css() -> str:
    """@font-face rules for Vazirmatn Regular and Bold, with the woff2 inlined as data URIs."""
    rules = []
    for weight, name in FONT_FILES.items():
        data = base64.b64encode((FONTS_DIR / name).read_bytes()).decode("ascii")
        rules.append(
            f"@font-face {{ font-family: 'Vazirmatn'; font-style: normal; font-weight: {weight}; "
            f"font-display: block; src: url('data:font/woff2;base64,{data}') format('woff2'); }}"
        )
    return "\n".join(rules)


# ---------------------------------------------------------------- small formatters


def _num(x: Any, max_decimals: int = 2) -> str:
    """A quantity: no decimals when whole, otherwise up to `max_decimals` without trailing zeros."""
    if x is None:
        return "—"
    value = float(x)
    if math.isnan(value):
        return "—"
    for decimals in range(max_decimals + 1):
        if abs(value - round(value, decimals)) < 1e-9:
            return format_number(value, decimals)
    return format_number(value, max_decimals)


def _when(value: Any, day: date) -> str:
    """A timestamp as «۳ آذر ساعت ۱۴:۰۰» in Tehran time; the year is added when it is not the day's year."""
    if value in (None, ""):
        return "—"
    local = to_tehran(value)
    same_year = (
        jdatetime.date.fromgregorian(date=local.date()).year == jdatetime.date.fromgregorian(date=day).year
    )
    return t(
        "calendar.date_time",
        date=jalali_date(local.date(), with_year=not same_year),
        time=local.strftime("%H:%M"),
    )


def _safe_url(url: str) -> str:
    """The dashboard link if it is http(s) or relative; anything else (javascript:, data:) becomes '#'."""
    scheme = urlsplit(url or "").scheme.lower()
    return url if url and scheme in ("", "http", "https") else "#"


def _hours_late(ev: Mapping[str, Any]) -> float | None:
    if ev.get("hours_late") is not None:
        return float(ev["hours_late"])
    if ev.get("promised_at") and ev.get("delivered_at"):
        delta: timedelta = to_tehran(ev["delivered_at"]) - to_tehran(ev["promised_at"])
        return delta.total_seconds() / 3600
    return None


# ---------------------------------------------------------------- evidence, in plain words


def _evidence_late_delivery(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = []
    hours = _hours_late(ev)
    promised, delivered = _when(ev.get("promised_at"), day), _when(ev.get("delivered_at"), day)
    if hours is not None and hours < 1:
        lines.append(
            t(
                "evidence.late_delivery_minutes",
                promised=promised,
                delivered=delivered,
                minutes=round(hours * 60),
            )
        )
    else:
        shown = "—" if hours is None else format_number(hours, 1 if hours < 10 else 0).removesuffix("٫۰")
        lines.append(t("evidence.late_delivery", promised=promised, delivered=delivered, hours=shown))
    if ev.get("delivered_qty") is not None and ev.get("order_quantity") is not None:
        lines.append(
            t(
                "evidence.delivered_of_ordered",
                delivered=_num(ev["delivered_qty"]),
                ordered=_num(ev["order_quantity"]),
            )
        )
    return lines


def _evidence_overdue_order(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = [
        t(
            "evidence.overdue_order",
            promised=_when(ev.get("promised_at"), day),
            days=_num(ev.get("days_overdue"), 1),
        )
    ]
    if ev.get("order_quantity") is not None:
        lines.append(
            t(
                "evidence.delivered_of_ordered",
                delivered=_num(ev.get("delivered_qty") or 0),
                ordered=_num(ev["order_quantity"]),
            )
        )
    return lines


def _evidence_seller_cancellation(ev: Mapping[str, Any], day: date) -> list[str]:
    return [
        t(
            "evidence.seller_cancellation",
            quantity=_num(ev.get("order_quantity")),
            cancelled=_when(ev.get("cancelled_at"), day),
        )
    ]


def _evidence_quality_defect(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = []
    signals = [label("signal", s) for s in ev.get("signals") or ()]
    if signals:
        lines.append(t("evidence.quality_signals", signals=t("punct.list_separator").join(signals)))
    if ev.get("promised_quality") or ev.get("received_quality"):
        lines.append(
            t(
                "evidence.quality_grades",
                promised=label("grade", ev["promised_quality"]) if ev.get("promised_quality") else "—",
                received=label("grade", ev["received_quality"]) if ev.get("received_quality") else "—",
            )
        )
    if ev.get("complaint"):
        lines.append(t("evidence.complaint", complaint=label("complaint", ev["complaint"])))
    if ev.get("buyer_rating") is not None:
        lines.append(t("evidence.buyer_rating", rating=_num(ev["buyer_rating"], 1), max=RATING_MAX))
    if ev.get("returned_qty"):
        lines.append(t("evidence.returned_qty", quantity=_num(ev["returned_qty"])))
    return lines


def _evidence_price_peer_band(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = []
    unit = label("unit", ev["unit"]) if ev.get("unit") else t("unit.item")
    if ev.get("unit_price_rial") is not None:
        lines.append(t("evidence.unit_price", price=format_toman(ev["unit_price_rial"]), unit=unit))
    if ev.get("peer_median_rial") is not None:
        lines.append(
            t(
                "evidence.peer_median",
                median=format_toman(ev["peer_median_rial"]),
                ratio=format_number(ev.get("ratio"), 2),
            )
        )
    scope = ev.get("scope") or "national"
    if ev.get("scope") and has(f"evidence.reference.{scope}"):
        lines.append(t(f"evidence.reference.{scope}"))
    if ev.get("peer_count") is not None and scope in ("product", "attributes"):
        lines.append(t("evidence.reference_count", count=_num(ev["peer_count"]),
                       z=format_number(ev.get("robust_z"), 1)))
    elif ev.get("peer_count") is not None:
        lines.append(
            t(
                "evidence.peer_count",
                count=_num(ev["peer_count"]),
                scope=label("scope", scope),
                z=format_number(ev.get("robust_z"), 1),
            )
        )
    if ev.get("peer_level") in ("branch", "field"):
        lines.append(t("evidence.peer_level", level=label("level", ev["peer_level"])))
    other = "national" if ev.get("scope") == "province" else "province"
    if ev.get(f"{other}_median_rial") is not None:
        lines.append(t("evidence.other_scope_median", scope=label("scope", other),
                       median=format_toman(ev[f"{other}_median_rial"])))
    if ev.get("category_code"):
        lines.append(t("evidence.category", code=ev.get("category_name") or ev["category_code"]))
    return lines


def _unit_price_line(ev: Mapping[str, Any]) -> list[str]:
    unit = label("unit", ev["unit"]) if ev.get("unit") else t("unit.item")
    if ev.get("unit_price_rial") is None:
        return []
    return [t("evidence.unit_price", price=format_toman(ev["unit_price_rial"]), unit=unit)]


def _evidence_price_own_history_jump(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = _unit_price_line(ev)
    lines.append(t("evidence.reference.own_history"))
    if ev.get("previous_price_rial") is not None:
        lines.append(t("evidence.previous_price", price=format_toman(ev["previous_price_rial"]),
                       ratio=format_number(ev.get("jump_ratio"), 2)))
    if ev.get("history_count") is not None:
        lines.append(t("evidence.price_history", count=_num(ev["history_count"]), days=_num(ev.get("history_days"))))
    return lines


def _evidence_price_nesieh_markup(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = []
    if ev.get("nesieh_unit_price_rial") is not None:
        lines.append(t("evidence.nesieh_price", months=_num(ev.get("nesieh_months")),
                       price=format_toman(ev["nesieh_unit_price_rial"]), cash=format_toman(ev.get("unit_price_rial"))))
    if ev.get("markup_per_month_pct") is not None:
        lines.append(t("evidence.nesieh_markup", markup=format_number(ev["markup_per_month_pct"], 1),
                       months=_num(ev.get("nesieh_months")),
                       norm=format_number(ev.get("norm_markup_per_month_pct"), 1)))
    if ev.get("peer_count") is not None:
        lines.append(t("evidence.nesieh_peers", count=_num(ev["peer_count"]), z=format_number(ev.get("robust_z"), 1)))
    return lines


def _evidence_price_model_outlier(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = _evidence_price_peer_band({k: v for k, v in ev.items() if k != "peer_count"}, day)
    if ev.get("model_score") is not None:
        lines.append(t("evidence.model_score", score=format_number(ev["model_score"], 1)))
    return lines


def _evidence_scorecard(ev: Mapping[str, Any], day: date) -> list[str]:
    lines = []
    if ev.get("rate") is not None and ev.get("threshold") is not None:
        lines.append(t("evidence.scorecard_rate", window=_num(ev.get("window_days")),
                       rate=_num(100 * float(ev["rate"]), 1), threshold=_num(100 * float(ev["threshold"]), 1)))
    if ev.get("deliveries_resolved") is not None:
        lines.append(t("evidence.scorecard_volume", deliveries=_num(ev["deliveries_resolved"]),
                       buyers=_num(ev.get("distinct_buyers"))))
    return lines


_EVIDENCE = {
    "scorecard_on_time": _evidence_scorecard,
    "scorecard_quality": _evidence_scorecard,
    "scorecard_seller_cancel": _evidence_scorecard,
    "late_delivery": _evidence_late_delivery,
    "overdue_order": _evidence_overdue_order,
    "seller_cancellation": _evidence_seller_cancellation,
    "quality_defect": _evidence_quality_defect,
    "price_peer_band": _evidence_price_peer_band,
    "price_own_history_jump": _evidence_price_own_history_jump,
    "price_nesieh_markup": _evidence_price_nesieh_markup,
    "price_model_outlier": _evidence_price_model_outlier,
}


def evidence_lines(finding: ReportFinding, day: date) -> list[str]:
    """The evidence of a finding as Persian sentences. Only the known keys of known rules are shown; a
    rule the catalogue does not know shows nothing but its name (its evidence may hold anything)."""
    fn = _EVIDENCE.get(finding.rule)
    if not fn:
        return []
    ev = finding.evidence or {}
    lines = fn(ev, day)
    if ev.get("repeat_offences") is not None and ev.get("buyers_affected") is not None:
        lines.append(t("evidence.impact_reach", buyers=_num(ev["buyers_affected"]),
                       repeats=_num(ev["repeat_offences"])))
    return lines


# ---------------------------------------------------------------- view model


@dataclass(frozen=True)
class _FindingView:
    rank: str
    code: str
    severity: str  # css-safe key
    severity_label: str
    rule_label: str
    check_label: str
    status: str  # css-safe key
    status_label: str
    seller: str
    offer: str | None
    subject: str
    evidence: list[str]
    impact: str
    url: str


def _finding_view(rank: int, f: ReportFinding, day: date) -> _FindingView:
    status_label = (
        t("status.ongoing_since", date=jalali_date(f.episode_start_day))
        if f.status == "ongoing"
        else label("status", f.status)
    )
    return _FindingView(
        rank=to_persian_digits(rank),
        code=to_persian_digits(finding_short_code(f.finding_id)),
        severity=f.severity if f.severity in SEVERITIES else "unknown",
        severity_label=label("severity", f.severity),
        rule_label=label("rule", f.rule),
        check_label=label("check", f.check),
        status=f.status if f.status in STATUSES else "unknown",
        status_label=status_label,
        seller=to_persian_digits(f.seller_name),
        offer=to_persian_digits(f.offer_title) if f.offer_title else None,
        subject=label("entity", f.entity_type),
        evidence=evidence_lines(f, day),
        impact=format_toman(f.impact_rial),
        url=_safe_url(f.dashboard_url),
    )


def _late_view(f: ReportFinding, day: date) -> dict[str, Any]:
    """A finding of an earlier day first seen today: what happened when, and how late it was recorded."""
    seen = f.discovered_day or day
    return {
        "view": _finding_view(0, f, day),
        "event_day": jalali_date(f.episode_start_day),
        "recorded": t("report.late.recorded_after", days=format_number((seen - f.episode_start_day).days)),
    }


def _summary_rows(report: ProvinceReport) -> tuple[list[dict[str, str]], dict[str, str]]:
    checks = list(CHECKS) + [c for c in (*report.counts_today, *report.counts_prev_7d_avg) if c not in CHECKS]
    checks = list(dict.fromkeys(checks))
    rows = []
    total_today, total_avg = 0, 0.0
    for check in checks:
        today = int(report.counts_today.get(check, 0))
        avg = float(report.counts_prev_7d_avg.get(check, 0.0))
        total_today += today
        total_avg += avg
        rows.append({"check": check, "label": label("check", check), **_compare(today, avg)})
    total = {"label": t("report.summary.total"), **_compare(total_today, total_avg)}
    return rows, total


def _compare(today: int, avg: float) -> dict[str, str]:
    diff = today - avg
    if abs(diff) < 0.05:
        change, trend = t("report.change.same"), "same"
    elif diff > 0:
        change, trend = t("report.change.up", diff=format_number(diff, 1).removesuffix("٫۰")), "up"
    else:
        change, trend = t("report.change.down", diff=format_number(-diff, 1).removesuffix("٫۰")), "down"
    return {
        "today": format_number(today),
        "avg": format_number(avg, 1),
        "change": change,
        "trend": trend,
    }


def rate_window_label(window: int) -> str:
    """A window's column heading: the monitored day, or «۷ روز اخیر»."""
    return t("rates.window.1") if window == 1 else t("rates.window.n", days=window)


def rates_view(entities: Sequence[EntityRates]) -> tuple[list[str], list[dict[str, Any]]]:
    """Window headings and, per entity, its rows: each measure's rate with its denominator, and the country's."""
    windows = sorted({w for e in entities for m in e.measures for w in m.windows})
    views = []
    for entity in entities:
        name = to_persian_digits(entity.name)
        rows = []
        for m in entity.measures:
            cells = []
            for w in windows:
                vs, trend = comparison(m.windows[w], m.national[w], m.measure)
                cells.append({"value": rate_text(m.windows[w], m.measure), "vs": vs, "trend": trend})
            rows.append({"label": t(f"rates.measure.{m.measure}"), "cells": cells})
        views.append({"kind": entity.kind, "entity_id": entity.entity_id, "rows": rows,
                      "title": t("rates.province", name=name) if entity.kind == "province"
                      else t("rates.seller", name=name)})
    return [rate_window_label(w) for w in windows], views


def render_province_report(
    report: ProvinceReport,
    *,
    compact_limit: int = DEFAULT_COMPACT_LIMIT,
    rate_sellers_limit: int | None = None,
    heading: str | None = None,
    recipient_line: str | None = None,
) -> str:
    """The report as a complete HTML document (a str; write it as UTF-8).

    It leads with the first `attention_budget` findings (the caller ranks them), lists up to
    `compact_limit` more in a compact table, and counts the rest with a pointer to the XLSX and dashboard.
    `rate_sellers_limit` caps the flagged sellers whose rates are shown (a message keeps to its size budget);
    the rest are counted. `heading` and `recipient_line` replace the title and the officer line (a rahyari's
    copy, say).
    """
    findings: Sequence[ReportFinding] = report.findings
    budget = max(0, int(report.attention_budget))
    top = [_finding_view(i + 1, f, report.day) for i, f in enumerate(findings[:budget])]
    rest_findings = findings[budget : budget + max(0, compact_limit)]
    rest = [_finding_view(budget + i + 1, f, report.day) for i, f in enumerate(rest_findings)]
    more = len(findings) - len(top) - len(rest)

    day_text = jalali_date(report.day)
    generated = to_tehran(report.generated_at)
    summary_rows, summary_total = _summary_rows(report)
    rate_windows, rate_views = rates_view(report.rates)
    rates_sellers = [v for v in rate_views if v["kind"] != "province"]
    rates_more = report.rates_sellers_more
    if rate_sellers_limit is not None and len(rates_sellers) > rate_sellers_limit:
        rates_more += len(rates_sellers) - rate_sellers_limit
        rates_sellers = rates_sellers[:rate_sellers_limit]
    context = {
        "font_css": Markup(font_face_css()),  # our own CSS; must not be HTML-escaped inside <style>
        "heading": heading or t("report.title"),
        "recipient_line": to_persian_digits(recipient_line) if recipient_line else None,
        "document_title": t(
            "report.document_title", province=report.province_name_fa, date=jalali_iso(report.day)
        ),
        "province": to_persian_digits(report.province_name_fa),
        "weekday": jalali_weekday_name(report.day),
        "day_text": day_text,
        "day_iso": jalali_iso(report.day),
        "officer": to_persian_digits(report.officer_name) if report.officer_name else None,
        "escalated_to": to_persian_digits(report.escalated_to or t("org.central_fardap")),
        "summary_rows": summary_rows,
        "summary_total": summary_total,
        "prev_days": PREV_DAYS,
        "status_counts": [
            ("new", format_number(report.new_count)),
            ("ongoing", format_number(report.ongoing_count)),
            ("resolved", format_number(report.resolved_count)),
        ],
        "total": format_number(len(findings)),
        "shown": format_number(len(top)),
        "top": top,
        "rest": rest,
        "more": format_number(more) if more > 0 else None,
        "late": [_late_view(f, report.day) for f in report.late_findings],
        "withdrawn": format_number(report.withdrawn_count) if report.withdrawn_count else None,
        "rate_windows": rate_windows,
        "rates_province": [v for v in rate_views if v["kind"] == "province"],
        "rates_sellers": rates_sellers,
        "rates_more": format_number(rates_more) if rates_more else None,
        "generated_at": t(
            "calendar.date_time", date=jalali_date(generated.date()), time=generated.strftime("%H:%M")
        ),
    }
    return _env().get_template("province_report.html").render(**context)


if __name__ == "__main__":  # pragma: no cover - a preview helper
    import sys

    from pipelines.reports.sample import sample_province_report

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "province-report-sample.html")
    out.write_text(render_province_report(sample_province_report()), encoding="utf-8")
    print(out.resolve())
