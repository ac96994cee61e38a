"""Access by role, enforced in the data-access layer: an officer of province A never gets anything of B.

Every public query and write of `pipelines.dashboard.access` is exercised here with an officer of A asking,
by every parameter it takes, for B's findings, sellers, figures and evidence; `test_every_path_is_covered`
fails when a new query is added without a test here.
"""

from __future__ import annotations

import inspect
import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from pipelines.dashboard import access
from pipelines.dashboard.access import AccessDenied, Viewer
from pipelines.dashboard.users import covered_units, viewer_for
from pipelines.findings import tables as findings_tables
from pipelines.store.engine import store_engine

pytestmark = pytest.mark.db

COVERED = {
    "checked_days", "visible_provinces", "taxon_names", "province_figures", "findings", "finding",
    "verdict_history", "seller_scorecards", "seller_trend", "finding_evidence", "give_verdicts", "last_batch",
    "undo_batch", "scope",
    # by role, in tests/dashboard/test_rates_and_rule_breaks.py::test_rates_and_rule_breaks_follow_the_viewers_scope
    "rates", "rule_breaks",
}


def _officer(province: str, name: str = "officer_a") -> Viewer:
    return Viewer(user_name=name, display_name=name, role=access.OFFICER, province_id=province)


COORD = Viewer(user_name="fardap", display_name="سارا کریمی", role=access.COORDINATOR)


@pytest.fixture
def store(dash_settings, dash_store):
    engine = store_engine(dash_settings)
    yield engine, dash_store
    engine.dispose()


def _ids_of(conn, province: str) -> list[str]:
    f = findings_tables.finding
    return list(conn.execute(select(f.c.finding_id).where(f.c.province_id == province)
                             .order_by(f.c.finding_id)).scalars())


def _verdict_rows(conn) -> int:
    return conn.execute(select(func.count()).select_from(findings_tables.finding_verdict)).scalar_one()


def test_every_path_is_covered():
    """Each public function of the access layer that takes a viewer is one this file tests."""
    public = {name for name, fn in inspect.getmembers(access, inspect.isfunction)
              if fn.__module__ == access.__name__ and not name.startswith("_")
              and "viewer" in inspect.signature(fn).parameters}
    assert public == COVERED, f"add access tests for: {sorted(public - COVERED)}"


def test_officer_of_a_reads_nothing_of_b(store):
    engine, ds = store
    a, b = ds.province_a, ds.province_b
    officer = _officer(a)
    day = ds.days[-1]
    with engine.connect() as conn:
        b_ids = _ids_of(conn, b)
        assert b_ids, "province B needs findings for this test to mean anything"
        b_seller = conn.execute(select(findings_tables.finding.c.seller_id)
                                 .where(findings_tables.finding.c.province_id == b)
                                .limit(1)).scalar_one()

        assert access.checked_days(conn, officer) == sorted(ds.days, reverse=True)
        assert access.visible_provinces(conn, officer)["province_id"].tolist() == [a]
        assert access.taxon_names(conn, officer, []) == {}

        figures = access.province_figures(conn, officer, ds.days[0], day)
        assert set(figures["province_id"]) == {a} and len(figures) == len(ds.days)
        assert access.province_figures(conn, officer, ds.days[0], day, province_id=b).empty
        assert len(access.province_figures(conn, COORD, ds.days[0], day)) == 31 * len(ds.days)

        mine = access.findings(conn, officer, day)
        assert not mine.empty and set(mine["province_id"]) == {a}
        assert access.findings(conn, officer, day, province_id=b).empty
        assert access.findings(conn, officer, day, seller_id=b_seller).empty
        assert set(access.findings(conn, COORD, day, province_id=b)["province_id"]) == {b}

        for fid in b_ids:
            assert access.finding(conn, officer, fid) is None
            assert access.finding_evidence(conn, officer, fid) is None
            assert access.verdict_history(conn, officer, fid).empty
        assert access.finding(conn, COORD, b_ids[0])["province_id"] == b
        # an id that does not exist answers the same as one of B
        assert access.finding(conn, officer, "no-such-finding") is None

        cards_b = access.seller_scorecards(conn, COORD, day, 30, province_id=b)
        assert not cards_b.empty
        assert access.seller_scorecards(conn, officer, day, 30, province_id=b).empty
        assert set(access.seller_scorecards(conn, officer, day, 30)["province_id"]) <= {a}
        assert access.seller_trend(conn, officer, cards_b["seller_id"].iloc[0], 30).empty
        assert not access.seller_trend(conn, COORD, cards_b["seller_id"].iloc[0], 30).empty


