"""How the dashboard shows things: Persian digits, Jalali dates, right-to-left HTML tables, and charts.

Pure functions (no Streamlit), so the app's wording and numbers are tested without a browser. Tables are
HTML rather than Streamlit's canvas grid, because the grid lays columns out left to right; charts are
Vega-Lite (Altair) with Vazirmatn and an axis label expression that turns digits Persian.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import pandas as pd

from pipelines.findings.short_code import finding_short_code
from pipelines.i18n.messages import label, t
from pipelines.i18n.persian import (
    LATIN_DIGITS,
    PERSIAN_DIGITS,
    format_number,
    format_toman,
    jalali_date,
    to_persian_digits,
    to_tehran,
)

FONTS_DIR = Path(__file__).resolve().parent.parent / "reports" / "static" / "fonts"
FONT_FILES = {400: "Vazirmatn-Regular.woff2", 700: "Vazirmatn-Bold.woff2"}
STATIC_URL = "app/static"  # where Streamlit serves the static folder beside the app's script

# metric -> (column, lower is worse?) ; rates are fractions 0..1
METRICS: dict[str, tuple[str, bool]] = {
    "critical_findings": ("critical_findings", False),
    "open_findings": ("open_findings", False),
    "on_time_rate": ("on_time_rate", True),
    "quality_defect_rate": ("quality_defect_rate", False),
    "price_anomalies": ("price_anomalies", False),
}
RATE_METRICS = ("on_time_rate", "quality_defect_rate", "seller_cancel_rate")


def page_css() -> str:
    """The page's style: Vazirmatn from the local static folder (no web fonts), right to left."""
    faces = "\n".join(
        f"@font-face {{ font-family: 'Vazirmatn'; font-style: normal; font-weight: {w}; font-display: swap; "
        f"src: url('{STATIC_URL}/{name}') format('woff2'); }}"
        for w, name in FONT_FILES.items()
    )
    return faces + """
html, body, .stApp { font-family: 'Vazirmatn', sans-serif; }
.stApp [data-testid="stMain"], .stApp [data-testid="stSidebar"], .stApp [role="dialog"] {
  direction: rtl; text-align: right; }
.stApp h1, .stApp h2, .stApp h3, .stApp p, .stApp label, .stApp li, .stApp input, .stApp textarea,
.stApp button, .stApp [data-baseweb="select"], .stApp [data-baseweb="tag"], .stApp [role="option"],
.stApp [role="radiogroup"], .stApp [data-testid="stAlertContentInfo"] { font-family: 'Vazirmatn', sans-serif; }
.stApp [data-testid="stMarkdownContainer"], .stApp [data-testid="stCaptionContainer"],
.stApp ul.evidence li { text-align: right; }
/* charts lay themselves out (axes already mirrored); Persian text inside still shapes right to left */
.stApp [data-testid="stVegaLiteChart"], .stApp .vega-embed { direction: ltr; }
table.rasad { border-collapse: collapse; width: 100%; font-size: 0.92rem; margin-bottom: 0.8rem; }
table.rasad th { background: #f0f4f8; font-weight: 700; }
table.rasad th, table.rasad td { border-bottom: 1px solid #dde3ea; padding: 0.3rem 0.55rem; text-align: right;
  vertical-align: top; }
table.rasad td.num { white-space: nowrap; }
table.rasad tr.critical td:first-child { border-right: 4px solid #c62828; }
span.sev-critical { color: #c62828; font-weight: 700; }
span.sev-warning { color: #b26a00; font-weight: 700; }
ul.evidence { margin: 0 1.2rem 0.6rem 0; padding: 0; }
p.rasad-caption { font-size: 0.875rem; color: rgba(49, 51, 63, 0.6); margin-bottom: 0.5rem; }
"""


# ------------------------------------------------------------------------------------ small formatters


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT or x is pd.NA


