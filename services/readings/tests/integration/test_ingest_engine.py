"""The ingestion engine on both databases, with a tiny format of its own (one reading per line:
`identifier,serial,kind,read_at,value`), so that the engine's rules are tested apart from the
client formats' parsers."""

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from quintet_shared.clock import FakeClock
from quintet_shared.tables import outbox_message
from readings.formats.base import FileUnusable, Parsed, ParsedReading, RowError
from readings.ingestion import FileStatus, ingest_file
from readings.models import IngestedFile, Meter, MeterKind, Reading, SupplyPoint

UTC_ZONE = ZoneInfo("UTC")
pytestmark = pytest.mark.usefixtures("chunk_size")


class LineParser:
    name = "lines"
    description = "identifier,serial,kind,read_at,value per line (tests only)"

    def parse(self, stream: BinaryIO, *, timezone: ZoneInfo) -> Iterator[Parsed]:
        for number, raw in enumerate(stream, start=1):
            if raw.startswith(b"\x00"):
                raise FileUnusable("binary")
            fields = raw.decode().rstrip("\n").split(",")
            if len(fields) != 5:
                yield RowError(number, "expected 5 fields")
                continue
            identifier, serial, kind, read_at, value = fields
            yield ParsedReading(
                line=number,
                identifier=identifier,
                read_at=datetime.fromisoformat(read_at).astimezone(UTC),
                value=value,
                meter_serial=serial or None,
                manufacturer="ACME" if serial else None,
                meter_kind=MeterKind(kind) if kind else None,
                interval_minutes=30 if kind == "interval" else None,
            )


def ingest(engine, content: str, *, client: str = "acme", strict: bool = False):
    with Session(engine) as session:
        result = ingest_file(
            session,
            client=client,
            name="f.txt",
            stream=io.BytesIO(content.encode()),
            parser=LineParser(),
            timezone=UTC_ZONE,
            strict=strict,
            clock=FakeClock(),
        )
        session.commit()
    return result


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


FILE = "\n".join(
    [
        "sp1,m1,interval,2023-12-01T00:00:00+00:00,1.5",
        "sp1,m1,interval,2023-12-01T00:30:00+00:00,2",
        "sp1,m2,accumulation,2023-12-01T00:00:00+00:00,100.1234",
        "sp2,,,2023-12-01T00:00:00+00:00,7",
    ]
)


def test_a_file_lands_and_again_adds_nothing(engine) -> None:
    first = ingest(engine, FILE)
    assert (first.status, first.new_readings, first.duplicates, first.rejected) == (FileStatus.INGESTED, 4, 0, 0)
    assert (count(engine, SupplyPoint), count(engine, Meter), count(engine, Reading)) == (2, 2, 4)
    again = ingest(engine, FILE)
    assert (again.new_readings, again.duplicates, again.rejected) == (0, 4, 0)
    assert again.earlier is not None and again.earlier.file_id == first.file_id
    assert (count(engine, SupplyPoint), count(engine, Meter), count(engine, Reading)) == (2, 2, 4)
    with Session(engine) as session:
        reading = session.exec(select(Reading).where(Reading.value == 100.1234)).one()
        assert reading.read_at == datetime(2023, 12, 1, tzinfo=UTC) and reading.file_id == first.file_id
        assert count(engine, IngestedFile) == 2
        assert session.exec(select(func.count()).select_from(outbox_message)).one() == 2


def test_duplicates_inside_the_file_keep_the_first(engine) -> None:
    result = ingest(engine, FILE + "\n" + "sp1,m1,interval,2023-12-01T00:30:00+00:00,9")
    assert result.status is FileStatus.PARTIAL
    assert [(e.line, e.message) for e in result.errors] == [(5, "duplicate of line 2")]
    with Session(engine) as session:
        values = session.exec(select(Reading.value).where(Reading.time_code.is_(None))).all()  # type: ignore[union-attr]
    assert len(values) == 4 and 9 not in values


def test_wrong_kind_for_a_stored_meter_is_a_row_error(engine) -> None:
    ingest(engine, FILE)
    result = ingest(engine, "sp1,m1,accumulation,2023-12-02T00:00:00+00:00,5\nsp3,,,2023-12-01T00:00:00+00:00,1")
    assert result.rejected == 1 and result.new_readings == 1
    assert result.errors[0].line == 1 and "kind interval" in result.errors[0].message
    assert count(engine, Reading) == 5


def test_strict_rejects_everything_but_records_the_file(engine) -> None:
    result = ingest(engine, FILE + "\nbroken", strict=True)
    assert (result.status, result.new_readings, result.rejected) == (FileStatus.REJECTED, 0, 1)
    assert (result.errors[0].line, count(engine, Reading), count(engine, SupplyPoint)) == (5, 0, 0)
    with Session(engine) as session:
        assert session.exec(select(IngestedFile.status)).one() == "REJECTED"


def test_a_corrected_file_adds_only_what_was_missing(engine) -> None:
    ingest(engine, FILE.replace(",1.5", ",1.5.5"))
    assert count(engine, Reading) == 3
    result = ingest(engine, FILE)
    assert (result.new_readings, result.duplicates) == (1, 3)


def test_an_unusable_file_leaves_nothing(engine) -> None:
    with pytest.raises(FileUnusable):
        ingest(engine, FILE + "\n\x00binary")
    assert (count(engine, Reading), count(engine, IngestedFile), count(engine, SupplyPoint)) == (0, 0, 0)


def test_supply_points_are_per_client(engine) -> None:
    ingest(engine, FILE, client="a")
    result = ingest(engine, FILE, client="b")
    assert result.new_readings == 4
    assert (count(engine, SupplyPoint), count(engine, Reading)) == (4, 8)


def test_a_meter_that_comes_back_is_held_to_its_first_kind(engine) -> None:
    result = ingest(
        engine,
        "\n".join(
            [
                "sp1,m1,interval,2023-12-01T00:00:00+00:00,1",
                "sp1,m2,accumulation,2023-12-01T00:00:00+00:00,2",
                "sp1,m1,accumulation,2023-12-02T00:00:00+00:00,3",
                "sp1,m1,interval,2023-12-03T00:00:00+00:00,4",
            ]
        ),
    )
    message = "a reading of kind accumulation for meter m1, which is of kind interval"
    assert [(e.line, e.message) for e in result.errors] == [(3, message)]
    assert (result.new_readings, count(engine, Meter), count(engine, Reading)) == (3, 2, 3)
