"""The set-based half of a CSV import: a chunk of staged rows into forecast points or subscriptions.

Each kind is staged into a temporary table of its own (`STAGING`), one row per gid or msisdn within a
chunk (the chunk builder keeps the row that wins), and a chunk is landed by a few statements whatever
its size, in its own transaction, the chunks in file order. Every statement changes only what the
row changes, so landing a chunk twice (a job run again after a crash, a file sent twice) changes
nothing the second time, and a row never undoes a later one:
- forecasts: a point is inserted, or updated when its location or texts differ (`moved` counts the
  points whose location changed: with the inserted ones, they decide whether subscribers are relinked);
- additions: a cancelled msisdn whose row is later than its cancellation starts a new period
  (period + 1, unpaid, due on the row's billing date); an unknown one is inserted (unpaid, due on it);
  any other is subscribed already and left alone (a file sent again adds nothing);
- cancellations: a subscription not cancelled whose period began before the row's time is cancelled
  at that time; a row older than the period (sent late, or again after a new addition) changes nothing;
- updates: the location of a subscription whose location is older than the row's time (`located_at`)
  is replaced, with its nearest point; `subscribed_at` is never touched.
An msisdn the client has no subscription for is a row error of cancellations and updates.

Times compare as values on PostgreSQL and as text on SQLite, where the staged times are written the
way SQLAlchemy writes them there (`YYYY-MM-DD HH:MM:SS.ffffff`, in UTC), so that text order is time order.
"""

from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from quintet_shared.bulk import dialect
from quintet_shared.types import UTCDateTime
from subscriptions.csv_format import Kind

STAGING = {kind: f"csv_staged_{kind.value}" for kind in Kind}
COLUMNS = {
    Kind.FORECASTS: "line, gid, latitude, longitude, fcat24, fcat48",
    Kind.ADDITIONS: "line, msisdn, at, billing_date, latitude, longitude, plan, forecast_id",
    Kind.CANCELLATIONS: "line, msisdn, at",
    Kind.UPDATES: "line, msisdn, at, latitude, longitude, forecast_id",
}
CHANGES = {  # what land() counts, by kind
    Kind.FORECASTS: ("created", "updated", "moved"),
    Kind.ADDITIONS: ("added", "added_again"),
    Kind.CANCELLATIONS: ("cancelled",),
    Kind.UPDATES: ("updated",),
}
_TYPES = {
    "postgresql": {
        "line": "integer NOT NULL", "gid": "text NOT NULL", "msisdn": "text NOT NULL", "at": "timestamptz NOT NULL",
        "billing_date": "date NOT NULL", "latitude": "float8 NOT NULL", "longitude": "float8 NOT NULL",
        "fcat24": "text NOT NULL", "fcat48": "text NOT NULL", "plan": "text NOT NULL", "forecast_id": "bigint",
    },
    "sqlite": {  # line as the rowid: a chunk is a range of it
        "line": "INTEGER PRIMARY KEY", "gid": "TEXT NOT NULL", "msisdn": "TEXT NOT NULL", "at": "TEXT NOT NULL",
        "billing_date": "TEXT NOT NULL", "latitude": "REAL NOT NULL", "longitude": "REAL NOT NULL",
        "fcat24": "TEXT NOT NULL", "fcat48": "TEXT NOT NULL", "plan": "TEXT NOT NULL", "forecast_id": "INTEGER",
    },
}  # fmt: skip
_CHUNK = "s.line BETWEEN :first AND :last"

_FORECASTS_MOVED = f"""SELECT count(*) FROM {STAGING[Kind.FORECASTS]} s
JOIN forecast_point p ON p.client = :client AND p.gid = s.gid
WHERE {_CHUNK} AND NOT (p.latitude = s.latitude AND p.longitude = s.longitude)"""
_FORECASTS_UPDATE = f"""UPDATE forecast_point AS p
SET latitude = s.latitude, longitude = s.longitude, fcat24 = s.fcat24, fcat48 = s.fcat48, updated_at = :now
FROM {STAGING[Kind.FORECASTS]} s
WHERE {_CHUNK} AND p.client = :client AND p.gid = s.gid
    AND NOT (p.latitude = s.latitude AND p.longitude = s.longitude AND p.fcat24 = s.fcat24 AND p.fcat48 = s.fcat48)"""
_FORECASTS_INSERT = f"""INSERT INTO forecast_point
    (client, gid, latitude, longitude, fcat24, fcat48, created_at, updated_at)
SELECT :client, s.gid, s.latitude, s.longitude, s.fcat24, s.fcat48, :now, :now FROM {STAGING[Kind.FORECASTS]} s
WHERE {_CHUNK}
ON CONFLICT (client, gid) DO NOTHING"""

