"""Amounts of money from quantities and prices, whole-column, that never wrap.

The contract bounds a quantity and a price (`pipelines.source.contract`), yet their product can still pass int64
(ten million units at the largest price): every amount at stake (a finding's impact, a scorecard's value) is
multiplied in float64 and bounded before it becomes an integer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
