"""The operator commands against a real SQLite database."""

import re

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from gateway import registry
from gateway.cli import app
from quintet_shared.db import make_engine


@pytest.fixture
def run(tmp_path, monkeypatch):
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("GATEWAY_UPSTREAMS", "readings=http://127.0.0.1:8001,crm=http://127.0.0.1:8004")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output
        return result.output

    invoke.database_url = database_url
    return invoke


def find(database_url: str, app_id: str):
    engine = make_engine(database_url)
    with Session(engine) as session:
        client = registry.find_by_app_id_hash(session, registry.hash_app_id(app_id))
    engine.dispose()
    return client


def app_id_in(output: str) -> str:
    return re.search(r"\): (\S+)", output).group(1)


def test_add_list_rotate_disable(run):
    run("migrate")
    added = run("clients", "add", "potatoes", "--name", "Potatoes Ltd", "--services", "readings,crm")
    first = app_id_in(added)
    assert find(run.database_url, first).services == ["readings", "crm"]

    listing = run("clients", "list")
    assert "potatoes" in listing and "Potatoes Ltd" in listing and "readings,crm" in listing and first not in listing

    second = app_id_in(run("clients", "rotate", "potatoes"))
    assert find(run.database_url, first) is None and find(run.database_url, second).code == "potatoes"

    run("clients", "disable", "potatoes")
    assert find(run.database_url, second).active is False


def test_refusals_are_reported_not_raised(run):
    run("migrate")
    assert "Unknown services" in run("clients", "add", "x1", "--name", "X", "--services", "weather", code=1)
    run("clients", "add", "x1", "--name", "X", "--services", "crm")
    assert "already exists" in run("clients", "add", "x1", "--name", "X", "--services", "crm", code=1)
    assert "No client" in run("clients", "rotate", "nobody", code=1)
    run("clients", "add", "Bad Code", "--name", "X", "--services", "crm", code=2)
