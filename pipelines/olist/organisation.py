"""The reference data Olist's sellers need: the 31 provinces with their officers, regions and rahyari teams,
the sector taxonomy with Olist's categories as sub-branches, and one supplier unit per seller.

It keeps the seed's rules (`rasad ref check` finds nothing): every region has one social rahyari, every
province one officer coordinated with Fardap, every (province, domain) of suppliers one suppliers kanoon, and
every unit is covered. People are synthetic (names drawn with a fixed seed); Olist's buyers are not members
of the reference data: the source names them by an opaque id, as the contract allows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines.olist.marketplace import Marketplace
from pipelines.simulator.divisions import load_divisions
from pipelines.simulator.names import full_names, mobiles, national_ids
from pipelines.simulator.organisation import REF_COLUMNS
from pipelines.simulator.taxonomy import load_taxonomy

PEOPLE_SEED = 15  # synthetic names only; nothing else is random


def build_reference(market: Marketplace, valid_from: dt.date) -> dict[str, pd.DataFrame]:
    """The `ref` tables (docs/reference-data.md), valid from `valid_from`, for the sellers of `market`."""
    rng = np.random.default_rng(PEOPLE_SEED)
    div = load_divisions()
    provinces = div.provinces
    pids = provinces["province_id"].tolist()
    names = dict(zip(provinces["province_id"], provinces["name_fa"], strict=True))

    # ---- taxonomy: the seed's sectors, one domain/field/branch of Olist under each, categories as sub-branches
    sectors = load_taxonomy().nodes
    sectors = sectors[sectors["level"] == "sector"][["code", "name_fa", "name_en"]]
    cats = market.categories
    used_sectors = sorted(cats["sector_code"].unique())
    chain = []
    for level, suffix, label in (("domain", ".OL", "کالای بازار اولیست"), ("field", ".OL.F", "کالای بازار اولیست"),
                                 ("branch", ".OL.F.B", "کالای بازار اولیست")):
        parent_suffix = suffix.rsplit(".", 1)[0] if suffix.count(".") > 1 else ""
        chain.append(pd.DataFrame({"code": [s + suffix for s in used_sectors], "level": level,
                                   "parent_code": [s + parent_suffix for s in used_sectors],
                                   "name_fa": label, "name_en": "Olist goods"}))
    taxon = pd.concat([sectors.assign(level="sector", parent_code=None), *chain,
                       pd.DataFrame({"code": cats["code"], "level": "sub_branch",
                                     "parent_code": cats["sector_code"] + ".OL.F.B", "name_fa": cats["name_fa"],
                                     "name_en": cats["name_en"]})], ignore_index=True)[REF_COLUMNS["taxon"]]

    # ---- regions: each province's counties and one capital zone
    counties = div.counties
    regions = pd.concat([
        pd.DataFrame({"region_id": "c-" + counties["county_id"], "province_id": counties["province_id"],
                      "kind": "county", "name_fa": counties["name_fa"], "amar_code": counties["amar_code"]}),
        pd.DataFrame({"region_id": ["z-" + p for p in pids], "province_id": pids, "kind": "capital_zone",
                      "name_fa": [f"{c} - مرکز" for c in provinces["capital_name_fa"]], "amar_code": None}),
    ], ignore_index=True)

    # ---- units: a supplier per seller, in the capital zone or a county of its province (by its city's name)
    s = market.sellers
    # the province's counties other than the capital's (a loop over the 31 provinces, not over sellers)
    capital_county = dict(zip(provinces["province_id"], provinces["capital_county_id"], strict=True))
    mine = [counties.loc[counties["province_id"] == p, "county_id"].to_numpy(dtype=object) for p in pids]
    others = [m[m != capital_county[p]] if (m != capital_county[p]).any() else m
              for p, m in zip(pids, mine, strict=True)]
    lengths = np.array([len(o) for o in others])
    offsets = dict(zip(pids, np.r_[0, np.cumsum(lengths)[:-1]], strict=True))
    sizes = dict(zip(pids, lengths, strict=True))
    flat = np.concatenate(others)
    city_hash = pd.util.hash_pandas_object(s["city"], index=False).to_numpy(dtype=np.uint64)
    size = s["province_id"].map(sizes).to_numpy(dtype=np.uint64)
    pick = flat[s["province_id"].map(offsets).to_numpy(dtype=np.int64) + (city_hash % size).astype(np.int64)]
    region = np.where(s["in_capital"], "z-" + s["province_id"], "c-" + pick.astype(str).astype(object))
    cat = s["category"].map(dict(zip(cats["category"], cats["code"], strict=True)))
    sector = cat.str.split(".").str[0]
    domain = sector + ".OL"
    unit = pd.DataFrame({
        "unit_id": s["unit_id"], "valid_from": valid_from, "valid_to": None, "kind": "supplier",
        "name_fa": s["display_name"], "province_id": s["province_id"], "region_id": region,
        "in_capital": s["in_capital"].astype(bool), "sector_code": sector, "headcount": pd.NA,
        "steward_person_id": None, "domain_code": domain,
        "kanoon_id": "ksp-" + s["province_id"] + "-" + domain,
    })

    # ---- kanoons: one social cooperation kanoon per region, one suppliers kanoon per (province, domain)
    supplier_kanoons = unit.drop_duplicates("kanoon_id")
    kanoon = pd.concat([
        pd.DataFrame({"kanoon_id": "ksc-" + regions["region_id"], "kind": "social_cooperation",
                      "entrepreneurship_type": None, "province_id": regions["province_id"],
                      "region_id": regions["region_id"], "taxon_code": None, "social_group": None,
                      "name_fa": "کانون همیاری اجتماعی " + regions["name_fa"]}),
        pd.DataFrame({"kanoon_id": supplier_kanoons["kanoon_id"], "kind": "entrepreneurship",
                      "entrepreneurship_type": "supplier", "province_id": supplier_kanoons["province_id"],
                      "region_id": None, "taxon_code": supplier_kanoons["domain_code"], "social_group": None,
                      "name_fa": "کانون تامین‌کنندگان " + supplier_kanoons["domain_code"] + " استان "
                                 + supplier_kanoons["province_id"].map(names)}),
    ], ignore_index=True).assign(valid_from=valid_from, valid_to=None)

    # ---- rahyari teams: a social one per region, a specialized one per (province, sector) of its suppliers
    specialized = unit[["province_id", "sector_code"]].drop_duplicates()
    sector_names = dict(zip(sectors["code"], sectors["name_fa"], strict=True))
    teams = pd.concat([
        pd.DataFrame({"team_id": "soc-" + regions["region_id"], "kind": "social", "province_id": regions["province_id"],
                      "region_id": regions["region_id"], "sector_code": None, "social_group": None,
                      "name_fa": "رهیاری اجتماعی " + regions["name_fa"],
                      "email": "soc." + regions["region_id"] + "@olist.rasad.example"}),
        pd.DataFrame({"team_id": "spc-" + specialized["province_id"] + "-" + specialized["sector_code"],
                      "kind": "specialized", "province_id": specialized["province_id"], "region_id": None,
                      "sector_code": specialized["sector_code"], "social_group": None,
                      "name_fa": "رهیاری تخصصی " + specialized["sector_code"].map(sector_names),
                      "email": "spc." + specialized["province_id"] + "." + specialized["sector_code"].str.lower()
                               + "@olist.rasad.example"}),
    ], ignore_index=True).assign(valid_from=valid_from, valid_to=None)
    roles = pd.DataFrame({"role_id": "rr-" + teams["team_id"], "team_id": teams["team_id"],
                          "person_id": "p-rhy-" + teams["team_id"], "role": "rahyar",
                          "valid_from": valid_from, "valid_to": None})

    # ---- secretariats, affairs, Fardap, and one officer per province coordinated with Fardap
    secretariat = pd.DataFrame({"secretariat_id": ["sec-" + p for p in pids], "province_id": pids,
                                "name_fa": ["دبیرخانه استان " + names[p] for p in pids],
                                "director_person_id": None, "email": None, "valid_from": valid_from, "valid_to": None})
    affair = pd.DataFrame([
        {"affair_id": f"aff-{p}-{short}", "secretariat_id": f"sec-{p}", "kind": kind,
         "name_fa": f"{label} استان {names[p]}", "head_person_id": None, "email": None,
         "valid_from": valid_from, "valid_to": None}
        for p in pids for kind, short, label in (("social_cooperation", "sc", "امور همیاری اجتماعی"),
                                                 ("qard_al_hasan", "qh", "امور قرض‌الحسنه"),
                                                 ("social_entrepreneurship", "se", "امور کارآفرینی اجتماعی"))])
    fardap_office = pd.DataFrame({"office_id": ["fdo-central"] + [f"fdo-{p}" for p in pids],
                                  "province_id": [None] + pids,
                                  "name_fa": ["فرداپ مرکزی"] + ["فرداپ استان " + names[p] for p in pids],
                                  "email": ["fardap@olist.rasad.example"] + [None] * len(pids),
                                  "valid_from": valid_from, "valid_to": None})
    coordinator = pd.DataFrame({"coordinator_id": ["fdp-central"] + [f"fdp-{p}" for p in pids],
                                "person_id": ["p-fdp-central"] + [f"p-fdp-{p}" for p in pids],
                                "province_id": [None] + pids, "valid_from": valid_from, "valid_to": None})
    officer = pd.DataFrame({"assignment_id": [f"moa-{p}" for p in pids], "province_id": pids,
                            "person_id": [f"p-off-{p}" for p in pids], "valid_from": valid_from, "valid_to": None,
                            "assigned_by": "دبیر استان", "fardap_coordinated": True,
                            "fardap_coordinator_id": [f"fdp-{p}" for p in pids]})
    person_ids = pd.Series([f"p-off-{p}" for p in pids] + ["p-fdp-central"] + [f"p-fdp-{p}" for p in pids]
                           + roles["person_id"].tolist(), dtype=object)
    emails = person_ids.str.replace("p-", "", n=1) + "@olist.rasad.example"
    person = pd.DataFrame({"person_id": person_ids, "full_name": full_names(rng, len(person_ids)),
                           "email": emails, "mobile": mobiles(rng, len(person_ids)),
                           "national_id": national_ids(rng, len(person_ids))})
    empty = {name: pd.DataFrame(columns=REF_COLUMNS[name]) for name in ("member", "membership")}
    return {
        "province": provinces[REF_COLUMNS["province"]].copy(), "region": regions, "taxon": taxon,
        "person": person, "secretariat": secretariat, "affair": affair, "fardap_office": fardap_office,
        "fardap_coordinator": coordinator, "monitoring_officer_assignment": officer, "rahyari_team": teams,
        "rahyari_role": roles, "kanoon": kanoon, **empty, "unit": unit,
    }