def qty(x: Any) -> str:
    """A quantity: whole numbers without decimals, others with up to two."""
    if _missing(x):
        return "—"
    value = float(x)
    return format_number(value, 0 if value == round(value) else 2)


def num(x: Any, decimals: int = 0) -> str:
    """A number in Persian digits with separators; «—» when missing."""
    return "—" if _missing(x) else format_number(x, decimals)


def pct(rate: Any, decimals: int = 1) -> str:
    """A fraction 0..1 as a Persian percentage, e.g. 0.8621 → «۸۶٫۲٪»."""
    return "—" if _missing(rate) else t("unit.percent", value=format_number(float(rate) * 100, decimals))


def toman(rial: Any) -> str:
    """Rials shown as tomans."""
    return "—" if _missing(rial) else format_toman(int(rial))


def day_label(d: date, *, with_weekday: bool = True) -> str:
    """A Tehran day as its Jalali date, e.g. «سه‌شنبه ۴ آذر ۱۴۰۵»."""
    return jalali_date(d, with_weekday=with_weekday)


def short_day(d: date) -> str:
    """A Jalali day without the year (chart axes)."""
    return jalali_date(d, with_year=False)


def when(value: Any) -> str:
    """A timestamp in Tehran time as «۴ آذر ۱۴۰۵ ساعت ۱۴:۰۰»."""
    if _missing(value) or value == "":
        return "—"
    local = to_tehran(value if isinstance(value, (datetime, str)) else pd.Timestamp(value).to_pydatetime())
    return t("calendar.date_time", date=jalali_date(local.date()), time=local.strftime("%H:%M"))


def as_day(value: Any) -> date | None:
    """A stored day (date, or ISO text on SQLite) as a date."""
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def code(finding_id: str) -> str:
    """The finding's short code as the report shows it, in Persian digits."""
    return to_persian_digits(finding_short_code(finding_id))


def text(value: Any) -> str:
    """Free text for display: «—» when missing, digits Persian."""
    return "—" if _missing(value) or value == "" else to_persian_digits(value)


# -------------------------------------------------------------------------------- text, never markup

# Every character that HTML, Markdown (CommonMark and GFM) or Streamlit's additions to it (`:red[...]`,
# `:emoji:`, `$math$`) could read as markup, as a named entity (named, so that no Latin digit appears in the
# page source either). Inside an HTML block on one line, which Markdown passes through untouched, the browser
# turns the entities back into the very characters: text shows literally, and nothing in it is a tag, a link,
# an image or a directive. (`~` stays: HTML's `&tilde;` is another character, and strikethrough needs Markdown.)
_INERT = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "[": "&lbrack;", "]": "&rbrack;",
    "(": "&lpar;", ")": "&rpar;", "!": "&excl;", "*": "&ast;", "_": "&lowbar;", "`": "&grave;", "$": "&dollar;",
    ":": "&colon;", "|": "&verbar;", "#": "&num;", "\\": "&bsol;", "{": "&lbrace;",
    "}": "&rbrace;", "=": "&equals;", "+": "&plus;", "^": "&Hat;", "@": "&commat;", "%": "&percnt;",
}
_INERT_TABLE = {ord(k): v for k, v in _INERT.items()}
# line breaks and other control characters end an HTML block (or hide text): a space instead
_INERT_TABLE.update({c: " " for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]})


def inert(value: Any) -> str:
    """`value` as HTML text that neither HTML nor Markdown reads as markup (for `html_block`)."""
    return str(value).translate(_INERT_TABLE)


def html_block(tag: str, text: Any, css_class: str | None = None) -> str:
    """One HTML element holding `text` as plain text, on one line (Markdown leaves an HTML block alone)."""
    cls = f' class="{css_class}"' if css_class else ""
    return f"<{tag}{cls}>{inert(text)}</{tag}>"


_MD_PUNCTUATION = {ord(c): "\\" + c for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}
_MD_PUNCTUATION.update({c: " " for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]})


