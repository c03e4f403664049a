"""Bulk loading of client files: the parts every service's file ingestion shares.

A file is read as a stream (`source`: counted for progress, hashed on the way), parsed in a thread
of its own that hands over chunks of formatted rows (`pipeline`), each chunk is loaded into
temporary staging tables (`staging`: COPY on PostgreSQL, batched inserts on SQLite) and landed by
the service with set-based statements. Bad rows are line-numbered errors (`errors`), bounded in
number; a file that cannot be read at all is `FileUnusable` and nothing of it lands. One client's
loads of one kind take turns (`locks`).
"""

from quintet_shared.bulk.errors import MAX_ERRORS, MAX_KEPT_ERRORS, ErrorLog, FileUnusable, LineError
from quintet_shared.bulk.locks import lock_across_transactions, lock_for_transaction
from quintet_shared.bulk.pipeline import chunks_from_thread
from quintet_shared.bulk.source import HashingSource, Progress
from quintet_shared.bulk.staging import COPY_NULL, copy_rows, copy_text, create_temp_table, dialect, drop_temp_tables

__all__ = [
    "COPY_NULL",
    "MAX_ERRORS",
    "MAX_KEPT_ERRORS",
    "ErrorLog",
    "FileUnusable",
    "HashingSource",
    "LineError",
    "Progress",
    "chunks_from_thread",
    "copy_rows",
    "copy_text",
    "create_temp_table",
    "dialect",
    "drop_temp_tables",
    "lock_across_transactions",
    "lock_for_transaction",
]
