"""The consumption rules on plain values: local periods, interval sums, register apportionment."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from readings.consumption import RegisterRead, compute, format_units, periods, spans
from readings.schemas import Granularity

TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local(bounds: list[tuple[datetime, datetime]], zone: ZoneInfo = TOKYO) -> list[tuple[str, str]]:
    return [(start.astimezone(zone).isoformat(), end.astimezone(zone).isoformat()) for start, end in bounds]


def test_tokyo_days_start_at_15_utc() -> None:
    bounds = periods(utc("2023-11-30T15:00:00Z"), utc("2023-12-02T15:00:00Z"), Granularity.DAY, TOKYO)
    assert bounds[0][0] == utc("2023-11-30T15:00:00Z")
    assert local(bounds) == [
        ("2023-12-01T00:00:00+09:00", "2023-12-02T00:00:00+09:00"),
        ("2023-12-02T00:00:00+09:00", "2023-12-03T00:00:00+09:00"),
    ]


def test_periods_are_clipped_to_the_range() -> None:
    bounds = periods(utc("2023-12-01T10:30:00+09:00"), utc("2023-12-02T06:00:00+09:00"), Granularity.DAY, TOKYO)
    assert local(bounds) == [
        ("2023-12-01T10:30:00+09:00", "2023-12-02T00:00:00+09:00"),
        ("2023-12-02T00:00:00+09:00", "2023-12-02T06:00:00+09:00"),
    ]


def test_months_follow_the_calendar() -> None:
    bounds = periods(utc("2024-01-01T00:00:00+09:00"), utc("2024-04-01T00:00:00+09:00"), Granularity.MONTH, TOKYO)
    assert [(e - s).days for s, e in bounds] == [31, 29, 31]


def test_hours_and_days_across_a_dst_change() -> None:
    # London 2023-03-26: 01:00 GMT becomes 02:00 BST; the local day lasts 23 hours.
    days = periods(utc("2023-03-26T00:00:00Z"), utc("2023-03-27T00:00:00+01:00"), Granularity.DAY, LONDON)
    assert [e - s for s, e in days] == [timedelta(hours=23)]
    hours = periods(utc("2023-03-26T00:00:00Z"), utc("2023-03-26T03:00:00+01:00"), Granularity.HOUR, LONDON)
    assert [s for s, _ in local(hours, LONDON)] == ["2023-03-26T00:00:00+00:00", "2023-03-26T02:00:00+01:00"]


def test_interval_values_go_to_the_period_they_start_in() -> None:
    bounds = periods(utc("2023-12-01T00:00:00+09:00"), utc("2023-12-01T02:00:00+09:00"), Granularity.HOUR, TOKYO)
    start = utc("2023-11-30T15:00:00Z")
    halves = [(start + timedelta(minutes=30 * n), Decimal(n + 1) / 100) for n in range(5)]
    usage = compute(bounds, halves, [])
    assert [format_units(units) for units in usage.interval] == ["0.0300", "0.0700"]  # the 5th is outside
    assert usage.covered == [True, True]


def test_a_register_difference_is_spread_linearly_and_exactly() -> None:
    bounds = periods(utc("2023-12-01T00:00:00Z"), utc("2023-12-04T00:00:00Z"), Granularity.DAY, ZoneInfo("UTC"))
    reads = [
        RegisterRead("m", utc("2023-12-01T00:00:00Z"), Decimal("100")),
        RegisterRead("m", utc("2023-12-04T00:00:00Z"), Decimal("100.0001")),  # 1 unit over 3 days
        RegisterRead("m", utc("2023-12-02T12:00:00Z"), Decimal("100")),
    ]
    usage = compute(bounds, [], reads)
    assert sum(usage.register) == 1
    assert usage.register == [0, 0, 1]  # 0 over the first 1.5 days; the 1 unit over the last 1.5 days
    thirds = compute(bounds, [], [reads[0], RegisterRead("m", utc("2023-12-04T00:00:00Z"), Decimal("110"))])
    assert [format_units(u) for u in thirds.register] == ["3.3334", "3.3333", "3.3333"]  # sums to 10 exactly


def test_only_the_inside_share_of_an_edge_span_counts() -> None:
    bounds = periods(utc("2023-12-02T00:00:00Z"), utc("2023-12-03T00:00:00Z"), Granularity.DAY, ZoneInfo("UTC"))
    reads = [
        RegisterRead(None, utc("2023-12-01T00:00:00Z"), Decimal("0")),
        RegisterRead(None, utc("2023-12-05T00:00:00Z"), Decimal("40")),
    ]
    assert [format_units(u) for u in compute(bounds, [], reads).register] == ["10.0000"]


def test_a_decrease_is_reported_not_counted() -> None:
    bounds = periods(utc("2023-12-01T00:00:00Z"), utc("2023-12-03T00:00:00Z"), Granularity.DAY, ZoneInfo("UTC"))
    reads = [
        RegisterRead("m", utc("2023-12-01T00:00:00Z"), Decimal("500")),
        RegisterRead("m", utc("2023-12-02T00:00:00Z"), Decimal("3")),  # reset
        RegisterRead("m", utc("2023-12-03T00:00:00Z"), Decimal("8")),
    ]
    usage = compute(bounds, [], reads)
    assert [format_units(u) for u in usage.register] == ["0.0000", "5.0000"]
    assert usage.covered == [False, True]
    assert [(s.start_value, s.end_value) for s in usage.decreases] == [(Decimal("500"), Decimal("3"))]


def test_spans_pair_reads_of_the_same_meter_only() -> None:
    reads = [
        RegisterRead("b", utc("2023-12-02T00:00:00Z"), Decimal("5")),
        RegisterRead("a", utc("2023-12-01T00:00:00Z"), Decimal("1")),
        RegisterRead("b", utc("2023-12-01T00:00:00Z"), Decimal("4")),
        RegisterRead(None, utc("2023-12-01T00:00:00Z"), Decimal("9")),
    ]
    assert [(s.meter, s.start_value, s.end_value) for s in spans(reads)] == [("b", Decimal("4"), Decimal("5"))]