def md_literal(value: Any) -> str:
    """`value` for a Streamlit element that renders Markdown (st.error, st.caption): every ASCII punctuation
    backslash-escaped, line breaks as spaces, so it reads literally."""
    return str(value).translate(_MD_PUNCTUATION)


# ------------------------------------------------------------------------------------------- tables


def html_table(headers: Sequence[str] | None, rows: Sequence[Sequence[str]], *, numeric: Sequence[int] = (),
               row_classes: Sequence[str] | None = None, table_id: str | None = None) -> str:
    """A right-to-left HTML table on one line; cells are made inert here (`inert`), so pass plain strings."""
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    head = "".join(f"<th>{inert(h)}</th>" for h in headers) if headers else ""
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(
            f'<td{" class=num" if j in numeric else ""}>{inert(c)}</td>' for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f'<table class="rasad" dir="rtl"{ident}>{thead}<tbody>{"".join(body)}</tbody></table>'


def rank_provinces(today: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The provinces of one day, worst first by `metric` (missing rates last)."""
    column, lower_is_worse = METRICS[metric]
    return today.sort_values([column, "province_name_fa"], ascending=[lower_is_worse, True],
                             na_position="last").reset_index(drop=True)


def province_rows(ranked: pd.DataFrame) -> list[list[str]]:
    """The national table's rows: rank, province, on-time, defects, prices, open, critical, orders."""
    return [
        [num(i + 1), text(r.province_name_fa), pct(r.on_time_rate), pct(r.quality_defect_rate),
         num(r.price_anomalies), num(r.open_findings), num(r.critical_findings), num(r.orders_completed)]
        for i, r in enumerate(ranked.itertuples(index=False))
    ]


def province_headers() -> list[str]:
    """Headers of the national table."""
    return [t("dashboard.col.rank"), t("dashboard.col.province"), t("dashboard.metric.on_time_rate"),
            t("dashboard.metric.quality_defect_rate"), t("dashboard.metric.price_anomalies"),
            t("dashboard.metric.open_findings"), t("dashboard.metric.critical_findings"),
            t("dashboard.col.orders_completed")]


def severity_html(severity: str) -> str:
    """A severity label (plain text; the row's class colours critical rows)."""
    return label("severity", severity)


def verdict_label(verdict: Any) -> str:
    """The current verdict's Persian name, or «بدون نظر»."""
    return t("verdict.none") if _missing(verdict) or not verdict else label("verdict", str(verdict))


def finding_rows(frame: pd.DataFrame) -> tuple[list[list[str]], list[str]]:
    """Inbox rows (code, severity, rule, status, province, seller, since, impact, verdict) and row classes."""
    rows, classes = [], []
    for r in frame.itertuples(index=False):
        start = as_day(r.episode_start_day)
        assert start is not None  # episode_start_day is NOT NULL
        rows.append([code(r.finding_id), severity_html(r.severity), label("rule", r.rule),
                     label("status", r.status), text(r.province_name_fa), seller_name(r.seller_name, r.seller_id),
                     day_label(start, with_weekday=False), toman(r.impact_rial),
                     verdict_label(r.verdict)])
        classes.append("critical" if r.severity == "critical" else "")
    return rows, classes


def finding_headers() -> list[str]:
    """Headers of the inbox table."""
    return [t("finding.code"), t("finding.severity"), t("finding.rule"), t("finding.status"),
            t("dashboard.col.province"), t("finding.seller"), t("dashboard.field.episode_start"),
            t("finding.impact"), t("dashboard.field.verdict")]


def seller_name(name: Any, seller_id: Any) -> str:
    """A seller's shop name, or its id when the name is unknown."""
    return text(name if isinstance(name, str) and name else seller_id)


def finding_option(finding_id: str, rule: str, seller: Any) -> str:
    """How a finding is named in a picker: code — rule — seller."""
    return t("dashboard.option", code=finding_short_code(finding_id), rule=label("rule", rule),
             seller="—" if _missing(seller) or not seller else seller)


def seller_rows(frame: pd.DataFrame) -> list[list[str]]:
    """Scorecard rows: seller, on-time, defects, cancels, volume, breaches."""
    return [
        [text(r.display_name if isinstance(r.display_name, str) else r.seller_id), pct(r.on_time_rate),
         pct(r.quality_defect_rate), pct(r.seller_cancel_rate), num(r.deliveries_resolved),
         label_list("rule", r.breaches)]
        for r in frame.itertuples(index=False)
    ]


def seller_headers() -> list[str]:
    """Headers of the sellers' scorecards."""
    return [t("dashboard.col.seller"), t("dashboard.metric.on_time_rate"), t("dashboard.metric.quality_defect_rate"),
            t("dashboard.metric.seller_cancel_rate"), t("dashboard.col.volume"), t("dashboard.col.breaches")]


def label_list(kind: str, comma_separated: Any) -> str:
    """A comma-separated list of keys as their Persian names («—» when empty)."""
    if _missing(comma_separated) or not str(comma_separated).strip():
        return "—"
    return t("punct.list_separator").join(label(kind, k.strip()) for k in str(comma_separated).split(",") if k.strip())


def offer_rows(offers: pd.DataFrame, taxa: dict[str, str] | None = None) -> list[list[str]]:
    """The offer(s) behind a finding; `taxa` names the category codes."""
    taxa = taxa or {}
    return [
        [text(r.title), text(taxa.get(r.category_code, r.category_code)),
         toman(r.unit_price_rial) + " / " + label("unit", r.unit),
         t("dashboard.nesieh_price", price=toman(r.nesieh_unit_price_rial), months=num(r.nesieh_months))
         if not _missing(r.nesieh_months) else "—",
         label("grade", r.promised_quality), num(r.promised_lead_days), label("dashboard.offer_status", r.status)]
        for r in offers.itertuples(index=False)
    ]


def offer_headers() -> list[str]:
    """Headers of the offer table."""
    return [t("dashboard.col.offer_title"), t("dashboard.col.category"), t("dashboard.col.unit_price"),
            t("dashboard.col.nesieh"), t("dashboard.col.promised_quality"), t("dashboard.col.lead_days"),
            t("dashboard.col.offer_status")]


def order_rows(orders: pd.DataFrame) -> list[list[str]]:
    """The orders behind a finding (no buyer data)."""
    return [
        [text(r.order_id), qty(r.quantity), toman(r.unit_price_rial), label("dashboard.payment", r.payment),
         when(r.ordered_at), when(r.promised_at)]
        for r in orders.itertuples(index=False)
    ]


def order_headers() -> list[str]:
    """Headers of the orders table."""
    return [t("dashboard.col.order"), t("dashboard.col.quantity"), t("dashboard.col.unit_price"),
            t("dashboard.col.payment"), t("dashboard.col.ordered_at"), t("dashboard.col.promised_at")]


def delivery_rows(deliveries: pd.DataFrame) -> list[list[str]]:
    """The deliveries of those orders."""
    return [
        [text(r.delivery_id), text(r.order_id), label("dashboard.delivery_status", r.status), when(r.delivered_at),
         qty(r.delivered_qty), label("grade", r.received_quality) if not _missing(r.received_quality) else "—",
         num(r.buyer_rating), label("complaint", r.complaint) if not _missing(r.complaint) else "—"]
        for r in deliveries.itertuples(index=False)
    ]


def delivery_headers() -> list[str]:
    """Headers of the deliveries table."""
    return [t("dashboard.col.delivery"), t("dashboard.col.order"), t("dashboard.col.delivery_status"),
            t("dashboard.col.delivered_at"), t("dashboard.col.delivered_qty"), t("dashboard.col.received_quality"),
            t("dashboard.col.rating"), t("dashboard.col.complaint")]


def history_rows(history: pd.DataFrame) -> list[list[str]]:
    """A finding's verdict history, oldest first."""
    return [[label("verdict", r.verdict), text(r.note), text(r.given_by), when(r.given_at)]
            for r in history.itertuples(index=False)]


def history_headers() -> list[str]:
    """Headers of the verdict history."""
    return [t("dashboard.verdict"), t("dashboard.note"), t("dashboard.col.given_by"), t("dashboard.col.given_at")]


# ------------------------------------------------------------------------------------------- charts


def persian_digits_expr(expr: str = "datum.label") -> str:
    """A Vega expression that shows `expr` with Persian digits and separators."""
    for latin, persian in zip(LATIN_DIGITS, PERSIAN_DIGITS, strict=True):
        expr = f"replace({expr}, regexp('{latin}', 'g'), '{persian}')"
    expr = f"replace({expr}, regexp('\\\\.', 'g'), '٫')"
    return f"replace({expr}, regexp(',', 'g'), '٬')"


def province_bar_chart(ranked: pd.DataFrame, metric: str):
    """Horizontal bars per province, names on the right and bars growing leftwards (right to left)."""
    import altair as alt

    column, _ = METRICS[metric]
    rate = metric in RATE_METRICS
    data = pd.DataFrame({
        "province": ranked["province_name_fa"].astype(str),
        "value": ranked[column].astype(float) * (100 if rate else 1),
        "shown": [pct(v) if rate else num(v) for v in ranked[column]],
    })
    order = data["province"].tolist()
    return (
        alt.Chart(data)
        .mark_bar(color="#1f5f8b")
        .encode(
            x=alt.X("value:Q", title=label("dashboard.metric", metric), scale=alt.Scale(reverse=True),
                    axis=alt.Axis(labelExpr=persian_digits_expr(), format=",.0f")),
            y=alt.Y("province:N", sort=order, title=None,
                    axis=alt.Axis(orient="right", labelLimit=200, labelOverlap=False, labelFontSize=12)),
            tooltip=[alt.Tooltip("province:N", title=t("dashboard.col.province")),
                     alt.Tooltip("shown:N", title=label("dashboard.metric", metric))],
        )
        .properties(height=max(180, 26 * len(data)))
        .configure(font="Vazirmatn")
    )


def trend_chart(frame: pd.DataFrame, value: str, series: str, title: str):
    """Lines over days: `frame` has day, `value` (a rate 0..1 or a count) and `series` (a line's name)."""
    import altair as alt

    rate = value in RATE_METRICS
    # every row has a day: as_day gives None only for a missing value
    days = sorted({cast(date, as_day(d)) for d in frame["day"]})
    data = pd.DataFrame({
        "day": [short_day(cast(date, as_day(d))) for d in frame["day"]],
        "value": frame[value].astype(float) * (100 if rate else 1),
        "shown": [pct(v) if rate else num(v) for v in frame[value]],
        "series": frame[series].astype(str),
    })
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:N", sort=[short_day(d) for d in reversed(days)], title=None,
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=title, axis=alt.Axis(labelExpr=persian_digits_expr(), format=",.0f",
                                                          orient="right")),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("day:N", title=t("dashboard.day")),
                     alt.Tooltip("shown:N", title=title)],
        )
        .properties(height=260)
        .configure(font="Vazirmatn")
    )


def national_trend(figures: pd.DataFrame) -> pd.DataFrame:
    """The country's figures per day, summed over provinces (rates recomputed from their counts)."""
    g = figures.groupby("day", as_index=False)[
        ["orders_completed", "orders_late", "deliveries_delivered", "quality_defects", "price_anomalies",
         "open_findings", "critical_findings"]].sum()
    g["on_time_rate"] = 1 - g["orders_late"] / g["orders_completed"].where(g["orders_completed"] > 0)
    g["quality_defect_rate"] = g["quality_defects"] / g["deliveries_delivered"].where(g["deliveries_delivered"] > 0)
    return g
