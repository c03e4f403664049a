"""Push messages through the push provider's batch API (the sandbox's `push`, or a real one).

`PushClient.send(messages, client=...)` cuts the messages into batches of at most 500, sends a few
batches at once, and reports per message whether the provider accepted it (with its ticket id) or
why it failed, in the order given. It never raises for the provider's sake: a batch is retried with
exponential backoff on connection errors, timeouts and 5xx (`attempts` tries in all), waits the
provider's Retry-After on 429 (every batch waits, so the whole send slows down; at most
`max_throttle_seconds` in all per batch), and is reported failed when that is spent or when the
provider refuses it (4xx). The caller records what was accepted and may send the failed ones again
later. A message's `key` goes to the provider as its idempotency key: a message sent again with the
same key (after an answer that never arrived, say) is delivered once.

It knows nothing of the database: the caller decides what to send and records the outcome.
"""

import asyncio
import logging
import random
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from promotions.config import Settings

log = logging.getLogger(__name__)

MAX_BATCH = 500  # the provider's limit
CLIENT_HEADER = "X-Client-Code"  # whom a message is sent for, as the sandbox lists it
MIN_RETRY_AFTER = 0.1


@dataclass(frozen=True)
class PushMessage:
    user: str
    title: str
    body: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None  # idempotency key, e.g. the notification's id

    def payload(self) -> dict[str, Any]:
        payload = {"user": self.user, "title": self.title, "body": self.body, "data": dict(self.data)}
        if self.key is not None:
            payload["idempotency_key"] = self.key
        return payload


@dataclass(frozen=True)
class Delivery:
    message: PushMessage
    ticket: str | None = None  # the provider's id when it accepted the message
    error: str | None = None  # why it did not

    @property
    def accepted(self) -> bool:
        return self.ticket is not None


@dataclass(frozen=True)
class PushReport:
    deliveries: list[Delivery]  # one per message, in the order they were given

    @property
    def accepted(self) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if delivery.accepted]

    @property
    def failed(self) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if not delivery.accepted]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries of a batch on connection errors and 5xx
    backoff_seconds: float = 0.2  # the first wait; doubled after each failure, plus up to as much again
    max_backoff_seconds: float = 5.0
    max_throttle_seconds: float = 60.0  # 429 waits of one batch, in all

    def backoff(self, failures: int) -> float:
        base = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (failures - 1))
        return base + random.uniform(0, self.backoff_seconds)  # jitter, not a secret


class _Retryable(Exception):
    pass


class _ServerError(_Retryable):
    pass


class _Throttled(_Retryable):
    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class _Refused(Exception):
    """A 4xx or an answer that cannot be read: trying again would not help."""


class PushClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        batch_size: int = MAX_BATCH,
        concurrency: int = 4,
        policy: RetryPolicy | None = None,
        timeout_seconds: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        self.endpoint = url.rstrip("/") + "/messages"
        self.token = token
        self.batch_size = batch_size
        self.policy = policy or RetryPolicy()
        self._slots = asyncio.Semaphore(concurrency)
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds)
        self._resume_at = 0.0  # a 429 pauses every batch until then (monotonic clock)

    @classmethod
    def from_settings(cls, settings: Settings, *, http: httpx.AsyncClient | None = None) -> "PushClient":
        return cls(
            settings.push_url,
            settings.push_token,
            batch_size=settings.push_batch_size,
            concurrency=settings.push_concurrency,
            policy=RetryPolicy(
                attempts=settings.push_attempts, max_throttle_seconds=settings.push_max_throttle_seconds
            ),
            timeout_seconds=settings.push_timeout_seconds,
            http=http,
        )

    async def __aenter__(self) -> "PushClient":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def send(self, messages: Sequence[PushMessage], *, client: str) -> PushReport:
        """Send every message for `client`; the report says which the provider accepted."""
        batches = [messages[start : start + self.batch_size] for start in range(0, len(messages), self.batch_size)]
        results = await asyncio.gather(*(self._send_batch(batch, client) for batch in batches))
        return PushReport([delivery for result in results for delivery in result])

    async def _send_batch(self, batch: Sequence[PushMessage], client: str) -> list[Delivery]:
        async with self._slots:
            try:
                return await self._with_retries(batch, client)
            except (_Retryable, _Refused, httpx.TransportError) as exc:
                reason = _reason(exc)
                log.warning("push batch of %d messages for %s failed: %s", len(batch), client, reason)
                return [Delivery(message, error=reason) for message in batch]

    async def _with_retries(self, batch: Sequence[PushMessage], client: str) -> list[Delivery]:
        budget = _Budget(self.policy)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
            stop=budget.spent,
            wait=budget.wait,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self._pause_while_throttled()
                try:
                    return await self._post(batch, client)
                except _Throttled as throttled:
                    self._resume_at = max(self._resume_at, time.monotonic() + throttled.retry_after)
                    raise
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _pause_while_throttled(self) -> None:
        delay = self._resume_at - time.monotonic()
        if delay > self.policy.max_throttle_seconds:
            # Longer than a batch may wait in all (the budget counts the batch's own 429s): it fails now.
            raise _Throttled("429 throttled", delay)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _post(self, batch: Sequence[PushMessage], client: str) -> list[Delivery]:
        headers = {"Authorization": f"Bearer {self.token}", CLIENT_HEADER: client}
        body = {"messages": [message.payload() for message in batch]}
        response = await self._http.post(self.endpoint, json=body, headers=headers)
        status = response.status_code
        if status == 429:
            raise _Throttled("429 throttled", _retry_after(response.headers.get("Retry-After")))
        if status >= 500:
            raise _ServerError(f"{status} {response.reason_phrase}")
        if status not in (200, 202):
            raise _Refused(f"{status} {response.reason_phrase}: {_detail(response)}")
        return _deliveries(batch, response)


class _Budget:
    """What one batch may still spend: failed tries, and time waiting on 429s. Tenacity asks `wait`
    and `stop` about each failed try (in an order of its own): each try is counted once."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.failures = 0
        self.throttled_for = 0.0
        self._counted = 0

    def _count(self, state: RetryCallState) -> BaseException | None:
        error = state.outcome.exception() if state.outcome else None
        if state.attempt_number > self._counted:
            self._counted = state.attempt_number
            if isinstance(error, _Throttled):
                self.throttled_for += error.retry_after
            else:
                self.failures += 1
        return error

    def spent(self, state: RetryCallState) -> bool:
        if isinstance(self._count(state), _Throttled):
            # Not worth waiting less than the provider asked: past the budget, the batch fails now.
            return self.throttled_for > self.policy.max_throttle_seconds
        return self.failures >= self.policy.attempts

    def wait(self, state: RetryCallState) -> float:
        if isinstance(self._count(state), _Throttled):
            return 0.0  # the pause before the next try waits the Retry-After, for every batch
        return self.policy.backoff(self.failures)


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); 1 when absent or unreadable,
    never less than MIN_RETRY_AFTER (a provider answering "0" is not hammered)."""
    seconds = 1.0
    if value:
        value = value.strip()
        if value.isdigit():
            seconds = float(value[:10])
        else:
            with suppress(TypeError, ValueError, IndexError, OverflowError):
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
    return max(MIN_RETRY_AFTER, seconds)


def _deliveries(batch: Sequence[PushMessage], response: httpx.Response) -> list[Delivery]:
    try:
        tickets = response.json()["data"]
        if not isinstance(tickets, list) or len(tickets) != len(batch):
            raise ValueError("not one ticket per message")
        return [_delivery(message, ticket) for message, ticket in zip(batch, tickets, strict=True)]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _Refused(f"unreadable answer from the provider ({exc})") from exc


def _delivery(message: PushMessage, ticket: dict[str, Any]) -> Delivery:
    if ticket.get("status") == "ok" and ticket.get("id"):
        return Delivery(message, ticket=str(ticket["id"]))
    return Delivery(message, error=str(ticket.get("message") or ticket.get("details") or "refused by the provider"))


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except (ValueError, AttributeError):
        return response.text[:200]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.TransportError):
        return f"provider unreachable: {type(exc).__name__} {exc}".strip()
    if isinstance(exc, _Throttled):
        return "throttled by the provider for longer than allowed"
    return str(exc)
