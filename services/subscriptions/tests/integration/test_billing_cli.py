"""`subscriptions billing run` on both databases against the sandbox's billing provider: it charges
what is due on the date given, prints the summary, and exits 0, 1 (answers missing) or 2 (nothing
run), never with a traceback."""

from datetime import UTC, datetime

import pytest
from click.testing import Result
from sqlalchemy import insert
from typer.testing import CliRunner

from quintet_shared.db import make_engine, session_scope
from quintet_shared.migrations import upgrade
from quintet_shared.tables import tenant
from subscriptions import subscribers
from subscriptions.cli import app
from subscriptions.component import DEFINITION
from subscriptions.schemas import SubscriptionCreate

from .billing_harness import BillingProvider, billing, billing_sandbox

__all__ = ["billing", "billing_sandbox"]  # fixtures, used by name

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MSISDN = "254712345678"


@pytest.fixture
def runner(database_url: str, billing: BillingProvider, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A database that knows client `iska` (as the gateway's events would tell it), with one daily
    subscriber added on 2 March (UTC, the default time zone)."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        session.execute(
            insert(tenant).values(
                code="iska", name="ISKA", services=["subscriptions"], active=1, registered_at=NOW, updated_at=NOW
            )
        )
        body = SubscriptionCreate(msisdn=MSISDN, plan="daily", latitude=-1.29, longitude=36.82)
        subscribers.create_subscription(session, client="iska", data=body, now=NOW)
    engine.dispose()
    monkeypatch.setenv("SUBSCRIPTIONS_DATABASE_URL", database_url)
    monkeypatch.setenv("SUBSCRIPTIONS_BILLING_TRANSPORT_ATTEMPTS", "1")
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, ["billing", "run", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def shown(result: Result, label: str) -> str:
    """The value of a summary row."""
    line = next(line for line in result.stdout.splitlines() if label in line)
    return line.split("│")[-2].strip()


def test_it_charges_what_is_due_on_the_date_once(runner: CliRunner, billing: BillingProvider) -> None:
    first = run(runner, "iska", "--date", "2026-03-02")
    assert first.exit_code == 0, first.output
    assert "billing of iska for 2026-03-02" in first.stdout
    assert (shown(first, "charges tried"), shown(first, "charged")) == ("1", "1")
    again = run(runner, "iska", "--date", "2026-03-02")  # paid until 2 March: nothing due
    assert again.exit_code == 0 and shown(again, "charges tried") == "0"
    assert billing.charged() == [MSISDN]


def test_a_provider_that_does_not_answer_exits_1_and_leaves_the_charge_pending(
    runner: CliRunner, billing: BillingProvider
) -> None:
    billing.behave(down=True)
    result = run(runner, "iska", "--date", "2026-03-02")
    assert result.exit_code == 1, result.output
    assert shown(result, "no answer from the provider") == "1"
    assert "unreachable" in shown(result, "no answer because")
    billing.behave()
    assert run(runner, "iska", "--date", "2026-03-02").exit_code == 0  # its lease has not passed yet
    assert billing.charged() == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["nobody"], "knows no client 'nobody'"), (["iska", "--date", "2 March"], "Invalid value")],
)
def test_bad_input_exits_2_and_charges_nothing(
    runner: CliRunner, billing: BillingProvider, args: list[str], expected: str
) -> None:
    result = run(runner, *args)
    assert result.exit_code == 2 and expected in result.output
    assert billing.received() == []