_ADDITIONS_AGAIN = f"""UPDATE subscription AS t
SET period = t.period + 1, plan = s.plan, plan_paid = NULL, status = 'unpaid', latitude = s.latitude,
    longitude = s.longitude, forecast_id = s.forecast_id, located_at = s.at, subscribed_at = s.at,
    unsubscribed_at = NULL, next_billing_date = s.billing_date, paid_until = NULL, failed_attempts = 0,
    next_charge_at = NULL, updated_at = :now
FROM {STAGING[Kind.ADDITIONS]} s
WHERE {_CHUNK} AND t.client = :client AND t.msisdn = s.msisdn AND t.status = 'cancelled'
    AND s.at > t.unsubscribed_at"""
_ADDITIONS_INSERT = f"""INSERT INTO subscription (client, msisdn, plan, status, latitude, longitude, forecast_id,
    period, subscribed_at, located_at, next_billing_date, failed_attempts, created_at, updated_at)
SELECT :client, s.msisdn, s.plan, 'unpaid', s.latitude, s.longitude, s.forecast_id,
    1, s.at, s.at, s.billing_date, 0, :now, :now
FROM {STAGING[Kind.ADDITIONS]} s
WHERE {_CHUNK}
ON CONFLICT (client, msisdn) DO NOTHING"""
# ON CONFLICT probes the unique index per row: the cost follows the chunk. A NOT EXISTS instead was
# planned as a hash anti-join over the client's whole table (each chunk costing more than the last),
# and timed the same on 200,000 rows (16-20 s each on a machine at load 16; a plain INSERT 16-18 s).

_UNKNOWN = """SELECT s.line, s.msisdn FROM {table} s
WHERE {chunk} AND NOT EXISTS (SELECT 1 FROM subscription t WHERE t.client = :client AND t.msisdn = s.msisdn)
ORDER BY s.line"""
_CANCEL = f"""UPDATE subscription AS t
SET status = 'cancelled', unsubscribed_at = s.at, next_billing_date = NULL, next_charge_at = NULL, updated_at = :now
FROM {STAGING[Kind.CANCELLATIONS]} s
WHERE {_CHUNK} AND t.client = :client AND t.msisdn = s.msisdn AND t.status <> 'cancelled'
    AND s.at > t.subscribed_at"""
_RELOCATE = f"""UPDATE subscription AS t
SET latitude = s.latitude, longitude = s.longitude, forecast_id = s.forecast_id, located_at = s.at, updated_at = :now
FROM {STAGING[Kind.UPDATES]} s
WHERE {_CHUNK} AND t.client = :client AND t.msisdn = s.msisdn AND (t.located_at IS NULL OR s.at > t.located_at)"""


def staging_columns(session: Session, kind: Kind) -> str:
    types = _TYPES[dialect(session)]
    return ", ".join(f"{name} {types[name]}" for name in COLUMNS[kind].split(", "))


def after_staging(session: Session, kind: Kind) -> None:
    """PostgreSQL: an index on the line, for each chunk's range, and statistics: temporary tables are
    never analysed by autovacuum, and the planner would guess their size. No JIT either: it compiled
    for a quarter of a second per statement on the unanalysed staging of profiles (promotions)."""
    if dialect(session) == "postgresql":
        table = STAGING[kind]
        session.execute(text(f"CREATE INDEX ON {table} (line)"))
        session.execute(text(f"ANALYZE {table}"))


def tune(session: Session) -> None:
    """PostgreSQL, for this transaction: room for a chunk's joins in memory, and no JIT."""
    if dialect(session) == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))


def land(session: Session, kind: Kind, params: dict[str, Any]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Land the staged rows of lines `first`..`last`: what changed, by name, and the row errors
    (line, message). `params`: client, now, first, last."""
    tune(session)
    if kind is Kind.FORECASTS:
        moved = int(_run(session, _FORECASTS_MOVED, params).scalar_one())
        updated = _run(session, _FORECASTS_UPDATE, params).rowcount
        return {"created": _run(session, _FORECASTS_INSERT, params).rowcount, "updated": updated, "moved": moved}, []
    if kind is Kind.ADDITIONS:
        again = _run(session, _ADDITIONS_AGAIN, params).rowcount
        return {"added": _run(session, _ADDITIONS_INSERT, params).rowcount, "added_again": again}, []
    unknown = _UNKNOWN.format(table=STAGING[kind], chunk=_CHUNK)
    errors = [
        (int(line), f"no subscription has msisdn {msisdn}") for line, msisdn in _run(session, unknown, params).all()
    ]
    if kind is Kind.CANCELLATIONS:
        return {"cancelled": _run(session, _CANCEL, params).rowcount}, errors
    return {"updated": _run(session, _RELOCATE, params).rowcount}, errors


def _run(session: Session, statement: str, params: dict[str, Any]) -> Any:
    query = text(statement)
    if ":now" in statement:
        query = query.bindparams(bindparam("now", type_=UTCDateTime))
    return session.execute(query, {name: value for name, value in params.items() if f":{name}" in statement})
