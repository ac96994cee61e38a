"""Source silent: the source has gone quiet for longer than is normal for that day of the week.

The silence at an instant T is T minus the last change staged before T. On day D it is measured
at the end of D and compared with the silence at the end of the same weekday in each of the last
`source_silent_lookback_weeks` weeks (a Friday is quieter than a Saturday in Iran). The source is
silent on D when its silence is at least `source_silent_min_hours` and longer than the median of
those weekdays' silences (the median, so that one holiday does not make silence look normal).
An empty day is still a normal run; this is what says it was odd.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection

from pipelines.checks import OBSERVATION_COLUMNS, Observations, empty_observations
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings
from pipelines.store.sql_files import read_frame

SOURCE_ENTITY_ID = "ombazar"
_SEARCH_DAYS = 60  # how far back a last change is looked for: beyond that, silence is "at least this"


def silence_hours_at(conn: Connection, as_of: pd.Timestamp) -> float | None:
    """Hours between `as_of` and the last change staged before it (None: nothing staged in the search)."""
    since = as_of - pd.Timedelta(days=_SEARCH_DAYS)
    last = read_frame(conn, "ingest/select_last_change_before", as_of=as_of, since=since)["updated_at"].iloc[0]
    if pd.isna(last):
        return None
    return (as_of - last).total_seconds() / 3600


def source_silent(conn: Connection, day: MonitoredDay, settings: Settings) -> Observations:
    """One observation on the source itself when it is silent on `day` beyond its weekday's norm."""
    now = silence_hours_at(conn, pd.Timestamp(day.end))
    if now is None or now < settings.source_silent_min_hours:
        return empty_observations()
    usual = [
        silence_hours_at(conn, pd.Timestamp(day.shifted(-7 * weeks).end))
        for weeks in range(1, settings.source_silent_lookback_weeks + 1)
    ]
    usual = [h for h in usual if h is not None]
    normal = float(pd.Series(usual).median()) if usual else None
    if normal is None or now <= normal:
        return empty_observations()
    evidence = {
        "silent_hours": round(now, 1),
        "usual_silent_hours": round(normal, 1),
        "weekdays_compared": len(usual),
        "weekday": day.day.strftime("%A"),
    }
    out = pd.DataFrame(
        [{
            "rule": "source_silent", "entity_type": "source", "entity_id": SOURCE_ENTITY_ID,
            "seller_id": None, "offer_id": None, "severity": "warning", "impact_rial": 0, "evidence": evidence,
        }]
    )
    return out[OBSERVATION_COLUMNS]
