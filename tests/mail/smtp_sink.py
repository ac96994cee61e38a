"""A real SMTP server on loopback (aiosmtpd) for the mail tests: it keeps what it accepts, can go down mid-run,
defer (451) or refuse (550) chosen messages, and take its time over each."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy


@dataclass
class SmtpSink:
    """A real aiosmtpd server on loopback that keeps what it accepts; it can go down mid-run."""

    port: int
    received: list = field(default_factory=list)  # (envelope recipients, raw bytes)
    stop_after: int | None = None  # go down when this many messages have been accepted
    defer_first_attempt: bool = False  # answer 451 the first time a Message-ID is offered
    refuse: set = field(default_factory=set)  # recipients answered 550 (mailbox unavailable)
    delay_seconds: float = 0.0  # time taken over each message (lets two senders overlap)
    _seen: set = field(default_factory=set)
    _parsed: list = field(default_factory=list)
    _controller: object = None
    _stopper: threading.Thread | None = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def go_down(self) -> None:
        self.stop_after = None
        self._stopper = threading.Thread(target=self.stop, daemon=True)
        self._stopper.start()

    def wait_down(self) -> None:
        if self._stopper is not None:
            self._stopper.join(10)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", self.port)) != 0, "the SMTP server is still up"

    def messages(self, kind: str | None = None) -> list:
        while len(self._parsed) < len(self.received):
            rcpt, raw = self.received[len(self._parsed)]
            self._parsed.append((rcpt, message_from_bytes(raw, policy=policy.default)))
        return [(r, m) for r, m in self._parsed if kind is None or m["X-Rasad-Kind"] == kind]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        raw = envelope.original_content or envelope.content
        if sink.delay_seconds:
            await asyncio.sleep(sink.delay_seconds)
        if sink.stop_after is not None and len(sink.received) >= sink.stop_after:
            sink.go_down()
            return "421 4.3.2 going down for maintenance"
        if set(envelope.rcpt_tos) & sink.refuse:
            return "550 5.1.1 mailbox unavailable"
        message_id = message_from_bytes(raw, policy=policy.default)["Message-ID"]
        if sink.defer_first_attempt and message_id not in sink._seen:
            sink._seen.add(message_id)
            return "451 4.3.0 try again later"
        sink.received.append((list(envelope.rcpt_tos), raw))
        return "250 2.0.0 accepted"
