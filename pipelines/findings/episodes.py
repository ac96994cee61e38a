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
from pipelines.monitored_day import MonitoredDay
from pipelines.reference.routing import seller_provinces
from pipelines.store.engine import id_scratch, insert_frame
from pipelines.store.sql_files import read_frame
from pipelines.store.types import as_day
from pipelines.vocabulary import RULES


@dataclass(frozen=True)
class FindingCounts:
    """What a findings refresh did for one day."""

    observations: int
    new: int
    ongoing: int
    resolved: int
    withdrawn: int = 0  # findings that records arriving later took back
    late_discoveries: int = 0  # events of earlier days first seen today (their rows were recorded late)


def finding_ids(rule: pd.Series, entity_id: pd.Series, start_day: pd.Series) -> pd.Series:
    """hash(rule, entity_id, episode_start_day), whole-column."""
    keys = rule.astype(str) + "|" + entity_id.astype(str) + "|" + start_day.astype(str)
    return keys.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:32])


def with_scorecards_and_severity(conn: Connection, state, observations: pd.DataFrame, settings,
                                 checked_days: set[date]) -> pd.DataFrame:
    """The day's observations plus scorecard breaches (scorecards stored), severities raised by impact."""
    from pipelines.checks.scorecards import update_scorecards
    from pipelines.checks.severity import grade_severity, prior_offences

    breaches = update_scorecards(conn, state, checked_days, settings)
    parts = [p for p in (observations, breaches) if not p.empty]
    if not parts:
        return observations
    combined = pd.concat(parts, ignore_index=True)
    return grade_severity(combined, prior_offences(conn, state.day.day, settings), settings, state.day.day)


def _state_rules() -> list[str]:
    return [name for name, rule in RULES.items() if rule.kind == "state"]


def _event_rules() -> list[str]:
    return [name for name, rule in RULES.items() if rule.kind != "state"]


def _evidence_text(evidence: pd.Series) -> list[str]:
    """Evidence dicts as the stored JSON text (stable key order, Persian kept as is)."""
    return [json.dumps(e, ensure_ascii=False, sort_keys=True, default=str) for e in evidence]


def record_observations(conn: Connection, day: date, observations: pd.DataFrame) -> int:
    """Replace what the run of `day` judged with these observations (idempotent for a re-run of the day).

    A run judges the state rules of its own day, and events (of its day, or of earlier days within the allowed
    lateness when their rows arrived late: an observation's `day` says which). An event that another run judged
    already keeps that run's judgement.
    """
    t = findings_tables.finding_observation
    conn.execute(delete(t).where(t.c.day == day, t.c.rule.in_(_state_rules())))
    conn.execute(delete(t).where(t.c.judged_on == day, t.c.rule.in_(_event_rules())))
    conn.execute(delete(t).where(t.c.judged_on.is_(None), t.c.day == day, t.c.rule.in_(_event_rules())))
    if observations.empty:
        return 0
    obs = observations.copy()
    obs["day"] = obs["day"].where(obs["day"].notna(), day) if "day" in obs.columns else day
    obs = obs.drop_duplicates(["rule", "entity_id", "day"])
    state = kind_of(obs["rule"]) == "state"
    obs["judged_on"] = obs["day"].where(state, day)
    earlier = obs[~state & (obs["day"] != day)]
    if not earlier.empty:
        with id_scratch(conn, earlier["entity_id"]) as _:
            judged = read_frame(conn, "findings/select_event_observations_of")
        if not judged.empty:
            judged["day"] = judged["day"].map(as_day)
            seen = obs.merge(judged[["rule", "entity_id", "day"]], on=["rule", "entity_id", "day"], how="left",
                             indicator=True)["_merge"].eq("both").to_numpy()
            obs = obs[~seen]
    obs["evidence"] = _evidence_text(obs["evidence"])
    insert_frame(conn, t, obs)
    return len(obs)


