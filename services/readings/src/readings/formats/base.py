"""What every format parser produces: flat readings (with their supply point and meter) and
line-numbered problems, one at a time, so that memory stays constant whatever the file size."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol
from zoneinfo import ZoneInfo

from quintet_shared.bounded import MAX_LINE_BYTES as KIT_MAX_LINE_BYTES
from quintet_shared.bulk import FileUnusable as FileUnusable  # raised by every parser
from readings.models import MeterKind

MAX_LINE_BYTES = KIT_MAX_LINE_BYTES  # a longer line is reported and skipped, never read into memory whole


@dataclass(frozen=True, slots=True)
class ParsedReading:
    line: int  # where it came from: a line number, or for JSON the position described in `errors`
    identifier: str  # the supply point
    read_at: datetime  # UTC
    value: str  # an exact decimal, as written (validated as a number by the parser)
    meter_serial: str | None = None
    manufacturer: str | None = None
    meter_kind: MeterKind | None = None
    interval_minutes: int | None = None
    time_code: int | None = None
    method: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


Parsed = ParsedReading | RowError


class Parser(Protocol):
    name: str
    description: str

    def parse(self, stream: BinaryIO, *, timezone: ZoneInfo) -> Iterator[Parsed]:
        """Yield readings and row problems in file order; raise FileUnusable for a file that is not
        this format at all. Must not hold more than a record's worth of the file in memory."""
        ...
