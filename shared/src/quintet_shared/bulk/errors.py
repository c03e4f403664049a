"""What a bulk load reports of a file: its bad rows with their line, bounded, or why it could not
be read at all."""

from dataclasses import dataclass, field
from typing import Any

MAX_KEPT_ERRORS = 1000  # a file of a million bad rows must not become a million objects in memory
MAX_ERRORS = 100_000
"""Past this many rejected rows the file is given up: a file that bad is the wrong file, and a
hostile one (ten million empty objects, one record repeated millions of times) must not cost a
full parse. Nothing of it lands; the reason names the cap and the line reached."""


class FileUnusable(ValueError):
    """The file as a whole cannot be read (empty, binary, not the format at all, too many bad rows):
    nothing of it lands. `line` is where that was found, when one line is to blame (a missing header)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


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
