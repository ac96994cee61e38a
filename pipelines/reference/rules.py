"""The seed's rules of the organisation, checked on the reference data as it stood on a day.

Each rule is one SQL file in `sql/reference/` (or, for coverage, the routing itself) that returns the
entities breaking it. Each break becomes a violation episode for Fardap in `monitoring.reference_violation`,
keyed by hash(rule, entity_id, episode_start_day): while it lasts, the episode is updated, not duplicated;
the first day it no longer holds, it is resolved. Re-running a day leaves the same state.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, delete, update

from pipelines.reference.routing import RULE_UNKNOWN, recipients_on, route_units_with
from pipelines.reference.tables import reference_violation
from pipelines.settings import Settings
from pipelines.store.sql_files import read_frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReferenceRule:
    """One rule of the seed: its name, its severity and the SQL that finds its breaks."""

    name: str
    severity: str  # warning | critical
    sql: str | None  # sql/<name>.sql; None: computed in Python
    description: str


RULES: tuple[ReferenceRule, ...] = (
    ReferenceRule("member_joined_social_cooperation_first", "warning",
                  "reference/select_members_not_first_in_social_cooperation",
                  "a member joins a social cooperation kanoon before any other kanoon or system"),
    ReferenceRule("one_suppliers_kanoon_per_province_domain", "warning",
                  "reference/select_province_domains_without_one_suppliers_kanoon",
                  "exactly one suppliers kanoon per province per specialised domain"),
    ReferenceRule("core_size_and_steward", "warning", "reference/select_cores_too_big_or_without_steward",
                  "a core has at most 15 people and a steward"),
    ReferenceRule("supplier_is_not_a_core", "warning", "reference/select_suppliers_acting_as_cores",
                  "a supplier is never a core"),
    ReferenceRule("exclusive_rahyari_in_capital", "warning", "reference/select_exclusive_rahyaris_outside_capital",
                  "exclusive rahyaris exist only in the provincial capital"),
    ReferenceRule("region_has_one_social_rahyari", "critical", "reference/select_regions_without_one_social_rahyari",
                  "every region has one social rahyari"),
    ReferenceRule("one_officer_per_province_with_fardap", "critical",
                  "reference/select_provinces_without_one_officer",
                  "exactly one active monitoring officer per province, assigned with Fardap"),
    ReferenceRule("selling_unit_covered", "critical", None,
                  "every selling unit is covered by a rahyari, and every seller's unit is known"),
)
RULE_NAMES = tuple(r.name for r in RULES)
_BASE = ["entity_type", "entity_id", "province_id"]


@dataclass(frozen=True)
class ReferenceCheckResult:
    """What one run of the rules found on a day."""

    day: date
    violations: dict[str, int]  # rule -> entities breaking it on the day
    opened: int
    continued: int
    resolved: int

    @property
    def total(self) -> int:
        """All breaks found on the day."""
        return sum(self.violations.values())


def _detail(frame: pd.DataFrame) -> pd.Series:
    """The rule-specific columns of each row as JSON (dates as ISO text)."""
    extra = [c for c in frame.columns if c not in _BASE]
    if not extra:
        return pd.Series("{}", index=frame.index, dtype=object)
    values = frame[extra].astype(object)
    values = values.where(values.notna(), None)
    records = values.to_dict("records")
    return pd.Series([json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) for r in records],
                     index=frame.index, dtype=object)


def _coverage_breaks(conn: Connection, day: date) -> pd.DataFrame:
    """Units active on `day` that no rahyari covers, and staged sellers whose unit is unknown on `day`."""
    from pipelines.monitored_day import MonitoredDay
    from pipelines.store.sql_files import read_frame

    recipients = recipients_on(conn, day)
    cov = recipients.coverage
    uncovered = cov[~cov["covered"].astype(bool)] if not cov.empty else cov
    units = pd.DataFrame(
        {
            "entity_type": "unit",
            "entity_id": uncovered.get("unit_id", pd.Series(dtype=object)),
            "province_id": uncovered.get("province_id", pd.Series(dtype=object)),
            "coverage_rule": uncovered.get("coverage_rule", pd.Series(dtype=object)),
        }
    )
    sellers = read_frame(conn, "state/select_sellers_as_of", as_of=MonitoredDay(day).end)
    routed = route_units_with(recipients, sellers["unit_id"]) if not sellers.empty else pd.DataFrame(
        columns=["unit_id", "coverage_rule"])
    unknown = sellers[(routed["coverage_rule"] == RULE_UNKNOWN).to_numpy()] if not sellers.empty else sellers
    seller_rows = pd.DataFrame(
        {
            "entity_type": "seller",
            "entity_id": unknown.get("seller_id", pd.Series(dtype=object)),
            "province_id": None,
            "coverage_rule": RULE_UNKNOWN,
            "unit_id": unknown.get("unit_id", pd.Series(dtype=object)),
        }
    )
    return pd.concat([units, seller_rows], ignore_index=True)


def find_violations(conn: Connection, day: date, settings: Settings) -> pd.DataFrame:
    """Every break of every rule on `day`: rule, severity, entity_type, entity_id, province_id, detail."""
    parts = []
    for rule in RULES:
        if rule.sql is None:
            found = _coverage_breaks(conn, day)
        else:
            params: dict[str, date | int] = {"day": day}
            if rule.name == "core_size_and_steward":
                params["max_core_headcount"] = settings.core_max_headcount
            found = read_frame(conn, rule.sql, **params)
        if found.empty:
            continue
        part = found[_BASE].astype(object).copy()
        part["detail"] = _detail(found)
        part.insert(0, "severity", rule.severity)
        part.insert(0, "rule", rule.name)
        parts.append(part)
    columns = ["rule", "severity", *_BASE, "detail"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)[columns]
    out["entity_id"] = out["entity_id"].astype(str)
    return out.drop_duplicates(["rule", "entity_id"]).reset_index(drop=True)


def _fardap_routing(conn: Connection, day: date, province_ids: pd.Series) -> pd.Series:
    """Violations go to Fardap: the province's coordinator, else the central office."""
    coordinators = read_frame(conn, "routing/select_fardap_coordinators_on_day", day=day)
    central = coordinators[coordinators["province_id"].isna()].head(1)
    provincial = coordinators[coordinators["province_id"].notna()].drop_duplicates("province_id")

    def as_json(row, role: str) -> str:
        return json.dumps({"primary": {"role": role, "person_id": row["person_id"], "name": row["full_name"],
                                       "email": row["email"], "escalated": False, "reason": None},
                           "rahyari": [], "cc": []}, ensure_ascii=False, sort_keys=True)

    by_province = {r["province_id"]: as_json(r, "fardap_provincial") for r in provincial.to_dict("records")}
    fallback = as_json(central.iloc[0], "fardap_central") if not central.empty else json.dumps(
        {"primary": None, "rahyari": [], "cc": []})
    mapped = province_ids.astype(object).map(by_province).astype(object)
    return mapped.where(mapped.notna(), fallback)