def test_officer_of_a_cannot_judge_b(store):
    engine, ds = store
    a, b = ds.province_a, ds.province_b
    officer = _officer(a)
    with engine.begin() as conn:
        a_ids, b_ids = _ids_of(conn, a), _ids_of(conn, b)
        before = _verdict_rows(conn)
        with pytest.raises(AccessDenied):
            access.give_verdicts(conn, officer, [b_ids[0]], "false_positive", "not mine")
        with pytest.raises(AccessDenied):  # one foreign finding refuses the whole batch
            access.give_verdicts(conn, officer, [a_ids[0], b_ids[0]], "acknowledged", None)
        assert _verdict_rows(conn) == before

        # B's officer judges B; A's officer can neither see that batch nor undo it
        batch = access.give_verdicts(conn, _officer(b, "officer_b"), b_ids[:2], "acknowledged", "دیدم")
        assert batch.recorded == 2
        assert access.last_batch(conn, officer) is None
        with pytest.raises(AccessDenied):
            access.undo_batch(conn, officer, batch.batch_id)
        assert access.last_batch(conn, _officer(b, "officer_b"))["batch_id"] == batch.batch_id


def test_rahyar_sees_only_the_units_their_team_covers(store):
    engine, ds = store
    with engine.connect() as conn:
        user = {"user_name": "rahyar_a", "display_name": "r", "role": "rahyar", "province_id": ds.province_a,
                "team_id": ds.team_a}
        rahyar = viewer_for(conn, user, ds.days[-1])
        assert rahyar.unit_ids == covered_units(conn, ds.team_a, ds.days[-1]) and rahyar.unit_ids
        seen = access.findings(conn, rahyar, ds.days[-1], days=30)
        assert not seen.empty
        assert set(seen["unit_id"]) <= rahyar.unit_ids and set(seen["province_id"]) == {ds.province_a}
        # every finding they see names their team in its routing (as the reports routed it)
        assert seen["routing"].map(lambda r: ds.team_a in json.dumps(json.loads(r))).all()
        everything = access.findings(conn, COORD, ds.days[-1], days=30, province_id=ds.province_a)
        assert len(everything) > len(seen)
        hidden = everything[~everything["finding_id"].isin(seen["finding_id"])]["finding_id"].iloc[0]
        assert access.finding(conn, rahyar, hidden) is None
        assert access.province_figures(conn, rahyar, ds.days[0], ds.days[-1]).empty  # no province-wide figures
        with pytest.raises(AccessDenied):
            access.give_verdicts(conn, rahyar, seen["finding_id"].head(1).tolist(), "acknowledged", None)


def test_unknown_role_and_missing_scope_see_nothing(store):
    engine, ds = store
    with engine.connect() as conn:
        for viewer in (Viewer("x", "x", "someone_else"), Viewer("y", "y", access.OFFICER, province_id=None),
                       Viewer("z", "z", access.RAHYAR, province_id=ds.province_a)):
            assert access.findings(conn, viewer, ds.days[-1], days=30).empty
            assert access.province_figures(conn, viewer, ds.days[0], ds.days[-1]).empty
            assert access.seller_scorecards(conn, viewer, ds.days[-1], 30).empty


def test_bulk_verdict_and_undo_keep_the_history(store):
    engine, ds = store
    officer = _officer(ds.province_a)
    with engine.begin() as conn:
        ids = _ids_of(conn, ds.province_a)[:3]
        first = access.give_verdicts(conn, officer, ids[:1], "actioned", "پیگیری شد")
        batch = access.give_verdicts(conn, officer, ids, "false_positive", "اشتباه")
        assert (first.recorded, batch.recorded) == (1, 3)
        assert set(access.findings(conn, officer, ds.days[-1], days=30, verdicts=["false_positive"])["finding_id"]
                   ) >= set(ids)
        assert access.undo_batch(conn, officer, batch.batch_id) == 3
        with pytest.raises(ValueError):
            access.undo_batch(conn, officer, batch.batch_id)
        now = {i: access.finding(conn, officer, i) for i in ids}
        assert (now[ids[0]]["verdict"], now[ids[0]]["verdict_note"]) == ("actioned", "پیگیری شد")
        assert all(now[i]["verdict"] is None for i in ids[1:])  # withdrawn: no current verdict
        history = access.verdict_history(conn, officer, ids[1])
        assert history["verdict"].tolist() == ["false_positive", "withdrawn"]
        assert access.findings(conn, officer, ds.days[-1], days=30, verdicts=["none"])["finding_id"].isin(
            ids[1:]).sum() == 2
        # the next undo offered is the earlier batch
        assert access.last_batch(conn, officer)["batch_id"] == first.batch_id
        labels = pd.read_sql(select(findings_tables.finding_verdict.c.verdict), conn)
        assert "withdrawn" in set(labels["verdict"])


def test_evidence_behind_a_delivery_finding(store):
    engine, ds = store
    officer = _officer(ds.province_a)
    f = findings_tables.finding
    with engine.connect() as conn:
        fid, delivery = conn.execute(select(f.c.finding_id, f.c.entity_id).where(
            f.c.province_id == ds.province_a, f.c.entity_type == "delivery").limit(1)).one()
        ev = access.finding_evidence(conn, officer, fid)
    assert len(ev.offer) == 1 and len(ev.orders) == 1
    assert delivery in set(ev.deliveries["delivery_id"])
    assert set(ev.deliveries["order_id"]) == set(ev.orders["order_id"])
    assert "buyer_member_id" not in ev.orders.columns  # no buyer data on screen
