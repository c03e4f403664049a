"""`subscriptions sms run <client> [--date]` on SQLite and PostgreSQL, against the sandbox's gateways
with receipts through the real gateway: it sends the date's messages, waits, prints a summary; a
second run of the date sends nothing new; bad input exits 2 with one line, never a traceback."""

import time
from datetime import date

from sqlalchemy import insert, select
from sqlmodel import Session
from typer.testing import CliRunner

from quintet_shared.db import session_scope
from quintet_shared.tables import tenant
from subscriptions.cli import app
from subscriptions.models import SmsMessage

from .conftest import NOW
from .sms_fixtures import SmsStack, make_paid

MSISDNS = ["254711000001", "254711000002", "254711000003"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sms", "run", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def figure(output: str, label: str) -> str:
    """The value on the summary's row that starts with `label`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) == 2 and cells[0] == label:
            return cells[1]
    raise AssertionError(f"no row {label!r} in:\n{output}")


def test_a_run_sends_the_dates_messages_and_a_second_run_nothing(
    sms_stack: SmsStack, database_url: str, monkeypatch: object
) -> None:
    monkeypatch.setenv("SUBSCRIPTIONS_DATABASE_URL", database_url)  # type: ignore[attr-defined]
    api = sms_stack.api
    with session_scope(sms_stack.engine) as session:
        session.execute(
            insert(tenant).values(
                code="iska", name="Iska", services=["subscriptions"], active=1, registered_at=NOW, updated_at=NOW
            )
        )
    api.created("/subscriptions/forecasts", {"gid": "1", "latitude": 0.5, "longitude": 37.0, "fcat24": "dry"})
    for msisdn in [*MSISDNS, "254711000009"]:
        api.created("/subscriptions/subscriptions", {"msisdn": msisdn, "plan": "11", "latitude": 0.4, "longitude": 37})
    make_paid(sms_stack.engine, MSISDNS, date(2026, 3, 2))

    code, output = run("iska", "--date", "2026-03-02")
    assert code == 0, output
    assert figure(output, "messages recorded by this run") == "3"
    assert figure(output, "accepted by a gateway") == "3"
    assert figure(output, "refused by every gateway tried") == "0"
    deadline = time.monotonic() + 20
    while sms_stack.sms.callbacks()["pending"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with Session(sms_stack.engine) as session:
        rows = session.execute(select(SmsMessage.status, SmsMessage.text)).all()
    assert rows == [("delivered", "fcat24: dry, fcat48: ")] * 3

    code, output = run("iska", "--date", "2026-03-02")
    assert code == 0 and figure(output, "messages recorded by this run") == "0", output
    assert figure(output, "paid subscribers that had the date's message already") == "3"
    assert figure(output, "accepted by a gateway") == "0"
    assert len(sms_stack.sms.received()) == 3

    code, output = run("iska", "--date", "2026-03-03")  # not paid that day
    assert code == 0 and figure(output, "messages recorded by this run") == "0", output


def test_bad_input_exits_2_with_one_line(sms_stack: SmsStack, database_url: str, monkeypatch: object) -> None:
    monkeypatch.setenv("SUBSCRIPTIONS_DATABASE_URL", database_url)  # type: ignore[attr-defined]
    code, output = run("nobody")
    assert code == 2 and "knows no client 'nobody'" in output
    with session_scope(sms_stack.engine) as session:
        session.execute(
            insert(tenant).values(
                code="iska", name="Iska", services=["subscriptions"], active=1, registered_at=NOW, updated_at=NOW
            )
        )
    code, output = run("iska", "--date", "2026-02-30")
    assert code == 2 and "--date must be YYYY-MM-DD" in output
    code, output = run("iska")  # today, nobody paid: nothing to send
    assert code == 0 and figure(output, "messages recorded by this run") == "0", output
