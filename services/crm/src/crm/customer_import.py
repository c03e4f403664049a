"""`import_customers`: a customers CSV (customer_csv.py) upserted by email, in one transaction.

What a file means: each row creates the customer of that restaurant with that email, or updates its
names if it exists (upsert by email; totals and visits are left alone); customers the file does not
name are left alone. When one (restaurant, email) appears twice, the last good row wins (counted in
`repeated`). A bad row is reported with its line and changes nothing; the good rows land. A file that
cannot be read at all (no header, more than 100,000 bad rows) raises FileUnusable and the caller
rolls back: nothing changes.

How: the good rows are staged, BATCH_ROWS at a time, in a temporary table (COPY on PostgreSQL,
batched inserts on SQLite, quintet_shared.bulk), then landed with one `INSERT ... SELECT ... ON
CONFLICT (restaurant, email) DO UPDATE` of each key's last row. SQLite's temporary tables live in a
database of their own, so the whole parse takes no lock on the main one: the write lock is held only
for the landing (an API write waiting on it would otherwise time out into a 503 during a long parse,
and so would the job's own progress reports). One client's imports take turns (an advisory lock on
PostgreSQL), and there the client's restaurants are locked against deletion until commit, so a row
checked against them still lands; on SQLite a restaurant deleted meanwhile fails the import (nothing
changes, and the job runs again).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO

from sqlalchemy import bindparam, select, text
from sqlmodel import Session

from crm.customer_csv import CustomerRow, customer_rows
from crm.models import Restaurant
from quintet_shared.bulk import (
    ErrorLog,
    HashingSource,
    LineError,
    Progress,
    copy_rows,
    copy_text,
    create_temp_table,
    dialect,
    drop_temp_tables,
    lock_for_transaction,
)
from quintet_shared.types import UTCDateTime
from quintet_shared.write_lock import hold_write_lock

BATCH_ROWS = 1000


class ImportStatus(StrEnum):
    IMPORTED = "IMPORTED"  # every row is in
    PARTIAL = "PARTIAL"  # the good rows are in, the bad ones are in `errors`


@dataclass(frozen=True)
class ImportResult:
    status: ImportStatus
    rows: int  # data rows read: created + updated + repeated + rejected
    created: int
    updated: int
    repeated: int  # good rows that a later row of the same restaurant and email replaced
    rejected: int
    errors: list[LineError]  # the first MAX_KEPT_ERRORS, by line
    sha256: str
    size_bytes: int

    def counts(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "repeated": self.repeated,
            "rejected": self.rejected,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
        }


STAGING = "crm_customer_rows"
STAGING_COLUMNS = "line, restaurant, email, first_name, last_name"
_LAST_ROWS = f"SELECT max(line) FROM {STAGING} GROUP BY restaurant, email"
_COUNT_KEYS = text(f"SELECT count(*) FROM ({_LAST_ROWS}) AS keys")
_COUNT_EXISTING = text(
    f"SELECT count(*) FROM {STAGING} s JOIN customer c ON c.restaurant = s.restaurant AND c.email = s.email "
    f"WHERE s.line IN ({_LAST_ROWS})"
)
_LAND = text(
    "INSERT INTO customer "
    "(client, restaurant, email, first_name, last_name, total_spend_cents, created_at, updated_at) "
    f"SELECT :client, s.restaurant, s.email, s.first_name, s.last_name, 0, :now, :now FROM {STAGING} s "
    f"WHERE s.line IN ({_LAST_ROWS}) ORDER BY s.line "
    "ON CONFLICT (restaurant, email) DO UPDATE SET first_name = excluded.first_name, "
    "last_name = excluded.last_name, updated_at = excluded.updated_at"
).bindparams(bindparam("now", type_=UTCDateTime))


def import_customers(
    session: Session,
    *,
    client: str,
    stream: BinaryIO,
    now: datetime,
    size: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the CSV in `stream` for `client` (see the module's docstring). Does not commit: the
    caller's one commit makes it durable. Raises FileUnusable for a file that cannot be read."""
    postgres = dialect(session) == "postgresql"
    restaurants_query = select(Restaurant.id).where(Restaurant.client == client)  # type: ignore[arg-type]
    if postgres:
        lock_for_transaction(session, f"crm.customers.import:{client}")
        restaurants_query = restaurants_query.with_for_update(read=True)
        restaurants = set(session.execute(restaurants_query).scalars())
    else:
        # Read apart from the session: SQLite's session must write before it reads (write_lock.py).
        with Session(session.get_bind()) as reading:
            restaurants = set(reading.execute(restaurants_query).scalars())
    create_temp_table(
        session,
        STAGING,
        "line INTEGER PRIMARY KEY, restaurant INTEGER NOT NULL, email TEXT NOT NULL, "
        "first_name TEXT NOT NULL, last_name TEXT NOT NULL",
    )
    source = HashingSource(stream, total=size, progress=progress)
    errors = ErrorLog()
    batch: list[CustomerRow] = []
    good = 0
    for item in customer_rows(source.reader, restaurants):
        if isinstance(item, LineError):
            errors.add(item.line, item.message)
            continue
        good += 1
        batch.append(item)
        if len(batch) >= BATCH_ROWS:
            _stage(session, batch, postgres=postgres)
            batch = []
    _stage(session, batch, postgres=postgres)
    sha256 = source.sha256()  # the rest of the file is read now: no progress report waits on the lock
    hold_write_lock(session, "customer")
    keys = session.execute(_COUNT_KEYS).scalar_one()
    existing = session.execute(_COUNT_EXISTING).scalar_one()
    session.execute(_LAND, {"client": client, "now": now})
    drop_temp_tables(session, [STAGING])
    return ImportResult(
        status=ImportStatus.PARTIAL if errors.count else ImportStatus.IMPORTED,
        rows=good + errors.count,
        created=keys - existing,
        updated=existing,
        repeated=good - keys,
        rejected=errors.count,
        errors=errors.merged([]),
        sha256=sha256,
        size_bytes=source.size,
    )


def _stage(session: Session, rows: list[CustomerRow], *, postgres: bool) -> None:
    if not rows:
        return
    if postgres:
        copied = "".join(
            f"{r.line}\t{r.restaurant}\t{copy_text(r.email)}\t{copy_text(r.first_name)}\t{copy_text(r.last_name)}\n"
            for r in rows
        )
        copy_rows(session, STAGING, STAGING_COLUMNS, copied)
    else:
        copy_rows(session, STAGING, STAGING_COLUMNS, rows)
