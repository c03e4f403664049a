"""The set-based half of ingestion: each staged chunk becomes supply points, meters and readings.

The same statements run on SQLite and PostgreSQL. A chunk's groups (one per run of readings, see
stager.py) are resolved first, a few statements over a small table; the chunk's rows are then read
by one insert, and by a check only when one of their groups calls for it:
- a group whose meter is stored (or was made for an earlier run in the file) with another kind is
  bad: its rows are reported, not landed;
- a group whose supply point and meter came before in the file (`revisit`) may repeat times of the
  earlier run: its rows go in with the conflict check, and `find_repeats` reports the repeats once
  the whole file is in;
- the other groups of a supply point that this file created are `fresh`: their readings cannot be
  stored already, so they go in with a plain insert. The conflict check costs PostgreSQL about as
  much as the insert itself. That reasoning holds because one client's ingestions take turns
  (a lock per client, see usecase.py), so the supply points this file creates are those above `point_floor`, and no
  one else adds readings to them meanwhile.
Strict mode is the caller's savepoint: everything landed is rolled back if any row was rejected.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlmodel import Session

from quintet_shared.bulk import LineError, create_temp_table, dialect
from quintet_shared.types import UTCDateTime
from readings.ingestion.staging import (
    CHUNK_GROUPS,
    ERRORS,
    GROUPS,
    ROWS,
    SPLIT,
    chunk_rows,
)

_MANUFACTURERS = f"""
INSERT INTO manufacturer (name) SELECT DISTINCT manufacturer FROM {CHUNK_GROUPS}
WHERE manufacturer IS NOT NULL ON CONFLICT DO NOTHING"""
_SUPPLY_POINTS = f"""
INSERT INTO supply_point (client, identifier, created_at)
SELECT CAST(:client AS VARCHAR), c.identifier, :now FROM {CHUNK_GROUPS} c
WHERE NOT EXISTS (SELECT 1 FROM supply_point sp WHERE sp.client = :client AND sp.identifier = c.identifier)
GROUP BY c.identifier ORDER BY min(c.first_seq)"""
# The first run of a meter in file order makes it, with its kind and manufacturer; the kind is what
# the later runs are held to.
_METERS = f"""
INSERT INTO meter (supply_point_id, serial, manufacturer_id, kind, active)
SELECT sp.id, c.serial, mf.id, c.kind, true FROM {CHUNK_GROUPS} c
JOIN supply_point sp ON sp.client = :client AND sp.identifier = c.identifier
LEFT JOIN manufacturer mf ON mf.name = c.manufacturer
WHERE c.serial IS NOT NULL ORDER BY c.first_seq ON CONFLICT DO NOTHING"""
_RESOLVE = f"""
INSERT INTO {GROUPS} (grp, identifier, serial, kind, expected, supply_point_id, meter_id, revisit, fresh, good)
SELECT c.grp, c.identifier, c.serial, c.kind, m.kind, sp.id, m.id, c.revisit, sp.id > :point_floor AND NOT c.revisit,
  m.kind IS NULL OR m.kind = c.kind
FROM {CHUNK_GROUPS} c JOIN supply_point sp ON sp.client = :client AND sp.identifier = c.identifier
LEFT JOIN meter m ON m.supply_point_id = sp.id AND m.serial = c.serial
RETURNING grp, fresh, good"""
_CHUNK = f"FROM {ROWS} s JOIN {GROUPS} g ON g.grp = s.grp WHERE g.grp >= :first_grp AND {{chunk}}"
_WRONG_KIND = f"""
INSERT INTO {ERRORS} (seq, line, message)
SELECT s.seq, s.line, 'a reading of kind ' || g.kind || ' for meter ' || g.serial || ', which is of kind ' || g.expected
{_CHUNK} AND NOT g.good"""
_INSERT_READINGS = f"""
INSERT INTO reading (supply_point_id, meter_id, read_at, value, unit, interval_minutes, time_code, method,
  estimated, deleted, file_id)
SELECT g.supply_point_id, g.meter_id, s.read_at, s.value, 'kWh', s.interval_minutes, s.time_code, s.method,
  false, false, :file_id
{_CHUNK} AND g.good"""
# In file order runs are in key order already: no sort, and the index is filled run by run.
_FRESH_READINGS = _INSERT_READINGS + " AND g.fresh"
# Sorted by the unique key (pages visited in order), then by seq: of two equal rows the first lands.
_OTHER_READINGS = (
    _INSERT_READINGS
    + " AND NOT g.fresh ORDER BY g.supply_point_id, g.meter_id, s.read_at, s.seq ON CONFLICT DO NOTHING"
)
# The rows of supply points and meters that came back in a later run: only they can repeat a time
# across runs (inside a run, stager.py has found the repeats already).
_SPLIT_ROWS = f"""
INSERT INTO {SPLIT} (seq, line, identifier, serial_key, read_at)
SELECT s.seq, s.line, g.identifier, coalesce(g.serial, ''), s.read_at
FROM {ROWS} s JOIN {GROUPS} g ON g.grp = s.grp
JOIN (SELECT DISTINCT identifier, coalesce(serial, '') AS serial_key FROM {GROUPS} WHERE revisit) k
  ON k.identifier = g.identifier AND k.serial_key = coalesce(g.serial, '')
