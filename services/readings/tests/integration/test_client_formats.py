"""Client formats on SQLite and PostgreSQL: the use cases and the operator commands."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from quintet_shared.db import session_scope
from quintet_shared.errors import Problem
from readings.cli import app
from readings.client_formats import list_client_formats, resolve, set_client_format
from readings.formats import registry

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_built_in_clients_need_no_setting(engine) -> None:
    with Session(engine) as session:
        parser, zone = resolve(session, "carrots")
        assert (parser, zone.key) == (registry.get("carrots"), "Asia/Tokyo")
        parser, zone = resolve(session, "potatoes")
        assert (parser, zone.key) == (registry.get("potatoes"), "UTC")
        with pytest.raises(Problem) as raised:
            resolve(session, "beets")
    assert raised.value.status == 422
    assert "client 'beets' has no file format" in raised.value.detail


def test_set_a_client_and_override_a_built_in(engine) -> None:
    with session_scope(engine) as session:
        set_client_format(session, client="beets", format="carrots", timezone="Europe/London", now=NOW)
        set_client_format(session, client="potatoes", format="potatoes", timezone="Europe/Paris", now=NOW)
    with Session(engine) as session:
        parser, zone = resolve(session, "beets")
        assert (parser.name, zone.key) == ("carrots", "Europe/London")
        assert resolve(session, "potatoes")[1].key == "Europe/Paris"
        listed = [(s.client, s.format, s.timezone, s.built_in) for s in list_client_formats(session)]
    assert listed == [
        ("beets", "carrots", "Europe/London", False),
        ("carrots", "carrots", "Asia/Tokyo", True),
        ("potatoes", "potatoes", "Europe/Paris", False),
    ]


def test_setting_again_replaces(engine) -> None:
    with session_scope(engine) as session:
        set_client_format(session, client="beets", format="carrots", timezone="UTC", now=NOW)
    with session_scope(engine) as session:
        setting = set_client_format(session, client="beets", format="potatoes", timezone="Asia/Tokyo", now=NOW)
    assert (setting.format, setting.timezone, setting.updated_at) == ("potatoes", "Asia/Tokyo", NOW)


@pytest.mark.parametrize(
    ("client", "format", "timezone", "reason"),
    [
        ("beets", "turnips", "UTC", "unknown format 'turnips'"),
        ("beets", "carrots", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("beets", "carrots", "../../etc/passwd", "unknown time zone"),
        ("Beets!", "carrots", "UTC", "invalid client code"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(engine, client, format, timezone, reason) -> None:
    with pytest.raises(Problem) as raised, session_scope(engine) as session:
        set_client_format(session, client=client, format=format, timezone=timezone, now=NOW)
    assert raised.value.status == 422 and reason in raised.value.detail
    with Session(engine) as session:
        assert [s.client for s in list_client_formats(session)] == ["carrots", "potatoes"]


@pytest.fixture
def run(engine, database_url: str):
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env={"READINGS_DATABASE_URL": database_url, "COLUMNS": "200"})
        assert result.exit_code == code, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result.output

    return invoke


def test_cli_lists_formats(run) -> None:
    output = run("formats")
    assert "carrots" in output and "potatoes" in output and "JSON array of supply points" in output


def test_cli_sets_and_lists_clients(run) -> None:
    output = run("clients", "set", "beets", "--format", "carrots", "--timezone", "Europe/London")
    assert "beets" in output and "Europe/London" in output
    listing = run("clients", "list")
    assert "beets" in listing and "Asia/Tokyo" in listing and "built-in default" in listing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "turnips", "--timezone", "UTC"], "unknown format 'turnips' (known: carrots, potatoes)"),
        (["--format", "carrots", "--timezone", "Nowhere/Land"], "unknown time zone 'Nowhere/Land'"),
    ],
)
def test_cli_refuses_bad_input_with_exit_code_2(run, args, message) -> None:
    output = run("clients", "set", "beets", *args, code=2)
    assert message in output and "Traceback" not in output
    assert "beets" not in run("clients", "list")
