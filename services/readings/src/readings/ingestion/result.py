"""What an ingestion reports: its counts, its status and the first row errors (all are counted)."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from readings.formats.base import FileUnusable

MAX_KEPT_ERRORS = 1000  # a file of a million bad rows must not become a million objects in memory
MAX_ERRORS = 100_000
"""Past this many rejected rows the file is given up: a file that bad is the wrong file, and a
hostile one (ten million empty objects, one record repeated millions of times) must not cost a
full parse. Nothing of it lands; the reason names the cap and the line reached."""


class FileStatus(StrEnum):
    INGESTED = "INGESTED"  # every row is in (new or already stored)
    PARTIAL = "PARTIAL"  # valid rows landed, some rows were rejected
    REJECTED = "REJECTED"  # strict mode and at least one bad row: nothing landed


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass
class ErrorLog:
    """Counts every error and keeps the first `limit` of them in line order; past `cap` errors, gives the
    file up (FileUnusable)."""

    limit: int = MAX_KEPT_ERRORS
    count: int = 0
    kept: list[LineError] = field(default_factory=list)
    cap: int = MAX_ERRORS

    def add(self, line: int, message: str) -> None:
        self.count += 1
        if self.count > self.cap:
            raise FileUnusable(
                f"too many errors: more than {self.cap} rows were rejected, so reading stopped at line {line} "
                f"(the last one: {message})"
            )
        if len(self.kept) < self.limit:
            self.kept.append(LineError(line, message))

    def merged(self, others: list[LineError]) -> list[LineError]:
        return sorted([*self.kept, *others], key=lambda error: error.line)[: self.limit]


@dataclass(frozen=True)
class EarlierIngestion:
    file_id: int
    created_at: datetime


@dataclass(frozen=True)
class IngestResult:
    file_id: int
    client: str
    name: str
    status: FileStatus
    sha256: str
    size_bytes: int
    supply_points: int
    new_readings: int
    duplicates: int
    rejected: int
    errors: list[LineError]
    earlier: EarlierIngestion | None = None  # the first ingestion of the same bytes, if any

    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            "file_id": self.file_id,
            "status": self.status.value,
            "sha256": self.sha256,
            "supply_points": self.supply_points,
            "new_readings": self.new_readings,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }
        if self.earlier is not None:
            counts["same_file_ingested_before"] = {
                "file_id": self.earlier.file_id,
                "created_at": self.earlier.created_at.isoformat(),
            }
        return counts
