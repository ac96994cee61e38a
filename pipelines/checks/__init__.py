"""The checks: each turns the marketplace state of a day into observations of one rule.

An observation says: on day D, rule R holds for entity E (with evidence, severity and the
rial value at stake). Findings (episodes) are derived from observations in `pipelines.findings.episodes`.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd

from pipelines.frames import Layout
from pipelines.vocabulary import RULES

# what every check emits and `pipelines.findings` reads: one rule holding for one entity on the day
OBSERVATIONS = Layout("observations", (
    "rule", "entity_type", "entity_id", "seller_id", "offer_id", "severity", "impact_rial", "evidence",
))
OBSERVATION_COLUMNS = list(OBSERVATIONS.columns)
Observations = Annotated[pd.DataFrame, OBSERVATIONS]


# the largest amount an observation carries (a hundred trillion tomans): far above any real order, and so far
# below int64's limit that a digest summing thousands of such amounts cannot wrap either (a product beyond it,
# or an infinite one, is held at it)
IMPACT_MAX_RIAL = 10**15


def amount_rial(quantity: pd.Series, unit_price_rial: pd.Series) -> pd.Series:
    """quantity × unit price in rials, rounded, as int64, whole-column: multiplied in float64 (which cannot wrap),
    then bounded to [0, IMPACT_MAX_RIAL] before the cast; a missing or NaN factor gives 0."""
    q = pd.to_numeric(quantity, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    p = pd.to_numeric(unit_price_rial, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        product = np.round(q * p)
    product = np.where(np.isnan(product), 0.0, product)
    product = np.clip(product, 0.0, float(IMPACT_MAX_RIAL))
    return pd.Series(product.astype("int64"), index=quantity.index)


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
