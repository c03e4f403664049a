"""`import_profiles`: a profiles CSV (profile_csv.py) into profiles and segment links, in one transaction.

What a file means: each row creates or replaces one profile, like `PUT /promotions/profiles/{user}`
(email, location and segments are the row's; what it leaves empty is cleared); profiles the file does
not name are left alone. Rows apply in file order, so when a user appears twice the last good row
wins (counted in `repeated`). A bad row is reported with its line and changes nothing (the good
rows land), unless `strict`: then one bad row rejects the whole file and nothing changes. A file
that cannot be read at all (no header, not text, more than 100,000 bad rows) raises FileUnusable
and the caller rolls back: nothing changes either.

Speed: the parser runs in a thread of its own and hands over chunks of CHUNK_ROWS rows, formatted
for the database (quintet_shared.bulk). PostgreSQL copies each chunk into staging (COPY) and lands
it (profile_import_sql.py) while the next one is parsed. SQLite, which has one writer, stages the
whole file first (temporary tables take no lock on the main database) and holds the write lock only
for the landing, as readings' ingestion does. One client's imports take turns (an advisory lock on
PostgreSQL), and the segments the file may name are locked against deletion until commit.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO

from sqlmodel import Session

from promotions import profile_import_sql as sql
from promotions.profile_csv import ProfileCsv, ProfileRow
from quintet_shared.bulk import (
    COPY_NULL,
    ErrorLog,
    HashingSource,
    LineError,
    Progress,
    chunks_from_thread,
    copy_rows,
    copy_text,
    dialect,
    drop_temp_tables,
    lock_for_transaction,
)
from quintet_shared.write_lock import hold_write_lock

CHUNK_ROWS = 100_000
_NO_LOCATION = f"{COPY_NULL}\t{COPY_NULL}"
PARSER_THREAD = "promotions-profiles-parser"


class ImportStatus(StrEnum):
    IMPORTED = "IMPORTED"  # every row is in
    PARTIAL = "PARTIAL"  # the good rows are in, the bad ones are in `errors`
    REJECTED = "REJECTED"  # strict, and a row was bad: nothing changed


@dataclass(frozen=True)
class ImportResult:
    status: ImportStatus
    rows: int  # data rows read (not the header nor empty lines): created + replaced + repeated + rejected,
    # unless REJECTED (then nothing was created, replaced or repeated)
    created: int
    replaced: int
    repeated: int  # good rows of a user that a later row of the file replaced
    rejected: int
    errors: list[LineError]  # the first MAX_KEPT_ERRORS, by line
    sha256: str
    size_bytes: int

    def counts(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "rows": self.rows,
            "created": self.created,
            "replaced": self.replaced,
            "repeated": self.repeated,
            "rejected": self.rejected,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
        }


@dataclass
class Chunk:
    rows: Any  # COPY text (PostgreSQL) or a list of parameter tuples (SQLite)
    first: int  # its lines
    last: int


@dataclass
class _Counts:
    good: int = 0  # good rows
    repeated: int = 0  # of which, replaced by a later row of the same chunk


@dataclass
class ChunkBuilder:
    """Good rows into chunks of at most CHUNK_ROWS distinct users, each user's last row kept."""

    postgres: bool
    emit: Callable[[Chunk], None]
    counts: _Counts = field(default_factory=_Counts)
    rows: dict[str, Any] = field(default_factory=dict)
    first: int = 0
    last: int = 0
    _segments: dict[tuple[int, ...], str] = field(default_factory=dict)

    def add(self, row: ProfileRow) -> None:
        line, user, email, latitude, longitude, ids, written = row
        if len(self.rows) >= CHUNK_ROWS:
            self.cut()
        rows = self.rows
        if not rows:
            self.first = line
        self.last = line
        size = len(rows)
        if self.postgres:
            segments = self._segments.get(ids)
            if segments is None:
                segments = self._segments[ids] = "{" + ",".join(map(str, ids)) + "}"
            if written is None:
                written = _NO_LOCATION if latitude is None else f"{latitude!r}\t{longitude!r}"
            email = COPY_NULL if email is None else copy_text(email)
            rows[user] = f"{line}\t{copy_text(user)}\t{email}\t{written}\t{segments}\n"
        else:
            rows[user] = (line, user, email, latitude, longitude, json.dumps(ids, separators=(",", ":")))
        self.counts.good += 1
        if len(rows) == size:
            self.counts.repeated += 1

    def cut(self) -> None:
        if self.rows:
            rows = "".join(self.rows.values()) if self.postgres else list(self.rows.values())
            self.emit(Chunk(rows, self.first, self.last))
            self.rows = {}


def import_profiles(
    session: Session,
    *,
    client: str,
    stream: BinaryIO,
    now: datetime,
    strict: bool = False,
    size: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the CSV in `stream` for `client` (see the module's docstring). Does not commit: the
    caller's one commit makes it durable. Raises FileUnusable for a file that cannot be read."""
    source = HashingSource(stream, total=size, progress=progress)
    postgres = dialect(session) == "postgresql"
    if postgres:
        lock_for_transaction(session, f"promotions.profiles.import:{client}")
        names = sql.segments(session, client=client, lock=True)
    else:
        # Read apart from the session: SQLite's session must write before it reads (hold_write_lock).
        with Session(session.get_bind()) as reading:
            names = sql.segments(reading, client=client, lock=False)
    sql.tune(session)
    sql.create_staging(session)
    errors = ErrorLog()
    counts = _Counts()

    def produce(emit: Callable[[Chunk], None]) -> None:
        builder = ChunkBuilder(postgres, emit, counts)
        add = builder.add
        for item in ProfileCsv(names).rows(source.reader):
            if type(item) is tuple:
                add(item)
            else:
                errors.add(item.line, item.message)  # type: ignore[union-attr]
        builder.cut()

    def land(chunk: Chunk) -> None:
        sql.land_chunk(session, client=client, now=now, first=chunk.first, last=chunk.last)

    if postgres:
        landing = session.begin_nested()  # strict mode rolls back to here
        with chunks_from_thread(produce, name=PARSER_THREAD) as chunks:
            for chunk in chunks:
                sql.empty_rows(session)
                copy_rows(session, sql.ROWS, sql.ROW_COLUMNS, chunk.rows)
                land(chunk)
    else:
        staged: list[Chunk] = []
        with chunks_from_thread(produce, name=PARSER_THREAD) as chunks:
            for chunk in chunks:
                copy_rows(session, sql.ROWS, sql.ROW_COLUMNS, chunk.rows)
                staged.append(Chunk(None, chunk.first, chunk.last))
        source.sha256()  # the rest of the file is read now: no progress report waits on the lock
        hold_write_lock(session, "profile")
        landing = session.begin_nested()
        for chunk in staged:
            land(chunk)
    profiles, created = sql.touched(session)
    rejected = errors.count
    if strict and rejected:
        landing.rollback()
        status, profiles, created = ImportStatus.REJECTED, 0, 0
    else:
        landing.commit()
        status = ImportStatus.PARTIAL if rejected else ImportStatus.IMPORTED
    drop_temp_tables(session, sql.TABLES)
    return ImportResult(
        status=status,
        rows=counts.good + rejected,
        created=created,
        replaced=profiles - created,
        repeated=counts.good - profiles if status is not ImportStatus.REJECTED else 0,
        rejected=rejected,
        errors=errors.merged([]),
        sha256=source.sha256(),
        size_bytes=source.size,
    )
