"""Customer CSVs: `POST /crm/customers/files` → 202 job with line-numbered row errors, and
`crm customers import <client> <file>`, on both databases. Upsert by email per restaurant; a later
row of the same email wins; bad rows are reported and the good ones land; an unusable file changes
nothing."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlmodel import Session
from typer.testing import CliRunner

from crm.cli import app
from crm.customer_import import BATCH_ROWS
from crm.models import Customer
from quintet_shared.db import session_scope
from quintet_shared.tables import tenant

Api = Any  # conftest.Api
HEADER = "restaurant,email,first_name,last_name\n"


def upload(api: Api, content: bytes) -> dict[str, Any]:
    answer = api.post("/crm/customers/files", files={"file": ("customers.csv", content, "text/csv")})
    assert answer.status_code == 202, answer.text
    return answer.json()


def emails(api: Api) -> dict[str, tuple[str, str]]:
    with Session(api.engine) as session:
        rows = session.execute(select(Customer.email, Customer.first_name, Customer.last_name)).all()
    return {email: (first, last) for email, first, last in rows}


async def test_an_uploaded_file_is_upserted_by_email_with_its_row_errors(
    api: Api, jobs: Any, restaurant: dict[str, Any], new_customer: Any
) -> None:
    new_customer("ana@example.com", first_name="Old", last_name="Name")
    r = restaurant["id"]
    content = (
        "\ufeff" + HEADER + f"{r},ANA@example.com,Ana,Diaz\n"  # updates the existing customer
        f"{r},bea@example.com,Bea,\n"
        "\n"
        f"{r},not-an-email,X,Y\n"
        f"999,cid@example.com,Cid,\n"  # not a restaurant of this client
        f'{r},"bea@example.com","Beatriz","Lopez"\n'  # a later row of the same email wins
        f"{r},dan@example.com,{'D' * 101},\n"
        f"{r},eva@example.com\n"
    ).encode()
    accepted = upload(api, content)
    await jobs.run_all()
    status = api.ok(accepted["status_url"])
    assert status["status"] == "SUCCESS", status
    assert {key: status["result"][key] for key in ("status", "rows", "created", "updated", "repeated", "rejected")} == {
        "status": "PARTIAL",
        "rows": 7,
        "created": 1,
        "updated": 1,
        "repeated": 1,
        "rejected": 4,
    }
    assert [error["line"] for error in status["errors"]] == [5, 6, 8, 9]
    assert "not an email address" in status["errors"][0]["message"]
    assert "not one of your restaurants" in status["errors"][1]["message"]
    assert emails(api) == {"ana@example.com": ("Ana", "Diaz"), "bea@example.com": ("Beatriz", "Lopez")}


async def test_a_file_without_the_header_fails_and_changes_nothing(
    api: Api, jobs: Any, restaurant: dict[str, Any]
) -> None:
    accepted = upload(api, f"{restaurant['id']},ana@example.com,Ana,Diaz\n".encode())
    await jobs.run_all()
    status = api.ok(accepted["status_url"])
    assert status["status"] == "FAILURE"
    assert status["errors"][0]["line"] == 1 and "header" in status["errors"][0]["message"]
    assert emails(api) == {}


def test_an_empty_file_is_refused_before_any_job(api: Api) -> None:
    answer = api.post("/crm/customers/files", files={"file": ("customers.csv", b"", "text/csv")})
    assert answer.status_code == 422, answer.text


async def test_a_file_of_several_batches_counts_every_row(api: Api, jobs: Any, restaurant: dict[str, Any]) -> None:
    rows = BATCH_ROWS * 2 + 7
    lines = "".join(f"{restaurant['id']},c{n}@example.com,C{n},\n" for n in range(rows))
    lines += f"{restaurant['id']},c0@example.com,Again,\n"  # in a later batch than its first row: it wins
    accepted = upload(api, (HEADER + lines).encode())
    await jobs.run_all()
    result = api.ok(accepted["status_url"])["result"]
    counts = tuple(result[key] for key in ("rows", "created", "updated", "repeated", "rejected"))
    assert counts == (rows + 1, rows, 0, 1, 0)
    assert api.ok("/crm/customers")["count"] == rows
    assert emails(api)["c0@example.com"] == ("Again", "")


@pytest.fixture
def runner(api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A database that knows client `bistro` (as the gateway's events would tell it)."""
    now = api.clock.now
    with session_scope(api.engine) as session:
        session.execute(
            insert(tenant).values(
                code="bistro", name="Bistro", services=["crm"], active=1, registered_at=now, updated_at=now
            )
        )
    monkeypatch.setenv("CRM_DATABASE_URL", database_url)
    return CliRunner()


def run(runner: CliRunner, *args: object) -> Any:
    result = runner.invoke(app, ["customers", "import", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_the_cli_imports_and_reports_bad_rows_with_their_line(
    api: Api, runner: CliRunner, restaurant: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + f"{restaurant['id']},ana@example.com,Ana,Diaz\n{restaurant['id']},bad,X,Y\n")
    result = run(runner, "bistro", path)
    assert result.exit_code == 1, result.output
    assert "line 3" in result.output and "not an email address" in result.output
    assert emails(api) == {"ana@example.com": ("Ana", "Diaz")}

    path.write_text(HEADER + f"{restaurant['id']},ana@example.com,Ana,Lopez\n")
    assert run(runner, "bistro", path).exit_code == 0
    assert emails(api) == {"ana@example.com": ("Ana", "Lopez")}


def test_the_cli_refuses_an_unknown_client_a_missing_file_and_an_unusable_one(
    api: Api, runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("email\nana@example.com\n")
    assert run(runner, "nobody", path).exit_code == 2
    assert run(runner, "bistro", tmp_path / "missing.csv").exit_code == 2
    unusable = run(runner, "bistro", path)
    assert unusable.exit_code == 2 and "header" in unusable.output
    assert emails(api) == {}
