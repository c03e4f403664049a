"""The set-based half of ingestion: staged groups and rows become supply points, meters and readings.

The same statements run on SQLite and PostgreSQL. Most of the work is on the groups (one per run of
readings, see stager.py), a small table; the rows are touched by one insert, and by the checks only
when a group calls for it. First the rows that cannot land are set aside (a reading of the wrong
kind for its meter, a duplicate across runs) while nothing is written, so that strict mode can still
refuse the whole file; then the missing manufacturers, supply points and meters are added and the
readings inserted.

Readings of a supply point that this file creates cannot be stored already: they go in with a plain
insert. Only groups of supply points that existed before pay for the unique-key conflict check,
which costs PostgreSQL about as much as the insert itself. That reasoning holds because one client's
ingestions take turns (`lock_client`): no one else can add readings to those supply points meanwhile.
"""

import zlib

from sqlalchemy import bindparam, text
from sqlmodel import Session

from quintet_shared.types import UTCDateTime
from readings.ingestion.result import LineError
from readings.ingestion.staging import GROUPS, ROWS, create_temp_table, dialect

ERRORS = "ingest_error"
SPLIT = "ingest_split_row"
_LOCK_SPACE = "readings.ingest:"
_LOCK_CLASS = 0x5245  # the first of the two advisory lock keys: readings' ingestion locks

# The kind each meter has: the stored meter's, else the kind it first appears with in the file.
_EXPECTED_KIND = f"""
UPDATE {GROUPS} SET expected = coalesce(
  (SELECT m.kind FROM meter m JOIN supply_point sp ON sp.id = m.supply_point_id
    WHERE sp.client = :client AND sp.identifier = {GROUPS}.identifier AND m.serial = {GROUPS}.serial),
  (SELECT f.kind FROM {GROUPS} f WHERE f.identifier = {GROUPS}.identifier AND f.serial = {GROUPS}.serial
    ORDER BY f.first_seq LIMIT 1))
WHERE serial IS NOT NULL"""
_WRONG_KIND = f"""
INSERT INTO {ERRORS} (seq, line, message)
SELECT s.seq, s.line, 'a reading of kind ' || g.kind || ' for meter ' || g.serial || ', which is of kind ' || g.expected
FROM {ROWS} s JOIN {GROUPS} g ON g.grp = s.grp
WHERE g.kind <> g.expected"""
# The rows of supply points and meters that come in more than one run: only they can repeat a
# time across runs (inside a run, stager.py has already found the repeats).
_SPLIT_ROWS = f"""
INSERT INTO {SPLIT} (seq, line, identifier, serial_key, read_at)
SELECT s.seq, s.line, g.identifier, coalesce(g.serial, ''), s.read_at
FROM {ROWS} s JOIN {GROUPS} g ON g.grp = s.grp
JOIN (SELECT identifier, coalesce(serial, '') AS serial_key FROM {GROUPS}
      GROUP BY identifier, coalesce(serial, '') HAVING count(*) > 1) k
  ON k.identifier = g.identifier AND k.serial_key = coalesce(g.serial, '')"""
_DUPLICATES = f"""
INSERT INTO {ERRORS} (seq, line, message)
SELECT s.seq, s.line, 'duplicate of line ' || d.first_line
FROM {SPLIT} s JOIN (
  SELECT identifier, serial_key, read_at, min(seq) AS first_seq, min(line) AS first_line
  FROM {SPLIT} GROUP BY identifier, serial_key, read_at HAVING count(*) > 1
) d ON d.identifier = s.identifier AND d.serial_key = s.serial_key AND d.read_at = s.read_at
WHERE s.seq > d.first_seq"""
_MANUFACTURERS = f"""
INSERT INTO manufacturer (name) SELECT DISTINCT manufacturer FROM {GROUPS}
WHERE manufacturer IS NOT NULL ON CONFLICT DO NOTHING"""
_STORED_POINTS = f"""
UPDATE {GROUPS} SET supply_point_id =
  (SELECT sp.id FROM supply_point sp WHERE sp.client = :client AND sp.identifier = {GROUPS}.identifier)"""
_SUPPLY_POINTS = f"""
INSERT INTO supply_point (client, identifier, created_at)
SELECT :client, identifier, :now FROM {GROUPS} WHERE supply_point_id IS NULL
GROUP BY identifier ORDER BY min(first_seq)"""
_NEW_POINTS = f"""
UPDATE {GROUPS} SET supply_point_id =
  (SELECT sp.id FROM supply_point sp WHERE sp.client = :client AND sp.identifier = {GROUPS}.identifier)
WHERE fresh"""
# A meter's manufacturer is the one named where the meter first appears in the file.
_METERS = f"""
INSERT INTO meter (supply_point_id, serial, manufacturer_id, kind, active)
SELECT g.supply_point_id, g.serial, mf.id, g.kind, true FROM {GROUPS} g
LEFT JOIN manufacturer mf ON mf.name = g.manufacturer
WHERE g.serial IS NOT NULL ORDER BY g.first_seq ON CONFLICT DO NOTHING"""
_METER_IDS = f"""
UPDATE {GROUPS} SET meter_id = (SELECT m.id FROM meter m
  WHERE m.supply_point_id = {GROUPS}.supply_point_id AND m.serial = {GROUPS}.serial)
WHERE serial IS NOT NULL"""
_INSERT_READINGS = f"""
INSERT INTO reading (supply_point_id, meter_id, read_at, value, unit, interval_minutes, time_code, method,
  estimated, deleted, file_id)
SELECT g.supply_point_id, g.meter_id, s.read_at, s.value, 'kWh', s.interval_minutes, s.time_code, s.method,
  false, false, :file_id
FROM {ROWS} s JOIN {GROUPS} g ON g.grp = s.grp"""
# In file order, runs are already in key order: no sort, and the index is filled run by run.
_NEW_READINGS = _INSERT_READINGS + " WHERE g.fresh"
# Ordered by the unique key, so that the index pages are visited in order rather than at random.
_MORE_READINGS = (
    _INSERT_READINGS
    + " WHERE NOT g.fresh ORDER BY g.supply_point_id, g.meter_id, s.read_at "
    + ("ON CONFLICT DO NOTHING")
)


