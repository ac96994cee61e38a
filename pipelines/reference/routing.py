"""Who receives a finding, as the organisation stood on the finding's day.

- **primary**: the monitoring officer of the seller's province. A province with no officer escalates to its
  provincial Fardap coordinator, or else to the central Fardap. Nothing is dropped: a seller with no known
  unit goes to central Fardap.
- **rahyari**: the team that covers the unit, by the seed's rules (DOMAIN.md, "who covers whom"):
  1. a work-and-life or work-and-business core → the social rahyari of its region;
  2. a supplier in the provincial capital → the specialized rahyari of its domain, else of its sector; when
     none is assigned, the province's social-entrepreneurship affair;
  3. a supplier in a county → the county's social rahyari.
- **cc**: for rule 3, the specialized rahyari and the province's social-entrepreneurship affair (the
  "triangle"), whichever exist.

Everything is computed whole-column over the units of the day; JSON fragments are built once per team,
affair and province, then joined as strings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from pipelines.store.sql_files import read_frame

CORE_KINDS = ("work_and_life_core", "work_and_business_core")
# which coverage rule routed a unit
RULE_CORE = "core_social_rahyari"
RULE_CAPITAL_SPECIALIZED = "capital_supplier_specialized"
RULE_CAPITAL_AFFAIR = "capital_supplier_affair"
RULE_COUNTY_TRIANGLE = "county_supplier_triangle"
RULE_UNKNOWN = "unit_unknown"

_EMPTY = "[]"


def _fill(series: pd.Series, value) -> pd.Series:
    """`fillna` on a mapped column that may have come back all-NaN (float), as objects."""
    series = series.astype(object)
    return series.where(series.notna(), value)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Recipients:
    """Who receives each province's findings on a day, and who covers each unit."""

    day: date
    provinces: pd.DataFrame  # province_id, name_fa, capital_name_fa
    units: pd.DataFrame  # unit_id, kind, province_id, region_id, in_capital, sector_code, domain_code, ...
    primary: pd.DataFrame  # province_id, role, person_id, full_name, email, escalated
    central: dict | None
    # unit_id, coverage_rule, covered, rahyari (JSON list), cc (JSON list)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)



def _team_json(teams: pd.DataFrame, role: str) -> pd.Series:
    """One JSON object per team, indexed by team_id."""
    records = pd.DataFrame(
        {"role": role, "team_id": teams["team_id"], "name": teams["name_fa"], "email": teams["email"]}
    ).astype(object)
    records = records.where(records.notna(), None)
    return pd.Series([_dumps(r) for r in records.to_dict("records")], index=teams["team_id"].to_numpy(), dtype=object)


