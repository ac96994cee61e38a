from __future__ import annotations

from datetime import UTC, date, datetime

import jdatetime
import pytest

from pipelines.i18n.persian import (
    MINUS,
    format_number,
    format_toman,
    jalali_date,
    jalali_iso,
    jalali_weekday_name,
    normalize_persian,
    to_persian_digits,
    to_tehran,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
        ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"),
        ("۱۲۳", "۱۲۳"),
        ("1,234,567.89", "۱٬۲۳۴٬۵۶۷٫۸۹"),
        ("ساعت 14:05", "ساعت ۱۴:۰۵"),
        ("1405/09/05", "۱۴۰۵/۰۹/۰۵"),
        ("CODE-12", "CODE-۱۲"),
        ("end. 3 items, 4 left", "end. ۳ items, ۴ left"),  # '.'/',' not between digits are kept
        ("", ""),
    ],
)
def test_to_persian_digits(text, expected):
    assert to_persian_digits(text) == expected


def test_to_persian_digits_accepts_numbers():
    assert to_persian_digits(2.5) == "۲٫۵"
    assert to_persian_digits(1405) == "۱۴۰۵"


def test_normalize_persian_letters_digits_spaces():
    assert normalize_persian("علي  كتاب\tمي‌خواند ") == "علی کتاب می خواند"
    assert normalize_persian("۱۲۳٫۵ و ٤٥٦٬٠") == "123.5 و 456,0"
    assert normalize_persian("به‌موقع") == normalize_persian("به  موقع")
    assert normalize_persian("\u200fسلام\u200e") == "سلام"
    assert normalize_persian("كيفيت") == normalize_persian("کیفیت")


def test_normalize_persian_keeping_zwnj():
    assert normalize_persian("می\u200c\u200cرود \u200c", zwnj_as_space=False) == "می\u200cرود"
    assert normalize_persian("\u200cبه\u200c موقع", zwnj_as_space=False) == "به موقع"


@pytest.mark.parametrize(
    ("gregorian", "expected"),
    [
        (date(2026, 11, 25), "۴ آذر ۱۴۰۵"),
        (date(2026, 11, 26), "۵ آذر ۱۴۰۵"),
        (date(2026, 3, 21), "۱ فروردین ۱۴۰۵"),
        (date(2026, 3, 20), "۲۹ اسفند ۱۴۰۴"),
        (date(2025, 3, 20), "۳۰ اسفند ۱۴۰۳"),  # 1403 is a leap year
        (date(2024, 3, 20), "۱ فروردین ۱۴۰۳"),
    ],
)
def test_jalali_date_known_dates(gregorian, expected):
    assert jalali_date(gregorian) == expected
    j = jdatetime.date.fromgregorian(date=gregorian)
    from_jdatetime = f"{j.day} {jdatetime.date.j_months_fa[j.month - 1]} {j.year}"
    assert expected == to_persian_digits(from_jdatetime)


def test_jalali_date_options_and_weekday():
    d = date(2026, 11, 25)
    assert jalali_weekday_name(d) == "چهارشنبه"
    assert jalali_date(d, with_weekday=True) == "چهارشنبه ۴ آذر ۱۴۰۵"
    assert jalali_date(d, with_year=False) == "۴ آذر"
    assert jalali_date(datetime(2026, 11, 25, 23, 0)) == "۴ آذر ۱۴۰۵"
    for offset in range(7):
        g = date(2026, 11, 21 + offset)
        j = jdatetime.date.fromgregorian(date=g)
        assert jalali_weekday_name(g) == jdatetime.date.j_weekdays_fa[j.weekday()]


def test_jalali_iso():
    assert jalali_iso(date(2026, 11, 26)) == "۱۴۰۵/۰۹/۰۵"
    assert jalali_iso(date(2026, 3, 21)) == "۱۴۰۵/۰۱/۰۱"


def test_to_tehran():
    assert to_tehran("2026-11-26T06:50:00Z").strftime("%Y-%m-%d %H:%M") == "2026-11-26 10:20"
    assert to_tehran("2026-11-26T06:50:00").strftime("%H:%M") == "10:20"  # naive = UTC
    assert to_tehran(datetime(2026, 11, 25, 21, 0, tzinfo=UTC)).date() == date(2026, 11, 26)


@pytest.mark.parametrize(
    ("rial", "expected"),
    [
        (1_234_560, "۱۲۳٬۴۵۶ تومان"),
        (0, "۰ تومان"),
        (10, "۱ تومان"),
        (15, "۲ تومان"),  # half up
        (184_000_000, "۱۸٬۴۰۰٬۰۰۰ تومان"),
    ],
)
def test_format_toman(rial, expected):
    assert format_toman(rial) == expected


def test_format_number():
    assert format_number(1234567) == "۱٬۲۳۴٬۵۶۷"
    assert format_number(1234567.891, 2) == "۱٬۲۳۴٬۵۶۷٫۸۹"
    assert format_number(2.5) == "۳"
    assert format_number(0.125, 2) == "۰٫۱۳"
    assert format_number(3, 1) == "۳٫۰"
    assert format_number(None) == "—"
    assert format_number(float("nan")) == "—"
    negative = format_number(-1500)
    assert MINUS in negative and "۱٬۵۰۰" in negative and "-" not in negative
