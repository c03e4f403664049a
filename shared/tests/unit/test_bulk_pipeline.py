"""The parser thread and its hand-over of chunks (no database)."""

import sys
import threading
from collections.abc import Callable

import pytest

from quintet_shared.bulk import chunks_from_thread

NAME = "test-parser"


def numbered(count: int, then: Exception | None = None) -> Callable[[Callable[[str], None]], None]:
    def produce(emit: Callable[[str], None]) -> None:
        for n in range(count):
            emit(str(n))
        if then is not None:
            raise then

    return produce


def test_chunks_arrive_in_order_and_the_thread_ends() -> None:
    default = sys.getswitchinterval()
    with chunks_from_thread(numbered(50), name=NAME) as received:
        assert sys.getswitchinterval() < default
        assert list(received) == [str(n) for n in range(50)]
    assert sys.getswitchinterval() == default
    assert not [t for t in threading.enumerate() if t.name == NAME]


def test_a_parser_error_is_raised_after_the_chunks_before_it() -> None:
    seen: list[str] = []
    with pytest.raises(ValueError, match="unusable"), chunks_from_thread(numbered(3, ValueError("unusable"))) as chunks:
        seen.extend(chunks)
    assert seen == ["0", "1", "2"]


def test_a_landing_error_stops_the_parser_thread() -> None:
    with pytest.raises(RuntimeError), chunks_from_thread(numbered(10_000), name=NAME) as received:
        next(iter(received))
        raise RuntimeError("the database went away")
    assert not [t for t in threading.enumerate() if t.name == NAME]
