"""The billing provider client against the sandbox's billing provider over HTTP: a definite answer
(charged or declined), the same key answered once, transport faults tried again with the key and
then `unknown`, a refused key `unknown` without retrying."""

from typing import Any

from subscriptions.billing_provider import BillingProvider as Client
from subscriptions.billing_provider import Outcome

from .billing_harness import AUTH_KEY, BillingProvider, billing, billing_sandbox

__all__ = ["billing", "billing_sandbox"]  # fixtures, used by name

MSISDN = "254712345678"


def client(billing: BillingProvider, **options: Any) -> Client:
    return Client(billing.url, options.pop("auth_key", AUTH_KEY), first_wait_seconds=0.01, **options)


async def charge(provider: Client, key: str = "sub-1-p1-2026-03-03-a1", plan: str = "11") -> Any:
    async with provider:
        return await provider.charge(client="iska", msisdn=MSISDN, plan_code=plan, key=key)


async def test_a_charge_and_a_decline_are_definite_answers(billing: BillingProvider) -> None:
    assert (await charge(client(billing))).outcome is Outcome.SUCCESS
    billing.behave(failure_rate=1)
    declined = await charge(client(billing), key="sub-1-p1-2026-03-04-a1", plan="21")
    assert declined.outcome is Outcome.FAILURE and declined.error is None
    received = billing.received()
    assert [(item["sub_plan"], item["status"], item["client"]) for item in received] == [
        ("11", "success", "iska"),
        ("21", "failure", "iska"),
    ]
    assert received[0]["idempotency_key"] == "sub-1-p1-2026-03-03-a1"


async def test_the_same_key_is_charged_once(billing: BillingProvider) -> None:
    for _ in range(3):
        assert (await charge(client(billing))).outcome is Outcome.SUCCESS
    assert billing.charged() == [MSISDN]


async def test_server_errors_are_tried_again_then_unknown(billing: BillingProvider) -> None:
    billing.behave(error_rate=1)
    answer = await charge(client(billing, attempts=3))
    assert answer.outcome is Outcome.UNKNOWN and "503" in (answer.error or "")
    assert billing.stats()["failed"] == 3 and billing.charged() == []


async def test_a_provider_down_is_unknown(billing: BillingProvider) -> None:
    billing.behave(down=True)
    answer = await charge(client(billing, attempts=2))
    assert answer.outcome is Outcome.UNKNOWN and "unreachable" in (answer.error or "")


async def test_a_refused_key_is_unknown_and_not_tried_again(billing: BillingProvider) -> None:
    answer = await charge(client(billing, auth_key="wrong-key", attempts=3))
    assert answer.outcome is Outcome.UNKNOWN and "401" in (answer.error or "")
    assert billing.stats()["received"] == 0


async def test_no_server_at_all_is_unknown() -> None:
    provider = Client("http://127.0.0.1:9/sandbox/billing", AUTH_KEY, attempts=2, first_wait_seconds=0.01)
    answer = await charge(provider)
    assert answer.outcome is Outcome.UNKNOWN and "ConnectError" in (answer.error or "")
