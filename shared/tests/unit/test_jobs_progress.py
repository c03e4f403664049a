from typing import Any
from uuid import UUID, uuid4

import pytest

from quintet_shared.clock import FakeClock
from quintet_shared.jobs import JobContext


class RecordedProgress:
    def __init__(self) -> None:
        self.saved: list[tuple[UUID, int, int | None]] = []

    def save(self, job_id: UUID, done: int, total: int | None) -> None:
        self.saved.append((job_id, done, total))


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_context(store: RecordedProgress, ticker: Ticker, interval: float = 0.5) -> JobContext:
    engine: Any = None  # never touched: progress goes to the store
    return JobContext(
        job_id=uuid4(),
        kind="import",
        client="potatoes",
        payload={},
        engine=engine,
        clock=FakeClock(),
        store=store,
        progress_interval=interval,
        monotonic=ticker,
    )


def test_the_first_report_is_saved_at_once() -> None:
    store, ticker = RecordedProgress(), Ticker()
    context = make_context(store, ticker)
    context.progress(0, 10)
    assert store.saved == [(context.job_id, 0, 10)]


def test_reports_closer_than_the_interval_are_not_saved() -> None:
    store, ticker = RecordedProgress(), Ticker()
    context = make_context(store, ticker)
    context.progress(1, 10)
    ticker.now += 0.1
    context.progress(2, 10)
    context.progress(3, 10)
    assert [done for _, done, _ in store.saved] == [1]


def test_a_report_after_the_interval_is_saved() -> None:
    store, ticker = RecordedProgress(), Ticker()
    context = make_context(store, ticker)
    context.progress(1, 10)
    ticker.now += 0.5
    context.progress(6, 10)
    assert [done for _, done, _ in store.saved] == [1, 6]


def test_the_last_report_is_always_saved() -> None:
    store, ticker = RecordedProgress(), Ticker()
    context = make_context(store, ticker)
    context.progress(1, 10)
    context.progress(10, 10)
    assert store.saved[-1][1:] == (10, 10)


def test_an_unknown_total_is_passed_on() -> None:
    store, ticker = RecordedProgress(), Ticker()
    context = make_context(store, ticker, interval=0)
    context.progress(5)
    assert store.saved == [(context.job_id, 5, None)]


@pytest.mark.parametrize(("done", "total"), [(-1, 10), (1, -10)])
def test_negative_counts_are_refused(done: int, total: int) -> None:
    store, ticker = RecordedProgress(), Ticker()
    with pytest.raises(ValueError):
        make_context(store, ticker).progress(done, total)
    assert store.saved == []
