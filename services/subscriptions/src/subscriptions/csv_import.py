"""`import_csv`: a forecasts or subscribers CSV into the client's forecast points or subscriptions.

What a file means (csv_landing.py for each kind): forecast rows create or change points by gid;
additions subscribe (a cancelled msisdn added later than its cancellation starts a new period);
cancellations cancel; updates move subscribers. Each row is applied as of its own `ts`, so a file
sent twice, or late, changes nothing more; within a file the latest row of an msisdn wins (the last
row of a gid), the others are counted in `repeated`.

How (streaming, in batches, nothing half-written for a file that cannot be read):
1. Staging. The parser (csv_reader.py) runs in a thread of its own and hands over chunks of
   CHUNK_ROWS rows, one per gid or msisdn, formatted for the database (additions and updates with
   their nearest forecast point: nearest.PointIndex over the client's points, a chunk per query);
   each is copied into a temporary table (COPY on PostgreSQL) while the next one is parsed. The
   whole file is staged before anything lands: a file that fails as a whole (no header, a missing
   column, binary, a line past the limit, too many bad rows) raises FileUnusable here and changes
   nothing. The file is never in memory, nor in one transaction with the landing.
2. Landing, a chunk per transaction, in file order (csv_landing.py): the database is never held by
   one long transaction (SQLite's single writer lets the API in between chunks), and each chunk
   changes only what its rows change, so a job that dies midway and runs again finishes the file.
3. Forecasts only: when points were added or moved, every subscriber of the client is relinked to
   its nearest point (forecasts.relink; subscribers kept without a point are linked now).
The import holds one connection from start to end (the staging tables are that connection's) and a
per-client lock, so that one client's files land one at a time (PostgreSQL; SQLite has one writer).

Progress is reported as bytes of twice the file's size: the first half reading and staging it, the
second landing it.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.bulk import (
    ErrorLog,
    HashingSource,
    LineError,
    Progress,
    chunks_from_thread,
    copy_rows,
    create_temp_table,
    dialect,
    drop_temp_tables,
    lock_across_transactions,
)
from quintet_shared.write_lock import hold_write_lock
from subscriptions import csv_landing, forecasts
from subscriptions.client_settings import get_settings, local_date
from subscriptions.csv_chunks import Chunk, ChunkBuilder
from subscriptions.csv_format import Kind
from subscriptions.csv_reader import CsvReader
from subscriptions.csv_values import LocalTimes
from subscriptions.nearest import PointIndex

CHUNK_ROWS = 50_000
PARSER_THREAD = "subscriptions-csv-parser"
_LOCKED_TABLE = {Kind.FORECASTS: "forecast_point"}  # the table whose write takes SQLite's lock


@dataclass
class ImportResult:
    kind: Kind
    rows: int  # data rows read (not the header nor empty lines)
    rejected: int
    repeated: int  # good rows that a later row of the same gid or msisdn replaced
    changes: dict[str, int]  # what changed, by name (the kind's counts)
    errors: list[LineError]  # the first MAX_KEPT_ERRORS, by line
    sha256: str
    size_bytes: int
    status: str = field(init=False)

    def __post_init__(self) -> None:
        self.status = "PARTIAL" if self.rejected else "IMPORTED"

    def counts(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "kind": self.kind.value,
            "rows": self.rows,
            "rejected": self.rejected,
            "repeated": self.repeated,
            **self.changes,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
        }


def import_csv(
    engine: Engine,
    *,
    client: str,
    kind: Kind,
    stream: BinaryIO,
    now: datetime,
    size: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the CSV in `stream` (see the module's docstring); commits as it lands. Raises
    FileUnusable, having changed nothing, for a file that cannot be read."""
    report = _halves(progress)
    source = HashingSource(stream, total=size, progress=report.first)
    errors = ErrorLog()
    with (
        engine.connect() as connection,
        Session(bind=connection) as session,
        lock_across_transactions(session, f"subscriptions.csv:{client}"),
    ):
        settings = get_settings(session, client=client, now=now)
        reader = CsvReader(kind, LocalTimes(ZoneInfo(settings.timezone)), local_date(settings, now).isoformat())
        session.commit()
        try:
            staged, builder = _stage(session, kind, client, reader, source, errors)
            session.commit()
            changes, rejected = _land(session, kind, client, now, staged, report.second)
        finally:
            session.rollback()
            drop_temp_tables(session, [csv_landing.STAGING[kind]], kept=True)
            session.commit()
    return ImportResult(
        kind=kind,
        rows=builder.good + errors.count,
        rejected=errors.count + rejected.count,
        repeated=builder.repeated,
        changes=changes,
        errors=errors.merged(rejected.kept),
        sha256=source.sha256(),
        size_bytes=source.size,
    )


