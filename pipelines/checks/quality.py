"""Quality as promised: what the buyer received against what the offer promised."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from pipelines.checks import Observations, amount_rial, empty_observations, severity_from_impact
from pipelines.checks.on_time import event_days, first_true, within
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings
from pipelines.state.defects import SIGNALS, quality_signals


def quality_defects(
    delivery_versions: pd.DataFrame, orders: pd.DataFrame, offers: pd.DataFrame, day: MonitoredDay,
    settings: Settings, first_day: date | None = None,
) -> Observations:
    """Deliveries on which a quality defect first became visible in the day's changes, with the signals.

    A rating, a complaint or a grade carries no timestamp of its own in the contract: the defect is dated by
    the version that first showed it.
    """
    first_day = first_day or day.day
    if delivery_versions.empty:
        return empty_observations()
    v = delivery_versions.merge(orders[["order_id", "offer_id", "seller_id", "quantity", "unit_price_rial"]],
                                on="order_id", how="inner")
    v = v.merge(offers[["offer_id", "promised_quality"]], on="offer_id", how="left").reset_index(drop=True)
    signals = quality_signals(v, v["promised_quality"], settings.low_rating_max)
    turned = first_true(v, signals.any(axis=1))
    # a defect is dated by the version that first showed it: a late record of the delivery could be dated by the
    # delivery, but over a source that keeps only the latest version (a backfill) the same rule would date a
    # rating given days later by the delivery, so both keep to what the record says
    turned = turned.assign(_when=turned["updated_at"])
    turned = turned[within(event_days(turned["_when"]), first_day, day)]
    if turned.empty:
        return empty_observations()
    fired = signals.loc[turned.index]
    names = np.array(SIGNALS, dtype=object)
    signal_lists = [list(names[row]) for row in fired[list(SIGNALS)].to_numpy()]
    qty = turned["delivered_qty"].fillna(turned["quantity"])
    impact = amount_rial(qty, turned["unit_price_rial"])
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
            "day": event_days(turned["_when"]),
        }
    )
    return out.reset_index(drop=True)
