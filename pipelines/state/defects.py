"""What counts as a quality defect on a delivery version (DECISIONS.md, rule definitions), whole-column.

Any one signal is enough: the grade received below the grade promised, the goods rejected, returned (status or
a returned quantity), a complaint of a quality kind, or a low buyer rating. A complaint of `late` supports an
on-time finding instead; `other` is shown but is no defect.
"""

from __future__ import annotations

import pandas as pd

GRADE_RANK = {"A": 3, "B": 2, "C": 1}
QUALITY_COMPLAINTS = ("not_as_described", "damaged", "wrong_item", "short_quantity")
SIGNALS = ("grade_below_promised", "rejected", "returned", "complaint", "low_rating")


def quality_signals(versions: pd.DataFrame, promised_quality: pd.Series, low_rating_max: int) -> pd.DataFrame:
    """One boolean column per defect signal, for every delivery version (whole-column)."""
    received_rank = versions["received_quality"].map(GRADE_RANK)
    promised_rank = promised_quality.map(GRADE_RANK)
    rating = pd.to_numeric(versions["buyer_rating"], errors="coerce")
    returned_qty = pd.to_numeric(versions["returned_qty"], errors="coerce").fillna(0)
    return pd.DataFrame(
        {
            "grade_below_promised": (received_rank < promised_rank).fillna(False).astype(bool),
            "rejected": (versions["received_quality"] == "rejected").fillna(False).astype(bool),
            "returned": ((versions["status"] == "returned") | (returned_qty > 0)).fillna(False).astype(bool),
            "complaint": versions["complaint"].isin(QUALITY_COMPLAINTS).astype(bool),
            "low_rating": (rating <= low_rating_max).fillna(False).astype(bool),
        },
        index=versions.index,
    )
