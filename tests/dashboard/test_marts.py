"""The marts views draw the same numbers as the pipeline's own reports, on SQLite and on PostgreSQL, and a
verdict recorded from the dashboard shows in the next day's report."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from pipelines.dashboard import access
from pipelines.dashboard.access import Viewer
from pipelines.findings import tables as findings_tables
from pipelines.findings.short_code import finding_short_code
from pipelines.orchestration.daily_steps import new_run_id, write_reports
from pipelines.reports.daily import findings_of_day
from pipelines.store import metadata as store_metadata
from pipelines.store.engine import store_engine
from pipelines.store.migrate import upgrade_store

pytestmark = pytest.mark.db

COORD = Viewer(user_name="fardap", display_name="fardap", role=access.COORDINATOR)


def test_province_day_agrees_with_the_reports_and_the_scorecards(dash_settings, dash_store):
    engine = store_engine(dash_settings)
    with engine.connect() as conn:
        for day in dash_store.days:
            figures = access.province_figures(conn, COORD, day, day).set_index("province_id")
            listed = findings_of_day(conn, day)
            per_province = listed.groupby("province_id").size()
            assert figures["open_findings"].sum() == len(listed[listed["province_id"].notna()])
            pd.testing.assert_series_equal(
                figures["open_findings"][figures["open_findings"] > 0].sort_index(),
                per_province.sort_index().astype(figures["open_findings"].dtype), check_names=False)
            critical = listed[listed["severity"] == "critical"].groupby("province_id").size()
            assert figures["critical_findings"].sum() == critical.sum()
            activity = pd.read_sql(select(store_metadata.metadata.tables["monitoring.seller_activity_daily"])
                                   .where(sa.column("day") == day), conn)
            assert figures["orders_completed"].sum() <= activity["orders_completed"].sum()
            rated = figures[figures["orders_completed"] > 0]
            expected = 1 - rated["orders_late"] / rated["orders_completed"]
            assert (rated["on_time_rate"] - expected).abs().max() < 1e-9
            assert figures["on_time_rate"].dropna().between(0, 1).all()
    engine.dispose()


def test_a_verdict_from_the_inbox_shows_in_the_next_days_report(dash_settings, dash_store):
    """A false_positive given on day 1 keeps the (still observed) finding out of day 2's report; undo brings it
    back."""
    first, second = dash_store.days
    engine = store_engine(dash_settings)
    officer = Viewer(user_name="officer_a", display_name="officer", role=access.OFFICER,
                     province_id=dash_store.province_a)
    with engine.begin() as conn:
        listed = findings_of_day(conn, second)
        ongoing = listed[(listed["province_id"] == dash_store.province_a) & (listed["status"] == "ongoing")]
        assert not ongoing.empty, "province A needs a finding still observed on day 2"
        target = ongoing["finding_id"].iloc[0]
        batch = access.give_verdicts(conn, officer, [target], "false_positive", "قرارداد تمدید شده بود")
    report = dash_settings.reports_dir / second.isoformat() / f"{dash_store.province_a}.html"
    code = finding_short_code(target).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

    write_reports(dash_settings, second, new_run_id(second, "report"))
    assert code not in report.read_text(encoding="utf-8")
    with engine.connect() as conn:
        assert target not in set(findings_of_day(conn, second)["finding_id"])
        figures = access.province_figures(conn, COORD, second, second, province_id=dash_store.province_a)
        assert int(figures["open_findings"].iloc[0]) == len(ongoing) + int(
            (listed[(listed["province_id"] == dash_store.province_a)]["status"] == "new").sum()) - 1

    with engine.begin() as conn:
        access.undo_batch(conn, officer, batch.batch_id)
    write_reports(dash_settings, second, new_run_id(second, "report"))
    with engine.connect() as conn:
        assert target in set(findings_of_day(conn, second)["finding_id"])
    engine.dispose()


def _copy_store(source: sa.Engine, target: sa.Engine) -> None:
    """Copy every table of the SQLite store into a migrated PostgreSQL store."""
    with source.connect() as src, target.begin() as dst:
        for table in store_metadata.metadata.sorted_tables:
            rows = [dict(r) for r in src.execute(select(table)).mappings()]
            for start in range(0, len(rows), 20_000):
                dst.execute(sa.insert(table), rows[start:start + 20_000])


def test_marts_and_access_agree_on_postgresql(dash_settings, dash_store, pg_database):
    """The same store on PostgreSQL gives the same figures and findings, and the same refusals."""
    lite = store_engine(dash_settings)
    pg = sa.create_engine(pg_database)
    upgrade_store(pg)
    _copy_store(lite, pg)
    a, b = dash_store.province_a, dash_store.province_b
    officer = Viewer(user_name="officer_a", display_name="officer", role=access.OFFICER, province_id=a)
    day, first = dash_store.days[-1], dash_store.days[0]
    answers = {}
    for name, engine in (("sqlite", lite), ("postgresql", pg)):
        with engine.begin() as conn:
            figures = access.province_figures(conn, COORD, first, day).sort_values(["day", "province_id"])
            mine = access.findings(conn, officer, day, days=30)
            b_id = conn.execute(select(findings_tables.finding.c.finding_id)
                                .where(findings_tables.finding.c.province_id == b)
                                .limit(1)).scalar_one()
            assert access.finding(conn, officer, b_id) is None
            assert access.finding_evidence(conn, officer, b_id) is None
            with pytest.raises(access.AccessDenied):
                access.give_verdicts(conn, officer, [b_id], "acknowledged", None)
            cards = access.seller_scorecards(conn, officer, day, 30)
            ev = access.finding_evidence(conn, officer, mine["finding_id"].iloc[0])
            answers[name] = (figures, mine, cards, ev)
    (f1, m1, c1, e1), (f2, m2, c2, e2) = answers["sqlite"], answers["postgresql"]
    columns = ["province_id", "orders_completed", "orders_late", "quality_defects", "price_anomalies",
               "open_findings", "critical_findings", "new_findings"]
    pd.testing.assert_frame_equal(f1[columns].reset_index(drop=True).astype(str),
                                  f2[columns].reset_index(drop=True).astype(str))
    assert (f1["on_time_rate"].fillna(-1).to_numpy() - f2["on_time_rate"].fillna(-1).to_numpy()).max() < 1e-9
    assert m1["finding_id"].tolist() == m2["finding_id"].tolist()
    assert m1["status"].tolist() == m2["status"].tolist()
    assert sorted(c1["seller_id"]) == sorted(c2["seller_id"])
    assert e1.orders["order_id"].tolist() == e2.orders["order_id"].tolist()
    lite.dispose()
    pg.dispose()