def cover_units(units: pd.DataFrame, teams: pd.DataFrame, affairs: pd.DataFrame) -> pd.DataFrame:
    """The covering rahyari and the copies of each unit, by the seed's rules (pure; whole-column).

    `units`: unit_id, kind, province_id, region_id, in_capital, sector_code, domain_code;
    `teams`: team_id, kind, province_id, region_id, sector_code, name_fa, email (active that day);
    `affairs`: affair_id, province_id, kind, name_fa, email (active that day).
    Returns unit_id, province_id, coverage_rule, covered, rahyari and cc (JSON lists as text).
    """
    u = units[["unit_id", "kind", "province_id", "region_id", "in_capital", "sector_code"]].copy()
    u["domain_code"] = units["domain_code"] if "domain_code" in units else None
    u = u.reset_index(drop=True)
    if u.empty:
        return pd.DataFrame(columns=["unit_id", "province_id", "coverage_rule", "covered", "rahyari", "cc"])

    social = teams[teams["kind"] == "social"].sort_values("team_id").drop_duplicates("region_id")
    social_json = _team_json(social, "social_rahyari")
    social_of_region = pd.Series(social_json.to_numpy(), index=social["region_id"].to_numpy())
    u_social = u["region_id"].map(social_of_region)

    spec = teams[teams["kind"] == "specialized"].sort_values("team_id")
    spec = spec.drop_duplicates(["province_id", "sector_code"])
    spec_json = _team_json(spec, "specialized_rahyari")
    spec_key = spec["province_id"].astype(str) + "|" + spec["sector_code"].astype(str)
    spec_of_key = pd.Series(spec_json.to_numpy(), index=spec_key.to_numpy())
    # a specialist holding the unit's domain is closer than one holding its whole sector
    by_domain = (u["province_id"].astype(str) + "|" + u["domain_code"].astype(str)).map(spec_of_key)
    by_sector = (u["province_id"].astype(str) + "|" + u["sector_code"].astype(str)).map(spec_of_key)
    u_spec = by_domain.where(by_domain.notna(), by_sector)

    se = affairs[affairs["kind"] == "social_entrepreneurship"].sort_values("affair_id").drop_duplicates("province_id")
    se_records = pd.DataFrame(
        {"role": "social_entrepreneurship_affair", "affair_id": se["affair_id"], "name": se["name_fa"],
         "email": se["email"]}
    ).astype(object)
    se_records = se_records.where(se_records.notna(), None)
    se_json = pd.Series([_dumps(r) for r in se_records.to_dict("records")], index=se["province_id"].to_numpy(),
                        dtype=object)
    u_affair = u["province_id"].map(se_json)

    is_core = u["kind"].isin(CORE_KINDS).to_numpy()
    in_capital = u["in_capital"].fillna(False).astype(bool).to_numpy()
    has_social, has_spec, has_affair = (s.notna().to_numpy() for s in (u_social, u_spec, u_affair))
    social_s, spec_s, affair_s = (_fill(s, "").to_numpy(dtype=object) for s in (u_social, u_spec, u_affair))

    def one(present: np.ndarray, item: np.ndarray) -> np.ndarray:
        return np.where(present, "[" + item + "]", _EMPTY).astype(object)

    capital_supplier = ~is_core & in_capital
    county_supplier = ~is_core & ~in_capital
    rule = np.select(
        [is_core, capital_supplier & has_spec, capital_supplier],
        [RULE_CORE, RULE_CAPITAL_SPECIALIZED, RULE_CAPITAL_AFFAIR],
        RULE_COUNTY_TRIANGLE,
    ).astype(object)
    rahyari = np.where(
        is_core | county_supplier,
        one(has_social, social_s),
        np.where(has_spec, one(has_spec, spec_s), one(has_affair, affair_s)),
    ).astype(object)
    # the triangle: specialized rahyari and the affair in copy, whichever exist
    cc_items = np.where(has_spec & has_affair, spec_s + ", " + affair_s, np.where(has_spec, spec_s, affair_s))
    cc = np.where(county_supplier & (has_spec | has_affair), "[" + cc_items.astype(object) + "]", _EMPTY).astype(object)
    return pd.DataFrame(
        {
            "unit_id": u["unit_id"],
            "province_id": u["province_id"],
            "coverage_rule": rule,
            "covered": rahyari != _EMPTY,
            "rahyari": rahyari,
            "cc": cc,
        }
    )


def sellers_with_units(sellers: pd.DataFrame, units: pd.DataFrame,
                       unit_columns: Sequence[str] = ("province_id",)) -> pd.DataFrame:
    """Each seller (one row a seller_id) with its unit's columns; a seller whose unit is unknown keeps nulls.

    The one place a seller account is tied to the province (and kind, sector) of its unit in `ref`.
    """
    return (sellers.drop_duplicates("seller_id")
            .merge(units[["unit_id", *unit_columns]], on="unit_id", how="left"))


def seller_provinces(conn: Connection, sellers: pd.DataFrame, day: date) -> pd.DataFrame:
    """seller_id -> province_id of the seller's unit as the organisation stood on `day` (no routing built)."""
    units = read_frame(conn, "routing/select_units_on_day", day=day)
    return sellers_with_units(sellers[["seller_id", "unit_id"]], units)[["seller_id", "province_id"]]


def recipients_on(conn: Connection, day: date) -> Recipients:
    """Load the organisation's routing for `day` in a few whole-table reads."""
    provinces = read_frame(conn, "routing/select_provinces")
    units = read_frame(conn, "routing/select_units_on_day", day=day)
    officers = read_frame(conn, "routing/select_officers_on_day", day=day).drop_duplicates("province_id")
    coordinators = read_frame(conn, "routing/select_fardap_coordinators_on_day", day=day)
    teams = read_frame(conn, "routing/select_rahyari_teams_on_day", day=day)
    affairs = read_frame(conn, "routing/select_affairs_on_day", day=day)
    central_rows = coordinators[coordinators["province_id"].isna()]
    central = None
    if not central_rows.empty:
        c = central_rows.iloc[0]
        central = {"role": "fardap_central", "person_id": c["person_id"], "full_name": c["full_name"],
                   "email": c["email"]}
    provincial = coordinators[coordinators["province_id"].notna()].drop_duplicates("province_id")

    primary = provinces[["province_id"]].merge(officers, on="province_id", how="left")
    primary["role"] = "monitoring_officer"
    primary["escalated"] = primary["person_id"].isna()
    fallback = provinces[["province_id"]].merge(provincial, on="province_id", how="left").set_index("province_id")
    missing = primary["person_id"].isna()
    for column in ("person_id", "full_name", "email"):
        primary.loc[missing, column] = primary.loc[missing, "province_id"].map(fallback[column])
    primary.loc[missing, "role"] = "fardap_provincial"
    still_missing = primary["person_id"].isna()
    if central is not None:
        for column in ("person_id", "full_name", "email"):
            primary.loc[still_missing, column] = central[column]
        primary.loc[still_missing, "role"] = "fardap_central"
    primary = primary[["province_id", "role", "person_id", "full_name", "email", "escalated"]]
    coverage = cover_units(units, teams, affairs)
    return Recipients(day=day, provinces=provinces, units=units, primary=primary, central=central,
                      coverage=coverage)


