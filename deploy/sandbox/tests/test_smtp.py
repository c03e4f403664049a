"""The SMTP sink over a real socket: one listed item per accepted message, transient failures by
behaviour, resets while down, and a Message-ID accepted once."""

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings
from sandbox.main import create_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ThreadServer, int]]:
    smtp_port = _free_port()
    with serving(create_app(Settings(smtp_port=smtp_port, received_limit=1000))) as running:
        yield running, smtp_port


@pytest.fixture
def sink(server: tuple[ThreadServer, int]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server[0].url}/sandbox/smtp") as client:
        client.delete("/received")
        yield client
        client.delete("/received")


@pytest.fixture
def smtp(server: tuple[ThreadServer, int]) -> Iterator[smtplib.SMTP]:
    with smtplib.SMTP("127.0.0.1", server[1], timeout=5) as connection:
        yield connection


def message(to: str, message_id: str, subject: str = "We miss you") -> EmailMessage:
    email = EmailMessage()
    email["From"] = "Café Rouge <news@example.com>"
    email["To"] = to
    email["Subject"] = subject
    email["Message-ID"] = message_id
    email["X-Client-Code"] = "potatoes"
    email["List-Unsubscribe"] = "<https://crm.example.com/crm/public/unsubscribe/t1>"
    email.set_content("Hello Ann,\ncome back for 10 % off — merci!\n")
    return email


def test_a_message_is_listed_with_envelope_subject_headers_and_decoded_body(
    sink: httpx.Client, smtp: smtplib.SMTP
) -> None:
    smtp.send_message(message("ann@example.com", "<m1@example.com>", subject="Ça vous manque ?"))
    page = sink.get("/received").json()
    [item] = page["items"]
    assert item["seq"] == page["last_seq"] and item["at"].endswith("Z")
    assert (item["mail_from"], item["to"], item["client"]) == ("news@example.com", ["ann@example.com"], "potatoes")
    assert item["subject"] == "Ça vous manque ?"
    assert item["message_id"] == "<m1@example.com>"
    assert item["headers"]["List-Unsubscribe"] == "<https://crm.example.com/crm/public/unsubscribe/t1>"
    assert item["headers"]["From"] == "Café Rouge <news@example.com>"
    assert item["body"] == "Hello Ann,\ncome back for 10 % off — merci!\n"
    assert sink.get("/stats").json() == {"received": 1, "accepted": 1, "failed": 0}


def test_several_messages_on_one_connection_are_listed_in_order(sink: httpx.Client, smtp: smtplib.SMTP) -> None:
    for n in range(3):
        smtp.send_message(message(f"c{n}@example.com", f"<m{n}@example.com>"))
    items = sink.get("/received", params={"limit": 2}).json()["items"]
    assert [item["to"] for item in items] == [["c0@example.com"], ["c1@example.com"]]
    rest = sink.get("/received", params={"after": items[-1]["seq"]}).json()["items"]
    assert [item["to"] for item in rest] == [["c2@example.com"]]


def test_a_message_id_already_accepted_is_answered_250_and_listed_once(sink: httpx.Client, smtp: smtplib.SMTP) -> None:
    smtp.send_message(message("ann@example.com", "<same@example.com>"))
    smtp.send_message(message("ann@example.com", "<same@example.com>"))  # raises on anything but 2xx
    assert len(sink.get("/received").json()["items"]) == 1
    assert sink.get("/stats").json()["accepted"] == 1
    assert sink.get("/duplicates").json() == {"dropped": 1}
    sink.delete("/received")
    assert sink.get("/duplicates").json() == {"dropped": 0}
    smtp.send_message(message("ann@example.com", "<same@example.com>"))  # forgotten by the reset: listed again
    assert len(sink.get("/received").json()["items"]) == 1


def test_failures_are_transient_4xx_follow_the_seed_and_are_not_listed(sink: httpx.Client, smtp: smtplib.SMTP) -> None:
    assert sink.put("/behaviour", json={"failure_rate": 0.5, "seed": 7}).status_code == 200
    outcomes = []
    for n in range(40):
        try:
            smtp.send_message(message(f"c{n}@example.com", f"<f{n}@example.com>"))
            outcomes.append(True)
        except smtplib.SMTPDataError as refused:
            assert refused.smtp_code == 451
            outcomes.append(False)
    assert 5 < outcomes.count(False) < 35
    assert len(sink.get("/received").json()["items"]) == outcomes.count(True)
    stats = {"received": 40, "accepted": outcomes.count(True), "failed": outcomes.count(False)}
    assert sink.get("/stats").json() == stats
    # The same seed fails the same messages again.
    sink.delete("/received")
    sink.put("/behaviour", json={"failure_rate": 0.5, "seed": 7})
    again = []
    for n in range(40):
        try:
            smtp.send_message(message(f"c{n}@example.com", f"<g{n}@example.com>"))
            again.append(True)
        except smtplib.SMTPDataError:
            again.append(False)
    assert again == outcomes


def test_a_throttled_sink_answers_450(sink: httpx.Client, smtp: smtplib.SMTP) -> None:
    sink.put("/behaviour", json={"rate_limit_per_second": 1})
    smtp.send_message(message("a@example.com", "<t1@example.com>"))
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp.send_message(message("b@example.com", "<t2@example.com>"))
    assert refused.value.smtp_code == 450


def test_down_resets_new_and_open_connections_and_comes_back(
    sink: httpx.Client, server: tuple[ThreadServer, int], smtp: smtplib.SMTP
) -> None:
    smtp.noop()
    sink.put("/behaviour", json={"down": True})
    with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionError)):
        smtp.send_message(message("a@example.com", "<d1@example.com>"))
    with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionError)):
        smtplib.SMTP("127.0.0.1", server[1], timeout=5)
    sink.put("/behaviour", json={"down": False})
    with smtplib.SMTP("127.0.0.1", server[1], timeout=5) as fresh:
        fresh.send_message(message("a@example.com", "<d2@example.com>"))
    assert sink.get("/stats").json() == {"received": 1, "accepted": 1, "failed": 0}


def test_more_than_100_recipients_are_refused_beyond_the_hundredth(sink: httpx.Client, smtp: smtplib.SMTP) -> None:
    recipients = [f"r{n}@example.com" for n in range(101)]
    refused = smtp.sendmail("news@example.com", recipients, message("x@example.com", "<r@example.com>").as_bytes())
    assert list(refused) == ["r100@example.com"]
    assert len(sink.get("/received").json()["items"][0]["to"]) == 100
