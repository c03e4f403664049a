"""Sending mail through an SMTP relay: a few connections kept open and used in parallel.

`Mailer.send(mails)` spreads the messages over `CRM_SMTP_CONNECTIONS` connections, each one a
worker that takes the next message, so a slow answer on one connection never holds the others.
Sends may run at once (a campaign keeps two batches in flight): a connection freed by one send's
last message is taken by the other's next, so the connections stay busy between batches.
Connections are opened when first needed (plain, STARTTLS or TLS, with AUTH when a username is set)
and reused by every later send until `aclose()`: a campaign pays the handshake once per
connection, not per message or per batch.

What the relay answers decides a message's outcome:
- 2xx: accepted.
- 4xx, a dropped connection, a timeout (transient): tried again on a fresh state (RSET, or a new
  connection) after a backoff, up to `CRM_SMTP_ATTEMPTS` tries, then reported failed and `transient`
  (the caller may try it again later, in a round of its own).
- 5xx (permanent): reported failed at once, not `transient`: sending it again would not help.
It never raises for the relay's sake; every message gets an outcome, in the order given.
"""

import asyncio
import logging
import random
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

import aiosmtplib

from crm.config import Settings
from crm.mail_message import Mail, UnsendableMail, mail_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    mail: Mail
    error: str | None = None  # None: accepted by the relay
    transient: bool = False  # a failure that a later try may get past

    @property
    def accepted(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str = "none"  # "none", "starttls" or "tls"
    username: str = ""
    password: str = ""
    connections: int = 8
    timeout_seconds: float = 10.0
    attempts: int = 3
    sender: str = "news@crm.quintet.localhost"
    backoff_seconds: float = 0.1  # the first wait after a transient failure; doubled each time
    max_backoff_seconds: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpConfig":
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            connections=settings.smtp_connections,
            timeout_seconds=settings.smtp_timeout_seconds,
            attempts=settings.smtp_attempts,
            sender=settings.mail_from,
        )

    def backoff(self, failures: int) -> float:
        base = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (failures - 1))
        return base + random.uniform(0, self.backoff_seconds)  # jitter, not a secret


class Mailer:
    def __init__(self, config: SmtpConfig, *, tls_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.tls_context = tls_context
        self._connections: list[aiosmtplib.SMTP | None] = [None] * config.connections
        self._free: asyncio.Queue[int] = asyncio.Queue()  # the connection slots no worker holds
        for slot in range(config.connections):
            self._free.put_nowait(slot)
        self.connects = 0  # connections opened so far: reuse keeps it at most `connections` on a healthy relay

    async def __aenter__(self) -> "Mailer":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def send(self, mails: Sequence[Mail]) -> list[Outcome]:
        """Send every message; one outcome per message, in the order given. Sends may overlap: they
        share the connections, each worker holding one while it takes messages."""
        outcomes: list[Outcome | None] = [None] * len(mails)
        date = format_datetime(datetime.now(UTC))
        queue = iter(range(len(mails)))  # shared by this send's workers: each takes the next index

        async def worker() -> None:
            slot = await self._free.get()
            try:
                for index in queue:
                    outcomes[index] = await self._send_one(slot, mails[index], date)
            finally:
                self._free.put_nowait(slot)

        workers = min(len(self._connections), len(mails))
        await asyncio.gather(*(worker() for _ in range(workers)))
        return [outcome for outcome in outcomes if outcome is not None]

    async def aclose(self) -> None:
        for slot, connection in enumerate(self._connections):
            self._connections[slot] = None
            if connection is not None:
                await _quit(connection)

    async def _send_one(self, slot: int, mail: Mail, date: str) -> Outcome:
        try:
            message = mail_bytes(mail, sender=self.config.sender, date=date)
        except UnsendableMail as exc:
            return Outcome(mail, error=str(exc))
        failures = 0
        while True:
            try:
                await self._deliver(slot, mail, message)
                return Outcome(mail)
            except aiosmtplib.SMTPResponseException as refused:
                if refused.code < 400 or refused.code >= 500:
                    await self._reset(slot)
                    return Outcome(mail, error=_describe(refused))
                error = _describe(refused)
                await self._reset(slot)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as broken:
                error = f"relay unreachable: {type(broken).__name__} {broken}".strip()
                await self._drop(slot)
            failures += 1
            if failures >= self.config.attempts:
                log.warning("message %s not accepted after %d tries: %s", mail.message_id, failures, error)
                return Outcome(mail, error=error, transient=True)
            await asyncio.sleep(self.config.backoff(failures))

    async def _deliver(self, slot: int, mail: Mail, message: bytes) -> None:
        connection = await self._connection(slot)
        try:
            errors, _ = await connection.sendmail(self.config.sender, [mail.to], message)
        except aiosmtplib.SMTPRecipientsRefused as refused:
            # The one recipient refused: its own answer (550 no such user, 452 mailbox full) decides.
            errors = {mail.to: refused.recipients[0]} if refused.recipients else {}
            if not errors:
                raise
        if errors:
            response = next(iter(errors.values()))
            raise aiosmtplib.SMTPResponseException(response.code, response.message)

    async def _connection(self, slot: int) -> aiosmtplib.SMTP:
        connection = self._connections[slot]
        if connection is not None and connection.is_connected:
            return connection
        config = self.config
        connection = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            timeout=config.timeout_seconds,
            username=config.username or None,
            password=config.password or None,
            tls_context=self.tls_context,
        )
        await connection.connect()
        self.connects += 1
        self._connections[slot] = connection
        return connection

    async def _reset(self, slot: int) -> None:
        """Clear a refused transaction so the connection can carry the next message."""
        connection = self._connections[slot]
        if connection is None or not connection.is_connected:
            return
        try:
            await connection.rset()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            await self._drop(slot)

    async def _drop(self, slot: int) -> None:
        connection, self._connections[slot] = self._connections[slot], None
        if connection is not None:
            connection.close()


async def _quit(connection: aiosmtplib.SMTP) -> None:
    try:
        if connection.is_connected:
            await connection.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        connection.close()


def _describe(refused: aiosmtplib.SMTPResponseException) -> str:
    return f"{refused.code} {refused.message}".strip()[:500]
