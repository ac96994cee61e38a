"""Who receives a finding: the monitoring officer of the seller's province, as the organisation stood
on the finding's day. A province with no officer escalates to its provincial Fardap coordinator, or
else to the central Fardap. Nothing is dropped: a seller with no known unit goes to central Fardap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from pipelines.sqlfiles import store_sql


@dataclass(frozen=True)
class Recipients:
    """Who receives each province's findings on a day."""

    day: date
    provinces: pd.DataFrame  # province_id, name_fa, capital_name_fa
    units: pd.DataFrame  # unit_id, kind, province_id, region_id, in_capital, sector_code
    primary: pd.DataFrame  # province_id, role, person_id, full_name, email, escalated
    central: dict | None


def _read(conn: Connection, name: str, **params) -> pd.DataFrame:
    return pd.read_sql(store_sql(name, conn.dialect.name), conn, params=params)


def recipients_on(conn: Connection, day: date) -> Recipients:
    """Load the organisation's routing for `day` in a few whole-table reads."""
    provinces = _read(conn, "routing/select_provinces")
    units = _read(conn, "routing/select_units_on_day", day=day)
    officers = _read(conn, "routing/select_officers_on_day", day=day).drop_duplicates("province_id")
    coordinators = _read(conn, "routing/select_fardap_coordinators_on_day", day=day)
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
    return Recipients(day=day, provinces=provinces, units=units, primary=primary, central=central)


def route_sellers(recipients: Recipients, sellers: pd.DataFrame) -> pd.DataFrame:
    """For each seller (seller_id, unit_id): its unit, province and the routing used, as JSON."""
    s = sellers[["seller_id", "unit_id"]].drop_duplicates("seller_id")
    s = s.merge(recipients.units[["unit_id", "province_id"]], on="unit_id", how="left")
    s = s.merge(recipients.primary, on="province_id", how="left")
    unrouted = s["person_id"].isna()
    if recipients.central is not None:
        for column in ("person_id", "full_name", "email"):
            s.loc[unrouted, column] = recipients.central[column]
        s.loc[unrouted, "role"] = "fardap_central"
        s.loc[unrouted, "escalated"] = True
    payload = pd.DataFrame(
        {
            "role": s["role"],
            "person_id": s["person_id"],
            "name": s["full_name"],
            "email": s["email"],
            "escalated": s["escalated"].fillna(True).astype(bool),
            "reason": pd.Series("unit_unknown", index=s.index).where(s["province_id"].isna(), None),
        }
    ).astype(object)
    payload = payload.where(payload.notna(), None)
    s["routing"] = [json.dumps({"primary": r}, ensure_ascii=False, sort_keys=True)
                    for r in payload.to_dict("records")]
    return s[["seller_id", "unit_id", "province_id", "routing"]]
