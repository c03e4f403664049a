"""carrots: files that are not usable at all, and lines too long to hold."""

import io
import tracemalloc
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from readings.formats.base import MAX_LINE_BYTES, FileUnusable, ParsedReading, RowError
from readings.formats.carrots import CarrotsParser

TOKYO = ZoneInfo("Asia/Tokyo")


class GeneratedStream(io.RawIOBase):
    """A file produced piece by piece, so a test can feed a huge line without ever holding it."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._pending:
            self._pending = next(self._pieces, b"")
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def parse(data: bytes) -> list:
    return list(CarrotsParser().parse(io.BytesIO(data), timezone=TOKYO))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"\n  \r\n\n", "the file is empty"),
        (b"020|0300\x00\x00\x01\n", "binary (it contains NUL bytes)"),
        (bytes(range(128, 256)) * 8, "binary (its first kilobyte is mostly not UTF-8)"),
        (b"hello|world\n020|0300\n", "not a carrots file: line 1 starts with 'hello'"),
        (b'\n[{"identifier": "120000003100", "readings": []}]', "not a carrots file: line 2 starts with"),
    ],
    ids=["empty", "blank lines only", "NUL bytes", "undecodable", "unknown first record", "a JSON file"],
)
def test_unusable_file(data: bytes, reason: str) -> None:
    with pytest.raises(FileUnusable, match=None) as raised:
        parse(data)
    assert reason in str(raised.value)


def test_a_byte_order_mark_is_ignored() -> None:
    items = parse(b"\xef\xbb\xbf020|0300\n022|M|X|01\n024|20231201|01|1\n")
    assert [item.line for item in items] == [3]


def test_line_just_within_the_limit_is_read() -> None:
    identifier_line = b"020|" + b"1" * 60 + b"|" + b"x" * (MAX_LINE_BYTES - 65)  # exactly MAX_LINE_BYTES
    items = parse(identifier_line + b"\r\n")
    assert [(item.line, item.message) for item in items] == [(1, "supply point (020) has 3 fields, expected 2")]


def test_absurd_line_is_reported_and_skipped_in_constant_memory() -> None:
    huge = 10 * 1024 * 1024

    def pieces() -> Iterator[bytes]:
        yield b"020|0300\n022|M1|X|01\n024|20231201|01|"
        for _ in range(huge // 65536):
            yield b"9" * 65536
        yield b"\n024|20231201|02|0.5\n"

    tracemalloc.start()
    try:
        stream = io.BufferedReader(GeneratedStream(pieces()))
        items = list(CarrotsParser().parse(stream, timezone=TOKYO))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(item.line, item.message) for item in items if isinstance(item, RowError)] == [
        (3, f"line is longer than {MAX_LINE_BYTES} bytes; skipped")
    ]
    assert [(item.line, item.value) for item in items if isinstance(item, ParsedReading)] == [(4, "0.5")]
    assert peak < 1024 * 1024, f"peak {peak} bytes while skipping a {huge}-byte line"


def test_absurd_last_line_without_newline() -> None:
    items = parse(b"020|0300\n022|M1|X|01\n024|" + b"1" * (MAX_LINE_BYTES * 3))
    assert [(item.line, item.message) for item in items] == [
        (3, f"line is longer than {MAX_LINE_BYTES} bytes; skipped")
    ]


def test_absurd_first_line_of_an_unknown_kind_makes_the_file_unusable() -> None:
    with pytest.raises(FileUnusable, match="not a carrots file"):
        parse(b"x" * (MAX_LINE_BYTES * 2) + b"\n020|0300\n")
