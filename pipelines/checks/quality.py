"""Quality as promised: what the buyer received against what the offer promised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.checks import OBSERVATION_COLUMNS, Observations, empty_observations, severity_from_impact
from pipelines.checks.on_time import first_true_on_day
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings

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


def quality_defects(
    delivery_versions: pd.DataFrame, orders: pd.DataFrame, offers: pd.DataFrame, day: MonitoredDay,
    settings: Settings,
) -> Observations:
    """Deliveries on which a quality defect first became visible during D, with the signals that fired."""
    if delivery_versions.empty:
        return empty_observations()
    v = delivery_versions.merge(orders[["order_id", "offer_id", "quantity", "unit_price_rial"]],
                                on="order_id", how="inner")
    v = v.merge(offers[["offer_id", "seller_id", "promised_quality"]], on="offer_id", how="left")
    signals = quality_signals(v, v["promised_quality"], settings.low_rating_max)
    turned = first_true_on_day(v, signals.any(axis=1), day)
    if turned.empty:
        return empty_observations()
    fired = signals.loc[turned.index]
    names = np.array(SIGNALS, dtype=object)
    signal_lists = [list(names[row]) for row in fired[list(SIGNALS)].to_numpy()]
    qty = turned["delivered_qty"].fillna(turned["quantity"])
    impact = (qty * turned["unit_price_rial"]).round().astype("int64")
    severity = severity_from_impact(impact, settings.severity_critical_impact_rial,
                                    settings.severity_warning_impact_rial)
    severity[(fired["rejected"] | fired["returned"]).to_numpy() & (severity == "info").to_numpy()] = "warning"
    evidence = pd.DataFrame(
        {
            "order_id": turned["order_id"],
            "signals": signal_lists,
            "promised_quality": turned["promised_quality"],
            "received_quality": turned["received_quality"],
            "buyer_rating": turned["buyer_rating"],
            "complaint": turned["complaint"],
            "returned_qty": turned["returned_qty"],
            "delivered_qty": qty,
        },
        index=turned.index,
    )
    evidence = evidence.astype(object).where(evidence.notna(), None)
    out = pd.DataFrame(
        {
            "rule": "quality_defect",
            "entity_type": "delivery",
            "entity_id": turned["delivery_id"].astype(str),
            "seller_id": turned["seller_id"],
            "offer_id": turned["offer_id"],
            "severity": severity,
            "impact_rial": impact,
            "evidence": pd.Series(evidence.to_dict("records"), index=turned.index, dtype=object),
        }
    )
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)