def rejudge_overdue(conn: Connection, state, checked_days: set[date], settings) -> int:
    """Re-judge the earlier days' overdue observations of the orders the day changed, by event time.

    A delivery recorded late can show an order delivered on a day it was reported overdue: those days'
    observations go (and an episode left with none is withdrawn by the findings refresh). An order recorded
    late can have been overdue on days already judged: those observations are added. Observations that still
    hold are kept as they were.
    """
    from pipelines.checks.on_time import overdue_days, overdue_orders
    from pipelines.state.fulfilment import delivered_by

    day = state.day.day
    days = sorted(d for d in checked_days if state.first_judged_day <= d < day)
    f = state.fulfilment.after
    keys = findings_tables.refresh_key
    conn.execute(delete(keys).where(keys.c.day == day))
    if not days or f.empty:
        return 0
    t = findings_tables.finding_observation
    holds = overdue_days(f, days, settings.state_lookback_days)
    with id_scratch(conn, f["order_id"]) as _:
        stored = read_frame(conn, "findings/select_overdue_observations_of", first_day=days[0], last_day=days[-1])
    stored["day"] = stored["day"].map(as_day)
    both = stored.merge(holds, left_on=["entity_id", "day"], right_on=["order_id", "day"], how="outer",
                        indicator=True)
    gone = both[both["_merge"] == "left_only"]
    for d, part in gone.groupby("day"):
        ids = list(part["entity_id"])
        for start in range(0, len(ids), 2000):
            conn.execute(delete(t).where(t.c.rule == "overdue_order", t.c.day == d,
                                         t.c.entity_id.in_(ids[start : start + 2000])))
    added = both[both["_merge"] == "right_only"]
    frames = []
    for d, part in added.groupby("day"):
        monitored = MonitoredDay(d)
        rows = f[f["order_id"].isin(part["order_id"])].copy()
        rows["delivered_qty"] = rows["order_id"].map(
            delivered_by(state.fulfilment.delivery_versions, rows["order_id"], monitored.end)).fillna(0.0)
        frames.append(overdue_orders(rows, monitored, settings).assign(day=d, judged_on=d))
    frames = [x for x in frames if not x.empty]
    if frames:
        obs = pd.concat(frames, ignore_index=True)
        obs = obs.merge(seller_provinces(conn, state.sellers, day), on="seller_id", how="left")
        obs["evidence"] = _evidence_text(obs["evidence"])
        insert_frame(conn, t, obs)
    changed_days = sorted(set(gone["day"]) | set(added["day"]))
    sellers = f.loc[f["order_id"].isin(set(gone["entity_id"].dropna()) | set(added["order_id"].dropna())),
                    "seller_id"].dropna()
    touched = set(gone["entity_id"].dropna()) | set(added["order_id"].dropna())
    if changed_days and not sellers.empty:
        touched |= _regrade_overdue(conn, sellers, [d for d in days if d >= changed_days[0]], settings)
    if touched:
        insert_frame(conn, keys, pd.DataFrame({"day": day, "rule": "overdue_order", "entity_id": sorted(touched)}))
    return len(gone) + sum(len(x) for x in frames)


def _regrade_overdue(conn: Connection, sellers: pd.Series, days: list[date], settings) -> set[str]:
    """Grade these sellers' overdue observations of `days` again, as a run of each day would now: an order taken
    back is no longer a repeat offence of the others."""
    from pipelines.checks import severity_from_impact
    from pipelines.checks.severity import grade_severity

    t = findings_tables.finding_observation
    window = settings.severity_repeat_window_days
    regraded: set[str] = set()
    for d in days:
        with id_scratch(conn, sellers) as _:
            obs = read_frame(conn, "findings/select_overdue_observations_of_sellers", day=d)
            prior = read_frame(conn, "findings/select_seller_offences_of", rule="overdue_order",
                               first_day=d - timedelta(days=window), last_day=d)
        if obs.empty:
            continue
        prior["day"] = prior["day"].map(as_day)
        evidence = [json.loads(e) for e in obs["evidence"]]
        base = severity_from_impact(obs["impact_rial"].astype("int64"), settings.severity_critical_impact_rial,
                                    settings.severity_warning_impact_rial)
        base[[float(e.get("days_overdue") or 0) >= 7 for e in evidence]] = "critical"
        fresh = obs.assign(
            severity=base,
            evidence=[{k: v for k, v in e.items() if k not in ("buyers_affected", "repeat_offences")}
                      for e in evidence],
            day=d,
        )
        graded = grade_severity(fresh, prior, settings, d)
        graded["evidence"] = _evidence_text(graded["evidence"])
        ids = list(obs["entity_id"])
        for start in range(0, len(ids), 2000):
            conn.execute(delete(t).where(t.c.rule == "overdue_order", t.c.day == d,
                                         t.c.entity_id.in_(ids[start : start + 2000])))
        insert_frame(conn, t, graded)
        regraded |= set(ids)
    return regraded



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
    if "judged_on" in obs.columns:
        ep["discovered_day"] = obs.groupby("island")["judged_on"].min()
    ep["kind"] = kind.groupby(obs["island"]).first()
    next_day = ep["last_observed_day"].map(lambda d: d + timedelta(days=1))
    ep["resolved_day"] = next_day.where((ep["kind"] == "state") & next_day.isin(checked_days), None)
    ep["check_name"] = check_of(ep["rule"])
    ep["finding_id"] = finding_ids(ep["rule"], ep["entity_id"], ep["episode_start_day"])
    return ep.reset_index(drop=True)


