"""Rates with their denominators (issue 16), against a small world computed by hand, on SQLite and PostgreSQL.

Three sellers in two provinces, a few due-day cohorts in `seller_activity_daily`, one of them older than the
30-day window; every expected figure below is worked out in the comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pipelines.checks.tables import seller_activity_daily
from pipelines.ingest.tables import stg_sellers
from pipelines.reference import tables as ref
from pipelines.reports.model import Rate
from pipelines.reports.rates import comparison, entity_rates, rate_text, rates_of_day, report_rates
from pipelines.reports.render import render_province_report
from pipelines.reports.sample import sample_province_report
from pipelines.store.engine import store_engine
from pipelines.store.migrate import upgrade_store

pytestmark = pytest.mark.db

D = date(2026, 11, 19)
# seller, cohort day, resolved, delivered, judged (orders_completed), late, defects, seller cancels
COHORTS = [
    ("s1", D, 10, 8, 9, 3, 2, 1),
    ("s1", D - timedelta(days=3), 20, 20, 20, 0, 1, 0),
    ("s1", D - timedelta(days=20), 30, 25, 28, 7, 5, 2),
    ("s2", D, 5, 5, 5, 1, 0, 0),
    ("s2", D - timedelta(days=40), 100, 100, 100, 50, 50, 0),  # older than every window
    ("s3", D - timedelta(days=6), 40, 36, 38, 2, 3, 2),
]
# (part, whole) per window 1 / 7 / 30: on time = judged - late of judged; defect of delivered; cancel of resolved
EXPECTED = {
    ("seller", "s1"): {"on_time": {1: (6, 9), 7: (26, 29), 30: (47, 57)},
                       "defect": {1: (2, 8), 7: (3, 28), 30: (8, 53)},
                       "seller_cancel": {1: (1, 10), 7: (1, 30), 30: (3, 60)}},
    ("seller", "s2"): {"on_time": {1: (4, 5), 7: (4, 5), 30: (4, 5)},
                       "defect": {1: (0, 5), 7: (0, 5), 30: (0, 5)},
                       "seller_cancel": {1: (0, 5), 7: (0, 5), 30: (0, 5)}},
    ("province", "1"): {"on_time": {1: (10, 14), 7: (30, 34), 30: (51, 62)},
                        "defect": {1: (2, 13), 7: (3, 33), 30: (8, 58)},
                        "seller_cancel": {1: (1, 15), 7: (1, 35), 30: (3, 65)}},
    ("province", "2"): {"on_time": {1: (0, 0), 7: (36, 38), 30: (36, 38)},
                        "defect": {1: (0, 0), 7: (3, 36), 30: (3, 36)},
                        "seller_cancel": {1: (0, 0), 7: (2, 40), 30: (2, 40)}},
}
NATIONAL = {"on_time": {1: (10, 14), 7: (66, 72), 30: (87, 100)},
            "defect": {1: (2, 13), 7: (6, 69), 30: (11, 94)},
            "seller_cancel": {1: (1, 15), 7: (3, 75), 30: (5, 105)}}


def _small_world(engine) -> None:
    upgrade_store(engine)
    long_ago = date(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(ref.province.insert(), [
            {"province_id": "1", "name_fa": "آذربایجان شرقی", "capital_name_fa": "تبریز"},
            {"province_id": "2", "name_fa": "آذربایجان غربی", "capital_name_fa": "ارومیه"}])
        conn.execute(ref.region.insert(), [
            {"region_id": "R1", "province_id": "1", "kind": "county", "name_fa": "تبریز"},
            {"region_id": "R2", "province_id": "2", "kind": "county", "name_fa": "ارومیه"}])
        conn.execute(ref.unit.insert(), [
            {"unit_id": u, "valid_from": long_ago, "kind": "supplier", "name_fa": f"واحد {u}", "province_id": p,
             "region_id": r, "in_capital": False} for u, p, r in (("UA", "1", "R1"), ("UB", "2", "R2"))])
        conn.execute(stg_sellers.insert(), [
            {"seller_id": s, "updated_at": datetime(2026, 2, 1, tzinfo=UTC), "unit_id": u,
             "display_name": f"فروشگاه {s}", "first_run_id": "test"}
            for s, u in (("s1", "UA"), ("s2", "UA"), ("s3", "UB"))])
        conn.execute(seller_activity_daily.insert(), [
            {"seller_id": s, "day": d, "deliveries_resolved": res, "deliveries_delivered": dlv,
             "orders_completed": jdg, "orders_late": late, "quality_defects": dfc, "seller_cancellations": cnc,
             "late_value_rial": 0, "defect_value_rial": 0, "cancel_value_rial": 0}
            for s, d, res, dlv, jdg, late, dfc, cnc in COHORTS])


def _check(engine) -> None:
    with engine.connect() as conn:
        rates = rates_of_day(conn, D)
    for (kind, entity_id), measures in EXPECTED.items():
        got = entity_rates(rates, kind, entity_id, entity_id)
        for m in got.measures:
            for window, (part, whole) in measures[m.measure].items():
                rate = m.windows[window]
                assert (rate.part, rate.whole) == (part, whole), (kind, entity_id, m.measure, window)
                if whole:
                    assert rate.rate == pytest.approx(part / whole)
                else:
                    assert rate.rate is None
                npart, nwhole = NATIONAL[m.measure][window]
                assert (m.national[window].part, m.national[window].whole) == (npart, nwhole)
                assert m.national[window].rate == pytest.approx(npart / nwhole)
    # a seller is looked up in its own province only
    assert report_rates(rates, "2", "آذربایجان غربی", [("s1", "s1")])[1].measures[0].windows[7].whole == 0


def test_rates_on_sqlite(settings_for):
    settings = settings_for()
    engine = store_engine(settings)
    _small_world(engine)
    _check(engine)
    engine.dispose()


def test_rates_on_postgresql(pg_database, settings_for):
    settings = settings_for(store_url=pg_database)
    engine = store_engine(settings)
    _small_world(engine)
    _check(engine)
    engine.dispose()


def test_a_rate_reads_with_its_denominator_and_against_the_country():
    assert rate_text(Rate(12, 480, 12 / 480), "defect") == "۱۲ از ۴۸۰ سفارش تحویل‌شده، ۲٫۵٪"
    assert rate_text(Rate(26, 29, 26 / 29), "on_time") == "۲۶ از ۲۹ سفارش، ۸۹٫۷٪"
    assert rate_text(Rate(0, 0, None), "on_time") == "—"
    # on time: higher is better; defects: lower is better
    assert comparison(Rate(26, 29, 26 / 29), Rate(66, 72, 66 / 72), "on_time") == (
        "کشور ۹۱٫۷٪؛ ۲٫۰ واحد درصد بدتر", "worse")
    assert comparison(Rate(3, 28, 3 / 28), Rate(6, 69, 6 / 69), "defect")[1] == "worse"
    assert comparison(Rate(1, 30, 1 / 30), Rate(3, 75, 3 / 75), "seller_cancel")[1] == "better"
    assert comparison(Rate(0, 0, None), Rate(3, 75, 3 / 75), "seller_cancel") == ("کشور: ۴٫۰٪", "none")


def test_the_report_shows_rates_with_denominators():
    page = render_province_report(sample_province_report())
    assert 'id="rates"' in page and 'id="seller-rates"' in page
    # the province's rates lead, the flagged sellers' follow the top findings
    assert page.index('id="rates"') < page.index('class="top"') < page.index('id="seller-rates"')
    assert "۴۶۸ از ۴۸۰ سفارش، ۹۷٫۵٪" in page  # the province, on the day
    assert "فروشنده: فروشگاه برنج طلایی ۲" in page
    assert page.count('class="rate-cell"') == 2 * 3 * 3  # two entities, three measures, three windows
