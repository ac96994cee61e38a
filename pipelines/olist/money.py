"""Olist's prices (Brazilian reais, decimal text such as `58.9`) as whole rials, without float error.

The unit: **1 centavo = 100 rials** (1 real = 10,000 rials, about the free-market rate of 2018). The decimal
text is split at its point and read as whole centavos (`58.9` -> 5890, `199.0` -> 19900, `0.85` -> 85), never
through a float: `int(float("0.29") * 100)` is 28. The contract wants whole rials (integer); reports show
tomans (rials / 10), so 58.90 reais reads as 58,900 tomans.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RIALS_PER_CENTAVO = 100
_DECIMAL = r"^(?P<whole>\d+)(?:\.(?P<frac>\d{0,2}))?$"


def centavos(text: pd.Series) -> pd.Series:
    """Whole centavos of decimal text with up to two decimals; NA where the text is not such a number."""
    parts = text.astype("string").str.strip().str.extract(_DECIMAL)
    whole = pd.to_numeric(parts["whole"], errors="coerce").astype("Int64")
    frac = parts["frac"].fillna("").str.ljust(2, "0")
    frac_value = pd.to_numeric(frac.where(parts["whole"].notna()), errors="coerce").astype("Int64")
    return whole * 100 + frac_value


def rials(text: pd.Series) -> pd.Series:
    """Whole rials of decimal real text (Int64; NA where unreadable)."""
    return centavos(text) * RIALS_PER_CENTAVO


def float_truncation_errors(text: pd.Series) -> int:
    """How many values `int(float(x) * 100)` would get wrong: the error this module avoids."""
    as_float = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    exact = centavos(text).to_numpy(dtype=float, na_value=np.nan)
    truncated = np.trunc(as_float * 100)
    return int(np.sum(~np.isnan(exact) & (truncated != exact)))


def fewer_than_two_decimals(text: pd.Series) -> int:
    """Prices written with fewer than two decimals (`58.9`, `120`): pandas re-serialisation of the sample."""
    s = text.astype("string").str.strip()
    return int((~s.str.contains(r"\.\d\d$", regex=True, na=True)).sum())
