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
    """The distinct (seller, rule, entity) stored for the window up to `day`, each with its latest day.

    The window reaches back further by the allowed lateness, because a run may judge events of earlier days
    (recorded late); each observation then counts the offences of the window that ends on its own day.
    """
    frame = read_frame(conn, "findings/select_seller_rule_offences",
                       first_day=day - timedelta(days=settings.severity_repeat_window_days
                                                 + settings.allowed_lateness_days),
                       last_day=day)
    if frame.empty:
        return pd.DataFrame(columns=["seller_id", "rule", "entity_id", "day"])
    frame["day"] = frame["day"].map(lambda v: v if isinstance(v, date) else date.fromisoformat(str(v)[:10]))
    return frame


def _repeat_counts(obs: pd.DataFrame, prior: pd.DataFrame, window_days: int) -> np.ndarray:
    """Per observation: other entities of its seller under its rule, in the window ending on its own day."""
    seen = pd.concat([prior[["seller_id", "rule", "entity_id", "day"]],
                      obs[["seller_id", "rule", "entity_id", "day"]]])
    seen = seen.assign(day=pd.to_datetime(seen["day"]))
    seen = seen.groupby(["seller_id", "rule", "entity_id"], as_index=False, dropna=False)["day"].max()
    seen["day"] = seen["day"].dt.date
    counted = np.ones(len(obs), dtype="int64")
    for d, rows in obs.groupby("day").groups.items():
        window = seen[(seen["day"] <= d) & (seen["day"] >= d - timedelta(days=window_days))]
        entities = window.groupby(["seller_id", "rule"]).size().rename("entities").reset_index()
        part = obs.loc[rows, ["seller_id", "rule"]].merge(entities, on=["seller_id", "rule"], how="left")
        counted[obs.index.get_indexer(rows)] = part["entities"].fillna(1).to_numpy()
    return counted - 1


def _level(values: pd.Series, warning: float, critical: float) -> np.ndarray:
    v = pd.to_numeric(values, errors="coerce").fillna(0).to_numpy()
    return np.where(v >= critical, 2, np.where(v >= warning, 1, 0))


def grade_severity(observations: pd.DataFrame, prior: pd.DataFrame, settings: Settings,
                   day: date | None = None) -> pd.DataFrame:
    """Raise each observation's severity by buyers affected and repeat offences; note both in evidence.

    An observation's repeat offences are counted over the window ending on its own day (`day` column, or
    the monitored `day`), so an event judged late counts what its own day saw.
    """
    if observations.empty:
        return observations
    obs = observations.reset_index(drop=True).copy()
    run_day = day or date.today()
    own_day = obs["day"] if "day" in obs.columns else pd.Series(None, index=obs.index, dtype=object)
    obs["_day"] = own_day.where(own_day.notna(), run_day)
    prior = prior if "day" in prior.columns else prior.assign(day=run_day)
    if "buyers_affected" not in obs.columns:
        obs["buyers_affected"] = np.nan
    one_buyer = obs["entity_type"].isin(["delivery", "order"])
    obs["buyers_affected"] = obs["buyers_affected"].where(~one_buyer | obs["buyers_affected"].notna(), 1)
    # other entities of the same seller under the same rule, in the window up to and including the day
    obs["repeat_offences"] = _repeat_counts(obs.drop(columns="day", errors="ignore").rename(columns={"_day": "day"}),
                                            prior, settings.severity_repeat_window_days)
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
    return obs.drop(columns=["repeat_offences", "_day"])
