"""The organisation: provinces, regions, taxonomy, secretariats and affairs, Fardap, rahyari teams and their
people, kanoons, members and memberships, units, monitoring officers.

Produces the rows of the `ref` tables (pipelines/reference/tables.py), plus a few
simulator-only columns on units (which sub-branch a unit mainly trades in, and whether it has a marketplace
seller account). Everything that scales (units, members, memberships) is generated whole-column; loops run
only over the 31 provinces.

The organisation it builds keeps every rule of the seed, so `rasad ref check` finds nothing in it: tests
break the rules on purpose.
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

AFFAIR_NAMES = {
    "social_cooperation": ("sc", "امور همیاری اجتماعی"),
    "qard_al_hasan": ("qh", "امور قرض‌الحسنه"),
    "social_entrepreneurship": ("se", "امور کارآفرینی اجتماعی"),
}
SYSTEM_JOIN_P = {"ombazar": 0.7, "qard_al_hasan": 0.6, "mirat": 0.4}
P_SPECIALIZED_HOLDS_DOMAIN = 0.3
P_PERSON_HOLDS_TWO_SPECIALIZED = 0.5
P_SUPPLIER_OWN_SOCIAL_KANOON = 0.4

REF_COLUMNS = {
    "province": ["province_id", "name_fa", "amar_code", "capital_name_fa"],
    "region": ["region_id", "province_id", "kind", "name_fa", "amar_code"],
    "taxon": ["code", "level", "parent_code", "name_fa", "name_en"],
    "person": ["person_id", "full_name", "email", "mobile", "national_id"],
    "secretariat": [
        "secretariat_id", "province_id", "name_fa", "director_person_id", "email", "valid_from", "valid_to",
    ],
    "affair": [
        "affair_id", "secretariat_id", "kind", "name_fa", "head_person_id", "email", "valid_from", "valid_to",
    ],
    "fardap_office": ["office_id", "province_id", "name_fa", "email", "valid_from", "valid_to"],
    "fardap_coordinator": ["coordinator_id", "person_id", "province_id", "valid_from", "valid_to"],
    "monitoring_officer_assignment": [
        "assignment_id",
        "province_id",
        "person_id",
        "valid_from",
        "valid_to",
        "assigned_by",
        "fardap_coordinated",
        "fardap_coordinator_id",
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
    "rahyari_role": ["role_id", "team_id", "person_id", "role", "valid_from", "valid_to"],
    "kanoon": [
        "kanoon_id",
        "kind",
        "entrepreneurship_type",
        "province_id",
        "region_id",
        "taxon_code",
        "social_group",
        "name_fa",
        "valid_from",
        "valid_to",
    ],
    "member": ["member_id", "kind", "full_name", "national_id", "mobile", "province_id", "region_id"],
    "membership": ["membership_id", "member_id", "kanoon_id", "system", "valid_from", "valid_to"],
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
        "domain_code",
        "kanoon_id",
    ],
}


@dataclass(frozen=True)
class Organisation:
    tables: dict[str, pd.DataFrame]
    # unit_id, province_id, region_id, in_capital, kind, sector_code, main_sub_code, has_seller, valid_from
    units: pd.DataFrame


def _days_before(rng: np.random.Generator, start: dt.date, lo: int, hi: int, n: int) -> list[dt.date]:
    return [start - dt.timedelta(days=int(d)) for d in rng.integers(lo, hi, n)]


def _dates(start: dt.date, days_back: np.ndarray) -> np.ndarray:
    """start - days_back as `datetime.date` objects, whole-column."""
    base = np.datetime64(start.isoformat(), "D")
    return (base - days_back.astype("timedelta64[D]")).astype(object)


def _pick_within(rng: np.random.Generator, keys: np.ndarray, pool_keys: np.ndarray, pool_values: np.ndarray):
    """For each key, a random value of the pool rows with the same key (None where the pool has none)."""
    order = np.argsort(pool_keys, kind="stable")
    sorted_keys = np.asarray(pool_keys, dtype=object)[order].astype(str)
    sorted_values = np.asarray(pool_values, dtype=object)[order]
    k = np.asarray(keys, dtype=object).astype(str)
    lo = np.searchsorted(sorted_keys, k, side="left")
    hi = np.searchsorted(sorted_keys, k, side="right")
    count = hi - lo
    idx = lo + np.floor(rng.random(len(k)) * np.maximum(count, 1)).astype(np.int64)
    out = np.full(len(k), None, dtype=object)
    have = count > 0
    out[have] = sorted_values[np.minimum(idx[have], len(sorted_values) - 1)]
    return out


def _unique_national_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct ten-digit national ids with a valid check digit (synthetic), whole-column."""
    body = rng.choice(700_000_000, n, replace=False) + 1_000_000  # nine digits, never all equal
    digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    s = (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check = np.where(s < 2, s, 11 - s)
    return pd.Series(body * 10 + check).astype(str).str.zfill(10).to_numpy(dtype=object)


def build_organisation(
    rng: np.random.Generator,
    start: dt.date,
    sellers_per_province: int,
    *,
    units_per_province: int | None = None,
    members: int = 3000,
) -> Organisation:
    """The whole organisation of the 31 provinces, as it stands at `start` (the world's first day)."""
    div = load_divisions()
    tax = load_taxonomy()
    provinces = div.provinces
    subs = tax.sub_branches
    nodes = tax.nodes
    tax_names = dict(zip(nodes["code"], nodes["name_fa"], strict=True))
    sector_codes = nodes.loc[nodes["level"] == "sector", "code"].to_numpy()
    sector_p = SECTOR_WEIGHTS / SECTOR_WEIGHTS.sum()
    pids = provinces["province_id"].tolist()
    n_prov = len(pids)
    capital_of = dict(zip(provinces["province_id"], provinces["capital_name_fa"], strict=True))

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
    region_name = dict(zip(regions["region_id"], regions["name_fa"], strict=True))

    persons: list[pd.DataFrame] = []

    def add_persons(ids, emails) -> None:
        n = len(ids)
        persons.append(
            pd.DataFrame(
                {
                    "person_id": list(ids),
                    "full_name": full_names(rng, n),
                    "email": list(emails),
                    "mobile": mobiles(rng, n),
                    "national_id": national_ids(rng, n),
                }
            )
        )

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
            "fardap_coordinator_id": [f"fdp-{p}" for p in pids],
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
    # coordinators are in post before the officers they coordinated were assigned
    coordinators.loc[: n_prov - 1, "valid_from"] = [
        min(c, o) for c, o in zip(coordinators["valid_from"][:n_prov], officers["valid_from"], strict=True)
    ]
    org_from = _days_before(rng, start, 2000, 2400, 1)[0]
    fardap_offices = pd.DataFrame(
        {
            "office_id": ["fdo-central"] + [f"fdo-{p}" for p in pids],
            "province_id": [None] + pids,
            "name_fa": ["فرداپ مرکزی"] + [f"فرداپ استان {n}" for n in provinces["name_fa"]],
            "email": ["fardap@rasad.example"] + [f"fardap.office.{p}@rasad.example" for p in pids],
            "valid_from": org_from,
            "valid_to": None,
        }
    )

    # ---- secretariats and their three affairs
    add_persons([f"p-dir-{p}" for p in pids], [f"director.{p}@rasad.example" for p in pids])
    secretariats = pd.DataFrame(
        {
            "secretariat_id": [f"sec-{p}" for p in pids],
            "province_id": pids,
            "name_fa": [f"دبیرخانه استان {n}" for n in provinces["name_fa"]],
            "director_person_id": [f"p-dir-{p}" for p in pids],
            "email": [f"secretariat.{p}@rasad.example" for p in pids],
            "valid_from": org_from,
            "valid_to": None,
        }
    )
    affair_rows = []
    short: str | np.ndarray  # an affair's short code here, the units' kind codes further down
    for p, pname in zip(pids, provinces["name_fa"], strict=True):
        for kind, (short, name) in AFFAIR_NAMES.items():
            affair_rows.append(
                {
                    "affair_id": f"aff-{p}-{short}",
                    "secretariat_id": f"sec-{p}",
                    "kind": kind,
                    "name_fa": f"{name} استان {pname}",
                    "head_person_id": f"p-aff-{p}-{short}",
                    "email": f"affair.{short}.{p}@rasad.example",
                    "valid_from": org_from,
                    "valid_to": None,
                }
            )
    affairs = pd.DataFrame(affair_rows)
    add_persons(affairs["head_person_id"].tolist(), [None] * len(affairs))

    # ---- units, whole-column over all provinces
    n_per = units_per_province if units_per_province is not None else sellers_per_province + EXTRA_UNITS_PER_PROVINCE
    if n_per < sellers_per_province:
        raise ValueError("units_per_province must be at least sellers_per_province")
    prov_idx = np.repeat(np.arange(n_prov), n_per)
    n_units = len(prov_idx)
    ordinal = np.tile(np.arange(1, n_per + 1), n_prov)
    u_pid = np.asarray(pids, dtype=object)[prov_idx]

    other_counties: list[np.ndarray] = []
    for pid, cap_county in zip(provinces["province_id"], provinces["capital_county_id"], strict=True):
        mine = regions[(regions["province_id"] == pid) & (regions["kind"] == "county")]["region_id"].to_numpy()
        others = mine[mine != f"c-{cap_county}"]
        other_counties.append(others if len(others) else mine)  # a province of one county: use it
    oc_len = np.array([len(o) for o in other_counties])
    oc_off = np.r_[0, np.cumsum(oc_len)[:-1]]
    oc_flat = np.concatenate(other_counties)

    kinds = rng.choice(len(UNIT_KINDS), n_units, p=UNIT_KIND_P)
    sectors = rng.choice(len(sector_codes), n_units, p=sector_p)
    in_cap = rng.random(n_units) < np.where(kinds == 2, 0.55, 0.35)
    zone_no = rng.integers(1, CAPITAL_ZONES_PER_PROVINCE + 1, n_units)
    zone_pick = "z-" + u_pid + "-" + zone_no.astype(str).astype(object)
    county_pick = oc_flat[oc_off[prov_idx] + np.floor(rng.random(n_units) * oc_len[prov_idx]).astype(np.int64)]
    vfrom = _dates(start, rng.integers(45, 1500, n_units))
    heads_core = rng.integers(2, 16, n_units)
    heads_sup = rng.integers(20, 400, n_units)
    has_head = rng.random(n_units) < 0.8
    shop = np.array(SHOP_WORDS, dtype=object)[rng.integers(0, len(SHOP_WORDS), n_units)]
    owner = pd.Series(full_names(rng, n_units))
    last_name = owner.str.split(" ", n=1).str[1].to_numpy(dtype=object)

    sub_sorted = subs.sort_values("sector_code", kind="stable").reset_index(drop=True)
    sub_sector = sub_sorted["sector_code"].to_numpy()
    sec_lo = np.searchsorted(sub_sector, sector_codes, side="left")
    sec_n = np.searchsorted(sub_sector, sector_codes, side="right") - sec_lo
    main_pos = sec_lo[sectors] + np.floor(rng.random(n_units) * sec_n[sectors]).astype(np.int64)
    main_code = sub_sorted["code"].to_numpy(dtype=object)[main_pos]
    main_name = sub_sorted["name_fa"].to_numpy(dtype=object)[main_pos]
    domain = pd.Series(main_code).str.split(".").str[:2].str.join(".").to_numpy(dtype=object)

    kind_names = np.asarray(UNIT_KINDS, dtype=object)[kinds]
    is_core = kinds != 2
    name = np.where(
        kinds == 0,
        "هسته کار و زندگی " + main_name + " " + last_name,
        np.where(kinds == 1, "هسته کار و کسب " + shop + " (" + main_name + ")", "شرکت " + shop + " " + main_name),
    )
    uid = "u-" + u_pid + "-" + pd.Series(ordinal).astype(str).str.zfill(3).to_numpy(dtype=object)
    steward = np.where(is_core, "p-stw-" + uid.astype(str).astype(object), None)
    u_region = np.where(in_cap, zone_pick, county_pick)
    u_sector = sector_codes[sectors].astype(object)
    headcount = pd.array(np.where(is_core, heads_core, heads_sup), dtype="Int64")
    headcount[(~is_core) & (~has_head)] = pd.NA

    # ---- kanoons: social cooperation (one per region, and some factories' own), exclusive, entrepreneurship
    kanoon_from = _dates(start, rng.integers(1500, 2000, 1))[0]
    social_kanoons = pd.DataFrame(
        {
            "kanoon_id": "ksc-" + regions["region_id"],
            "kind": "social_cooperation",
            "entrepreneurship_type": None,
            "province_id": regions["province_id"],
            "region_id": regions["region_id"],
            "taxon_code": None,
            "social_group": None,
            "name_fa": "کانون همیاری اجتماعی " + regions["name_fa"],
        }
    )
    own = (~is_core) & (rng.random(n_units) < P_SUPPLIER_OWN_SOCIAL_KANOON)
    factory_kanoons = pd.DataFrame(
        {
            "kanoon_id": "ksc-" + uid[own],
            "kind": "social_cooperation",
            "entrepreneurship_type": None,
            "province_id": u_pid[own],
            "region_id": u_region[own],
            "taxon_code": None,
            "social_group": None,
            "name_fa": "کانون همیاری اجتماعی کارکنان " + name[own],
        }
    )
    etype = np.where(kinds == 0, "work_and_life", np.where(kinds == 1, "work_and_business", "supplier"))
    short = np.where(kinds == 0, "wl", "wb")
    unit_kanoon = np.where(
        is_core,
        "ken-" + u_region.astype(str).astype(object) + "-" + u_sector + "-" + short.astype(object),
        "ksp-" + u_pid + "-" + domain,
    )
    ent = pd.DataFrame(
        {
            "kanoon_id": unit_kanoon,
            "kind": "entrepreneurship",
            "entrepreneurship_type": etype,
            "province_id": u_pid,
            "region_id": np.where(is_core, u_region, None),
            "taxon_code": np.where(is_core, u_sector, domain),
            "social_group": None,
        }
    ).drop_duplicates("kanoon_id")
    type_label = ent["entrepreneurship_type"].map(
        {"work_and_life": "کار و زندگی", "work_and_business": "کار و کسب", "supplier": "تامین‌کنندگان"}
    )
    where = np.where(
        ent["region_id"].notna(),
        ent["region_id"].map(region_name),
        "استان " + ent["province_id"].map(dict(zip(pids, provinces["name_fa"], strict=True))),
    )
    ent["name_fa"] = "کانون کارآفرینی اجتماعی " + type_label + " " + ent["taxon_code"].map(tax_names) + " - " + where

    # ---- rahyari teams (a few dozen per province: a loop over provinces, not rows)
    team_rows: list[dict] = []
    exclusive_kanoon_rows: list[dict] = []
    domains_of = nodes[nodes["level"] == "domain"].groupby("parent_code")["code"].apply(list).to_dict()
    for pid in pids:
        capital = capital_of[pid]
        my_regions = regions[regions["province_id"] == pid]
        zones = my_regions.loc[my_regions["kind"] == "capital_zone", "region_id"].to_numpy()
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
        for s in sorted(spec_sectors):
            code = sector_codes[s]
            if rng.random() < P_SPECIALIZED_HOLDS_DOMAIN:  # B-3: a specialist may hold a domain
                options = domains_of[code]
                code = options[int(rng.integers(0, len(options)))]
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
            zone = zones[int(rng.integers(0, len(zones)))]
            team_rows.append(
                {
                    "team_id": f"exc-{pid}-{j}",
                    "kind": "exclusive",
                    "province_id": pid,
                    "region_id": zone,
                    "sector_code": None,
                    "social_group": SOCIAL_GROUPS[g],
                    "name_fa": f"رهیاری اختصاصی {SOCIAL_GROUPS[g]} - {capital}",
                    "email": f"exc.{pid}.{j}@rasad.example",
                    "valid_from": team_from,
                    "valid_to": None,
                }
            )
            exclusive_kanoon_rows.append(
                {
                    "kanoon_id": f"kex-{pid}-{j}",
                    "kind": "exclusive",
                    "entrepreneurship_type": None,
                    "province_id": pid,
                    "region_id": zone,
                    "taxon_code": None,
                    "social_group": SOCIAL_GROUPS[g],
                    "name_fa": f"کانون {SOCIAL_GROUPS[g]} - {capital}",
                }
            )
    teams = pd.DataFrame(team_rows)

    # ---- the people of each team: one rahyar and up to two hamyars; some rahyars hold two specialized teams
    n_hamyars = rng.integers(0, 3, len(teams))
    team_idx = np.repeat(np.arange(len(teams)), 1 + n_hamyars)
    first = np.r_[True, team_idx[1:] != team_idx[:-1]]
    seat = np.arange(len(team_idx)) - np.flatnonzero(first)[np.cumsum(first) - 1]
    team_ids = teams["team_id"].to_numpy(dtype=object)
    person_ids = "p-rhy-" + team_ids[team_idx] + "-" + seat.astype(str).astype(object)
    roles = pd.DataFrame(
        {
            "role_id": "rr-" + team_ids[team_idx] + "-" + seat.astype(str).astype(object),
            "team_id": team_ids[team_idx],
            "person_id": person_ids,
            "role": np.where(seat == 0, "rahyar", "hamyar"),
            "valid_from": teams["valid_from"].to_numpy()[team_idx],
            "valid_to": None,
        }
    )
    spec = teams[teams["kind"] == "specialized"]
    firsts = spec.groupby("province_id")["team_id"].first()
    lasts = spec.groupby("province_id")["team_id"].last()
    doubled = lasts[(rng.random(len(lasts)) < P_PERSON_HOLDS_TWO_SPECIALIZED) & (lasts != firsts)]
    # the rahyar of a province's first specialized team also holds its last one
    holder = "p-rhy-" + firsts.loc[doubled.index] + "-0"
    take_over = (roles["role"] == "rahyar") & roles["team_id"].isin(doubled)
    roles.loc[take_over, "person_id"] = roles.loc[take_over, "team_id"].map(dict(zip(doubled, holder, strict=True)))
    rahyar_people = roles["person_id"].drop_duplicates()
    add_persons(rahyar_people.tolist(), (rahyar_people.str.replace("p-rhy-", "rahyar.") + "@rasad.example").tolist())

    kanoons = pd.concat(
        [social_kanoons, factory_kanoons, pd.DataFrame(exclusive_kanoon_rows), ent], ignore_index=True
    )
    kanoons["valid_from"] = kanoon_from
    kanoons["valid_to"] = None

    # ---- members: every one joins the social cooperation kanoon of their region first, then systems and kanoons
    mem_prov = rng.integers(0, n_prov, members)
    mem_pid = np.asarray(pids, dtype=object)[mem_prov]
    mem_region = _pick_within(rng, mem_pid, regions["province_id"].to_numpy(), regions["region_id"].to_numpy())
    member_ids = "m-" + pd.Series(np.arange(1, members + 1)).astype(str).str.zfill(5).to_numpy(dtype=object)
    member = pd.DataFrame(
        {
            "member_id": member_ids,
            "kind": "person",
            "full_name": full_names(rng, members),
            "national_id": _unique_national_ids(rng, members),
            "mobile": mobiles(rng, members),
            "province_id": mem_pid,
            "region_id": mem_region,
        }
    )
    joined_back = rng.integers(30, 1400, members)
    parts = [pd.DataFrame({"member_id": member_ids, "kanoon_id": "ksc-" + mem_region, "system": None,
                           "back": joined_back})]
    for system, p in SYSTEM_JOIN_P.items():
        m = rng.random(members) < p
        later = joined_back[m] - rng.integers(0, 400, m.sum())
        parts.append(pd.DataFrame({"member_id": member_ids[m], "kanoon_id": None, "system": system,
                                   "back": np.maximum(later, 1)}))
    core_kanoons = ent[ent["entrepreneurship_type"] != "supplier"]
    for pool, p in ((core_kanoons, 0.15), (pd.DataFrame(exclusive_kanoon_rows), 0.08)):
        m = rng.random(members) < p
        pick = _pick_within(rng, mem_pid[m], pool["province_id"].to_numpy(), pool["kanoon_id"].to_numpy())
        later = np.maximum(joined_back[m] - rng.integers(0, 600, m.sum()), 1)
        ok = pick != None  # noqa: E711 - elementwise on an object array
        parts.append(pd.DataFrame({"member_id": member_ids[m][ok], "kanoon_id": pick[ok], "system": None,
                                   "back": later[ok]}))
    ms = pd.concat(parts, ignore_index=True)
    ms_numbers = pd.Series(np.arange(1, len(ms) + 1)).astype(str).str.zfill(6).to_numpy(dtype=object)
    membership = pd.DataFrame(
        {
            "membership_id": "ms-" + ms_numbers,
            "member_id": ms["member_id"].to_numpy(),
            "kanoon_id": ms["kanoon_id"].to_numpy(),
            "system": ms["system"].to_numpy(),
            "valid_from": _dates(start, ms["back"].to_numpy()),
            "valid_to": None,
        }
    )

    # ---- stewards are people of the store's person table (they are named on the unit)
    stewards = steward[is_core]
    add_persons(stewards.tolist(), [None] * len(stewards))

    person = pd.concat(persons, ignore_index=True)
    unit = pd.DataFrame(
        {
            "unit_id": uid,
            "valid_from": vfrom,
            "valid_to": None,
            "kind": kind_names,
            "name_fa": name,
            "province_id": u_pid,
            "region_id": u_region,
            "in_capital": in_cap.astype(object),
            "sector_code": u_sector,
            "headcount": headcount,
            "steward_person_id": steward,
            "domain_code": domain,
            "kanoon_id": unit_kanoon,
        }
    )
    tables = {
        "province": provinces[REF_COLUMNS["province"]].copy(),
        "region": regions[REF_COLUMNS["region"]].copy(),
        "taxon": nodes[REF_COLUMNS["taxon"]].copy(),
        "person": person[REF_COLUMNS["person"]],
        "secretariat": secretariats[REF_COLUMNS["secretariat"]],
        "affair": affairs[REF_COLUMNS["affair"]],
        "fardap_office": fardap_offices[REF_COLUMNS["fardap_office"]],
        "fardap_coordinator": coordinators[REF_COLUMNS["fardap_coordinator"]],
        "monitoring_officer_assignment": officers[REF_COLUMNS["monitoring_officer_assignment"]],
        "rahyari_team": teams[REF_COLUMNS["rahyari_team"]],
        "rahyari_role": roles[REF_COLUMNS["rahyari_role"]],
        "kanoon": kanoons[REF_COLUMNS["kanoon"]],
        "member": member[REF_COLUMNS["member"]],
        "membership": membership[REF_COLUMNS["membership"]],
        "unit": unit[REF_COLUMNS["unit"]],
    }
    internal = pd.DataFrame(
        {
            "unit_id": uid,
            "province_id": u_pid,
            "region_id": u_region,
            "in_capital": in_cap,
            "kind": kind_names,
            "sector_code": u_sector,
            "main_sub_code": main_code,
            "has_seller": ordinal <= sellers_per_province,
            "valid_from": vfrom,
            "name_fa": name,
        }
    )
    return Organisation(tables=tables, units=internal)
