"""`import_customers`: a customers CSV (customer_csv.py) upserted by email, in one transaction.

What a file means: each row creates the customer of that restaurant with that email, or updates its
names if it exists (upsert by email; totals and visits are left alone); customers the file does not
name are left alone. When one (restaurant, email) appears twice, the last good row wins (counted in
`repeated`). A bad row is reported with its line and changes nothing; the good rows land. A file that
cannot be read at all (no header, more than 100,000 bad rows) raises FileUnusable and the caller
rolls back: nothing changes.

Rows are written BATCH_ROWS at a time with one `INSERT ... ON CONFLICT (restaurant, email) DO
UPDATE`, after one query for which of the batch exist already (for the counts). One client's imports
take turns (an advisory lock on PostgreSQL; SQLite's write lock, taken first), and the client's
restaurants are locked against deletion until commit, so a row checked against them still lands.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO

from sqlalchemy import select, tuple_
from sqlmodel import Session

from crm.customer_csv import CustomerRow, customer_rows
from crm.models import Customer, Restaurant
from quintet_shared.bulk import ErrorLog, HashingSource, LineError, Progress, dialect, lock_for_transaction
from quintet_shared.upsert import insert_for
from quintet_shared.write_lock import begin_write

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
    begin_write(session)
    postgres = dialect(session) == "postgresql"
    lock_for_transaction(session, f"crm.customers.import:{client}")
    restaurants_query = select(Restaurant.id).where(Restaurant.client == client)  # type: ignore[arg-type]
    if postgres:
        restaurants_query = restaurants_query.with_for_update(read=True)
    restaurants = set(session.execute(restaurants_query).scalars())
    source = HashingSource(stream, total=size, progress=progress)
    errors = ErrorLog()
    pending: dict[tuple[int, str], CustomerRow] = {}
    good = created = written = 0
    for item in customer_rows(source.reader, restaurants):
        if isinstance(item, LineError):
            errors.add(item.line, item.message)
            continue
        good += 1
        pending.pop((item.restaurant, item.email), None)  # a later row wins and keeps file order
        pending[(item.restaurant, item.email)] = item
        if len(pending) >= BATCH_ROWS:
            created += _upsert(session, client=client, rows=pending.values(), now=now)
            written += len(pending)
            pending = {}
    if pending:
        created += _upsert(session, client=client, rows=pending.values(), now=now)
        written += len(pending)
    # A key written in two batches counts in both `written`s: the second write was an update.
    return ImportResult(
        status=ImportStatus.PARTIAL if errors.count else ImportStatus.IMPORTED,
        rows=good + errors.count,
        created=created,
        updated=written - created,
        repeated=good - written,
        rejected=errors.count,
        errors=errors.merged([]),
        sha256=source.sha256(),
        size_bytes=source.size,
    )


def _upsert(session: Session, *, client: str, rows: Iterable[CustomerRow], now: datetime) -> int:
    """Write one batch (distinct keys); how many of it were new customers."""
    batch = list(rows)
    keys = [(row.restaurant, row.email) for row in batch]
    existing = session.execute(
        select(Customer.restaurant, Customer.email).where(tuple_(Customer.restaurant, Customer.email).in_(keys))  # type: ignore[arg-type]
    ).all()
    table = Customer.__table__  # type: ignore[attr-defined]
    statement = insert_for(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=["restaurant", "email"],
        set_={
            "first_name": statement.excluded.first_name,
            "last_name": statement.excluded.last_name,
            "updated_at": statement.excluded.updated_at,
        },
    )
    values = [
        {
            "client": client,
            "restaurant": row.restaurant,
            "email": row.email,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "total_spend_cents": 0,
            "created_at": now,
            "updated_at": now,
        }
        for row in batch
    ]
    session.execute(statement, values)
    return len(batch) - len(existing)
