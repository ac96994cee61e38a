"""Abnormal prices: each active offer against its peers (same sub-branch and unit).

The band is robust: median and MAD of log unit price, so a few gougers do not move it,
and a log scale, so categories whose prices differ by orders of magnitude compare alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.checks import OBSERVATION_COLUMNS, empty_observations, severity_from_impact
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings

MAD_TO_SIGMA = 1.4826


def peer_band(offers: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay, settings: Settings) -> pd.DataFrame:
    """Active offers whose unit price is far outside the national band of their peers."""
    active = offers[(offers["status"] == "active") & (offers["created_at"] < day.end)].copy()
    if active.empty:
        return empty_observations()
    active["log_price"] = np.log(active["unit_price_rial"].astype(float))
    group = active.groupby(["category_code", "unit"])["log_price"]
    active["peer_count"] = group.transform("size")
    active["peer_median"] = group.transform("median")
    active["abs_dev"] = (active["log_price"] - active["peer_median"]).abs()
    mad = active.groupby(["category_code", "unit"])["abs_dev"].transform("median")
    # a floor on the spread: peers that agree to the rial must not make a 5% difference abnormal
    scale = np.maximum(MAD_TO_SIGMA * mad, settings.price_min_log_spread)
    active["robust_z"] = (active["log_price"] - active["peer_median"]) / scale
    active["ratio"] = np.exp(active["log_price"] - active["peer_median"])
    flagged = active[
        (active["peer_count"] >= settings.price_min_peer_offers)
        & (active["robust_z"].abs() > settings.price_peer_robust_z)
    ]
    if flagged.empty:
        return empty_observations()
    median_rial = np.exp(flagged["peer_median"]).round().astype("int64")
    # the rial value at stake: the gap per unit times the units ordered on D (at least one)
    on_day = orders[(orders["ordered_at"] >= day.start) & (orders["ordered_at"] < day.end)]
    units_ordered = on_day.groupby("offer_id")["quantity"].sum()
    units = flagged["offer_id"].map(units_ordered).fillna(1.0).clip(lower=1.0)
    impact = ((flagged["unit_price_rial"] - median_rial).abs() * units).round().astype("int64")
    evidence = pd.DataFrame(
        {
            "unit_price_rial": flagged["unit_price_rial"].astype("int64"),
            "peer_median_rial": median_rial,
            "ratio": flagged["ratio"].round(3),
            "robust_z": flagged["robust_z"].round(2),
            "peer_count": flagged["peer_count"].astype("int64"),
            "category_code": flagged["category_code"],
            "unit": flagged["unit"],
            "scope": "national",
        }
    ).astype(object)
    out = pd.DataFrame(
        {
            "rule": "price_peer_band",
            "entity_type": "offer",
            "entity_id": flagged["offer_id"].astype(str),
            "seller_id": flagged["seller_id"],
            "offer_id": flagged["offer_id"],
            "severity": severity_from_impact(impact, settings.severity_critical_impact_rial,
                                             settings.severity_warning_impact_rial),
            "impact_rial": impact,
            "evidence": pd.Series(evidence.to_dict("records"), index=flagged.index, dtype=object),
        }
    )
    # twice or half the peers is critical whatever was ordered today
    gross = (flagged["ratio"] >= 2.0) | (flagged["ratio"] <= 0.5)
    out.loc[gross, "severity"] = "critical"
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)
