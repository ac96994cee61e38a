"""The dashboard's logic through Streamlit's AppTest: login, the national view, the inbox's verdicts and undo,
and deep links that respect access."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from pipelines.dashboard import access
from pipelines.dashboard.cli import APP_ENTRY
from pipelines.findings import tables as findings_tables
from pipelines.store.engine import store_engine

pytestmark = pytest.mark.db

LATIN_DIGIT = re.compile(r"[0-9]")


def _app() -> AppTest:
    at = AppTest.from_string(APP_ENTRY, default_timeout=30)
    return at.run()


def _login(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    _button(at, "ورود").click()
    return at.run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _finding_of(settings, province: str) -> str:
    engine = store_engine(settings)
    with engine.connect() as conn:
        fid = conn.execute(select(findings_tables.finding.c.finding_id)
                           .where(findings_tables.finding.c.province_id == province)
                           .order_by(findings_tables.finding.c.finding_id).limit(1)).scalar_one()
    engine.dispose()
    return fid


def test_wrong_password_is_refused(dash_settings):
    at = _login(_app(), "fardap", "not-the-password")
    assert [e.value for e in at.error] == ["نام کاربری یا گذرواژه درست نیست."]
    assert not at.radio  # no page behind the login


def test_coordinator_sees_the_national_view(dash_settings, dash_store):
    at = _login(_app(), "fardap", "coordinator-pass")
    assert not at.exception
    assert at.title[0].value == "داشبورد رصد امبازار"
    assert at.radio(key="page").options == ["نمای کشوری", "صندوق یافته‌ها", "قواعد سازمان"]
    # the Jalali day picker: the newest monitored day first, in Persian
    day = at.selectbox(key="day")
    assert day.value == dash_store.days[-1]
    assert all(not LATIN_DIGIT.search(o) for o in day.options)
    page = _markdown(at)
    table = re.search(r'<table class="rasad" dir="rtl" id="province-table">.*?</table>', page, re.S).group(0)
    assert table.count("<tr>") == 31 + 1  # 31 provinces and the header
    assert not LATIN_DIGIT.search(re.sub(r"<[^>]+>", "", table))
    # drill down: a province, then a seller
    at.selectbox(key="drill_province").select(dash_store.province_a).run()
    assert 'id="seller-table"' in _markdown(at)
    at.selectbox(key="drill_seller").select_index(1).run()
    assert not at.exception
    assert at.selectbox(key="seller_findings_open") or at.info  # the seller's findings, or none


def test_officer_inbox_bulk_verdict_and_undo(dash_settings, dash_store):
    at = _login(_app(), "officer_a", "officer-a-pass")
    assert at.radio(key="page").options == ["نمای استان", "صندوق یافته‌ها"]
    at.radio(key="page").set_value("inbox").run()
    at.multiselect(key="f_severity").set_value(["critical"]).run()
    engine = store_engine(dash_settings)
    with engine.connect() as conn:
        officer = access.Viewer("officer_a", "داوود موسوی", access.OFFICER, province_id=dash_store.province_a)
        critical = access.findings(conn, officer, dash_store.days[-1], severities=["critical"])
    assert len(critical) >= 2
    at.multiselect(key="bulk_ids").set_value(critical["finding_id"].head(2).tolist())
    at.radio(key="bulk_verdict").set_value("false_positive")
    at.text_input(key="bulk_note").input("بررسی شد؛ هشدار نادرست")
    _button(at, "ثبت نظر برای یافته‌های انتخاب‌شده").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["نظر «هشدار نادرست» برای ۲ یافته ثبت شد."]

    v = findings_tables.finding_verdict
    with engine.connect() as conn:
        rows = conn.execute(select(v.c.finding_id, v.c.verdict, v.c.note, v.c.given_by)).all()
    assert len(rows) == 2 and {r.verdict for r in rows} == {"false_positive"}
    assert {r.given_by for r in rows} == {"داوود موسوی"}

    at.button(key="undo").click().run()
    assert [s.value for s in at.success] == ["ثبت قبلی برگردانده شد؛ ۲ نظر به حالت پیشین بازگشت و در سابقه ماند."]
    with engine.connect() as conn:
        verdicts = sorted(r.verdict for r in conn.execute(select(v.c.verdict)))
    assert verdicts == ["false_positive", "false_positive", "withdrawn", "withdrawn"]
    engine.dispose()


def test_deep_links_respect_access(dash_settings, dash_store):
    own, foreign = _finding_of(dash_settings, dash_store.province_a), _finding_of(dash_settings, dash_store.province_b)
    at = AppTest.from_string(APP_ENTRY, default_timeout=30)
    at.query_params["finding"] = foreign
    at = _login(at.run(), "officer_a", "officer-a-pass")
    assert [e.value for e in at.error] == ["یافته‌ای با این شناسه در حوزه دسترسی شما نیست."]
    assert "finding-facts" not in _markdown(at)

    at = AppTest.from_string(APP_ENTRY, default_timeout=30)
    at.query_params["finding"] = own
    at = _login(at.run(), "officer_a", "officer-a-pass")
    assert not at.error
    assert 'id="finding-facts"' in _markdown(at)
    at.radio(key="one_verdict").set_value("acknowledged")
    at.text_input(key="one_note").input("با فروشنده تماس گرفته شد")
    _button(at, "ثبت نظر").click().run()
    assert [s.value for s in at.success] == ["نظر «دیده شد» برای ۱ یافته ثبت شد."]
    assert "با فروشنده تماس گرفته شد" in _markdown(at)  # the history now shows it


def test_rahyar_inbox_is_read_only(dash_settings, dash_store):
    at = _login(_app(), "rahyar_a", "rahyar-a-pass")
    assert at.radio(key="page").options == ["صندوق یافته‌ها"]
    assert "نقش شما فقط مشاهده است و نظر ثبت نمی‌کند." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.label == "ثبت نظر برای یافته‌های انتخاب‌شده"]
