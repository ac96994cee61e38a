"""What a province's daily report shows: plain, frozen data, built by the caller and rendered by `render`.

Nothing here identifies a buyer. Evidence holds only the rule-specific keys listed on `ReportFinding`;
the renderer shows only those keys, so anything else a caller puts there never reaches the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

EVIDENCE_KEYS: Mapping[str, tuple[str, ...]] = {
    "late_delivery": ("promised_at", "delivered_at", "hours_late", "delivered_qty", "order_quantity"),
    "overdue_order": ("promised_at", "days_overdue", "order_quantity", "delivered_qty"),
    "seller_cancellation": ("order_quantity", "cancelled_at"),
    "quality_defect": (
        "signals",
        "promised_quality",
        "received_quality",
        "buyer_rating",
        "complaint",
        "returned_qty",
    ),
    "scorecard_on_time": ("window_days", "rate", "threshold", "deliveries_resolved", "distinct_buyers"),
    "scorecard_quality": ("window_days", "rate", "threshold", "deliveries_resolved", "distinct_buyers"),
    "scorecard_seller_cancel": ("window_days", "rate", "threshold", "deliveries_resolved", "distinct_buyers"),
    "price_peer_band": (
        "unit_price_rial",
        "peer_median_rial",
        "ratio",
        "robust_z",
        "peer_count",
        "category_code",
        "unit",
        "scope",
    ),
}


@dataclass(frozen=True)
class ReportFinding:
    """One finding (an episode of one rule on one entity) as the report shows it.

    `evidence` keys per rule (values plain numbers / ISO-8601 strings; naive timestamps are UTC):
    - late_delivery: promised_at, delivered_at, hours_late, delivered_qty, order_quantity
    - overdue_order: promised_at, days_overdue, order_quantity, delivered_qty
    - seller_cancellation: order_quantity, cancelled_at
    - quality_defect: signals (list of signal keys), promised_quality, received_quality, buyer_rating,
      complaint, returned_qty
    - price_peer_band: unit_price_rial, peer_median_rial, ratio, robust_z, peer_count, category_code,
      unit, scope ('national' | 'province'), peer_level ('sub_branch' | 'branch' | 'field'),
      national_median_rial, province_median_rial, price_score
    - price_own_history_jump: unit_price_rial, previous_price_rial, jump_ratio, nearest_ratio, history_count,
      history_days, unit, category_code, price_score
    - price_nesieh_markup: unit_price_rial, nesieh_unit_price_rial, nesieh_months, markup_per_month_pct,
      norm_markup_per_month_pct, robust_z, peer_count, unit, category_code, price_score
    - price_model_outlier: unit_price_rial, peer_median_rial, ratio, jump_ratio, model_score, model_version,
      unit, category_code, price_score
    """

    finding_id: str
    rule: str  # late_delivery | overdue_order | seller_cancellation | quality_defect | price_peer_band
    check: str  # on_time | quality | price
    severity: str  # info | warning | critical
    status: str  # new | ongoing | resolved
    episode_start_day: date
    seller_id: str
    seller_name: str
    offer_id: str | None
    offer_title: str | None
    entity_type: str  # delivery | order | offer | seller
    entity_id: str
    impact_rial: int
    evidence: Mapping[str, Any]
    dashboard_url: str
    discovered_day: date | None = None  # the day Rasad first saw it (later than episode_start_day: recorded late)


@dataclass(frozen=True)
class ProvinceReport:
    """A province's report for one monitored Tehran day."""

    province_id: str
    province_name_fa: str
    day: date  # the monitored Tehran day
    officer_name: str | None  # None: the province has no officer on that day
    escalated_to: str | None  # who receives it instead (provincial Fardap coordinator or central Fardap)
    counts_today: Mapping[str, int]  # by check: on_time, quality, price -> findings observed on the day
    counts_prev_7d_avg: Mapping[str, float]  # same, average over the 7 days before
    new_count: int
    ongoing_count: int
    resolved_count: int
    findings: Sequence[ReportFinding]  # ALL findings of the day, already ranked by impact
    attention_budget: int  # the report leads with at most this many
    generated_at: datetime
    # events of earlier days first seen today, because the source recorded them late: shown in a section of
    # their own, never as today's events
    late_findings: Sequence[ReportFinding] = ()
    # findings taken back today because records that arrived later no longer support them
    withdrawn_count: int = 0
    # the province's rates and those of its flagged sellers, beside the country's (empty: not gathered)
    rates: Sequence[EntityRates] = ()
    rates_sellers_more: int = 0  # flagged sellers whose rates the report leaves to the dashboard


# ---------------------------------------------------------------- rates (issue 16: rates, not only counts)


@dataclass(frozen=True)
class Rate:
    """A share with its denominator: `part` of `whole` orders (`rate` None when `whole` is zero)."""

    part: int
    whole: int
    rate: float | None


@dataclass(frozen=True)
class MeasureRates:
    """One measure (on_time | defect | seller_cancel) of one entity, per window, beside the country's."""

    measure: str
    windows: Mapping[int, Rate]  # window in days (1: the day's cohort) -> the entity's rate
    national: Mapping[int, Rate]  # the same window, for the whole country


@dataclass(frozen=True)
class EntityRates:
    """The rates of a province or of a flagged seller."""

    kind: str  # province | seller
    entity_id: str
    name: str
    measures: Sequence[MeasureRates]
