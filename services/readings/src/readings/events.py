"""Payloads of the events the readings service publishes (it owns these contracts)."""

from pydantic import BaseModel, Field

FILE_INGESTED = "readings.file.ingested"


class FileIngested(BaseModel):
    """`readings.file.ingested`: one file went through ingestion, whatever became of its rows.

    A strict rejection is published too (status REJECTED, no new readings), so that a consumer sees
    every file a client sent; a file that could not be read at all is not an ingestion and is not.
    """

    client: str
    file_id: int
    name: str
    sha256: str
    status: str = Field(description="INGESTED, PARTIAL (some rows rejected) or REJECTED (strict)")
    supply_points: int = Field(description="Distinct supply points the file's readings belong to")
    new_readings: int
    duplicates: int = Field(description="Readings already stored before this file")
    rejected: int = Field(description="Rows reported as errors")
