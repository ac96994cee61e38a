"""Persian text helpers: digits, normalisation, Jalali dates, tomans.

Display helpers (`to_persian_digits`, `format_number`, `format_toman`, `jalali_*`) produce what an officer
reads. `normalize_persian` is for *comparison* (matching names typed in different ways), not for display.

Month and weekday names live in the message catalogue (`pipelines.i18n.messages`), like every other Persian word
an officer reads; they are imported lazily here because the catalogue itself uses `to_persian_digits`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from zoneinfo import ZoneInfo

import jdatetime

TEHRAN = ZoneInfo("Asia/Tehran")
UTC = ZoneInfo("UTC")

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

PERSIAN_DECIMAL_SEPARATOR = "\u066b"  # '٫' ARABIC DECIMAL SEPARATOR
PERSIAN_THOUSANDS_SEPARATOR = "\u066c"  # '٬' ARABIC THOUSANDS SEPARATOR
ZWNJ = "\u200c"
MINUS = "\u2212"
_LRI, _PDI = "\u2066", "\u2069"  # isolate a signed number so the minus sign stays on its left in RTL text

# the one digit translation: whole columns use these tables with `Series.str.translate`
DIGITS_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)
DIGITS_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, LATIN_DIGITS * 2)
# a number written with Persian digits and the Persian decimal separator ('۱۲٫۵')
NUMBER_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ".", PERSIAN_DIGITS + PERSIAN_DECIMAL_SEPARATOR)
_TO_LATIN = str.maketrans(
    PERSIAN_DIGITS + ARABIC_INDIC_DIGITS + PERSIAN_DECIMAL_SEPARATOR + PERSIAN_THOUSANDS_SEPARATOR,
    LATIN_DIGITS * 2 + ".,",
)
# '.' or ',' with a digit on both sides is a decimal point / thousands separator
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d)")

# Arabic letter forms Persian writes differently; diacritics and tatweel, ignored in comparison
_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # ي ARABIC YEH -> ی FARSI YEH
        "\u0649": "\u06cc",  # ى ALEF MAKSURA -> ی
        "\u0643": "\u06a9",  # ك ARABIC KAF -> ک KEHEH
        "\u06c0": "\u0647\u0654",  # ۀ -> هٔ
        "\u0640": None,  # ـ tatweel
    }
)
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
# invisible format characters that are never meaningful for comparison (bidi marks, ZWJ, BOM, soft hyphen)
_INVISIBLE = re.compile("[\u200b\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")


def to_persian_digits(text: object) -> str:
    """Return `text` with Latin and Arabic-Indic digits as Persian digits (۰-۹).

    A '.' between two digits becomes the Persian decimal separator '٫' and a ',' between two digits the
    thousands separator '٬'; other punctuation (':' in times, '/' in dates, '-' in codes) is kept.
    """
    s = str(text).translate(DIGITS_TO_PERSIAN)
    s = _DECIMAL_POINT.sub(PERSIAN_DECIMAL_SEPARATOR, s)
    return _THOUSANDS_COMMA.sub(PERSIAN_THOUSANDS_SEPARATOR, s)


def to_latin_digits(text: str) -> str:
    """Return `text` with Persian and Arabic-Indic digits as Latin digits (nothing else changes)."""
    return text.translate(DIGITS_TO_LATIN)


def normalize_persian(text: str, *, zwnj_as_space: bool = True) -> str:
    """Normalise Persian text for comparison (not for display).

    - Arabic ي/ى → ی, ك → ک, ۀ → هٔ; diacritics and tatweel removed;
    - Persian and Arabic-Indic digits → Latin, '٫' → '.', '٬' → ',';
    - invisible marks (bidi controls, ZWJ, BOM, soft hyphen) removed;
    - ZWNJ (نیم‌فاصله): with `zwnj_as_space` (default) it counts as a space, so «به‌موقع» and «به موقع»
      compare equal; otherwise runs of ZWNJ collapse to one and a ZWNJ next to a space or at either end
      is dropped;
    - whitespace runs collapse to one space; leading and trailing space is stripped.
    """
    s = text.translate(_LETTERS).translate(_TO_LATIN)
    s = _DIACRITICS.sub("", s)
    s = _INVISIBLE.sub("", s)
    if zwnj_as_space:
        s = s.replace(ZWNJ, " ")
    else:
        s = re.sub(f"{ZWNJ}+", ZWNJ, s)
        s = re.sub(rf"{ZWNJ}(?=\s)|(?<=\s){ZWNJ}", "", s)
    return _SPACES.sub(" ", s).strip().strip(ZWNJ)


def _as_jalali(d: date | datetime) -> jdatetime.date:
    if isinstance(d, datetime):
        d = d.date()
    return jdatetime.date.fromgregorian(date=d)


def jalali_month_name(month: int) -> str:
    """The Persian name of Jalali month 1..12 (فروردین … اسفند)."""
    from pipelines.i18n.messages import t

    return t(f"calendar.month.{month}")


def jalali_weekday_name(d: date | datetime) -> str:
    """The Persian weekday of a Gregorian date (شنبه … جمعه)."""
    from pipelines.i18n.messages import t

    return t(f"calendar.weekday.{_as_jalali(d).weekday()}")  # jdatetime: 0 = Saturday


def jalali_date(d: date | datetime, *, with_year: bool = True, with_weekday: bool = False) -> str:
    """A Gregorian date as a Persian Jalali date, e.g. 2026-11-25 → «۴ آذر ۱۴۰۵».

    A datetime is taken at its own wall-clock date; convert it to Tehran time first (`to_tehran`).
    """
    j = _as_jalali(d)
    text = f"{j.day} {jalali_month_name(j.month)}"
    if with_year:
        text += f" {j.year}"
    if with_weekday:
        text = f"{jalali_weekday_name(d)} {text}"
    return to_persian_digits(text)


def jalali_iso(d: date | datetime) -> str:
    """A Gregorian date as a numeric Jalali date, e.g. 2026-11-26 → '۱۴۰۵/۰۹/۰۵'."""
    j = _as_jalali(d)
    return to_persian_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")


def to_tehran(value: datetime | str, *, naive_tz: tzinfo = UTC) -> datetime:
    """A timestamp (datetime or ISO-8601 string) in Tehran time. Naive values are taken as UTC."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=naive_tz)
    return dt.astimezone(TEHRAN)


