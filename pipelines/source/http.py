"""Reading the Ombazar source over its HTTP API (contract v1), with the same interface as `SqlSource`.

`GET /v1/<entity>?updated_since=&updated_before=&cursor=&limit=` answers
`{"items": [...], "next_cursor": ...}` in (updated_at, id) order. The client pages by cursor,
retries transport errors and 5xx with exponential backoff, and honours `Retry-After` on 429 and 503.

"Rows read at the source" is counted apart from the rows assembled into the batch: the reference
server (and any server that wants to) reports the window's own count as `total` on each page; where a
server gives none, the count is the sum of the item counts of the pages it answered, so that a page
lost or mangled while assembling still shows as a difference.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelines.source.contract import EARLIEST_INSTANT, ContractError
from pipelines.source.reader import ENTITY_KEYS, SourceBatch, SourceUnavailableError

if TYPE_CHECKING:
    from pipelines.settings import Settings

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# pages beyond what the source's own count needs that a window may take (rows may change while read, and a page
# may be served a little short or long); past it the cursors are taken to loop
SPARE_PAGES = 2


class SourceLoopError(ContractError):
    """The API kept handing out new cursors past any page count its own row count could need."""


def iso_instant(instant: datetime) -> str:
    """An instant as the API wants it: ISO-8601 in UTC with microseconds and `Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_cursor(after: tuple[str, str]) -> str:
    """An opaque cursor for the pair (updated_at, id) of the last row served."""
    return base64.urlsafe_b64encode(json.dumps(list(after)).encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The pair inside a cursor made by `encode_cursor` (ValueError if it is not one)."""
    try:
        at, key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except Exception as exc:  # noqa: BLE001 - any malformed cursor is the caller's error
        raise ValueError(f"not a cursor: {cursor!r}") from exc
    return str(at), str(key)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpSource:
    """The source reached over its paged JSON API."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 30.0,
        retries: int = 5,
        backoff_seconds: float = 0.5,
        max_wait_seconds: float = 300.0,
        page_rows: int = 5000,
        max_pages: int = 100_000,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.page_rows = page_rows
        self.max_pages = max_pages
        self.sleep = sleep
        self.client = httpx.Client(timeout=httpx.Timeout(timeout_seconds), headers=headers or {})
        self.waits: list[float] = []  # every wait, for the run log and the tests

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpSource:
        """An HttpSource configured from `RASAD_SOURCE_HTTP_*`."""
        return cls(
            settings.source_http_url or "",
            timeout_seconds=settings.source_http_timeout_seconds,
            retries=settings.source_http_retries,
            backoff_seconds=settings.source_http_backoff_seconds,
            max_wait_seconds=settings.source_http_max_wait_seconds,
            page_rows=settings.source_http_page_rows,
            max_pages=settings.source_http_max_pages,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait_seconds:
            raise SourceUnavailableError(
                f"the Ombazar API at {self.base_url} asks to wait {seconds:g}s ({why}), longer than "
                f"RASAD_SOURCE_HTTP_MAX_WAIT_SECONDS={self.max_wait_seconds:g}: try the run again later"
            )
        log.warning("Ombazar API: %s; waiting %.2fs", why, seconds)
        self.waits.append(seconds)
        self.sleep(seconds)

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        import httpx

        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.client.get(url, params=params)
            except httpx.TransportError as exc:
                if last:
                    raise SourceUnavailableError(
                        f"the Ombazar API at {self.base_url} cannot be reached ({type(exc).__name__}: {exc}) "
                        f"after {self.retries + 1} attempts: check RASAD_SOURCE_HTTP_URL or the connection "
                        "ombazar_source"
                    ) from exc
                self._wait(self.backoff_seconds * 2**attempt, f"{type(exc).__name__} on {url}")
                continue
            if response.status_code in RETRYABLE_STATUS:
                if last:
                    raise SourceUnavailableError(
                        f"the Ombazar API at {self.base_url} answered {response.status_code} to {url} "
                        f"{self.retries + 1} times: try the run again later"
                    )
                asked = retry_after_seconds(response.headers.get("Retry-After"))
                wait = asked if asked is not None else self.backoff_seconds * 2**attempt
                self._wait(wait, f"{response.status_code} on {url}")
                continue
            if response.status_code != 200:
                raise SourceUnavailableError(
                    f"the Ombazar API at {self.base_url} answered {response.status_code} to {url}: "
                    f"{response.text[:200]}"
                )
            try:
                body = response.json()
            except ValueError as exc:
                raise ContractError(f"the Ombazar API answered {url} with something that is not JSON") from exc
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise ContractError(f"the Ombazar API answered {url} without an 'items' list (contract v1)")
            odd = [item for item in body["items"] if not isinstance(item, dict)]
            if odd:
                shown = json.dumps(odd[0], ensure_ascii=True)[:60]
                raise ContractError(
                    f"the Ombazar API answered {url} with an item that is not a JSON object ({shown}); "
                    "every item must be one row (contract v1)"
                )
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    def page_bound(self, total: int | None) -> int:
        """The most pages a window may take: what the source's own count needs at this page size, plus
        `SPARE_PAGES`; never more than `max_pages` (RASAD_SOURCE_HTTP_MAX_PAGES), nor without a count."""
        if total is None:
            return self.max_pages
        return min(self.max_pages, math.ceil(max(total, 0) / self.page_rows) + SPARE_PAGES)

    def read_changed(self, entity: str, since: datetime | None, before: datetime) -> SourceBatch:
        """Rows changed in [since, before), paged by cursor, and the count of what the pages held.

        The pages are bounded by the source's own count (`page_bound`): an API that keeps handing out new
        cursors (an endless chain, each one distinct) fails with `SourceLoopError` instead of looping.
        A window without `since` starts at the contract's earliest instant: what is older, or has no readable
        updated_at, is `read_implausible`'s, so that no row is read twice."""
        return self._read(entity, since or EARLIEST_INSTANT, before)

    def read_implausible(self, entity: str, latest: datetime) -> SourceBatch:
        """Rows no window holds: before the contract's earliest instant or with no readable updated_at (the
        reference server serves those to a window without `updated_since`), or at or after `latest`."""
        early = self._read(entity, None, EARLIEST_INSTANT)
        late = self._read(entity, latest, None)
        frames = [b.rows for b in (early, late) if len(b.rows)]
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return SourceBatch(entity=entity, rows=rows,
                           rows_counted_at_source=early.rows_counted_at_source + late.rows_counted_at_source)

    def _read(self, entity: str, since: datetime | None, before: datetime | None) -> SourceBatch:
        if entity not in ENTITY_KEYS:
            raise ValueError(f"unknown entity {entity!r}")
        url = f"{self.base_url}/v1/{entity}"
        params: dict[str, Any] = {"limit": self.page_rows}
        if before is not None:
            params["updated_before"] = iso_instant(before)
        if since is not None:
            params["updated_since"] = iso_instant(since)
        pages: list[list[dict[str, Any]]] = []
        items_in_pages = 0
        total: int | None = None
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            body = self._get(url, {**params, **({"cursor": cursor} if cursor else {})})
            pages.append(body["items"])
            items_in_pages += len(body["items"])
            if isinstance(body.get("total"), int):
                total = body["total"]
            cursor = body.get("next_cursor")
            if not cursor:
                break
            if cursor in seen_cursors:
                raise SourceLoopError(f"the Ombazar API repeated the cursor {cursor!r} for {entity}: it would loop")
            seen_cursors.add(cursor)
            bound = self.page_bound(total)
            if len(pages) >= bound:
                said = f"counted {total} rows" if total is not None else "gave no count"
                raise SourceLoopError(
                    f"the Ombazar API still offered a next page of {entity} after {len(pages)} pages "
                    f"({items_in_pages} items) for a window it {said} at {self.page_rows} rows a page: "
                    f"the cursors do not end, so the run stops (bound {bound} pages; "
                    "RASAD_SOURCE_HTTP_MAX_PAGES caps it)"
                )
        items = list(itertools.chain.from_iterable(pages))
        rows = pd.DataFrame.from_records(items) if items else pd.DataFrame()
        counted = total if total is not None else items_in_pages
        return SourceBatch(entity=entity, rows=rows, rows_counted_at_source=int(counted))

