"""The errors a user can cause, which the CLI reports in one line instead of a traceback."""

from __future__ import annotations

from pipelines.contract import ContractError
from pipelines.daily_run import ReferenceStaleError
from pipelines.mail.outbox import OutboxPendingError
from pipelines.monitored_day import MonitoredDayError
from pipelines.reference_csv import ReferenceLoadError
from pipelines.source import SourceUnavailableError
from pipelines.store import StoreConfigError

USER_ERRORS: tuple[type[BaseException], ...] = (
    StoreConfigError,
    ReferenceStaleError,
    MonitoredDayError,
    ContractError,
    SourceUnavailableError,
    ReferenceLoadError,
    OutboxPendingError,
)
