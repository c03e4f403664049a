"""Parsed readings into staging, in runs, with the checks that one pass over the stream can make.

Readings come in runs: consecutive readings of the same supply point and meter (a carrots meter
block, a potatoes supply point). Each run is a group: its identifiers are checked and written once.
A time that repeats inside a run is a duplicate, reported here with the line it repeats, so the
usual file needs no duplicate search in the database. A group whose supply point and meter came
before in the file (a revisit, or the rest of a run longer than RUN_MEMORY, which is split) is
flagged: only such groups make the database compare times across runs (resolve.py).

Memory: the current run's times (at most RUN_MEMORY) and the supply point and meter keys met so
far (at most KEY_MEMORY; past that, every group of a key not remembered is flagged, which is
slower but never wrong).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from quintet_shared.bulk import ErrorLog
from readings.formats.base import Parsed, ParsedReading
from readings.ingestion.rows import check_value, meta_problem, row_problem

RUN_MEMORY = 100_000
KEY_MEMORY = 200_000


class StagingSink(Protocol):
    def reading(self, seq: int, grp: int, reading: ParsedReading, value: str) -> None: ...

    def group(self, grp: int, first_seq: int, reading: ParsedReading, revisit: bool) -> None: ...


def stage(items: Iterable[Parsed], sink: StagingSink, errors: ErrorLog) -> int:
    """Stream the parsed readings into staging; returns how many were staged."""
    seq = grp = 0
    run: tuple[object, ...] | None = None
    run_issue: str | None = None
    group_open = False
    times: dict[datetime, int] = {}
    keys = _Keys()
    for item in items:
        if type(item) is not ParsedReading:
            errors.add(item.line, item.message)
            continue
        key = (item.identifier, item.meter_serial, item.manufacturer, item.meter_kind)
        if key != run or len(times) >= RUN_MEMORY:
            run, run_issue, group_open, times = key, meta_problem(item), False, {}
        issue = run_issue or row_problem(item)
        value = check_value(item.value) if issue is None else None
        if value is None:
            errors.add(item.line, issue or f"value {item.value!r} does not fit a decimal (16,4)")
            continue
        first_line = times.get(item.read_at)
        if first_line is not None:
            errors.add(item.line, f"duplicate of line {first_line}")
            continue
        times[item.read_at] = item.line
        seq += 1
        if not group_open:
            grp += 1
            group_open = True
            sink.group(grp, seq, item, keys.revisit((item.identifier, item.meter_serial)))
        sink.reading(seq, grp, item, value)
    return seq


class _Keys:
    """The supply point and meter keys met so far, up to KEY_MEMORY of them."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str | None]] = set()
        self.forgot = False

    def revisit(self, key: tuple[str, str | None]) -> bool:
        if key in self.seen:
            return True
        if len(self.seen) >= KEY_MEMORY:
            self.seen.clear()
            self.forgot = True
        self.seen.add(key)
        return self.forgot
