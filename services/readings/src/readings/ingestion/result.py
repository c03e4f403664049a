"""What an ingestion reports: its counts, its status and the first row errors (all are counted)."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from quintet_shared.bulk import LineError


class FileStatus(StrEnum):
    INGESTED = "INGESTED"  # every row is in (new or already stored)
    PARTIAL = "PARTIAL"  # valid rows landed, some rows were rejected
    REJECTED = "REJECTED"  # strict mode and at least one bad row: nothing landed


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
