from __future__ import annotations

import re

import jdatetime
import pytest

from pipelines import vocabulary
from pipelines.checks import price, quality
from pipelines.i18n.messages import MESSAGES, label, t
from pipelines.source import contract

pytestmark = pytest.mark.unit


def test_unknown_key_raises_key_error():
    with pytest.raises(KeyError):
        t("rule.no_such_rule")
    with pytest.raises(KeyError):
        t("")


def test_missing_placeholder_raises_key_error():
    with pytest.raises(KeyError):
        t("status.ongoing_since")


@pytest.mark.parametrize(
    ("kind", "keys"),
    [
        ("rule", tuple(vocabulary.RULES)),
        ("check", vocabulary.CHECKS),
        ("severity", vocabulary.SEVERITIES),
        ("status", (*vocabulary.STATUSES, vocabulary.PAST)),
        ("verdict", (*vocabulary.VERDICTS, vocabulary.WITHDRAWN)),
        ("signal", quality.SIGNALS),
        ("complaint", contract.COMPLAINTS),
        ("grade", contract.RECEIVED_QUALITIES),
        ("entity", vocabulary.ENTITY_TYPES),
        ("scope", price.PRICE_SCOPES),
    ],
)
def test_every_identifier_has_a_message(kind, keys):
    missing = [k for k in keys if f"{kind}.{k}" not in MESSAGES]
    assert not missing, f"no {kind} message for {missing}"


def test_required_names():
    assert t("rule.late_delivery") == "تحویل با تأخیر"
    assert t("rule.overdue_order") == "سفارش معوق"
    assert t("rule.seller_cancellation") == "لغو توسط فروشنده"
    assert t("rule.quality_defect") == "کیفیت خلاف وعده"
    assert t("rule.price_peer_band") == "قیمت نامتعارف نسبت به همتایان"
    assert t("check.on_time") == "به‌موقع بودن"
    assert t("check.quality") == "کیفیت"
    assert t("check.price") == "قیمت"
    assert [t(f"grade.{g}") for g in "ABC"] == ["درجه یک", "درجه دو", "درجه سه"]


def test_t_formats_and_converts_digits():
    assert t("report.summary.prev_avg", days=7) == "میانگین روزانه ۷ روز پیش"
    assert t("evidence.delivered_of_ordered", delivered=8, ordered="10") == "مقدار تحویل‌شده: ۸ از ۱۰"


def test_catalogue_is_read_only():
    with pytest.raises(TypeError):
        MESSAGES["rule.late_delivery"] = "x"  # type: ignore[index]


def test_messages_are_persian_only():
    """Officer-facing wording has no Latin letters or digits outside its {placeholders}."""
    for key, text in MESSAGES.items():
        bare = re.sub(r"\{[a-z_]+\}", "", text)
        assert not re.search(r"[A-Za-z0-9]", bare), f"{key}: {text!r}"


def test_calendar_names_agree_with_jdatetime():
    assert [t(f"calendar.month.{m}") for m in range(1, 13)] == list(jdatetime.date.j_months_fa)
    assert [t(f"calendar.weekday.{w}") for w in range(7)] == list(jdatetime.date.j_weekdays_fa)


def test_label_falls_back_to_the_raw_key():
    assert label("rule", "late_delivery") == "تحویل با تأخیر"
    assert label("rule", "stock_mismatch_v2") == "stock_mismatch_v۲"
