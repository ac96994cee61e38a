"""Progress of long work (a backfill, `rasad simulate`, `rasad ref load`, `rasad import`): done, rate, time left.

On a terminal it draws a rich progress bar on stderr. Under Airflow, or when stderr is not a terminal (a pipe,
a log file, CI), it logs plain lines instead, through the `pipelines.progress` logger, at most one every
`RASAD_PROGRESS_LOG_SECONDS` (default 10) besides the first and the last:

    backfill: 120/765 days (15.7%), 2.41 days/s, about 4 min 28 s left

`RASAD_PROGRESS=log|bar|off` forces a mode.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import IO, Any

log = logging.getLogger(__name__)

MODES = ("bar", "log", "off")


def choose_mode(stream: IO[str] | None = None) -> str:
    """`bar` on an interactive terminal, `log` under Airflow or without one; `RASAD_PROGRESS` overrides."""
    forced = os.environ.get("RASAD_PROGRESS", "").strip().lower()
    if forced in MODES:
        return forced
    if os.environ.get("AIRFLOW_CTX_DAG_ID") or os.environ.get("AIRFLOW_CTX_TASK_ID"):
        return "log"
    stream = stream if stream is not None else sys.stderr
    try:
        return "bar" if stream.isatty() else "log"
    except (AttributeError, ValueError):
        return "log"


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def progress_line(what: str, done: int, total: int | None, unit: str, elapsed: float, note: str = "") -> str:
    """One log line: what, done of total, share, rate, time left (the format `log` mode writes)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{what}: {done:,}" + (f"/{total:,} {unit}" if total else f" {unit}")]
    if total:
        parts[0] += f" ({100.0 * done / total:.1f}%)"
    parts.append(f"{rate:,.2f} {unit}/s")
    if total and rate > 0 and done < total:
        parts.append(f"about {_duration((total - done) / rate)} left")
    elif total and done >= total:
        parts.append(f"done in {_duration(elapsed)}")
    line = ", ".join(parts)
    return f"{line} - {note}" if note else line


class Progress:
    """Counts work done toward a total and shows it: a bar on a terminal, log lines otherwise.

    Use as a context manager; `advance(n, note)` after each piece of work. A total may be changed once known.
    """

    def __init__(self, what: str, total: int | None, unit: str = "rows", *, mode: str | None = None,
                 log_every_seconds: float | None = None, stream: IO[str] | None = None):
        self.what, self.total, self.unit = what, total, unit
        self.mode = mode or choose_mode(stream)
        self.stream = stream
        default_every = float(os.environ.get("RASAD_PROGRESS_LOG_SECONDS", "10"))
        self.log_every = default_every if log_every_seconds is None else log_every_seconds
        self.done = 0
        self._start = time.monotonic()
        self._last_log = float("-inf")
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        global _SHARED_BAR, _SHARED_USERS
        self._start = time.monotonic()
        if self.mode == "bar":
            # rich draws one live display at a time: work nested in other work adds a line to the same bar
            if _SHARED_BAR is None:
                _SHARED_BAR = _rich_bar(self.stream)
                _SHARED_BAR.start()
            _SHARED_USERS += 1
            self._bar = _SHARED_BAR
            self._task = self._bar.add_task(self.what, total=self.total, rate="", unit=self.unit)
        elif self.mode == "log":
            self._log(force=True)
        return self

    def set_total(self, total: int) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        if self._bar is not None:
            elapsed = time.monotonic() - self._start
            rate = f"{self.done / elapsed:,.1f} {self.unit}/s" if elapsed > 0 else ""
            self._bar.update(self._task, advance=n, rate=rate,
                             description=f"{self.what}" + (f" ({note})" if note else ""))
        elif self.mode == "log":
            self._log(note=note, force=bool(self.total and self.done >= self.total))

    def _log(self, note: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_log < self.log_every:
            return
        self._last_log = now
        log.info(progress_line(self.what, self.done, self.total, self.unit, now - self._start, note))

    def __exit__(self, *exc) -> None:
        global _SHARED_BAR, _SHARED_USERS
        if self._bar is not None:
            _SHARED_USERS -= 1
            if _SHARED_USERS == 0 and _SHARED_BAR is not None:
                _SHARED_BAR.stop()
                _SHARED_BAR = None
        elif self.mode == "log" and not (self.total and self.done >= self.total) and exc[0] is None:
            self._log(note="finished", force=True)


_SHARED_BAR: Any = None
_SHARED_USERS = 0


def _rich_bar(stream: IO[str] | None) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    return RichProgress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
        TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"),
        TimeRemainingColumn(), console=Console(file=stream or sys.stderr))
