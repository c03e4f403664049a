"""Ingestion of client files: parse as a stream into a staging table, then land rows set-based.

Python memory stays constant whatever the file size: rows are written to staging as the parser
yields them (COPY on PostgreSQL, batched inserts on SQLite) and the database does the rest.
"""

from readings.ingestion.result import FileStatus, IngestResult, LineError
from readings.ingestion.usecase import ingest_file

__all__ = ["FileStatus", "IngestResult", "LineError", "ingest_file"]
