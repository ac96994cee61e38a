"""The organisation: provinces, regions, taxonomy, people, units, rahyari teams, officers, Fardap.

Produces the rows of the `ref` tables (pipelines/schema.py), plus a few simulator-only columns on units
(which sub-branch a unit mainly trades in, and whether it has a marketplace seller account).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.simulator.divisions import load_divisions
from pipelines.simulator.names import SHOP_WORDS, full_names, mobiles, national_ids, to_persian_digits
from pipelines.simulator.taxonomy import load_taxonomy

CAPITAL_ZONES_PER_PROVINCE = 3
EXTRA_UNITS_PER_PROVINCE = 2  # units with no marketplace account

UNIT_KINDS = ("work_and_life_core", "work_and_business_core", "supplier")
UNIT_KIND_P = (0.45, 0.30, 0.25)

# How common each sector is among units (S01..S12).
SECTOR_WEIGHTS = np.array([1.2, 2.5, 1.6, 0.6, 0.9, 1.3, 0.5, 0.4, 0.6, 0.7, 1.5, 0.3])

SOCIAL_GROUPS = (
    "روحانیون و طلاب",
    "مددجویان کمیته امداد",
    "کارکنان آموزش و پرورش",
    "ایثارگران",
)

REF_COLUMNS = {
    "province": ["province_id", "name_fa", "amar_code", "capital_name_fa"],
    "region": ["region_id", "province_id", "kind", "name_fa", "amar_code"],
    "taxon": ["code", "level", "parent_code", "name_fa", "name_en"],
    "person": ["person_id", "full_name", "email", "mobile", "national_id"],
    "unit": [
        "unit_id",
        "valid_from",
        "valid_to",
        "kind",
        "name_fa",
        "province_id",
        "region_id",
        "in_capital",
        "sector_code",
        "headcount",
        "steward_person_id",
    ],
    "rahyari_team": [
        "team_id",
        "kind",
        "province_id",
        "region_id",
        "sector_code",
        "social_group",
        "name_fa",
        "email",
        "valid_from",
        "valid_to",
    ],
    "monitoring_officer_assignment": [
        "assignment_id",
        "province_id",
        "person_id",
        "valid_from",
        "valid_to",
        "assigned_by",
        "fardap_coordinated",
    ],
    "fardap_coordinator": ["coordinator_id", "person_id", "province_id", "valid_from", "valid_to"],
}


@dataclass(frozen=True)
class Organisation:
    tables: dict[str, pd.DataFrame]
    # unit_id, province_id, region_id, in_capital, kind, sector_code, main_sub_code, has_seller, valid_from
    units: pd.DataFrame


def _days_before(rng: np.random.Generator, start: dt.date, lo: int, hi: int, n: int) -> list[dt.date]:
    return [start - dt.timedelta(days=int(d)) for d in rng.integers(lo, hi, n)]


def build_organisation(rng: np.random.Generator, start: dt.date, sellers_per_province: int) -> Organisation:
    div = load_divisions()
    tax = load_taxonomy()
    provinces = div.provinces
    subs = tax.sub_branches
    sector_codes = tax.nodes.loc[tax.nodes["level"] == "sector", "code"].to_numpy()
    sector_p = SECTOR_WEIGHTS / SECTOR_WEIGHTS.sum()
    subs_by_sector = {code: grp.reset_index(drop=True) for code, grp in subs.groupby("sector_code")}

    # ---- regions
    counties = div.counties
    county_regions = pd.DataFrame(
        {
            "region_id": "c-" + counties["county_id"],
            "province_id": counties["province_id"],
            "kind": "county",
            "name_fa": counties["name_fa"],
            "amar_code": counties["amar_code"],
        }
    )
    zone_rows = []
    for pid, capital in zip(provinces["province_id"], provinces["capital_name_fa"], strict=True):
        for n in range(1, CAPITAL_ZONES_PER_PROVINCE + 1):
            zone_rows.append(
                {
                    "region_id": f"z-{pid}-{n}",
                    "province_id": pid,
                    "kind": "capital_zone",
                    "name_fa": f"{capital} - منطقه {to_persian_digits(n)}",
                    "amar_code": None,
                }
            )
    regions = pd.concat([county_regions, pd.DataFrame(zone_rows)], ignore_index=True)

    persons: list[pd.DataFrame] = []

    def add_persons(ids: list[str], emails: list[str | None]) -> None:
        n = len(ids)
        persons.append(
            pd.DataFrame(
                {
                    "person_id": ids,
                    "full_name": full_names(rng, n),
                    "email": emails,
                    "mobile": mobiles(rng, n),
                    "national_id": national_ids(rng, n),
                }
            )
        )

    pids = provinces["province_id"].tolist()
    n_prov = len(pids)

    # ---- monitoring officers and Fardap coordinators
    add_persons([f"p-off-{p}" for p in pids], [f"officer.{p}@rasad.example" for p in pids])
    add_persons(
        [f"p-fdp-{p}" for p in pids] + ["p-fdp-central"],
        [f"fardap.{p}@rasad.example" for p in pids] + ["fardap.central@rasad.example"],
    )
    officers = pd.DataFrame(
        {
            "assignment_id": [f"moa-{p}-1" for p in pids],
            "province_id": pids,
            "person_id": [f"p-off-{p}" for p in pids],
            "valid_from": _days_before(rng, start, 30, 400, n_prov),
            "valid_to": None,
            "assigned_by": "دبیر استان",
            "fardap_coordinated": True,
        }
    )
    coordinators = pd.DataFrame(
        {
            "coordinator_id": [f"fdp-{p}" for p in pids] + ["fdp-central"],
            "person_id": [f"p-fdp-{p}" for p in pids] + ["p-fdp-central"],
            "province_id": pids + [None],
            "valid_from": _days_before(rng, start, 60, 700, n_prov + 1),
            "valid_to": None,
        }
    )

    # ---- units, rahyari teams
    unit_rows: list[dict] = []
    team_rows: list[dict] = []
    n_units = sellers_per_province + EXTRA_UNITS_PER_PROVINCE
    for pid, capital, cap_county in zip(
        provinces["province_id"], provinces["capital_name_fa"], provinces["capital_county_id"], strict=True
    ):
        my_regions = regions[regions["province_id"] == pid]
        zones = my_regions.loc[my_regions["kind"] == "capital_zone", "region_id"].to_numpy()
        other_counties = my_regions.loc[
            (my_regions["kind"] == "county") & (my_regions["region_id"] != f"c-{cap_county}"), "region_id"
        ].to_numpy()
        if len(other_counties) == 0:  # a province of one county: use it
            other_counties = my_regions.loc[my_regions["kind"] == "county", "region_id"].to_numpy()

        kinds = rng.choice(len(UNIT_KINDS), n_units, p=UNIT_KIND_P)
        sectors = rng.choice(len(sector_codes), n_units, p=sector_p)
        p_capital = np.where(kinds == 2, 0.55, 0.35)
        in_cap = rng.random(n_units) < p_capital
        zone_pick = zones[rng.integers(0, len(zones), n_units)]
        county_pick = other_counties[rng.integers(0, len(other_counties), n_units)]
        vfrom = _days_before(rng, start, 45, 1500, n_units)
        heads_core = rng.integers(2, 16, n_units)
        heads_sup = rng.integers(20, 400, n_units)
        has_head = rng.random(n_units) < 0.8
        shop = np.array(SHOP_WORDS)[rng.integers(0, len(SHOP_WORDS), n_units)]
        owner = full_names(rng, n_units)
        for i in range(n_units):
            kind = UNIT_KINDS[kinds[i]]
            sector = sector_codes[sectors[i]]
            sector_subs = subs_by_sector[sector]
            main = sector_subs.iloc[int(rng.integers(0, len(sector_subs)))]
            uid = f"u-{pid}-{i + 1:03d}"
            last_name = owner[i].split(" ", 1)[1]
            if kind == "work_and_life_core":
                name = f"هسته کار و زندگی {main['name_fa']} {last_name}"
            elif kind == "work_and_business_core":
                name = f"هسته کار و کسب {shop[i]} ({main['name_fa']})"
            else:
                name = f"شرکت {shop[i]} {main['name_fa']}"
            steward = f"p-stw-{pid}-{i + 1:03d}" if kind != "supplier" else None
            unit_rows.append(
                {
                    "unit_id": uid,
                    "valid_from": vfrom[i],
                    "valid_to": None,
                    "kind": kind,
                    "name_fa": name,
                    "province_id": pid,
                    "region_id": zone_pick[i] if in_cap[i] else county_pick[i],
                    "in_capital": bool(in_cap[i]),
                    "sector_code": sector,
                    "headcount": int(heads_core[i])
                    if kind != "supplier"
                    else (int(heads_sup[i]) if has_head[i] else None),
                    "steward_person_id": steward,
                    "main_sub_code": main["code"],
                    "has_seller": i < sellers_per_province,
                }
            )

        team_from = _days_before(rng, start, 100, 900, 1)[0]
        for rid, rname in zip(my_regions["region_id"], my_regions["name_fa"], strict=True):
            team_rows.append(
                {
                    "team_id": f"soc-{rid}",
                    "kind": "social",
                    "province_id": pid,
                    "region_id": rid,
                    "sector_code": None,
                    "social_group": None,
                    "name_fa": f"رهیاری اجتماعی {rname}",
                    "email": f"soc.{rid}@rasad.example",
                    "valid_from": team_from,
                    "valid_to": None,
                }
            )
        n_spec = int(rng.integers(3, 6))
        spec_sectors = rng.choice(len(sector_codes), n_spec, replace=False, p=sector_p)
        tax_names = dict(zip(tax.nodes["code"], tax.nodes["name_fa"], strict=True))
        for s in sorted(spec_sectors):
            code = sector_codes[s]
            team_rows.append(
                {
                    "team_id": f"spc-{pid}-{code}",
                    "kind": "specialized",
                    "province_id": pid,
                    "region_id": None,
                    "sector_code": code,
                    "social_group": None,
                    "name_fa": f"رهیاری تخصصی {tax_names[code]} - {capital}",
                    "email": f"spc.{pid}.{code.lower()}@rasad.example",
                    "valid_from": team_from,
                    "valid_to": None,
                }
            )
        n_exc = int(rng.integers(1, 3))
        groups = rng.choice(len(SOCIAL_GROUPS), n_exc, replace=False)
        for j, g in enumerate(groups, start=1):
            team_rows.append(
                {
                    "team_id": f"exc-{pid}-{j}",
                    "kind": "exclusive",
                    "province_id": pid,
                    "region_id": zones[int(rng.integers(0, len(zones)))],
                    "sector_code": None,
                    "social_group": SOCIAL_GROUPS[g],
                    "name_fa": f"رهیاری اختصاصی {SOCIAL_GROUPS[g]} - {capital}",
                    "email": f"exc.{pid}.{j}@rasad.example",
                    "valid_from": team_from,
                    "valid_to": None,
                }
            )

    units_full = pd.DataFrame(unit_rows)
    stewards = units_full["steward_person_id"].dropna().tolist()
    add_persons(stewards, [None] * len(stewards))

    person = pd.concat(persons, ignore_index=True)
    unit = units_full[REF_COLUMNS["unit"]].copy()
    unit["headcount"] = unit["headcount"].astype("Int64")
    tables = {
        "province": provinces[REF_COLUMNS["province"]].copy(),
        "region": regions[REF_COLUMNS["region"]].copy(),
        "taxon": tax.nodes[REF_COLUMNS["taxon"]].copy(),
        "person": person[REF_COLUMNS["person"]],
        "unit": unit,
        "rahyari_team": pd.DataFrame(team_rows)[REF_COLUMNS["rahyari_team"]],
        "monitoring_officer_assignment": officers[REF_COLUMNS["monitoring_officer_assignment"]],
        "fardap_coordinator": coordinators[REF_COLUMNS["fardap_coordinator"]],
    }
    internal = units_full[
        [
            "unit_id",
            "province_id",
            "region_id",
            "in_capital",
            "kind",
            "sector_code",
            "main_sub_code",
            "has_seller",
            "valid_from",
            "name_fa",
        ]
    ].copy()
    return Organisation(tables=tables, units=internal)
