"""Time helpers. Everything inside the simulator is int64 nanoseconds since the epoch, UTC."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NS_HOUR = 3_600 * 10**9
NS_DAY = 24 * NS_HOUR
TEHRAN_OFFSET_NS = int(3.5 * NS_HOUR)  # Asia/Tehran: UTC+03:30, no daylight saving since 2022
NEVER = np.iinfo(np.int64).max  # an event that does not happen
TZ = "Asia/Tehran"


def tehran_midnight_ns(day: dt.date) -> int:
    """UTC nanoseconds of 00:00 Tehran time on `day`."""
    epoch_days = (day - dt.date(1970, 1, 1)).days
    return epoch_days * NS_DAY - TEHRAN_OFFSET_NS


def tehran_day_index(ns: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of the Tehran calendar day holding each instant."""
    return (np.asarray(ns, dtype=np.int64) + TEHRAN_OFFSET_NS) // NS_DAY


def tehran_days(ns: np.ndarray) -> list[dt.date]:
    base = dt.date(1970, 1, 1)
    return [base + dt.timedelta(days=int(d)) for d in tehran_day_index(ns)]


def end_of_tehran_day_ns(ns: np.ndarray) -> np.ndarray:
    """The instant the Tehran day holding `ns` ends (the next Tehran midnight)."""
    return (tehran_day_index(ns) + 1) * NS_DAY - TEHRAN_OFFSET_NS


def to_ns(t: dt.datetime | pd.Timestamp) -> int:
    ts = pd.Timestamp(t)
    if ts.tzinfo is None:
        raise ValueError("naive datetime refused: pass an aware instant")
    return int(ts.tz_convert("UTC").as_unit("ns").value)


def to_utc_series(ns: np.ndarray, index=None) -> pd.Series:
    """int64 ns (NEVER → NaT) to a tz-aware UTC datetime Series."""
    arr = np.asarray(ns, dtype=np.int64).copy()
    arr[arr == NEVER] = np.iinfo(np.int64).min  # iNaT
    values = pd.DatetimeIndex(arr.view("M8[ns]")).tz_localize("UTC")
    return pd.Series(values, index=index)


def sec(ns) -> np.ndarray:
    """Floor instants or durations to whole seconds (stores keep microseconds at best); NEVER stays NEVER."""
    x = np.asarray(ns, dtype=np.int64)
    return np.where(x == NEVER, NEVER, x - x % 10**9).astype(np.int64)
