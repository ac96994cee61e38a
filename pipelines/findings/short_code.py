"""A finding's short code: what officers quote, what reports, sheets and the dashboard show instead of its id."""

from __future__ import annotations

import hashlib


def finding_short_code(finding_id: str) -> str:
    """A short, stable, digits-only code for a finding ('1234-5678'), for officers to quote.

    The report shows this instead of the raw id (a hash). Use the same function wherever the code is shown
    (XLSX, dashboard) so an officer can find a finding by it.
    """
    n = int.from_bytes(hashlib.sha256(finding_id.encode("utf-8")).digest()[:8], "big") % 10**8
    code = f"{n:08d}"
    return f"{code[:4]}-{code[4:]}"
