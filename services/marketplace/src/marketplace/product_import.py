"""`import_products`: a product file (product_file.py) into the catalogue, in one transaction.

Each good row creates the product of its SKU or updates it (upsert by SKU, unique per client):
its fields are the row's, stock is left as it is. When a SKU appears twice the last row wins
(counted in `repeated`). A price the file changes is recorded in the price history (`upload`). A
bad row is reported with its line and changes nothing; the good rows land. A file that cannot be
read at all raises FileUnusable and the caller rolls back: nothing changes.

Rows are written BATCH rows at a time with one INSERT ... ON CONFLICT (client, sku) DO UPDATE, after
one SELECT of the batch's existing SKUs (their ids and prices, for the history and the counts).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlmodel import Session

from marketplace import price_history, product_file
from marketplace.models import PriceChangeSource, Product
from quintet_shared.bulk import ErrorLog, HashingSource, LineError
from quintet_shared.upsert import insert_for

BATCH = 1000
_UPDATED = (
    "name",
    "category",
    "marketplace_product_id",
    "price_cents",
    "min_price_cents",
    "max_price_cents",
    "step_cents",
    "repricing",
)


@dataclass
class ImportResult:
    rows: int = 0  # data rows read: created + updated + repeated + rejected
    created: int = 0
    updated: int = 0
    repeated: int = 0
    rejected: int = 0
    price_changes: int = 0
    errors: list[LineError] = field(default_factory=list)
    sha256: str = ""

    def counts(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "repeated": self.repeated,
            "rejected": self.rejected,
            "price_changes": self.price_changes,
            "sha256": self.sha256,
        }


def import_products(
    session: Session,
    *,
    client: str,
    stream: BinaryIO,
    file_format: str,
    now: datetime,
    size: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> ImportResult:
    result, log = ImportResult(), ErrorLog()
    if file_format == "xlsx":
        # A zip is read from its end: openpyxl seeks in the (spooled) file itself, so it is hashed first.
        result.sha256 = _sha256_and_rewind(stream)
        reader = stream
    else:
        source = HashingSource(stream, total=size, progress=progress)
        reader = source.reader
    batch: dict[str, dict[str, Any]] = {}
    for item in product_file.rows(reader, file_format):
        result.rows += 1
        if isinstance(item, LineError):
            log.add(item.line, item.message)
            result.rejected += 1
            continue
        _, fields = item
        if fields["sku"] in batch:
            result.repeated += 1
        batch[fields["sku"]] = fields
        if len(batch) >= BATCH:
            _land(session, client=client, batch=batch, now=now, result=result)
            batch = {}
    _land(session, client=client, batch=batch, now=now, result=result)
    result.errors = log.kept
    result.sha256 = result.sha256 or source.sha256()
    return result


def _sha256_and_rewind(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while block := stream.read(1024 * 1024):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def _land(
    session: Session, *, client: str, batch: dict[str, dict[str, Any]], now: datetime, result: ImportResult
) -> None:
    if not batch:
        return
    existing = {
        sku: (id, price)
        for sku, id, price in session.execute(
            select(Product.sku, Product.id, Product.price_cents).where(
                Product.client == client,  # type: ignore[arg-type]
                Product.sku.in_(list(batch)),  # type: ignore[attr-defined]
            )
        )
    }
    rows = [{**fields, "client": client, "created_at": now, "updated_at": now} for fields in batch.values()]
    statement = insert_for(session, Product.__table__)  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["client", "sku"],
        set_={name: statement.excluded[name] for name in (*_UPDATED, "updated_at")},
    )
    session.execute(statement, rows)
    changes = [
        price_history.change_row(
            client, existing[sku][0], existing[sku][1], fields["price_cents"], PriceChangeSource.UPLOAD, now
        )
        for sku, fields in batch.items()
        if sku in existing and existing[sku][1] != fields["price_cents"]
    ]
    price_history.record_changes(session, changes)
    result.price_changes += len(changes)
    result.updated += len(existing)
    result.created += len(batch) - len(existing)
