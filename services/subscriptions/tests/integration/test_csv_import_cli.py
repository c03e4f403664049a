"""`subscriptions import <client> <kind> <file>` on both databases: the same use case as the upload's
job, its exit codes, the summary with line numbers, nothing changed when it says so, no traceback."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import insert, select
from sqlmodel import Session
from typer.testing import CliRunner

from quintet_shared.db import make_engine, session_scope
from quintet_shared.migrations import upgrade
from quintet_shared.tables import tenant
from subscriptions.cli import app
from subscriptions.component import DEFINITION
from subscriptions.models import ForecastPoint, Subscription

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A database that knows client `iska` (as the gateway's events would tell it)."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        session.execute(
            insert(tenant).values(
                code="iska", name="Iska", services=["subscriptions"], active=1, registered_at=NOW, updated_at=NOW
            )
        )
    engine.dispose()
    monkeypatch.setenv("SUBSCRIPTIONS_DATABASE_URL", database_url)
    return CliRunner()


def run(runner: CliRunner, *args: object) -> Result:
    result = runner.invoke(app, ["import", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def stored(database_url: str) -> tuple[dict[str, str | None], list[str]]:
    """Subscriptions (msisdn: the gid of their point) and forecast gids."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        gids = dict(session.execute(select(ForecastPoint.id, ForecastPoint.gid)).tuples().all())
        subs = session.execute(select(Subscription.msisdn, Subscription.forecast_id)).tuples().all()
    engine.dispose()
    return {msisdn: gids.get(point) for msisdn, point in subs}, sorted(gids.values())  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_forecasts_then_additions_with_a_bad_row(runner: CliRunner, database_url: str, tmp_path: Path) -> None:
    points = write(tmp_path, "points.csv", "gid,lat,lon,fcat24,fcat48\n001,-1.29,36.82,Sunny,Rain\n")
    result = run(runner, "iska", "forecasts", points)
    assert result.exit_code == 0, result.output
    assert "IMPORTED" in result.output and "created" in result.output
    additions = write(
        tmp_path,
        "additions.csv",
        "msisdn,ts,lat,lon,service_id\n254700000001,2026-03-02 09:00:00,-1.3,36.8,11\n"
        "1234,2026-03-02 09:00:00,0,0,11\n",
    )
    result = run(runner, "iska", "additions", additions)
    assert result.exit_code == 1, result.output
    assert "PARTIAL" in result.output and "line 3" in result.output and "msisdn '1234'" in result.output
    assert stored(database_url) == ({"254700000001": "001"}, ["001"])
    assert run(runner, "iska", "ADDITIONS", additions).exit_code == 1  # again: nothing more
    assert stored(database_url) == ({"254700000001": "001"}, ["001"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("iska", "forecasts", "missing.csv"), "no such file"),
        (("nobody", "forecasts", "points.csv"), "knows no client 'nobody'"),
        (("iska", "additions", "points.csv"), "file unusable, nothing was changed: line 1: the header lacks msisdn"),
        (("iska", "forecasts", "empty.csv"), "the file is empty"),
    ],
    ids=["missing", "unknown client", "wrong kind", "empty"],
)
def test_what_changes_nothing_exits_2_with_one_line(
    runner: CliRunner, database_url: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    write(tmp_path, "points.csv", "gid,lat,lon,fcat24,fcat48\n001,-1.29,36.82,Sunny,Rain\n")
    write(tmp_path, "empty.csv", "")
    result = run(runner, *args[:2], tmp_path / args[2])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()), result.output
    assert stored(database_url) == ({}, [])


def test_an_unknown_kind_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "iska", "renewals", write(tmp_path, "x.csv", "msisdn,ts\n"))
    assert result.exit_code == 2 and "renewals" in result.output
