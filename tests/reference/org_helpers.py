"""A tiny hand-made organisation whose routing can be worked out by hand (see test_routing.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.simulator.organisation import REF_COLUMNS

D0 = date(2026, 1, 1)
MOVED = date(2026, 6, 1)  # u1 moves from county c-1 to capital zone z-1-1
P2_OFFICER_LEFT = date(2026, 5, 1)


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=REF_COLUMNS[name])
    return frame.astype(object).where(frame.notna(), None)


def tiny_org() -> dict[str, pd.DataFrame]:
    """Three provinces: P1 has an officer, P2 lost its officer on 2026-05-01 and has a provincial Fardap
    coordinator, P3 has neither (central Fardap). Units u1..u8 exercise each coverage rule."""
    t: dict[str, pd.DataFrame] = {}
    t["province"] = _frame("province", [
        {"province_id": p, "name_fa": f"استان {p}", "amar_code": None, "capital_name_fa": f"مرکز {p}"}
        for p in ("1", "2", "3")
    ])
    t["region"] = _frame("region", [
        {"region_id": f"c-{p}", "province_id": p, "kind": "county", "name_fa": f"شهرستان {p}", "amar_code": None}
        for p in ("1", "2", "3")
    ] + [
        {"region_id": f"z-{p}-1", "province_id": p, "kind": "capital_zone", "name_fa": f"منطقه ۱ مرکز {p}",
         "amar_code": None}
        for p in ("1", "2", "3")
    ])
    t["taxon"] = _frame("taxon", [
        {"code": "S01", "level": "sector", "parent_code": None, "name_fa": "دامپروری", "name_en": "Livestock"},
        {"code": "S01.D1", "level": "domain", "parent_code": "S01", "name_fa": "دام سبک", "name_en": "Sheep"},
        {"code": "S01.D2", "level": "domain", "parent_code": "S01", "name_fa": "طیور", "name_en": "Poultry"},
        {"code": "S02", "level": "sector", "parent_code": None, "name_fa": "پوشاک", "name_en": "Clothing"},
        {"code": "S02.D1", "level": "domain", "parent_code": "S02", "name_fa": "پارچه", "name_en": "Fabric"},
    ])
    people = ["off-1", "off-2", "fdp-2", "fdp-central", "dir-1", "dir-2", "stw-1", "stw-2", "stw-8", "rhy-a", "rhy-b"]
    t["person"] = _frame("person", [
        {"person_id": p, "full_name": f"نام {p}", "email": f"{p}@example.test", "mobile": None, "national_id": None}
        for p in people
    ])
    t["secretariat"] = _frame("secretariat", [
        {"secretariat_id": f"sec-{p}", "province_id": p, "name_fa": f"دبیرخانه {p}", "director_person_id": None,
         "email": None, "valid_from": D0, "valid_to": None}
        for p in ("1", "2", "3")
    ])
    t["affair"] = _frame("affair", [
        {"affair_id": f"aff-{p}-se", "secretariat_id": f"sec-{p}", "kind": "social_entrepreneurship",
         "name_fa": f"امور کارآفرینی اجتماعی {p}", "head_person_id": None, "email": f"se.{p}@example.test",
         "valid_from": D0, "valid_to": None}
        for p in ("1", "2")  # P3's secretariat has no social-entrepreneurship affair
    ] + [
        {"affair_id": "aff-1-sc", "secretariat_id": "sec-1", "kind": "social_cooperation", "name_fa": "همیاری",
         "head_person_id": None, "email": None, "valid_from": D0, "valid_to": None},
    ])
    t["fardap_office"] = _frame("fardap_office", [
        {"office_id": "fdo-central", "province_id": None, "name_fa": "فرداپ مرکزی", "email": None,
         "valid_from": D0, "valid_to": None},
    ])
    t["fardap_coordinator"] = _frame("fardap_coordinator", [
        {"coordinator_id": "fc-2", "person_id": "fdp-2", "province_id": "2", "valid_from": D0, "valid_to": None},
        {"coordinator_id": "fc-central", "person_id": "fdp-central", "province_id": None, "valid_from": D0,
         "valid_to": None},
    ])
    t["monitoring_officer_assignment"] = _frame("monitoring_officer_assignment", [
        {"assignment_id": "moa-1", "province_id": "1", "person_id": "off-1", "valid_from": D0, "valid_to": None,
         "assigned_by": "دبیر استان", "fardap_coordinated": True, "fardap_coordinator_id": "fc-central"},
        {"assignment_id": "moa-2", "province_id": "2", "person_id": "off-2", "valid_from": D0,
         "valid_to": P2_OFFICER_LEFT, "assigned_by": "دبیر استان", "fardap_coordinated": True,
         "fardap_coordinator_id": "fc-2"},
    ])

    def team(team_id, kind, p, region=None, taxon=None, group=None):
        return {"team_id": team_id, "kind": kind, "province_id": p, "region_id": region, "sector_code": taxon,
                "social_group": group, "name_fa": f"رهیاری {team_id}", "email": f"{team_id}@example.test",
                "valid_from": D0, "valid_to": None}

    t["rahyari_team"] = _frame("rahyari_team", [
        team("soc-c-1", "social", "1", "c-1"),
        team("soc-z-1-1", "social", "1", "z-1-1"),
        team("spc-1-S01.D1", "specialized", "1", taxon="S01.D1"),  # holds a domain
        team("spc-1-S02", "specialized", "1", taxon="S02"),  # holds a whole sector
        team("exc-1-1", "exclusive", "1", "z-1-1", group="مددجویان کمیته امداد"),
        team("soc-c-2", "social", "2", "c-2"),
        team("soc-z-2-1", "social", "2", "z-2-1"),
        team("soc-c-3", "social", "3", "c-3"),  # z-3-1 has no social rahyari
    ])
    t["rahyari_role"] = _frame("rahyari_role", [
        # one person holds two specialized teams
        {"role_id": "r1", "team_id": "spc-1-S01.D1", "person_id": "rhy-a", "role": "rahyar", "valid_from": D0,
         "valid_to": None},
        {"role_id": "r2", "team_id": "spc-1-S02", "person_id": "rhy-a", "role": "rahyar", "valid_from": D0,
         "valid_to": None},
        {"role_id": "r3", "team_id": "soc-c-1", "person_id": "rhy-b", "role": "hamyar", "valid_from": D0,
         "valid_to": None},
    ])

    def kanoon(kid, kind, p, region=None, etype=None, taxon=None, group=None):
        return {"kanoon_id": kid, "kind": kind, "entrepreneurship_type": etype, "province_id": p,
                "region_id": region, "taxon_code": taxon, "social_group": group, "name_fa": f"کانون {kid}",
                "valid_from": D0, "valid_to": None}

    t["kanoon"] = _frame("kanoon", [
        kanoon("ksc-c-1", "social_cooperation", "1", "c-1"),
        kanoon("ken-1-wl", "entrepreneurship", "1", "c-1", "work_and_life", "S01"),
        kanoon("ksp-1-S01.D1", "entrepreneurship", "1", None, "supplier", "S01.D1"),
        kanoon("ksp-1-S02.D1", "entrepreneurship", "1", None, "supplier", "S02.D1"),
        kanoon("ksp-1-S01.D2", "entrepreneurship", "1", None, "supplier", "S01.D2"),
        kanoon("ksp-2-S01.D1", "entrepreneurship", "2", None, "supplier", "S01.D1"),
        kanoon("ken-3-wl", "entrepreneurship", "3", "z-3-1", "work_and_life", "S01"),
    ])
    t["member"] = _frame("member", [
        {"member_id": "m-00001", "kind": "person", "full_name": "عضو یک", "national_id": "0012345679",
         "mobile": "09120000001", "province_id": "1", "region_id": "c-1"},
    ])
    t["membership"] = _frame("membership", [
        {"membership_id": "ms-1", "member_id": "m-00001", "kanoon_id": "ksc-c-1", "system": None, "valid_from": D0,
         "valid_to": None},
        {"membership_id": "ms-2", "member_id": "m-00001", "kanoon_id": None, "system": "ombazar",
         "valid_from": date(2026, 2, 1), "valid_to": None},
    ])

    def unit(uid, kind, p, region, sector, domain, kanoon_id, steward=None, headcount=None, valid_from=D0,
             valid_to=None):
        return {"unit_id": uid, "valid_from": valid_from, "valid_to": valid_to, "kind": kind,
                "name_fa": f"واحد {uid}", "province_id": p, "region_id": region,
                "in_capital": region.startswith("z-"), "sector_code": sector, "headcount": headcount,
                "steward_person_id": steward, "domain_code": domain, "kanoon_id": kanoon_id}

    t["unit"] = _frame("unit", [
        unit("u1", "work_and_life_core", "1", "c-1", "S01", "S01.D1", "ken-1-wl", "stw-1", 4, valid_to=MOVED),
        unit("u1", "work_and_life_core", "1", "z-1-1", "S01", "S01.D1", "ken-1-wl", "stw-1", 4, valid_from=MOVED),
        unit("u2", "work_and_business_core", "1", "z-1-1", "S02", "S02.D1", "ken-1-wl", "stw-2", 3),
        unit("u3", "supplier", "1", "z-1-1", "S01", "S01.D1", "ksp-1-S01.D1"),
        unit("u4", "supplier", "1", "z-1-1", "S02", "S02.D1", "ksp-1-S02.D1"),
        unit("u5", "supplier", "1", "z-1-1", "S01", "S01.D2", "ksp-1-S01.D2"),
        unit("u6", "supplier", "1", "c-1", "S01", "S01.D1", "ksp-1-S01.D1"),
        unit("u7", "supplier", "2", "c-2", "S01", "S01.D1", "ksp-2-S01.D1"),
        unit("u8", "work_and_life_core", "3", "z-3-1", "S01", "S01.D1", "ken-3-wl", "stw-8", 5),
    ])
    t["unit"]["headcount"] = t["unit"]["headcount"].astype("Int64")
    return t
