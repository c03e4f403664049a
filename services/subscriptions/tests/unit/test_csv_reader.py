"""The CSV reader and its value checks, without a database: headers in any order, local times to UTC
across time zones and daylight saving, bad values as row errors, unreadable files refused whole."""

import io
from zoneinfo import ZoneInfo

import pytest

from quintet_shared.bulk import FileUnusable, LineError
from subscriptions.csv_chunks import Chunk, ChunkBuilder
from subscriptions.csv_format import Kind
from subscriptions.csv_reader import CsvReader
from subscriptions.csv_values import LocalTimes


def rows(kind: Kind, content: str | bytes, zone: str = "UTC", today: str = "2026-03-02") -> list[object]:
    body = content.encode() if isinstance(content, str) else content
    return list(CsvReader(kind, LocalTimes(ZoneInfo(zone)), today).rows(io.BytesIO(body)))


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        ("UTC", "2026-03-02 09:05:07", "2026-03-02 09:05:07"),
        ("Africa/Nairobi", "2026-03-02 01:00:00", "2026-03-01 22:00:00"),  # the day before in UTC
        ("Asia/Kathmandu", "2026-03-02 10:05:07", "2026-03-02 04:20:07"),  # +05:45
        ("Europe/Berlin", "2026-03-29 01:30:00", "2026-03-29 00:30:00"),  # +01:00 before the change
        ("Europe/Berlin", "2026-03-29 03:30:00", "2026-03-29 01:30:00"),  # +02:00 after it
        ("America/St_Johns", "2026-07-01 12:00:00", "2026-07-01 14:30:00"),  # -02:30
    ],
)
def test_local_times_become_utc(zone: str, local: str, utc: str) -> None:
    assert LocalTimes(ZoneInfo(zone)).utc(local) == utc


@pytest.mark.parametrize(
    "text",
    ["2026-03-02", "2026-03-02T09:00:00", "2026-02-29 09:00:00", "2026-03-02 24:00:00", "2026-03-02 09:60:00",
     "2026-03-02 09:00:60", "0001-01-01 00:00:00", "2026-03-02 09:0a:00", "",
     "\uff12\uff10\uff12\uff16-03-02 09:00:00"],  # full-width digits
)  # fmt: skip
def test_what_is_not_a_local_time(text: str) -> None:
    assert LocalTimes(ZoneInfo("UTC")).utc(text) is None


def test_columns_in_any_order_extra_ones_ignored_and_the_plan_by_service_id() -> None:
    found = rows(
        Kind.ADDITIONS, "Extra, SERVICE_ID ,lon,lat,ts,msisdn\nx,21,36.8,-1.3,2026-03-03 08:00:00,254700000001\n"
    )
    assert found == [(2, "254700000001", "2026-03-03 08:00:00", "-1.3", "36.8", -1.3, 36.8, "weekly", "2026-03-03")]


def test_an_addition_of_a_past_day_is_billed_from_today() -> None:
    (row,) = rows(Kind.ADDITIONS, "msisdn,ts,lat,lon,original_sub_plan\n254700000001,2026-02-20 08:00:00,0,0,11\n")
    assert row[-1] == "2026-03-02"  # type: ignore[index]


def test_bad_values_are_row_errors_naming_the_value() -> None:
    found = rows(Kind.FORECASTS, "gid,lat,lon,fcat24,fcat48\na/b,0,0,x,y\n1,0,181,x,y\n2,0,0," + "x" * 201 + ",y\n")
    assert [(e.line, e.message.split(" ")[0]) for e in found] == [(2, "gid"), (3, "lon"), (4, "fcat24")]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00m", "not UTF-8"),
        (b"msisdn\n", "the header lacks ts"),
        (b"msisdn,ts\n254700000001,2026-03-02 09:00:00\n" + b"y" * 5000 + b"\n", "line 3 is longer than 4096 bytes"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(content: bytes, reason: str) -> None:
    with pytest.raises(FileUnusable, match=reason):
        rows(Kind.CANCELLATIONS, content)


def test_a_chunk_keeps_the_row_in_force_of_each_msisdn_and_counts_the_others() -> None:
    emitted: list[Chunk] = []
    builder = ChunkBuilder(Kind.UPDATES, False, None, emitted.append, limit=10)
    builder._nearest = lambda held: [None] * len(held)  # type: ignore[method-assign]
    content = "msisdn,ts,lat,lon\n" + "".join(
        f"25470000000{n},2026-03-02 0{hour}:00:00,{hour},0\n" for n, hour in ((1, 5), (2, 5), (1, 7), (1, 6))
    )
    for row in rows(Kind.UPDATES, content):
        assert not isinstance(row, LineError)
        builder.add(row)  # type: ignore[arg-type]
    builder.cut()
    (chunk,) = emitted
    assert (chunk.first, chunk.last, chunk.size, builder.good, builder.repeated) == (2, 5, 2, 4, 2)
    assert sorted(chunk.rows) == [
        (3, "254700000002", "2026-03-02 05:00:00.000000", 5.0, 0.0, None),
        (4, "254700000001", "2026-03-02 07:00:00.000000", 7.0, 0.0, None),  # the latest ts, not the last line
    ]
