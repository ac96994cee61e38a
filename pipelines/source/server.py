"""A small reference server for the contract's HTTP API, serving any contract-shaped SQL source.

`GET /v1/<entity>?updated_since=&updated_before=&cursor=&limit=` answers
`{"items": [...], "next_cursor": "<c>" | null, "total": <rows in the window>}`, items ordered by
(updated_at, id), `updated_since` inclusive, `updated_before` exclusive and optional. `total` is an
extension the contract allows (extra fields are ignored by clients that do not know them): the
window's count, from its own query, so a client can check what it assembled against it.

For tests it can misbehave on purpose: every `fault_every`-th request is answered `fault_status`
(429 or 503) with `Retry-After: retry_after_seconds`. It is the standard library's threading HTTP
server: for tests, the demo and trying Rasad out, not for production traffic.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from pipelines.source.http import decode_cursor, encode_cursor
from pipelines.source.reader import ENTITY_KEYS, SqlSource

log = logging.getLogger(__name__)

DEFAULT_PAGE_ROWS = 1000
MAX_PAGE_ROWS = 50_000


class _BadRequest(ValueError):
    pass


def _instant(params: dict[str, list[str]], name: str) -> datetime | None:
    values = params.get(name)
    if not values or not values[0]:
        return None
    try:
        instant = datetime.fromisoformat(values[0].replace("Z", "+00:00"))
    except ValueError as exc:
        raise _BadRequest(f"{name}={values[0]!r} is not an ISO-8601 instant") from exc
    if instant.tzinfo is None:
        raise _BadRequest(f"{name}={values[0]!r} has no zone")
    return instant


class SourceServer:
    """The reference API over one SQL source, on a host and port (port 0: any free port)."""

    def __init__(
        self,
        engine: Engine,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        fault_every: int = 0,
        fault_status: int = 503,
        retry_after_seconds: float = 1,
    ):
        if fault_status not in (429, 503):
            raise ValueError("fault_status must be 429 or 503")
        self.source = SqlSource(engine)
        self.fault_every = fault_every
        self.fault_status = fault_status
        self.retry_after_seconds = retry_after_seconds
        self.requests = 0
        self.faults = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        """The base URL (without `/v1`)."""
        host, port = cast("tuple[str, int]", self.httpd.server_address[:2])  # AF_INET: the host is text
        return f"http://{host}:{port}"

    def _should_fault(self) -> bool:
        with self._lock:
            self.requests += 1
            if self.fault_every and self.requests % self.fault_every == 0:
                self.faults += 1
                return True
            return False

    def answer(self, path: str, query: str) -> tuple[int, dict[str, str], dict]:
        """Status, headers and JSON body for one GET (also usable without a socket)."""
        parts = [p for p in path.split("/") if p]
        if len(parts) != 2 or parts[0] != "v1" or parts[1] not in ENTITY_KEYS:
            return 404, {}, {"error": f"no such resource {path}; try /v1/{'|'.join(ENTITY_KEYS)}"}
        if self._should_fault():
            return self.fault_status, {"Retry-After": f"{self.retry_after_seconds:g}"}, {"error": "try later"}
        entity = parts[1]
        params = parse_qs(query, keep_blank_values=True)
        try:
            since = _instant(params, "updated_since")
            before = _instant(params, "updated_before")  # optional: no upper bound
            limit = int(params.get("limit", [DEFAULT_PAGE_ROWS])[0])
            if not 1 <= limit <= MAX_PAGE_ROWS:
                raise _BadRequest(f"limit must be within 1..{MAX_PAGE_ROWS}")
            cursor = params.get("cursor", [""])[0]
            after = decode_cursor(cursor) if cursor else None
        except ValueError as exc:
            return 400, {}, {"error": str(exc)}
        page, next_after = self.source.read_page(entity, since, before, after, limit)
        total = self.source.count_pages(entity, since, before)
        items = json.loads(
            page.to_json(orient="records", date_format="iso", date_unit="us", force_ascii=False)
        ) if not page.empty else []
        return 200, {}, {
            "items": items,
            "next_cursor": encode_cursor(next_after) if next_after else None,
            "total": total,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                url = urlsplit(self.path)
                try:
                    status, headers, body = server.answer(url.path, url.query)
                except Exception as exc:  # noqa: BLE001 - a broken source is a 500, logged, not a dead server
                    log.exception("serving %s failed", self.path)
                    status, headers, body = 500, {}, {"error": f"{type(exc).__name__}: {exc}"}
                payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status, HTTPStatus(status).phrase)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args) -> None:  # noqa: A002 - the http.server API
                log.debug("%s " + format, self.address_string(), *args)

        return Handler

    def start(self) -> SourceServer:
        """Serve in a background thread (tests); returns self."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="ombazar-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SourceServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
