"""`promotions profiles import` on a small file and on bad input, on both databases: exit codes, the
summary with line numbers, nothing changed when it says so, never a traceback."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlmodel import Session
from typer.testing import CliRunner

from promotions import segments
from promotions.cli import app
from promotions.component import DEFINITION
from promotions.models import Profile
from promotions.schemas import SegmentCreate
from quintet_shared.db import make_engine, session_scope
from quintet_shared.migrations import upgrade
from quintet_shared.tables import tenant

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HEADER = "user,email,latitude,longitude,segments\n"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A database that knows client `promos` (as the gateway's events would tell it) and its two segments."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        session.execute(
            insert(tenant).values(
                code="promos", name="Promos", services=["promotions"], active=1, registered_at=NOW, updated_at=NOW
            )
        )
        for name in ("New users", "Frequent buyers"):
            segments.create_segment(session, client="promos", data=SegmentCreate(name=name), now=NOW)
    engine.dispose()
    monkeypatch.setenv("PROMOTIONS_DATABASE_URL", database_url)
    return CliRunner()


def run(runner: CliRunner, *args: object):
    result = runner.invoke(app, ["profiles", "import", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def stored(database_url: str) -> dict[str, tuple[object, ...]]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.execute(select(Profile.user, Profile.email, Profile.latitude, Profile.longitude)).all()
    engine.dispose()
    return {user: (email, latitude, longitude) for user, email, latitude, longitude in rows}


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "profiles.csv"
    path.write_text(content)
    return path


def test_a_small_file_is_imported_then_replaced(runner: CliRunner, database_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "007,ana@example.com,0,0,New users\n0070,,,,Frequent buyers;New users\n")
    first = run(runner, "promos", path)
    assert first.exit_code == 0, first.output
    assert "IMPORTED" in first.output and "profiles created" in first.output
    assert stored(database_url) == {"007": ("ana@example.com", 0.0, 0.0), "0070": (None, None, None)}
    path.write_text(HEADER + "007,,1.5,-2.5,\n")
    again = run(runner, "promos", path)
    assert again.exit_code == 0 and "profiles replaced" in again.output
    assert stored(database_url)["007"] == (None, 1.5, -2.5)


def test_some_rows_rejected_exits_1_and_shows_their_lines(runner: CliRunner, database_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "ana,,1,1,New users\nbob,,91,1,\ncarol,,,,VIP\n")
    result = run(runner, "promos", path)
    assert result.exit_code == 1
    assert "PARTIAL" in result.output and "line 3" in result.output and "line 4" in result.output
    assert set(stored(database_url)) == {"ana"}


def test_strict_rejection_exits_2_and_changes_nothing(runner: CliRunner, database_url: str, tmp_path: Path) -> None:
    result = run(runner, "promos", write(tmp_path, HEADER + "ana,,1,1,\nbob,,91,1,\n"), "--strict")
    assert result.exit_code == 2 and "nothing was changed" in result.output
    assert stored(database_url) == {}


@pytest.mark.parametrize(
    ("client", "content", "expected"),
    [
        ("promos", None, "no such file"),
        ("nobody", HEADER, "knows no client 'nobody'"),
        ("promos", "", "file unusable"),
        ("promos", "ana,,1,1,\n", "line 1 must be the header"),
        ("promos", "\x00\x01\x02binary", "file unusable"),
    ],
)
def test_bad_input_exits_2(
    runner: CliRunner, database_url: str, tmp_path: Path, client: str, content: str | None, expected: str
) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_text(content)
    result = run(runner, client, path)
    assert result.exit_code == 2 and expected in result.output, result.output
    assert stored(database_url) == {}