def lock_client(session: Session, client: str) -> None:
    """One client's ingestions take turns until commit (PostgreSQL; SQLite has a single writer)."""
    if dialect(session) == "postgresql":
        key = zlib.crc32((_LOCK_SPACE + client).encode()) - (1 << 31)  # a signed 32-bit key
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": _LOCK_CLASS, "key": key})


def prepare(session: Session) -> int:
    """Analyze the loaded staging tables; returns how many supply points the file names."""
    if dialect(session) == "postgresql":
        session.execute(text(f"ANALYZE {ROWS}"))  # the planner knows nothing of fresh temp tables
        session.execute(text(f"ANALYZE {GROUPS}"))
    session.execute(text(f"CREATE INDEX ix_{GROUPS}_grp ON {GROUPS} (grp)"))
    session.execute(text(f"CREATE INDEX ix_{GROUPS}_meter ON {GROUPS} (identifier, serial)"))
    return int(session.execute(text(f"SELECT count(DISTINCT identifier) FROM {GROUPS}")).scalar_one())


def find_bad_rows(session: Session, *, client: str) -> int:
    """Record the staged rows that must not land in the errors table and drop them from staging."""
    create_temp_table(session, ERRORS, "seq bigint NOT NULL, line integer NOT NULL, message text NOT NULL")
    session.execute(text(_EXPECTED_KIND), {"client": client})
    if _exists(session, f"SELECT 1 FROM {GROUPS} WHERE kind <> expected"):
        session.execute(text(_WRONG_KIND))
        session.execute(text(f"DELETE FROM {GROUPS} WHERE kind <> expected"))
    split = f"SELECT 1 FROM {GROUPS} GROUP BY identifier, coalesce(serial, '') HAVING count(*) > 1"
    if _exists(session, split):  # rare: the usual file repeats no supply point or meter
        time = "timestamptz" if dialect(session) == "postgresql" else "text"
        columns = f"seq bigint NOT NULL, line integer NOT NULL, identifier text, serial_key text, read_at {time}"
        create_temp_table(session, SPLIT, columns)
        session.execute(text(_SPLIT_ROWS))
        session.execute(text(_DUPLICATES))
    bad = int(session.execute(text(f"SELECT count(*) FROM {ERRORS}")).scalar_one())
    if bad:
        session.execute(text(f"DELETE FROM {ROWS} WHERE seq IN (SELECT seq FROM {ERRORS})"))
    return bad


def first_errors(session: Session, limit: int) -> list[LineError]:
    rows = session.execute(text(f"SELECT line, message FROM {ERRORS} ORDER BY seq LIMIT :n"), {"n": limit})
    return [LineError(int(line), str(message)) for line, message in rows]


def land(session: Session, *, client: str, file_id: int, now: object) -> int:
    """Add what is missing and insert the staged readings; returns how many readings are new."""
    session.execute(text(_MANUFACTURERS))
    session.execute(text(_STORED_POINTS), {"client": client})
    session.execute(text(f"UPDATE {GROUPS} SET fresh = (supply_point_id IS NULL)"))
    supply_points = text(_SUPPLY_POINTS).bindparams(bindparam("now", type_=UTCDateTime()))
    session.execute(supply_points, {"client": client, "now": now})
    session.execute(text(_NEW_POINTS), {"client": client})
    session.execute(text(_METERS))
    session.execute(text(_METER_IDS))
    new = 0
    for statement, wanted in ((_NEW_READINGS, "fresh"), (_MORE_READINGS, "NOT fresh")):
        if _exists(session, f"SELECT 1 FROM {GROUPS} WHERE {wanted}"):
            new += int(session.execute(text(statement), {"file_id": file_id}).rowcount)  # type: ignore[attr-defined]
    return new


def drop_temp_tables(session: Session) -> None:
    """SQLite keeps temporary tables with its pooled connection; PostgreSQL drops them at commit."""
    if dialect(session) == "sqlite":
        for name in (ROWS, GROUPS, ERRORS, SPLIT):
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _exists(session: Session, query: str) -> bool:
    return session.execute(text(f"{query} LIMIT 1")).first() is not None
