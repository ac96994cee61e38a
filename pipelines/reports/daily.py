"""Gather each province's findings of a day from the store and write its Persian report."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, delete, select

from pipelines.checks import check_of
from pipelines.monitored_day import MonitoredDay
from pipelines.reference import tables as ref_tables
from pipelines.reference.routing import recipients_on
from pipelines.reports import tables as report_tables
from pipelines.reports.model import ProvinceReport, ReportFinding
from pipelines.reports.rates import rates_of_day, report_rates
from pipelines.reports.render import render_province_report
from pipelines.settings import Settings
from pipelines.store.engine import insert_frame
from pipelines.store.sql_files import read_frame
from pipelines.vocabulary import MARKET_CHECKS, SEVERITY_RANK


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _with_category_name(evidence: dict, taxon_names: dict[str, str]) -> dict:
    """Officers read the sub-branch's Persian name, not its code."""
    code = evidence.get("category_code")
    if code and code in taxon_names:
        return {**evidence, "category_name": taxon_names[code]}
    return evidence


def findings_of_day(conn, day: date) -> pd.DataFrame:
    """Every finding listed on `day`, ranked: severity first, then the rial value at stake."""
    frame = read_frame(conn, "reports/select_findings_of_day", day=day)
    if frame.empty:
        return frame
    frame["episode_start_day"] = frame["episode_start_day"].map(_as_date)
    frame["status"] = frame["episode_start_day"].map(lambda d: "new" if d == day else "ongoing")
    frame["severity_rank"] = frame["severity"].map(SEVERITY_RANK)
    return frame.sort_values(
        ["severity_rank", "impact_rial", "finding_id"], ascending=[True, False, True]
    ).reset_index(drop=True)


def _daily_counts(conn, day: date) -> pd.DataFrame:
    counts = read_frame(conn, "reports/select_observation_counts", first_day=day - timedelta(days=7), day=day)
    if counts.empty:
        return counts.assign(check=pd.Series(dtype=object))
    counts["day"] = counts["day"].map(_as_date)
    counts["check"] = check_of(counts["rule"])
    return counts


