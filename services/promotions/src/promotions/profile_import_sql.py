"""The set-based half of a profiles import: staged rows into profiles and their segment links.

Staging (temporary tables, quintet_shared.bulk): `profile_import_row` holds a chunk's rows, users
distinct within a chunk (the chunk builder keeps a user's last row), with the segment ids sorted, as
an integer array (PostgreSQL) or a JSON array (SQLite). Chunks land in file order, so a user
repeated in a later chunk is replaced again: the last row of a user wins, as a PUT per row would.
Email and location are replaced, `updated_at` set, `created_at` kept.

PostgreSQL, a chunk in a few statements whatever its size:
1. the chunk's users that have a profile, each found through the unique (client, user) index (a
   probe per row, so the cost follows the chunk, not the table), with whether its email or location
   and whether its segments differ from the row's, into `profile_import_chunk`;
2. one UPDATE of the profiles that differ in anything (a profile the row leaves as it is keeps its
   row version and its `updated_at`: a file imported again costs reads, not writes), one INSERT of
   the others.
   Twice as fast as one INSERT ... ON CONFLICT DO UPDATE, which puts each row into the unique index
   twice. A PUT of one of the chunk's users between 1 and 2 makes the insert fail on the unique
   index: the chunk goes again as that upsert, inside a savepoint. (A DELETE of one of them that
   commits in between makes its new links fail their foreign key: the import fails, nothing is
   changed, and a job is run again.)
3. the links of the profiles created (a plain insert) and of those whose segments differ (deleted
   and inserted again); the others' links are left alone.
SQLite, which holds the write lock for the whole landing, takes the same steps on the chunk's range
of lines in the staged file (the profiles it inserts are those above the highest id before).

Each chunk's profile ids also go to `profile_import_touched`, with whether this import created the
profile, to count the import's profiles at the end (count DISTINCT: a user of two chunks is one).
"""

from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from quintet_shared.bulk import create_temp_table, dialect
from quintet_shared.types import UTCDateTime

ROWS = "profile_import_row"
CHUNK = "profile_import_chunk"
TOUCHED = "profile_import_touched"
TABLES = (ROWS, CHUNK, TOUCHED)
UNIQUE_VIOLATION = "23505"
ROW_COLUMNS = 'line, "user", email, latitude, longitude, segments'
_TYPES = {
    "postgresql": (
        'line integer NOT NULL, "user" text NOT NULL, email text, latitude float8, longitude float8, '
        "segments integer[] NOT NULL",
        'id integer NOT NULL, "user" text NOT NULL, created boolean NOT NULL, changed boolean NOT NULL, '
        "relink boolean NOT NULL",
    ),
    "sqlite": (
        # line as the rowid: SQLite, which stages the whole file, finds a chunk by a range of it
        'line INTEGER PRIMARY KEY, "user" TEXT NOT NULL, email TEXT, latitude REAL, longitude REAL, '
        "segments TEXT NOT NULL",
        # line as the rowid here too: the insert looks a chunk's lines up in it
        "line INTEGER PRIMARY KEY, id INTEGER NOT NULL, created BOOLEAN NOT NULL, changed BOOLEAN NOT NULL, "
        "relink BOOLEAN NOT NULL",
    ),
}
_TOUCHED = "id integer NOT NULL, created boolean NOT NULL"  # no index: appended to, counted once

