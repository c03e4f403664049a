"""The mailer against the sandbox's SMTP sink over real sockets: parallel connections kept open,
transient failures retried, a relay that is down reported without raising."""

from typing import Any

from aiosmtpd.controller import Controller

from crm.mail_message import Mail
from crm.mailer import Mailer, SmtpConfig

from .smtp_sink import Sink, free_port, session_sink, sink

__all__ = ["session_sink", "sink"]  # fixtures


def config(port: int, **options: object) -> SmtpConfig:
    values: dict[str, object] = {"connections": 4, "attempts": 3, "backoff_seconds": 0.01, "timeout_seconds": 5}
    values.update(options)
    return SmtpConfig(host="127.0.0.1", port=port, sender="news@crm.example", **values)  # type: ignore[arg-type]


def mails(count: int, prefix: str = "m") -> list[Mail]:
    return [
        Mail(
            to=f"c{n}@example.com",
            subject="We miss you",
            body=f"Hello customer {n}",
            message_id=f"<{prefix}{n}@crm.example>",
            from_name="Café",
            unsubscribe_url=f"https://q.example/crm/public/unsubscribe/t{n}",
        )
        for n in range(count)
    ]


async def test_every_message_arrives_once_over_connections_kept_open(sink: Sink) -> None:
    async with Mailer(config(sink.smtp_port)) as mailer:
        first = await mailer.send(mails(60))
        second = await mailer.send(mails(40, prefix="n"))
        assert mailer.connects == 4  # opened once, used by both sends
    assert [outcome.accepted for outcome in first + second] == [True] * 100
    assert [outcome.mail.to for outcome in first] == [f"c{n}@example.com" for n in range(60)]
    received = sink.received()
    assert sorted(item["message_id"] for item in received) == sorted(
        [f"<m{n}@crm.example>" for n in range(60)] + [f"<n{n}@crm.example>" for n in range(40)]
    )
    item = next(item for item in received if item["message_id"] == "<m7@crm.example>")
    assert (item["mail_from"], item["to"], item["body"]) == (
        "news@crm.example",
        ["c7@example.com"],
        "Hello customer 7\n",
    )
    assert item["headers"]["List-Unsubscribe"] == "<https://q.example/crm/public/unsubscribe/t7>"
    assert item["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_transient_failures_are_tried_again_until_accepted(sink: Sink) -> None:
    sink.behave(failure_rate=0.3, seed=3)
    async with Mailer(config(sink.smtp_port, attempts=8)) as mailer:
        outcomes = await mailer.send(mails(100))
    assert all(outcome.accepted for outcome in outcomes)
    stats = sink.stats()
    assert stats["accepted"] == 100 and stats["failed"] > 10
    assert len({item["message_id"] for item in sink.received()}) == 100


async def test_failures_past_the_tries_are_reported_transient(sink: Sink) -> None:
    sink.behave(failure_rate=1.0)
    async with Mailer(config(sink.smtp_port, attempts=2)) as mailer:
        outcomes = await mailer.send(mails(5))
    assert [(outcome.accepted, outcome.transient) for outcome in outcomes] == [(False, True)] * 5
    assert all(outcome.error and outcome.error.startswith("451") for outcome in outcomes)
    assert sink.stats() == {"received": 10, "accepted": 0, "failed": 10}


async def test_a_relay_that_is_down_or_absent_gives_transient_outcomes_and_the_mailer_recovers(sink: Sink) -> None:
    async with Mailer(config(free_port(), attempts=2)) as nowhere:
        outcomes = await nowhere.send(mails(3))
    assert all(outcome.transient and "unreachable" in (outcome.error or "") for outcome in outcomes)
    async with Mailer(config(sink.smtp_port, attempts=2)) as mailer:
        assert all(outcome.accepted for outcome in await mailer.send(mails(4)))
        sink.behave(down=True)  # the open connections are reset at their next message
        assert not any(outcome.accepted for outcome in await mailer.send(mails(4, prefix="d")))
        sink.behave(down=False)
        assert all(outcome.accepted for outcome in await mailer.send(mails(4, prefix="u")))
    assert sink.stats()["accepted"] == 8


async def test_an_unsendable_address_fails_alone_and_for_good(sink: Sink) -> None:
    batch = mails(3)
    batch[1] = Mail(to="x@example.com\r\nBcc: y@example.com", subject="s", body="b", message_id="<bad@x>")
    async with Mailer(config(sink.smtp_port)) as mailer:
        outcomes = await mailer.send(batch)
    assert [(outcome.accepted, outcome.transient) for outcome in outcomes] == [
        (True, False),
        (False, False),
        (True, False),
    ]


class RefusingRelay:
    """A relay (aiosmtpd, on its own thread) that refuses two mailboxes: one for good, one for now."""

    async def handle_RCPT(self, server: object, session: object, envelope: Any, address: str, options: object) -> str:
        if address == "gone@example.com":
            return "550 5.1.1 No such user"
        if address == "full@example.com":
            return "452 4.2.2 Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


async def test_a_refused_recipient_fails_for_good_on_5xx_and_for_now_on_4xx() -> None:
    controller = Controller(RefusingRelay(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        batch = mails(3)
        batch[0] = Mail(to="gone@example.com", subject="s", body="b", message_id="<g@x>")
        batch[1] = Mail(to="full@example.com", subject="s", body="b", message_id="<f@x>")
        async with Mailer(config(controller.port, attempts=2)) as mailer:
            outcomes = await mailer.send(batch)
    finally:
        controller.stop()
    assert [(outcome.accepted, outcome.transient) for outcome in outcomes] == [
        (False, False),
        (False, True),
        (True, False),
    ]
    assert outcomes[0].error and outcomes[0].error.startswith("550")
    assert outcomes[1].error and outcomes[1].error.startswith("452")
