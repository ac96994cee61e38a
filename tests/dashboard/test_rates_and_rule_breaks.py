"""The dashboard's data access for issue 16: rates and rule breaks respect the viewer's scope, and the
coordinators' page lists the broken rules with their meaning and since when (through Streamlit's AppTest)."""

from __future__ import annotations

import re

import pytest
from rule_break_helpers import break_rules
from streamlit.testing.v1 import AppTest

from pipelines.dashboard import access
from pipelines.dashboard.access import Viewer
from pipelines.dashboard.cli import APP_ENTRY
from pipelines.dashboard.rule_breaks import summary_rows
from pipelines.i18n.persian import jalali_date
from pipelines.store.engine import store_engine

pytestmark = pytest.mark.db

COORD = Viewer(user_name="fardap", display_name="fardap", role=access.COORDINATOR)


def test_rates_and_rule_breaks_follow_the_viewers_scope(dash_settings, dash_store):
    a, b = dash_store.province_a, dash_store.province_b
    break_rules(dash_settings, dash_store.days, [a, b])
    officer = Viewer(user_name="officer_a", display_name="o", role=access.OFFICER, province_id=a)
    rahyar = Viewer(user_name="rahyar_a", display_name="r", role=access.RAHYAR, province_id=a,
                    unit_ids=frozenset({"x"}))
    day = dash_store.days[-1]
    engine = store_engine(dash_settings)
    with engine.connect() as conn:
        mine = access.rates(conn, officer, day, a)
        assert set(mine["level"]) == {"national", "province", "seller"}
        assert set(mine["province_id"].dropna()) == {a}
        assert access.rates(conn, officer, day, b).empty
        assert access.rates(conn, rahyar, day, a).empty
        every = access.rule_breaks(conn, COORD, day)
        assert set(every["province_id"]) == {a, b}
        assert set(every["rule"]) == {"one_officer_per_province_with_fardap"}
        assert (every["episode_start_day"] == dash_store.days[0]).all()  # broken since the first day checked
        assert set(access.rule_breaks(conn, officer, day)["province_id"]) == {a}
        assert access.rule_breaks(conn, rahyar, day).empty
    engine.dispose()
    rows = summary_rows(every)
    assert rows[0][0] == "یک عنصر رصد و پایش در هر استان، با هماهنگی فرداپ"
    assert rows[0][3] == "۲" and rows[0][5] == jalali_date(dash_store.days[0])


def test_the_coordinators_rule_breaks_page(dash_settings, dash_store):
    break_rules(dash_settings, dash_store.days, [dash_store.province_a])
    at = AppTest.from_string(APP_ENTRY, default_timeout=30).run()
    at.text_input(key="login_user").input("fardap")
    at.text_input(key="login_password").input("coordinator-pass")
    next(b for b in at.button if b.label == "ورود").click()
    at = at.run()
    assert "قواعد سازمان" in at.radio(key="page").options
    at.radio(key="page").set_value("rule_breaks").run()
    assert not at.exception
    page = "\n".join(m.value for m in at.markdown)
    table = re.search(r'<table class="rasad" dir="rtl" id="rule-breaks-table">.*?</table>', page, re.S).group(0)
    text = re.sub(r"<[^>]+>", " ", table)
    assert "هر استان دقیقاً یک عنصر رصد و پایش فعال دارد" in text
    assert jalali_date(dash_store.days[0]) in text
    assert not re.search(r"[0-9]", text)
    entities = re.search(r'id="rule-break-entities">.*?</table>', page, re.S).group(0)
    assert "۲ روز" in entities  # broken on both days checked
