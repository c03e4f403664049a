"""The issue's acceptance on the sample files and their malformed variants, with the real parsers,
on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from quintet_shared.clock import FakeClock
from readings.ingestion import FileStatus, IngestResult, ingest_file
from readings.ingestion.clients import client_parser
from readings.models import IngestedFile, Meter, Reading, SupplyPoint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
POTATOES = (FIXTURES / "potatoes" / "readings.json").read_bytes()
CARROTS = (FIXTURES / "carrots" / "readings.txt").read_bytes()
LINES = CARROTS.decode().split("\n")
pytestmark = pytest.mark.usefixtures("chunk_size")


def ingest(engine, client: str, content: bytes, *, strict: bool = False) -> IngestResult:
    with Session(engine) as session:
        parser, zone = client_parser(session, client)
        stream = BytesIO(content)
        result = ingest_file(
            session,
            client=client,
            name="f",
            stream=stream,
            parser=parser,
            timezone=zone,
            strict=strict,
            clock=FakeClock(),
        )
        session.commit()
    return result


def counts(engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(m)).one() for m in (SupplyPoint, Meter, Reading))


def times_of(engine, identifier: str, client: str = "carrots") -> list[datetime]:
    with Session(engine) as session:
        statement = (
            select(Reading.read_at)
            .join(SupplyPoint, col(SupplyPoint.id) == Reading.supply_point_id)
            .where(SupplyPoint.identifier == identifier, SupplyPoint.client == client)
            .order_by(col(Reading.read_at))
        )
        return list(session.exec(statement))


def test_the_originals_checks(engine) -> None:
    potatoes = ingest(engine, "potatoes", POTATOES)
    assert (potatoes.status, potatoes.supply_points, potatoes.new_readings) == (FileStatus.INGESTED, 1, 4)
    assert counts(engine)[0] == 1 and len(times_of(engine, "120000003100", "potatoes")) == 4
    carrots = ingest(engine, "carrots", CARROTS)
    assert (carrots.supply_points, carrots.new_readings, carrots.rejected) == (3, 53, 0)
    with Session(engine) as session:
        assert session.exec(select(func.count()).where(SupplyPoint.client == "carrots")).one() == 3
    assert len(times_of(engine, "0300111001601606083625")) == 3


def test_half_hours_are_30_minutes_apart_from_local_midnight(engine) -> None:
    ingest(engine, "carrots", CARROTS)
    times = times_of(engine, "0300111001601606068240")
    start = datetime(2023, 11, 30, 15, tzinfo=UTC)
    assert times == [start + timedelta(minutes=30 * n) for n in range(48)]


@pytest.mark.parametrize(("client", "content"), [("potatoes", POTATOES), ("carrots", CARROTS)])
def test_a_file_twice_changes_no_count(engine, client: str, content: bytes) -> None:
    first = ingest(engine, client, content)
    before = counts(engine)
    again = ingest(engine, client, content)
    assert counts(engine) == before
    assert (again.new_readings, again.duplicates, again.status) == (0, first.new_readings, FileStatus.INGESTED)
    assert again.earlier is not None and again.earlier.file_id == first.file_id


def test_the_same_identifier_for_two_clients_is_two_supply_points(engine) -> None:
    ingest(engine, "carrots", CARROTS)
    with Session(engine) as session:
        session.add(_format("potatoes2"))
        session.commit()
    ingest(engine, "potatoes2", CARROTS)
    assert counts(engine)[0] == 6 and len(times_of(engine, "0300111001601606083625", "potatoes2")) == 3


def _format(client: str):
    from readings.models import ClientFormat

    return ClientFormat(client=client, format="carrots", timezone="Asia/Tokyo", updated_at=datetime.now(UTC))


def replaced(line: int, new: str) -> bytes:
    return "\n".join([*LINES[: line - 1], new, *LINES[line:]]).encode()


MALFORMED = [
    # (what, content, the line reported, readings of the sample that must not be stored)
    ("a reading before its meter", "\n".join(["020|0300111001601606099999", "024|20231201|01|1.0"]).encode(), 2, 0),
    ("an unknown record type", replaced(3, "099|20231201|01|0.03"), 3, 52),
    ("a bad date", replaced(3, "024|20231301|01|0.03"), 3, 52),
    ("a bad time code", replaced(3, "024|20231201|49|0.03"), 3, 52),
    ("a non-numeric value", replaced(3, "024|20231201|01|abc"), 3, 52),
    ("a bad register time", replaced(53, "026|20231001250000|20131.0|S"), 53, 52),
    ("a reading of the wrong kind", replaced(53, "024|20231201|01|0.03"), 53, 52),
    ("a duplicate inside the file", replaced(4, "024|20231201|01|0.09"), 4, 52),
    ("an absurd line", replaced(3, "024|20231201|01|" + "9" * 100_000), 3, 52),
]


@pytest.mark.parametrize(("what", "content", "line", "stored"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_record_is_reported_and_not_stored(
    engine, what: str, content: bytes, line: int, stored: int
) -> None:
    result = ingest(engine, "carrots", content)
    assert result.status is FileStatus.PARTIAL and result.rejected >= 1
    assert line in [error.line for error in result.errors], result.errors
    assert counts(engine)[2] == stored == result.new_readings


def test_a_bad_meter_record_takes_its_readings_with_it(engine) -> None:
    result = ingest(engine, "carrots", replaced(52, "022|F75A-00804|ソニー|07"))
    assert 52 in [error.line for error in result.errors]
    assert times_of(engine, "0300111001601606083625") == [] and result.new_readings == 50


def test_strict_rejects_the_whole_file_and_a_corrected_file_adds_what_was_missing(engine) -> None:
    bad = replaced(3, "024|20231201|01|abc")
    strict = ingest(engine, "carrots", bad, strict=True)
    assert (strict.status, strict.new_readings, counts(engine)) == (FileStatus.REJECTED, 0, (0, 0, 0))
    partial = ingest(engine, "carrots", bad)
    corrected = ingest(engine, "carrots", CARROTS)
    assert (partial.new_readings, corrected.new_readings, corrected.duplicates) == (52, 1, 52)
    with Session(engine) as session:
        statuses = session.exec(select(IngestedFile.status).order_by(col(IngestedFile.id))).all()
    assert statuses == ["REJECTED", "PARTIAL", "INGESTED"]


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\x03", b"hello"])
def test_an_unusable_file_stores_nothing(engine, content: bytes) -> None:
    from readings.formats.base import FileUnusable

    with pytest.raises(FileUnusable):
        ingest(engine, "carrots", content)
    assert counts(engine) == (0, 0, 0)