WHERE g.good"""
_REPEATS = f"""
INSERT INTO {ERRORS} (seq, line, message)
SELECT s.seq, s.line, 'duplicate of line ' || d.first_line
FROM {SPLIT} s JOIN (
  SELECT identifier, serial_key, read_at, min(seq) AS first_seq, min(line) AS first_line
  FROM {SPLIT} GROUP BY identifier, serial_key, read_at HAVING count(*) > 1
) d ON d.identifier = s.identifier AND d.serial_key = s.serial_key AND d.read_at = s.read_at
WHERE s.seq > d.first_seq"""


def point_floor(session: Session) -> int:
    """The highest supply point id before this ingestion: the ones it creates are above it."""
    return int(session.execute(text("SELECT coalesce(max(id), 0) FROM supply_point")).scalar_one())


@dataclass
class GroupKinds:
    """Which kinds of group a chunk's rows belong to, so that statements with nothing to do are
    skipped. A chunk's first rows may continue the last group of the chunk before."""

    last: tuple[int, bool, bool] = (0, False, True)  # (grp, fresh, good) of the last group resolved
    fresh: bool = False
    other: bool = False
    bad: bool = False

    def update(self, resolved: list[tuple[int, bool, bool]], first_grp: int) -> None:
        if self.last[0] >= first_grp:
            resolved = [self.last, *resolved]
        self.fresh = any(fresh and good for _, fresh, good in resolved)
        self.other = any(not fresh and good for _, fresh, good in resolved)
        self.bad = any(not good for _, _, good in resolved)
        if len(resolved) > 0:
            self.last = max(resolved)


def land_chunk(
    session: Session,
    *,
    client: str,
    file_id: int,
    now: object,
    floor: int,
    position: dict[str, object],
    first_grp: int,
    kinds: GroupKinds,
) -> int:
    """Resolve the groups a loaded chunk opens, report its rows of bad groups and insert the rest;
    returns how many readings are new. `first_grp`: the group of the chunk's first row."""
    on_groups = {"client": client, "point_floor": floor}
    session.execute(text(_MANUFACTURERS))
    supply_points = text(_SUPPLY_POINTS).bindparams(bindparam("now", type_=UTCDateTime()))
    session.execute(supply_points, {**on_groups, "now": now})
    session.execute(text(_METERS), on_groups)
    resolved = session.execute(text(_RESOLVE), on_groups).all()
    kinds.update([(int(grp), bool(fresh), bool(good)) for grp, fresh, good in resolved], first_grp)
    chunk = chunk_rows(session)
    on_rows = {**position, "first_grp": first_grp, "file_id": file_id}
    if kinds.bad:
        session.execute(text(_WRONG_KIND.format(chunk=chunk)), on_rows)
    new = 0
    for statement, wanted in ((_FRESH_READINGS, kinds.fresh), (_OTHER_READINGS, kinds.other)):
        if wanted:
            inserted = session.execute(text(statement.format(chunk=chunk)), on_rows)
            new += int(inserted.rowcount)  # type: ignore[attr-defined]
    return new


def find_repeats(session: Session) -> None:
    """Report the rows of revisited supply points and meters that repeat an earlier row's time.
    They were not inserted: the earlier row, first in file order, took the key."""
    if not _exists(session, f"SELECT 1 FROM {GROUPS} WHERE revisit", {}):
        return
    time = "timestamptz" if dialect(session) == "postgresql" else "text"
    columns = f"seq bigint NOT NULL, line integer NOT NULL, identifier text, serial_key text, read_at {time}"
    create_temp_table(session, SPLIT, columns)
    session.execute(text(_SPLIT_ROWS))
    session.execute(text(_REPEATS))


def supply_points(session: Session) -> int:
    return int(session.execute(text(f"SELECT count(DISTINCT identifier) FROM {GROUPS}")).scalar_one())


def rejected(session: Session) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {ERRORS}")).scalar_one())


def first_errors(session: Session, limit: int) -> list[LineError]:
    rows = session.execute(text(f"SELECT line, message FROM {ERRORS} ORDER BY seq LIMIT :n"), {"n": limit})
    return [LineError(int(line), str(message)) for line, message in rows]


def _exists(session: Session, query: str, params: dict[str, object]) -> bool:
    return session.execute(text(f"{query} LIMIT 1"), params).first() is not None
