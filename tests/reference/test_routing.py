"""route(unit, day) against hand-worked cases of each coverage rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from org_helpers import MOVED, P2_OFFICER_LEFT, tiny_org

from pipelines.reference.routing import recipients_on, route, route_sellers, route_units
from pipelines.reference.writer import write_reference

pytestmark = pytest.mark.db

DAY = date(2026, 7, 1)


@pytest.fixture(scope="module")
def org_store(store):
    settings, engine = store
    write_reference(tiny_org(), engine, DAY, source="test:tiny")
    return engine


def _teams(entries: list[dict]) -> list[str]:
    return [e.get("team_id") or e.get("affair_id") for e in entries]


def test_a_core_goes_to_the_social_rahyari_of_its_region(org_store):
    with org_store.connect() as conn:
        r = route("u2", DAY, conn)
    assert r["coverage_rule"] == "core_social_rahyari"
    assert _teams(r["rahyari"]) == ["soc-z-1-1"] and r["cc"] == []
    assert r["rahyari"][0]["role"] == "social_rahyari"
    assert r["primary"]["role"] == "monitoring_officer" and r["primary"]["person_id"] == "off-1"
    assert r["primary"]["escalated"] is False


def test_a_capital_supplier_goes_to_the_specialist_of_its_domain_then_sector_then_the_affair(org_store):
    with org_store.connect() as conn:
        by_domain, by_sector, by_affair = (route(u, DAY, conn) for u in ("u3", "u4", "u5"))
    # u3: S01.D1 is held by a domain specialist
    assert by_domain["coverage_rule"] == "capital_supplier_specialized"
    assert _teams(by_domain["rahyari"]) == ["spc-1-S01.D1"] and by_domain["cc"] == []
    # u4: no specialist holds S02.D1, one holds the whole sector S02
    assert _teams(by_sector["rahyari"]) == ["spc-1-S02"]
    # u5: nobody holds S01.D2 nor S01: the province's social-entrepreneurship affair
    assert by_affair["coverage_rule"] == "capital_supplier_affair"
    assert by_affair["rahyari"] == [
        {"role": "social_entrepreneurship_affair", "affair_id": "aff-1-se", "name": "امور کارآفرینی اجتماعی 1",
         "email": "se.1@example.test"}
    ]


def test_a_county_supplier_is_covered_by_the_triangle(org_store):
    with org_store.connect() as conn:
        full = route("u6", DAY, conn)
        no_specialist = route("u7", DAY, conn)
    assert full["coverage_rule"] == "county_supplier_triangle"
    assert _teams(full["rahyari"]) == ["soc-c-1"]
    assert _teams(full["cc"]) == ["spc-1-S01.D1", "aff-1-se"]
    assert [e["role"] for e in full["cc"]] == ["specialized_rahyari", "social_entrepreneurship_affair"]
    # province 2 has no specialist: the county's social rahyari, the affair in copy
    assert _teams(no_specialist["rahyari"]) == ["soc-c-2"] and _teams(no_specialist["cc"]) == ["aff-2-se"]


def test_a_province_without_an_officer_escalates_to_provincial_then_central_fardap(org_store):
    with org_store.connect() as conn:
        before = route("u7", date(2026, 4, 30), conn)
        after = route("u7", P2_OFFICER_LEFT, conn)
        nobody = route("u8", DAY, conn)
        unknown = route("no-such-unit", DAY, conn)
    assert before["primary"]["role"] == "monitoring_officer" and before["primary"]["person_id"] == "off-2"
    assert after["primary"] == {"role": "fardap_provincial", "person_id": "fdp-2", "name": "نام fdp-2",
                                "email": "fdp-2@example.test", "escalated": True, "reason": None}
    # province 3: no officer, no provincial coordinator; its unit's zone has no social rahyari either
    assert nobody["primary"]["role"] == "fardap_central" and nobody["primary"]["person_id"] == "fdp-central"
    assert nobody["rahyari"] == [] and nobody["covered"] is False
    assert unknown["primary"]["role"] == "fardap_central" and unknown["primary"]["reason"] == "unit_unknown"
    assert unknown["coverage_rule"] == "unit_unknown" and unknown["province_id"] is None


def test_routing_follows_the_organisation_as_it_stood_on_the_day(org_store):
    with org_store.connect() as conn:
        assert _teams(route("u1", date(2026, 5, 31), conn)["rahyari"]) == ["soc-c-1"]
        assert _teams(route("u1", MOVED, conn)["rahyari"]) == ["soc-z-1-1"]
        assert route("u1", date(2025, 12, 31), conn)["coverage_rule"] == "unit_unknown"


def test_route_units_is_route_for_many_and_route_sellers_stores_it(org_store):
    ids = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "nope"]
    with org_store.connect() as conn:
        many = route_units(conn, ids, DAY)
        one_by_one = [route(u, DAY, conn) for u in ids]
        sellers = pd.DataFrame({"seller_id": [f"s-{u}" for u in ids], "unit_id": ids})
        routed = route_sellers(recipients_on(conn, DAY), sellers)
    assert list(many["unit_id"]) == ids
    for row, single in zip(many.itertuples(), one_by_one, strict=True):
        stored = json.loads(row.routing)
        assert set(stored) == {"primary", "rahyari", "cc"}
        assert {k: single[k] for k in stored} == stored
        assert row.coverage_rule == single["coverage_rule"]
    assert list(routed["routing"]) == list(many["routing"])
    assert routed.set_index("seller_id").loc["s-u7", "province_id"] == "2"


def test_route_opens_the_configured_store_without_a_connection(org_store, store):
    assert route("u3", DAY)["coverage_rule"] == "capital_supplier_specialized"
