"""The errors a user can cause, which the CLI reports in one line instead of a traceback.

Each room's user-facing error (a bad store URL, a stale reference, a day that is not a day, a source outside
the contract, a bad reference CSV, an outbox still pending, ...) subclasses `UserError`, so the kernel needs
to know none of them.

Faults of the machine rather than of Rasad (a read-only or full store, a disk that refuses a file, a path that
is a directory) are not bugs either: `fault_line` says them in one line, so that `rasad` ends with that line
and a nonzero exit, not a traceback (`rasad -v` still shows the traceback).
"""

from __future__ import annotations

import errno
import re


class UserError(Exception):
    """Something the user can fix (configuration, input, timing); its message says what to do."""


class StoreFaultError(UserError):
    """The store refused a write for a reason outside Rasad: it is read-only, or its disk is full."""


USER_ERRORS: tuple[type[BaseException], ...] = (UserError,)

# what a database says, in its own words, for a fault of its machine -> what to do about it
_STORE_FAULTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"readonly database|read-only transaction|read only", re.I),
     "the store is read-only: give Rasad a writable store (RASAD_STORE_URL, or the file's permissions)"),
    (re.compile(r"database or disk is full|no space left on device|could not extend file|disk full", re.I),
     "the store's disk is full: free space where the store lives, then run again"),
    (re.compile(r"disk I/O error|file too large|input/output error", re.I),
     "the store could not write to its disk: check the disk and its space, then run again"),
    (re.compile(r"unable to open database file", re.I),
     "the store's file cannot be opened: check RASAD_STORE_URL (or RASAD_VAR_DIR) and its directory"),
)

_OS_FAULTS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.EISDIR: "it is a directory, not a file",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ENOENT: "no such file or directory",
    errno.EFBIG: "the file is too large for the disk's limits",
    errno.EDQUOT: "the disk quota is exceeded",
}


def _first_line(text: object) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def fault_line(exc: BaseException) -> str | None:
    """One line for a fault of the machine (an OSError, a database refusing a write for a reason of its disk),
    or None when `exc` is none of those (a bug: let it show its traceback)."""
    for cause in _chain(exc):
        if isinstance(cause, OSError) and cause.errno in _OS_FAULTS:
            where = f" ({cause.filename})" if cause.filename else ""
            return f"cannot use a file{where}: {_OS_FAULTS[cause.errno]} [{errno.errorcode[cause.errno]}]"
        orig = getattr(cause, "orig", None)
        said = _first_line(orig if orig is not None else cause)
        if orig is not None or type(cause).__module__.startswith(("sqlite3", "psycopg")):
            for pattern, what in _STORE_FAULTS:
                if pattern.search(said):
                    return f"{what} (the database said: {said})"
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
