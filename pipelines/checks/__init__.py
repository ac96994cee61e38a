"""The checks: each turns the marketplace state of a day into observations of one rule.

An observation says: on day D, rule R holds for entity E (with evidence, severity and the
rial value at stake). Findings (episodes) are derived from observations in `pipelines.findings.episodes`.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd

from pipelines.frames import Layout
from pipelines.state.money import IMPACT_MAX_RIAL, amount_rial

__all__ = ["IMPACT_MAX_RIAL", "amount_rial"]
from pipelines.vocabulary import RULES

# what every check emits and `pipelines.findings` reads: one rule holding for one entity on the day
OBSERVATIONS = Layout("observations", (
    "rule", "entity_type", "entity_id", "seller_id", "offer_id", "severity", "impact_rial", "evidence",
))
OBSERVATION_COLUMNS = list(OBSERVATIONS.columns)
Observations = Annotated[pd.DataFrame, OBSERVATIONS]


def check_of(rules: pd.Series) -> pd.Series:
    """The check (on_time, quality, price, ...) each rule answers, whole-column; unknown rules: 'other'."""
    return rules.map({name: rule.check for name, rule in RULES.items()}).fillna("other")


def kind_of(rules: pd.Series) -> pd.Series:
    """Each rule's episode kind (event or state), whole-column; unknown rules behave as events."""
    return rules.map({name: rule.kind for name, rule in RULES.items()}).fillna("event")


def empty_observations() -> Observations:
    """An observation frame with no rows."""
    return OBSERVATIONS.empty()


def severity_from_impact(impact_rial: pd.Series, critical_rial: int, warning_rial: int) -> pd.Series:
    """info / warning / critical by the rial value at stake, whole-column."""
    out = pd.Series("info", index=impact_rial.index, dtype=object)
    out[impact_rial >= warning_rial] = "warning"
    out[impact_rial >= critical_rial] = "critical"
    return out
