"""Parsed readings into staging, in runs, with the checks that one pass over the stream can make.

Readings come in runs: consecutive readings of the same supply point and meter (a carrots meter
block, a potatoes supply point). Each run is a group: its identifiers are checked and written once.
A time that repeats inside a run is a duplicate, reported here with the line it repeats, so the
usual file needs no duplicate search in the database. Only a supply point or meter that comes back
in a later run (or a run longer than RUN_MEMORY, which is split) makes the database compare
groups (resolve.py). Memory: the current run's times, at most RUN_MEMORY of them.
"""

from collections.abc import Iterable
from datetime import datetime

from readings.formats.base import Parsed, ParsedReading
from readings.ingestion.result import ErrorLog
from readings.ingestion.rows import check_value, meta_problem, row_problem
from readings.ingestion.staging import StagingSink

RUN_MEMORY = 100_000


def stage(items: Iterable[Parsed], sink: StagingSink, errors: ErrorLog) -> int:
    """Stream the parsed readings into staging; returns how many were staged."""
    seq = grp = 0
    run: tuple[object, ...] | None = None
    run_issue: str | None = None
    group_open = False
    times: dict[datetime, int] = {}
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
            sink.group(grp, seq, item)
        sink.reading(seq, grp, item, value)
    return seq
