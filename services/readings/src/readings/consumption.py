"""Energy used per period: the rules, free of any database, so they are tested on plain values.

Periods are the client's local calendar hours, days or months (its time zone, not UTC), clipped to the
requested `[from, to)`: when `from` falls inside a day, the first period starts at `from`. Every period
of the range is listed, also those no reading covers (`consumption` "0.0000", `has_data` false), so a
chart gets a regular axis and can still tell "used nothing" from "know nothing".

- Interval readings (a value per interval, e.g. half hours): a period gets the values of the intervals
  that START in it. An interval longer than the period, or one not aligned on the period's boundaries,
  is not split. Half-hour intervals never straddle an hour, day or month boundary of a zone whose
  offset is a whole number of half hours (nearly all).
- Register readings (a running total): the difference between two consecutive reads of the same meter
  is spread linearly in time over the span between them, each period taking the share of the span it
  overlaps; a span that reaches outside `[from, to)` contributes only its inside share. Shares are
  computed in whole 0.0001 kWh by the largest-remainder method, so the shares of one span always add
  up exactly to its difference. A difference below zero (the meter was reset or replaced) is not
  counted at all, never as negative use: it is reported in `warnings` with its meter and span.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from readings.schemas import Granularity

UNITS_PER_KWH = 10_000  # values are kept in whole ten-thousandths, the stored precision
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class RegisterRead:
    meter: str | None  # serial; None for a format whose readings have no meter
    read_at: datetime
    value: Decimal


@dataclass(frozen=True)
class Span:
    meter: str | None
    start: datetime
    end: datetime
    start_value: Decimal
    end_value: Decimal


@dataclass
class Usage:
    """Per period, in ten-thousandths of a kWh."""

    bounds: list[tuple[datetime, datetime]]
    interval: list[int] = field(default_factory=list)
    register: list[int] = field(default_factory=list)
    covered: list[bool] = field(default_factory=list)
    decreases: list[Span] = field(default_factory=list)

    def __post_init__(self) -> None:
        size = len(self.bounds)
        self.interval, self.register, self.covered = [0] * size, [0] * size, [False] * size


def to_units(value: Decimal) -> int:
    return int((value * UNITS_PER_KWH).to_integral_value())


def format_units(units: int) -> str:
    return f"{Decimal(units).scaleb(-4):.4f}"


def _local_floor(moment: datetime, granularity: Granularity, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    if granularity is not Granularity.HOUR:
        local = local.replace(hour=0)
    if granularity is Granularity.MONTH:
        local = local.replace(day=1)
    return local


def _next_boundary(local: datetime, granularity: Granularity, zone: ZoneInfo) -> datetime:
    if granularity is Granularity.HOUR:
        # Stepping in absolute time keeps hours 60 minutes long across a DST change.
        return (local.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    if granularity is Granularity.DAY:
        following = local.date() + timedelta(days=1)
    else:
        following = (local.replace(day=28) + timedelta(days=4)).replace(day=1).date()
    return datetime(following.year, following.month, following.day, tzinfo=zone)


Bounds = list[tuple[datetime, datetime]]


def periods(start: datetime, end: datetime, granularity: Granularity, zone: ZoneInfo) -> Bounds:
    """The local calendar periods that meet `[start, end)`, clipped to it (as UTC instants)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # compared as instants, never as wall clocks
    bounds: Bounds = []
    boundary = _local_floor(start, granularity, zone)
    while boundary < end:
        following = _next_boundary(boundary, granularity, zone)
        # Kept in UTC: Python subtracts two times of the same zone on the wall clock, wrong across DST.
        bounds.append((max(boundary, start).astimezone(UTC), min(following, end).astimezone(UTC)))
        boundary = following
    return bounds


def add_intervals(usage: Usage, rows: Iterable[tuple[datetime, Decimal]]) -> None:
    """Each interval's value goes to the period its start falls in."""
    starts = [start for start, _ in usage.bounds]
    range_end = usage.bounds[-1][1] if usage.bounds else None
    for read_at, value in rows:
        index = bisect_right(starts, read_at) - 1
        if index < 0 or range_end is None or read_at >= range_end:
            continue
        usage.interval[index] += to_units(value)
        usage.covered[index] = True


def spans(reads: Sequence[RegisterRead]) -> list[Span]:
    """Consecutive reads of each meter, paired; `reads` may mix meters and be in any order."""
    ordered = sorted(reads, key=lambda read: (read.meter or "", read.meter is None, read.read_at))
    return [
        Span(before.meter, before.read_at, after.read_at, before.value, after.value)
        for before, after in pairwise(ordered)
        if before.meter == after.meter and after.read_at > before.read_at
    ]


def _shares(units: int, weights: list[int]) -> list[int]:
    """Split `units` in proportion to `weights` (whole units, largest remainder, earliest first on ties)."""
    total = sum(weights)
    floors = [units * weight // total for weight in weights]
    remainders = [units * weight % total for weight in weights]
    leftover = units - sum(floors)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        floors[index] += 1
    return floors


def add_span(usage: Usage, span: Span) -> None:
    if span.end_value < span.start_value:
        usage.decreases.append(span)
        return
    starts = [start for start, _ in usage.bounds]
    first = max(bisect_right(starts, span.start) - 1, 0)
    last = bisect_left(starts, span.end)
    touched = [
        index
        for index in range(first, last)
        if min(span.end, usage.bounds[index][1]) > max(span.start, usage.bounds[index][0])
    ]
    overlaps = [
        (min(span.end, usage.bounds[i][1]) - max(span.start, usage.bounds[i][0])) // MICROSECOND for i in touched
    ]
    outside = (span.end - span.start) // MICROSECOND - sum(overlaps)
    # The share outside the range takes part in the rounding, so inside shares do not depend on it.
    shares = _shares(to_units(span.end_value - span.start_value), [*overlaps, outside])
    for index, share in zip(touched, shares, strict=False):
        usage.register[index] += share
        usage.covered[index] = True


def compute(
    bounds: list[tuple[datetime, datetime]],
    intervals: Iterable[tuple[datetime, Decimal]],
    register_reads: Sequence[RegisterRead],
) -> Usage:
    usage = Usage(bounds)
    add_intervals(usage, intervals)
    for span in spans(register_reads):
        add_span(usage, span)
    return usage
