"""The `smtp` provider: an SMTP sink (aiosmtpd) on `SANDBOX_SMTP_PORT`, inspected over HTTP.

A sender speaks plain SMTP (EHLO, MAIL FROM, RCPT TO, DATA; no TLS, no AUTH needed) to
`SANDBOX_SMTP_HOST:SANDBOX_SMTP_PORT` (127.0.0.1:8025; `sandbox serve --host` sets both). Each
accepted message is one item at `GET /sandbox/smtp/received`:
`{seq, at, client, mail_from, to: [...], subject, message_id, headers: {...}, body}` (`client` is the
message's `X-Client-Code` header when it has one, like the HTTP providers' header).

Behaviour (`PUT /sandbox/smtp/behaviour`), decided per message at the end of DATA:
- `failure_rate`: the share of messages answered `451 4.3.0` (a transient failure: the sender keeps
  the message and tries again later); counted as failed, not listed.
- `latency_ms`: added before the answer to DATA.
- `down`: new connections are reset at once, and a message on a connection already open is answered
  by a reset too.
- `rate_limit_per_second`: messages beyond it are answered `450 4.7.0` (try again later).

A message whose `Message-ID` this sink already accepted is answered 250 and neither listed nor
counted again: large receivers drop such duplicates, and it is what makes a sender that sends again
after an answer it never recorded (a crash between the 250 and its own commit) deliver once.
`GET /sandbox/smtp/duplicates` → `{"dropped": n}` says how many were dropped so (since the last reset).
"""

import asyncio
import logging
import socket
import struct
from contextlib import suppress
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import APIRouter
from pydantic import BaseModel, Field

from sandbox.config import Settings
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.inspection import inspection_router
from sandbox.kit.seen import SeenKeys
from sandbox.kit.standin import MAX_CLIENT_LENGTH, StandIn
from sandbox.provider import Provider
from sandbox.smtp_message import ListedMessage, header_value

MAX_RECIPIENTS = 100
MAX_MESSAGE_BYTES = 1 << 20
FAILED = "451 4.3.0 Temporary failure, please try again later"
THROTTLED = "450 4.7.0 Too many messages, please try again later"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
ACCEPTED = "250 2.0.0 OK: queued"
ACCEPTED_AGAIN = "250 2.0.0 OK: already queued"

# aiosmtpd logs every connection and command at INFO: thousands a second under a campaign.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class SmtpBehaviour(Behaviour):
    failure_rate: float = Field(
        0.0, ge=0, le=1, description="Share of messages answered 451 4.3.0 (a transient failure)"
    )


class Duplicates(BaseModel):
    dropped: int


class _Sink:
    """aiosmtpd's handler: caps the recipients, decides each message's answer, records it."""

    def __init__(self, stand_in: StandIn, seen: SeenKeys[int]) -> None:
        self.stand_in = stand_in
        self.seen = seen
        self.duplicates = 0  # messages answered 250 for a Message-ID already accepted

    def forget(self) -> None:
        self.seen.clear()
        self.duplicates = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        faults = self.stand_in.faults
        behaviour = faults.behaviour
        if behaviour.down:
            _reset(server.transport)
            return FAILED  # written nowhere: the connection is gone
        if behaviour.latency_ms:
            await asyncio.sleep(behaviour.latency_ms / 1000)
        recorder = self.stand_in.recorder
        if faults.throttled() is not None:
            recorder.refuse(1)
            return THROTTLED
        if faults.fails():
            recorder.refuse(1)
            return FAILED
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        item = ListedMessage(mail_from=envelope.mail_from or "", rcpt_tos=envelope.rcpt_tos, content=content)
        client = (header_value(content, "X-Client-Code") or "")[:MAX_CLIENT_LENGTH] or None
        message_id = header_value(content, "Message-ID")
        key = (client, message_id) if message_id else None
        if key is not None and self.seen.get(key) is not None:
            self.duplicates += 1
            return ACCEPTED_AGAIN
        seqs = recorder.accept(client, [item])
        if key is not None:
            self.seen.add(key, seqs[0])
        return ACCEPTED


class _SinkProtocol(SMTP):
    """aiosmtpd's SMTP session, resetting new connections while the provider is down."""

    def __init__(self, handler: _Sink, **options: Any) -> None:
        super().__init__(handler, **options)
        self.sink = handler

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.sink.stand_in.faults.behaviour.down:
            _reset(transport)
            return
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self.session is None:  # reset before the session began
            return
        super().connection_lost(error)


def _reset(transport: asyncio.BaseTransport | None) -> None:
    # Duck-typed: uvloop's transports (the sandbox's loop) are not subclasses of asyncio's.
    abort = getattr(transport, "abort", None)
    if transport is None or abort is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with suppress(OSError):  # a RST rather than a FIN, as from a relay that fell over
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    abort()


class SmtpServer:
    """The sink's listening socket, opened and closed with the sandbox app."""

    def __init__(self, settings: Settings, sink: _Sink) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sink = sink
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, host=self.host, port=self.port, reuse_address=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _protocol(self) -> _SinkProtocol:
        return _SinkProtocol(
            self.sink, hostname="sandbox-smtp", data_size_limit=MAX_MESSAGE_BYTES, enable_SMTPUTF8=True, timeout=60
        )


def smtp_provider(settings: Settings) -> Provider:
    stand_in = StandIn(settings.received_limit, SmtpBehaviour)
    sink = _Sink(stand_in, SeenKeys(settings.received_limit))
    stand_in.on_reset(sink.forget)
    server = SmtpServer(settings, sink)
    router = APIRouter()
    router.include_router(inspection_router(stand_in))

    @router.get("/duplicates", response_model=Duplicates, tags=["sandbox inspection"])
    async def duplicates() -> Duplicates:
        """Messages answered 250 without being listed, their Message-ID already accepted (since the last reset)."""
        return Duplicates(dropped=sink.duplicates)

    return Provider(
        name="smtp",
        title=f"SMTP sink (aiosmtpd on port {settings.smtp_port})",
        router=router,
        on_startup=[server.start],
        on_shutdown=[server.stop],
    )
