"""One SMS through the provider's gateways: round-robin, another gateway on failure.

`SmsGateways.send(message, client=...)` posts `{"msisdn", "msgid", "text", "callback"}` with the
bearer token to `<SUBSCRIPTIONS_SMS_URL>/<gateway>/messages`, first to the message's own gateway
(`first`, the caller's round-robin turn), and on a failure to the next gateway of the list, up to
`max_attempts` tries in all. A failure is what another gateway may not share: no connection, a reset,
a timeout, a 5xx or a 429. Between two passes over every gateway it waits a backoff (0.2 s, doubled
each pass), never between two gateways of one pass: another gateway is a fresh chance at once. A 4xx
other than 408 and 429 (a refused token, a message the provider will not take) is the same on every
gateway: the message fails at once with the reason.

The HTTP client is aiohttp, not httpx: at 64 requests in flight httpx's connection pool is the
bottleneck (MEASURED.md; here 51 requests/s against the sandbox, aiohttp 247/s, same loop and
server), and this is the hot path of a 100,000-message run.

It never raises for the provider's sake; the outcome says which gateway accepted the message, after
how many tries, or why none did. It knows nothing of the database.

Idempotency: the msgid is the same on every try and every gateway. A gateway that accepts a msgid
twice sends it once (the sandbox's do, per gateway); the caller's `first` is fixed per message, so a
message sent again after a crash goes first to the gateway that may have accepted it already. A try
that timed out after its gateway accepted it, followed by an accept elsewhere, can still send two:
no protocol across independent gateways prevents that, and a timeout is rare beside a 503.
"""

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from subscriptions.config import Settings

CLIENT_HEADER = "X-Client-Code"  # whom a message is sent for, as the sandbox lists it
BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    msisdn: str
    msgid: str
    text: str
    callback: str
    first: int  # the round-robin turn: index of the first gateway tried (modulo their number)


@dataclass(frozen=True, slots=True)
class SendOutcome:
    gateway: str  # the gateway that accepted it, else the last one tried
    attempts: int
    accepted: bool
    error: str | None = None


class _Refused(Exception):
    """An answer no other gateway would change."""


class SmsGateways:
    def __init__(
        self,
        url: str,
        token: str,
        gateways: Sequence[str],
        *,
        max_attempts: int = 5,
        concurrency: int = 64,
        timeout_seconds: float = 10.0,
        backoff_seconds: float = BACKOFF_SECONDS,
    ) -> None:
        if not gateways:
            raise ValueError("at least one gateway is needed")
        base = url.rstrip("/")
        self.gateways = tuple(gateways)
        self.endpoints = {name: f"{base}/{name}/messages" for name in self.gateways}
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        # Connecting and each read are bounded; a whole request as long as both (a slow gateway that
        # trickles its answer is a failed try, not a hung sender).
        timeout = aiohttp.ClientTimeout(total=2 * timeout_seconds, connect=timeout_seconds, sock_read=timeout_seconds)
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        self._http = aiohttp.ClientSession(connector=connector, timeout=timeout, raise_for_status=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmsGateways":
        return cls(
            settings.sms_url,
            settings.sms_token,
            settings.sms_gateway_names,
            max_attempts=settings.sms_max_attempts,
            concurrency=settings.sms_concurrency,
            timeout_seconds=settings.sms_timeout_seconds,
        )

    async def __aenter__(self) -> "SmsGateways":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.close()

    async def send(self, message: OutgoingSms, *, client: str) -> SendOutcome:
        count = len(self.gateways)
        error = "not tried"
        gateway = self.gateways[message.first % count]
        for attempt in range(1, self.max_attempts + 1):
            gateway = self.gateways[(message.first + attempt - 1) % count]
            if attempt > 1 and (attempt - 1) % count == 0:  # every gateway failed once more: wait a little
                passes = (attempt - 1) // count
                await asyncio.sleep(min(MAX_BACKOFF_SECONDS, self.backoff_seconds * 2 ** (passes - 1)))
            try:
                await self._post(gateway, message, client)
            except _Refused as refused:
                return SendOutcome(gateway, attempt, accepted=False, error=str(refused))
            except (aiohttp.ClientError, TimeoutError, _Unavailable) as failure:
                error = _reason(gateway, failure)
                continue
            return SendOutcome(gateway, attempt, accepted=True)
        return SendOutcome(gateway, self.max_attempts, accepted=False, error=error)

    async def _post(self, gateway: str, message: OutgoingSms, client: str) -> None:
        body = {"msisdn": message.msisdn, "msgid": message.msgid, "text": message.text, "callback": message.callback}
        headers = {**self._headers, CLIENT_HEADER: client}
        async with self._http.post(self.endpoints[gateway], data=json.dumps(body), headers=headers) as response:
            status, reason, answer = response.status, response.reason, await response.read()
        if status >= 500 or status in (408, 429):
            raise _Unavailable(f"{status} {reason}")
        if status != 200 or _status_of(answer) != "accepted":
            raise _Refused(f"{gateway}: {status} {reason}: {answer[:200].decode('utf-8', 'replace')}")


class _Unavailable(Exception):
    """This gateway failed this time: another may not."""


def _status_of(answer: bytes) -> object:
    try:
        body = json.loads(answer)
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) else None


def _reason(gateway: str, failure: Exception) -> str:
    if isinstance(failure, aiohttp.ClientError | TimeoutError):
        return f"{gateway} unreachable: {type(failure).__name__} {failure}".strip()[:500]
    return f"{gateway}: {failure}"[:500]
