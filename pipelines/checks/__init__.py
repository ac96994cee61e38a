"""The checks: each turns the marketplace state of a day into observations of one rule.

An observation says: on day D, rule R holds for entity E (with evidence, severity and the
rial value at stake). Findings (episodes) are derived from observations in `pipelines.findings.episodes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

OBSERVATION_COLUMNS = [
    "rule", "entity_type", "entity_id", "seller_id", "offer_id", "severity", "impact_rial", "evidence",
]


@dataclass(frozen=True)
class Rule:
    """A rule's place in the monitoring: which question it answers and how its episodes behave."""

    name: str
    check: str  # on_time | quality | price: the three questions of seed section B-12
    kind: str  # event: observed once, on the day it became true; state: observed every day it holds
    entity_type: str


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("late_delivery", "on_time", "event", "delivery"),
        Rule("overdue_order", "on_time", "state", "order"),
        Rule("seller_cancellation", "on_time", "event", "delivery"),
        Rule("quality_defect", "quality", "event", "delivery"),
        Rule("price_peer_band", "price", "state", "offer"),
        Rule("source_silent", "ingest", "state", "source"),
        Rule("price_own_history_jump", "price", "state", "offer"),
        Rule("price_nesieh_markup", "price", "state", "offer"),
        Rule("price_model_outlier", "price", "state", "offer"),
        Rule("scorecard_on_time", "on_time", "state", "seller"),
        Rule("scorecard_quality", "quality", "state", "seller"),
        Rule("scorecard_seller_cancel", "on_time", "state", "seller"),
    )
}


def check_of(rules: pd.Series) -> pd.Series:
    """The check (on_time, quality, price, ...) each rule answers, whole-column; unknown rules: 'other'."""
    return rules.map({name: rule.check for name, rule in RULES.items()}).fillna("other")


def kind_of(rules: pd.Series) -> pd.Series:
    """Each rule's episode kind (event or state), whole-column; unknown rules behave as events."""
    return rules.map({name: rule.kind for name, rule in RULES.items()}).fillna("event")


def empty_observations() -> pd.DataFrame:
    """An observation frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in OBSERVATION_COLUMNS})


def severity_from_impact(impact_rial: pd.Series, critical_rial: int, warning_rial: int) -> pd.Series:
    """info / warning / critical by the rial value at stake, whole-column."""
    out = pd.Series("info", index=impact_rial.index, dtype=object)
    out[impact_rial >= warning_rial] = "warning"
    out[impact_rial >= critical_rial] = "critical"
    return out
