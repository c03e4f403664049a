"""Charges through the billing provider's API (the sandbox's `billing`, or the real carrier's).

`POST <url>/charges` with `Auth-Key`, `Idempotency-Key` and `{"msisdn", "sub_plan"}` → 200
`{"status": "success" | "failure"}`. `BillingProvider.charge` answers one of three outcomes and never
raises for the provider's sake:
- `success` / `failure`: the provider's definite answer (a decline is a failure, not an error);
- `unknown`: no definite answer. Timeouts, connection errors, 429 and 5xx are tried again at once
  with the same key (tenacity, `attempts` tries, short exponential backoff); when those are spent,
  or on an answer that cannot be read or a 4xx (a wrong key is the operator's to fix, not the
  subscriber's fault), the charge may or may not have happened. The caller keeps the attempt
  pending and sends the same key again later: the provider answers the first outcome again and
  never charges twice.
It knows nothing of the database: the caller records the outcome.
"""

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from subscriptions.config import Settings

log = logging.getLogger(__name__)

CLIENT_HEADER = "X-Client-Code"  # whom the charge is for, as the sandbox lists it


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"  # no definite answer: retried later with the same key


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: Outcome
    error: str | None = None  # why there is no definite answer


class _Retryable(Exception):
    """A 429 or 5xx: the provider did not handle the charge this time."""


class BillingProvider:
    def __init__(
        self,
        url: str,
        auth_key: str,
        *,
        timeout_seconds: float = 10.0,
        concurrency: int = 8,
        attempts: int = 3,
        first_wait_seconds: float = 0.2,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/charges"
        self.auth_key = auth_key
        self.attempts = attempts
        self.first_wait_seconds = first_wait_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._owns_http = http is None
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds, limits=limits)

    @classmethod
    def from_settings(cls, settings: Settings, *, http: httpx.AsyncClient | None = None) -> "BillingProvider":
        return cls(
            settings.billing_url,
            settings.billing_auth_key,
            timeout_seconds=settings.billing_timeout_seconds,
            concurrency=settings.billing_concurrency,
            attempts=settings.billing_transport_attempts,
            http=http,
        )

    async def __aenter__(self) -> "BillingProvider":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def charge(self, *, client: str, msisdn: str, plan_code: str, key: str) -> Answer:
        """Charge `msisdn` for the plan (`11` daily, `21` weekly) under the idempotency `key`."""
        async with self._slots:
            try:
                return await self._with_retries(client, {"msisdn": msisdn, "sub_plan": plan_code}, key)
            except (_Retryable, httpx.TransportError) as exc:
                reason = _reason(exc)
                # Per charge at debug level: a run reports its unanswered charges once (billing_run.py).
                log.debug("charge %s has no answer from the billing provider: %s", key, reason)
                return Answer(Outcome.UNKNOWN, reason)

    async def _with_retries(self, client: str, body: dict[str, str], key: str) -> Answer:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=self.first_wait_seconds, max=5.0, jitter=self.first_wait_seconds),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._post(client, body, key)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _post(self, client: str, body: dict[str, str], key: str) -> Answer:
        headers = {"Auth-Key": self.auth_key, "Idempotency-Key": key, CLIENT_HEADER: client}
        response = await self._http.post(self.endpoint, json=body, headers=headers)
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(f"{status} {response.reason_phrase}")
        if status != 200:
            reason = f"refused by the billing provider: {status} {response.reason_phrase}: {_detail(response)}"
            return Answer(Outcome.UNKNOWN, reason)
        return _answer(response)


def _answer(response: httpx.Response) -> Answer:
    try:
        payload: Any = response.json()
        status = payload.get("status") if isinstance(payload, dict) else None
    except ValueError:
        status = None
    if status == "success":
        return Answer(Outcome.SUCCESS)
    if status == "failure":
        return Answer(Outcome.FAILURE)
    return Answer(Outcome.UNKNOWN, f"unreadable answer from the billing provider: {response.text[:200]!r}")


def _detail(response: httpx.Response) -> str:
    try:
        payload = response.json()
        return str(payload.get("detail", "") if isinstance(payload, dict) else payload)[:200]
    except ValueError:
        return response.text[:200]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.TransportError):
        return f"billing provider unreachable: {type(exc).__name__} {exc}".strip()[:500]
    return f"billing provider failed: {exc}"[:500]