def _stage(
    session: Session, kind: Kind, client: str, reader: CsvReader, source: HashingSource, errors: ErrorLog
) -> tuple[list[Chunk], ChunkBuilder]:
    """The whole file into the staging table; FileUnusable before anything lands."""
    table = csv_landing.STAGING[kind]
    create_temp_table(session, table, csv_landing.staging_columns(session, kind), kept=True)
    points = PointIndex.load(session, client=client) if kind in (Kind.ADDITIONS, Kind.UPDATES) else None
    builder = ChunkBuilder(kind, dialect(session) == "postgresql", points, lambda chunk: None, CHUNK_ROWS)

    def produce(emit: Callable[[Chunk], None]) -> None:
        builder.emit = emit
        add = builder.add
        for item in reader.rows(source.reader):
            if type(item) is tuple:
                add(item)
            else:
                errors.add(item.line, item.message)  # type: ignore[union-attr]
        builder.cut()

    staged: list[Chunk] = []
    with chunks_from_thread(produce, name=PARSER_THREAD) as chunks:
        for chunk in chunks:
            copy_rows(session, table, csv_landing.COLUMNS[kind], chunk.rows)
            staged.append(Chunk(None, chunk.first, chunk.last, chunk.size))
    source.sha256()  # read (and hash) whatever follows the last line the parser needed
    csv_landing.after_staging(session, kind)
    return staged, builder


def _land(
    session: Session,
    kind: Kind,
    client: str,
    now: datetime,
    staged: list[Chunk],
    report: Callable[[int, int], None],
) -> tuple[dict[str, int], ErrorLog]:
    """Each chunk in its own transaction; what changed, and the rows the landing rejected (unknown
    msisdns: never past a cap, which would leave the file half landed)."""
    totals = dict.fromkeys(csv_landing.CHANGES[kind], 0)
    rejected = ErrorLog(cap=sys.maxsize)
    for number, chunk in enumerate(staged, 1):
        hold_write_lock(session, _LOCKED_TABLE.get(kind, "subscription"))
        params = {"client": client, "now": now, "first": chunk.first, "last": chunk.last}
        changed, row_errors = csv_landing.land(session, kind, params)
        session.commit()
        for line, message in row_errors:
            rejected.add(line, message)
        for name, count in changed.items():
            totals[name] += count
        report(number, len(staged))
    moved = totals.pop("moved", 0)
    totals["unchanged"] = sum(chunk.size for chunk in staged) - sum(totals.values()) - rejected.count
    if kind is Kind.FORECASTS:
        totals["relinked"] = 0
        if totals["created"] or moved:
            hold_write_lock(session, "subscription")
            totals["relinked"] = forecasts.relink(session, client=client)
            session.commit()
    return totals, rejected


@dataclass
class _Halves:
    first: Progress | None
    second: Callable[[int, int], None]


def _halves(progress: Progress | None) -> _Halves:
    """Reading and staging report the first half of twice the file's size, landing the second."""
    if progress is None:
        return _Halves(None, lambda done, total: None)
    size: list[int | None] = [None]

    def first(done: int, total: int | None) -> None:
        size[0] = total
        progress(done, 2 * total if total is not None else None)

    def second(done: int, total: int) -> None:
        whole = size[0]
        if whole is not None:
            progress(whole + whole * done // max(total, 1), 2 * whole)

    return _Halves(first, second)
