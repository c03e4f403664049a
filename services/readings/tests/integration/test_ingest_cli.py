"""`readings ingest` on the sample files and on bad input: exit codes, summary, never a traceback."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from quintet_shared.migrations import upgrade
from readings.cli import app
from readings.component import DEFINITION

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CARROTS = FIXTURES / "carrots" / "readings.txt"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    upgrade(DEFINITION.migrations, database_url)
    monkeypatch.setenv("READINGS_DATABASE_URL", database_url)
    return CliRunner()


def run(runner: CliRunner, *args: str):
    result = runner.invoke(app, ["ingest", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_a_sample_file_then_the_same_again(runner: CliRunner) -> None:
    first = run(runner, "carrots", CARROTS)
    assert first.exit_code == 0 and "53" in first.output
    again = run(runner, "carrots", CARROTS)
    assert again.exit_code == 0 and "same file ingested before" in again.output


def test_some_rows_rejected_exits_1_and_shows_the_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(CARROTS.read_text().replace("024|20231201|03|0.02", "024|20231201|03|zero"))
    result = run(runner, "carrots", bad)
    assert result.exit_code == 1 and "line 5" in result.output


def test_strict_rejection_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(CARROTS.read_text().replace("024|20231201|03|0.02", "024|20231201|03|zero"))
    result = run(runner, "carrots", bad, "--strict")
    assert result.exit_code == 2 and "nothing was stored" in result.output


@pytest.mark.parametrize(
    ("client", "content", "expected"),
    [
        ("carrots", None, "no such file"),
        ("nobody", "020|1", "has no file format"),
        ("carrots", "", "unusable"),
        ("carrots", "\x00\x01\x02binary", "unusable"),
        ("potatoes", "{not json", "unusable"),
    ],
)
def test_bad_input_exits_2(runner: CliRunner, tmp_path: Path, client: str, content: str | None, expected: str) -> None:
    path = tmp_path / "input"
    if content is not None:
        path.write_bytes(content.encode())
    result = run(runner, client, path)
    assert result.exit_code == 2 and expected in result.output
