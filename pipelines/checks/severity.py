"""Severity from impact: the rial value at stake, the buyers affected, and the seller's repeat offences.

Each check sets a first severity from the rial value at stake (and its own hard cases, such as a week
late). This module then raises it, never lowers it, by two more measures of impact:
- buyers affected: one for a delivery or an order; a scorecard breach counts its distinct buyers;
- repeat offences: other entities of the same seller observed under the same rule within the recent
  window (settings.severity_repeat_window_days), the monitored day included.
Both are written into the evidence, so an officer sees why a finding is ranked where it is.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from pipelines.settings import Settings
from pipelines.store.sql_files import read_frame

LEVELS = ("info", "warning", "critical")
_LEVEL = {name: i for i, name in enumerate(LEVELS)}


def prior_offences(conn: Connection, day: date, settings: Settings) -> pd.DataFrame:
    """The distinct (seller, rule, entity) observed in the window before `day` (the day itself excluded)."""
    frame = read_frame(conn, "findings/select_seller_rule_offences",
                       first_day=day - timedelta(days=settings.severity_repeat_window_days),
                       last_day=day - timedelta(days=1))
    return frame if not frame.empty else pd.DataFrame(columns=["seller_id", "rule", "entity_id"])


def _level(values: pd.Series, warning: float, critical: float) -> np.ndarray:
    v = pd.to_numeric(values, errors="coerce").fillna(0).to_numpy()
    return np.where(v >= critical, 2, np.where(v >= warning, 1, 0))


def grade_severity(observations: pd.DataFrame, prior: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Raise each observation's severity by buyers affected and repeat offences; note both in evidence."""
    if observations.empty:
        return observations
    obs = observations.reset_index(drop=True).copy()
    if "buyers_affected" not in obs.columns:
        obs["buyers_affected"] = np.nan
    one_buyer = obs["entity_type"].isin(["delivery", "order"])
    obs["buyers_affected"] = obs["buyers_affected"].where(~one_buyer | obs["buyers_affected"].notna(), 1)
    # other entities of the same seller under the same rule, in the window up to and including today
    seen = pd.concat([prior[["seller_id", "rule", "entity_id"]], obs[["seller_id", "rule", "entity_id"]]])
    entities = seen.drop_duplicates().groupby(["seller_id", "rule"]).size().rename("entities").reset_index()
    counted = obs[["seller_id", "rule"]].merge(entities, on=["seller_id", "rule"], how="left")["entities"]
    obs["repeat_offences"] = (counted.fillna(1).to_numpy() - 1).astype("int64")
    base = obs["severity"].map(_LEVEL).fillna(0).to_numpy().astype(int)
    by_buyers = _level(obs["buyers_affected"], settings.severity_warning_buyers_affected,
                       settings.severity_critical_buyers_affected)
    by_repeats = _level(obs["repeat_offences"], settings.severity_warning_repeat_offences,
                        settings.severity_critical_repeat_offences)
    level = np.maximum.reduce([base, by_buyers, by_repeats])
    obs["severity"] = np.array(LEVELS, dtype=object)[level]
    buyers = pd.to_numeric(obs["buyers_affected"], errors="coerce").to_numpy(dtype=float)
    obs["evidence"] = [
        {**ev, "buyers_affected": None if np.isnan(b) else int(b), "repeat_offences": int(r)}
        for ev, b, r in zip(obs["evidence"], buyers, obs["repeat_offences"], strict=True)
    ]
    return obs.drop(columns=["repeat_offences"])