def build_reports(store: Engine, settings: Settings, day: date,
                  provinces: list[str] | None = None) -> list[ProvinceReport]:
    """One ProvinceReport for each of the provinces (or of `provinces`), findings of that province only."""
    monitored = MonitoredDay(day)
    with store.connect() as conn:
        recipients = recipients_on(conn, day)
        findings = findings_of_day(conn, day)
        counts = _daily_counts(conn, day)
        resolved = read_frame(conn, "reports/select_resolved_counts", day=day)
        late = read_frame(conn, "reports/select_late_findings_of_day", day=day)
        withdrawn = read_frame(conn, "reports/select_withdrawn_counts", day=day)
        sellers = read_frame(conn, "state/select_sellers_as_of", as_of=monitored.end)
        offers = read_frame(conn, "state/select_offers_as_of", as_of=monitored.end)
        taxon_names = dict(conn.execute(select(ref_tables.taxon.c.code, ref_tables.taxon.c.name_fa)).all())
        rates = rates_of_day(conn, day)
    seller_names = sellers.set_index("seller_id")["display_name"]
    offer_titles = offers.set_index("offer_id")["title"]
    resolved_by_province = (
        resolved.set_index("province_id")["resolved"] if not resolved.empty else pd.Series()
    )
    withdrawn_by_province = (
        withdrawn.set_index("province_id")["withdrawn"] if not withdrawn.empty else pd.Series()
    )
    if not late.empty:
        late["episode_start_day"] = late["episode_start_day"].map(_as_date)
        late["discovered_day"] = late["discovered_day"].map(_as_date)
        late["status"] = "new"
        late = late.sort_values(["episode_start_day", "finding_id"]).reset_index(drop=True)
    if not findings.empty:  # only the flagged sellers' rows, before the provinces look theirs up
        rates = rates[(rates["level"] != "seller") | rates["seller_id"].isin(set(findings["seller_id"].dropna()))]
    primary = recipients.primary.set_index("province_id")
    generated_at = datetime.now(UTC)
    reports = []
    listed = recipients.provinces
    if provinces is not None:
        listed = listed[listed["province_id"].astype(str).isin([str(p) for p in provinces])]
    for province in listed.itertuples(index=False):
        pid = province.province_id
        mine = findings[findings["province_id"] == pid] if not findings.empty else findings
        c = counts[counts["province_id"] == pid] if not counts.empty else counts
        today: dict[str, int] = {
            k: int(c[(c["day"] == day) & (c["check"] == k)]["observed"].sum()) for k in MARKET_CHECKS
        }
        before = c[c["day"] < day]
        prev: dict[str, float] = {k: float(before[before["check"] == k]["observed"].sum()) / 7.0 for k in MARKET_CHECKS}
        who = primary.loc[pid] if pid in primary.index else None
        escalated = who is None or bool(who["escalated"])
        def report_findings(frame: pd.DataFrame) -> list[ReportFinding]:
            return [
                ReportFinding(
                    finding_id=f.finding_id,
                    rule=f.rule,
                    check=f.check_name,
                    severity=f.severity,
                    status=f.status,
                    episode_start_day=f.episode_start_day,
                    seller_id=f.seller_id,
                    seller_name=str(seller_names.get(f.seller_id, f.seller_id)),
                    offer_id=f.offer_id,
                    offer_title=(str(offer_titles.get(f.offer_id)) if f.offer_id in offer_titles.index else None),
                    entity_type=f.entity_type,
                    entity_id=f.entity_id,
                    impact_rial=int(f.impact_rial),
                    evidence=_with_category_name(json.loads(f.evidence), taxon_names),
                    dashboard_url=f"{settings.dashboard_base_url}/?finding={f.finding_id}",
                    discovered_day=getattr(f, "discovered_day", None),
                )
                for f in frame.itertuples(index=False)
            ]

        items = report_findings(mine)
        late_mine = late[late["province_id"] == pid] if not late.empty else late
        reports.append(
            ProvinceReport(
                province_id=pid,
                province_name_fa=province.name_fa,
                day=day,
                officer_name=None if escalated or who is None else who["full_name"],
                escalated_to=(who["full_name"] if (escalated and who is not None) else None),
                counts_today=today,
                counts_prev_7d_avg=prev,
                new_count=sum(1 for i in items if i.status == "new"),
                ongoing_count=sum(1 for i in items if i.status == "ongoing"),
                resolved_count=int(resolved_by_province.get(pid, 0)),
                findings=items,
                attention_budget=settings.attention_budget_findings,
                generated_at=generated_at,
                late_findings=report_findings(late_mine),
                withdrawn_count=int(withdrawn_by_province.get(pid, 0)),
                **_rates_of(rates, pid, province.name_fa, items),
            )
        )
    return reports


# the report shows the rates of at most this many flagged sellers (the first by their findings' rank)
RATE_SELLERS_SHOWN = 15


def _rates_of(rates: pd.DataFrame, province_id: str, province_name: str, items: list[ReportFinding]) -> dict:
    """The province's rates and its flagged sellers' (in the order of their first finding), for ProvinceReport."""
    flagged = list({f.seller_id: f.seller_name for f in items if f.seller_id}.items())
    shown = flagged[:RATE_SELLERS_SHOWN]
    return {"rates": report_rates(rates, province_id, province_name, shown),
            "rates_sellers_more": len(flagged) - len(shown)}


def write_province_reports(store: Engine, settings: Settings, day: date,
                           provinces: list[str] | None = None) -> list[Path]:
    """Render and write `var/reports/<day>/<province_id>.html` for every province (or for `provinces`, one
    partition of the day, replacing only their rows); record them."""
    out_dir = settings.reports_dir / day.isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths, rows = [], []
    for report in build_reports(store, settings, day, provinces):
        path = out_dir / f"{report.province_id}.html"
        path.write_text(render_province_report(report), encoding="utf-8")
        paths.append(path)
        rows.append(
            {
                "day": day,
                "province_id": report.province_id,
                "path": str(path),
                "findings_listed": min(len(report.findings), report.attention_budget),
                "findings_total": len(report.findings),
                "written_at": report.generated_at,
            }
        )
    with store.begin() as conn:
        mine = report_tables.report.c.day == day
        if provinces is not None:
            mine = mine & report_tables.report.c.province_id.in_([str(p) for p in provinces])
        conn.execute(delete(report_tables.report).where(mine))
        insert_frame(conn, report_tables.report, pd.DataFrame(rows))
    return paths