# LIMIT 1 keeps the lateral subquery a probe of the unique index per row: joined, PostgreSQL hashes
# the client's whole table instead once it is large.
_PG_EXISTING = """INSERT INTO profile_import_chunk (id, "user", created, changed, relink)
SELECT p.id, s."user", false,
    (p.email, p.latitude, p.longitude) IS DISTINCT FROM (s.email, s.latitude, s.longitude),
    ARRAY(SELECT ps.segment_id FROM profile_segment ps WHERE ps.profile_id = p.id ORDER BY ps.segment_id)
        <> s.segments
FROM profile_import_row s CROSS JOIN LATERAL (
    SELECT id, email, latitude, longitude FROM profile WHERE client = :client AND "user" = s."user" LIMIT 1
) p"""
_PG_UPDATE = """UPDATE profile p SET email = s.email, latitude = s.latitude, longitude = s.longitude, updated_at = :now
FROM profile_import_chunk c JOIN profile_import_row s ON s."user" = c."user"
WHERE (c.changed OR c.relink) AND p.id = c.id"""
_PG_INSERT = """WITH inserted AS (
    INSERT INTO profile (client, "user", email, latitude, longitude, created_at, updated_at)
    SELECT :client, s."user", s.email, s.latitude, s.longitude, :now, :now FROM profile_import_row s
    WHERE NOT EXISTS (SELECT FROM profile_import_chunk c WHERE c."user" = s."user")
    RETURNING id, "user"
) INSERT INTO profile_import_chunk (id, "user", created, changed, relink)
SELECT id, "user", true, true, true FROM inserted"""
# xmax = 0: the row version was inserted, not updated (PostgreSQL's way to tell them apart here).
_PG_UPSERT = """WITH upserted AS (
    INSERT INTO profile (client, "user", email, latitude, longitude, created_at, updated_at)
    SELECT :client, s."user", s.email, s.latitude, s.longitude, :now, :now FROM profile_import_row s
    ON CONFLICT (client, "user") DO UPDATE SET email = excluded.email, latitude = excluded.latitude,
        longitude = excluded.longitude, updated_at = excluded.updated_at
    RETURNING id, "user", xmax = 0 AS created
) INSERT INTO profile_import_chunk (id, "user", created, changed, relink)
SELECT id, "user", created, true, true FROM upserted"""
_PG_LINKS = [
    "INSERT INTO profile_import_touched (id, created) SELECT id, created FROM profile_import_chunk",
    """DELETE FROM profile_segment ps USING profile_import_chunk c
WHERE c.relink AND NOT c.created AND ps.profile_id = c.id""",
    """INSERT INTO profile_segment (profile_id, segment_id)
SELECT c.id, unnest(s.segments) FROM profile_import_chunk c JOIN profile_import_row s ON s."user" = c."user"
WHERE c.relink""",
]
# SQLite: the same steps on a range of lines of the staged file. Segments compare as JSON text, the
# staged lists written as json_group_array writes them (no spaces).
_SQLITE_EXISTING = """INSERT INTO profile_import_chunk (id, line, created, changed, relink)
SELECT p.id, s.line, 0,
    p.email IS NOT s.email OR p.latitude IS NOT s.latitude OR p.longitude IS NOT s.longitude,
    (SELECT json_group_array(segment_id) FROM (
        SELECT ps.segment_id FROM profile_segment ps WHERE ps.profile_id = p.id ORDER BY ps.segment_id
    )) <> s.segments
FROM profile_import_row s JOIN profile p ON p.client = :client AND p."user" = s."user"
WHERE s.line BETWEEN :first AND :last"""
_SQLITE_UPDATE = """UPDATE profile
SET email = s.email, latitude = s.latitude, longitude = s.longitude, updated_at = :now
FROM profile_import_chunk c JOIN profile_import_row s ON s.line = c.line
WHERE (c.changed OR c.relink) AND profile.id = c.id"""
_SQLITE_INSERT = """INSERT INTO profile (client, "user", email, latitude, longitude, created_at, updated_at)
SELECT :client, s."user", s.email, s.latitude, s.longitude, :now, :now FROM profile_import_row s
WHERE s.line BETWEEN :first AND :last AND NOT EXISTS (SELECT 1 FROM profile_import_chunk c WHERE c.line = s.line)"""
_SQLITE_INSERTED = """INSERT INTO profile_import_chunk (id, line, created, changed, relink)
SELECT p.id, s.line, 1, 1, 1 FROM profile_import_row s JOIN profile p ON p.client = :client AND p."user" = s."user"
WHERE s.line BETWEEN :first AND :last AND p.id > :floor"""
_SQLITE_LINKS = [
    "INSERT INTO profile_import_touched (id, created) SELECT id, created FROM profile_import_chunk",
    """DELETE FROM profile_segment
WHERE profile_id IN (SELECT id FROM profile_import_chunk WHERE relink AND NOT created)""",
    """INSERT INTO profile_segment (profile_id, segment_id)
SELECT c.id, j.value FROM profile_import_chunk c JOIN profile_import_row s ON s.line = c.line,
    json_each(s.segments) j
WHERE c.relink""",
]