def _primary_json(recipients: Recipients, province_ids: pd.Series) -> pd.Series:
    """The primary recipient of each row's province as JSON; unknown provinces go to central Fardap."""
    p = recipients.primary
    records = pd.DataFrame(
        {
            "role": p["role"],
            "person_id": p["person_id"],
            "name": p["full_name"],
            "email": p["email"],
            "escalated": p["escalated"].fillna(True).astype(bool),
            "reason": None,
        }
    ).astype(object)
    records = records.where(records.notna(), None)
    by_province = pd.Series([_dumps(r) for r in records.to_dict("records")], index=p["province_id"].to_numpy(),
                            dtype=object)
    central = recipients.central or {}
    unknown = _dumps({"role": "fardap_central" if central else None, "person_id": central.get("person_id"),
                      "name": central.get("full_name"), "email": central.get("email"), "escalated": True,
                      "reason": "unit_unknown"})
    return _fill(province_ids.map(by_province), unknown)


def route_sellers(recipients: Recipients, sellers: pd.DataFrame) -> pd.DataFrame:
    """For each seller (seller_id, unit_id): its unit, province and the routing used, as JSON.

    The routing is `{"primary": {...}, "rahyari": [...], "cc": [...]}`.
    """
    s = sellers[["seller_id", "unit_id"]].drop_duplicates("seller_id").reset_index(drop=True)
    s = s.merge(recipients.units[["unit_id", "province_id"]].drop_duplicates("unit_id"), on="unit_id", how="left")
    s["routing"] = _compose(recipients, s["unit_id"], s["province_id"])
    return s[["seller_id", "unit_id", "province_id", "routing"]]


def _compose(recipients: Recipients, unit_ids: pd.Series, province_ids: pd.Series) -> pd.Series:
    primary = _primary_json(recipients, province_ids)
    cov = recipients.coverage
    if cov.empty:
        rahyari = pd.Series(_EMPTY, index=unit_ids.index, dtype=object)
        cc = rahyari
    else:
        cov = cov.drop_duplicates("unit_id").set_index("unit_id")
        rahyari = _fill(unit_ids.map(cov["rahyari"]), _EMPTY)
        cc = _fill(unit_ids.map(cov["cc"]), _EMPTY)
    return '{"cc": ' + cc.astype(object) + ', "primary": ' + primary.astype(object) + ', "rahyari": ' \
        + rahyari.astype(object) + "}"


def route_units(conn: Connection, unit_ids, on_date: date) -> pd.DataFrame:
    """Route many units at once, as the organisation stood on `on_date`.

    Returns unit_id, province_id, coverage_rule, covered and routing (the JSON stored on findings).
    """
    recipients = recipients_on(conn, on_date)
    return route_units_with(recipients, unit_ids)


def route_units_with(recipients: Recipients, unit_ids) -> pd.DataFrame:
    """`route_units` on an already loaded organisation (pure)."""
    ids = pd.Series(list(unit_ids), dtype=object, name="unit_id")
    units = recipients.units.drop_duplicates("unit_id").set_index("unit_id")
    out = pd.DataFrame({"unit_id": ids, "province_id": ids.map(units["province_id"])})
    cov = recipients.coverage.drop_duplicates("unit_id").set_index("unit_id") if not recipients.coverage.empty \
        else pd.DataFrame(columns=["coverage_rule", "covered"])
    out["coverage_rule"] = _fill(ids.map(cov["coverage_rule"]), RULE_UNKNOWN)
    out["covered"] = _fill(ids.map(cov["covered"]), False).astype(bool)
    out["routing"] = _compose(recipients, ids, out["province_id"])
    return out


def route(unit_id: str, on_date: date, conn: Connection | None = None) -> dict:
    """Who receives a finding about `unit_id` on `on_date`: {"primary", "rahyari", "cc", "coverage_rule", ...}.

    Without `conn`, it reads the store named by the settings.
    """
    if conn is None:
        from pipelines.settings import get_settings
        from pipelines.store.engine import store_engine

        with store_engine(get_settings()).connect() as own:
            return route(unit_id, on_date, own)
    row = route_units(conn, [unit_id], on_date).iloc[0]
    routed = json.loads(row["routing"])
    province = row["province_id"]
    routed.update(
        unit_id=unit_id,
        province_id=None if pd.isna(province) else province,
        coverage_rule=row["coverage_rule"],
        covered=bool(row["covered"]),
    )
    return routed
