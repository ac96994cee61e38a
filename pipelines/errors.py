"""The errors a user can cause, which the CLI reports in one line instead of a traceback.

Each room's user-facing error (a bad store URL, a stale reference, a day that is not a day, a source outside
the contract, a bad reference CSV, an outbox still pending, ...) subclasses `UserError`, so the kernel needs
to know none of them.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (configuration, input, timing); its message says what to do."""


USER_ERRORS: tuple[type[BaseException], ...] = (UserError,)
