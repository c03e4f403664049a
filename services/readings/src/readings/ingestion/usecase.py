"""`ingest_file`: one client file into supply points, meters and readings, in one transaction.

PostgreSQL lands each chunk while the next is parsed: its row locks keep no one else waiting.
SQLite has a single writer per database, and a transaction holds the write lock from its first
write to its commit: landing chunk by chunk held it for the whole run (16 s for a million carrots
readings), and every other writer (another client's upload, job status, the outbox relay, the
schedules) waited and failed with "database is locked". So SQLite stages the whole file in
temporary tables (a database of their own: no lock on the main one) and writes into the main
database only at the end. Measured on a two-core machine, a million readings: carrots 19.5 s in all
with the write lock held 4.6 s; potatoes 28.2 s, 4.2 s; about a second of lock per 200,000
readings, which the 5 s busy timeout of quintet_shared.db is chosen to outlast.
"""

from collections.abc import Callable
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from quintet_shared.bulk import (
    ErrorLog,
    HashingSource,
    LineError,
    Progress,
    chunks_from_thread,
    dialect,
    lock_for_transaction,
)
from quintet_shared.clock import Clock, system_clock
from quintet_shared.envelope import Envelope
from quintet_shared.outbox import add_event
from readings.events import FILE_INGESTED, FileIngested
from readings.formats.base import Parser
from readings.ingestion import resolve
from readings.ingestion.chunks import ChunkBuilder
from readings.ingestion.result import EarlierIngestion, FileStatus, IngestResult
from readings.ingestion.stager import stage
from readings.ingestion.staging import Chunk, create_staging, drop_staging, formatter_for, load
from readings.models import IngestedFile

PARSER_THREAD = "readings-ingest-parser"


