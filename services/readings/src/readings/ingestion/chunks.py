"""Staged readings cut into chunks of formatted rows, which the parser thread (the kit's
quintet_shared.bulk.chunks_from_thread) hands to the landing while it parses the next one."""

from collections.abc import Callable
from typing import Any

from readings.formats.base import ParsedReading
from readings.ingestion.rows import CopyFormatter, SqliteFormatter
from readings.ingestion.staging import Chunk

CHUNK_ROWS = 100_000


class ChunkBuilder:
    """A staging sink (see stager.py) that cuts the stream into chunks of about CHUNK_ROWS rows."""

    def __init__(self, formatter: CopyFormatter | SqliteFormatter, emit: Callable[[Chunk], None]) -> None:
        self.format = formatter
        self.emit = emit
        self.as_text = isinstance(formatter, CopyFormatter)
        self.rows: list[Any] = []
        self.groups: list[Any] = []
        self.after_seq = self.first_grp = self.last_grp = 0

    def group(self, grp: int, first_seq: int, reading: ParsedReading, revisit: bool) -> None:
        self.groups.append(self.format.group(grp, first_seq, reading, revisit))
        self.last_grp = grp

    def reading(self, seq: int, grp: int, reading: ParsedReading, value: str) -> None:
        if len(self.rows) >= CHUNK_ROWS:
            self.cut()
        if not self.rows:
            self.first_grp = grp
        self.rows.append(self.format.reading(seq, grp, reading, value))

    def cut(self) -> None:
        if not (self.rows or self.groups):
            return
        rows, groups = ("".join(self.rows), "".join(self.groups)) if self.as_text else (self.rows, self.groups)
        self.emit(Chunk(rows, groups, self.after_seq, self.first_grp or self.last_grp))
        self.after_seq += len(self.rows)
        self.rows, self.groups = [], []