def _decimal(x: int | float | Decimal | str) -> Decimal:
    try:
        return Decimal(str(x)) if not isinstance(x, Decimal) else x
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {x!r}") from exc


def format_number(x: int | float | Decimal | None, decimals: int = 0) -> str:
    """A number in Persian digits with '٬' thousands and '٫' decimal separators, rounded half up.

    `None` and NaN give «—». Negative numbers get a true minus sign, isolated so it stays on the left.
    """
    if x is None:
        return "—"
    value = _decimal(x)
    if value.is_nan():
        return "—"
    if value.is_infinite():
        return "∞" if value > 0 else f"{_LRI}{MINUS}∞{_PDI}"
    quantum = Decimal(1).scaleb(-decimals)
    with localcontext() as context:  # enough digits for any finite value: 1e308 is shown, never a crash
        context.prec = max(context.prec, value.adjusted() + decimals + 2)
        value = value.quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{abs(value):,.{decimals}f}"
    text = to_persian_digits(text)
    if value < 0:
        return f"{_LRI}{MINUS}{text}{_PDI}"
    return text


def format_toman(rial: int | None) -> str:
    """An amount in rials shown in tomans (rial / 10, rounded half up), e.g. 1234560 → «۱۲۳٬۴۵۶ تومان»."""
    from pipelines.i18n.messages import t

    if rial is None:
        return "—"
    return t("unit.toman_amount", amount=format_number(_decimal(rial) / 10, 0))


def format_percent(fraction: float | None, decimals: int = 1) -> str:
    """A fraction 0..1 as a Persian percentage, e.g. 0.025 → «۲٫۵٪»; `None` and NaN give «—»."""
    from pipelines.i18n.messages import t

    if fraction is None or (isinstance(fraction, float) and fraction != fraction):
        return "—"
    return t("unit.percent", value=format_number(float(fraction) * 100, decimals))
