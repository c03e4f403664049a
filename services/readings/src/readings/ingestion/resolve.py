"""The set-based half of ingestion: staged rows become supply points, meters and readings.

The same statements run on SQLite and PostgreSQL. First the rows that cannot land are found and
set aside (a reading of the wrong kind for its meter, a duplicate inside the file) while nothing is
written, so that strict mode can still refuse the whole file; then the missing manufacturers,
supply points and meters are added and the readings inserted, skipping those already stored.
"""

from sqlalchemy import bindparam, text
from sqlmodel import Session

from quintet_shared.types import UTCDateTime
from readings.ingestion.result import LineError
from readings.ingestion.staging import STAGING, create_temp_table, dialect

METERS = "ingest_meter"
ERRORS = "ingest_error"

# One row per (supply point, meter, kind) in the file; `expected` is the kind the meter has: the
# stored meter's, else the kind it first appears with in the file.
_METER_GROUPS = f"""
INSERT INTO {METERS} (identifier, serial, kind, first_seq, manufacturer)
SELECT identifier, serial, kind, min(seq), min(manufacturer) FROM {STAGING}
WHERE serial IS NOT NULL GROUP BY identifier, serial, kind"""
_EXPECTED_KIND = f"""
UPDATE {METERS} SET expected = coalesce(
  (SELECT m.kind FROM meter m JOIN supply_point sp ON sp.id = m.supply_point_id
    WHERE sp.client = :client AND sp.identifier = {METERS}.identifier AND m.serial = {METERS}.serial),
  (SELECT f.kind FROM {METERS} f WHERE f.identifier = {METERS}.identifier AND f.serial = {METERS}.serial
    ORDER BY f.first_seq LIMIT 1))"""
_WRONG_KIND = f"""
INSERT INTO {ERRORS} (seq, line, message)
SELECT s.seq, s.line, 'a reading of kind ' || s.kind || ' for meter ' || s.serial || ', which is of kind ' || g.expected
FROM {STAGING} s JOIN {METERS} g ON g.identifier = s.identifier AND g.serial = s.serial AND g.kind = s.kind
WHERE g.kind <> g.expected"""
_DUPLICATES = f"""
INSERT INTO {ERRORS} (seq, line, message)
SELECT s.seq, s.line, 'duplicate of line ' || d.first_line
FROM {STAGING} s JOIN (
  SELECT identifier, coalesce(serial, '') AS serial_key, read_at, min(seq) AS first_seq, min(line) AS first_line
  FROM {STAGING} GROUP BY identifier, coalesce(serial, ''), read_at HAVING count(*) > 1
) d ON d.identifier = s.identifier AND d.serial_key = coalesce(s.serial, '') AND d.read_at = s.read_at
WHERE s.seq > d.first_seq"""
_MANUFACTURERS = f"""
INSERT INTO manufacturer (name) SELECT DISTINCT manufacturer FROM {METERS}
WHERE manufacturer IS NOT NULL AND kind = expected ON CONFLICT DO NOTHING"""
_SUPPLY_POINTS = f"""
INSERT INTO supply_point (client, identifier, created_at) SELECT DISTINCT :client, identifier, :now FROM {STAGING}
WHERE true ON CONFLICT DO NOTHING"""
_METERS = f"""
INSERT INTO meter (supply_point_id, serial, manufacturer_id, kind, active)
SELECT sp.id, g.serial, mf.id, g.kind, true FROM {METERS} g
JOIN supply_point sp ON sp.client = :client AND sp.identifier = g.identifier
LEFT JOIN manufacturer mf ON mf.name = g.manufacturer
WHERE g.kind = g.expected ON CONFLICT DO NOTHING"""
# Ordered by the unique key, so the index pages are visited in order rather than at random.
_READINGS = f"""
INSERT INTO reading (supply_point_id, meter_id, read_at, value, unit, interval_minutes, time_code, method,
  estimated, deleted, file_id)
SELECT sp.id, m.id, s.read_at, s.value, 'kWh', s.interval_minutes, s.time_code, s.method, false, false, :file_id
FROM {STAGING} s JOIN supply_point sp ON sp.client = :client AND sp.identifier = s.identifier
LEFT JOIN meter m ON m.supply_point_id = sp.id AND m.serial = s.serial
WHERE true ORDER BY sp.id, m.id, s.read_at ON CONFLICT DO NOTHING"""


def prepare(session: Session) -> int:
    """Analyze the loaded staging table; returns how many supply points its rows name."""
    if dialect(session) == "postgresql":
        session.execute(text(f"ANALYZE {STAGING}"))  # the planner knows nothing of a fresh temp table
    return int(session.execute(text(f"SELECT count(DISTINCT identifier) FROM {STAGING}")).scalar_one())


def find_bad_rows(session: Session, *, client: str) -> int:
    """Record the staged rows that must not land in the errors table and drop them from staging."""
    create_temp_table(session, ERRORS, "seq bigint NOT NULL, line integer NOT NULL, message text NOT NULL")
    meter_columns = "identifier text, serial text, kind text, first_seq bigint, manufacturer text, expected text"
    create_temp_table(session, METERS, meter_columns)
    session.execute(text(_METER_GROUPS))
    session.execute(text(f"CREATE INDEX ix_{METERS} ON {METERS} (identifier, serial)"))
    session.execute(text(_EXPECTED_KIND), {"client": client})
    mixed = session.execute(text(f"SELECT 1 FROM {METERS} WHERE kind <> expected LIMIT 1")).first()
    if mixed is not None:  # rare: spare the usual file a join over every staged row
        session.execute(text(_WRONG_KIND))
        session.execute(text(f"DELETE FROM {STAGING} WHERE seq IN (SELECT seq FROM {ERRORS})"))
    session.execute(text(_DUPLICATES))
    bad = int(session.execute(text(f"SELECT count(*) FROM {ERRORS}")).scalar_one())
    if bad:
        session.execute(text(f"DELETE FROM {STAGING} WHERE seq IN (SELECT seq FROM {ERRORS})"))
    return bad


def first_errors(session: Session, limit: int) -> list[LineError]:
    rows = session.execute(text(f"SELECT line, message FROM {ERRORS} ORDER BY seq LIMIT :n"), {"n": limit})
    return [LineError(int(line), str(message)) for line, message in rows]


def land(session: Session, *, client: str, file_id: int, now: object) -> int:
    """Add what is missing and insert the staged readings; returns how many readings are new."""
    session.execute(text(_MANUFACTURERS))
    supply_points = text(_SUPPLY_POINTS).bindparams(bindparam("now", type_=UTCDateTime()))
    session.execute(supply_points, {"client": client, "now": now})
    session.execute(text(_METERS), {"client": client})
    inserted = session.execute(text(_READINGS), {"client": client, "file_id": file_id})
    return int(inserted.rowcount)  # type: ignore[attr-defined]


def drop_temp_tables(session: Session) -> None:
    """SQLite keeps temporary tables with its pooled connection; PostgreSQL drops them at commit."""
    if dialect(session) == "sqlite":
        for name in (STAGING, METERS, ERRORS):
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))