def create_staging(session: Session) -> None:
    rows, chunk = _TYPES[dialect(session)]
    create_temp_table(session, ROWS, rows)
    create_temp_table(session, CHUNK, chunk)
    create_temp_table(session, TOUCHED, _TOUCHED)


def empty_rows(session: Session) -> None:
    """PostgreSQL stages and lands a chunk at a time: the last chunk's rows go first (TRUNCATE:
    deleted rows would stay behind in the table until commit)."""
    session.execute(text(f"TRUNCATE {ROWS}"))


def segments(session: Session, *, client: str, lock: bool) -> dict[str, int]:
    """The client's segments by name. With `lock` (PostgreSQL), held until commit (FOR SHARE): a
    segment the file names cannot be deleted or renamed while the import runs."""
    statement = "SELECT name, id FROM segment WHERE client = :client" + (" FOR SHARE" if lock else "")
    return {str(name): int(id) for name, id in session.execute(text(statement), {"client": client})}


def id_floor(session: Session) -> int:
    """The highest profile id now (SQLite, under the write lock: the profiles made after are ours)."""
    return int(session.execute(text("SELECT coalesce(max(id), 0) FROM profile")).scalar_one())


def tune(session: Session) -> None:
    """PostgreSQL, for this transaction: room for the chunk's joins in memory (4 MB sorts on disk),
    and no JIT compilation (its estimates of the unanalysed staging tables made it compile for a
    quarter of a second per statement)."""
    if dialect(session) == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))


def land_chunk(session: Session, *, client: str, now: Any, first: int, last: int) -> None:
    """Profiles and links of the staged rows of lines `first`..`last` (on PostgreSQL: all staged rows)."""
    params = {"client": client, "now": now, "first": first, "last": last}
    if dialect(session) != "postgresql":
        _run(session, f"DELETE FROM {CHUNK}", params)
        _run(session, _SQLITE_EXISTING, params)
        _run(session, _SQLITE_UPDATE, params)
        params["floor"] = id_floor(session)  # the profiles above it are the ones inserted next
        _run(session, _SQLITE_INSERT, params)
        _run(session, _SQLITE_INSERTED, params)
        for statement in _SQLITE_LINKS:
            _run(session, statement, params)
        return
    _run(session, f"TRUNCATE {CHUNK}", params)
    try:
        with session.begin_nested():
            _run(session, _PG_EXISTING, params)
            _run(session, _PG_UPDATE, params)
            _run(session, _PG_INSERT, params)
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        # A PUT created one of these users meanwhile: the chunk again, as one upsert (slower).
        _run(session, f"TRUNCATE {CHUNK}", params)
        _run(session, _PG_UPSERT, params)
    for statement in _PG_LINKS:
        _run(session, statement, params)


def touched(session: Session) -> tuple[int, int]:
    """(profiles written, of which created) by this import."""
    count, created = session.execute(
        text(f"SELECT count(DISTINCT id), count(DISTINCT CASE WHEN created THEN id END) FROM {TOUCHED}")
    ).one()
    return int(count), int(created)


def _run(session: Session, statement: str, params: dict[str, Any]) -> None:
    """Runs `statement` with the parameters it names."""
    query = text(statement)
    if ":now" in statement:
        query = query.bindparams(bindparam("now", type_=UTCDateTime))
    session.execute(query, {name: value for name, value in params.items() if f":{name}" in statement})
