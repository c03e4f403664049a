"""Ingestion of client files: parsed as a stream in a thread of its own, landed chunk by chunk.

Python memory stays bounded whatever the file size: the parser's readings are formatted into
chunks (chunks.py), each chunk is loaded into staging tables (COPY on PostgreSQL, batched inserts
on SQLite) and landed set-based (resolve.py) while the next one is parsed. SQLite, which has one
writer, stages the whole file first and lands it at the end, so that its write lock is held for
the landing only (usecase.py).
"""

from quintet_shared.bulk import LineError
from readings.ingestion.result import FileStatus, IngestResult
from readings.ingestion.usecase import ingest_file

__all__ = ["FileStatus", "IngestResult", "LineError", "ingest_file"]
