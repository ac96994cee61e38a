"""The errors a user can cause, which the CLI reports in one line instead of a traceback."""

from __future__ import annotations

from pipelines.mail.outbox import OutboxPendingError
from pipelines.monitored_day import MonitoredDayError
from pipelines.orchestration.daily_steps import ReferenceStaleError
from pipelines.reference.csv_load import ReferenceLoadError
from pipelines.source.contract import ContractError
from pipelines.source.reader import SourceUnavailableError
from pipelines.store.engine import StoreConfigError

USER_ERRORS: tuple[type[BaseException], ...] = (
    StoreConfigError,
    ReferenceStaleError,
    MonitoredDayError,
    ContractError,
    SourceUnavailableError,
    ReferenceLoadError,
    OutboxPendingError,
)
