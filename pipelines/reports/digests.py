"""Two digests built from the store: Fardap's national page of a day, and a specialized rahyari's week.

- `build_fardap_digest`: one row per province (deliveries, on-time and quality shares, abnormal prices,
  open and critical findings, change against the same day a week before, who receives the province's
  report), the provinces with no officer, and the findings that escalated to Fardap.
- `build_sector_digests`: for each specialized rahyari team, its sector across its province over the last
  `weekly_digest_days`: price levels against the country, abnormal prices, late and defect shares against
  the whole province, and the suppliers to watch.

Whole-frame pandas throughout; the only loops are over provinces and teams.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from pipelines.monitored_day import MonitoredDay
from pipelines.reference.routing import recipients_on, sellers_with_units
from pipelines.reports.daily import findings_of_day
from pipelines.reports.map_image import MapClass, classes, province_map_png
from pipelines.reports.model import ProvinceReport, ReportFinding
from pipelines.reports.rule_breaks import RuleBreakSummary, open_rule_breaks, summarize
from pipelines.settings import Settings
from pipelines.store.sql_files import read_frame

ON_TIME_RULES = ("late_delivery",)
DEFECT_RULES = ("quality_defect",)
PRICE_RULES = ("price_peer_band",)
ESCALATED_SHOWN = 40
PRICES_SHOWN = 12
ANOMALIES_SHOWN = 10
SUPPLIERS_SHOWN = 10



def _routing(value: str | None) -> dict:
    try:
        parsed = json.loads(value) if value else {}
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


# ---------------------------------------------------------------- Fardap, national, daily


@dataclass(frozen=True)
class ProvinceFigures:
    """One province's row of the national table."""

    province_id: str
    name_fa: str
    delivered: int
    late: int
    defects: int
    active_offers: int
    price_findings: int
    open_findings: int
    critical: int
    new: int
    open_week_ago: int
    recipient_name: str | None
    recipient_role: str  # monitoring_officer | fardap_provincial | fardap_central
    escalated: bool


@dataclass(frozen=True)
class EscalatedFinding:
    """A finding of the day whose province had no officer (or whose seller's unit is unknown)."""

    province_name_fa: str | None
    recipient_name: str | None
    finding: ReportFinding


@dataclass(frozen=True)
class FardapDigest:
    """Fardap's national page of one Tehran day."""

    day: date
    to_name: str | None
    to_email: str | None
    rows: Sequence[ProvinceFigures]
    escalated: Sequence[EscalatedFinding]  # the first ESCALATED_SHOWN, by impact
    escalated_total: int
    generated_at: datetime
    # issue 16: the map of open findings (a PNG, with its colour classes) and the organisation's rule breaks
    map_png: bytes | None = None
    map_classes: Sequence[MapClass] = ()
    rule_breaks: Sequence[RuleBreakSummary] = ()
    core_max_headcount: int = 15


def _with_status(findings: pd.DataFrame) -> pd.DataFrame:
    return findings if "status" in findings else findings.assign(status=pd.Series(dtype=object))


