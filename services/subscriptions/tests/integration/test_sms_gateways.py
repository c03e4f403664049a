"""The SMS gateways client against the sandbox's three gateways over HTTP: the message's own gateway
first, the next one on a connection reset or a 503, a backoff between passes, a refused token failing
at once, and a msgid sent again accepted once."""

from collections.abc import Iterator

import pytest

from quintet_shared.testing.thread_server import ThreadServer
from subscriptions.sms_gateways import OutgoingSms, SmsGateways

from .sms_fixtures import SMS_TOKEN, SmsProvider

CALLBACK = "http://127.0.0.1:9/nowhere"  # receipts are not this test's subject: withheld below


@pytest.fixture
def sms(sms_sandbox: ThreadServer) -> Iterator[SmsProvider]:
    provider = SmsProvider(f"{sms_sandbox.url}/sandbox/sms")
    provider.reset()
    for gateway in ("srv1", "srv2", "srv3"):
        provider.behave(gateway, unreported_rate=1)  # no callbacks to a URL nobody serves
    yield provider
    provider.reset()


def message(msgid: str, first: int) -> OutgoingSms:
    return OutgoingSms(msisdn="254712345678", msgid=msgid, text="fcat24: sunny", callback=CALLBACK, first=first)


def client(sms: SmsProvider, token: str = SMS_TOKEN, attempts: int = 5) -> SmsGateways:
    return SmsGateways(sms.url, token, ["srv1", "srv2", "srv3"], max_attempts=attempts, backoff_seconds=0.01)


async def test_each_message_starts_at_its_own_gateway(sms: SmsProvider) -> None:
    async with client(sms) as gateways:
        outcomes = [await gateways.send(message(f"m{n}", n), client="iska") for n in range(6)]
    assert [(o.gateway, o.attempts, o.accepted) for o in outcomes] == [
        ("srv1", 1, True), ("srv2", 1, True), ("srv3", 1, True),
        ("srv1", 1, True), ("srv2", 1, True), ("srv3", 1, True),
    ]  # fmt: skip
    assert [item["client"] for item in sms.received()] == ["iska"] * 6


async def test_a_gateway_down_or_failing_passes_the_message_to_the_next(sms: SmsProvider) -> None:
    sms.behave("srv1", down=True, unreported_rate=1)
    sms.behave("srv2", failure_rate=1, unreported_rate=1)
    async with client(sms) as gateways:
        outcome = await gateways.send(message("abc", 0), client="iska")
    assert (outcome.gateway, outcome.attempts, outcome.accepted) == ("srv3", 3, True)
    assert [item["gateway"] for item in sms.received()] == ["srv3"]
    assert sms.stats("srv2") == {"received": 1, "accepted": 0, "failed": 1}


async def test_every_gateway_failing_gives_up_after_the_attempts(sms: SmsProvider) -> None:
    for gateway in ("srv1", "srv2", "srv3"):
        sms.behave(gateway, down=gateway != "srv2", failure_rate=1, unreported_rate=1)
    async with client(sms, attempts=4) as gateways:
        outcome = await gateways.send(message("abc", 1), client="iska")
    assert (outcome.gateway, outcome.attempts, outcome.accepted) == ("srv2", 4, False)
    assert outcome.error is not None and outcome.error.startswith("srv2: 503")
    assert sms.stats("srv2")["failed"] == 2  # tried on the first pass and again after the backoff


async def test_a_refused_token_fails_at_once(sms: SmsProvider) -> None:
    async with client(sms, token="wrong") as gateways:
        outcome = await gateways.send(message("abc", 2), client="iska")
    assert (outcome.gateway, outcome.attempts, outcome.accepted) == ("srv3", 1, False)
    assert outcome.error is not None and "401" in outcome.error
    assert sms.received() == []


async def test_a_msgid_sent_again_to_its_gateway_is_one_message(sms: SmsProvider) -> None:
    async with client(sms) as gateways:
        first = await gateways.send(message("same", 4), client="iska")
        again = await gateways.send(message("same", 4), client="iska")
    assert first.accepted and again.accepted and first.gateway == again.gateway == "srv2"
    assert len(sms.received()) == 1
