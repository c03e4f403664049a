"""Staging in runs: groups, the checks made in one pass, and the run split (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from quintet_shared.bulk import ErrorLog
from readings.formats.base import ParsedReading, RowError
from readings.ingestion import stager
from readings.models import MeterKind

AT = datetime(2023, 12, 1, tzinfo=UTC)


class ListSink:
    def __init__(self) -> None:
        self.groups: list[tuple[int, int, str, str | None]] = []
        self.revisits: list[bool] = []
        self.readings: list[tuple[int, int, int]] = []  # seq, group, line

    def reading(self, seq: int, grp: int, reading: ParsedReading, value: str) -> None:
        self.readings.append((seq, grp, reading.line))

    def group(self, grp: int, first_seq: int, reading: ParsedReading, revisit: bool) -> None:
        self.groups.append((grp, first_seq, reading.identifier, reading.meter_serial))
        self.revisits.append(revisit)


def reading(line: int, identifier: str, serial: str | None, minutes: int, value: str = "1") -> ParsedReading:
    kind = MeterKind.INTERVAL if serial else None
    return ParsedReading(
        line=line,
        identifier=identifier,
        read_at=AT + timedelta(minutes=minutes),
        value=value,
        meter_serial=serial,
        manufacturer="ACME" if serial else None,
        meter_kind=kind,
    )


def test_runs_become_groups_and_a_returning_meter_a_new_group() -> None:
    sink, errors = ListSink(), ErrorLog()
    items = [
        reading(1, "sp1", "m1", 0),
        reading(2, "sp1", "m1", 30),
        reading(3, "sp1", "m2", 0),
        reading(4, "sp2", None, 0),
        reading(5, "sp1", "m1", 60),
    ]
    assert stager.stage(items, sink, errors) == 5
    assert sink.groups == [(1, 1, "sp1", "m1"), (2, 3, "sp1", "m2"), (3, 4, "sp2", None), (4, 5, "sp1", "m1")]
    assert [grp for _, grp, _ in sink.readings] == [1, 1, 2, 3, 4]
    assert sink.revisits == [False, False, False, True] and errors.count == 0


def test_a_repeated_time_inside_a_run_names_the_first_line() -> None:
    sink, errors = ListSink(), ErrorLog()
    items = [reading(1, "sp1", "m1", 0), reading(2, "sp1", "m1", 30), reading(3, "sp1", "m1", 0)]
    assert stager.stage(items, sink, errors) == 2
    assert [(e.line, e.message) for e in errors.kept] == [(3, "duplicate of line 1")]


def test_bad_rows_and_parser_errors_are_reported_and_not_staged() -> None:
    sink, errors = ListSink(), ErrorLog()
    items = [
        RowError(1, "broken"),
        reading(2, "x" * 65, None, 0),
        reading(3, "sp1", None, 0, value="1e99"),
        reading(4, "sp1", None, 30),
    ]
    assert stager.stage(items, sink, errors) == 1
    assert [e.line for e in errors.kept] == [1, 2, 3]
    assert sink.groups == [(1, 1, "sp1", None)] and sink.readings == [(1, 1, 4)]


def test_a_long_run_is_split_so_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stager, "RUN_MEMORY", 3)
    sink = ListSink()
    assert stager.stage([reading(n, "sp1", "m1", 30 * n) for n in range(1, 8)], sink, ErrorLog()) == 7
    assert [grp for _, grp, _ in sink.readings] == [1, 1, 1, 2, 2, 2, 3]
    assert sink.revisits == [False, True, True]  # the database compares the parts


def test_past_its_key_memory_every_unremembered_group_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stager, "KEY_MEMORY", 2)
    sink = ListSink()
    stager.stage([reading(n, f"sp{n}", None, 0) for n in range(1, 5)], sink, ErrorLog())
    assert sink.revisits == [False, False, True, True]