def _seller_units(sellers: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    return sellers_with_units(sellers[["seller_id", "unit_id", "display_name"]], units,
                              ["province_id", "kind", "sector_code", "name_fa"])


def build_fardap_digest(store: Engine, settings: Settings, day: date,
                        reports: Sequence[ProvinceReport]) -> FardapDigest:
    """The national digest of `day`; `reports` are the day's province reports (findings already built)."""
    monitored = MonitoredDay(day)
    with store.connect() as conn:
        recipients = recipients_on(conn, day)
        sellers = read_frame(conn, "state/select_sellers_as_of", as_of=monitored.end)
        offers = read_frame(conn, "state/select_offers_as_of", as_of=monitored.end)
        delivered = read_frame(conn, "digests/select_delivered_by_seller",
                          window_start=monitored.start, window_end=monitored.end)
        observed = read_frame(conn, "digests/select_observation_counts_by_seller", first_day=day, day=day)
        week_ago = _with_status(findings_of_day(conn, day - timedelta(days=7)))
        today = _with_status(findings_of_day(conn, day))
    seller_units = _seller_units(sellers, recipients.units)
    delivered = delivered.merge(seller_units[["seller_id", "province_id"]], on="seller_id", how="left")
    per_province = pd.DataFrame({"province_id": recipients.provinces["province_id"]})

    def _count(frame: pd.DataFrame, value: str, name: str) -> pd.Series:
        if frame.empty:
            return pd.Series(0, index=per_province["province_id"], name=name)
        return frame.groupby("province_id")[value].sum().rename(name)

    active = offers[offers["status"] == "active"].merge(seller_units[["seller_id", "province_id"]],
                                                         on="seller_id", how="left").assign(n=1)
    obs = observed.assign(observed=observed["observed"].astype(int))
    figures = (
        per_province.set_index("province_id")
        .join(_count(delivered, "delivered", "delivered"))
        .join(_count(obs[obs["rule"].isin(ON_TIME_RULES)], "observed", "late"))
        .join(_count(obs[obs["rule"].isin(DEFECT_RULES)], "observed", "defects"))
        .join(_count(obs[obs["rule"].isin(PRICE_RULES)], "observed", "price_findings"))
        .join(_count(active, "n", "active_offers"))
        .join(_count(today.assign(n=1), "n", "open_findings"))
        .join(_count(today[today["severity"] == "critical"].assign(n=1), "n", "critical"))
        .join(_count(today[today["status"] == "new"].assign(n=1), "n", "new"))
        .join(_count(week_ago.assign(n=1), "n", "open_week_ago"))
    )
    for column in ("delivered", "late", "defects", "price_findings", "active_offers", "open_findings",
                   "critical", "new", "open_week_ago"):
        figures[column] = figures[column].fillna(0).astype(int) if column in figures else 0
    primary = recipients.primary.set_index("province_id")
    names = recipients.provinces.set_index("province_id")["name_fa"]
    rows = [
        ProvinceFigures(
            province_id=pid, name_fa=str(names[pid]),
            delivered=int(f.delivered), late=int(f.late), defects=int(f.defects),
            active_offers=int(f.active_offers), price_findings=int(f.price_findings),
            open_findings=int(f.open_findings), critical=int(f.critical), new=int(f.new),
            open_week_ago=int(f.open_week_ago),
            recipient_name=(None if pid not in primary.index or pd.isna(primary.loc[pid, "full_name"])
                            else str(primary.loc[pid, "full_name"])),
            recipient_role=str(primary.loc[pid, "role"]) if pid in primary.index else "fardap_central",
            escalated=bool(primary.loc[pid, "escalated"]) if pid in primary.index else True,
        )
        for pid, f in zip(figures.index, figures.itertuples(index=False), strict=True)
    ]

    # findings that escalated: their routing says so (no officer, or the seller's unit is unknown)
    by_id = {f.finding_id: (r, f) for r in reports for f in r.findings}
    escalated: list[EscalatedFinding] = []
    total = 0
    if not today.empty:
        flags = today["routing"].map(lambda v: bool(_routing(v).get("primary", {}).get("escalated")))
        esc = today[flags]
        total = len(esc)
        seller_names = sellers.set_index("seller_id")["display_name"]
        for row in esc.sort_values("impact_rial", ascending=False).head(ESCALATED_SHOWN).itertuples(index=False):
            report, finding = by_id.get(row.finding_id, (None, None))
            if finding is None:  # no province: build it from the row
                finding = ReportFinding(
                    finding_id=row.finding_id, rule=row.rule, check=row.check_name, severity=row.severity,
                    status=row.status, episode_start_day=row.episode_start_day, seller_id=row.seller_id,
                    seller_name=str(seller_names.get(row.seller_id, row.seller_id)), offer_id=row.offer_id,
                    offer_title=None, entity_type=row.entity_type, entity_id=row.entity_id,
                    impact_rial=int(row.impact_rial), evidence={},
                    dashboard_url=f"{settings.dashboard_base_url}/?finding={row.finding_id}",
                )
            primary_route = _routing(row.routing).get("primary", {})
            escalated.append(EscalatedFinding(
                province_name_fa=report.province_name_fa if report else None,
                recipient_name=primary_route.get("name"),
                finding=finding,
            ))
    central = recipients.central or {}
    return FardapDigest(
        day=day, to_name=central.get("full_name"), to_email=central.get("email"), rows=rows,
        escalated=escalated, escalated_total=total, generated_at=datetime.now(UTC),
        **_map_and_rule_breaks(store, settings, day, rows, recipients.provinces),
    )


def _map_and_rule_breaks(store: Engine, settings: Settings, day: date, rows: Sequence[ProvinceFigures],
                         provinces: pd.DataFrame) -> dict:
    """The digest's map of open findings per province, and the rule breaks of the organisation open on `day`."""
    counts = {r.province_id: float(r.open_findings) for r in rows}
    values: dict[str, float | None] = dict(counts)
    bins = classes(list(counts.values()))
    with store.connect() as conn:
        breaks = summarize(open_rule_breaks(conn, day))
    return {"map_png": province_map_png(values, provinces[["province_id", "name_fa"]], bins), "map_classes": bins,
            "rule_breaks": breaks, "core_max_headcount": settings.core_max_headcount}


# ---------------------------------------------------------------- specialized rahyari, weekly


@dataclass(frozen=True)
class PriceLevel:
    """The price of one sub-branch and unit among the sector's active offers, against the country."""

    category_name_fa: str
    unit: str
    offers: int
    median_province_rial: float
    median_national_rial: float


@dataclass(frozen=True)
class SupplierToWatch:
    """A supplier of the sector with findings in the week."""

    name_fa: str
    late: int
    defects: int
    price: int
    findings: int
    impact_rial: int


@dataclass(frozen=True)
class SectorDigest:
    """A specialized rahyari's week: its sector across its province."""

    team_id: str
    team_name_fa: str
    email: str | None
    province_id: str
    province_name_fa: str
    sector_code: str
    sector_name_fa: str
    first_day: date
    day: date
    delivered: int
    late: int
    defects: int
    province_delivered: int
    province_late: int
    province_defects: int
    prices: Sequence[PriceLevel]
    anomalies: Sequence[ReportFinding]
    anomalies_total: int
    suppliers: Sequence[SupplierToWatch]
    generated_at: datetime


def is_weekly_digest_day(day: date, settings: Settings) -> bool:
    """Whether `day` closes a digest week (a Jalali weekday, Friday by default)."""
    import jdatetime

    return jdatetime.date.fromgregorian(date=day).weekday() == settings.weekly_digest_jalali_weekday


def build_sector_digests(store: Engine, settings: Settings, day: date,
                         reports: Sequence[ProvinceReport]) -> list[SectorDigest]:
    """One digest per specialized rahyari team on `day`, over the week that ends on `day`."""
    first_day = day - timedelta(days=settings.weekly_digest_days - 1)
    monitored = MonitoredDay(day)
    with store.connect() as conn:
        recipients = recipients_on(conn, day)
        teams = read_frame(conn, "digests/select_teams_on_day", day=day)
        taxa = read_frame(conn, "digests/select_taxon_names")
        sellers = read_frame(conn, "state/select_sellers_as_of", as_of=monitored.end)
        offers = read_frame(conn, "state/select_offers_as_of", as_of=monitored.end)
        delivered = read_frame(conn, "digests/select_delivered_by_seller",
                          window_start=MonitoredDay(first_day).start, window_end=monitored.end)
        observed = read_frame(conn, "digests/select_observation_counts_by_seller", first_day=first_day, day=day)
    teams = teams[teams["kind"] == "specialized"]
    if teams.empty:
        return []
    seller_units = _seller_units(sellers, recipients.units)
    taxon_names = taxa.set_index("code")["name_fa"]
    province_names = recipients.provinces.set_index("province_id")["name_fa"]
    delivered = delivered.merge(seller_units, on="seller_id", how="left")
    observed = observed.merge(seller_units.drop(columns=["province_id"]), on="seller_id", how="left")
    observed["observed"] = observed["observed"].astype(int)
    observed["impact_rial"] = observed["impact_rial"].fillna(0).astype("int64")
    observed["group"] = observed["rule"].map(
        lambda r: "late" if r in ON_TIME_RULES else "defects" if r in DEFECT_RULES
        else "price" if r in PRICE_RULES else "other")
    active = offers[offers["status"] == "active"].merge(seller_units, on="seller_id", how="left")
    national = active.groupby(["category_code", "unit"])["unit_price_rial"].median().rename("national")
    findings = [(r.province_id, f) for r in reports for f in r.findings if f.rule in PRICE_RULES]
    sector_of_seller = seller_units.set_index("seller_id")["sector_code"]

    digests = []
    for team in teams.itertuples(index=False):
        pid, code = team.province_id, team.sector_code
        in_prov_del = delivered[delivered["province_id"] == pid]
        mine_del = in_prov_del[in_prov_del["sector_code"] == code]
        in_prov_obs = observed[observed["province_id"] == pid]
        mine_obs = in_prov_obs[in_prov_obs["sector_code"] == code]
        mine_offers = active[(active["province_id"] == pid) & (active["sector_code"] == code)]
        levels = (
            mine_offers.groupby(["category_code", "unit"])["unit_price_rial"].agg(["count", "median"])
            .join(national).sort_values("count", ascending=False).head(PRICES_SHOWN)
        )
        prices = [
            PriceLevel(category_name_fa=str(taxon_names.get(cat, cat)), unit=str(unit), offers=int(row["count"]),
                       median_province_rial=float(row["median"]), median_national_rial=float(row["national"]))
            for (cat, unit), row in levels.iterrows()
        ]
        anomalies = sorted(
            (f for p, f in findings if p == pid and sector_of_seller.get(f.seller_id) == code),
            key=lambda f: -f.impact_rial,
        )
        sup = mine_obs[mine_obs["kind"] == "supplier"]
        watch = (
            sup.pivot_table(index="name_fa", columns="group", values="observed", aggfunc="sum", fill_value=0)
            .join(sup.groupby("name_fa")["impact_rial"].sum())
            if not sup.empty else pd.DataFrame()
        )
        suppliers = []
        if not watch.empty:
            for g in ("late", "defects", "price", "other"):
                if g not in watch:
                    watch[g] = 0
            watch["findings"] = watch[["late", "defects", "price", "other"]].sum(axis=1)
            watch = watch.sort_values(["impact_rial", "findings"], ascending=False).head(SUPPLIERS_SHOWN)
            suppliers = [
                SupplierToWatch(name_fa=str(name), late=int(r["late"]), defects=int(r["defects"]),
                                price=int(r["price"]), findings=int(r["findings"]), impact_rial=int(r["impact_rial"]))
                for name, r in watch.iterrows()
            ]
        digests.append(SectorDigest(
            team_id=team.team_id, team_name_fa=team.name_fa,
            email=None if pd.isna(team.email) else team.email,
            province_id=pid, province_name_fa=str(province_names.get(pid, pid)),
            sector_code=code, sector_name_fa=str(taxon_names.get(code, code)),
            first_day=first_day, day=day,
            delivered=int(mine_del["delivered"].sum()),
            late=int(mine_obs.loc[mine_obs["group"] == "late", "observed"].sum()),
            defects=int(mine_obs.loc[mine_obs["group"] == "defects", "observed"].sum()),
            province_delivered=int(in_prov_del["delivered"].sum()),
            province_late=int(in_prov_obs.loc[in_prov_obs["group"] == "late", "observed"].sum()),
            province_defects=int(in_prov_obs.loc[in_prov_obs["group"] == "defects", "observed"].sum()),
            prices=prices, anomalies=anomalies[:ANOMALIES_SHOWN], anomalies_total=len(anomalies),
            suppliers=suppliers, generated_at=datetime.now(UTC),
        ))
    return digests
