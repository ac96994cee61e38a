"""The monitoring's own vocabularies: rules, the checks they answer, severities, finding statuses, verdicts.

Each list lives here once; the checks, findings, reports, mail, dashboard and the message catalogue import
it (the catalogue's test asserts it has a Persian word for every entry). The source's vocabularies (units,
grades, delivery statuses, complaints) belong to the contract, in `pipelines.source.contract`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Check = Literal["on_time", "quality", "price", "ingest"]
RuleKind = Literal["event", "state"]
EntityType = Literal["delivery", "order", "offer", "seller", "source"]


@dataclass(frozen=True)
class Rule:
    """A rule's place in the monitoring: which question it answers and how its episodes behave."""

    name: str
    check: Check  # on_time | quality | price: the three questions of seed section B-12; ingest: the source
    kind: RuleKind  # event: observed once, on the day it became true; state: observed every day it holds
    entity_type: EntityType


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("late_delivery", "on_time", "event", "delivery"),
        Rule("overdue_order", "on_time", "state", "order"),
        Rule("seller_cancellation", "on_time", "event", "delivery"),
        Rule("quality_defect", "quality", "event", "delivery"),
        Rule("price_peer_band", "price", "state", "offer"),
        Rule("source_silent", "ingest", "state", "source"),
        # a seller whose delivery records reach the source systematically late: a data fault, not a delivery
        # fault, for the engineers and Fardap (never in an officer's report, never in a delivery scorecard)
        Rule("record_latency", "ingest", "state", "seller"),
        Rule("price_own_history_jump", "price", "state", "offer"),
        Rule("price_nesieh_markup", "price", "state", "offer"),
        Rule("price_model_outlier", "price", "state", "offer"),
        Rule("scorecard_on_time", "on_time", "state", "seller"),
        Rule("scorecard_quality", "quality", "state", "seller"),
        Rule("scorecard_seller_cancel", "on_time", "state", "seller"),
    )
}

# the three questions of seed section B-12, in the order reports show them; `ingest` is the source's health
MARKET_CHECKS: tuple[Check, ...] = ("on_time", "quality", "price")
CHECKS: tuple[Check, ...] = (*MARKET_CHECKS, "ingest")

# least to most severe
SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(reversed(SEVERITIES))}  # critical first

# an episode is new on its first day, ongoing while its condition holds, resolved on the first day it does not;
# an event finding (observed once) is past after its day
STATUSES = ("new", "ongoing", "resolved")
PAST = "past"

ENTITY_TYPES: tuple[EntityType, ...] = ("delivery", "order", "offer", "seller")

# an officer's verdict on a finding; `withdrawn` undoes a first verdict (the dashboard's undo)
VERDICTS = ("acknowledged", "false_positive", "actioned")
WITHDRAWN = "withdrawn"