def _violation_id(rule: str, entity_id: str, start: date) -> str:
    return hashlib.sha1(f"{rule}|{entity_id}|{start.isoformat()}".encode()).hexdigest()


def record_violations(conn: Connection, day: date, found: pd.DataFrame) -> tuple[int, int, int]:
    """Open, continue or resolve the violation episodes of `day`; returns (opened, continued, resolved)."""
    found = found.copy()
    found["routing"] = _fardap_routing(conn, day, found["province_id"]) if not found.empty else pd.Series(
        dtype=object)
    existing = read_frame(conn, "reference/select_open_violations", day=day)
    for column in ("episode_start_day", "last_observed_day"):
        existing[column] = pd.to_datetime(existing[column]).dt.date if not existing.empty else existing[column]
    merged = found.merge(existing, on=["rule", "entity_id"], how="outer", indicator=True)
    t = reference_violation

    new = merged[merged["_merge"] == "left_only"]
    if not new.empty:
        rows = pd.DataFrame(
            {
                "violation_id": [_violation_id(r, e, day) for r, e in zip(new["rule"], new["entity_id"], strict=True)],
                "rule": new["rule"],
                "severity": new["severity"],
                "entity_type": new["entity_type"],
                "entity_id": new["entity_id"],
                "province_id": new["province_id"],
                "detail": new["detail"],
                "episode_start_day": day,
                "last_observed_day": day,
                "resolved_day": None,
                "routing": new["routing"],
            }
        ).astype(object)
        rows = rows.where(rows.notna(), None)
        conn.execute(t.insert(), rows.to_dict("records"))

    still = merged[merged["_merge"] == "both"]
    if not still.empty:
        params = pd.DataFrame(
            {
                "vid": still["violation_id"],
                "severity": still["severity"],
                "province_id": still["province_id"],
                "detail": still["detail"],
                "routing": still["routing"],
                "last": [max(last, day) for last in still["last_observed_day"]],
            }
        ).astype(object)
        params = params.where(params.notna(), None)
        conn.execute(
            update(t).where(t.c.violation_id == bindparam("vid")).values(
                severity=bindparam("severity"), province_id=bindparam("province_id"), detail=bindparam("detail"),
                routing=bindparam("routing"), last_observed_day=bindparam("last"), resolved_day=None,
            ),
            params.to_dict("records"),
        )

    gone = merged[merged["_merge"] == "right_only"]
    # seen only on this day, and not any more (the reference data changed): it never was an episode
    vanished = gone[gone["episode_start_day"] == day]
    if not vanished.empty:
        conn.execute(delete(t).where(t.c.violation_id.in_(vanished["violation_id"].tolist())))
    # a re-run of an older day must not resolve what later days saw
    ending = gone[(gone["episode_start_day"] < day) & (gone["last_observed_day"] < day)]
    if not ending.empty:
        conn.execute(
            update(t).where(t.c.violation_id == bindparam("vid")).values(resolved_day=bindparam("resolved")),
            [{"vid": v, "resolved": day} for v in ending["violation_id"]],
        )
    return len(new), len(still), len(ending)


def check_reference(store: Engine, settings: Settings, day: date) -> ReferenceCheckResult:
    """Run every rule on the reference data as it stood on `day` and record the violations, atomically."""
    with store.begin() as conn:
        found = find_violations(conn, day, settings)
        opened, continued, resolved = record_violations(conn, day, found)
    counts = found.groupby("rule").size().to_dict() if not found.empty else {}
    result = ReferenceCheckResult(day=day, violations={r: int(counts.get(r, 0)) for r in RULE_NAMES},
                                  opened=opened, continued=continued, resolved=resolved)
    log.info("reference rules on %s: %s", day, result)
    return result


def run_reference_checks(settings: Settings, day: date) -> dict:
    """The reference DAG's task: check the rules for `day` on the configured store; a JSON-able summary."""
    from pipelines.store.engine import store_engine

    result = check_reference(store_engine(settings), settings, day)
    return {"day": day.isoformat(), "violations": result.violations, "opened": result.opened,
            "continued": result.continued, "resolved": result.resolved}