def ingest_file(
    session: Session,
    *,
    client: str,
    name: str,
    stream: BinaryIO,
    parser: Parser,
    timezone: ZoneInfo,
    strict: bool = False,
    clock: Clock = system_clock,
    size: int | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Valid rows land and bad rows are reported with their line; with `strict`, one bad row
    rejects the whole file (it is still recorded, REJECTED, so the client sees why). A reading
    already stored is a duplicate, never a second row, so ingesting a file again adds nothing.

    Raises FileUnusable (from the parser) for a file that is not the format at all: the caller
    rolls back and nothing is recorded. Does not commit: the caller's one commit makes the rows,
    the `ingested_file` record and the `readings.file.ingested` event durable together.
    """
    source = HashingSource(stream, total=size, progress=progress)
    parse_errors = ErrorLog()
    create_staging(session)
    formatter = formatter_for(session)
    staged: list[int] = []

    def produce(emit: Callable[[Chunk], None]) -> None:
        builder = ChunkBuilder(formatter, emit)
        staged.append(stage(parser.parse(source.reader, timezone=timezone), builder, parse_errors))
        builder.cut()

    def new_record() -> IngestedFile:
        return _new_record(session, client=client, name=name, parser=parser, strict=strict, clock=clock)

    if dialect(session) == "postgresql":
        record = new_record()
        lock_for_transaction(session, f"readings.ingest:{client}")  # one client's ingestions take turns
        landing = session.begin_nested()  # strict mode rolls back to here
        new = _land_chunks(session, record, produce)
    else:
        _stage_whole_file(session, produce)
        source.sha256()  # the rest of the file is read now: no progress report waits on the lock
        record = new_record()  # the first write into the main database: its write lock until commit
        landing = session.begin_nested()
        new = _land_staged(session, record)
    resolve.find_repeats(session)
    bad = resolve.rejected(session)
    errors = parse_errors.merged(resolve.first_errors(session, parse_errors.limit))
    rejected, supply_points = parse_errors.count + bad, resolve.supply_points(session)
    # The savepoint ends before the record changes: rolling it back expires what changed inside it.
    if strict and rejected:
        landing.rollback()
        status, new, duplicates = FileStatus.REJECTED, 0, 0
    else:
        landing.commit()
        status, duplicates = FileStatus.PARTIAL if rejected else FileStatus.INGESTED, staged[0] - bad - new
    record.status, record.rejected, record.supply_points = status.value, rejected, supply_points
    record.new_readings, record.duplicates = new, duplicates
    drop_staging(session)
    record.sha256, record.size_bytes = source.sha256(), source.size
    session.add(record)
    result = _result(session, record, errors)
    add_event(session, _event(result, clock))
    return result


def _new_record(
    session: Session, *, client: str, name: str, parser: Parser, strict: bool, clock: Clock
) -> IngestedFile:
    """The file's record, first: every reading refers to its id. Counts and hash come at the end."""
    record = IngestedFile(
        client=client,
        name=name[:255],
        sha256="",
        format=parser.name,
        size_bytes=0,
        strict=strict,
        status=FileStatus.INGESTED.value,
        created_at=clock(),
    )
    session.add(record)
    session.flush()
    return record


def _land_chunks(session: Session, record: IngestedFile, produce: Callable[[Callable[[Chunk], None]], None]) -> int:
    """PostgreSQL: land each chunk the parser thread produces as it comes, while the next one is
    parsed (its row locks hinder no one else's writes); returns how many readings are new."""
    assert record.id is not None
    floor = resolve.point_floor(session)  # after the client lock: the supply points made from here are ours
    new, kinds = 0, resolve.GroupKinds()
    with chunks_from_thread(produce, name=PARSER_THREAD) as chunks:
        for chunk in chunks:
            position = load(session, chunk)
            new += resolve.land_chunk(
                session,
                client=record.client,
                file_id=record.id,
                now=record.created_at,
                floor=floor,
                position=position,
                first_grp=chunk.first_grp,
                kinds=kinds,
            )
    return new


def _stage_whole_file(session: Session, produce: Callable[[Callable[[Chunk], None]], None]) -> None:
    """SQLite: the whole file into staging first. Its temporary tables live in a database of their
    own, so parsing and staging take no lock on the main one: other writers (uploads, jobs, the
    relay) go on meanwhile, and the main database's write lock is held only by the landing. Nothing
    of the main database is read here either: a snapshot taken before that lock would be stale by
    the time of the first write, and SQLite refuses such a write at once instead of waiting."""
    with chunks_from_thread(produce, name=PARSER_THREAD) as chunks:
        for chunk in chunks:
            load(session, chunk, keep_earlier_groups=True)


def _land_staged(session: Session, record: IngestedFile) -> int:
    """SQLite: land the whole staged file at once, as one chunk; returns how many readings are new."""
    assert record.id is not None
    floor = resolve.point_floor(session)
    return resolve.land_chunk(
        session,
        client=record.client,
        file_id=record.id,
        now=record.created_at,
        floor=floor,
        position={"after_seq": 0},
        first_grp=0,
        kinds=resolve.GroupKinds(),
    )


def _result(session: Session, record: IngestedFile, errors: list[LineError]) -> IngestResult:
    assert record.id is not None
    return IngestResult(
        file_id=record.id,
        client=record.client,
        name=record.name,
        status=FileStatus(record.status),
        sha256=record.sha256,
        size_bytes=record.size_bytes,
        supply_points=record.supply_points,
        new_readings=record.new_readings,
        duplicates=record.duplicates,
        rejected=record.rejected,
        errors=errors,
        earlier=_earlier(session, record),
    )


def _earlier(session: Session, record: IngestedFile) -> EarlierIngestion | None:
    """The first ingestion that took these same bytes for this client, if any."""
    statement = (
        select(IngestedFile)
        .where(IngestedFile.client == record.client, IngestedFile.sha256 == record.sha256)
        .where(col(IngestedFile.id) != record.id, IngestedFile.status != FileStatus.REJECTED.value)
        .order_by(col(IngestedFile.id))
        .limit(1)
    )
    earlier = session.exec(statement).first()
    if earlier is None or earlier.id is None:
        return None
    return EarlierIngestion(file_id=earlier.id, created_at=earlier.created_at)


def _event(result: IngestResult, clock: Clock) -> Envelope:
    payload = FileIngested(
        client=result.client,
        file_id=result.file_id,
        name=result.name,
        sha256=result.sha256,
        status=result.status.value,
        supply_points=result.supply_points,
        new_readings=result.new_readings,
        duplicates=result.duplicates,
        rejected=result.rejected,
    )
    return Envelope.new(type=FILE_INGESTED, source="readings", client=result.client, data=payload, time=clock())
