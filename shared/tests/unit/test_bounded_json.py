"""quintet_shared.bounded.json: every size of an untrusted JSON document is bounded, in linear time
and constant memory, and a refusal names its limit and line."""

import io
import time
import tracemalloc
from decimal import Decimal

import ijson
import pytest

from quintet_shared.bounded import InputLimitExceeded, JsonLimits, json_events


def events(data: bytes, limits: JsonLimits | None = None) -> list[tuple[str, object]]:
    return list(json_events(io.BytesIO(data), limits))


def refusal(data: bytes, limits: JsonLimits | None = None) -> str:
    with pytest.raises(InputLimitExceeded) as raised:
        events(data, limits)
    return str(raised.value)


def test_events_are_ijson_basic_events_with_exact_numbers() -> None:
    assert events(b'[{"a": 1.50, "b": ["x", 2]}]') == [
        ("start_array", None),
        ("start_map", None),
        ("map_key", "a"),
        ("number", Decimal("1.50")),
        ("map_key", "b"),
        ("start_array", None),
        ("string", "x"),
        ("number", 2),
        ("end_array", None),
        ("end_map", None),
        ("end_array", None),
    ]


def test_deep_nesting_is_refused_at_the_limit_with_its_line() -> None:
    assert len(events(b"[" * 64 + b"]" * 64)) == 128
    # The line is exact when the block being parsed holds one line, else the block's range of lines.
    assert refusal(b"\n\n" + b"[" * 65 + b"]" * 65) == "lines 1-3: nesting deeper than 64 levels"
    assert refusal(b"[" * 65, JsonLimits(block_bytes=16)) == "line 1: nesting deeper than 64 levels"


def test_deeply_nested_json_is_refused_in_linear_time_and_constant_memory() -> None:
    """ijson's prefixes made 20,000 levels cost 426 MB; the refusal must come before any of that."""
    deep = b'[{"a":' * 120_000 + b"1" + b"}]" * 120_000
    tracemalloc.start()
    started = time.perf_counter()
    assert "nesting deeper than 64 levels" in refusal(deep)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1 and peak < 20 * 1024 * 1024


def test_long_strings_keys_and_numbers_are_refused_naming_their_limit() -> None:
    limits = JsonLimits(max_key_chars=8, max_string_chars=16)
    assert refusal(b'{"' + b"k" * 9 + b'": 1}', limits) == "line 1: a key longer than 8 characters"
    assert refusal(b'["' + b"s" * 17 + b'"]', limits) == "line 1: a string longer than 16 characters"
    assert refusal(b"[" + b"9" * 5000 + b"]") == "line 1: a number longer than 4300 digits"  # before Python converts it
    assert refusal(b"[0." + b"1" * 101 + b"]") == "line 1: a number of more than 100 digits"
    assert refusal(b"[-" + b"1" * 101 + b"]") == "line 1: a number of more than 100 digits"
    assert events(b"[" + b"9" * 100 + b", 1e999999]")[1:3] == [
        ("number", int("9" * 100)),
        ("number", Decimal("1e999999")),
    ]
    assert events(b'["' + b"s" * 16 + b'"]', limits)[1] == ("string", "s" * 16)


def lazy(head: bytes, filler: bytes, size: int) -> io.BufferedReader:
    """A stream of `head` then `filler` repeated up to `size` bytes, never held whole."""

    class Filler(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if self.sent >= size:
                return 0
            block = (head if self.sent == 0 else b"") + filler * (len(buffer) // len(filler))
            block = block[: min(len(buffer), size - self.sent)]
            buffer[: len(block)] = block
            self.sent += len(block)
            return len(block)

    return io.BufferedReader(Filler(), buffer_size=1 << 16)


def test_a_token_that_never_ends_is_refused_before_it_is_held() -> None:
    """A 1 GB string would be 1 GB in ijson's buffer before its event; it is cut at the byte limit."""
    stream = lazy(b'["', b"a" * 1024, 1 << 30)
    tracemalloc.start()
    with pytest.raises(InputLimitExceeded) as raised:
        list(json_events(stream))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert str(raised.value).endswith("(a string, number or key longer than 1048576 bytes)")
    assert peak < 8 * 1024 * 1024


def test_invalid_json_is_ijsons_error_after_the_events_before_it() -> None:
    seen: list[tuple[str, object]] = []
    with pytest.raises(ijson.JSONError):
        seen.extend(json_events(io.BytesIO(b"[1, 2, }")))
    assert seen[:3] == [("start_array", None), ("number", 1), ("number", 2)]


def test_the_tokens_of_a_document_are_counted() -> None:
    assert len(events(b"[" + b"1," * 9 + b"1]", JsonLimits(max_events=12))) == 12
    assert (
        refusal(b"[" + b"1," * 10 + b"1]", JsonLimits(max_events=12))
        == "line 1: more than 12 JSON tokens (values, keys, brackets)"
    )