def _withdrawal_reasons(conn: Connection, gone: pd.DataFrame) -> pd.Series:
    """Why each finding that later facts took back was withdrawn (a key of the message catalogue)."""
    reason = pd.Series("later_records", index=gone.index, dtype=object)
    overdue = gone[gone["rule"] == "overdue_order"]
    if not overdue.empty:
        with id_scratch(conn, overdue["entity_id"]) as _:
            fulfilment = read_frame(conn, "state/select_fulfilment_of")
        on_time = set(fulfilment.loc[fulfilment["completed_late"].fillna(1).astype(int) == 0, "order_id"])
        reason[overdue.index[overdue["entity_id"].isin(on_time)]] = "delivered_within_promise"
    return reason


def refresh_findings(
    conn: Connection, day: date, routing_on: Callable[[date], pd.DataFrame], *, backfill: bool = False
) -> FindingCounts:
    """Rebuild the episodes that day `day` may have changed, with their routing.

    `routing_on(d)` maps seller_id to unit_id, province_id and the routing JSON as the
    organisation stood on d; an episode is routed as of its first day, so re-runs agree. A finding the
    rebuilt episodes no longer hold (a late record showed the order delivered on time) is withdrawn, with
    its reason, never silently dropped. `discovered_day` is the day Rasad first saw an episode (a backfill
    cannot know when a row was recorded, so it claims none).
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
    before = _findings_of(conn, pairs)
    stmt = delete(t).where(tuple_(t.c.rule, t.c.entity_id).in_(bindparam("pairs", expanding=True)))
    for start in range(0, len(pairs), 2000):
        conn.execute(stmt, {"pairs": pairs[start : start + 2000]})
    ep = pd.DataFrame(columns=[c.name for c in t.columns])
    if not obs.empty:
        obs["day"] = obs["day"].map(as_day)
        obs["judged_on"] = [(as_day(j) if j is not None and not pd.isna(j) else d)
                            for j, d in zip(obs["judged_on"], obs["day"], strict=True)]
        ep = episodes(obs, checked)
        # an episode that continues keeps the routing it was given on its first day; only new ones are routed
        known = before.drop_duplicates("finding_id").set_index("finding_id")
        kept_routing = ep["finding_id"].isin(known.index)
        routed = []
        if kept_routing.any():
            old = ep[kept_routing].drop(columns=["province_id"], errors="ignore")
            routed.append(old.merge(known[["unit_id", "province_id", "routing"]], left_on="finding_id",
                                    right_index=True, how="left"))
        for start_day, part in ep[~kept_routing].drop(columns=["province_id"]).groupby("episode_start_day"):
            routed.append(part.merge(routing_on(start_day), on="seller_id", how="left"))
        ep = pd.concat(routed, ignore_index=True)
        ep["routing"] = ep["routing"].fillna(json.dumps({"primary": None}))
        # the source's health goes to Fardap (its office in the seller's province) and the engineers, never
        # to the officer or the seller's rahyars: it is a fault of the records, not of a delivery
        data = check_of(ep["rule"]) == "ingest"
        if data.any():
            ep.loc[data, "routing"] = [
                json.dumps({"primary": {"role": "fardap", "province_id": p if isinstance(p, str) else None},
                            "cc": [{"role": "engineers"}], "rahyari": []}, sort_keys=True)
                for p in ep.loc[data, "province_id"]]
        if backfill:
            ep["discovered_day"] = ep["episode_start_day"]
        insert_frame(conn, t, ep)
    w = findings_tables.finding_withdrawn
    kept = set(ep["finding_id"])
    for start in range(0, len(kept), 2000):
        conn.execute(delete(w).where(w.c.finding_id.in_(sorted(kept)[start : start + 2000])))
    gone = before[~before["finding_id"].isin(kept)]
    if not gone.empty:
        withdrawn = gone.assign(withdrawn_day=day, reason=_withdrawal_reasons(conn, gone))
        insert_frame(conn, w, withdrawn, ignore_conflicts=True)
    if ep.empty:
        return FindingCounts(0, 0, 0, 0, withdrawn=len(gone))
    today = ep[ep["last_observed_day"] == day]
    return FindingCounts(
        observations=int((obs["day"] == day).sum()),
        new=int((today["episode_start_day"] == day).sum()),
        ongoing=int((today["episode_start_day"] < day).sum()),
        resolved=int((ep["resolved_day"] == day).sum()),
        withdrawn=len(gone),
        late_discoveries=int(((ep["discovered_day"] == day) & (ep["episode_start_day"] < day)
                              & (ep["kind"] == "event")).sum()),
    )


def _findings_of(conn: Connection, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    t = findings_tables.finding
    columns = ["finding_id", "rule", "entity_type", "entity_id", "episode_start_day", "seller_id", "unit_id",
               "province_id", "evidence", "routing"]
    stmt = select(*(t.c[c] for c in columns)).where(
        tuple_(t.c.rule, t.c.entity_id).in_(bindparam("pairs", expanding=True)))
    frames = [pd.DataFrame(conn.execute(stmt, {"pairs": pairs[i : i + 2000]}).mappings().all(), columns=columns)
              for i in range(0, len(pairs), 2000)]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
