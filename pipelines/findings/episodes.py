"""Findings are episodes of one rule on one entity, derived from daily observations.

Observations are facts of a day: "rule R held for entity E on D". They are replaced whole for a
day when the day is re-run. Episodes are islands of consecutive observed days (state rules), or a
single observation (event rules: the day a condition first became true). A finding's id is
hash(rule, entity_id, episode_start_day), so re-running any day, in any order, rebuilds the same
findings. Officers' verdicts live in their own table, keyed by finding id, and are never rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, bindparam, delete, select, tuple_

from pipelines.checks import check_of, kind_of
from pipelines.findings import tables as findings_tables
from pipelines.store.engine import insert_frame
from pipelines.store.sql_files import read_frame


@dataclass(frozen=True)
class FindingCounts:
    """What a findings refresh did for one day."""

    observations: int
    new: int
    ongoing: int
    resolved: int


def finding_ids(rule: pd.Series, entity_id: pd.Series, start_day: pd.Series) -> pd.Series:
    """hash(rule, entity_id, episode_start_day), whole-column."""
    keys = rule.astype(str) + "|" + entity_id.astype(str) + "|" + start_day.astype(str)
    return keys.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:32])


def with_scorecards_and_severity(conn: Connection, state, observations: pd.DataFrame, settings) -> pd.DataFrame:
    """The day's observations plus scorecard breaches (scorecards stored), severities raised by impact."""
    from pipelines.checks.scorecards import update_scorecards
    from pipelines.checks.severity import grade_severity, prior_offences

    breaches = update_scorecards(conn, state, observations, settings)
    parts = [p for p in (observations, breaches) if not p.empty]
    if not parts:
        return observations
    combined = pd.concat(parts, ignore_index=True)
    return grade_severity(combined, prior_offences(conn, state.day.day, settings), settings)


def record_observations(conn: Connection, day: date, observations: pd.DataFrame) -> int:
    """Replace the observations of `day` with these (idempotent for a re-run of the day)."""
    conn.execute(delete(findings_tables.finding_observation).where(findings_tables.finding_observation.c.day == day))
    if observations.empty:
        return 0
    obs = observations.drop_duplicates(["rule", "entity_id"]).copy()
    obs["day"] = day
    obs["evidence"] = [json.dumps(e, ensure_ascii=False, sort_keys=True, default=str) for e in obs["evidence"]]
    insert_frame(conn, findings_tables.finding_observation, obs)
    return len(obs)


def _observations_of(conn: Connection, keys: pd.DataFrame) -> pd.DataFrame:
    t = findings_tables.finding_observation
    frames = []
    pairs = list(keys[["rule", "entity_id"]].itertuples(index=False, name=None))
    stmt = select(t).where(tuple_(t.c.rule, t.c.entity_id).in_(bindparam("pairs", expanding=True)))
    for start in range(0, len(pairs), 2000):
        chunk = pairs[start : start + 2000]
        frames.append(pd.DataFrame(conn.execute(stmt, {"pairs": chunk}).mappings().all()))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[c.name for c in t.columns])
    return pd.concat(frames, ignore_index=True)


def episodes(observations: pd.DataFrame, checked_days: set[date]) -> pd.DataFrame:
    """Islands of consecutive days per (rule, entity); event rules: one observation, one episode."""
    obs = observations.sort_values(["rule", "entity_id", "day"]).reset_index(drop=True)
    kind = kind_of(obs["rule"])
    same_key = (obs["rule"] == obs["rule"].shift()) & (obs["entity_id"] == obs["entity_id"].shift())
    day_ts = pd.to_datetime(obs["day"])
    consecutive = (day_ts - day_ts.shift()).dt.days == 1
    continues = same_key & consecutive & (kind == "state")
    obs["island"] = (~continues).cumsum()
    grouped = obs.groupby("island")
    first = grouped.head(1).set_index("island")
    last = grouped.tail(1).set_index("island")
    ep = last.copy()
    ep["episode_start_day"] = first["day"]
    ep["last_observed_day"] = last["day"]
    ep["kind"] = kind.groupby(obs["island"]).first()
    next_day = ep["last_observed_day"].map(lambda d: d + timedelta(days=1))
    ep["resolved_day"] = next_day.where((ep["kind"] == "state") & next_day.isin(checked_days), None)
    ep["check_name"] = check_of(ep["rule"])
    ep["finding_id"] = finding_ids(ep["rule"], ep["entity_id"], ep["episode_start_day"])
    return ep.reset_index(drop=True)


def refresh_findings(
    conn: Connection, day: date, routing_on: Callable[[date], pd.DataFrame]
) -> FindingCounts:
    """Rebuild the episodes that day `day` may have changed, with their routing.

    `routing_on(d)` maps seller_id to unit_id, province_id and the routing JSON as the
    organisation stood on d; an episode is routed as of its first day, so re-runs agree.
    """
    keys = read_frame(conn, "findings/select_observation_keys_near_day", first_day=day - timedelta(days=1), day=day)
    checked = {
        d if isinstance(d, date) else date.fromisoformat(str(d))
        for d in read_frame(conn, "findings/select_checked_days")["day"]
    }
    checked.add(day)
    t = findings_tables.finding
    if keys.empty:
        return FindingCounts(0, 0, 0, 0)
    obs = _observations_of(conn, keys)
    pairs = list(keys[["rule", "entity_id"]].itertuples(index=False, name=None))
    stmt = delete(t).where(tuple_(t.c.rule, t.c.entity_id).in_(bindparam("pairs", expanding=True)))
    for start in range(0, len(pairs), 2000):
        conn.execute(stmt, {"pairs": pairs[start : start + 2000]})
    if obs.empty:
        return FindingCounts(0, 0, 0, 0)
    obs["day"] = obs["day"].map(lambda d: d if isinstance(d, date) else date.fromisoformat(str(d)))
    ep = episodes(obs, checked)
    routed = []
    for start_day, part in ep.drop(columns=["province_id"]).groupby("episode_start_day"):
        routed.append(part.merge(routing_on(start_day), on="seller_id", how="left"))
    ep = pd.concat(routed, ignore_index=True)
    ep["routing"] = ep["routing"].fillna(json.dumps({"primary": None}))
    insert_frame(conn, t, ep)
    today = ep[ep["last_observed_day"] == day]
    return FindingCounts(
        observations=int((obs["day"] == day).sum()),
        new=int((today["episode_start_day"] == day).sum()),
        ongoing=int((today["episode_start_day"] < day).sum()),
        resolved=int((ep["resolved_day"] == day).sum()),
    )
